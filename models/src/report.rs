//! The aggregations behind the bureaus' reports (附件3 执行情况汇总表, 附件4 不及格人员名单,
//! the publication list, the coverage dashboards). Each is one SQL statement grouped in the
//! database (by enterprise at most: 20,000 rows for a province), so a province of a
//! million workers is summed where the data is; the API rolls enterprises up to industries,
//! counties and cities.
//!
//! Written once with `?` placeholders; PostgreSQL gets them numbered. Each drives from the
//! subtree's enterprises to their candidates through one covering index
//! (`exam_candidates_organization_idx`): a candidate row carries its exam's outcome
//! (`sat_at`, `result`, `score`, written when the attempt finishes or is voided), so no
//! report joins the attempts. On SQLite the planner's choices need its statistics, kept by
//! [`crate::db::optimize`].

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};
use diesel::{QueryableByName, RunQueryDsl};

use crate::db::placeholders;
use crate::{DbConn, DbError, Jurisdiction};

/// A span of exam dates: attempts started (and plans opened) at or after `from`, before
/// `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

/// Runs a statement whose parameters are the dates and the subtree, in that order.
fn load_dated<T>(conn: &mut DbConn, sql: &str, scope: &Jurisdiction, dates: Dates) -> Result<Vec<T>, DbError>
where
    T: QueryableByName<crate::db::MultiBackend> + 'static,
{
    let sql = placeholders(conn, sql);
    Ok(diesel::sql_query(sql)
        .bind::<Timestamp, _>(dates.from)
        .bind::<Timestamp, _>(dates.to)
        .bind::<Text, _>(scope.like_pattern())
        .load(conn)?)
}

/// An enterprise of the subtree with its registry counts.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct EnterpriseCounts {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub path: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub industry: Option<String>,
    /// Active registered workers.
    #[diesel(sql_type = BigInt)]
    pub workers: i64,
    #[diesel(sql_type = BigInt)]
    pub face_enrolled: i64,
    /// Records a bureau checked as real (已核对).
    #[diesel(sql_type = BigInt)]
    pub verified: i64,
    /// Active workers trained by the enterprise at 厂级/公司级, 车间级, 班组级.
    #[diesel(sql_type = BigInt)]
    pub trained_company: i64,
    #[diesel(sql_type = BigInt)]
    pub trained_workshop: i64,
    #[diesel(sql_type = BigInt)]
    pub trained_team: i64,
}

/// Every enterprise of the subtree, with its active workers, those with a face enrolled,
/// those verified and those trained at each level. Read from `workers_coverage_idx` alone (so the workers are counted by a
/// column in it, not by their id).
pub fn enterprises(conn: &mut DbConn, scope: &Jurisdiction) -> Result<Vec<EnterpriseCounts>, DbError> {
    let sql = placeholders(
        conn,
        "SELECT o.id, o.path, o.name, o.industry,
                COUNT(w.organization_id) AS workers,
                COALESCE(SUM(CASE WHEN w.face_enrolled THEN 1 ELSE 0 END), 0) AS face_enrolled,
                COALESCE(SUM(CASE WHEN w.verification = 'verified' THEN 1 ELSE 0 END), 0) AS verified,
                COALESCE(SUM(CASE WHEN (w.trained_levels & 1) <> 0 THEN 1 ELSE 0 END), 0) AS trained_company,
                COALESCE(SUM(CASE WHEN (w.trained_levels & 2) <> 0 THEN 1 ELSE 0 END), 0) AS trained_workshop,
                COALESCE(SUM(CASE WHEN (w.trained_levels & 4) <> 0 THEN 1 ELSE 0 END), 0) AS trained_team
         FROM organizations o
         LEFT JOIN workers w ON w.organization_id = o.id AND w.active
         WHERE o.level = 'enterprise' AND o.path LIKE ?
         GROUP BY o.id, o.path, o.name, o.industry",
    );
    Ok(diesel::sql_query(sql).bind::<Text, _>(scope.like_pattern()).load(conn)?)
}

/// An enterprise's results at one exam level: workers who sat it (a first exam of that
/// kind or its makeup) and those of them who passed either.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct LevelResults {
    #[diesel(sql_type = Text)]
    pub organization_id: String,
    /// The plan kind of the first exam: enterprise_all_staff, county_principals or
    /// province_unified.
    #[diesel(sql_type = Text)]
    pub level: String,
    #[diesel(sql_type = BigInt)]
    pub examined: i64,
    #[diesel(sql_type = BigInt)]
    pub passed: i64,
}

/// Results by enterprise (as listed in the plan) and exam level, for attempts started in
/// `dates`. A worker counts once per level; a pass at the first exam or its makeup is a
/// pass; a voided attempt (作弊) is a fail.
pub fn results(conn: &mut DbConn, scope: &Jurisdiction, dates: Dates) -> Result<Vec<LevelResults>, DbError> {
    load_dated(
        conn,
        "SELECT c.organization_id, COALESCE(op.kind, p.kind) AS level,
                COUNT(DISTINCT c.worker_id) AS examined,
                COUNT(DISTINCT CASE WHEN c.result = 'passed' THEN c.worker_id END) AS passed
         FROM organizations e
         JOIN exam_candidates c ON c.organization_id = e.id
         JOIN exam_plans p ON p.id = c.plan_id
         LEFT JOIN exam_plans op ON op.id = p.original_plan_id
         WHERE c.result IS NOT NULL AND c.sat_at >= ? AND c.sat_at < ?
           AND e.level = 'enterprise' AND e.path LIKE ?
         GROUP BY c.organization_id, COALESCE(op.kind, p.kind)",
        scope,
        dates,
    )
}

/// A candidate who did not pass a first exam (failed, 作弊 or 缺考), with the makeup's
/// outcome when a makeup lists them.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Failure {
    #[diesel(sql_type = Text)]
    pub worker_id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub position: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    pub resident_id_enc: Vec<u8>,
    #[diesel(sql_type = Text)]
    pub organization_id: String,
    #[diesel(sql_type = Text)]
    pub organization_name: String,
    #[diesel(sql_type = Text)]
    pub organization_path: String,
    #[diesel(sql_type = Text)]
    pub plan_id: String,
    #[diesel(sql_type = Text)]
    pub plan_kind: String,
    #[diesel(sql_type = Text)]
    pub plan_name: String,
    /// The first exam: score (none for 缺考 or 作弊), finish reason, absent.
    #[diesel(sql_type = Nullable<Integer>)]
    pub score: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub finish_reason: Option<String>,
    #[diesel(sql_type = Bool)]
    pub absent: bool,
    /// The makeup, when one lists the candidate (the latest last).
    #[diesel(sql_type = Nullable<Integer>)]
    pub makeup_score: Option<i32>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub makeup_passed: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    pub makeup_finish_reason: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub makeup_absent: Option<bool>,
}

/// Who a list of failures names: everyone, or the principals only (the publication list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whom {
    Everyone,
    Principals,
}

/// The subtree's enterprises in path order, `per` to a chunk: a long list (附件4 for a
/// province) is read chunk by chunk, each in the list's order, so its first lines can be
/// written while the next are read. Ids rather than path ranges, so that the chunks follow
/// the database's own collation of paths (PostgreSQL's need not be bytewise).
pub fn enterprise_chunks(conn: &mut DbConn, scope: &Jurisdiction, per: usize) -> Result<Vec<Vec<String>>, DbError> {
    use diesel::prelude::*;

    use crate::schema::organizations as o;
    let ids: Vec<String> = o::table
        .filter(o::path.like(scope.like_pattern()))
        .filter(o::level.eq("enterprise"))
        .order(o::path)
        .select(o::id)
        .load(conn)?;
    Ok(ids.chunks(per.max(1)).map(<[String]>::to_vec).collect())
}

/// Candidates of first exams opened in `dates` (any kind but makeup) at `enterprises` (a
/// chunk of [`enterprise_chunks`]) who did not pass: a finished attempt that failed or was
/// voided, or recorded absent. One row per makeup plan of the exam (none: one row), the
/// makeup's columns empty where it does not list them; by enterprise path, name.
pub fn failures(conn: &mut DbConn, enterprises: &[String], dates: Dates, whom: Whom) -> Result<Vec<Failure>, DbError> {
    if enterprises.is_empty() {
        return Ok(Vec::new());
    }
    let role = match whom {
        Whom::Everyone => "",
        Whom::Principals => "AND w.role = 'principal'",
    };
    let ids = vec!["?"; enterprises.len()].join(", ");
    let sql = placeholders(
        conn,
        &format!(
            "SELECT c.worker_id, w.name, w.role, w.position, w.resident_id_enc,
                e.id AS organization_id, e.name AS organization_name, e.path AS organization_path,
                p.id AS plan_id, p.kind AS plan_kind, p.name AS plan_name,
                c.score, CASE WHEN c.result = 'cheating' THEN 'cheating' END AS finish_reason, c.absent,
                mc.score AS makeup_score,
                CASE WHEN mc.result IS NOT NULL THEN mc.result = 'passed' END AS makeup_passed,
                CASE WHEN mc.result = 'cheating' THEN 'cheating' END AS makeup_finish_reason,
                mc.absent AS makeup_absent
         FROM organizations e
         JOIN exam_candidates c ON c.organization_id = e.id
         JOIN exam_plans p ON p.id = c.plan_id
         JOIN workers w ON w.id = c.worker_id
         LEFT JOIN exam_plans mp ON mp.original_plan_id = p.id
         LEFT JOIN exam_candidates mc ON mc.plan_id = mp.id AND mc.worker_id = c.worker_id
         WHERE p.kind <> 'makeup' AND p.window_start >= ? AND p.window_start < ?
           AND e.id IN ({ids})
           AND (c.result IN ('failed', 'cheating') OR (c.result IS NULL AND c.absent)) {role}
         ORDER BY e.path, w.name, c.worker_id, p.window_start, p.id, mp.window_end"
        ),
    );
    let mut query = diesel::sql_query(sql).into_boxed().bind::<Timestamp, _>(dates.from).bind::<Timestamp, _>(dates.to);
    for id in enterprises {
        query = query.bind::<Text, _>(id.as_str());
    }
    Ok(query.load(conn)?)
}

/// A plan's reach within the subtree: its candidates there, those who sat it, passed it,
/// were recorded absent, were voided (作弊).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct PlanCoverage {
    #[diesel(sql_type = Text)]
    pub plan_id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Timestamp)]
    pub window_start: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub window_end: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    pub candidates: i64,
    #[diesel(sql_type = BigInt)]
    pub sat: i64,
    #[diesel(sql_type = BigInt)]
    pub passed: i64,
    #[diesel(sql_type = BigInt)]
    pub absent: i64,
    #[diesel(sql_type = BigInt)]
    pub cheating: i64,
}

/// Every plan opened in `dates` with candidates in the subtree, counted over those
/// candidates, by opening. The candidates are counted by plan from the subtree's
/// enterprises (the covering index) before the plans are looked up: a province's 1.2
/// million candidates are not each joined to their plan.
pub fn plans(conn: &mut DbConn, scope: &Jurisdiction, dates: Dates) -> Result<Vec<PlanCoverage>, DbError> {
    let sql = placeholders(
        conn,
        "SELECT p.id AS plan_id, p.name, p.kind, p.window_start, p.window_end,
                t.candidates, t.sat, t.passed, t.absent, t.cheating
         FROM (SELECT c.plan_id,
                      COUNT(*) AS candidates,
                      COALESCE(SUM(CASE WHEN c.result IS NOT NULL THEN 1 ELSE 0 END), 0) AS sat,
                      COALESCE(SUM(CASE WHEN c.result = 'passed' THEN 1 ELSE 0 END), 0) AS passed,
                      COALESCE(SUM(CASE WHEN c.result IS NULL AND c.absent THEN 1 ELSE 0 END), 0) AS absent,
                      COALESCE(SUM(CASE WHEN c.result = 'cheating' THEN 1 ELSE 0 END), 0) AS cheating
               FROM organizations e
               JOIN exam_candidates c ON c.organization_id = e.id
               WHERE e.level = 'enterprise' AND e.path LIKE ?
               GROUP BY c.plan_id) AS t
         JOIN exam_plans p ON p.id = t.plan_id
         WHERE p.window_start >= ? AND p.window_start < ?
         ORDER BY p.window_start, p.id",
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(scope.like_pattern())
        .bind::<Timestamp, _>(dates.from)
        .bind::<Timestamp, _>(dates.to)
        .load(conn)?)
}

/// The bureaus (cities and counties) of the subtree and the organizations above it: id,
/// level, name, to roll enterprises up by their paths.
pub fn bureaus(conn: &mut DbConn, scope: &Jurisdiction) -> Result<Vec<(String, String, String)>, DbError> {
    use diesel::prelude::*;

    use crate::schema::organizations as o;
    let mut ids = scope.ancestor_ids();
    let below: Vec<String> = o::table
        .filter(o::path.like(scope.like_pattern()))
        .filter(o::level.ne("enterprise"))
        .select(o::id)
        .load(conn)?;
    ids.extend(below);
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, String, String)> =
            o::table.filter(o::id.eq_any(chunk)).select((o::id, o::level, o::name)).load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}
