//! The proctor's actions. Each is recorded with who, when and why (`proctor_actions`),
//! in the same transaction as what it changes.

use actix_web::web;
use chrono::{DateTime, Utc};
use exam::proctoring::{self as rules, Reason, Resolution};
use models::attempt::{self, Attempt, Extension};
use models::plan::Plan;
use models::proctoring::{self, Action, AssignError, ExamSession, NewAction};
use models::{AttemptId, DbConn, FlagId, WorkerId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{roster, watched_session, ExamSessionResponse, SessionCandidateResponse};
use crate::auth::{AnyPrincipal, Principal};
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::routes::exam_plans::managed_plan;
use crate::state::AppState;

/// A recorded proctor action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProctorActionResponse {
    pub id: String,
    /// identity_confirmed, moved, cheating, extra_time or flag_resolved.
    pub action: String,
    pub worker_id: String,
    pub attempt_id: Option<String>,
    pub session_id: Option<String>,
    pub reason: String,
    /// What the action changed.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub actor_account_id: String,
    pub at: DateTime<Utc>,
}

impl From<Action> for ProctorActionResponse {
    fn from(a: Action) -> Self {
        ProctorActionResponse {
            id: a.id,
            action: a.action,
            worker_id: a.worker_id.to_string(),
            attempt_id: a.attempt_id.map(|x| x.to_string()),
            session_id: a.session_id.map(|x| x.to_string()),
            reason: a.reason,
            details: serde_json::from_str(&a.details).unwrap_or(serde_json::Value::Null),
            actor_account_id: a.actor_account_id.to_string(),
            at: a.at.and_utc(),
        }
    }
}

fn reason(raw: &str) -> Result<Reason, ApiError> {
    Reason::parse(raw).map_err(|e| ApiError::invalid("reason", e))
}

/// A candidate seated in a session the caller watches; 404 for anyone not seated there.
fn seated(
    conn: &mut DbConn,
    me: &AnyPrincipal,
    session: &str,
    worker: &str,
) -> Result<(ExamSession, Plan, WorkerId), ApiError> {
    let (session, plan, _) = watched_session(conn, me, session)?;
    let worker = WorkerId::parse(worker).ok_or_else(ApiError::not_found)?;
    if proctoring::session_of(conn, &plan.id, &worker)?.as_ref() != Some(&session.id) {
        return Err(ApiError::not_found());
    }
    Ok((session, plan, worker))
}

/// One candidate's entry in a session's list, as it stands now.
fn entry(conn: &mut DbConn, session: &ExamSession, worker: &WorkerId) -> Result<SessionCandidateResponse, ApiError> {
    roster(conn, session)?.into_iter().find(|c| c.worker_id == worker.as_str()).ok_or_else(ApiError::not_found)
}

/// An attempt the caller may act on as a proctor: the candidate sits in a session the
/// caller proctors, or the caller manages the plan.
fn attempt_in_reach(
    conn: &mut DbConn,
    me: &AnyPrincipal,
    id: &AttemptId,
) -> Result<(Attempt, Plan, Option<ExamSession>), ApiError> {
    let a = attempt::get(conn, id)?;
    match proctoring::session_of(conn, &a.plan_id, &a.worker_id)? {
        Some(session) => {
            let (session, plan, _) = watched_session(conn, me, session.as_str())?;
            Ok((a, plan, Some(session)))
        }
        None => {
            let plan = managed_plan(conn, me, a.plan_id.as_str())?;
            Ok((a, plan, None))
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmIdentityRequest {
    /// Why the face check is not used, and what was checked: e.g. "未同意人脸识别，核验居民身份证原件".
    pub reason: String,
}

/// The proctor checked the candidate's ID card on site (the path for workers without face
/// consent, or whose face check keeps failing): the candidate may start once, within 12
/// hours, without a face verification.
#[utoipa::path(post, path = "/api/v1/exam-sessions/{id}/candidates/{worker_id}/identity", operation_id = "confirmIdentityManually", tag = "proctoring",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Session id"), ("worker_id" = uuid::Uuid, Path, description = "The candidate's worker id")),
    request_body = ConfirmIdentityRequest,
    responses((status = 200, body = SessionCandidateResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already_started", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn confirm_identity_manually(
    state: web::Data<AppState>,
    me: Principal,
    path: web::Path<(String, String)>,
    body: Json<ConfirmIdentityRequest>,
) -> Result<web::Json<SessionCandidateResponse>, ApiError> {
    let (session, worker) = path.into_inner();
    let why = body.0.reason;
    let view = state
        .db(move |conn, _| {
            let (session, plan, worker) = seated(conn, &me, &session, &worker)?;
            let why = reason(&why)?;
            models::db::write_transaction(conn, |conn| {
                if attempt::find(conn, &plan.id, &worker)?.is_some() {
                    return Err(ApiError::new(Code::AlreadyStarted));
                }
                proctoring::confirm_identity(conn, &plan.id, &worker, &me.account_id)?;
                proctoring::record_action(
                    conn,
                    NewAction {
                        plan: &plan.id,
                        session: Some(&session.id),
                        worker: &worker,
                        attempt: None,
                        action: "identity_confirmed",
                        reason: why.as_str(),
                        details: &json!({"method": "id_card"}),
                        actor: &me.account_id,
                    },
                )?;
                Ok(())
            })?;
            entry(conn, &session, &worker)
        })
        .await?;
    tracing::info!(worker = %view.worker_id, "identity confirmed by a proctor");
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveCandidateRequest {
    /// Another session of the same plan.
    pub to_session_id: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MoveCandidateResult {
    pub from: ExamSessionResponse,
    pub to: ExamSessionResponse,
    pub action: ProctorActionResponse,
}

/// Move a candidate to another session of the same plan (a seat there is needed). The
/// caller must watch both sessions.
#[utoipa::path(post, path = "/api/v1/exam-sessions/{id}/candidates/{worker_id}/move", operation_id = "moveSessionCandidate", tag = "proctoring",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Session id"), ("worker_id" = uuid::Uuid, Path, description = "The candidate's worker id")),
    request_body = MoveCandidateRequest,
    responses((status = 200, body = MoveCandidateResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "session_full", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn move_session_candidate(
    state: web::Data<AppState>,
    me: Principal,
    path: web::Path<(String, String)>,
    body: Json<MoveCandidateRequest>,
) -> Result<web::Json<MoveCandidateResult>, ApiError> {
    let (session, worker) = path.into_inner();
    let MoveCandidateRequest { to_session_id, reason: why } = body.0;
    let result = state
        .db(move |conn, _| {
            let (from, plan, worker) = seated(conn, &me, &session, &worker)?;
            let why = reason(&why)?;
            let (to, to_plan, _) = watched_session(conn, &me, &to_session_id).map_err(|e| e.field("to_session_id"))?;
            if to_plan.id != plan.id || to.id == from.id {
                return Err(ApiError::new(Code::ValidationFailed)
                    .field("to_session_id")
                    .text("须为同一考试的另一场次", "must be another session of the same exam"));
            }
            let action = models::db::write_transaction(conn, |conn| {
                match proctoring::assign(conn, &to, std::slice::from_ref(&worker))? {
                    Ok(_) => {}
                    Err(AssignError::Full { capacity, .. }) => {
                        return Err(ApiError::new(Code::SessionFull).field("to_session_id").text(
                            format!("目标场次 {capacity} 个座位已满"),
                            format!("the target session's {capacity} seats are taken"),
                        ))
                    }
                    Err(AssignError::NotCandidates(_)) => return Err(ApiError::not_found()),
                }
                let attempt = attempt::find(conn, &plan.id, &worker)?.map(|a| a.id);
                Ok(proctoring::record_action(
                    conn,
                    NewAction {
                        plan: &plan.id,
                        session: Some(&from.id),
                        worker: &worker,
                        attempt: attempt.as_ref(),
                        action: "moved",
                        reason: why.as_str(),
                        details: &json!({"from_session_id": from.id, "to_session_id": to.id}),
                        actor: &me.account_id,
                    },
                )?)
            })?;
            Ok(MoveCandidateResult {
                from: proctoring::session(conn, &from.id)?.into(),
                to: proctoring::session(conn, &to.id)?.into(),
                action: action.into(),
            })
        })
        .await?;
    Ok(web::Json(result))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkCheatingRequest {
    /// What was seen: e.g. "考试中由他人代答，经核对身份证确认".
    pub reason: String,
}

/// Mark cheating (作弊): the attempt is voided — finished if it was not, its score removed,
/// failed — and shows 作弊 wherever a score would show. The answers stay, as evidence.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/cheating", operation_id = "markCheating", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Attempt id")),
    request_body = MarkCheatingRequest,
    responses((status = 200, body = ProctorActionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "attempt_voided", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn mark_cheating(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<MarkCheatingRequest>,
) -> Result<web::Json<ProctorActionResponse>, ApiError> {
    let why = body.0.reason;
    let action = state
        .db(move |conn, cipher| {
            let id = AttemptId::parse(&id).ok_or_else(ApiError::not_found)?;
            let (a, plan, session) = attempt_in_reach(conn, &me, &id)?;
            let why = reason(&why)?;
            models::db::write_transaction(conn, |conn| {
                let Some(before) = attempt::void(conn, cipher, &a.id, models::now())? else {
                    return Err(ApiError::new(Code::AttemptVoided));
                };
                Ok(proctoring::record_action(
                    conn,
                    NewAction {
                        plan: &plan.id,
                        session: session.as_ref().map(|s| &s.id),
                        worker: &a.worker_id,
                        attempt: Some(&a.id),
                        action: "cheating",
                        reason: why.as_str(),
                        details: &json!({
                            "was_finished": before.was_finished,
                            "score_before": before.score,
                            "passed_before": before.passed,
                        }),
                        actor: &me.account_id,
                    },
                )?)
            })
        })
        .await?;
    tracing::warn!(attempt = ?action.attempt_id, "attempt voided for cheating");
    Ok(web::Json(action.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantExtraTimeRequest {
    /// 1 to 30; at most 30 minutes in all per attempt, and never past the exam window.
    pub minutes: i32,
    /// The device failure, as documented: e.g. "手机死机重启，耗时约 6 分钟".
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtraTimeResult {
    pub deadline: DateTime<Utc>,
    /// Minutes granted so far, this grant included.
    pub extra_minutes: i32,
    pub remaining_seconds: i64,
    pub action: ProctorActionResponse,
}

/// Grant extra time for a documented device failure: the attempt's deadline moves later
/// (bounded: 30 minutes in all, never past the exam window's end).
#[utoipa::path(post, path = "/api/v1/attempts/{id}/extra-time", operation_id = "grantExtraTime", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Attempt id")),
    request_body = GrantExtraTimeRequest,
    responses((status = 200, body = ExtraTimeResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "attempt_closed", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "minutes out of bounds, or past the 30-minute total or the window", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn grant_extra_time(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<GrantExtraTimeRequest>,
) -> Result<web::Json<ExtraTimeResult>, ApiError> {
    let GrantExtraTimeRequest { minutes, reason: why } = body.0;
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    let result = state
        .db(move |conn, _| {
            let id = AttemptId::parse(&id).ok_or_else(ApiError::not_found)?;
            let (a, plan, session) = attempt_in_reach(conn, &me, &id)?;
            let why = reason(&why)?;
            let minutes = rules::check_extra_minutes(minutes).map_err(|e| ApiError::invalid("minutes", e))?;
            let now = models::now();
            models::db::write_transaction(conn, |conn| {
                let (deadline, total) = match attempt::extend(
                    conn,
                    &a.id,
                    minutes,
                    rules::MAX_EXTRA_MINUTES,
                    (now - grace, plan.window_end),
                )? {
                    Extension::Granted { deadline, total_minutes } => (deadline, total_minutes),
                    Extension::Closed => return Err(ApiError::new(Code::AttemptClosed)),
                    Extension::OverLimit { granted_before } => {
                        return Err(ApiError::new(Code::ValidationFailed).field("minutes").text(
                            format!("已延时 {granted_before} 分钟，每场考试合计最多 30 分钟"),
                            format!("{granted_before} minutes were granted already; 30 in all at most"),
                        ))
                    }
                    Extension::PastWindow { .. } => {
                        return Err(ApiError::new(Code::ValidationFailed).field("minutes").text(
                            "延时后将超过考试时间窗口的结束时间",
                            "the new deadline would be after the exam window's end",
                        ))
                    }
                };
                let action = proctoring::record_action(
                    conn,
                    NewAction {
                        plan: &plan.id,
                        session: session.as_ref().map(|s| &s.id),
                        worker: &a.worker_id,
                        attempt: Some(&a.id),
                        action: "extra_time",
                        reason: why.as_str(),
                        details: &json!({"minutes": minutes, "total_minutes": total,
                                         "deadline_before": a.deadline.and_utc(), "deadline": deadline.and_utc()}),
                        actor: &me.account_id,
                    },
                )?;
                Ok(ExtraTimeResult {
                    deadline: deadline.and_utc(),
                    extra_minutes: total,
                    remaining_seconds: (deadline - now).num_seconds().max(0),
                    action: action.into(),
                })
            })
        })
        .await?;
    Ok(web::Json(result))
}

/// A flag raised on an attempt, with its evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagResponse {
    pub id: String,
    pub attempt_id: String,
    pub kind: rules::FlagKind,
    /// Scores, thresholds and times.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolution: Option<Resolution>,
    pub note: Option<String>,
}

impl TryFrom<proctoring::Flag> for FlagResponse {
    type Error = ApiError;
    fn try_from(f: proctoring::Flag) -> Result<Self, ApiError> {
        let corrupt = || ApiError::internal(std::io::Error::other(format!("attempt_flags {}", f.id)));
        Ok(FlagResponse {
            kind: rules::FlagKind::parse(&f.kind).map_err(|_| corrupt())?,
            resolution: f.resolution.as_deref().map(Resolution::parse).transpose().map_err(|_| corrupt())?,
            id: f.id.to_string(),
            attempt_id: f.attempt_id.to_string(),
            evidence: serde_json::from_str(&f.evidence).unwrap_or(serde_json::Value::Null),
            created_at: f.created_at.and_utc(),
            resolved_at: f.resolved_at.map(|t| t.and_utc()),
            resolved_by: f.resolved_by.map(|x| x.to_string()),
            note: f.note,
        })
    }
}

/// One random face check of an attempt, as the proctor sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaceCheckRecord {
    pub id: String,
    pub due_at: DateTime<Utc>,
    /// When the app was told to capture a face.
    pub told_at: Option<DateTime<Utc>>,
    pub answer_by: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    /// passed, mismatch, missed or cancelled (the exam ended before it was asked); null
    /// while open.
    pub outcome: Option<String>,
    pub score: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOversight {
    pub attempt_id: String,
    pub worker_id: String,
    pub flags: Vec<FlagResponse>,
    pub face_checks: Vec<FaceCheckRecord>,
    /// Every proctor action on this candidate in this exam, oldest first.
    pub actions: Vec<ProctorActionResponse>,
}

/// What a proctor needs to decide about an attempt: its flags with their evidence, its
/// random face checks and every proctor action so far.
#[utoipa::path(get, path = "/api/v1/attempts/{id}/flags", operation_id = "listAttemptFlags", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Attempt id")),
    responses((status = 200, body = AttemptOversight), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_attempt_flags(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<AttemptOversight>, ApiError> {
    let view = state
        .db(move |conn, _| {
            let id = AttemptId::parse(&id).ok_or_else(ApiError::not_found)?;
            let (a, plan, _) = attempt_in_reach(conn, &me, &id)?;
            Ok(AttemptOversight {
                attempt_id: a.id.to_string(),
                worker_id: a.worker_id.to_string(),
                flags: proctoring::flags_of(conn, &a.id)?
                    .into_iter()
                    .map(FlagResponse::try_from)
                    .collect::<Result<_, _>>()?,
                face_checks: models::face_check::checks_of(conn, &a.id)?
                    .into_iter()
                    .map(|c| FaceCheckRecord {
                        id: c.id,
                        due_at: c.due_at.and_utc(),
                        told_at: c.notified_at.map(|t| t.and_utc()),
                        answer_by: c.answer_by.map(|t| t.and_utc()),
                        answered_at: c.answered_at.map(|t| t.and_utc()),
                        outcome: c.outcome,
                        score: c.score,
                    })
                    .collect(),
                actions: proctoring::actions(conn, &plan.id, &a.worker_id)?.into_iter().map(Into::into).collect(),
            })
        })
        .await?;
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveFlagRequest {
    /// `dismissed` (a false alarm) or `confirmed` (real: mark cheating separately if it is).
    pub resolution: Resolution,
    /// What the proctor found.
    pub reason: String,
}

/// Resolve a flag after looking into it; recorded with who, when and why.
#[utoipa::path(post, path = "/api/v1/attempt-flags/{id}/resolve", operation_id = "resolveFlag", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Flag id")),
    request_body = ResolveFlagRequest,
    responses((status = 200, body = FlagResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "flag_resolved", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn resolve_flag(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<ResolveFlagRequest>,
) -> Result<web::Json<FlagResponse>, ApiError> {
    let ResolveFlagRequest { resolution, reason: why } = body.0;
    let flag = state
        .db(move |conn, _| {
            let id = FlagId::parse(&id).ok_or_else(ApiError::not_found)?;
            let flag = proctoring::flag(conn, &id)?;
            let (a, plan, session) = attempt_in_reach(conn, &me, &flag.attempt_id)?;
            let why = reason(&why)?;
            models::db::write_transaction(conn, |conn| {
                if !proctoring::resolve_flag(conn, &flag.id, &me.account_id, resolution.as_str(), why.as_str())? {
                    return Err(ApiError::new(Code::FlagResolved));
                }
                proctoring::record_action(
                    conn,
                    NewAction {
                        plan: &plan.id,
                        session: session.as_ref().map(|s| &s.id),
                        worker: &a.worker_id,
                        attempt: Some(&a.id),
                        action: "flag_resolved",
                        reason: why.as_str(),
                        details: &json!({"flag_id": flag.id, "kind": flag.kind, "resolution": resolution.as_str()}),
                        actor: &me.account_id,
                    },
                )?;
                FlagResponse::try_from(proctoring::flag(conn, &flag.id)?)
            })
        })
        .await?;
    Ok(web::Json(flag))
}
