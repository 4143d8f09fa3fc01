//! Taking an exam: start (face-gated), the paper and resume, answer saves, submission and
//! the result. The deadline is stored with the attempt and the server's clock is the only
//! clock: every response says how many seconds remain.

pub mod face_check;
pub mod get;
pub mod my_exams;
pub mod result;
pub mod save;
pub mod start;
pub mod submit;

use chrono::{DateTime, Utc};
use exam::bank::{Category, QuestionKind, TRUE_FALSE_OPTIONS};
use models::attempt::{self, Attempt};
use models::plan::Rules;
use models::{AttemptId, Cipher, DbConn, WorkerId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AnyPrincipal;
use crate::error::{ApiError, Code};
use crate::papers::Shapes;
use crate::routes::face::liveness::{draw_movements, LivenessChallenge};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    InProgress,
    Finished,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The candidate handed in (交卷).
    Submitted,
    /// The time ran out; every answer saved until then counts.
    TimeUp,
    /// 作弊: voided by a proctor; no score, failed.
    Cheating,
}

impl FinishReason {
    pub fn of(a: &Attempt) -> Option<Self> {
        match a.finish_reason.as_deref()? {
            "submitted" => Some(Self::Submitted),
            models::attempt::CHEATING => Some(Self::Cheating),
            _ => Some(Self::TimeUp),
        }
    }
}

/// What stands where a score would: 作弊 for a voided attempt, 缺考 for an absent candidate.
pub fn remark(attempt: Option<&Attempt>, absent: bool) -> Option<String> {
    match attempt {
        Some(a) if a.voided() => Some(exam::proctoring::CandidateState::Cheating.label_zh().to_owned()),
        Some(_) => None,
        None if absent => Some(exam::proctoring::CandidateState::Absent.label_zh().to_owned()),
        None => None,
    }
}

/// A question as the candidate sees it: never its key.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperQuestion {
    /// 1-based; answers are saved by position.
    pub position: i32,
    pub kind: QuestionKind,
    pub category: Category,
    pub stem: String,
    /// In this candidate's order, answered by letter (A, B, …). True/false: 正确, 错误.
    pub options: Vec<String>,
    pub points: u16,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedAnswer {
    pub position: i32,
    /// Letters as shown ("AC"), "true"/"false", or empty when cleared.
    pub answer: String,
    /// The client's sequence number of the save that stands.
    pub seq: i64,
    pub saved_at: DateTime<Utc>,
}

/// A face check the app must answer now (考中刷脸) before `answer_by`: with a liveness
/// challenge when `liveness` is set (film the movements and send the frames to
/// `submitLivenessFrames` with its id), else with a photo of the candidate taken now, sent
/// to `answerFaceCheck`. Missing it, another person's face or a failed challenge is shown
/// to the proctor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaceCheckDue {
    pub id: String,
    pub due_at: DateTime<Utc>,
    pub answer_by: DateTime<Utc>,
    pub seconds_left: i64,
    pub liveness: Option<LivenessChallenge>,
}

impl FaceCheckDue {
    pub fn of(c: models::face_check::DueCheck, now: chrono::NaiveDateTime) -> Self {
        FaceCheckDue {
            liveness: c.liveness.as_ref().map(LivenessChallenge::of),
            id: c.id,
            due_at: c.due_at.and_utc(),
            answer_by: c.answer_by.and_utc(),
            seconds_left: (c.answer_by - now).num_seconds().max(0),
        }
    }
}

/// How long the app has to answer a face check once told.
pub fn face_check_window() -> chrono::Duration {
    chrono::Duration::seconds(exam::proctoring::FACE_CHECK_ANSWER_SECS)
}

/// The face check due now for an open attempt whose next check time has come; a check
/// told now gets a challenge of `liveness_steps` movements when its plan asks for one.
pub fn due_face_check(
    conn: &mut DbConn,
    id: &AttemptId,
    next_check_at: Option<chrono::NaiveDateTime>,
    liveness_steps: usize,
) -> Result<Option<FaceCheckDue>, ApiError> {
    let now = models::now();
    if next_check_at.is_none_or(|t| t > now) {
        return Ok(None);
    }
    let steps = draw_movements(liveness_steps);
    let names: Vec<&str> = steps.iter().map(|m| m.as_str()).collect();
    Ok(models::face_check::due(conn, id, now, face_check_window(), &names)?.map(|c| FaceCheckDue::of(c, now)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptResponse {
    pub id: String,
    pub plan_id: String,
    pub plan_name: String,
    pub status: AttemptStatus,
    pub started_at: DateTime<Utc>,
    /// When the paper closes, by the server's clock.
    pub deadline: DateTime<Utc>,
    /// The server's clock now: apps show `remaining_seconds`, never their own clock.
    pub server_time: DateTime<Utc>,
    pub remaining_seconds: i64,
    pub question_count: usize,
    pub pass_mark: u16,
    pub questions: Vec<PaperQuestion>,
    pub answers: Vec<SavedAnswer>,
    /// Set when a random face check is due: capture a face and answer it first.
    pub face_check: Option<FaceCheckDue>,
}

/// The calling worker's attempt; 404 for anyone else's.
pub fn own_attempt(conn: &mut DbConn, me: &AnyPrincipal, id: &str) -> Result<(WorkerId, Attempt), ApiError> {
    if me.role != exam::Role::Worker {
        return Err(ApiError::new(Code::NotAWorker));
    }
    let worker = models::worker::id_by_account(conn, &me.account_id)?.ok_or_else(|| ApiError::new(Code::NotAWorker))?;
    let id = AttemptId::parse(id).ok_or_else(ApiError::not_found)?;
    let attempt = attempt::get(conn, &id)?;
    if attempt.worker_id != worker {
        return Err(ApiError::not_found());
    }
    Ok((worker, attempt))
}

/// Finishes an attempt whose time ran out (plus the grace for saves in flight) the moment
/// anyone looks at it; the sweeper does the same for attempts nobody looks at.
pub fn settle(conn: &mut DbConn, cipher: &Cipher, a: Attempt, grace: chrono::Duration) -> Result<Attempt, ApiError> {
    let now = models::now();
    if a.finished || now < a.deadline + grace {
        return Ok(a);
    }
    let plan = models::plan::rules(conn, &a.plan_id)?;
    match attempt::finish(conn, cipher, &a, "time_up", now, &plan)? {
        Some(finished) => Ok(finished),
        // Finished by someone else in the meantime.
        None => Ok(attempt::get(conn, &a.id)?),
    }
}

/// Keeps the paper's shape for this server's answer saves while the attempt is open (see
/// [`crate::papers`]).
pub fn remember(papers: &Shapes, view: &AttemptResponse) {
    if let (AttemptStatus::InProgress, Some(id)) = (view.status, AttemptId::parse(&view.id)) {
        papers.insert(id, view.questions.iter().map(|q| (q.kind, q.options.len())).collect());
    }
}

/// A question's options in the order this candidate sees them.
pub fn shown_options(q: &exam::bank::Question, option_order: &[u8]) -> Vec<String> {
    match q.kind {
        QuestionKind::TrueFalse => TRUE_FALSE_OPTIONS.iter().map(|s| (*s).to_owned()).collect(),
        _ => option_order.iter().filter_map(|c| q.options.get(usize::from(*c)).cloned()).collect(),
    }
}

/// The paper with the saved answers, as of now.
pub fn paper(conn: &mut DbConn, a: &Attempt, plan: &Rules, liveness_steps: usize) -> Result<AttemptResponse, ApiError> {
    let items = attempt::items(conn, &a.id)?;
    let ids: Vec<String> = items.iter().map(|i| i.version_id.clone()).collect();
    let versions = models::bank::versions(conn, &ids)?;
    let mut questions = Vec::with_capacity(items.len());
    for item in &items {
        let q = versions
            .get(&item.version_id)
            .ok_or_else(|| ApiError::internal(std::io::Error::other("paper refers to a missing version")))?;
        questions.push(PaperQuestion {
            position: item.position,
            kind: q.kind,
            category: q.category,
            stem: q.stem.clone(),
            options: shown_options(q, &item.option_order),
            points: plan.blueprint.points_per_question,
        });
    }
    let answers = attempt::answers(conn, &a.id)?
        .into_iter()
        .map(|s| SavedAnswer {
            position: s.position,
            answer: s.answer,
            seq: s.client_seq,
            saved_at: s.saved_at.and_utc(),
        })
        .collect();
    let face_check = if a.finished { None } else { due_face_check(conn, &a.id, a.next_check_at, liveness_steps)? };
    let now = models::now();
    Ok(AttemptResponse {
        id: a.id.to_string(),
        plan_id: plan.id.to_string(),
        plan_name: plan.name.clone(),
        status: if a.finished { AttemptStatus::Finished } else { AttemptStatus::InProgress },
        started_at: a.started_at.and_utc(),
        deadline: a.deadline.and_utc(),
        server_time: now.and_utc(),
        remaining_seconds: if a.finished { 0 } else { (a.deadline - now).num_seconds().max(0) },
        question_count: questions.len(),
        pass_mark: plan.blueprint.pass_mark,
        questions,
        answers,
        face_check,
    })
}
