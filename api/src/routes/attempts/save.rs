use actix_web::web;
use chrono::{DateTime, Utc};
use exam::bank::{Choice, QuestionKind};
use models::attempt::{self, SaveOutcome};
use models::AttemptId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::settle;
use crate::auth::principal::Claimed;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveAnswerRequest {
    /// Letters of the chosen options as shown ("B", "ACD"; order and separators do not
    /// matter), true/false (A/B, 对/错) for true/false questions, or empty to clear.
    pub answer: String,
    /// The client's counter for this question, increasing with every change: a retry of an
    /// older save never overwrites a newer answer.
    pub seq: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SaveAnswerResult {
    pub position: i32,
    /// The answer that now stands (normalised: sorted letters, or true/false).
    pub answer: String,
    pub seq: i64,
    pub saved_at: DateTime<Utc>,
    /// False when a save with this or a newer `seq` was already stored: it stands.
    pub applied: bool,
    pub remaining_seconds: i64,
    /// Set when a random face check is due: capture a face and answer it first.
    pub face_check: Option<super::FaceCheckDue>,
}

/// Save one answer. Idempotent per question and sequence number, and acknowledged only
/// once durable. Refused with `attempt_closed` after submission or once the time is up
/// (plus a few seconds' grace for saves already on their way).
#[utoipa::path(put, path = "/api/v1/attempts/{id}/answers/{position}", operation_id = "saveAnswer", tag = "taking exams",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Attempt id"), ("position" = i32, Path, description = "Question position, from 1")),
    request_body = SaveAnswerRequest,
    responses(
        (status = 200, body = SaveAnswerResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "no such attempt or position", body = ErrorBody),
        (status = 409, description = "attempt_closed", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "the answer does not fit the question", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %caller.subject()))]
pub async fn save_answer(
    state: web::Data<AppState>,
    caller: Claimed,
    path: web::Path<(String, String)>,
    body: Json<SaveAnswerRequest>,
) -> Result<web::Json<SaveAnswerResult>, ApiError> {
    let (id, position) = path.into_inner();
    let SaveAnswerRequest { answer, seq } = body.0;
    if let Some(done) = quick_save(&state, &caller, &id, &position, &answer, seq).await? {
        return Ok(web::Json(done));
    }
    // Anything out of the ordinary: each check in turn, as every other operation makes
    // them, for the precise answer.
    let me = caller.principal(&state).await?;
    let position: i32 = position.parse().map_err(|_| ApiError::not_found().field("position"))?;
    if seq < 0 {
        return Err(ApiError::new(Code::ValidationFailed).field("seq").text("不能为负数", "must not be negative"));
    }
    if me.role != exam::Role::Worker {
        return Err(ApiError::new(Code::NotAWorker));
    }
    let id = AttemptId::parse(&id).ok_or_else(ApiError::not_found)?;
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    let steps = state.settings.liveness_steps;
    let papers = state.papers.clone();
    let result = state
        .db(move |conn, cipher| {
            // The attempt, only if it is the caller's, and the question: one query.
            let (a, item) = attempt::for_save(conn, &id, &me.account_id, position)?.ok_or_else(ApiError::not_found)?;
            if papers.get(&a.id).is_none() {
                papers.insert(a.id.clone(), attempt::shape(conn, &a.id)?.into());
            }
            let (kind, order) = item.ok_or_else(|| ApiError::not_found().field("position"))?;
            let normalised = normalise(kind, order.len(), &answer)?;
            let now = models::now();
            let check = |conn: &mut models::DbConn| super::due_face_check(conn, &a.id, a.next_check_at, steps);
            match attempt::save_answer(conn, &a.id, position, &normalised, seq, now, now - grace)? {
                SaveOutcome::Saved(s) => Ok(result_of(s, true, a.deadline, check(conn)?)),
                SaveOutcome::Superseded(s) => Ok(result_of(s, false, a.deadline, check(conn)?)),
                SaveOutcome::Closed => {
                    settle(conn, cipher, a, grace)?;
                    Err(ApiError::new(Code::AttemptClosed))
                }
            }
        })
        .await?;
    Ok(web::Json(result))
}

/// The common save, once this server knows the paper: the answer checked against the
/// question in memory, then one statement that checks the caller's account, session and
/// attempt and writes. `None` when any of it is not in order, and nothing was written.
async fn quick_save(
    state: &AppState,
    caller: &Claimed,
    id: &str,
    position: &str,
    answer: &str,
    seq: i64,
) -> Result<Option<SaveAnswerResult>, ApiError> {
    let (Some(who), Some(id), Ok(position)) = (caller.worker(), AttemptId::parse(id), position.parse::<i32>()) else {
        return Ok(None);
    };
    let Some(shape) = state.papers.get(&id) else { return Ok(None) };
    let shown = usize::try_from(position).ok().and_then(|p| p.checked_sub(1)).and_then(|i| shape.get(i));
    let (Some(&(kind, options)), true) = (shown, seq >= 0) else { return Ok(None) };
    let Ok(normalised) = normalise(kind, options, answer) else { return Ok(None) };
    let (account, session, epoch) = (who.account.clone(), who.session.clone(), who.epoch);
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    let steps = state.settings.liveness_steps;
    let now = models::now();
    let written = state
        .db(move |conn, _| {
            let who = attempt::Claimant { account: &account, session: &session, epoch };
            let Some(t) = attempt::save_checked(conn, who, &id, position, &normalised, seq, now, now - grace)? else {
                return Ok(None);
            };
            // A face check's time has come (twice or so an exam): tell the app.
            let check = super::due_face_check(conn, &id, t.next_check_at, steps)?;
            Ok(Some((t.deadline, normalised, check)))
        })
        .await?;
    Ok(written.map(|(deadline, answer, check)| {
        result_of(attempt::Saved { position, answer, client_seq: seq, saved_at: now }, true, deadline, check)
    }))
}

/// The answer in its stored form: sorted letters, true/false, or empty for cleared.
fn normalise(kind: QuestionKind, options: usize, answer: &str) -> Result<String, ApiError> {
    if answer.trim().is_empty() {
        return Ok(String::new());
    }
    Ok(Choice::parse(kind, options, answer).map_err(|e| ApiError::invalid("answer", e))?.render(kind))
}

fn result_of(
    s: attempt::Saved,
    applied: bool,
    deadline: chrono::NaiveDateTime,
    face_check: Option<super::FaceCheckDue>,
) -> SaveAnswerResult {
    SaveAnswerResult {
        position: s.position,
        answer: s.answer,
        seq: s.client_seq,
        saved_at: s.saved_at.and_utc(),
        applied,
        remaining_seconds: (deadline - models::now()).num_seconds().max(0),
        face_check,
    }
}
