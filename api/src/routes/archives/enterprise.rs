use actix_web::{web, HttpResponse};
use exam::report::{Cell, Sheet};
use exam::OrgLevel;
use models::report::Dates;
use models::{organization, Jurisdiction, OrgId};
use serde::Serialize;
use utoipa::ToSchema;

use super::ArchiveQuery;
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Query;
use crate::routes::learning::{course_titles, LearningPlanResponse};
use crate::routes::organizations::OrganizationResponse;
use crate::routes::reports::coverage::{rate, PlanProgress};
use crate::routes::training::TrainingSessionResponse;
use crate::state::AppState;

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct EnterpriseCoverage {
    /// Registered, active workers.
    pub workers: i64,
    pub face_enrolled: i64,
    /// Records a bureau checked as real.
    pub verified: i64,
    /// Workers trained at each level, and their share of the workers.
    pub trained_company: i64,
    pub trained_workshop: i64,
    pub trained_team: i64,
    pub trained_company_rate: f64,
    pub trained_workshop_rate: f64,
    pub trained_team_rate: f64,
}

/// 一企一档: an enterprise's learning plans, training sessions with their evidence,
/// coverage, and exam results.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseArchive {
    pub organization: OrganizationResponse,
    pub coverage: EnterpriseCoverage,
    pub learning_plans: Vec<LearningPlanResponse>,
    pub training_sessions: Vec<TrainingSessionResponse>,
    /// Every exam with candidates there, whenever it was held.
    pub exams: Vec<PlanProgress>,
}

fn sheets(a: EnterpriseArchive) -> Vec<Sheet> {
    let o = &a.organization;
    let title = format!("{}安全生产学习培训考试档案", o.name);
    let c = &a.coverage;
    let pct = |r: f64| format!("{:.1}%", r * 100.0);
    let info = vec![
        vec!["单位名称".into(), o.name.clone().into()],
        vec!["统一社会信用代码".into(), o.credit_code.clone().unwrap_or_default().into()],
        vec!["行业".into(), o.industry.map(|i| i.label_zh()).unwrap_or("").into()],
        vec!["地址".into(), o.address.clone().unwrap_or_default().into()],
        vec!["注册人数".into(), c.workers.into()],
        vec!["已采集人脸".into(), c.face_enrolled.into()],
        vec!["已核对".into(), c.verified.into()],
        vec!["公司级培训人数".into(), c.trained_company.into()],
        vec!["公司级培训率".into(), pct(c.trained_company_rate).into()],
        vec!["车间级培训人数".into(), c.trained_workshop.into()],
        vec!["车间级培训率".into(), pct(c.trained_workshop_rate).into()],
        vec!["班组级培训人数".into(), c.trained_team.into()],
        vec!["班组级培训率".into(), pct(c.trained_team_rate).into()],
    ];
    let plans = a
        .learning_plans
        .iter()
        .flat_map(|p| {
            p.items.iter().map(move |i| {
                let roles: Vec<&str> = i.roles.iter().map(|r| r.label_zh()).collect();
                let focus: Vec<&str> = i.focus.iter().map(|f| f.label_zh()).collect();
                vec![
                    p.title.clone().into(),
                    Cell::from(i.position as i64),
                    i.content.label_zh().into(),
                    i.title.clone().into(),
                    if roles.is_empty() { "全员".to_owned() } else { roles.join("、") }.into(),
                    focus.join("、").into(),
                    format!("{} 至 {}", i.starts_on, i.ends_on).into(),
                ]
            })
        })
        .collect();
    let sessions = a
        .training_sessions
        .iter()
        .map(|s| {
            let files: Vec<&str> = s.evidence.iter().map(|e| e.file_name.as_str()).collect();
            vec![
                s.held_on.to_string().into(),
                s.level.label_zh().into(),
                s.topic.clone().into(),
                s.trainer.clone().into(),
                Cell::Number(s.hours),
                s.provider_name.clone().unwrap_or_else(|| s.provider.label_zh().to_owned()).into(),
                Cell::from(s.attendees),
                files.join("、").into(),
            ]
        })
        .collect();
    let exams = a
        .exams
        .iter()
        .map(|e| {
            vec![
                e.name.clone().into(),
                e.kind.label_zh().into(),
                (e.window_start + chrono::Duration::hours(8)).format("%Y-%m-%d").to_string().into(),
                e.candidates.into(),
                e.sat.into(),
                e.passed.into(),
                e.absent.into(),
                e.cheating.into(),
                pct(e.pass_rate).into(),
            ]
        })
        .collect();
    vec![
        Sheet {
            name: "企业信息",
            title: title.clone(),
            subtitle: String::new(),
            headers: &["项目", "内容"],
            widths: &[18.0, 40.0],
            rows: info,
            footer: None,
        },
        Sheet {
            name: "学习计划",
            title: title.clone(),
            subtitle: String::new(),
            headers: &["计划", "序号", "内容类型", "内容", "对象", "重点", "时间"],
            widths: &[24.0, 6.0, 12.0, 30.0, 20.0, 24.0, 24.0],
            rows: plans,
            footer: None,
        },
        Sheet {
            name: "培训记录",
            title: title.clone(),
            subtitle: String::new(),
            headers: &["日期", "级别", "主题", "授课人", "学时", "培训方式/单位", "参训人数", "佐证材料"],
            widths: &[12.0, 12.0, 30.0, 12.0, 8.0, 24.0, 10.0, 30.0],
            rows: sessions,
            footer: None,
        },
        Sheet {
            name: "考试情况",
            title,
            subtitle: String::new(),
            headers: &["考试", "类型", "开考日期", "应考", "实考", "合格", "缺考", "作弊", "合格率"],
            widths: &[30.0, 16.0, 12.0, 8.0, 8.0, 8.0, 8.0, 8.0, 10.0],
            rows: exams,
            footer: None,
        },
    ]
}

/// 一企一档: an enterprise's archive — its details, learning plans, training sessions with
/// their evidence, coverage (workers registered, with a face, checked, trained at each
/// level) and every exam's results there. For the enterprise and the bureaus above it;
/// JSON, or a workbook to print.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/archive", operation_id = "getEnterpriseArchive", tag = "archives",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Enterprise id"), ArchiveQuery),
    responses(
        (status = 200, description = "The archive", content((EnterpriseArchive = "application/json"), (crate::routes::workers::import::RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_enterprise_archive(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    query: Query<ArchiveQuery>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let format = query.0.format.unwrap_or_default();
    let archive = state
        .db(move |conn, cipher| {
            let org = organization::find_in(conn, cipher, me.scope(), &org_id)?;
            if !me.role.may_read_archives(me.relation(&org)?) {
                return Err(ApiError::forbidden());
            }
            if org.level != OrgLevel::Enterprise {
                return Err(ApiError::new(Code::ValidationFailed)
                    .field("id")
                    .text("一企一档属于企业", "the archive is an enterprise's"));
            }
            let scope = Jurisdiction::of(&org);
            let mut coverage = EnterpriseCoverage::default();
            for e in models::report::enterprises(conn, &scope)? {
                coverage.workers += e.workers;
                coverage.face_enrolled += e.face_enrolled;
                coverage.verified += e.verified;
                coverage.trained_company += e.trained_company;
                coverage.trained_workshop += e.trained_workshop;
                coverage.trained_team += e.trained_team;
            }
            coverage.trained_company_rate = rate(coverage.trained_company, coverage.workers);
            coverage.trained_workshop_rate = rate(coverage.trained_workshop, coverage.workers);
            coverage.trained_team_rate = rate(coverage.trained_team, coverage.workers);
            let plans = models::learning::plans_of(conn, &org.id)?;
            let titles = course_titles(conn, &plans)?;
            let mut evidence = models::training::evidence_of_org(conn, &org.id)?;
            let training_sessions = models::training::sessions_of(conn, &org.id)?
                .into_iter()
                .map(|s| {
                    let (mine, rest): (Vec<_>, Vec<_>) = evidence.drain(..).partition(|e| e.session_id == s.id);
                    evidence = rest;
                    TrainingSessionResponse::of(s, mine)
                })
                .collect();
            // Every exam, whenever it was held.
            let all = Dates {
                from: chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default().and_time(chrono::NaiveTime::MIN),
                to: chrono::NaiveDate::from_ymd_opt(9999, 1, 1).unwrap_or_default().and_time(chrono::NaiveTime::MIN),
            };
            let exams = models::report::plans(conn, &scope, all)?.into_iter().filter_map(PlanProgress::of).collect();
            Ok(EnterpriseArchive {
                organization: OrganizationResponse::masked(org),
                coverage,
                learning_plans: plans.into_iter().map(|p| LearningPlanResponse::of(p, &titles)).collect(),
                training_sessions,
                exams,
            })
        })
        .await?;
    super::respond(format, archive, sheets, "enterprise-archive.xlsx").await
}
