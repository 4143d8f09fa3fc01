//! 附件4 不及格人员名单, and the publication list of principals who failed.

use actix_web::{web, HttpResponse};
use exam::plan::PlanKind;
use exam::report::{person_type, Cell, Footer, Outcome, Sheet};
use exam::WorkerRole;
use models::report::{Failure, Whom};
use serde::Serialize;
use utoipa::ToSchema;

use super::summary::ReportQuery;
use super::{gather, workbook, xlsx, Bureaus, Context};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::routes::workers::export_principals::ExportFormat;
use crate::routes::workers::import::RosterFile;
use crate::state::AppState;

/// One line of 附件4: a candidate who did not pass a first exam.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailureLine {
    /// 序号
    pub seq: usize,
    pub worker_id: String,
    /// 姓名
    pub name: String,
    /// 县（市、区）
    pub county: String,
    /// 企业名称
    pub enterprise: String,
    pub role: WorkerRole,
    pub position: Option<String>,
    /// 人员类型, e.g. 主要负责人（总经理）.
    pub person_type: String,
    pub plan_id: String,
    /// 考试: the first exam's name.
    pub exam: String,
    pub exam_kind: PlanKind,
    /// 首次考试成绩: the score, 缺考 or 作弊.
    pub first_result: String,
    /// 补考成绩: the score, 缺考 or 作弊; absent before a makeup lists the candidate or
    /// while it runs.
    pub makeup_result: Option<String>,
    /// Whether the makeup was passed.
    pub passed_makeup: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailureList {
    /// e.g. 兰山区“大考试”不及格人员名单
    pub title: String,
    pub organization_id: String,
    pub organization_name: String,
    pub period: String,
    pub items: Vec<FailureLine>,
    pub footer: Footer,
}

/// The first exams' failures with their makeup, one line per candidate and first exam
/// (the latest makeup listing them wins), in enterprise and name order.
fn lines(rows: Vec<Failure>, bureaus: &Bureaus) -> Vec<(FailureLine, Vec<u8>)> {
    let mut out: Vec<(FailureLine, Vec<u8>)> = Vec::new();
    let mut last_key: Option<(String, String)> = None;
    for r in rows {
        let makeup = Outcome::of(r.makeup_score, r.makeup_finish_reason.as_deref(), r.makeup_absent.unwrap_or(false));
        let key = (r.worker_id.clone(), r.plan_id.clone());
        if last_key.as_ref() == Some(&key) {
            // Another makeup of the same first exam: keep the latest one with an outcome.
            if let (Some(m), Some((line, _))) = (makeup, out.last_mut()) {
                line.makeup_result = Some(m.render());
                line.passed_makeup = r.makeup_passed == Some(true);
            }
            continue;
        }
        last_key = Some(key);
        let Some(first) = Outcome::of(r.score, r.finish_reason.as_deref(), r.absent) else { continue };
        let role = WorkerRole::parse(&r.role).unwrap_or(WorkerRole::OtherStaff);
        let line = FailureLine {
            seq: out.len() + 1,
            county: bureaus.above(&r.organization_path, "county").map(|(_, n)| n.to_owned()).unwrap_or_default(),
            enterprise: r.organization_name,
            person_type: person_type(role, r.position.as_deref()),
            role,
            position: r.position,
            exam: r.plan_name,
            exam_kind: PlanKind::parse(&r.plan_kind).unwrap_or(PlanKind::EnterpriseAllStaff),
            plan_id: r.plan_id,
            first_result: first.render(),
            makeup_result: makeup.map(Outcome::render),
            passed_makeup: r.makeup_passed == Some(true),
            worker_id: r.worker_id,
            name: r.name,
        };
        out.push((line, r.resident_id_enc));
    }
    out
}

/// The lines of 附件4 for a report's context naming `whom`, each with the sealed ID number.
fn failure_lines(
    conn: &mut models::DbConn,
    ctx: &Context,
    whom: Whom,
) -> Result<Vec<(FailureLine, Vec<u8>)>, ApiError> {
    let bureaus = Bureaus::load(conn, &ctx.scope)?;
    Ok(lines(models::report::failures(conn, &ctx.scope, ctx.dates, whom)?, &bureaus))
}

const FAILURE_HEADERS: [&str; 8] =
    ["序号", "姓名", "县（市、区）", "企业名称", "人员类型", "考试", "首次考试成绩", "补考成绩"];
const FAILURE_WIDTHS: [f64; 8] = [6.0, 10.0, 14.0, 30.0, 22.0, 24.0, 12.0, 10.0];

/// 附件4 不及格人员名单 for a county, a city or the province: every candidate of a first exam
/// (enterprise, county or province exam) opened in the dates given who did not pass it —
/// a failing score, 作弊 or 缺考 written where the score would be — with the makeup's
/// result beside it once a makeup lists them. Name, county, enterprise, 人员类型 (主要负责人
/// with the position, …).
#[utoipa::path(get, path = "/api/v1/reports/failures", operation_id = "reportFailures", tag = "reports",
    security(("bearer" = [])), params(ReportQuery),
    responses(
        (status = 200, description = "The list", content((FailureList = "application/json"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn report_failures(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_view_reports())?;
    let (asked, format) = query.0.split();
    let (ctx, lines) = gather(&state, me.0, asked, |conn, _, ctx| {
        Ok(failure_lines(conn, ctx, Whom::Everyone)?.into_iter().map(|(l, _)| l).collect::<Vec<_>>())
    })
    .await?;
    let title = format!("{}“大考试”不及格人员名单", ctx.org.name);
    tracing::info!(organization = %ctx.org.id, count = lines.len(), "failures reported");
    match format.unwrap_or_default() {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(FailureList {
            title,
            organization_id: ctx.org.id.to_string(),
            organization_name: ctx.org.name,
            period: ctx.period,
            items: lines,
            footer: ctx.footer,
        })),
        ExportFormat::Xlsx => {
            let rows = lines
                .into_iter()
                .map(|l| {
                    vec![
                        Cell::from(l.seq as i64),
                        l.name.into(),
                        l.county.into(),
                        l.enterprise.into(),
                        l.person_type.into(),
                        l.exam.into(),
                        l.first_result.into(),
                        l.makeup_result.unwrap_or_default().into(),
                    ]
                })
                .collect();
            let sheet = Sheet {
                name: "附件4",
                title,
                subtitle: ctx.period,
                headers: &FAILURE_HEADERS,
                widths: &FAILURE_WIDTHS,
                rows,
                footer: Some(ctx.footer),
            };
            Ok(xlsx(workbook(sheet).await?, "failures.xlsx"))
        }
    }
}

/// One principal on the publication list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationLine {
    pub seq: usize,
    pub name: String,
    /// Masked: 3713**********123X.
    pub resident_id: String,
    pub county: String,
    pub enterprise: String,
    /// 职务
    pub position: Option<String>,
    pub exam: String,
    pub first_result: String,
    pub makeup_result: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationList {
    /// e.g. 兰山区考试不合格企业主要负责人名单（公示）
    pub title: String,
    pub organization_id: String,
    pub organization_name: String,
    pub period: String,
    pub items: Vec<PublicationLine>,
    pub footer: Footer,
}

const PUBLICATION_HEADERS: [&str; 9] =
    ["序号", "姓名", "身份证号", "县（市、区）", "单位名称", "职务", "考试", "首次考试成绩", "补考成绩"];
const PUBLICATION_WIDTHS: [f64; 9] = [6.0, 10.0, 22.0, 14.0, 30.0, 12.0, 24.0, 12.0, 10.0];

/// The publication list (公示名单): the principals (主要负责人) who failed a first exam
/// opened in the dates given and have not passed a makeup since, with their ID numbers
/// masked, for the bureau to announce.
#[utoipa::path(get, path = "/api/v1/reports/publication-list", operation_id = "reportPublicationList", tag = "reports",
    security(("bearer" = [])), params(ReportQuery),
    responses(
        (status = 200, description = "The list", content((PublicationList = "application/json"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn report_publication_list(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_view_reports())?;
    let (asked, format) = query.0.split();
    let (ctx, items) = gather(&state, me.0, asked, |conn, cipher, ctx| {
        let mut items = Vec::new();
        for (l, sealed) in failure_lines(conn, ctx, Whom::Principals)? {
            if l.passed_makeup {
                continue;
            }
            items.push(PublicationLine {
                seq: items.len() + 1,
                resident_id: models::worker::open_resident_id(cipher, &sealed)?.masked(),
                name: l.name,
                county: l.county,
                enterprise: l.enterprise,
                position: l.position,
                exam: l.exam,
                first_result: l.first_result,
                makeup_result: l.makeup_result,
            });
        }
        Ok(items)
    })
    .await?;
    let title = format!("{}考试不合格企业主要负责人名单（公示）", ctx.org.name);
    tracing::info!(organization = %ctx.org.id, count = items.len(), "publication list reported");
    match format.unwrap_or_default() {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(PublicationList {
            title,
            organization_id: ctx.org.id.to_string(),
            organization_name: ctx.org.name,
            period: ctx.period,
            items,
            footer: ctx.footer,
        })),
        ExportFormat::Xlsx => {
            let rows = items
                .into_iter()
                .map(|l| {
                    vec![
                        Cell::from(l.seq as i64),
                        l.name.into(),
                        l.resident_id.into(),
                        l.county.into(),
                        l.enterprise.into(),
                        l.position.unwrap_or_default().into(),
                        l.exam.into(),
                        l.first_result.into(),
                        l.makeup_result.unwrap_or_default().into(),
                    ]
                })
                .collect();
            let sheet = Sheet {
                name: "公示名单",
                title,
                subtitle: ctx.period,
                headers: &PUBLICATION_HEADERS,
                widths: &PUBLICATION_WIDTHS,
                rows,
                footer: Some(ctx.footer),
            };
            Ok(xlsx(workbook(sheet).await?, "publication-list.xlsx"))
        }
    }
}
