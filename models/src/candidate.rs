//! A plan's candidates: generated from the registry, adjusted by hand, with their
//! attempts and scores (first and makeup), and recorded absent once the window closed.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::plan::CandidateFilter;
use exam::WorkerRole;

use crate::plan::Plan;
use crate::schema::{attempts as a, exam_candidates as c, exam_plans as p, organizations as o, workers as w};
use crate::{AccountId, DbConn, DbError, Jurisdiction, OrgId, Page, PageRequest, PlanId, WorkerId};

/// Registered, active workers of the organizer's subtree that the filter admits.
pub fn eligible(
    conn: &mut DbConn,
    organizer_path: &str,
    filter: &CandidateFilter,
) -> Result<Vec<(WorkerId, OrgId, WorkerRole)>, DbError> {
    let roles: Vec<&str> = filter.roles_admitted().iter().map(|r| r.as_str()).collect();
    let mut q = w::table
        .inner_join(o::table)
        .filter(o::path.like(format!("{organizer_path}%")))
        .filter(w::status.eq("registered"))
        .filter(w::active.eq(true))
        .filter(w::role.eq_any(roles))
        .into_boxed();
    if !filter.industries.is_empty() {
        q = q.filter(o::industry.eq_any(filter.industries.iter().map(|i| i.as_str()).collect::<Vec<_>>()));
    }
    if let Some(size) = filter.size_class {
        q = q.filter(o::size_class.eq(size.as_str()));
    }
    let within: Vec<String> = if filter.within.is_empty() {
        Vec::new()
    } else {
        o::table.filter(o::id.eq_any(&filter.within)).select(o::path).load(conn)?
    };
    let rows: Vec<(String, String, String, String)> =
        q.select((w::id, w::organization_id, w::role, o::path)).order(w::id).load(conn)?;
    rows.into_iter()
        .filter(|(_, _, _, path)| filter.within.is_empty() || within.iter().any(|w| path.starts_with(w.as_str())))
        .map(|(id, org, role, _)| {
            let role = WorkerRole::parse(&role).map_err(|_| DbError::Corrupt(format!("workers.role {id}")))?;
            Ok((WorkerId::from_db(id), OrgId::from_db(org), role))
        })
        .collect()
}

/// Adds candidates (those already on the plan are skipped); how many were added.
pub fn add(
    conn: &mut DbConn,
    plan: &PlanId,
    workers: &[(WorkerId, OrgId, WorkerRole)],
    by: Option<&AccountId>,
) -> Result<usize, DbError> {
    let existing: HashSet<String> =
        c::table.filter(c::plan_id.eq(plan.as_str())).select(c::worker_id).load::<String>(conn)?.into_iter().collect();
    let now = crate::now();
    let mut added = 0;
    for (worker, org, role) in workers.iter().filter(|(wk, _, _)| !existing.contains(wk.as_str())) {
        diesel::insert_into(c::table)
            .values((
                c::plan_id.eq(plan.as_str()),
                c::worker_id.eq(worker.as_str()),
                c::organization_id.eq(org.as_str()),
                c::role.eq(role.as_str()),
                c::absent.eq(false),
                c::added_by.eq(by.map(AccountId::as_str)),
                c::added_at.eq(now),
            ))
            .execute(conn)?;
        added += 1;
    }
    Ok(added)
}

/// Removes candidates that have not started; how many were removed.
pub fn remove(conn: &mut DbConn, plan: &PlanId, workers: &[WorkerId]) -> Result<usize, DbError> {
    let started: HashSet<String> =
        a::table.filter(a::plan_id.eq(plan.as_str())).select(a::worker_id).load::<String>(conn)?.into_iter().collect();
    let ids: Vec<&str> = workers.iter().map(WorkerId::as_str).filter(|id| !started.contains(*id)).collect();
    Ok(diesel::delete(c::table.filter(c::plan_id.eq(plan.as_str())).filter(c::worker_id.eq_any(ids))).execute(conn)?)
}

/// A candidate's line: who, and how the exam went.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub worker_id: WorkerId,
    pub name: String,
    pub organization_id: OrgId,
    pub organization_name: String,
    pub role: WorkerRole,
    pub absent: bool,
    /// in_progress | finished, when an attempt exists.
    pub attempt_status: Option<String>,
    /// submitted | time_up | cheating, once finished.
    pub finish_reason: Option<String>,
    pub attempt_id: Option<String>,
    pub score: Option<i32>,
    pub passed: Option<bool>,
    /// 初考分数 and 补考分数: the original exam's and the makeup's score.
    pub first_score: Option<i32>,
    pub makeup_score: Option<i32>,
}

type AttemptScore = (String, String, String, String, Option<i32>, Option<bool>, Option<String>);

/// The candidates of a plan that lie inside `scope`, with their attempts and scores.
pub fn list(
    conn: &mut DbConn,
    plan: &Plan,
    scope: &Jurisdiction,
    page: &PageRequest,
) -> Result<Page<Candidate>, DbError> {
    let mut q = c::table
        .inner_join(w::table)
        .inner_join(o::table)
        .filter(c::plan_id.eq(plan.id.as_str()))
        .filter(o::path.like(scope.like_pattern()))
        .select((c::worker_id, w::name, c::organization_id, o::name, c::role, c::absent))
        .into_boxed();
    if let Some(after) = &page.after {
        q = q.filter(c::worker_id.gt(after.id().to_owned()));
    }
    let rows: Vec<(String, String, String, String, String, bool)> =
        q.order(c::worker_id).limit(page.limit + 1).load(conn)?;
    let worker_ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    // The attempts of these workers in this plan, its original and its makeups.
    let makeups: Vec<String> = p::table.filter(p::original_plan_id.eq(plan.id.as_str())).select(p::id).load(conn)?;
    let mut related: Vec<String> = makeups.clone();
    related.push(plan.id.as_str().to_owned());
    if let Some(orig) = &plan.original_plan_id {
        related.push(orig.as_str().to_owned());
    }
    let attempts: Vec<AttemptScore> = a::table
        .filter(a::plan_id.eq_any(&related))
        .filter(a::worker_id.eq_any(&worker_ids))
        .order(a::started_at)
        .select((a::id, a::plan_id, a::worker_id, a::status, a::score, a::passed, a::finish_reason))
        .load(conn)?;
    let mut by_key: HashMap<(String, String), AttemptScore> = HashMap::new();
    let mut makeup_of: HashMap<String, AttemptScore> = HashMap::new();
    for att in attempts {
        if makeups.contains(&att.1) {
            makeup_of.insert(att.2.clone(), att.clone());
        }
        by_key.insert((att.1.clone(), att.2.clone()), att);
    }
    let mut items = Vec::with_capacity(rows.len());
    for (worker_id, name, org_id, org_name, role, absent) in rows {
        let own = by_key.get(&(plan.id.as_str().to_owned(), worker_id.clone()));
        let own_score = own.and_then(|x| x.4);
        let (first_score, makeup_score) = match &plan.original_plan_id {
            Some(orig) => (by_key.get(&(orig.as_str().to_owned(), worker_id.clone())).and_then(|x| x.4), own_score),
            None => (own_score, makeup_of.get(&worker_id).and_then(|x| x.4)),
        };
        items.push(Candidate {
            role: WorkerRole::parse(&role)
                .map_err(|_| DbError::Corrupt(format!("exam_candidates.role {worker_id}")))?,
            attempt_status: own.map(|x| x.3.clone()),
            finish_reason: own.and_then(|x| x.6.clone()),
            attempt_id: own.map(|x| x.0.clone()),
            score: own_score,
            passed: own.and_then(|x| x.5),
            worker_id: WorkerId::from_db(worker_id),
            name,
            organization_id: OrgId::from_db(org_id),
            organization_name: org_name,
            absent,
            first_score,
            makeup_score,
        });
    }
    Ok(Page::from_rows(items, page.limit, |x| x.worker_id.as_str()))
}

/// Whether the worker is a candidate of the plan (and was not recorded absent).
pub fn candidacy(conn: &mut DbConn, plan: &PlanId, worker: &WorkerId) -> Result<Option<bool>, DbError> {
    Ok(c::table.find((plan.as_str(), worker.as_str())).select(c::absent).get_result(conn).optional()?)
}

/// Records 缺考 for every candidate without an attempt in plans whose window closed before
/// `now`, once per plan, each with its `candidate.absent` event for the platform. Returns
/// how many candidates were recorded absent.
pub fn record_absentees(conn: &mut DbConn, cipher: &crate::Cipher, now: NaiveDateTime) -> Result<usize, DbError> {
    let closed: Vec<String> =
        p::table.filter(p::window_end.lt(now)).filter(p::absentees_recorded_at.is_null()).select(p::id).load(conn)?;
    let mut total = 0;
    for plan in closed {
        total += crate::db::write_transaction(conn, |conn| -> Result<usize, DbError> {
            let claimed = diesel::update(p::table.find(&plan).filter(p::absentees_recorded_at.is_null()))
                .set(p::absentees_recorded_at.eq(now))
                .execute(conn)?;
            if claimed == 0 {
                return Ok(0);
            }
            let started = a::table.filter(a::plan_id.eq(&plan)).select(a::worker_id);
            let n = diesel::update(c::table.filter(c::plan_id.eq(&plan)).filter(c::worker_id.ne_all(started)))
                .set(c::absent.eq(true))
                .execute(conn)?;
            // Absence is recorded here only, once per plan: the plan's absentees are these.
            let absent: Vec<String> = c::table
                .filter(c::plan_id.eq(&plan))
                .filter(c::absent.eq(true))
                .select(c::worker_id)
                .order(c::worker_id)
                .load(conn)?;
            let absent: Vec<WorkerId> = absent.into_iter().map(WorkerId::from_db).collect();
            crate::outbox::record_absentees(conn, cipher, &PlanId::from_db(plan.clone()), &absent)?;
            Ok(n)
        })?;
    }
    Ok(total)
}

/// The workers of a plan who failed or were absent: the makeup's candidates.
pub fn failed_or_absent(conn: &mut DbConn, plan: &PlanId) -> Result<Vec<(WorkerId, OrgId, WorkerRole)>, DbError> {
    type Line = (String, String, String, bool, Option<bool>, Option<String>);
    let rows: Vec<Line> = c::table
        .left_join(a::table.on(a::plan_id.eq(c::plan_id).and(a::worker_id.eq(c::worker_id))))
        .filter(c::plan_id.eq(plan.as_str()))
        .select((c::worker_id, c::organization_id, c::role, c::absent, a::passed.nullable(), a::status.nullable()))
        .load(conn)?;
    rows.into_iter()
        .filter(|(_, _, _, absent, passed, status)| {
            *absent || (status.as_deref() == Some("finished") && *passed == Some(false))
        })
        .map(|(id, org, role, ..)| {
            let role = WorkerRole::parse(&role).map_err(|_| DbError::Corrupt(format!("exam_candidates.role {id}")))?;
            Ok((WorkerId::from_db(id), OrgId::from_db(org), role))
        })
        .collect()
}

/// The workers on a plan's list.
pub fn ids(conn: &mut DbConn, plan: &PlanId) -> Result<Vec<WorkerId>, DbError> {
    let ids: Vec<String> = c::table.filter(c::plan_id.eq(plan.as_str())).select(c::worker_id).load(conn)?;
    Ok(ids.into_iter().map(WorkerId::from_db).collect())
}

/// One exam a worker was listed for, with how it came out, for the worker's archive.
#[derive(Debug, Clone)]
pub struct ExamRecord {
    pub plan_id: PlanId,
    pub plan_name: String,
    pub kind: String,
    /// A makeup's first exam.
    pub original_plan_id: Option<PlanId>,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    /// When the finished attempt started.
    pub sat_at: Option<NaiveDateTime>,
    /// passed | failed | cheating; none while not sat.
    pub result: Option<String>,
    pub score: Option<i32>,
    /// 缺考, recorded once the window closed.
    pub absent: bool,
}

/// Every exam a worker was listed for, by opening.
pub fn of_worker(conn: &mut DbConn, worker: &WorkerId) -> Result<Vec<ExamRecord>, DbError> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<String>,
        Option<i32>,
        bool,
    );
    let rows: Vec<Row> = c::table
        .inner_join(p::table)
        .filter(c::worker_id.eq(worker.as_str()))
        .order((p::window_start, p::id))
        .select((
            p::id,
            p::name,
            p::kind,
            p::original_plan_id,
            p::window_start,
            p::window_end,
            c::sat_at,
            c::result,
            c::score,
            c::absent,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, plan_name, kind, original, window_start, window_end, sat_at, result, score, absent)| ExamRecord {
            plan_id: PlanId::from_db(id),
            plan_name,
            kind,
            original_plan_id: original.map(PlanId::from_db),
            window_start,
            window_end,
            sat_at,
            result,
            score,
            absent,
        })
        .collect())
}

/// Whether a worker is listed for an exam whose window is open at `now`, or has an attempt
/// still running: the answer keys of the banks are then kept from them (no practice).
pub fn exam_open_for(conn: &mut DbConn, worker: &WorkerId, now: NaiveDateTime) -> Result<bool, DbError> {
    let listed: i64 = c::table
        .inner_join(p::table)
        .filter(c::worker_id.eq(worker.as_str()))
        .filter(p::window_start.le(now))
        .filter(p::window_end.gt(now))
        .count()
        .get_result(conn)?;
    if listed > 0 {
        return Ok(true);
    }
    let running: i64 = a::table
        .filter(a::worker_id.eq(worker.as_str()))
        .filter(a::status.eq("in_progress"))
        .count()
        .get_result(conn)?;
    Ok(running > 0)
}
