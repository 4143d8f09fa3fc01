use actix_web::web;
use chrono::{DateTime, Utc};
use exam::paper::Blueprint;
use exam::plan::{CandidateFilter, PlanKind};
use models::{candidate, plan};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{check_sources, managed_plan, ExamPlanResponse, Submitted};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::routes::exam_sessions::SessionInput;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateExamPlanRequest {
    pub name: Option<String>,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    /// A new filter regenerates the list: newly admitted workers are added, those no longer
    /// admitted are removed unless they have started.
    pub candidate_filter: Option<CandidateFilter>,
    pub blueprint: Option<Blueprint>,
    /// Random face checks per attempt during the exam (0 to 5); applies to attempts
    /// started afterwards.
    pub face_checks: Option<i32>,
    /// Whether the start needs a passed liveness challenge.
    pub liveness_at_start: Option<bool>,
    /// Whether the random face checks are liveness challenges; applies to checks told
    /// afterwards.
    pub liveness_in_checks: Option<bool>,
    pub bank_ids: Option<Vec<String>>,
    /// Replaces the sessions, while none has candidates or proctors assigned (then use the
    /// exam-session operations).
    pub sessions: Option<Vec<SessionInput>>,
    /// Generates the list again from the registry with the plan's filter (as a changed
    /// filter does): workers registered since are added, those no longer admitted (moved,
    /// left, role changed) are removed unless they have started.
    #[serde(default)]
    pub regenerate_candidates: bool,
}

/// Change an exam plan. Once a candidate has started, its blueprint, banks and candidate
/// filter are fixed (every candidate sits the same kind of paper).
#[utoipa::path(patch, path = "/api/v1/exam-plans/{id}", operation_id = "updateExamPlan", tag = "exams",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Plan id")),
    request_body = UpdateExamPlanRequest,
    responses(
        (status = 200, body = ExamPlanResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "plan_started or sessions_in_use", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "validation_failed or blueprint_unsatisfiable", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn update_exam_plan(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<UpdateExamPlanRequest>,
) -> Result<web::Json<ExamPlanResponse>, ApiError> {
    let b = body.0;
    let updated = state
        .db(move |conn, _| {
            let current = managed_plan(conn, &me, &id)?;
            let fixed_parts_change = b.blueprint.as_ref().is_some_and(|x| *x != current.blueprint)
                || b.bank_ids.is_some()
                || b.candidate_filter.as_ref().is_some_and(|f| *f != current.filter);
            if fixed_parts_change && plan::has_attempts(conn, &current.id)? {
                return Err(ApiError::new(Code::PlanStarted));
            }
            if current.kind == PlanKind::Makeup && b.candidate_filter.is_some() {
                return Err(ApiError::new(Code::ValidationFailed).field("candidate_filter").text(
                    "补考的考生是原考试不及格和缺考的人员，不按条件筛选",
                    "a makeup's candidates are its original's failed and absent candidates",
                ));
            }
            let regenerate = current.kind != PlanKind::Makeup
                && (b.regenerate_candidates || b.candidate_filter.as_ref().is_some_and(|f| *f != current.filter));
            let content = Submitted {
                name: b.name.unwrap_or_else(|| current.name.clone()),
                window_start: b.window_start.unwrap_or_else(|| current.window_start.and_utc()),
                window_end: b.window_end.unwrap_or_else(|| current.window_end.and_utc()),
                filter: b.candidate_filter.unwrap_or_else(|| current.filter.clone()),
                blueprint: b.blueprint.unwrap_or_else(|| current.blueprint.clone()),
                face_checks: b.face_checks.unwrap_or(current.face_checks),
                liveness_at_start: b.liveness_at_start.unwrap_or(current.liveness_at_start),
                liveness_in_checks: b.liveness_in_checks.unwrap_or(current.liveness_in_checks),
                bank_ids: b.bank_ids.unwrap_or_else(|| current.bank_ids.iter().map(ToString::to_string).collect()),
                sessions: b.sessions,
            }
            .check()?;
            let roles = (current.kind == PlanKind::Makeup)
                .then(|| candidate::failed_or_absent(conn, current.original_plan_id.as_ref()?).ok())
                .flatten()
                .map(|c| c.into_iter().map(|x| x.2).collect());
            check_sources(conn, &me, &current.organizer_path, &content, roles)?;
            if content.sessions.is_some() && models::proctoring::sessions_in_use(conn, &current.id)? {
                return Err(ApiError::new(Code::SessionsInUse).field("sessions"));
            }
            models::db::write_transaction(conn, |conn| {
                plan::replace(conn, &current.id, &content)?;
                if regenerate {
                    let eligible = candidate::eligible(conn, &current.organizer_path, &content.filter)?;
                    let gone: Vec<_> = candidate::ids(conn, &current.id)?
                        .into_iter()
                        .filter(|w| !eligible.iter().any(|e| e.0 == *w))
                        .collect();
                    candidate::remove(conn, &current.id, &gone)?;
                    candidate::add(conn, &current.id, &eligible, Some(&me.account_id))?;
                }
                Ok(plan::get(conn, &current.id)?)
            })
        })
        .await?;
    tracing::info!(plan = %updated.id, "exam plan updated");
    Ok(web::Json(updated.into()))
}
