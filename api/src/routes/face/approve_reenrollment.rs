use actix_web::{web, HttpResponse};
use models::face::{self, Event};
use models::{organization, worker, WorkerId};

use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Approve one re-enrollment of a worker's face (its enterprise admin, or a bureau above).
/// The approval is logged and is used up by the next enrollment.
#[utoipa::path(post, path = "/api/v1/workers/{id}/face/reenrollment", operation_id = "approveFaceReenrollment", tag = "face",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Worker id")),
    responses((status = 204, description = "Approved"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn approve_face_reenrollment(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = WorkerId::parse(&id).ok_or_else(ApiError::not_found)?;
    state
        .db(move |conn, cipher| {
            let record = worker::find_in(conn, cipher, me.scope(), &id)?;
            let org = organization::find_in(conn, cipher, me.scope(), &record.organization_id)?;
            if !me.role.may_manage_workers(me.relation(&org)?) {
                return Err(ApiError::forbidden());
            }
            models::db::write_transaction(conn, |conn| {
                face::approve_reenrollment(conn, &record.id, &me.account_id)?;
                let event = Event {
                    worker: &record.id,
                    kind: "reenroll_approved",
                    score: None,
                    threshold: None,
                    decision: "approved",
                    device: None,
                    actor: Some(&me.account_id),
                };
                face::record_event(conn, event)?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
