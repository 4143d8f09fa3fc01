use actix_web::web;
use models::{worker, WorkerId};

use super::{readable, HistoryEntryResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A worker's record history, oldest first: registration, job changes (from where to
/// where), changes and checks, each with who and when.
#[utoipa::path(get, path = "/api/v1/workers/{id}/history", operation_id = "getWorkerHistory", tag = "workers",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Worker id")),
    responses((status = 200, body = Vec<HistoryEntryResponse>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_worker_history(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<Vec<HistoryEntryResponse>>, ApiError> {
    let id = WorkerId::parse(&id).ok_or_else(ApiError::not_found)?;
    let entries = state
        .db(move |conn, cipher| {
            let record = readable(conn, cipher, &me, &id)?;
            Ok(worker::history(conn, &record.id)?)
        })
        .await?;
    Ok(web::Json(entries.into_iter().map(HistoryEntryResponse::from).collect()))
}
