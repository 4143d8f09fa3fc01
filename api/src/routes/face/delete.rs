use actix_web::{web, HttpRequest, HttpResponse};
use models::face::{self, Event};

use super::{device, own_record};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Withdraw consent to face processing: the template is erased and no face is enrolled
/// or checked any more; identity is then checked by other means at exam sites.
#[utoipa::path(delete, path = "/api/v1/me/face", operation_id = "deleteFaceData", tag = "face",
    security(("bearer" = [])),
    responses((status = 204, description = "Erased"), (status = 401, body = ErrorBody),
        (status = 403, description = "not_a_worker", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn delete_face_data(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: Principal,
) -> Result<HttpResponse, ApiError> {
    let device = device(&req);
    state
        .db(move |conn, cipher| {
            let record = own_record(conn, cipher, &me)?;
            models::db::write_transaction(conn, |conn| {
                face::erase(conn, &record.id)?;
                let event = Event { worker: &record.id, kind: "delete", score: None, threshold: None, decision: "erased", device: device.as_deref(), actor: Some(&me.account_id) };
                face::record_event(conn, event)?;
                let changes = serde_json::json!({"face_consent": {"from": record.face_consent_version, "to": null}, "face_template": "erased"});
                models::worker::record_history(conn, &record.id, Some(&me.account_id), models::worker::HistoryKind::Updated, None, &changes)?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    tracing::info!(decision = "erased", "face data erased at the worker's request");
    Ok(HttpResponse::NoContent().finish())
}
