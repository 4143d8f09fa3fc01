//! Setting sessions up: seats, proctors and the candidates in each.

use actix_web::{web, HttpResponse};
use exam::Role;
use models::proctoring::{self, AssignError};
use models::{AccountId, WorkerId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{managed_session, ExamSessionResponse, SessionInput};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody, RowDetail};
use crate::extract::Json;
use crate::routes::exam_plans::{managed_plan, visible_plan};
use crate::state::AppState;

fn duration_of(plan: &models::plan::Plan) -> chrono::Duration {
    chrono::Duration::minutes(i64::from(plan.blueprint.duration_minutes))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamSessionList {
    pub items: Vec<ExamSessionResponse>,
}

/// The sessions of an exam plan, in order of start, with seats taken and proctors.
#[utoipa::path(get, path = "/api/v1/exam-plans/{id}/sessions", operation_id = "listExamSessions", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Plan id")),
    responses((status = 200, body = ExamSessionList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_exam_sessions(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<ExamSessionList>, ApiError> {
    let items = state
        .db(move |conn, _| {
            let plan = visible_plan(conn, &me, &id)?;
            Ok(proctoring::sessions_of_plan(conn, &plan.id)?)
        })
        .await?;
    Ok(web::Json(ExamSessionList { items: items.into_iter().map(Into::into).collect() }))
}

/// Add a session (场次) to an exam plan: a site, a time inside the plan's window, seats.
#[utoipa::path(post, path = "/api/v1/exam-plans/{id}/sessions", operation_id = "createExamSession", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Plan id")),
    request_body = SessionInput,
    responses((status = 201, body = ExamSessionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_exam_session(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<SessionInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    let created = state
        .db(move |conn, _| {
            let plan = managed_plan(conn, &me, &id)?;
            let fields = input.check((plan.window_start, plan.window_end), duration_of(&plan))?;
            let id = proctoring::create_session(conn, &plan.id, &fields)?;
            Ok(proctoring::session(conn, &id)?)
        })
        .await?;
    tracing::info!(session = %created.id, "exam session created");
    Ok(HttpResponse::Created().json(ExamSessionResponse::from(created)))
}

/// Change a session's site, time or seats (not below the candidates already assigned).
#[utoipa::path(put, path = "/api/v1/exam-sessions/{id}", operation_id = "updateExamSession", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body = SessionInput,
    responses((status = 200, body = ExamSessionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "session_full: fewer seats than candidates assigned", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn update_exam_session(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<SessionInput>,
) -> Result<web::Json<ExamSessionResponse>, ApiError> {
    let input = body.0;
    let updated = state
        .db(move |conn, _| {
            models::db::write_transaction(conn, |conn| {
                let (session, plan) = managed_session(conn, &me, &id)?;
                let fields = input.check((plan.window_start, plan.window_end), duration_of(&plan))?;
                if i64::from(fields.capacity) < session.assigned {
                    return Err(ApiError::new(Code::SessionFull).field("capacity").text(
                        format!("已安排 {} 名考生，座位数不能少于此数", session.assigned),
                        format!("{} candidates are assigned; seats cannot be fewer", session.assigned),
                    ));
                }
                proctoring::update_session(conn, &session.id, &fields)?;
                Ok(proctoring::session(conn, &session.id)?)
            })
        })
        .await?;
    Ok(web::Json(updated.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetProctorsRequest {
    /// Proctor accounts of the organizer or below it; replaces the session's proctors.
    pub account_ids: Vec<String>,
}

/// Set who proctors a session: proctor accounts (role `proctor`, active) of the plan's
/// organizer or an organization below it.
#[utoipa::path(put, path = "/api/v1/exam-sessions/{id}/proctors", operation_id = "setSessionProctors", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body = SetProctorsRequest,
    responses((status = 200, body = ExamSessionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "an account is not an active proctor under the organizer", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn set_session_proctors(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<SetProctorsRequest>,
) -> Result<web::Json<ExamSessionResponse>, ApiError> {
    let wanted = body.0.account_ids;
    if wanted.len() > 50 {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("account_ids")
            .text("最多 50 名监考员", "at most 50 proctors"));
    }
    let updated = state
        .db(move |conn, _| {
            let (session, plan) = managed_session(conn, &me, &id)?;
            let mut accounts: Vec<AccountId> = Vec::new();
            for raw in &wanted {
                let refuse = || {
                    ApiError::new(Code::ValidationFailed).field("account_ids").text(
                        "须为主办单位或其下级单位在用的监考员账号",
                        "must be an active proctor account of the organizer or below it",
                    )
                };
                let id = AccountId::parse(raw).ok_or_else(refuse)?;
                let account = match models::account::get_unscoped(conn, &id) {
                    Err(models::DbError::NotFound) => return Err(refuse()),
                    other => other?,
                };
                let path = models::organization::path_of(conn, &account.organization_id)?.unwrap_or_default();
                if account.role != Role::Proctor || !account.active || !path.starts_with(&plan.organizer_path) {
                    return Err(refuse());
                }
                if !accounts.contains(&id) {
                    accounts.push(id);
                }
            }
            models::db::write_transaction(conn, |conn| {
                proctoring::set_proctors(conn, &session.id, &accounts, &me.account_id)?;
                Ok(proctoring::session(conn, &session.id)?)
            })
        })
        .await?;
    Ok(web::Json(updated.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCandidatesRequest {
    /// Candidates of the plan to seat here (moved from another session of the plan if
    /// they were in one).
    #[serde(default)]
    pub worker_ids: Vec<String>,
    /// Also seat, in order, the plan's candidates who are in no session yet, as far as
    /// the seats go.
    #[serde(default)]
    pub fill_with_unassigned: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignCandidatesResult {
    pub session: ExamSessionResponse,
    /// How many candidates were seated by this call.
    pub assigned: usize,
}

/// Seat candidates of the plan in a session: named ones, and optionally those not yet in
/// any session, within its seats. All or nothing for named ones.
#[utoipa::path(post, path = "/api/v1/exam-sessions/{id}/candidates", operation_id = "assignSessionCandidates", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body = AssignCandidatesRequest,
    responses((status = 200, body = AssignCandidatesResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "session_full", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "a worker is not a candidate of the plan (listed in `errors`)", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn assign_session_candidates(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<AssignCandidatesRequest>,
) -> Result<web::Json<AssignCandidatesResult>, ApiError> {
    let AssignCandidatesRequest { worker_ids, fill_with_unassigned } = body.0;
    if worker_ids.len() > 10_000 {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("worker_ids")
            .text("一次最多 10000 人", "at most 10000 at a time"));
    }
    let mut named = Vec::with_capacity(worker_ids.len());
    for (n, raw) in worker_ids.iter().enumerate() {
        let id = WorkerId::parse(raw).ok_or_else(|| not_candidates(&[(n, raw.clone())]))?;
        if !named.contains(&id) {
            named.push(id);
        }
    }
    let (session, assigned) = state
        .db(move |conn, _| {
            models::db::write_transaction(conn, |conn| {
                let (session, _) = managed_session(conn, &me, &id)?;
                let mut wanted = named.clone();
                if fill_with_unassigned {
                    let free = usize::try_from(i64::from(session.fields.capacity) - session.assigned).unwrap_or(0);
                    let room = free.saturating_sub(named.len());
                    wanted.extend(
                        proctoring::unassigned(conn, &session.plan_id)?
                            .into_iter()
                            .filter(|w| !named.contains(w))
                            .take(room),
                    );
                }
                let n = match proctoring::assign(conn, &session, &wanted)? {
                    Ok(n) => n,
                    Err(AssignError::NotCandidates(missing)) => {
                        let rows: Vec<(usize, String)> = worker_ids
                            .iter()
                            .enumerate()
                            .filter(|(_, raw)| missing.iter().any(|m| m.as_str() == raw.as_str()))
                            .map(|(n, raw)| (n, raw.clone()))
                            .collect();
                        return Err(not_candidates(&rows));
                    }
                    Err(AssignError::Full { capacity, would_hold }) => {
                        return Err(ApiError::new(Code::SessionFull).text(
                            format!("座位 {capacity} 个，安排后将有 {would_hold} 人"),
                            format!("{capacity} seats; this would seat {would_hold}"),
                        ))
                    }
                };
                Ok((proctoring::session(conn, &session.id)?, n))
            })
        })
        .await?;
    tracing::info!(session = %session.id, assigned, "candidates seated");
    Ok(web::Json(AssignCandidatesResult { session: session.into(), assigned }))
}

fn not_candidates(rows: &[(usize, String)]) -> ApiError {
    let details = rows
        .iter()
        .map(|(n, _)| RowDetail {
            row: n + 1,
            column: "worker_ids".to_owned(),
            zh: "不是本场考试的考生".to_owned(),
            en: "is not a candidate of this exam".to_owned(),
        })
        .collect();
    ApiError::new(Code::ValidationFailed)
        .field("worker_ids")
        .text("所列人员中有不是本场考试考生的", "some of the workers are not candidates of this exam")
        .rows(details)
}

/// The sessions the calling proctor is assigned to, from today on, in order of start.
#[utoipa::path(get, path = "/api/v1/me/proctor-sessions", operation_id = "listMyProctorSessions", tag = "proctoring",
    security(("bearer" = [])),
    responses((status = 200, body = ExamSessionList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_my_proctor_sessions(
    state: web::Data<AppState>,
    me: Principal,
) -> Result<web::Json<ExamSessionList>, ApiError> {
    me.require(|r| r == Role::Proctor)?;
    let since = models::now() - chrono::Duration::hours(24);
    let items = state.db(move |conn, _| Ok(proctoring::sessions_of_proctor(conn, &me.account_id, since)?)).await?;
    Ok(web::Json(ExamSessionList { items: items.into_iter().map(Into::into).collect() }))
}
