use actix_web::web;
use exam::{OrgName, ValueError, Verification};
use models::worker::{self, HistoryKind};
use models::WorkerId;
use serde_json::json;

use super::{VerifyWorkerRequest, WorkerResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Record a bureau's check of a worker's record (核对信息): `verified` as real, or
/// `flagged` with a reason. County, city and province staff only.
#[utoipa::path(post, path = "/api/v1/workers/{id}/verification", operation_id = "verifyWorker", tag = "workers",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Worker id")),
    request_body = VerifyWorkerRequest,
    responses(
        (status = 200, body = WorkerResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn verify_worker(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<VerifyWorkerRequest>,
) -> Result<web::Json<WorkerResponse>, ApiError> {
    me.require(|r| r.may_verify_workers())?;
    let id = WorkerId::parse(&id).ok_or_else(ApiError::not_found)?;
    let VerifyWorkerRequest { result, reason } = body.0;
    let reason = reason
        .as_deref()
        .map(|r| OrgName::parse(r).map(OrgName::into_inner).map_err(|e| ApiError::invalid("reason", e)))
        .transpose()?;
    match result {
        Verification::Unverified => {
            return Err(ApiError::new(Code::ValidationFailed)
                .field("result")
                .text("须为 verified 或 flagged", "must be verified or flagged"))
        }
        Verification::Flagged if reason.is_none() => {
            return Err(
                ApiError::invalid("reason", ValueError::Empty).text("标记有疑问时须说明原因", "a flag needs a reason")
            )
        }
        _ => {}
    }
    let updated = state
        .db(move |conn, cipher| {
            models::db::write_transaction(conn, |conn| {
                let record = worker::find_in(conn, cipher, me.scope(), &id)?;
                let updated = worker::set_verification(conn, cipher, &record.id, result, reason.as_deref(), &me.account_id)?;
                let changes = json!({"verification": {"from": record.verification.as_str(), "to": result.as_str()}, "reason": reason});
                worker::record_history(conn, &record.id, Some(&me.account_id), HistoryKind::Verified, None, &changes)?;
                Ok(updated)
            })
        })
        .await?;
    Ok(web::Json(WorkerResponse::from(updated)))
}
