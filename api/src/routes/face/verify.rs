use actix_web::{web, HttpRequest};
use models::face::{self, Event};

use super::{device, enrolled_face, own_record, Photo, VerifyResult, VERIFY_FAILURES};
use crate::auth::{throttle, Principal};
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Body;
use crate::state::AppState;

/// Verify the caller's face against its enrolled face (刷脸). The answer says whether it
/// matched, the score and the threshold; a match also gives a one-time verification id,
/// valid for a few minutes, which the exam start requires. Failed matches are throttled
/// per worker.
#[utoipa::path(post, path = "/api/v1/me/face/verify", operation_id = "verifyFace", tag = "face",
    security(("bearer" = [])),
    request_body(content((Photo = "image/jpeg"), (Photo = "image/png"), (Photo = "image/webp"))),
    params(("X-Device-Info" = Option<String>, Header, description = "The client's device, for the audit trail")),
    responses(
        (status = 200, body = VerifyResult), (status = 401, body = ErrorBody),
        (status = 403, description = "face_consent_missing or not_a_worker", body = ErrorBody),
        (status = 409, description = "face_not_enrolled or face_model_changed", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "a quality problem, as for enrollFace", body = ErrorBody),
        (status = 429, description = "too_many_attempts", body = ErrorBody),
        (status = 503, description = "service_unavailable: retry after `Retry-After` seconds", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn verify_face(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: Principal,
    body: Body,
) -> Result<web::Json<VerifyResult>, ApiError> {
    let device = device(&req);
    let who = me.0.clone();
    let (record, enrolled, key) = state
        .db(move |conn, cipher| {
            let record = own_record(conn, cipher, &who)?;
            if record.face_consent_version.is_none() {
                return Err(ApiError::new(Code::FaceConsentMissing));
            }
            let key = format!("face:{}", record.id);
            throttle::check_key(conn, &key)?;
            let enrolled = enrolled_face(conn, cipher, &record)?;
            Ok((record, enrolled, key))
        })
        .await?;
    let photo = body.0;
    let analysis = state.face.run(move |engine| engine.analyze(&photo)).await?;
    let threshold = state.settings.face_threshold;
    let ttl = chrono::Duration::seconds(state.settings.face_verification_ttl_secs);
    let scored = analysis.map(|a| a.embedding.cosine(&enrolled));
    let score = scored.as_ref().ok().copied();
    let actor = me.account_id.clone();
    let verification = state
        .db(move |conn, _| {
            let matched = score.is_some_and(|s| s >= threshold);
            let decision = match score {
                None => "rejected",
                Some(_) if matched => "match",
                Some(_) => "no_match",
            };
            let event = Event {
                worker: &record.id,
                kind: "verify",
                score: score.map(f64::from),
                threshold: Some(f64::from(threshold)),
                decision,
                device: device.as_deref(),
                actor: Some(&actor),
            };
            face::record_event(conn, event)?;
            if score.is_some() && !matched {
                models::throttle::record_failure(conn, &key, VERIFY_FAILURES)?;
            }
            match (score, matched) {
                (Some(s), true) => Ok(Some(face::record_verification(conn, &record.id, f64::from(s), ttl)?)),
                _ => Ok(None),
            }
        })
        .await?;
    let score = scored?;
    tracing::info!(score, threshold, matched = verification.is_some(), "face verified");
    Ok(web::Json(VerifyResult {
        matched: verification.is_some(),
        score,
        threshold,
        expires_at: verification.as_ref().map(|v| v.expires_at.and_utc()),
        verification_id: verification.map(|v| v.id),
    }))
}
