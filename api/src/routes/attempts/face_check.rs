use actix_web::{web, HttpRequest};
use models::face::{self, Event};
use models::face_check::{self, Answered, Verdict};
use serde::Serialize;
use utoipa::ToSchema;

use super::{due_face_check, own_attempt, FaceCheckDue};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Body;
use crate::routes::face::{device, enrolled_face, own_record, Photo};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct FaceCheckResult {
    pub check_id: String,
    /// `passed`; `mismatch` (not the enrolled face: the proctor is told); `missed` (sent
    /// after its time: the proctor is told).
    pub outcome: String,
    pub score: f32,
    pub threshold: f32,
    /// The next check, when one is already due.
    pub face_check: Option<FaceCheckDue>,
}

/// Answer a random face check during the exam (考中刷脸) with a photo of the candidate
/// taken now (a check that came with a liveness challenge is answered with its frames,
/// through `submitLivenessFrames`). A mismatch, or an answer after `answer_by`, is flagged for the proctor with
/// the score and times; the exam goes on. A photo the pipeline refuses (no face, too dark,
/// …) answers 422 and the check stays open until its time runs out.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/face-checks/{check_id}", operation_id = "answerFaceCheck", tag = "taking exams",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Attempt id"), ("check_id" = uuid::Uuid, Path, description = "The due check's id"),
        ("X-Device-Info" = Option<String>, Header, description = "The client's device, for the audit trail")),
    request_body(content((Photo = "image/jpeg"), (Photo = "image/png"), (Photo = "image/webp"))),
    responses(
        (status = 200, body = FaceCheckResult), (status = 401, body = ErrorBody),
        (status = 403, description = "not_a_worker, face_consent_missing, or liveness_required (the check came with a liveness challenge: send its frames to submitLivenessFrames)", body = ErrorBody),
        (status = 404, description = "no such attempt, or no such check due on it", body = ErrorBody),
        (status = 409, description = "attempt_closed, face_check_settled, face_not_enrolled or face_model_changed", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "a quality problem, as for enrollFace", body = ErrorBody),
        (status = 503, description = "service_unavailable: retry after `Retry-After` seconds", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn answer_face_check(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: Principal,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<web::Json<FaceCheckResult>, ApiError> {
    let (id, check) = path.into_inner();
    let device = device(&req);
    let steps = state.settings.liveness_steps;
    let asked = check.clone();
    let actor = me.account_id.clone();
    let (record, attempt, enrolled) = state
        .db(move |conn, cipher| {
            let (worker, attempt) = own_attempt(conn, &me, &id)?;
            if attempt.finished {
                return Err(ApiError::new(Code::AttemptClosed));
            }
            // A check given with a liveness challenge is answered with its frames.
            if models::liveness::for_face_check(conn, &asked)?.is_some_and(|c| c.worker_id == worker) {
                return Err(ApiError::new(Code::LivenessRequired));
            }
            let record = own_record(conn, cipher, &me)?;
            let enrolled = enrolled_face(conn, cipher, &record)?;
            Ok((record, attempt, enrolled))
        })
        .await?;
    let photo = body.0;
    let analysis = state.face.run(move |engine| engine.analyze(&photo)).await?;
    let scored = analysis.map(|a| a.embedding.cosine(&enrolled));
    let threshold = state.settings.face_threshold;
    let score = scored.as_ref().ok().copied();
    let result = state
        .db(move |conn, _| {
            let decision = match score {
                None => "rejected",
                Some(s) if s >= threshold => "match",
                Some(_) => "no_match",
            };
            let event = Event {
                worker: &record.id,
                kind: "exam_check",
                score: score.map(f64::from),
                threshold: Some(f64::from(threshold)),
                decision,
                device: device.as_deref(),
                actor: Some(&actor),
            };
            face::record_event(conn, event)?;
            let Some(score) = score else { return Ok(None) };
            let verdict = Verdict { score, threshold, liveness_problems: None };
            let outcome = match face_check::answer(conn, &attempt.id, &check, &verdict, models::now())? {
                Answered::Settled(o) => o,
                Answered::NotDue => return Err(ApiError::not_found()),
                Answered::AlreadySettled(_) => return Err(ApiError::new(Code::FaceCheckSettled)),
            };
            let next = models::attempt::get(conn, &attempt.id)?.next_check_at;
            Ok(Some(FaceCheckResult {
                check_id: check,
                outcome: outcome.as_str().to_owned(),
                score,
                threshold,
                face_check: due_face_check(conn, &attempt.id, next, steps)?,
            }))
        })
        .await?;
    // The photo was refused (no face, too dark, …): say why; the check stays open.
    let result = match result {
        Some(r) => r,
        None => return Err(scored.err().map(ApiError::from).unwrap_or_else(|| ApiError::new(Code::FaceNotFound))),
    };
    tracing::info!(outcome = %result.outcome, score = result.score, "in-exam face check answered");
    Ok(web::Json(result))
}
