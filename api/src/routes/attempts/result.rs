use actix_web::web;
use chrono::{DateTime, Utc};
use exam::bank::{Choice, QuestionKind};
use exam::paper;
use models::attempt::{self, Attempt};
use models::plan::Rules;
use models::DbConn;
use serde::Serialize;
use utoipa::ToSchema;

use super::{own_attempt, settle, AttemptStatus, FinishReason};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// One question explained, after the exam window closed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewItem {
    pub position: i32,
    pub kind: QuestionKind,
    pub stem: String,
    /// As this candidate saw them.
    pub options: Vec<String>,
    pub your_answer: Option<String>,
    /// In the letters this candidate saw, or true/false.
    pub correct_answer: String,
    pub correct: bool,
    pub explanation: String,
    pub legal_basis: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultResponse {
    pub attempt_id: String,
    pub plan_id: String,
    pub plan_name: String,
    pub status: AttemptStatus,
    pub finish_reason: Option<FinishReason>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Out of 100; absent while the attempt is in progress, and for 作弊.
    pub score: Option<i32>,
    /// 作弊 when the attempt was voided for cheating.
    pub remark: Option<String>,
    pub passed: Option<bool>,
    pub correct: Option<i32>,
    pub question_count: u16,
    pub pass_mark: u16,
    /// Every question with its key and explanation, once the exam window has closed (so
    /// no key leaks to candidates still sitting the exam).
    pub review: Option<Vec<ReviewItem>>,
}

pub fn result_view(conn: &mut DbConn, a: &Attempt, plan: &Rules) -> Result<ResultResponse, ApiError> {
    let review = if a.finished && models::now() >= plan.window_end { Some(review(conn, a)?) } else { None };
    Ok(ResultResponse {
        attempt_id: a.id.to_string(),
        plan_id: plan.id.to_string(),
        plan_name: plan.name.clone(),
        status: if a.finished { AttemptStatus::Finished } else { AttemptStatus::InProgress },
        remark: super::remark(Some(a), false),
        finish_reason: FinishReason::of(a),
        finished_at: a.finished_at.map(|t| t.and_utc()),
        score: a.score,
        passed: a.passed,
        correct: a.correct,
        question_count: plan.blueprint.question_count,
        pass_mark: plan.blueprint.pass_mark,
        review,
    })
}

fn review(conn: &mut DbConn, a: &Attempt) -> Result<Vec<ReviewItem>, ApiError> {
    let items = attempt::items(conn, &a.id)?;
    let ids: Vec<String> = items.iter().map(|i| i.version_id.clone()).collect();
    let versions = models::bank::versions(conn, &ids)?;
    let saved: std::collections::HashMap<i32, String> =
        attempt::answers(conn, &a.id)?.into_iter().map(|s| (s.position, s.answer)).collect();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(q) = versions.get(&item.version_id) else { continue };
        let shown_key = paper::to_shown(q.answer, &item.option_order);
        let your = saved.get(&item.position).filter(|s| !s.is_empty()).cloned();
        let correct = your
            .as_deref()
            .and_then(|y| Choice::parse(q.kind, item.option_order.len(), y).ok())
            .is_some_and(|c| c == shown_key);
        let options = super::shown_options(q, &item.option_order);
        out.push(ReviewItem {
            position: item.position,
            kind: q.kind,
            stem: q.stem.clone(),
            options,
            your_answer: your,
            correct_answer: shown_key.render(q.kind),
            correct,
            explanation: q.explanation.clone(),
            legal_basis: q.legal_basis.clone(),
        });
    }
    Ok(out)
}

/// The caller's result: score, pass or fail, and — once the exam window has closed — every
/// question with its key, explanation and legal basis.
#[utoipa::path(get, path = "/api/v1/attempts/{id}/result", operation_id = "getMyResult", tag = "taking exams",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Attempt id")),
    responses((status = 200, body = ResultResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_my_result(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<ResultResponse>, ApiError> {
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    let view = state
        .db(move |conn, cipher| {
            let (_, a) = own_attempt(conn, &me, &id)?;
            let a = settle(conn, cipher, a, grace)?;
            let plan = models::plan::rules(conn, &a.plan_id)?;
            result_view(conn, &a, &plan)
        })
        .await?;
    Ok(web::Json(view))
}
