use actix_web::web;
use models::{bank, QuestionId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{bank_for, QuestionInput, QuestionResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateQuestionRequest {
    pub question: QuestionInput,
    /// False retires the question: no longer drawn, kept for the papers that hold it.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Replace a question's content: a changed question gets a new version, and papers already
/// drawn keep the version they hold. Also retires or restores it.
#[utoipa::path(put, path = "/api/v1/questions/{id}", operation_id = "updateQuestion", tag = "question bank",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Question id")),
    request_body = UpdateQuestionRequest,
    responses(
        (status = 200, body = QuestionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "forbidden or bank_read_only", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "question_ref_taken", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn update_question(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<UpdateQuestionRequest>,
) -> Result<web::Json<QuestionResponse>, ApiError> {
    let qid = QuestionId::parse(&id).ok_or_else(ApiError::not_found)?;
    let active = body.0.active;
    let question = super::validate(body.0.question)?;
    let record = state
        .db(move |conn, _| {
            models::db::write_transaction(conn, |conn| {
                let current = bank::get(conn, &qid)?;
                bank_for(conn, &me, current.bank_id.as_str(), true)?;
                let active = active.unwrap_or(current.active);
                Ok(bank::revise(conn, &qid, &question, active, Some(&me.account_id))?)
            })
        })
        .await?;
    tracing::info!(question = %record.id, version = record.version, "question updated");
    Ok(web::Json(record.into()))
}
