//! Active liveness (活体检测): the server draws a random sequence of head movements, the
//! app films the worker following it and sends a few frames per step, and the server
//! judges from the landmarks that the head followed the sequence in order, that every
//! frame is the same person (and, for an exam start or an in-exam check, the enrolled
//! one), and that the frames are distinct captures. A passed challenge is good for one
//! enrollment or one exam start; a challenge drawn for an in-exam face check answers it.

use ::face::liveness::{self, Movement};
use ::face::LivenessLimits;
use actix_web::{web, HttpResponse};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use models::face::{self, Event};
use models::face_check::{Answered, Verdict};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{enrolled_face, may_enroll, own_record};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// How long the worker has to film and send the frames.
pub const CHALLENGE_TTL: chrono::Duration = chrono::Duration::minutes(2);
/// How long a passed challenge stays good for an exam start.
pub const PASSED_FOR: chrono::Duration = chrono::Duration::minutes(10);
/// The largest frames request: a few frames per step, each a phone photo.
pub const MAX_FRAMES_BYTES: usize = 24 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LivenessPurpose {
    /// Before enrolling the face (`enrollFace` with `liveness_id`), where the server asks
    /// for it (the default): the enrolled photo must be of the person who passed.
    Enroll,
    /// Before starting an exam whose plan asks for it.
    ExamStart,
}

impl LivenessPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LivenessPurpose::Enroll => models::liveness::ENROLL,
            LivenessPurpose::ExamStart => models::liveness::EXAM_START,
        }
    }
}

/// A random sequence of `steps` head movements.
pub fn draw_movements(steps: usize) -> Vec<Movement> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    liveness::challenge(&seed, steps)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLivenessChallengeRequest {
    pub purpose: LivenessPurpose,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LivenessStep {
    /// turn_left, turn_right, look_up or look_down (the worker's own left and right).
    pub movement: String,
    /// What the app shows: 向左转头, 向右转头, 抬头, 低头.
    pub instruction: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LivenessChallenge {
    pub id: String,
    pub steps: Vec<LivenessStep>,
    /// Frames per step the server accepts (send 1 to this many).
    pub max_frames_per_step: usize,
    pub expires_at: DateTime<Utc>,
}

impl LivenessChallenge {
    pub fn of(c: &models::liveness::Challenge) -> Self {
        let steps = c
            .steps
            .iter()
            .filter_map(|s| s.parse::<Movement>().ok())
            .map(|m| LivenessStep { movement: m.as_str().to_owned(), instruction: m.label_zh().to_owned() })
            .collect();
        LivenessChallenge {
            id: c.id.clone(),
            steps,
            max_frames_per_step: LivenessLimits::default().max_frames_per_step,
            expires_at: c.expires_at.and_utc(),
        }
    }
}

/// Draw a liveness challenge: a short random sequence of head movements, valid for two
/// minutes. For workers who consented to face processing: for an exam start, enrolled;
/// for an enrollment, not enrolled yet or with a re-enrollment approved.
#[utoipa::path(post, path = "/api/v1/me/liveness-challenges", operation_id = "createLivenessChallenge", tag = "face",
    security(("bearer" = [])), request_body = CreateLivenessChallengeRequest,
    responses((status = 201, body = LivenessChallenge), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "not_a_worker or face_consent_missing", body = ErrorBody),
        (status = 409, description = "face_not_enrolled or face_model_changed (for an exam start), face_already_enrolled (for an enrollment)", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_liveness_challenge(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateLivenessChallengeRequest>,
) -> Result<HttpResponse, ApiError> {
    let purpose = body.0.purpose;
    let steps_wanted = state.settings.liveness_steps;
    let challenge = state
        .db(move |conn, cipher| {
            let record = own_record(conn, cipher, &me)?;
            match purpose {
                LivenessPurpose::ExamStart => {
                    enrolled_face(conn, cipher, &record)?;
                }
                LivenessPurpose::Enroll => may_enroll(conn, cipher, &record)?,
            }
            let steps = draw_movements(steps_wanted);
            let names: Vec<&str> = steps.iter().map(|m| m.as_str()).collect();
            let expires_at = models::now() + CHALLENGE_TTL;
            Ok(models::liveness::create(conn, &record.id, purpose.as_str(), &names, expires_at, None)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(LivenessChallenge::of(&challenge)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LivenessFrame {
    /// Which step (0-based) the frame was taken in.
    pub step: usize,
    /// The frame: a JPEG, PNG or WebP picture, base64.
    pub image: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitLivenessFramesRequest {
    /// In the order taken.
    pub frames: Vec<LivenessFrame>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LivenessProblem {
    /// wrong_order, missing_step, movement_not_seen, different_people, duplicate,
    /// not_the_enrolled_face, …
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LivenessResult {
    pub passed: bool,
    /// For an enrollment or exam-start challenge that passed: give this id to `enrollFace`
    /// or `startAttempt` (`liveness_id`) within ten minutes; once.
    pub liveness_id: Option<String>,
    pub problems: Vec<LivenessProblem>,
    /// For a challenge answering an in-exam face check: how the check was settled
    /// (`passed`, `mismatch`, `liveness_failed`; the last two are shown to the proctor).
    pub face_check_outcome: Option<String>,
}

/// Send the frames of a challenge, once. The verdict: the head followed the movements in
/// order, every frame shows the same person (for an exam start or an in-exam check, the
/// enrolled worker), and no frame is a replay of another. A failed challenge cannot be
/// retried: draw a new one. A challenge given with an in-exam face check answers that
/// check: a failure is flagged for the proctor and the exam goes on.
#[utoipa::path(post, path = "/api/v1/me/liveness-challenges/{id}/frames", operation_id = "submitLivenessFrames", tag = "face",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Challenge id")),
    request_body = SubmitLivenessFramesRequest,
    responses((status = 200, body = LivenessResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "not_a_worker or face_consent_missing", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "liveness_closed (judged already or expired), face_not_enrolled, face_model_changed, or attempt_closed / face_check_settled for an in-exam check", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "a frame is no usable picture (image_corrupt, face_not_found, …; `field` names it)", body = ErrorBody),
        (status = 503, description = "service_unavailable: retry after `Retry-After` seconds", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn submit_liveness_frames(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<SubmitLivenessFramesRequest>,
) -> Result<web::Json<LivenessResult>, ApiError> {
    let frames = body.0.frames;
    let limits = LivenessLimits::default();
    let actor = me.account_id.clone();
    let (record, challenge, enrolled) = state
        .db(move |conn, cipher| {
            let record = own_record(conn, cipher, &me)?;
            let challenge = models::liveness::get(conn, &record.id, &id)?;
            if challenge.status != "open" || challenge.expires_at <= models::now() {
                return Err(ApiError::new(Code::LivenessClosed));
            }
            // An enrollment has nothing to compare with yet: its frames are kept instead,
            // for the enrolled photo to be compared with them.
            let enrolled = match challenge.purpose.as_str() {
                models::liveness::ENROLL => {
                    may_enroll(conn, cipher, &record)?;
                    None
                }
                _ => Some(enrolled_face(conn, cipher, &record)?),
            };
            Ok((record, challenge, enrolled))
        })
        .await?;
    let steps: Vec<Movement> = challenge.steps.iter().filter_map(|s| s.parse().ok()).collect();
    if frames.is_empty() || frames.len() > steps.len() * limits.max_frames_per_step {
        return Err(ApiError::new(Code::ValidationFailed).field("frames").text(
            format!("每个动作 1 到 {} 张", limits.max_frames_per_step),
            format!("1 to {} frames per step", limits.max_frames_per_step),
        ));
    }
    let mut pictures = Vec::with_capacity(frames.len());
    for (n, f) in frames.into_iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(f.image.trim())
            .map_err(|_| ApiError::new(Code::ImageCorrupt).field(format!("frames[{n}].image")))?;
        pictures.push((n, f.step, bytes));
    }
    let analysed = state
        .face
        .run(move |engine| {
            pictures
                .into_iter()
                .map(|(n, step, bytes)| engine.analyze_frame(&bytes, step).map_err(|e| (n, e)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?
        .map_err(|(n, e)| ApiError::from(e).field(format!("frames[{n}].image")))?;
    let verdict = liveness::judge(&steps, &analysed, &limits);
    let mut problems: Vec<LivenessProblem> = verdict
        .failures
        .iter()
        .map(|f| LivenessProblem { code: f.code().to_owned(), message: f.message_zh() })
        .collect();
    // The frames must also be the enrolled worker: the best frame at the verification
    // threshold (turned heads score lower against a frontal template).
    let threshold = state.settings.face_threshold;
    let best = enrolled.as_ref().map(|e| e.best_match(analysed.iter().map(|f| &f.embedding)));
    if best.is_some_and(|b| b < threshold) {
        problems.push(LivenessProblem {
            code: "not_the_enrolled_face".to_owned(),
            message: "画面中的人与采集的人脸不符".to_owned(),
        });
    }
    let passed = verdict.passed && best.is_none_or(|b| b >= threshold);
    let outcome = json!({
        "passed": passed,
        "problems": problems.iter().map(|p| &p.code).collect::<Vec<_>>(),
        "min_similarity": verdict.min_similarity,
        "best_match": best,
        "frames": analysed.len(),
    });
    // An enrollment keeps what the frames showed, to hold the enrolled photo to.
    let kept: Option<Vec<u8>> =
        (passed && enrolled.is_none()).then(|| analysed.iter().flat_map(|f| f.embedding.to_bytes()).collect());
    let check = challenge.face_check_id.clone().zip(best).map(|(check, score)| {
        let failed: Vec<String> = verdict.failures.iter().map(|f| f.code().to_owned()).collect();
        (check, Verdict { score, threshold, liveness_problems: Some(failed) })
    });
    let challenge_id = challenge.id.clone();
    let face_check_outcome = state
        .db(move |conn, cipher| {
            models::db::write_transaction(conn, |conn| {
                if !models::liveness::judge(conn, cipher, &challenge_id, passed, &outcome, kept.as_deref())? {
                    return Err(ApiError::new(Code::LivenessClosed));
                }
                face::record_event(
                    conn,
                    Event {
                        worker: &record.id,
                        kind: "liveness",
                        score: best.map(f64::from),
                        threshold: best.map(|_| f64::from(threshold)),
                        decision: if passed { "passed" } else { "failed" },
                        device: None,
                        actor: Some(&actor),
                    },
                )?;
                let Some((check, verdict)) = check else { return Ok(None) };
                let attempt = models::face_check::attempt_of(conn, &check)?;
                match models::face_check::answer(conn, &attempt, &check, &verdict, models::now())? {
                    Answered::Settled(o) => Ok(Some(o.as_str().to_owned())),
                    Answered::NotDue => Err(ApiError::not_found()),
                    Answered::AlreadySettled(_) => Err(ApiError::new(Code::FaceCheckSettled)),
                }
            })
        })
        .await?;
    tracing::info!(passed, frames = analysed.len(), purpose = %challenge.purpose, "liveness judged");
    let usable = passed && challenge.face_check_id.is_none();
    Ok(web::Json(LivenessResult { passed, liveness_id: usable.then_some(challenge.id), problems, face_check_outcome }))
}
