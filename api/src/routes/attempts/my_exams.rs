use actix_web::web;
use chrono::{DateTime, Utc};
use exam::plan::PlanKind;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::routes::face::own_record;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MyExamStatus {
    /// The window has not opened.
    Upcoming,
    /// Open: the worker can start (after 刷脸).
    Open,
    InProgress,
    Finished,
    /// 缺考: the window closed without an attempt.
    Absent,
    /// 作弊: the attempt was voided by a proctor.
    Cheating,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyExam {
    pub plan_id: String,
    pub name: String,
    pub kind: PlanKind,
    pub organizer_name: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub duration_minutes: u16,
    pub question_count: u16,
    pub pass_mark: u16,
    pub status: MyExamStatus,
    pub attempt_id: Option<String>,
    pub score: Option<i32>,
    pub passed: Option<bool>,
    /// 缺考 or 作弊, where a score would be.
    pub remark: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyExamList {
    pub items: Vec<MyExam>,
}

/// The exams the calling worker is a candidate of, newest first, with where each stands.
#[utoipa::path(get, path = "/api/v1/me/exams", operation_id = "listMyExams", tag = "taking exams",
    security(("bearer" = [])),
    responses((status = 200, body = MyExamList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_my_exams(state: web::Data<AppState>, me: Principal) -> Result<web::Json<MyExamList>, ApiError> {
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    let items = state
        .db(move |conn, cipher| {
            let worker = own_record(conn, cipher, &me)?;
            let now = models::now();
            let mut items = Vec::new();
            for (plan, absent) in models::plan::plans_of_worker(conn, &worker.id)? {
                let attempt = match models::attempt::find(conn, &plan.id, &worker.id)? {
                    Some(a) => Some(super::settle(conn, cipher, a, grace)?),
                    None => None,
                };
                let status = match &attempt {
                    Some(a) if a.voided() => MyExamStatus::Cheating,
                    Some(a) if a.finished => MyExamStatus::Finished,
                    Some(_) => MyExamStatus::InProgress,
                    None if absent || now >= plan.window_end => MyExamStatus::Absent,
                    None if now < plan.window_start => MyExamStatus::Upcoming,
                    None => MyExamStatus::Open,
                };
                items.push(MyExam {
                    plan_id: plan.id.to_string(),
                    name: plan.name.clone(),
                    kind: plan.kind,
                    organizer_name: plan.organizer_name.clone(),
                    window_start: plan.window_start.and_utc(),
                    window_end: plan.window_end.and_utc(),
                    duration_minutes: plan.blueprint.duration_minutes,
                    question_count: plan.blueprint.question_count,
                    pass_mark: plan.blueprint.pass_mark,
                    status,
                    attempt_id: attempt.as_ref().map(|a| a.id.to_string()),
                    score: attempt.as_ref().and_then(|a| a.score),
                    passed: attempt.as_ref().and_then(|a| a.passed),
                    remark: super::remark(attempt.as_ref(), matches!(status, MyExamStatus::Absent)),
                });
            }
            Ok(items)
        })
        .await?;
    Ok(web::Json(MyExamList { items }))
}
