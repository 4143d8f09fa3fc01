//! An organization's exam schedule (附件5 考试安排表), in JSON or XLSX.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use exam::plan::PlanKind;
use exam::schedule::{self, ScheduleLine, Site};
use exam::WorkerRole;
use models::schedule::{ScheduleEntry, Span};
use models::{organization, OrgId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Query;
use crate::routes::workers::export_principals::{ExportFormat, XLSX};
use crate::routes::workers::import::RosterFile;
use crate::state::AppState;

/// China Standard Time, in which the schedule is read (times are stored in UTC).
const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScheduleQuery {
    /// `json` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// Only what ends after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only what starts before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// One line of 附件5: a session, or an exam without one yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleRow {
    /// 序号
    pub seq: usize,
    pub plan_id: String,
    /// 考试名称
    pub plan_name: String,
    pub kind: PlanKind,
    /// 考试类型: 企业全员考试, 县级主要负责人考试, 全省大统考 or 补考.
    pub kind_label: String,
    /// Who sits it.
    pub roles: Vec<WorkerRole>,
    /// 人员类型, e.g. 主要负责人、安全管理人员、其他从业人员.
    pub roles_label: String,
    /// The session's start (the plan's window's without a session), in China time.
    pub starts_at: DateTime<FixedOffset>,
    /// The session's end (the plan's window's without a session), in China time.
    pub ends_at: DateTime<FixedOffset>,
    /// 考试时间, e.g. `2026-09-25 09:00–10:00` (China time).
    pub time: String,
    /// Null for an exam without a session.
    pub session_id: Option<String>,
    pub site_name: Option<String>,
    pub address: Option<String>,
    /// 考试地点: the site and its address, or 未安排考点.
    pub place: String,
    /// 座位数; null without a session.
    pub capacity: Option<i32>,
    /// 已安排人数; for an exam organized above the organization, only its own candidates.
    pub assigned: Option<i64>,
    /// 主办单位
    pub organizer_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamSchedule {
    pub title: String,
    pub organization_id: String,
    pub items: Vec<ScheduleRow>,
}

/// `2026-09-25 09:00–10:00` in China time; both dates when the span crosses midnight.
fn time_span(start: NaiveDateTime, end: NaiveDateTime) -> String {
    let (start, end) = (start.and_utc().with_timezone(&CHINA), end.and_utc().with_timezone(&CHINA));
    let tail = if start.date_naive() == end.date_naive() { "%H:%M" } else { "%Y-%m-%d %H:%M" };
    format!("{}–{}", start.format("%Y-%m-%d %H:%M"), end.format(tail))
}

fn line_of(e: &ScheduleEntry) -> ScheduleLine {
    ScheduleLine {
        kind: e.plan.kind,
        roles: e.plan.filter.roles_admitted(),
        time: time_span(e.starts_at(), e.ends_at()),
        site: e.session.as_ref().map(|x| Site { name: x.site_name.clone(), address: x.address.clone() }),
        capacity: e.session.as_ref().map(|x| x.capacity),
        assigned: e.session.as_ref().map(|x| x.assigned),
        organizer: e.plan.organizer_name.clone(),
        name: e.plan.name.clone(),
    }
}

fn row_of(seq: usize, e: ScheduleEntry, l: &ScheduleLine) -> ScheduleRow {
    let mut roles = l.roles.clone();
    roles.sort_unstable();
    ScheduleRow {
        seq,
        kind_label: l.kind_label().to_owned(),
        roles_label: l.roles_label(),
        roles,
        starts_at: e.starts_at().and_utc().with_timezone(&CHINA),
        ends_at: e.ends_at().and_utc().with_timezone(&CHINA),
        time: l.time.clone(),
        place: l.place(),
        capacity: l.capacity,
        assigned: l.assigned,
        organizer_name: l.organizer.clone(),
        plan_id: e.plan.id.to_string(),
        plan_name: e.plan.name,
        kind: e.plan.kind,
        session_id: e.session.as_ref().map(|x| x.id.to_string()),
        site_name: e.session.as_ref().map(|x| x.site_name.clone()),
        address: e.session.and_then(|x| x.address),
    }
}

/// Export an organization's exam schedule, the campaign notice's 附件5 (考试安排表): for every
/// kind of exam (and makeups), 人员类型, 时间 and 地点, one line per session in order of start,
/// in JSON or XLSX. Covers the exams organized by the organization or below it, the sessions
/// of exams organized above it that seat its candidates, and exams without a session yet
/// (未安排考点, with the exam's window); `from` and `to` keep what overlaps them.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/exam-schedule", operation_id = "exportExamSchedule", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Organization id (typically a county bureau)"), ScheduleQuery),
    responses(
        (status = 200, description = "The schedule", content((ExamSchedule = "application/json"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn export_exam_schedule(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    query: Query<ScheduleQuery>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_view_exams())?;
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let ScheduleQuery { format, from, to } = query.0;
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            return Err(ApiError::new(Code::InvalidQuery).field("to").text("须晚于 from", "must be after `from`"));
        }
    }
    let span = Span { from: from.map(|t| t.naive_utc()), to: to.map(|t| t.naive_utc()) };
    let (title, entries) = state
        .db(move |conn, cipher| {
            let org = organization::find_in(conn, cipher, me.scope(), &org_id)?;
            let entries = models::schedule::schedule(conn, &models::Jurisdiction::of(&org), span)?;
            Ok((format!("{}“大考试”考试安排表", org.name), entries))
        })
        .await?;
    let lines: Vec<ScheduleLine> = entries.iter().map(line_of).collect();
    tracing::info!(count = lines.len(), "exam schedule exported");
    match format.unwrap_or_default() {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(ExamSchedule {
            title,
            organization_id: id.into_inner(),
            items: entries.into_iter().zip(&lines).enumerate().map(|(i, (e, l))| row_of(i + 1, e, l)).collect(),
        })),
        ExportFormat::Xlsx => {
            let bytes = web::block(move || schedule::schedule_xlsx(&title, &lines))
                .await?
                .map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
            Ok(HttpResponse::Ok()
                .content_type(XLSX)
                .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"exam-schedule.xlsx\""))
                .body(bytes))
        }
    }
}
