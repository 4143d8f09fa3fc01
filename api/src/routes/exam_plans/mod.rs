//! Exam plans (考试计划): the four kinds of exam, their windows, sites and sessions,
//! candidate lists generated from the registry, banks and blueprint. A plan is refused
//! when its banks cannot fill the blueprint for every kind of candidate it admits.

pub mod candidates;
pub mod create;
pub mod get;
pub mod list;
pub mod update;

use chrono::{DateTime, Utc};
use exam::paper::{Blueprint, Entry};
use exam::plan::{CandidateFilter, PlanKind};
use exam::{Industry, OrgName, WorkerRole};
use models::bank;
use models::plan::{Plan, PlanContent};
use models::{BankId, DbConn};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AnyPrincipal;
use crate::error::{ApiError, Code, RowDetail};
use crate::routes::exam_sessions::{ExamSessionResponse, SessionInput};
use crate::routes::questions::field_errors;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamPlanResponse {
    pub id: String,
    pub organizer_id: String,
    pub organizer_name: String,
    pub kind: PlanKind,
    pub name: String,
    /// The exam a makeup (补考) follows.
    pub original_plan_id: Option<String>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub candidate_filter: CandidateFilter,
    pub blueprint: Blueprint,
    /// Random face checks per attempt during the exam (0 to 5).
    pub face_checks: i32,
    /// Whether the start needs a passed liveness challenge (活体检测) besides the face match.
    pub liveness_at_start: bool,
    /// Whether the random face checks are liveness challenges rather than single photos.
    pub liveness_in_checks: bool,
    pub bank_ids: Vec<String>,
    /// 场次: see the exam-session operations for candidates and proctors.
    pub sessions: Vec<ExamSessionResponse>,
    pub candidate_count: i64,
    /// Whether candidates without an attempt were recorded absent (缺考) after the window.
    pub absentees_recorded: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Plan> for ExamPlanResponse {
    fn from(p: Plan) -> Self {
        ExamPlanResponse {
            id: p.id.to_string(),
            organizer_id: p.organizer_id.to_string(),
            organizer_name: p.organizer_name,
            kind: p.kind,
            name: p.name,
            original_plan_id: p.original_plan_id.map(|x| x.to_string()),
            window_start: p.window_start.and_utc(),
            window_end: p.window_end.and_utc(),
            candidate_filter: p.filter,
            blueprint: p.blueprint,
            face_checks: p.face_checks,
            liveness_at_start: p.liveness_at_start,
            liveness_in_checks: p.liveness_in_checks,
            bank_ids: p.bank_ids.iter().map(ToString::to_string).collect(),
            sessions: p.sessions.into_iter().map(ExamSessionResponse::from).collect(),
            candidate_count: p.candidate_count,
            absentees_recorded: p.absentees_recorded_at.is_some(),
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        }
    }
}

/// A plan's content as submitted, before checks.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub name: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub filter: CandidateFilter,
    pub blueprint: Blueprint,
    pub face_checks: i32,
    pub liveness_at_start: bool,
    pub liveness_in_checks: bool,
    pub bank_ids: Vec<String>,
    /// Replaces the sessions when given.
    pub sessions: Option<Vec<SessionInput>>,
}

fn invalid(field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::new(Code::ValidationFailed).field(field).text(zh, en)
}

impl Submitted {
    /// The checks that need no database.
    pub fn check(self) -> Result<PlanContent, ApiError> {
        let name = OrgName::parse(&self.name).map_err(|e| ApiError::invalid("name", e))?.into_inner();
        if self.window_end <= self.window_start {
            return Err(invalid("window_end", "须晚于考试开始时间", "must be after window_start"));
        }
        if self.window_end - self.window_start > chrono::Duration::days(366) {
            return Err(invalid("window_end", "考试时间窗口不能超过一年", "the window may not exceed a year"));
        }
        self.blueprint.validate().map_err(field_errors)?;
        if self.bank_ids.is_empty() {
            return Err(invalid("bank_ids", "至少选择一个题库", "choose at least one bank"));
        }
        let mut bank_ids = Vec::new();
        for id in &self.bank_ids {
            let id = BankId::parse(id).ok_or_else(|| ApiError::not_found().field("bank_ids"))?;
            if !bank_ids.contains(&id) {
                bank_ids.push(id);
            }
        }
        let (window_start, window_end) = (self.window_start.naive_utc(), self.window_end.naive_utc());
        let duration = chrono::Duration::minutes(i64::from(self.blueprint.duration_minutes));
        let sessions = self
            .sessions
            .map(|list| list.into_iter().map(|s| s.check((window_start, window_end), duration)).collect())
            .transpose()?;
        Ok(PlanContent {
            name,
            window_start,
            window_end,
            filter: self.filter,
            blueprint: self.blueprint,
            face_checks: exam::proctoring::check_face_checks(self.face_checks)
                .map_err(|e| ApiError::invalid("face_checks", e))?,
            liveness_at_start: self.liveness_at_start,
            liveness_in_checks: self.liveness_in_checks,
            bank_ids,
            sessions,
        })
    }
}

/// Checks that the filter names organizations under the organizer, that the banks are the
/// organizer's own or pushed down to it, and that they fill the blueprint for every role
/// and industry the plan admits (so no candidate ever gets a short paper). `roles` narrows
/// the check to the roles actually on a makeup's list. A bank the caller cannot see answers
/// 404, as one that does not exist.
pub fn check_sources(
    conn: &mut DbConn,
    me: &AnyPrincipal,
    organizer_path: &str,
    content: &PlanContent,
    roles: Option<Vec<WorkerRole>>,
) -> Result<(), ApiError> {
    for id in &content.filter.within {
        let inside = models::OrgId::parse(id)
            .map(|id| models::organization::path_of(conn, &id))
            .transpose()?
            .flatten()
            .is_some_and(|path| path.starts_with(organizer_path));
        if !inside {
            return Err(invalid(
                "candidate_filter.within",
                "须为主办单位辖区内的单位",
                "must name organizations inside the organizer's subtree",
            ));
        }
    }
    for id in &content.bank_ids {
        let b = bank::get_bank(conn, id).map_err(|e| ApiError::from(e).field("bank_ids"))?;
        // A bank the caller cannot see is one that does not exist, not one it may not use.
        if !me.scope().sees_shared(&b.organization_path) {
            return Err(ApiError::not_found().field("bank_ids"));
        }
        if !organizer_path.starts_with(&b.organization_path) {
            return Err(invalid(
                "bank_ids",
                "只能使用主办单位本单位或上级单位的题库",
                "only banks of the organizer or of organizations above it can be used",
            ));
        }
    }
    let pool = bank::pool(conn, &content.bank_ids)?;
    let mut problems: Vec<RowDetail> = Vec::new();
    let roles = roles.unwrap_or_else(|| content.filter.roles_admitted());
    for role in roles {
        for industry in content.filter.industries_admitted() {
            let entries: Vec<Entry> = pool
                .iter()
                .filter(|e| e.suits(role, Some(industry)))
                .map(|e| Entry { category: e.category, kind: e.kind, options: e.options })
                .collect();
            if let Err(short) = content.blueprint.check(&entries) {
                for s in short {
                    problems.push(shortfall(role, industry, &s));
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let first = problems[0].clone();
    Err(ApiError::new(Code::BlueprintUnsatisfiable).field("blueprint").text(first.zh, first.en).rows(problems))
}

fn shortfall(role: WorkerRole, industry: Industry, s: &exam::paper::Shortfall) -> RowDetail {
    let (zh_part, en_part) = match s.quota {
        None => ("配额以外的其余试题".to_owned(), "the questions outside the quotas".to_owned()),
        Some(q) => {
            let zh = [q.category.map(|c| c.label_zh()), q.kind.map(|k| k.label_zh())]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("·");
            let en = [q.category.map(|c| c.as_str()), q.kind.map(|k| k.as_str())]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/");
            (format!("配额“{zh}”"), format!("quota {en}"))
        }
    };
    RowDetail {
        row: 0,
        column: format!("{}/{}", role.as_str(), industry.as_str()),
        zh: format!(
            "{}（{}行业）：{}需要 {} 道，题库中只有 {} 道",
            role.label_zh(),
            industry.label_zh(),
            zh_part,
            s.needed,
            s.available
        ),
        en: format!(
            "{} in {}: {} needs {} questions, the banks hold {}",
            role.as_str(),
            industry.as_str(),
            en_part,
            s.needed,
            s.available
        ),
    }
}

/// A plan the caller may see: organized in its subtree or above it; 404 otherwise.
pub fn visible_plan(conn: &mut DbConn, me: &AnyPrincipal, id: &str) -> Result<Plan, ApiError> {
    me.require(|r| r.may_view_exams())?;
    let id = models::PlanId::parse(id).ok_or_else(ApiError::not_found)?;
    let plan = models::plan::get(conn, &id)?;
    if !me.scope().sees_shared(&plan.organizer_path) {
        return Err(ApiError::not_found());
    }
    Ok(plan)
}

/// A plan the caller may change: its organizer is the caller's organization or below it
/// and the role may organize exams there.
pub fn managed_plan(conn: &mut DbConn, me: &AnyPrincipal, id: &str) -> Result<Plan, ApiError> {
    let plan = visible_plan(conn, me, id)?;
    if !manages(me, &plan) {
        return Err(ApiError::forbidden());
    }
    Ok(plan)
}

/// Whether the caller may change the plan: its organizer is the caller's organization or
/// below it, and the role may organize exams there.
pub fn manages(me: &AnyPrincipal, plan: &Plan) -> bool {
    let relation =
        if plan.organizer_id == me.org.id { exam::access::Relation::Own } else { exam::access::Relation::Below };
    me.scope().contains_path(&plan.organizer_path) && me.role.may_organize_exams(relation)
}
