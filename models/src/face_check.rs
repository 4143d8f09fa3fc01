//! Random face checks during an exam (考中刷脸).
//!
//! The moments are drawn when the paper is drawn and stored with the attempt. The first
//! time the app talks to the server after a moment has come, it is told to capture a face
//! (`notified_at`) and must answer by `answer_by`. A mismatch or a missed answer raises a
//! flag for the proctor with the evidence; it never fails the candidate by itself.
//! `attempts.next_check_at` holds the earliest moment not yet settled, so the answer-save
//! path sees a due check without a query of its own. When the plan asks for it
//! (`liveness_in_checks`), a check is answered with a liveness challenge drawn when the app
//! is told, so a photo held up to the camera does not pass it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::liveness::Challenge;
use crate::schema::{attempt_face_checks as k, attempts as a, exam_plans as p};
use crate::{AttemptId, DbConn, DbError, WorkerId};

/// A check the app must answer now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCheck {
    pub id: String,
    pub due_at: NaiveDateTime,
    pub answer_by: NaiveDateTime,
    /// The liveness challenge that answers it, when the plan asks for one.
    pub liveness: Option<Challenge>,
}

/// How a check was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// Not the enrolled face: a `face_mismatch` flag was raised.
    Mismatch,
    /// Not answered in time: a `face_check_missed` flag was raised.
    Missed,
    /// The enrolled face, but the liveness challenge failed (a photo, a replay, …): a
    /// `liveness_failed` flag was raised.
    LivenessFailed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Mismatch => "mismatch",
            Outcome::Missed => "missed",
            Outcome::LivenessFailed => "liveness_failed",
        }
    }
}

/// Stores an attempt's check moments; part of starting it.
pub fn schedule(conn: &mut DbConn, attempt: &AttemptId, moments: &[NaiveDateTime]) -> Result<(), DbError> {
    for due in moments {
        diesel::insert_into(k::table)
            .values((
                k::id.eq(uuid::Uuid::now_v7().to_string()),
                k::attempt_id.eq(attempt.as_str()),
                k::due_at.eq(*due),
            ))
            .execute(conn)?;
    }
    set_next(conn, attempt)
}

/// Points `next_check_at` at the earliest unsettled check (or nothing).
fn set_next(conn: &mut DbConn, attempt: &AttemptId) -> Result<(), DbError> {
    let next: Option<NaiveDateTime> = k::table
        .filter(k::attempt_id.eq(attempt.as_str()))
        .filter(k::outcome.is_null())
        .select(diesel::dsl::min(k::due_at))
        .get_result(conn)?;
    diesel::update(a::table.find(attempt.as_str())).set(a::next_check_at.eq(next)).execute(conn)?;
    Ok(())
}

type CheckRow = (String, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>);

/// Settles as missed every told check of the attempt whose answer time passed before
/// `now`, with a flag each. Run inside a write transaction. How many.
fn settle_missed(conn: &mut DbConn, attempt: &AttemptId, now: NaiveDateTime) -> Result<usize, DbError> {
    let late: Vec<CheckRow> = k::table
        .filter(k::attempt_id.eq(attempt.as_str()))
        .filter(k::outcome.is_null())
        .filter(k::answer_by.lt(now))
        .select((k::id, k::due_at, k::notified_at, k::answer_by))
        .load(conn)?;
    for (id, due_at, notified_at, answer_by) in &late {
        miss(conn, attempt, id, *due_at, *notified_at, *answer_by)?;
    }
    if !late.is_empty() {
        set_next(conn, attempt)?;
    }
    Ok(late.len())
}

fn miss(
    conn: &mut DbConn,
    attempt: &AttemptId,
    id: &str,
    due_at: NaiveDateTime,
    notified_at: Option<NaiveDateTime>,
    answer_by: Option<NaiveDateTime>,
) -> Result<(), DbError> {
    let n = diesel::update(k::table.find(id).filter(k::outcome.is_null()))
        .set(k::outcome.eq(Some(Outcome::Missed.as_str())))
        .execute(conn)?;
    if n == 1 {
        let evidence = json!({"check_id": id, "due_at": due_at.and_utc(), "told_at": notified_at.map(|t| t.and_utc()),
                              "answer_by": answer_by.map(|t| t.and_utc())});
        crate::proctoring::raise_flag(conn, attempt, "face_check_missed", &evidence)?;
    }
    Ok(())
}

/// The check the app must answer now, if one is due: the first time it is asked for, it
/// is marked told and given until `now + answer_within`, and, when the plan asks for
/// liveness in its checks, a challenge of `liveness_steps` (drawn by the caller) is created
/// to answer it. Checks whose answer time has passed are settled as missed first. Run it
/// when `next_check_at <= now`.
pub fn due(
    conn: &mut DbConn,
    attempt: &AttemptId,
    now: NaiveDateTime,
    answer_within: chrono::Duration,
    liveness_steps: &[&str],
) -> Result<Option<DueCheck>, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let open: Option<(String, bool)> = a::table
            .inner_join(p::table.on(p::id.eq(a::plan_id)))
            .filter(a::id.eq(attempt.as_str()))
            .filter(a::status.eq("in_progress"))
            .select((a::worker_id, p::liveness_in_checks))
            .get_result(conn)
            .optional()?;
        let Some((worker, liveness_in_checks)) = open else { return Ok(None) };
        settle_missed(conn, attempt, now)?;
        // A handful of rows at most: no LIMIT (a bound LIMIT costs SQLite a re-prepare).
        let due: Vec<CheckRow> = k::table
            .filter(k::attempt_id.eq(attempt.as_str()))
            .filter(k::outcome.is_null())
            .filter(k::due_at.le(now))
            .order(k::due_at)
            .select((k::id, k::due_at, k::notified_at, k::answer_by))
            .load(conn)?;
        let Some((id, due_at, _, answer_by)) = due.into_iter().next() else { return Ok(None) };
        let (answer_by, liveness) = match answer_by {
            Some(t) => (t, crate::liveness::for_face_check(conn, &id)?),
            None => {
                let by = now + answer_within;
                diesel::update(k::table.find(&id))
                    .set((k::notified_at.eq(Some(now)), k::answer_by.eq(Some(by))))
                    .execute(conn)?;
                let liveness = if liveness_in_checks {
                    let worker = WorkerId::from_db(worker);
                    Some(crate::liveness::create(
                        conn,
                        &worker,
                        crate::liveness::FACE_CHECK,
                        liveness_steps,
                        by,
                        Some(&id),
                    )?)
                } else {
                    None
                };
                (by, liveness)
            }
        };
        Ok(Some(DueCheck { id, due_at, answer_by, liveness }))
    })
}

/// The attempt a check belongs to.
pub fn attempt_of(conn: &mut DbConn, check: &str) -> Result<AttemptId, DbError> {
    let id: String = k::table.find(check).select(k::attempt_id).get_result(conn)?;
    Ok(AttemptId::from_db(id))
}

/// What answering a check came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    Settled(Outcome),
    /// No such check on this attempt, or not due yet.
    NotDue,
    /// Settled already (answered, missed or cancelled).
    AlreadySettled(String),
}

/// How an answer to a check came out.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The best similarity of the face (or frames) with the enrolled template.
    pub score: f32,
    pub threshold: f32,
    /// For an answer by liveness challenge: what failed (empty when it passed).
    pub liveness_problems: Option<Vec<String>>,
}

impl Verdict {
    fn outcome(&self) -> Outcome {
        if self.score < self.threshold {
            Outcome::Mismatch
        } else if self.liveness_problems.as_ref().is_some_and(|p| !p.is_empty()) {
            Outcome::LivenessFailed
        } else {
            Outcome::Passed
        }
    }
}

/// Settles a due check: passed when the face is the enrolled one (at or above the
/// threshold) and any liveness challenge passed; else a `face_mismatch` or
/// `liveness_failed` flag with the evidence. An answer after its time counts as missed.
pub fn answer(
    conn: &mut DbConn,
    attempt: &AttemptId,
    check: &str,
    verdict: &Verdict,
    now: NaiveDateTime,
) -> Result<Answered, DbError> {
    crate::db::write_transaction(conn, |conn| {
        type StateRow = (NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<String>);
        let row: Option<StateRow> = k::table
            .find(check)
            .filter(k::attempt_id.eq(attempt.as_str()))
            .select((k::due_at, k::notified_at, k::answer_by, k::outcome))
            .get_result(conn)
            .optional()?;
        let Some((due_at, notified_at, answer_by, outcome)) = row else { return Ok(Answered::NotDue) };
        if let Some(o) = outcome {
            return Ok(Answered::AlreadySettled(o));
        }
        if due_at > now {
            return Ok(Answered::NotDue);
        }
        if answer_by.is_some_and(|by| by < now) {
            miss(conn, attempt, check, due_at, notified_at, answer_by)?;
            set_next(conn, attempt)?;
            return Ok(Answered::Settled(Outcome::Missed));
        }
        let outcome = verdict.outcome();
        diesel::update(k::table.find(check))
            .set((
                k::answered_at.eq(Some(now)),
                k::outcome.eq(Some(outcome.as_str())),
                k::score.eq(Some(f64::from(verdict.score))),
                k::notified_at.eq(Some(notified_at.unwrap_or(now))),
            ))
            .execute(conn)?;
        let flag = match outcome {
            Outcome::Mismatch => Some("face_mismatch"),
            Outcome::LivenessFailed => Some("liveness_failed"),
            Outcome::Passed | Outcome::Missed => None,
        };
        if let Some(flag) = flag {
            let evidence = json!({"check_id": check, "score": verdict.score, "threshold": verdict.threshold,
                                  "liveness_problems": verdict.liveness_problems,
                                  "due_at": due_at.and_utc(), "answered_at": now.and_utc()});
            crate::proctoring::raise_flag(conn, attempt, flag, &evidence)?;
        }
        set_next(conn, attempt)?;
        Ok(Answered::Settled(outcome))
    })
}

/// Settles the checks of an attempt that is finishing: a told check not answered is
/// missed (with a flag); one never told (its moment came while the app was silent, or
/// not at all) is cancelled. Part of finishing, inside its transaction; the finish itself
/// clears `next_check_at` with the status.
pub fn settle_at_finish(conn: &mut DbConn, attempt: &AttemptId) -> Result<(), DbError> {
    let told: Vec<CheckRow> = k::table
        .filter(k::attempt_id.eq(attempt.as_str()))
        .filter(k::outcome.is_null())
        .filter(k::notified_at.is_not_null())
        .select((k::id, k::due_at, k::notified_at, k::answer_by))
        .load(conn)?;
    for (id, due_at, notified_at, answer_by) in &told {
        miss(conn, attempt, id, *due_at, *notified_at, *answer_by)?;
    }
    diesel::update(k::table.filter(k::attempt_id.eq(attempt.as_str())).filter(k::outcome.is_null()))
        .set(k::outcome.eq(Some("cancelled")))
        .execute(conn)?;
    Ok(())
}

/// Attempts in progress with a told check whose answer time passed before `now`, for the
/// sweeper: the proctor sees the flag even if the app has gone silent.
pub fn with_missed(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> Result<Vec<AttemptId>, DbError> {
    let ids: Vec<String> = k::table
        .inner_join(a::table.on(a::id.eq(k::attempt_id)))
        .filter(k::outcome.is_null())
        .filter(k::answer_by.lt(now))
        .filter(a::status.eq("in_progress"))
        .select(k::attempt_id)
        .distinct()
        .limit(limit)
        .load(conn)?;
    Ok(ids.into_iter().map(AttemptId::from_db).collect())
}

/// Settles an attempt's missed checks (see [`with_missed`]). How many.
pub fn settle_missed_now(conn: &mut DbConn, attempt: &AttemptId, now: NaiveDateTime) -> Result<usize, DbError> {
    crate::db::write_transaction(conn, |conn| settle_missed(conn, attempt, now))
}

/// An attempt's checks, for the proctor: due, told, answered, outcome and score.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub id: String,
    pub due_at: NaiveDateTime,
    pub notified_at: Option<NaiveDateTime>,
    pub answer_by: Option<NaiveDateTime>,
    pub answered_at: Option<NaiveDateTime>,
    pub outcome: Option<String>,
    pub score: Option<f64>,
}

type FullRow = (
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<f64>,
);

pub fn checks_of(conn: &mut DbConn, attempt: &AttemptId) -> Result<Vec<Check>, DbError> {
    let rows: Vec<FullRow> = k::table
        .filter(k::attempt_id.eq(attempt.as_str()))
        .order(k::due_at)
        .select((k::id, k::due_at, k::notified_at, k::answer_by, k::answered_at, k::outcome, k::score))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, due_at, notified_at, answer_by, answered_at, outcome, score)| Check {
            id,
            due_at,
            notified_at,
            answer_by,
            answered_at,
            outcome,
            score,
        })
        .collect())
}

/// Moves an attempt's next check moment (and, with `answer_by`, its answer time), for
/// tests that cannot wait for them.
pub fn set_next_due_for_tests(
    conn: &mut DbConn,
    attempt: &AttemptId,
    due: NaiveDateTime,
    answer_by: Option<NaiveDateTime>,
) -> Result<(), DbError> {
    let next = checks_of(conn, attempt)?.into_iter().find(|c| c.outcome.is_none()).ok_or(DbError::NotFound)?;
    diesel::update(k::table.find(&next.id)).set(k::due_at.eq(due)).execute(conn)?;
    if let Some(by) = answer_by {
        diesel::update(k::table.find(&next.id))
            .set((k::notified_at.eq(Some(due)), k::answer_by.eq(Some(by))))
            .execute(conn)?;
    }
    set_next(conn, attempt)
}
