//! 附件3 执行情况汇总表.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use exam::org::Industry;
use exam::plan::PlanKind;
use exam::report::{self, Footer, Sheet, SummaryRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{context_of, read, workbook, xlsx, Asked};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::routes::workers::export_principals::ExportFormat;
use crate::routes::workers::import::RosterFile;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The county, city or province reported on (a city sums its counties); the caller's
    /// own organization by default.
    pub organization_id: Option<String>,
    /// First exam date counted (China time), inclusive.
    pub from: Option<NaiveDate>,
    /// Last exam date counted (China time), inclusive.
    pub to: Option<NaiveDate>,
    /// `json` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// 审核人, for the footer.
    pub reviewer: Option<String>,
}

impl ReportQuery {
    pub fn split(self) -> (Asked, Option<ExportFormat>) {
        let ReportQuery { organization_id, from, to, format, reviewer } = self;
        (Asked { organization_id, from, to, reviewer }, format)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionSummary {
    /// e.g. 临沂市“大学习、大培训、大考试”执行情况汇总表
    pub title: String,
    pub organization_id: String,
    pub organization_name: String,
    /// 统计时间
    pub period: String,
    /// One row per industry (非煤矿山 … 其他), then 合计.
    pub rows: Vec<SummaryRow>,
    pub footer: Footer,
}

/// 附件3 执行情况汇总表 for a county, a city or the province: per industry (an enterprise
/// without one under 其他) and in total, the enterprises, the registered workers
/// (参与人数), and for each exam level — the enterprise exam, the county exam for
/// principals of small enterprises, the province's unified exam — the workers examined,
/// passed and failed in the dates given (a worker counts once per level; a pass at the
/// makeup is a pass; 作弊 is a fail). The footer carries the requesting bureau and account.
#[utoipa::path(get, path = "/api/v1/reports/execution-summary", operation_id = "reportExecutionSummary", tag = "reports",
    security(("bearer" = [])), params(ReportQuery),
    responses(
        (status = 200, description = "The summary", content((ExecutionSummary = "application/json"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn report_execution_summary(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_view_reports())?;
    let (asked, format) = query.0.split();
    let ctx = context_of(&state, me.0, asked).await?;
    let (enterprises, results) = tokio::try_join!(
        read(&state, &ctx, |conn, ctx| Ok(models::report::enterprises(conn, &ctx.scope)?)),
        read(&state, &ctx, |conn, ctx| Ok(models::report::results(conn, &ctx.scope, ctx.dates)?)),
    )?;
    let industry_of: HashMap<&str, Option<Industry>> = enterprises
        .iter()
        .map(|e| (e.id.as_str(), e.industry.as_deref().and_then(|i| Industry::parse(i).ok())))
        .collect();
    let rows = report::summary_rows(
        enterprises.iter().map(|e| (industry_of[e.id.as_str()], e.workers)),
        results.iter().filter_map(|r| {
            let kind = PlanKind::parse(&r.level).ok()?;
            Some((industry_of.get(r.organization_id.as_str()).copied().flatten(), kind, r.examined, r.passed))
        }),
    );
    let ctx = Arc::unwrap_or_clone(ctx);
    let title = format!("{}“大学习、大培训、大考试”执行情况汇总表", ctx.org.name);
    tracing::info!(organization = %ctx.org.id, "execution summary reported");
    match format.unwrap_or_default() {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(ExecutionSummary {
            title,
            organization_id: ctx.org.id.to_string(),
            organization_name: ctx.org.name,
            period: ctx.period,
            rows,
            footer: ctx.footer,
        })),
        ExportFormat::Xlsx => {
            let sheet = Sheet {
                name: "附件3",
                title,
                subtitle: ctx.period,
                headers: &report::SUMMARY_HEADERS,
                widths: &report::SUMMARY_WIDTHS,
                rows: report::summary_cells(&rows),
                footer: Some(ctx.footer),
            };
            Ok(xlsx(workbook(sheet).await?, "execution-summary.xlsx"))
        }
    }
}
