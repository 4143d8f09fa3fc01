//! An organization's exam schedule (附件5 考试安排表): every session of the plans organized in
//! its subtree, the sessions of plans organized above it (the province's unified exam) that
//! seat at least one of its candidates, and the plans of its subtree that have no session
//! yet. A fixed handful of queries, whatever the number of sessions.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::paper::Blueprint;
use exam::plan::{CandidateFilter, PlanKind};

use crate::schema::{exam_candidates as c, exam_plans as p, exam_sessions as s, organizations as o};
use crate::{DbConn, DbError, ExamSessionId, Jurisdiction, PlanId};

/// What the schedule shows of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledPlan {
    pub id: PlanId,
    pub kind: PlanKind,
    pub name: String,
    pub organizer_name: String,
    pub filter: CandidateFilter,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
}

/// What the schedule shows of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledSession {
    pub id: ExamSessionId,
    pub site_name: String,
    pub address: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub capacity: i32,
    /// Candidates seated; for a plan organized above the subtree, only the subtree's.
    pub assigned: i64,
}

/// One line of the schedule: a session, or a plan without any.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleEntry {
    pub plan: ScheduledPlan,
    /// `None` for a plan that has no session at all.
    pub session: Option<ScheduledSession>,
}

impl ScheduleEntry {
    /// The session's start, or the plan's window's.
    pub fn starts_at(&self) -> NaiveDateTime {
        self.session.as_ref().map_or(self.plan.window_start, |x| x.starts_at)
    }

    /// The session's end, or the plan's window's.
    pub fn ends_at(&self) -> NaiveDateTime {
        self.session.as_ref().map_or(self.plan.window_end, |x| x.ends_at)
    }

    /// By start, then end, then the plan's name; ties kept apart by the session.
    fn order(&self) -> (NaiveDateTime, NaiveDateTime, &str, Option<&str>) {
        (self.starts_at(), self.ends_at(), &self.plan.name, self.session.as_ref().map(|x| x.id.as_str()))
    }
}

/// The times the schedule covers: what overlaps `[from, to)`, either end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

impl Span {
    fn overlaps(&self, start: NaiveDateTime, end: NaiveDateTime) -> bool {
        self.to.is_none_or(|to| start < to) && self.from.is_none_or(|from| end > from)
    }
}

type SessionRow = (String, String, String, Option<String>, NaiveDateTime, Option<NaiveDateTime>, i32);
type PlanRow = (String, String, String, NaiveDateTime, NaiveDateTime, String, String, String);

/// Whose sessions [`sessions`] reads.
#[derive(Debug, Clone, Copy)]
enum Whose<'a> {
    /// Those of the plans organized in the subtree.
    Subtree,
    /// Those named, of plans organized above the subtree.
    AboveNamed(&'a [String]),
}

/// Sessions starting before the span's end and not known to end before its start (one
/// stored without an end is ended by its plan's duration, by the caller).
fn sessions(conn: &mut DbConn, scope: &Jurisdiction, whose: Whose, span: Span) -> Result<Vec<SessionRow>, DbError> {
    let mut q = s::table
        .inner_join(p::table.inner_join(o::table))
        .select((s::id, s::plan_id, s::site_name, s::address, s::starts_at, s::ends_at, s::capacity))
        .into_boxed();
    q = match whose {
        Whose::Subtree => q.filter(o::path.like(scope.like_pattern())),
        Whose::AboveNamed(ids) => q
            .filter(o::id.eq_any(scope.ancestor_ids()))
            .filter(o::id.ne(scope.org_id().as_str()))
            .filter(s::id.eq_any(ids)),
    };
    if let Some(to) = span.to {
        q = q.filter(s::starts_at.lt(to));
    }
    if let Some(from) = span.from {
        q = q.filter(s::ends_at.gt(from).or(s::ends_at.is_null()));
    }
    Ok(q.load(conn)?)
}

/// How many candidates each of the named sessions seats.
fn seated(conn: &mut DbConn, ids: &[String]) -> Result<HashMap<String, i64>, DbError> {
    let counts: Vec<(String, i64)> = c::table
        .inner_join(s::table.on(c::session_id.eq(s::id.nullable())))
        .filter(s::id.eq_any(ids))
        .group_by(s::id)
        .select((s::id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// How many of the subtree's candidates each session of the span seats, for the sessions
/// that seat any, whoever organized them.
fn seated_from(conn: &mut DbConn, scope: &Jurisdiction, span: Span) -> Result<HashMap<String, i64>, DbError> {
    let mut q = c::table
        .inner_join(o::table)
        .inner_join(s::table.on(c::session_id.eq(s::id.nullable())))
        .filter(o::path.like(scope.like_pattern()))
        .group_by(s::id)
        .select((s::id, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(to) = span.to {
        q = q.filter(s::starts_at.lt(to));
    }
    if let Some(from) = span.from {
        q = q.filter(s::ends_at.gt(from).or(s::ends_at.is_null()));
    }
    let counts: Vec<(String, i64)> = q.load(conn)?;
    Ok(counts.into_iter().collect())
}

fn plan_of(row: PlanRow) -> Result<(ScheduledPlan, chrono::Duration), DbError> {
    let (id, kind, name, window_start, window_end, filter, blueprint, organizer_name) = row;
    let corrupt = |what: &str| DbError::Corrupt(format!("exam_plans.{what} {id}"));
    let blueprint: Blueprint = serde_json::from_str(&blueprint).map_err(|_| corrupt("blueprint"))?;
    let plan = ScheduledPlan {
        kind: PlanKind::parse(&kind).map_err(|_| corrupt("kind"))?,
        filter: serde_json::from_str(&filter).map_err(|_| corrupt("candidate_filter"))?,
        id: PlanId::from_db(id),
        name,
        organizer_name,
        window_start,
        window_end,
    };
    Ok((plan, chrono::Duration::minutes(i64::from(blueprint.duration_minutes))))
}

/// `scope`'s exam schedule over `span`, in order of start: every session of a plan
/// organized in the subtree; every session of a plan organized above it that seats one of
/// the subtree's candidates (counting only those); one entry for each plan of the subtree
/// that has no session at all and whose window overlaps the span.
#[tracing::instrument(skip_all)]
pub fn schedule(conn: &mut DbConn, scope: &Jurisdiction, span: Span) -> Result<Vec<ScheduleEntry>, DbError> {
    let own = sessions(conn, scope, Whose::Subtree, span)?;
    let own_ids: Vec<String> = own.iter().map(|r| r.0.clone()).collect();
    let mut assigned = seated(conn, &own_ids)?;
    let own_set: HashSet<&str> = own_ids.iter().map(String::as_str).collect();
    let ours_elsewhere: HashMap<String, i64> =
        seated_from(conn, scope, span)?.into_iter().filter(|(id, _)| !own_set.contains(id.as_str())).collect();
    let elsewhere: Vec<String> = ours_elsewhere.keys().cloned().collect();
    let above = sessions(conn, scope, Whose::AboveNamed(&elsewhere), span)?;
    assigned.extend(ours_elsewhere);

    let plan_ids: HashSet<&str> = own.iter().chain(&above).map(|r| r.1.as_str()).collect();
    let plan_columns =
        (p::id, p::kind, p::name, p::window_start, p::window_end, p::candidate_filter, p::blueprint, o::name);
    let with_sessions: Vec<PlanRow> = p::table
        .inner_join(o::table)
        .filter(p::id.eq_any(plan_ids.iter().copied().collect::<Vec<_>>()))
        .select(plan_columns)
        .load(conn)?;
    let mut unscheduled = p::table
        .inner_join(o::table)
        .filter(o::path.like(scope.like_pattern()))
        .filter(p::id.ne_all(s::table.select(s::plan_id)))
        .select(plan_columns)
        .into_boxed();
    if let Some(to) = span.to {
        unscheduled = unscheduled.filter(p::window_start.lt(to));
    }
    if let Some(from) = span.from {
        unscheduled = unscheduled.filter(p::window_end.gt(from));
    }
    let unscheduled: Vec<PlanRow> = unscheduled.load(conn)?;

    let mut plans: HashMap<String, (ScheduledPlan, chrono::Duration)> = HashMap::new();
    for row in with_sessions {
        plans.insert(row.0.clone(), plan_of(row)?);
    }
    let mut entries = Vec::with_capacity(own.len() + above.len() + unscheduled.len());
    for (id, plan_id, site_name, address, starts_at, ends_at, capacity) in own.into_iter().chain(above) {
        let (plan, duration) =
            plans.get(&plan_id).ok_or_else(|| DbError::Corrupt(format!("exam_sessions.plan_id {id}")))?;
        let ends_at = ends_at.unwrap_or(starts_at + *duration);
        if !span.overlaps(starts_at, ends_at) {
            continue;
        }
        entries.push(ScheduleEntry {
            plan: plan.clone(),
            session: Some(ScheduledSession {
                assigned: assigned.get(&id).copied().unwrap_or(0),
                id: ExamSessionId::from_db(id),
                site_name,
                address,
                starts_at,
                ends_at,
                capacity,
            }),
        });
    }
    for row in unscheduled {
        entries.push(ScheduleEntry { plan: plan_of(row)?.0, session: None });
    }
    entries.sort_by(|a, b| a.order().cmp(&b.order()));
    Ok(entries)
}
