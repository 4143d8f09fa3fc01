use actix_web::{web, HttpRequest, HttpResponse};
use models::face::{self, Event};

use super::{device, own_record, status_of, FaceStatus, Photo};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Body;
use crate::state::AppState;

/// Enroll the caller's face (a worker, after registering, with consent on record). A
/// second enrollment needs the enterprise admin's approval. Each quality problem has its
/// own error code, telling the worker what to change.
#[utoipa::path(post, path = "/api/v1/me/face", operation_id = "enrollFace", tag = "face",
    security(("bearer" = [])),
    request_body(content((Photo = "image/jpeg"), (Photo = "image/png"), (Photo = "image/webp"))),
    params(("X-Device-Info" = Option<String>, Header, description = "The client's device, for the audit trail")),
    responses(
        (status = 201, body = FaceStatus), (status = 401, body = ErrorBody),
        (status = 403, description = "face_consent_missing or not_a_worker", body = ErrorBody),
        (status = 409, description = "face_already_enrolled", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "face_not_found, multiple_faces, face_too_small, face_too_dark, face_too_bright, face_blurred, head_turned, image_corrupt, image_unsupported, image_too_large", body = ErrorBody),
        (status = 503, description = "service_unavailable: retry after `Retry-After` seconds", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn enroll_face(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: Principal,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let device = device(&req);
    let who = me.0.clone();
    let record = state.db(move |conn, cipher| own_record(conn, cipher, &who)).await?;
    if record.face_consent_version.is_none() {
        return Err(ApiError::new(Code::FaceConsentMissing));
    }
    let photo = body.0;
    let analysis = state.face.run(move |engine| engine.analyze(&photo)).await?;
    let outcome = analysis.as_ref().map(|a| a.embedding.to_bytes()).map_err(|e| e.to_string());
    let status = state
        .db(move |conn, cipher| {
            models::db::write_transaction(conn, |conn| {
                let existing = face::template(conn, cipher, &record.id)?;
                let kind = if existing.is_some() { "reenroll" } else { "enroll" };
                let mut event = Event {
                    worker: &record.id,
                    kind,
                    score: None,
                    threshold: None,
                    decision: "enrolled",
                    device: device.as_deref(),
                    actor: Some(&me.account_id),
                };
                let bytes = match &outcome {
                    Ok(bytes) => bytes,
                    Err(_) => {
                        event.decision = "rejected";
                        face::record_event(conn, event)?;
                        return Ok(None);
                    }
                };
                if existing.is_some() && !face::use_reenrollment(conn, &record.id)? {
                    event.decision = "refused_needs_approval";
                    face::record_event(conn, event)?;
                    return Err(ApiError::new(Code::FaceAlreadyEnrolled));
                }
                face::save_template(conn, cipher, &record.id, ::face::MODEL_ID, bytes)?;
                face::record_event(conn, event)?;
                let fresh = models::worker::get_unscoped(conn, cipher, &record.id)?;
                Ok(Some(status_of(conn, cipher, &fresh)?))
            })
        })
        .await?;
    match (status, analysis) {
        (Some(status), _) => {
            tracing::info!(decision = "enrolled", "face enrolled");
            Ok(HttpResponse::Created().json(status))
        }
        (None, Err(e)) => {
            tracing::info!(decision = "rejected", reason = %e, "face enrollment refused");
            Err(e.into())
        }
        (None, Ok(_)) => Err(ApiError::internal(std::io::Error::other("enrollment neither saved nor refused"))),
    }
}
