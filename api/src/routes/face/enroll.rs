use actix_web::{web, HttpRequest, HttpResponse};
use models::face::{self, Event};
use serde::Deserialize;
use utoipa::IntoParams;

use super::liveness::PASSED_FOR;
use super::{device, own_record, status_of, FaceStatus, Photo};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::{Body, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnrollFaceQuery {
    /// An `enroll` liveness challenge passed in the last ten minutes (`submitLivenessFrames`);
    /// the photo must be of the person who passed it. Required unless the server is set
    /// to enroll without liveness.
    pub liveness_id: Option<String>,
}

/// Enroll the caller's face (a worker, after registering, with consent on record): first
/// pass an `enroll` liveness challenge, then send a frontal photo with its `liveness_id`.
/// A second enrollment needs the enterprise admin's approval. Each quality problem has its
/// own error code, telling the worker what to change; a refused photo leaves the passed
/// challenge usable for another photo.
#[utoipa::path(post, path = "/api/v1/me/face", operation_id = "enrollFace", tag = "face",
    security(("bearer" = [])),
    request_body(content((Photo = "image/jpeg"), (Photo = "image/png"), (Photo = "image/webp"))),
    params(EnrollFaceQuery, ("X-Device-Info" = Option<String>, Header, description = "The client's device, for the audit trail")),
    responses(
        (status = 201, body = FaceStatus), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "face_consent_missing, not_a_worker, or liveness_required (no usable passed enroll challenge)", body = ErrorBody),
        (status = 409, description = "face_already_enrolled", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "face_not_found, multiple_faces, face_too_small, face_too_dark, face_too_bright, face_blurred, head_turned, image_corrupt, image_unsupported, image_too_large, liveness_mismatch", body = ErrorBody),
        (status = 503, description = "service_unavailable: retry after `Retry-After` seconds", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn enroll_face(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: Principal,
    query: Query<EnrollFaceQuery>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let device = device(&req);
    let liveness_id = query.0.liveness_id;
    if state.settings.liveness_at_enrollment && liveness_id.is_none() {
        return Err(ApiError::new(Code::LivenessRequired).field("liveness_id"));
    }
    let threshold = state.settings.face_threshold;
    let who = me.0.clone();
    let record = state.db(move |conn, cipher| own_record(conn, cipher, &who)).await?;
    if record.face_consent_version.is_none() {
        return Err(ApiError::new(Code::FaceConsentMissing));
    }
    let photo = body.0;
    let analysis = state.face.run(move |engine| engine.analyze(&photo)).await?;
    let outcome = analysis.as_ref().map(|a| a.embedding.clone()).map_err(|e| e.to_string());
    // Refusals are returned from inside the transaction as values, so that their audit
    // record commits.
    let decided = state
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
                let embedding = match &outcome {
                    Ok(embedding) => embedding,
                    Err(_) => {
                        event.decision = "rejected";
                        face::record_event(conn, event)?;
                        return Ok(Ok(None));
                    }
                };
                if existing.is_some() && !face::reenrollment_pending(conn, &record.id)? {
                    event.decision = "refused_needs_approval";
                    face::record_event(conn, event)?;
                    return Ok(Err(ApiError::new(Code::FaceAlreadyEnrolled)));
                }
                if let Some(challenge) = &liveness_id {
                    let since = models::now() - PASSED_FOR;
                    let Some(frames) = models::liveness::enrollment_frames(conn, cipher, &record.id, challenge, since)?
                    else {
                        event.decision = "refused_no_liveness";
                        face::record_event(conn, event)?;
                        return Ok(Err(ApiError::new(Code::LivenessRequired).field("liveness_id")));
                    };
                    // The photo against the best of the frames, as a verification would.
                    let frames: Vec<::face::Embedding> = frames
                        .chunks_exact(::face::Embedding::LEN * 4)
                        .filter_map(::face::Embedding::from_bytes)
                        .collect();
                    let best = embedding.best_match(&frames);
                    event.score = Some(f64::from(best));
                    event.threshold = Some(f64::from(threshold));
                    if best < threshold {
                        event.decision = "refused_liveness_mismatch";
                        face::record_event(conn, event)?;
                        return Ok(Err(ApiError::new(Code::LivenessMismatch)));
                    }
                    if !models::liveness::consume(conn, &record.id, challenge, models::liveness::ENROLL, since)? {
                        return Err(ApiError::new(Code::LivenessRequired).field("liveness_id"));
                    }
                }
                if existing.is_some() && !face::use_reenrollment(conn, &record.id)? {
                    return Err(ApiError::new(Code::FaceAlreadyEnrolled));
                }
                face::save_template(conn, cipher, &record.id, ::face::MODEL_ID, &embedding.to_bytes())?;
                face::record_event(conn, event)?;
                let fresh = models::worker::get_unscoped(conn, cipher, &record.id)?;
                Ok(Ok(Some(status_of(conn, cipher, &fresh)?)))
            })
        })
        .await?;
    match (decided?, analysis) {
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
