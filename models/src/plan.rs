//! Exam plans, their banks and sessions, and their candidates.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::paper::Blueprint;
use exam::plan::{CandidateFilter, PlanKind};
use exam::WorkerRole;

use crate::schema::{
    attempts as a, exam_candidates as c, exam_plan_banks as pb, exam_plans as p, exam_sessions as s,
    organizations as o, workers as w,
};
use crate::{AccountId, BankId, DbConn, DbError, Jurisdiction, OrgId, Page, PageRequest, PlanId, WorkerId};

/// 考试点 and 场次.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub site_name: String,
    pub address: Option<String>,
    pub starts_at: NaiveDateTime,
    pub capacity: i32,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub id: PlanId,
    pub organizer_id: OrgId,
    pub organizer_name: String,
    pub organizer_path: String,
    pub kind: PlanKind,
    pub name: String,
    pub original_plan_id: Option<PlanId>,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    pub filter: CandidateFilter,
    pub blueprint: Blueprint,
    pub bank_ids: Vec<BankId>,
    pub sessions: Vec<Session>,
    pub absentees_recorded_at: Option<NaiveDateTime>,
    pub candidate_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A plan's content, for creating or replacing it.
#[derive(Debug, Clone)]
pub struct PlanContent {
    pub name: String,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    pub filter: CandidateFilter,
    pub blueprint: Blueprint,
    pub bank_ids: Vec<BankId>,
    pub sessions: Vec<Session>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = p)]
struct Row {
    id: String,
    organizer_id: String,
    kind: String,
    name: String,
    original_plan_id: Option<String>,
    window_start: NaiveDateTime,
    window_end: NaiveDateTime,
    candidate_filter: String,
    blueprint: String,
    absentees_recorded_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, DbError> {
    serde_json::to_string(value).map_err(|e| DbError::Corrupt(e.to_string()))
}

fn plan_of(conn: &mut DbConn, row: Row, organizer_name: String, organizer_path: String) -> Result<Plan, DbError> {
    let corrupt = |what: &str| DbError::Corrupt(format!("exam_plans.{what} {}", row.id));
    let bank_ids: Vec<String> =
        pb::table.filter(pb::plan_id.eq(&row.id)).order(pb::bank_id).select(pb::bank_id).load(conn)?;
    let sessions: Vec<(String, Option<String>, NaiveDateTime, i32)> = s::table
        .filter(s::plan_id.eq(&row.id))
        .order((s::starts_at, s::id))
        .select((s::site_name, s::address, s::starts_at, s::capacity))
        .load(conn)?;
    let candidate_count = c::table.filter(c::plan_id.eq(&row.id)).count().get_result(conn)?;
    Ok(Plan {
        kind: PlanKind::parse(&row.kind).map_err(|_| corrupt("kind"))?,
        filter: serde_json::from_str(&row.candidate_filter).map_err(|_| corrupt("candidate_filter"))?,
        blueprint: serde_json::from_str(&row.blueprint).map_err(|_| corrupt("blueprint"))?,
        id: PlanId::from_db(row.id),
        organizer_id: OrgId::from_db(row.organizer_id),
        organizer_name,
        organizer_path,
        name: row.name,
        original_plan_id: row.original_plan_id.map(PlanId::from_db),
        window_start: row.window_start,
        window_end: row.window_end,
        bank_ids: bank_ids.into_iter().map(BankId::from_db).collect(),
        sessions: sessions
            .into_iter()
            .map(|(site_name, address, starts_at, capacity)| Session { site_name, address, starts_at, capacity })
            .collect(),
        absentees_recorded_at: row.absentees_recorded_at,
        candidate_count,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn write_links(conn: &mut DbConn, id: &PlanId, content: &PlanContent) -> Result<(), DbError> {
    diesel::delete(pb::table.filter(pb::plan_id.eq(id.as_str()))).execute(conn)?;
    diesel::delete(s::table.filter(s::plan_id.eq(id.as_str()))).execute(conn)?;
    for bank in &content.bank_ids {
        diesel::insert_into(pb::table)
            .values((pb::plan_id.eq(id.as_str()), pb::bank_id.eq(bank.as_str())))
            .execute(conn)?;
    }
    for x in &content.sessions {
        diesel::insert_into(s::table)
            .values((
                s::id.eq(uuid::Uuid::now_v7().to_string()),
                s::plan_id.eq(id.as_str()),
                s::site_name.eq(&x.site_name),
                s::address.eq(&x.address),
                s::starts_at.eq(x.starts_at),
                s::capacity.eq(x.capacity),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn create(
    conn: &mut DbConn,
    organizer: &OrgId,
    kind: PlanKind,
    original: Option<&PlanId>,
    content: &PlanContent,
    by: &AccountId,
) -> Result<Plan, DbError> {
    let id = PlanId::new();
    let now = crate::now();
    diesel::insert_into(p::table)
        .values((
            p::id.eq(id.as_str()),
            p::organizer_id.eq(organizer.as_str()),
            p::kind.eq(kind.as_str()),
            p::name.eq(&content.name),
            p::original_plan_id.eq(original.map(PlanId::as_str)),
            p::window_start.eq(content.window_start),
            p::window_end.eq(content.window_end),
            p::candidate_filter.eq(json(&content.filter)?),
            p::blueprint.eq(json(&content.blueprint)?),
            p::created_by.eq(by.as_str()),
            p::created_at.eq(now),
            p::updated_at.eq(now),
        ))
        .execute(conn)?;
    write_links(conn, &id, content)?;
    get(conn, &id)
}

/// Replaces a plan's content (its kind, organizer and original stay).
pub fn replace(conn: &mut DbConn, id: &PlanId, content: &PlanContent) -> Result<Plan, DbError> {
    diesel::update(p::table.find(id.as_str()))
        .set((
            p::name.eq(&content.name),
            p::window_start.eq(content.window_start),
            p::window_end.eq(content.window_end),
            p::candidate_filter.eq(json(&content.filter)?),
            p::blueprint.eq(json(&content.blueprint)?),
            p::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    write_links(conn, id, content)?;
    get(conn, id)
}

/// A plan regardless of jurisdiction: callers check the organizer's path or candidacy.
pub fn get(conn: &mut DbConn, id: &PlanId) -> Result<Plan, DbError> {
    let (row, name, path): (Row, String, String) = p::table
        .inner_join(o::table)
        .filter(p::id.eq(id.as_str()))
        .select((Row::as_select(), o::name, o::path))
        .first(conn)?;
    plan_of(conn, row, name, path)
}

/// The plans a caller can see: organized in its subtree, or by an organization above it
/// (a county's exam is visible to the enterprises below).
pub fn list(
    conn: &mut DbConn,
    scope: &Jurisdiction,
    kind: Option<PlanKind>,
    page: &PageRequest,
) -> Result<Page<Plan>, DbError> {
    let mut q = p::table
        .inner_join(o::table)
        .filter(o::path.like(scope.like_pattern()).or(o::id.eq_any(scope.ancestor_ids())))
        .select((Row::as_select(), o::name, o::path))
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(p::kind.eq(k.as_str()));
    }
    if let Some(after) = &page.after {
        q = q.filter(p::id.gt(after.id().to_owned()));
    }
    let rows: Vec<(Row, String, String)> = q.order(p::id).limit(page.limit + 1).load(conn)?;
    let plans = rows.into_iter().map(|(r, n, pa)| plan_of(conn, r, n, pa)).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(plans, page.limit, |x| x.id.as_str()))
}

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
pub fn add_candidates(
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
pub fn remove_candidates(conn: &mut DbConn, plan: &PlanId, workers: &[WorkerId]) -> Result<usize, DbError> {
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
    pub attempt_id: Option<String>,
    pub score: Option<i32>,
    pub passed: Option<bool>,
    /// 初考分数 and 补考分数: the original exam's and the makeup's score.
    pub first_score: Option<i32>,
    pub makeup_score: Option<i32>,
}

type AttemptScore = (String, String, String, String, Option<i32>, Option<bool>);

/// The candidates of a plan that lie inside `scope`, with their attempts and scores.
pub fn candidates(
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
        .select((a::id, a::plan_id, a::worker_id, a::status, a::score, a::passed))
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
    Ok(c::table.find((plan.as_str(), worker.as_str())).select(c::absent).first(conn).optional()?)
}

/// The plans a worker is a candidate of, newest first.
pub fn plans_of_worker(conn: &mut DbConn, worker: &WorkerId) -> Result<Vec<(Plan, bool)>, DbError> {
    let rows: Vec<(Row, String, String, bool)> = p::table
        .inner_join(o::table)
        .inner_join(c::table)
        .filter(c::worker_id.eq(worker.as_str()))
        .order(p::window_start.desc())
        .select((Row::as_select(), o::name, o::path, c::absent))
        .load(conn)?;
    rows.into_iter().map(|(r, n, pa, absent)| Ok((plan_of(conn, r, n, pa)?, absent))).collect()
}

/// Records 缺考 for every candidate without an attempt in plans whose window closed before
/// `now`, once per plan. Returns how many candidates were recorded absent.
pub fn record_absentees(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, DbError> {
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
            Ok(diesel::update(c::table.filter(c::plan_id.eq(&plan)).filter(c::worker_id.ne_all(started)))
                .set(c::absent.eq(true))
                .execute(conn)?)
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

/// Whether any candidate has started the plan.
pub fn has_attempts(conn: &mut DbConn, plan: &PlanId) -> Result<bool, DbError> {
    let n: i64 = a::table.filter(a::plan_id.eq(plan.as_str())).count().get_result(conn)?;
    Ok(n > 0)
}

/// The workers on a plan's list.
pub fn candidate_ids(conn: &mut DbConn, plan: &PlanId) -> Result<Vec<WorkerId>, DbError> {
    let ids: Vec<String> = c::table.filter(c::plan_id.eq(plan.as_str())).select(c::worker_id).load(conn)?;
    Ok(ids.into_iter().map(WorkerId::from_db).collect())
}

/// What taking an exam needs of its plan, in one query.
#[derive(Debug, Clone)]
pub struct Rules {
    pub id: PlanId,
    pub name: String,
    pub kind: PlanKind,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    pub blueprint: Blueprint,
}

pub fn rules(conn: &mut DbConn, id: &PlanId) -> Result<Rules, DbError> {
    let (name, kind, window_start, window_end, blueprint): (String, String, NaiveDateTime, NaiveDateTime, String) =
        p::table
            .find(id.as_str())
            .select((p::name, p::kind, p::window_start, p::window_end, p::blueprint))
            .first(conn)?;
    let corrupt = |what: &str| DbError::Corrupt(format!("exam_plans.{what} {id}"));
    Ok(Rules {
        id: id.clone(),
        name,
        kind: PlanKind::parse(&kind).map_err(|_| corrupt("kind"))?,
        window_start,
        window_end,
        blueprint: serde_json::from_str(&blueprint).map_err(|_| corrupt("blueprint"))?,
    })
}

/// The banks a plan draws from.
pub fn bank_ids(conn: &mut DbConn, plan: &PlanId) -> Result<Vec<BankId>, DbError> {
    let ids: Vec<String> =
        pb::table.filter(pb::plan_id.eq(plan.as_str())).order(pb::bank_id).select(pb::bank_id).load(conn)?;
    Ok(ids.into_iter().map(BankId::from_db).collect())
}
