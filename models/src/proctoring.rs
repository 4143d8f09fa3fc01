//! Exam sessions (场次) with their proctors and assigned candidates, what a proctor sees of
//! each candidate, the flags raised on attempts and every proctor action.
//!
//! A session belongs to a plan; a candidate of the plan sits in at most one of its
//! sessions. Sessions are checked for jurisdiction through their plan by the caller.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::WorkerRole;

use crate::schema::{
    accounts as acc, attempt_flags as f, attempts as a, exam_candidates as c, exam_sessions as s,
    face_verifications as v, organizations as o, proctor_actions as pa, session_proctors as sp, workers as w,
};
use crate::{AccountId, AttemptId, DbConn, DbError, ExamSessionId, FlagId, OrgId, PlanId, WorkerId};

/// A session's place, time and seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFields {
    pub site_name: String,
    pub address: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub capacity: i32,
}

/// A proctor of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proctor {
    pub account_id: AccountId,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamSession {
    pub id: ExamSessionId,
    pub plan_id: PlanId,
    pub fields: SessionFields,
    /// Candidates assigned to it.
    pub assigned: i64,
    pub proctors: Vec<Proctor>,
}

type SessionRow = (String, String, String, Option<String>, NaiveDateTime, Option<NaiveDateTime>, i32);

fn session_columns() -> (s::id, s::plan_id, s::site_name, s::address, s::starts_at, s::ends_at, s::capacity) {
    (s::id, s::plan_id, s::site_name, s::address, s::starts_at, s::ends_at, s::capacity)
}

/// Completes session rows with their counts and proctors. A session stored without an end
/// (made before sessions had one) ends when its plan's paper would.
fn complete(conn: &mut DbConn, rows: Vec<SessionRow>) -> Result<Vec<ExamSession>, DbError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let durations = durations(conn, rows.iter().map(|r| r.1.as_str()).collect())?;
    let counts: Vec<(Option<String>, i64)> = c::table
        .filter(c::session_id.eq_any(&ids))
        .group_by(c::session_id)
        .select((c::session_id, diesel::dsl::count_star()))
        .load(conn)?;
    let counts: HashMap<String, i64> = counts.into_iter().filter_map(|(id, n)| Some((id?, n))).collect();
    let proctors: Vec<(String, String, String)> = sp::table
        .inner_join(acc::table)
        .filter(sp::session_id.eq_any(&ids))
        .order((sp::session_id, acc::display_name))
        .select((sp::session_id, acc::id, acc::display_name))
        .load(conn)?;
    let mut by_session: HashMap<String, Vec<Proctor>> = HashMap::new();
    for (session, account, name) in proctors {
        by_session
            .entry(session)
            .or_default()
            .push(Proctor { account_id: AccountId::from_db(account), display_name: name });
    }
    rows.into_iter()
        .map(|(id, plan, site_name, address, starts_at, ends_at, capacity)| {
            let duration =
                *durations.get(&plan).ok_or_else(|| DbError::Corrupt(format!("exam_sessions.plan_id {id}")))?;
            Ok(ExamSession {
                assigned: counts.get(&id).copied().unwrap_or(0),
                proctors: by_session.remove(&id).unwrap_or_default(),
                id: ExamSessionId::from_db(id),
                plan_id: PlanId::from_db(plan),
                fields: SessionFields {
                    site_name,
                    address,
                    ends_at: ends_at.unwrap_or(starts_at + duration),
                    starts_at,
                    capacity,
                },
            })
        })
        .collect()
}

/// The paper's duration of each of these plans, in one query.
fn durations(conn: &mut DbConn, plans: Vec<&str>) -> Result<HashMap<String, chrono::Duration>, DbError> {
    use crate::schema::exam_plans as p;
    let rows: Vec<(String, String)> = p::table.filter(p::id.eq_any(plans)).select((p::id, p::blueprint)).load(conn)?;
    rows.into_iter()
        .map(|(id, blueprint)| {
            let b: exam::paper::Blueprint =
                serde_json::from_str(&blueprint).map_err(|_| DbError::Corrupt(format!("exam_plans.blueprint {id}")))?;
            Ok((id, chrono::Duration::minutes(i64::from(b.duration_minutes))))
        })
        .collect()
}

/// A plan's sessions, in order of start.
pub fn sessions_of_plan(conn: &mut DbConn, plan: &PlanId) -> Result<Vec<ExamSession>, DbError> {
    let rows: Vec<SessionRow> = s::table
        .filter(s::plan_id.eq(plan.as_str()))
        .order((s::starts_at, s::id))
        .select(session_columns())
        .load(conn)?;
    complete(conn, rows)
}

/// One session, whatever its plan (callers check the plan's jurisdiction).
pub fn session(conn: &mut DbConn, id: &ExamSessionId) -> Result<ExamSession, DbError> {
    let row: SessionRow = s::table.find(id.as_str()).select(session_columns()).get_result(conn)?;
    complete(conn, vec![row])?.pop().ok_or(DbError::NotFound)
}

/// The sessions an account proctors, in order of start, starting from `since`.
pub fn sessions_of_proctor(
    conn: &mut DbConn,
    account: &AccountId,
    since: NaiveDateTime,
) -> Result<Vec<ExamSession>, DbError> {
    let rows: Vec<SessionRow> = s::table
        .inner_join(sp::table)
        .filter(sp::account_id.eq(account.as_str()))
        .filter(s::starts_at.ge(since).or(s::ends_at.ge(since)))
        .order((s::starts_at, s::id))
        .select(session_columns())
        .load(conn)?;
    complete(conn, rows)
}

pub fn create_session(conn: &mut DbConn, plan: &PlanId, x: &SessionFields) -> Result<ExamSessionId, DbError> {
    let id = ExamSessionId::new();
    diesel::insert_into(s::table)
        .values((
            s::id.eq(id.as_str()),
            s::plan_id.eq(plan.as_str()),
            s::site_name.eq(&x.site_name),
            s::address.eq(&x.address),
            s::starts_at.eq(x.starts_at),
            s::ends_at.eq(Some(x.ends_at)),
            s::capacity.eq(x.capacity),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn update_session(conn: &mut DbConn, id: &ExamSessionId, x: &SessionFields) -> Result<(), DbError> {
    diesel::update(s::table.find(id.as_str()))
        .set((
            s::site_name.eq(&x.site_name),
            s::address.eq(&x.address),
            s::starts_at.eq(x.starts_at),
            s::ends_at.eq(Some(x.ends_at)),
            s::capacity.eq(x.capacity),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether any of a plan's sessions has candidates or proctors.
pub fn sessions_in_use(conn: &mut DbConn, plan: &PlanId) -> Result<bool, DbError> {
    let ids = s::table.filter(s::plan_id.eq(plan.as_str())).select(s::id);
    let candidates: i64 = c::table.filter(c::session_id.eq_any(ids.nullable())).count().get_result(conn)?;
    let proctors: i64 = sp::table.filter(sp::session_id.eq_any(ids)).count().get_result(conn)?;
    Ok(candidates + proctors > 0)
}

/// Replaces a plan's sessions (only while none is in use: see [`sessions_in_use`]).
pub fn replace_sessions(conn: &mut DbConn, plan: &PlanId, sessions: &[SessionFields]) -> Result<(), DbError> {
    diesel::delete(s::table.filter(s::plan_id.eq(plan.as_str()))).execute(conn)?;
    for x in sessions {
        create_session(conn, plan, x)?;
    }
    Ok(())
}

/// Sets a session's proctors.
pub fn set_proctors(
    conn: &mut DbConn,
    session: &ExamSessionId,
    accounts: &[AccountId],
    by: &AccountId,
) -> Result<(), DbError> {
    diesel::delete(sp::table.filter(sp::session_id.eq(session.as_str()))).execute(conn)?;
    let now = crate::now();
    for account in accounts {
        diesel::insert_into(sp::table)
            .values((
                sp::session_id.eq(session.as_str()),
                sp::account_id.eq(account.as_str()),
                sp::assigned_by.eq(by.as_str()),
                sp::assigned_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn is_proctor_of(conn: &mut DbConn, session: &ExamSessionId, account: &AccountId) -> Result<bool, DbError> {
    let n: i64 = sp::table
        .filter(sp::session_id.eq(session.as_str()))
        .filter(sp::account_id.eq(account.as_str()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Why candidates could not be assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignError {
    /// These workers are not candidates of the session's plan.
    NotCandidates(Vec<WorkerId>),
    /// The session would hold more than its seats.
    Full { capacity: i32, would_hold: i64 },
}

/// Assigns candidates of the session's plan to it (moving them from another session of
/// the plan if they were in one), within its seats. All or nothing; run it in a write
/// transaction.
pub fn assign(
    conn: &mut DbConn,
    session: &ExamSession,
    workers: &[WorkerId],
) -> Result<Result<usize, AssignError>, DbError> {
    let ids: Vec<&str> = workers.iter().map(WorkerId::as_str).collect();
    let found: Vec<(String, Option<String>)> = c::table
        .filter(c::plan_id.eq(session.plan_id.as_str()))
        .filter(c::worker_id.eq_any(&ids))
        .select((c::worker_id, c::session_id))
        .load(conn)?;
    let missing: Vec<WorkerId> =
        workers.iter().filter(|x| !found.iter().any(|(id, _)| id == x.as_str())).cloned().collect();
    if !missing.is_empty() {
        return Ok(Err(AssignError::NotCandidates(missing)));
    }
    let already: i64 = c::table.filter(c::session_id.eq(session.id.as_str())).count().get_result(conn)?;
    let arriving = found.iter().filter(|(_, at)| at.as_deref() != Some(session.id.as_str())).count();
    let would_hold = already + i64::try_from(arriving).unwrap_or(i64::MAX);
    if would_hold > i64::from(session.fields.capacity) {
        return Ok(Err(AssignError::Full { capacity: session.fields.capacity, would_hold }));
    }
    let n = diesel::update(c::table.filter(c::plan_id.eq(session.plan_id.as_str())).filter(c::worker_id.eq_any(&ids)))
        .set(c::session_id.eq(session.id.as_str()))
        .execute(conn)?;
    Ok(Ok(n))
}

/// The candidates of a plan not yet in any session, in order of worker id.
pub fn unassigned(conn: &mut DbConn, plan: &PlanId) -> Result<Vec<WorkerId>, DbError> {
    let ids: Vec<String> = c::table
        .filter(c::plan_id.eq(plan.as_str()))
        .filter(c::session_id.is_null())
        .order(c::worker_id)
        .select(c::worker_id)
        .load(conn)?;
    Ok(ids.into_iter().map(WorkerId::from_db).collect())
}

/// The session a candidate sits in, if assigned.
pub fn session_of(conn: &mut DbConn, plan: &PlanId, worker: &WorkerId) -> Result<Option<ExamSessionId>, DbError> {
    let id: Option<Option<String>> =
        c::table.find((plan.as_str(), worker.as_str())).select(c::session_id).get_result(conn).optional()?;
    Ok(id.flatten().map(ExamSessionId::from_db))
}

/// The facts a proctor's view of one candidate is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCandidate {
    pub worker_id: WorkerId,
    pub name: String,
    pub organization_id: OrgId,
    pub organization_name: String,
    pub role: WorkerRole,
    pub absent: bool,
    /// When a proctor checked the ID card, if one did.
    pub manual_identity_at: Option<NaiveDateTime>,
    /// The latest successful face verification since the session's day began.
    pub face_verified_at: Option<NaiveDateTime>,
    pub attempt: Option<AttemptFacts>,
    pub open_flags: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttemptFacts {
    pub id: AttemptId,
    pub finished: bool,
    pub finish_reason: Option<String>,
    pub started_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub extra_minutes: i32,
    pub score: Option<i32>,
    pub passed: Option<bool>,
    pub identity_method: String,
}

type CandidateRow = (String, String, String, String, String, bool, Option<NaiveDateTime>);
type AttemptRow =
    (String, String, String, Option<String>, NaiveDateTime, NaiveDateTime, i32, Option<i32>, Option<bool>, String);

/// Every candidate of a session with what the proctor needs to tell their state.
/// `verified_since` bounds the face verifications that count as arrival.
pub fn session_candidates(
    conn: &mut DbConn,
    session: &ExamSession,
    verified_since: NaiveDateTime,
) -> Result<Vec<SessionCandidate>, DbError> {
    let rows: Vec<CandidateRow> = c::table
        .inner_join(w::table)
        .inner_join(o::table)
        .filter(c::session_id.eq(session.id.as_str()))
        .order((w::name, c::worker_id))
        .select((c::worker_id, w::name, c::organization_id, o::name, c::role, c::absent, c::manual_identity_at))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let attempts: Vec<AttemptRow> = a::table
        .filter(a::plan_id.eq(session.plan_id.as_str()))
        .filter(a::worker_id.eq_any(&ids))
        .select((
            a::id,
            a::worker_id,
            a::status,
            a::finish_reason,
            a::started_at,
            a::deadline,
            a::extra_minutes,
            a::score,
            a::passed,
            a::identity_method,
        ))
        .load(conn)?;
    let attempt_ids: Vec<&str> = attempts.iter().map(|x| x.0.as_str()).collect();
    let flags: Vec<(String, i64)> = f::table
        .filter(f::attempt_id.eq_any(&attempt_ids))
        .filter(f::resolved_at.is_null())
        .group_by(f::attempt_id)
        .select((f::attempt_id, diesel::dsl::count_star()))
        .load(conn)?;
    let flags: HashMap<String, i64> = flags.into_iter().collect();
    let verified: Vec<(String, Option<NaiveDateTime>)> = v::table
        .filter(v::worker_id.eq_any(&ids))
        .filter(v::created_at.ge(verified_since))
        .group_by(v::worker_id)
        .select((v::worker_id, diesel::dsl::max(v::created_at)))
        .load(conn)?;
    let verified: HashMap<String, NaiveDateTime> = verified.into_iter().filter_map(|(w, at)| Some((w, at?))).collect();
    let mut by_worker: HashMap<String, AttemptFacts> = HashMap::new();
    for (id, worker, status, finish_reason, started_at, deadline, extra_minutes, score, passed, identity_method) in
        attempts
    {
        by_worker.insert(
            worker,
            AttemptFacts {
                id: AttemptId::from_db(id),
                finished: status == "finished",
                finish_reason,
                started_at,
                deadline,
                extra_minutes,
                score,
                passed,
                identity_method,
            },
        );
    }
    rows.into_iter()
        .map(|(worker_id, name, org_id, org_name, role, absent, manual_identity_at)| {
            let attempt = by_worker.remove(&worker_id);
            let open_flags = attempt.as_ref().and_then(|x| flags.get(x.id.as_str()).copied()).unwrap_or(0);
            Ok(SessionCandidate {
                role: WorkerRole::parse(&role)
                    .map_err(|_| DbError::Corrupt(format!("exam_candidates.role {worker_id}")))?,
                face_verified_at: verified.get(&worker_id).copied(),
                worker_id: WorkerId::from_db(worker_id),
                name,
                organization_id: OrgId::from_db(org_id),
                organization_name: org_name,
                absent,
                manual_identity_at,
                attempt,
                open_flags,
            })
        })
        .collect()
}

/// Records that a proctor checked the candidate's ID card: good for one start without a
/// face check. False if the worker is not a candidate of the plan.
pub fn confirm_identity(conn: &mut DbConn, plan: &PlanId, worker: &WorkerId, by: &AccountId) -> Result<bool, DbError> {
    let n = diesel::update(c::table.find((plan.as_str(), worker.as_str())))
        .set((
            c::manual_identity_at.eq(Some(crate::now())),
            c::manual_identity_by.eq(Some(by.as_str())),
            c::manual_identity_used_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Uses up a proctor's identity check for a start, if there is an unused one no older than
/// `since`. True when one was used.
pub fn consume_manual_identity(
    conn: &mut DbConn,
    plan: &PlanId,
    worker: &WorkerId,
    since: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(
        c::table
            .find((plan.as_str(), worker.as_str()))
            .filter(c::manual_identity_at.ge(since))
            .filter(c::manual_identity_used_at.is_null()),
    )
    .set(c::manual_identity_used_at.eq(Some(crate::now())))
    .execute(conn)?;
    Ok(n == 1)
}

/// One proctor action, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub id: String,
    pub plan_id: PlanId,
    pub session_id: Option<ExamSessionId>,
    pub worker_id: WorkerId,
    pub attempt_id: Option<AttemptId>,
    pub action: String,
    pub reason: String,
    /// JSON.
    pub details: String,
    pub actor_account_id: AccountId,
    pub at: NaiveDateTime,
}

/// What to record of a proctor action.
#[derive(Debug, Clone, Copy)]
pub struct NewAction<'a> {
    pub plan: &'a PlanId,
    pub session: Option<&'a ExamSessionId>,
    pub worker: &'a WorkerId,
    pub attempt: Option<&'a AttemptId>,
    pub action: &'a str,
    pub reason: &'a str,
    pub details: &'a serde_json::Value,
    pub actor: &'a AccountId,
}

pub fn record_action(conn: &mut DbConn, x: NewAction<'_>) -> Result<Action, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    let at = crate::now();
    diesel::insert_into(pa::table)
        .values((
            pa::id.eq(&id),
            pa::plan_id.eq(x.plan.as_str()),
            pa::session_id.eq(x.session.map(ExamSessionId::as_str)),
            pa::worker_id.eq(x.worker.as_str()),
            pa::attempt_id.eq(x.attempt.map(AttemptId::as_str)),
            pa::action.eq(x.action),
            pa::reason.eq(x.reason),
            pa::details.eq(x.details.to_string()),
            pa::actor_account_id.eq(x.actor.as_str()),
            pa::at.eq(at),
        ))
        .execute(conn)?;
    Ok(Action {
        id,
        plan_id: x.plan.clone(),
        session_id: x.session.cloned(),
        worker_id: x.worker.clone(),
        attempt_id: x.attempt.cloned(),
        action: x.action.to_owned(),
        reason: x.reason.to_owned(),
        details: x.details.to_string(),
        actor_account_id: x.actor.clone(),
        at,
    })
}

type ActionRow =
    (String, String, Option<String>, String, Option<String>, String, String, String, String, NaiveDateTime);

/// A candidate's proctor actions in a plan, oldest first.
pub fn actions(conn: &mut DbConn, plan: &PlanId, worker: &WorkerId) -> Result<Vec<Action>, DbError> {
    let rows: Vec<ActionRow> = pa::table
        .filter(pa::plan_id.eq(plan.as_str()))
        .filter(pa::worker_id.eq(worker.as_str()))
        .order(pa::id)
        .select((
            pa::id,
            pa::plan_id,
            pa::session_id,
            pa::worker_id,
            pa::attempt_id,
            pa::action,
            pa::reason,
            pa::details,
            pa::actor_account_id,
            pa::at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, plan, session, worker, attempt, action, reason, details, actor, at)| Action {
            id,
            plan_id: PlanId::from_db(plan),
            session_id: session.map(ExamSessionId::from_db),
            worker_id: WorkerId::from_db(worker),
            attempt_id: attempt.map(AttemptId::from_db),
            action,
            reason,
            details,
            actor_account_id: AccountId::from_db(actor),
            at,
        })
        .collect())
}

/// A flag on an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub id: FlagId,
    pub attempt_id: AttemptId,
    pub kind: String,
    /// JSON.
    pub evidence: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<AccountId>,
    pub resolution: Option<String>,
    pub note: Option<String>,
}

type FlagRow = (
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn flag_of(r: FlagRow) -> Flag {
    let (id, attempt, kind, evidence, created_at, resolved_at, resolved_by, resolution, note) = r;
    Flag {
        id: FlagId::from_db(id),
        attempt_id: AttemptId::from_db(attempt),
        kind,
        evidence,
        created_at,
        resolved_at,
        resolved_by: resolved_by.map(AccountId::from_db),
        resolution,
        note,
    }
}

fn flag_columns(
) -> (f::id, f::attempt_id, f::kind, f::evidence, f::created_at, f::resolved_at, f::resolved_by, f::resolution, f::note)
{
    (f::id, f::attempt_id, f::kind, f::evidence, f::created_at, f::resolved_at, f::resolved_by, f::resolution, f::note)
}

/// Raises a flag on an attempt for the proctor.
pub fn raise_flag(
    conn: &mut DbConn,
    attempt: &AttemptId,
    kind: &str,
    evidence: &serde_json::Value,
) -> Result<FlagId, DbError> {
    let id = FlagId::new();
    diesel::insert_into(f::table)
        .values((
            f::id.eq(id.as_str()),
            f::attempt_id.eq(attempt.as_str()),
            f::kind.eq(kind),
            f::evidence.eq(evidence.to_string()),
            f::created_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn flag(conn: &mut DbConn, id: &FlagId) -> Result<Flag, DbError> {
    Ok(flag_of(f::table.find(id.as_str()).select(flag_columns()).get_result(conn)?))
}

/// An attempt's flags, oldest first.
pub fn flags_of(conn: &mut DbConn, attempt: &AttemptId) -> Result<Vec<Flag>, DbError> {
    let rows: Vec<FlagRow> =
        f::table.filter(f::attempt_id.eq(attempt.as_str())).order(f::id).select(flag_columns()).load(conn)?;
    Ok(rows.into_iter().map(flag_of).collect())
}

/// Resolves a flag that is still open; false if it was already resolved.
pub fn resolve_flag(
    conn: &mut DbConn,
    id: &FlagId,
    by: &AccountId,
    resolution: &str,
    note: &str,
) -> Result<bool, DbError> {
    let n = diesel::update(f::table.find(id.as_str()).filter(f::resolved_at.is_null()))
        .set((
            f::resolved_at.eq(Some(crate::now())),
            f::resolved_by.eq(Some(by.as_str())),
            f::resolution.eq(Some(resolution)),
            f::note.eq(Some(note)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
