use actix_web::{web, HttpResponse};
use exam::paper::{self, Entry};
use models::attempt::{self, Item, NewAttempt};
use models::{bank, candidate, organization, plan, proctoring, PlanId};
use rand::RngCore;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{paper, remember, settle, AttemptResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::routes::face::own_record;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartAttemptRequest {
    /// The one-time id of a successful face verification (verifyFace), a few minutes old
    /// at most. Omitted only when a proctor checked the candidate's ID card on site
    /// (`confirmIdentityManually`) in the last 12 hours: that check is then used up.
    pub verification_id: Option<String>,
    /// A liveness challenge passed in the last ten minutes (`submitLivenessFrames`), when
    /// the plan asks for one (`liveness_at_start`) and the start is on the face.
    pub liveness_id: Option<String>,
}

/// How long a proctor's ID-card check stays good for starting.
const MANUAL_IDENTITY_FOR: chrono::Duration = chrono::Duration::hours(12);

fn closed(zh: &str, en: &str) -> ApiError {
    ApiError::new(Code::ExamNotOpen).text(zh, en)
}

/// Start the exam (开考): needs a fresh face verification of this worker, or a proctor's
/// check of the ID card at the exam site. The paper is
/// drawn now — random questions meeting every quota, questions and options shuffled for
/// this candidate — and the deadline (start + duration, at the latest the window's end)
/// is stored. Calling it again, from any device, returns the same attempt (200).
#[utoipa::path(post, path = "/api/v1/exam-plans/{id}/attempts", operation_id = "startAttempt", tag = "taking exams",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Plan id")),
    request_body = StartAttemptRequest,
    responses(
        (status = 201, description = "Started: the paper", body = AttemptResponse),
        (status = 200, description = "Already started: the same attempt, to resume", body = AttemptResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "not_a_worker, not_a_candidate, face_verification_required or liveness_required", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "exam_not_open", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn start_attempt(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<StartAttemptRequest>,
) -> Result<HttpResponse, ApiError> {
    let StartAttemptRequest { verification_id: verification, liveness_id } = body.0;
    let plan_id = PlanId::parse(&id).ok_or_else(ApiError::not_found)?;
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    let steps = state.settings.liveness_steps;
    let (created, view) = state
        .db_burst(move |conn, cipher| {
            let worker = own_record(conn, cipher, &me)?;
            let plan = plan::rules(conn, &plan_id)?;
            let Some(absent) = candidate::candidacy(conn, &plan.id, &worker.id)? else {
                // Someone else's exam is one that does not exist; one's own county's or
                // enterprise's exam without one's name on the list is a clear refusal.
                let organizer = plan::get(conn, &plan.id)?.organizer_path;
                let own = organization::path_of(conn, &worker.organization_id)?.unwrap_or_default();
                return Err(if own.starts_with(&organizer) {
                    ApiError::new(Code::NotACandidate)
                } else {
                    ApiError::not_found()
                });
            };
            if let Some(existing) = attempt::find(conn, &plan.id, &worker.id)? {
                let existing = settle(conn, cipher, existing, grace)?;
                return Ok((false, paper(conn, &existing, &plan, steps)?));
            }
            let now = models::now();
            if now < plan.window_start {
                return Err(closed("考试尚未开始，请在考试时间内开考", "the exam window has not opened yet"));
            }
            if now >= plan.window_end || absent {
                return Err(closed("考试时间已过", "the exam window has closed"));
            }
            let org = organization::get_unscoped(conn, cipher, &worker.organization_id)?;
            let banks = plan::bank_ids(conn, &plan.id)?;
            let pool: Vec<_> =
                bank::pool(conn, &banks)?.into_iter().filter(|e| e.suits(worker.role, org.industry)).collect();
            let entries: Vec<Entry> =
                pool.iter().map(|e| Entry { category: e.category, kind: e.kind, options: e.options }).collect();
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let drawn = paper::draw(&plan.blueprint, &entries, seed).map_err(|short| {
                tracing::error!(plan = %plan.id, ?short, "the banks no longer fill the blueprint");
                ApiError::new(Code::BlueprintUnsatisfiable)
            })?;
            let items = drawn
                .into_iter()
                .zip(1..)
                .map(|(d, position)| Item {
                    position,
                    version_id: pool[d.pool_index].version_id.clone(),
                    option_order: d.option_order,
                })
                .collect();
            let duration = chrono::Duration::minutes(i64::from(plan.blueprint.duration_minutes));
            let new = NewAttempt {
                plan_id: &plan.id,
                worker_id: &worker.id,
                seed: seed.iter().map(|b| format!("{b:02x}")).collect(),
                verification_id: verification.clone(),
                identity_method: if verification.is_some() { "face" } else { "manual" },
                started_at: now,
                deadline: (now + duration).min(plan.window_end),
                items,
            };
            let written = models::db::write_transaction(conn, |conn| {
                if plan.liveness_at_start && verification.is_some() {
                    let since = now - crate::routes::face::liveness::PASSED_FOR;
                    let live = match &liveness_id {
                        Some(l) => models::liveness::consume(conn, &worker.id, l, "exam_start", since)?,
                        None => false,
                    };
                    if !live {
                        return Err(ApiError::new(Code::LivenessRequired));
                    }
                }
                let checked = match &verification {
                    Some(v) => models::face::consume_verification(conn, &worker.id, v)?,
                    None => proctoring::consume_manual_identity(conn, &plan.id, &worker.id, now - MANUAL_IDENTITY_FOR)?,
                };
                if !checked {
                    return Err(ApiError::new(Code::FaceVerificationRequired));
                }
                let a = attempt::create(conn, new)?;
                // Random face checks, for candidates who started on their face.
                if verification.is_some() {
                    let mut check_seed = [0u8; 32];
                    rand::rngs::OsRng.fill_bytes(&mut check_seed);
                    let secs = (a.deadline - a.started_at).num_seconds();
                    let moments: Vec<_> = exam::proctoring::check_offsets(check_seed, secs, plan.face_checks)
                        .into_iter()
                        .map(|s| a.started_at + chrono::Duration::seconds(s))
                        .collect();
                    models::face_check::schedule(conn, &a.id, &moments)?;
                }
                Ok(attempt::get(conn, &a.id)?)
            });
            match written {
                Ok(a) => Ok((true, paper(conn, &a, &plan, steps)?)),
                // Another device of this worker started at the same moment (the attempt is
                // unique per plan and worker): resume that attempt.
                Err(e) => match attempt::find(conn, &plan.id, &worker.id)? {
                    Some(a) => Ok((false, paper(conn, &a, &plan, steps)?)),
                    None => Err(e),
                },
            }
        })
        .await?;
    remember(&state.papers, &view);
    if created {
        tracing::info!(attempt = %view.id, questions = view.question_count, "attempt started");
        Ok(HttpResponse::Created().json(view))
    } else {
        Ok(HttpResponse::Ok().json(view))
    }
}
