use actix_web::{web, HttpResponse};
use models::bank;

use super::{bank_for, QuestionInput, QuestionResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Add a question to one of the caller's own banks.
#[utoipa::path(post, path = "/api/v1/question-banks/{id}/questions", operation_id = "createQuestion", tag = "question bank",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Bank id")), request_body = QuestionInput,
    responses(
        (status = 201, body = QuestionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "forbidden or bank_read_only", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "question_ref_taken", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "validation_failed, every field problem in `errors`", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_question(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<QuestionInput>,
) -> Result<HttpResponse, ApiError> {
    let question = super::validate(body.0)?;
    let created = state
        .db(move |conn, _| {
            let b = bank_for(conn, &me, &id, true)?;
            models::db::write_transaction(conn, |conn| Ok(bank::add(conn, &b.id, &question, Some(&me.account_id))?))
        })
        .await?;
    tracing::info!(question = %created.id, "question added");
    Ok(HttpResponse::Created().json(QuestionResponse::from(created)))
}
