//! Exam plans with their banks and sessions (their candidates: `candidate`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::paper::Blueprint;
use exam::plan::{CandidateFilter, PlanKind};

use crate::schema::{attempts as a, exam_candidates as c, exam_plan_banks as pb, exam_plans as p, organizations as o};
use crate::{AccountId, BankId, DbConn, DbError, Jurisdiction, OrgId, Page, PageRequest, PlanId, WorkerId};

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
    pub sessions: Vec<crate::proctoring::ExamSession>,
    /// Random face checks per attempt during the exam.
    pub face_checks: i32,
    /// Whether the start needs a passed liveness challenge.
    pub liveness_at_start: bool,
    /// Whether the random face checks are liveness challenges rather than single photos.
    pub liveness_in_checks: bool,
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
    /// Replaces the sessions when given (see [`crate::proctoring::sessions_in_use`]).
    pub sessions: Option<Vec<crate::proctoring::SessionFields>>,
    /// Random face checks per attempt during the exam.
    pub face_checks: i32,
    /// Whether the start needs a passed liveness challenge.
    pub liveness_at_start: bool,
    /// Whether the random face checks are liveness challenges rather than single photos.
    pub liveness_in_checks: bool,
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
    face_checks: i32,
    liveness_at_start: bool,
    liveness_in_checks: bool,
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, DbError> {
    serde_json::to_string(value).map_err(|e| DbError::Corrupt(e.to_string()))
}

fn plan_of(conn: &mut DbConn, row: Row, organizer_name: String, organizer_path: String) -> Result<Plan, DbError> {
    let corrupt = |what: &str| DbError::Corrupt(format!("exam_plans.{what} {}", row.id));
    let bank_ids: Vec<String> =
        pb::table.filter(pb::plan_id.eq(&row.id)).order(pb::bank_id).select(pb::bank_id).load(conn)?;
    let sessions = crate::proctoring::sessions_of_plan(conn, &PlanId::from_db(row.id.clone()))?;
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
        sessions,
        face_checks: row.face_checks,
        liveness_at_start: row.liveness_at_start,
        liveness_in_checks: row.liveness_in_checks,
        absentees_recorded_at: row.absentees_recorded_at,
        candidate_count,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn write_links(conn: &mut DbConn, id: &PlanId, content: &PlanContent) -> Result<(), DbError> {
    diesel::delete(pb::table.filter(pb::plan_id.eq(id.as_str()))).execute(conn)?;
    for bank in &content.bank_ids {
        diesel::insert_into(pb::table)
            .values((pb::plan_id.eq(id.as_str()), pb::bank_id.eq(bank.as_str())))
            .execute(conn)?;
    }
    if let Some(sessions) = &content.sessions {
        crate::proctoring::replace_sessions(conn, id, sessions)?;
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
            p::face_checks.eq(content.face_checks),
            p::liveness_at_start.eq(content.liveness_at_start),
            p::liveness_in_checks.eq(content.liveness_in_checks),
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
            p::face_checks.eq(content.face_checks),
            p::liveness_at_start.eq(content.liveness_at_start),
            p::liveness_in_checks.eq(content.liveness_in_checks),
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
        .get_result(conn)?;
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

/// Whether any candidate has started the plan.
pub fn has_attempts(conn: &mut DbConn, plan: &PlanId) -> Result<bool, DbError> {
    let n: i64 = a::table.filter(a::plan_id.eq(plan.as_str())).count().get_result(conn)?;
    Ok(n > 0)
}

/// What taking an exam needs of its plan, in one query.
#[derive(Debug, Clone)]
pub struct Rules {
    pub id: PlanId,
    pub name: String,
    pub kind: PlanKind,
    /// For a makeup, the exam it makes up.
    pub original_plan_id: Option<PlanId>,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    pub blueprint: Blueprint,
    /// Random face checks per attempt during the exam.
    pub face_checks: i32,
    /// Whether the start needs a passed liveness challenge.
    pub liveness_at_start: bool,
    /// Whether the random face checks are liveness challenges rather than single photos.
    pub liveness_in_checks: bool,
}

pub fn rules(conn: &mut DbConn, id: &PlanId) -> Result<Rules, DbError> {
    type RulesRow = (String, String, Option<String>, NaiveDateTime, NaiveDateTime, String, i32, bool, bool);
    let (
        name,
        kind,
        original_plan_id,
        window_start,
        window_end,
        blueprint,
        face_checks,
        liveness_at_start,
        liveness_in_checks,
    ): RulesRow = p::table
        .find(id.as_str())
        .select((
            p::name,
            p::kind,
            p::original_plan_id,
            p::window_start,
            p::window_end,
            p::blueprint,
            p::face_checks,
            p::liveness_at_start,
            p::liveness_in_checks,
        ))
        .get_result(conn)?;
    let corrupt = |what: &str| DbError::Corrupt(format!("exam_plans.{what} {id}"));
    Ok(Rules {
        id: id.clone(),
        name,
        kind: PlanKind::parse(&kind).map_err(|_| corrupt("kind"))?,
        original_plan_id: original_plan_id.map(PlanId::from_db),
        window_start,
        window_end,
        blueprint: serde_json::from_str(&blueprint).map_err(|_| corrupt("blueprint"))?,
        face_checks,
        liveness_at_start,
        liveness_in_checks,
    })
}

/// The banks a plan draws from.
pub fn bank_ids(conn: &mut DbConn, plan: &PlanId) -> Result<Vec<BankId>, DbError> {
    let ids: Vec<String> =
        pb::table.filter(pb::plan_id.eq(plan.as_str())).order(pb::bank_id).select(pb::bank_id).load(conn)?;
    Ok(ids.into_iter().map(BankId::from_db).collect())
}
