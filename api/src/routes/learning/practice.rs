use actix_web::{web, HttpResponse};
use exam::bank::{Category, QuestionKind};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Questions in a practice quiz by default, and at most.
const DEFAULT_QUESTIONS: usize = 20;
const MAX_QUESTIONS: usize = 100;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPracticeRequest {
    /// How many questions (1 to 100, default 20).
    pub count: Option<usize>,
    /// Only questions of this law or topic.
    pub category: Option<Category>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeQuestion {
    pub id: String,
    pub kind: QuestionKind,
    pub category: Category,
    pub stem: String,
    /// Choice options A, B, …; for true/false 正确, 错误.
    pub options: Vec<String>,
    /// Letters of the correct options, or "true"/"false": shown after the worker answers.
    pub answer: String,
    pub explanation: String,
    /// e.g. 《中华人民共和国安全生产法》第二十一条.
    pub legal_basis: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeQuiz {
    pub practice_id: String,
    pub questions: Vec<PracticeQuestion>,
}

/// Start a practice quiz: questions drawn at random from the question banks the worker's
/// exams draw from (the province's and those of the bureaus above the enterprise), suiting
/// its role and industry, each with its answer, explanation and legal basis for the app to
/// show after the worker answers. As many as the worker likes; never scored, only counted
/// in the worker's archive. Closed to a worker listed for an exam whose window is open, as
/// the exam's own answer keys are.
#[utoipa::path(post, path = "/api/v1/me/practice", operation_id = "startPractice", tag = "learning",
    security(("bearer" = [])), request_body = StartPracticeRequest,
    responses(
        (status = 201, body = PracticeQuiz), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "not_a_worker", body = ErrorBody),
        (status = 409, description = "practice_closed: an exam of the worker's is open", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "validation_failed, no_practice_questions", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn start_practice(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<StartPracticeRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let count = b.count.unwrap_or(DEFAULT_QUESTIONS);
    if !(1..=MAX_QUESTIONS).contains(&count) {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("count")
            .text(format!("须在 1 至 {MAX_QUESTIONS} 之间"), format!("must be from 1 to {MAX_QUESTIONS}")));
    }
    let quiz = state
        .db(move |conn, cipher| {
            let worker = models::worker::find_by_account(conn, cipher, &me.account_id)?
                .ok_or_else(|| ApiError::new(Code::NotAWorker))?;
            // Practice shows answer keys: none while the worker's own exam is open.
            if models::candidate::exam_open_for(conn, &worker.id, models::now())? {
                return Err(ApiError::new(Code::PracticeClosed));
            }
            // The banks above the enterprise and its own, as its exams draw them.
            let banks: Vec<models::BankId> =
                models::bank::list_banks(conn, me.scope())?.into_iter().map(|b| b.id).collect();
            let mut pool: Vec<String> = models::bank::pool(conn, &banks)?
                .into_iter()
                .filter(|q| q.suits(worker.role, me.org.industry))
                .filter(|q| b.category.is_none_or(|c| q.category == c))
                .map(|q| q.version_id)
                .collect();
            if pool.is_empty() {
                return Err(ApiError::new(Code::NoPracticeQuestions));
            }
            pool.shuffle(&mut rand::thread_rng());
            pool.truncate(count);
            let mut found = models::bank::versions(conn, &pool)?;
            let questions: Vec<PracticeQuestion> = pool
                .iter()
                .filter_map(|id| found.remove(id).map(|q| (id, q)))
                .map(|(id, q)| PracticeQuestion {
                    id: id.clone(),
                    kind: q.kind,
                    category: q.category,
                    answer: q.answer.render(q.kind),
                    options: if q.kind == QuestionKind::TrueFalse {
                        exam::bank::TRUE_FALSE_OPTIONS.iter().map(|o| (*o).to_owned()).collect()
                    } else {
                        q.options
                    },
                    stem: q.stem,
                    explanation: q.explanation,
                    legal_basis: q.legal_basis,
                })
                .collect();
            let id = models::learning::record_practice(conn, &worker.id, b.category, questions.len())?;
            Ok(PracticeQuiz { practice_id: id.to_string(), questions })
        })
        .await?;
    Ok(HttpResponse::Created().json(quiz))
}
