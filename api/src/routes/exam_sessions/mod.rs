//! Exam sessions (场次) and the proctor's work in them: seats, proctors and candidates,
//! the live list of where every candidate stands (polled or pushed as server-sent events),
//! and the proctor's actions, each recorded with who, when and why.
//!
//! Who may do what: the plan's managers (the admins who may change the plan) set up
//! sessions, proctors and seats, and may do everything a proctor does; a proctor acts on
//! the sessions assigned to them. A session of a plan the caller cannot see does not exist
//! for them (404); one they can see but neither manage nor proctor is refused (403).

pub mod actions;
pub mod candidates;
pub mod events;
pub mod manage;
pub mod schedule;

use chrono::{DateTime, NaiveDateTime, Utc};
use exam::proctoring::{AttemptFacts, CandidateState, StateFacts};
use exam::{OrgName, Role, WorkerRole};
use models::plan::Plan;
use models::proctoring::{self, ExamSession, SessionCandidate, SessionFields};
use models::{DbConn, ExamSessionId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AnyPrincipal;
use crate::error::{ApiError, Code};
use crate::routes::exam_plans::manages;

/// 考试点 and 场次: where and when a group of candidates sits the exam.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    #[schema(example = "兰山区应急管理局考试中心")]
    pub site_name: String,
    pub address: Option<String>,
    pub starts_at: DateTime<Utc>,
    /// Defaults to the start plus the paper's duration (at the latest the window's end).
    pub ends_at: Option<DateTime<Utc>>,
    /// Seats.
    pub capacity: i32,
}

fn invalid(field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::new(Code::ValidationFailed).field(field).text(zh, en)
}

impl SessionInput {
    /// A session inside the plan's window `(start, end)`, lasting `duration` unless it says.
    pub fn check(
        self,
        (window_start, window_end): (NaiveDateTime, NaiveDateTime),
        duration: chrono::Duration,
    ) -> Result<SessionFields, ApiError> {
        let site_name =
            OrgName::parse(&self.site_name).map_err(|e| ApiError::invalid("sessions.site_name", e))?.into_inner();
        if !(1..=100_000).contains(&self.capacity) {
            return Err(invalid("sessions.capacity", "须在 1 到 100000 之间", "must be between 1 and 100000"));
        }
        let starts_at = self.starts_at.naive_utc();
        if starts_at < window_start || starts_at >= window_end {
            return Err(invalid("sessions.starts_at", "须在考试时间窗口内", "must fall inside the exam window"));
        }
        let ends_at = self.ends_at.map_or_else(|| (starts_at + duration).min(window_end), |e| e.naive_utc());
        if ends_at <= starts_at || ends_at > window_end {
            return Err(invalid(
                "sessions.ends_at",
                "须晚于场次开始时间，且不晚于考试时间窗口结束",
                "must be after the session's start and not after the exam window's end",
            ));
        }
        let address = self.address.map(|a| a.trim().chars().take(200).collect::<String>()).filter(|a| !a.is_empty());
        Ok(SessionFields { site_name, address, starts_at, ends_at, capacity: self.capacity })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProctorSummary {
    pub account_id: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamSessionResponse {
    pub id: String,
    pub plan_id: String,
    pub site_name: String,
    pub address: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Seats.
    pub capacity: i32,
    /// Candidates assigned.
    pub assigned: i64,
    pub proctors: Vec<ProctorSummary>,
}

impl From<ExamSession> for ExamSessionResponse {
    fn from(s: ExamSession) -> Self {
        ExamSessionResponse {
            id: s.id.to_string(),
            plan_id: s.plan_id.to_string(),
            site_name: s.fields.site_name,
            address: s.fields.address,
            starts_at: s.fields.starts_at.and_utc(),
            ends_at: s.fields.ends_at.and_utc(),
            capacity: s.fields.capacity,
            assigned: s.assigned,
            proctors: s
                .proctors
                .into_iter()
                .map(|p| ProctorSummary { account_id: p.account_id.to_string(), display_name: p.display_name })
                .collect(),
        }
    }
}

/// One candidate as the proctor sees them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionCandidateResponse {
    pub worker_id: String,
    pub name: String,
    pub organization_name: String,
    pub role: WorkerRole,
    pub state: CandidateState,
    /// 未到场, 已核验身份, 考试中, 待处理异常, 已交卷, 缺考, 作弊.
    pub state_label: String,
    /// How the identity was checked: `face`, `manual` (the proctor saw the ID card), or
    /// null before any check.
    pub identity: Option<String>,
    pub attempt_id: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub extra_minutes: i32,
    /// Out of 100 once finished; null while sitting, and for 缺考 and 作弊.
    pub score: Option<i32>,
    pub passed: Option<bool>,
    /// 缺考 or 作弊 where either applies, where a score would be.
    pub remark: Option<String>,
    /// Flags waiting for the proctor.
    pub open_flags: i64,
}

/// What a proctor's list shows of a candidate `now`.
pub fn candidate_view(c: SessionCandidate, session: &ExamSession, now: NaiveDateTime) -> SessionCandidateResponse {
    let attempt = c.attempt.as_ref();
    let voided = attempt.is_some_and(|a| a.finish_reason.as_deref() == Some(models::attempt::CHEATING));
    let state = CandidateState::of(StateFacts {
        recorded_absent: c.absent,
        session_over: now >= session.fields.ends_at,
        identity_checked: c.manual_identity_at.is_some() || c.face_verified_at.is_some(),
        attempt: attempt.map(|a| AttemptFacts { finished: a.finished, voided, open_flags: c.open_flags }),
    });
    let identity = match attempt {
        Some(a) => Some(a.identity_method.clone()),
        None if c.manual_identity_at.is_some() => Some("manual".to_owned()),
        None if c.face_verified_at.is_some() => Some("face".to_owned()),
        None => None,
    };
    let remark = match state {
        CandidateState::Absent | CandidateState::Cheating => Some(state.label_zh().to_owned()),
        _ => None,
    };
    SessionCandidateResponse {
        worker_id: c.worker_id.to_string(),
        name: c.name,
        organization_name: c.organization_name,
        role: c.role,
        state,
        state_label: state.label_zh().to_owned(),
        identity,
        attempt_id: attempt.map(|a| a.id.to_string()),
        deadline: attempt.map(|a| a.deadline.and_utc()),
        extra_minutes: attempt.map_or(0, |a| a.extra_minutes),
        score: attempt.filter(|a| a.finished && !voided).and_then(|a| a.score),
        passed: attempt.filter(|a| a.finished).and_then(|a| a.passed),
        remark,
        open_flags: c.open_flags,
    }
}

/// Every candidate of a session as the proctor sees them now.
pub fn roster(conn: &mut DbConn, session: &ExamSession) -> Result<Vec<SessionCandidateResponse>, ApiError> {
    let now = models::now();
    // A face verification on the session's day counts as arrival.
    let day_start = session.fields.starts_at - chrono::Duration::hours(12);
    Ok(proctoring::session_candidates(conn, session, day_start)?
        .into_iter()
        .map(|c| candidate_view(c, session, now))
        .collect())
}

/// What the caller may do in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    /// Assigned to the session as its proctor.
    Proctor,
    /// May change the session's plan: sets sessions up and does what a proctor does.
    Manager,
}

/// A session the caller proctors or manages, with its plan.
pub fn watched_session(conn: &mut DbConn, me: &AnyPrincipal, id: &str) -> Result<(ExamSession, Plan, Power), ApiError> {
    let id = ExamSessionId::parse(id).ok_or_else(ApiError::not_found)?;
    let session = proctoring::session(conn, &id)?;
    let plan = models::plan::get(conn, &session.plan_id)?;
    if me.role == Role::Proctor && proctoring::is_proctor_of(conn, &session.id, &me.account_id)? {
        return Ok((session, plan, Power::Proctor));
    }
    if !me.role.may_view_exams() || !me.scope().sees_shared(&plan.organizer_path) {
        return Err(ApiError::not_found());
    }
    if !manages(me, &plan) {
        return Err(ApiError::forbidden());
    }
    Ok((session, plan, Power::Manager))
}

/// A session whose set-up (seats, proctors, candidates) the caller may change.
pub fn managed_session(conn: &mut DbConn, me: &AnyPrincipal, id: &str) -> Result<(ExamSession, Plan), ApiError> {
    match watched_session(conn, me, id)? {
        (session, plan, Power::Manager) => Ok((session, plan)),
        (_, _, Power::Proctor) => Err(ApiError::forbidden()),
    }
}
