use actix_web::web;
use exam::{MobilePhone, OrgName, Role};
use models::worker::{self, HistoryKind, WorkerChanges};
use models::{organization, WorkerId};
use serde_json::{json, Map, Value};

use super::{readable, UpdateWorkerRequest, WorkerResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Change a worker's record; every change is kept in its history with who and when. The
/// worker changes its own phone and position; its enterprise (or a bureau above)
/// changes role, position and whether it is active.
#[utoipa::path(patch, path = "/api/v1/workers/{id}", operation_id = "updateWorker", tag = "workers",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Worker id")),
    request_body = UpdateWorkerRequest,
    responses(
        (status = 200, body = WorkerResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "phone_taken", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn update_worker(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<UpdateWorkerRequest>,
) -> Result<web::Json<WorkerResponse>, ApiError> {
    let id = WorkerId::parse(&id).ok_or_else(ApiError::not_found)?;
    let b = body.0;
    let phone =
        b.phone.as_deref().map(|p| MobilePhone::parse(p).map_err(|e| ApiError::invalid("phone", e))).transpose()?;
    let position = b
        .position
        .map(|p| {
            p.as_deref()
                .map(|s| OrgName::parse(s).map(OrgName::into_inner).map_err(|e| ApiError::invalid("position", e)))
                .transpose()
        })
        .transpose()?;
    let updated = state
        .db(move |conn, cipher| {
            models::db::write_transaction(conn, |conn| {
                let record = readable(conn, cipher, &me, &id)?;
                // Who may change which field.
                let own = me.role == Role::Worker;
                let forbidden_field = if own {
                    [("role", b.role.is_some()), ("active", b.active.is_some())].into_iter().find(|(_, set)| *set)
                } else {
                    let org = organization::find_in(conn, cipher, me.scope(), &record.organization_id)?;
                    if !me.role.may_manage_workers(me.relation(&org)?) {
                        return Err(ApiError::forbidden());
                    }
                    [("phone", phone.is_some())].into_iter().find(|(_, set)| *set)
                };
                if let Some((field, _)) = forbidden_field {
                    return Err(ApiError::forbidden().field(field));
                }
                if let Some(p) = &phone {
                    if worker::find_by_phone(conn, cipher, p)?.is_some_and(|holder| holder.id != record.id) {
                        return Err(ApiError::new(Code::PhoneTaken).field("phone"));
                    }
                }
                let mut changed = Map::new();
                let mut note = |field: &str, from: Value, to: Value| {
                    if from != to {
                        changed.insert(field.to_owned(), json!({"from": from, "to": to}));
                    }
                };
                if let Some(p) = &phone {
                    note("phone", json!(record.phone.as_ref().map(MobilePhone::masked)), json!(p.masked()));
                }
                if let Some(p) = &position {
                    note("position", json!(record.position), json!(p));
                }
                if let Some(r) = b.role {
                    note("role", json!(record.role.as_str()), json!(r.as_str()));
                }
                if let Some(a) = b.active {
                    note("active", json!(record.active), json!(a));
                }
                let changes = WorkerChanges {
                    phone: phone.map(Some),
                    position,
                    role: b.role,
                    active: b.active,
                    ..Default::default()
                };
                let updated = worker::update(conn, cipher, &record.id, changes)?;
                if !changed.is_empty() {
                    worker::record_history(
                        conn,
                        &record.id,
                        Some(&me.account_id),
                        HistoryKind::Updated,
                        None,
                        &Value::Object(changed),
                    )?;
                }
                Ok(updated)
            })
        })
        .await?;
    Ok(web::Json(WorkerResponse::from(updated)))
}
