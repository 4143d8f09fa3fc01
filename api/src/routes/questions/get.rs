use actix_web::web;
use models::{bank, QuestionId};

use super::{bank_for, QuestionResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A question at its current version, with its key.
#[utoipa::path(get, path = "/api/v1/questions/{id}", operation_id = "getQuestion", tag = "question bank",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Question id")),
    responses((status = 200, body = QuestionResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_question(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<QuestionResponse>, ApiError> {
    let qid = QuestionId::parse(&id).ok_or_else(ApiError::not_found)?;
    let record = state
        .db(move |conn, _| {
            let record = bank::get(conn, &qid)?;
            bank_for(conn, &me, record.bank_id.as_str(), false)?;
            Ok(record)
        })
        .await?;
    Ok(web::Json(record.into()))
}
