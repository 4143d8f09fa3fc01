use actix_web::web;
use models::WorkerId;

use super::{readable, WorkerResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Read a worker's record (ID and phone numbers masked). Staff read their jurisdiction; a
/// worker reads only its own record.
#[utoipa::path(get, path = "/api/v1/workers/{id}", operation_id = "getWorker", tag = "workers",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Worker id")),
    responses((status = 200, body = WorkerResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_worker(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<WorkerResponse>, ApiError> {
    let id = WorkerId::parse(&id).ok_or_else(ApiError::not_found)?;
    let record = state.db(move |conn, cipher| readable(conn, cipher, &me, &id)).await?;
    Ok(web::Json(WorkerResponse::from(record)))
}
