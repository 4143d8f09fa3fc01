//! The progress dashboards while the campaign runs: registration coverage (workers
//! registered, with a face enrolled, verified) and exam coverage and pass rates, per
//! county, city or enterprise, and per plan.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use exam::plan::PlanKind;
use exam::report::{Cell, Footer, Sheet};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{context_of, read, workbook, xlsx, Asked, Bureaus};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::routes::workers::export_principals::ExportFormat;
use crate::routes::workers::import::RosterFile;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoverageGroup {
    /// One row per county (the default).
    #[default]
    County,
    City,
    Enterprise,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// The organization reported on (an enterprise admin: its own); the caller's own by
    /// default.
    pub organization_id: Option<String>,
    /// Rows per county (default), city or enterprise.
    #[param(inline)]
    pub group_by: Option<CoverageGroup>,
    /// First exam date counted (China time), inclusive; registration counts are as of now.
    pub from: Option<NaiveDate>,
    /// Last exam date counted (China time), inclusive.
    pub to: Option<NaiveDate>,
    /// `json` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// Share of a whole, 0 to 1 (0 when there is no whole), to four places.
pub fn rate(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
    }
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CoverageRow {
    /// The county, city or enterprise; absent for enterprises outside any (directly under
    /// a city, or the total).
    pub organization_id: Option<String>,
    pub name: String,
    pub enterprises: i64,
    /// Registered (active) workers.
    pub workers: i64,
    pub face_enrolled: i64,
    /// Records a bureau checked as real (已核对).
    pub verified: i64,
    /// Workers who sat an exam in the dates given, counted once per exam level.
    pub examined: i64,
    pub passed: i64,
    /// Active workers trained at each level (大培训): at least one session of their
    /// enterprise at 厂级/公司级, 车间级, 班组级.
    pub trained_company: i64,
    pub trained_workshop: i64,
    pub trained_team: i64,
    pub face_enrolled_rate: f64,
    pub verified_rate: f64,
    pub pass_rate: f64,
    /// Of the registered workers.
    pub trained_company_rate: f64,
    pub trained_workshop_rate: f64,
    pub trained_team_rate: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanProgress {
    pub plan_id: String,
    pub name: String,
    pub kind: PlanKind,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Candidates within the organization reported on.
    pub candidates: i64,
    pub sat: i64,
    pub passed: i64,
    /// 缺考
    pub absent: i64,
    /// 作弊
    pub cheating: i64,
    /// Of the candidates.
    pub sat_rate: f64,
    /// Of those who sat.
    pub pass_rate: f64,
}

impl PlanProgress {
    /// A plan's counts with their rates (none for a plan of an unknown kind).
    pub fn of(p: models::report::PlanCoverage) -> Option<Self> {
        Some(PlanProgress {
            kind: PlanKind::parse(&p.kind).ok()?,
            sat_rate: rate(p.sat, p.candidates),
            pass_rate: rate(p.passed, p.sat),
            plan_id: p.plan_id,
            name: p.name,
            window_start: p.window_start.and_utc(),
            window_end: p.window_end.and_utc(),
            candidates: p.candidates,
            sat: p.sat,
            passed: p.passed,
            absent: p.absent,
            cheating: p.cheating,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageReport {
    pub title: String,
    pub organization_id: String,
    pub organization_name: String,
    pub period: String,
    pub group_by: CoverageGroup,
    /// Rows by name, then 合计.
    pub rows: Vec<CoverageRow>,
    pub plans: Vec<PlanProgress>,
    pub footer: Footer,
}

const HEADERS: [&str; 14] = [
    "序号",
    "单位",
    "企业数",
    "注册人数",
    "已采集人脸",
    "人脸采集率",
    "已核对",
    "核对率",
    "参考人次",
    "合格人次",
    "合格率",
    "公司级培训率",
    "车间级培训率",
    "班组级培训率",
];
const WIDTHS: [f64; 14] = [6.0, 30.0, 9.0, 10.0, 11.0, 11.0, 9.0, 9.0, 10.0, 10.0, 9.0, 11.0, 11.0, 11.0];

fn percent(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// Registration, training and exam coverage for a county, a city, the province or an
/// enterprise: rows per county (default), city or enterprise with the workers registered,
/// with a face enrolled and verified, trained at each level (厂级/公司级, 车间级, 班组级), and
/// the workers examined and passed in the dates given, with their rates and the total; and every exam opened in the dates with candidates there,
/// with how many sat, passed, were absent or voided.
#[utoipa::path(get, path = "/api/v1/reports/coverage", operation_id = "reportCoverage", tag = "reports",
    security(("bearer" = [])), params(CoverageQuery),
    responses(
        (status = 200, description = "The dashboard", content((CoverageReport = "application/json"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn report_coverage(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_view_coverage())?;
    let CoverageQuery { organization_id, group_by, from, to, format } = query.0;
    let group_by = group_by.unwrap_or_default();
    let asked = Asked { organization_id, from, to, reviewer: None };
    let format = format.unwrap_or_default();
    let ctx = context_of(&state, me.0, asked).await?;
    // The exams' progress goes into the JSON only.
    let with_plans = matches!(format, ExportFormat::Json);
    let ((bureaus, enterprises), results, plans) = tokio::try_join!(
        read(&state, &ctx, |conn, ctx| {
            Ok((Bureaus::load(conn, &ctx.scope)?, models::report::enterprises(conn, &ctx.scope)?))
        }),
        read(&state, &ctx, |conn, ctx| Ok(models::report::results(conn, &ctx.scope, ctx.dates)?)),
        read(&state, &ctx, move |conn, ctx| match with_plans {
            true => Ok(models::report::plans(conn, &ctx.scope, ctx.dates)?),
            false => Ok(Vec::new()),
        }),
    )?;
    // Each enterprise's group: itself, or the county or city above it.
    let mut groups: BTreeMap<(String, Option<String>), CoverageRow> = BTreeMap::new();
    let mut group_of = std::collections::HashMap::new();
    for e in &enterprises {
        let (id, name) = match group_by {
            CoverageGroup::Enterprise => (Some(e.id.as_str()), e.name.as_str()),
            CoverageGroup::County => {
                bureaus.above(&e.path, "county").map_or((None, "（未归属区县）"), |(i, n)| (Some(i), n))
            }
            CoverageGroup::City => {
                bureaus.above(&e.path, "city").map_or((None, "（未归属市）"), |(i, n)| (Some(i), n))
            }
        };
        let key = (name.to_owned(), id.map(str::to_owned));
        group_of.insert(e.id.as_str(), key.clone());
        let row = groups.entry(key).or_default();
        row.enterprises += 1;
        row.workers += e.workers;
        row.face_enrolled += e.face_enrolled;
        row.verified += e.verified;
        row.trained_company += e.trained_company;
        row.trained_workshop += e.trained_workshop;
        row.trained_team += e.trained_team;
    }
    for r in &results {
        if let Some(row) = group_of.get(r.organization_id.as_str()).and_then(|k| groups.get_mut(k)) {
            row.examined += r.examined;
            row.passed += r.passed;
        }
    }
    let mut total = CoverageRow { name: "合计".to_owned(), ..CoverageRow::default() };
    let mut rows: Vec<CoverageRow> = groups
        .into_iter()
        .map(|((name, id), mut row)| {
            total.enterprises += row.enterprises;
            total.workers += row.workers;
            total.face_enrolled += row.face_enrolled;
            total.verified += row.verified;
            total.examined += row.examined;
            total.passed += row.passed;
            total.trained_company += row.trained_company;
            total.trained_workshop += row.trained_workshop;
            total.trained_team += row.trained_team;
            row.name = name;
            row.organization_id = id;
            row
        })
        .collect();
    rows.push(total);
    for row in &mut rows {
        row.face_enrolled_rate = rate(row.face_enrolled, row.workers);
        row.verified_rate = rate(row.verified, row.workers);
        row.pass_rate = rate(row.passed, row.examined);
        row.trained_company_rate = rate(row.trained_company, row.workers);
        row.trained_workshop_rate = rate(row.trained_workshop, row.workers);
        row.trained_team_rate = rate(row.trained_team, row.workers);
    }
    let plans: Vec<PlanProgress> = plans.into_iter().filter_map(PlanProgress::of).collect();
    let ctx = Arc::unwrap_or_clone(ctx);
    let title = format!("{}“三大”工作进度统计表", ctx.org.name);
    tracing::info!(organization = %ctx.org.id, rows = rows.len(), "coverage reported");
    match format {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(CoverageReport {
            title,
            organization_id: ctx.org.id.to_string(),
            organization_name: ctx.org.name,
            period: ctx.period,
            group_by,
            rows,
            plans,
            footer: ctx.footer,
        })),
        ExportFormat::Xlsx => {
            let cells = rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    vec![
                        Cell::from(i as i64 + 1),
                        r.name.into(),
                        r.enterprises.into(),
                        r.workers.into(),
                        r.face_enrolled.into(),
                        percent(r.face_enrolled_rate).into(),
                        r.verified.into(),
                        percent(r.verified_rate).into(),
                        r.examined.into(),
                        r.passed.into(),
                        percent(r.pass_rate).into(),
                        percent(r.trained_company_rate).into(),
                        percent(r.trained_workshop_rate).into(),
                        percent(r.trained_team_rate).into(),
                    ]
                })
                .collect();
            let sheet = Sheet {
                name: "进度统计",
                title,
                subtitle: ctx.period,
                headers: &HEADERS,
                widths: &WIDTHS,
                rows: cells,
                footer: Some(ctx.footer),
            };
            Ok(xlsx(workbook(sheet).await?, "coverage.xlsx"))
        }
    }
}
