//! Attempts: the drawn paper, the answers saved against it, and its single grading.
//!
//! A save and the finishing of the same attempt never interleave, and an attempt is graded
//! once. Finishing updates the attempt's row under a condition (still in progress), which
//! checks the state and locks the row until its transaction ends. A save checks that the
//! attempt is open while holding a lock that finishing must wait for: on SQLite the write
//! lock its transaction takes at the start, on PostgreSQL a share lock on the row (saves of
//! one attempt share it; finishing's update waits for them).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;
use exam::bank::{Choice, QuestionKind};
use exam::paper::{self, Blueprint, Grade, Marked};

use crate::schema::{answers as ans, attempt_items as i, attempts as a, question_versions as v};
use crate::{AttemptId, DbConn, DbError, PlanId, WorkerId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: AttemptId,
    pub plan_id: PlanId,
    pub worker_id: WorkerId,
    pub finished: bool,
    /// `submitted` or `time_up`, once finished.
    pub finish_reason: Option<String>,
    pub seed: String,
    pub started_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub correct: Option<i32>,
    pub score: Option<i32>,
    pub passed: Option<bool>,
    /// Minutes granted beyond the paper's duration (already in `deadline`).
    pub extra_minutes: i32,
    /// `face`, or `manual` when a proctor checked the ID card instead.
    pub identity_method: String,
    /// The earliest in-exam face check not yet settled.
    pub next_check_at: Option<NaiveDateTime>,
}

impl Attempt {
    /// Voided for cheating (作弊): no score, failed.
    pub fn voided(&self) -> bool {
        self.finish_reason.as_deref() == Some(CHEATING)
    }
}

/// The finish reason of an attempt voided for cheating.
pub const CHEATING: &str = "cheating";

#[derive(Queryable, Selectable)]
#[diesel(table_name = a)]
struct Row {
    id: String,
    plan_id: String,
    worker_id: String,
    status: String,
    finish_reason: Option<String>,
    seed: String,
    started_at: NaiveDateTime,
    deadline: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
    correct: Option<i32>,
    score: Option<i32>,
    passed: Option<bool>,
    extra_minutes: i32,
    identity_method: String,
    next_check_at: Option<NaiveDateTime>,
}

impl From<Row> for Attempt {
    fn from(r: Row) -> Self {
        Attempt {
            id: AttemptId::from_db(r.id),
            plan_id: PlanId::from_db(r.plan_id),
            worker_id: WorkerId::from_db(r.worker_id),
            finished: r.status == "finished",
            finish_reason: r.finish_reason,
            seed: r.seed,
            started_at: r.started_at,
            deadline: r.deadline,
            finished_at: r.finished_at,
            correct: r.correct,
            score: r.score,
            passed: r.passed,
            extra_minutes: r.extra_minutes,
            identity_method: r.identity_method,
            next_check_at: r.next_check_at,
        }
    }
}

/// One drawn question: which version, and the order its options are shown in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub position: i32,
    pub version_id: String,
    pub option_order: Vec<u8>,
}

/// A new attempt with its paper.
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    pub plan_id: &'a PlanId,
    pub worker_id: &'a WorkerId,
    pub seed: String,
    pub verification_id: Option<String>,
    /// `face` or `manual`.
    pub identity_method: &'a str,
    pub started_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub items: Vec<Item>,
}

/// Writes the attempt and its paper. `Conflict` when the worker already has one.
pub fn create(conn: &mut DbConn, new: NewAttempt<'_>) -> Result<Attempt, DbError> {
    let id = AttemptId::new();
    diesel::insert_into(a::table)
        .values((
            a::id.eq(id.as_str()),
            a::plan_id.eq(new.plan_id.as_str()),
            a::worker_id.eq(new.worker_id.as_str()),
            a::status.eq("in_progress"),
            a::seed.eq(&new.seed),
            a::verification_id.eq(&new.verification_id),
            a::identity_method.eq(new.identity_method),
            a::started_at.eq(new.started_at),
            a::deadline.eq(new.deadline),
            a::updated_at.eq(new.started_at),
        ))
        .execute(conn)?;
    // One statement per item: diesel's multi-row insert is not available across both
    // backends; the caller's transaction makes the paper appear whole or not at all.
    for it in &new.items {
        diesel::insert_into(i::table)
            .values((
                i::attempt_id.eq(id.as_str()),
                i::position.eq(it.position),
                i::question_version_id.eq(it.version_id.as_str()),
                i::option_order.eq(it.option_order.iter().map(|d| char::from(b'0' + d)).collect::<String>()),
            ))
            .execute(conn)?;
    }
    get(conn, &id)
}

pub fn get(conn: &mut DbConn, id: &AttemptId) -> Result<Attempt, DbError> {
    Ok(a::table.find(id.as_str()).select(Row::as_select()).get_result(conn)?.into())
}

pub fn find(conn: &mut DbConn, plan: &PlanId, worker: &WorkerId) -> Result<Option<Attempt>, DbError> {
    let row = a::table
        .filter(a::plan_id.eq(plan.as_str()))
        .filter(a::worker_id.eq(worker.as_str()))
        .select(Row::as_select())
        .get_result(conn)
        .optional()?;
    Ok(row.map(Attempt::from))
}

/// The paper, in the candidate's order.
/// A stored option order ("3021": the first option shown is the question's fourth, …).
fn option_order(stored: &str) -> Vec<u8> {
    stored.bytes().map(|b| b.saturating_sub(b'0')).collect()
}

pub fn items(conn: &mut DbConn, id: &AttemptId) -> Result<Vec<Item>, DbError> {
    let rows: Vec<(i32, String, String)> = i::table
        .filter(i::attempt_id.eq(id.as_str()))
        .order(i::position)
        .select((i::position, i::question_version_id, i::option_order))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(position, version_id, order)| Item { position, version_id, option_order: option_order(&order) })
        .collect())
}

/// A saved answer, as the candidate's letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub position: i32,
    pub answer: String,
    pub client_seq: i64,
    pub saved_at: NaiveDateTime,
}

pub fn answers(conn: &mut DbConn, id: &AttemptId) -> Result<Vec<Saved>, DbError> {
    let rows: Vec<(i32, String, i64, NaiveDateTime)> = ans::table
        .filter(ans::attempt_id.eq(id.as_str()))
        .order(ans::position)
        .select((ans::position, ans::answer, ans::client_seq, ans::saved_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(position, answer, client_seq, saved_at)| Saved { position, answer, client_seq, saved_at })
        .collect())
}

/// What became of a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Durable: this answer now stands.
    Saved(Saved),
    /// An answer with this or a newer sequence number is already stored; it stands.
    Superseded(Saved),
    /// The attempt is finished or past its cut-off: nothing was written.
    Closed,
}

/// Saves one answer if the attempt is open at `now` (before `deadline + grace`, i.e.
/// `deadline > cutoff` where `cutoff = now - grace`) and no newer answer is stored.
pub fn save_answer(
    conn: &mut DbConn,
    id: &AttemptId,
    position: i32,
    answer: &str,
    client_seq: i64,
    now: NaiveDateTime,
    cutoff: NaiveDateTime,
) -> Result<SaveOutcome, DbError> {
    let row = SaveRow { id: id.as_str(), position, answer, client_seq, now, cutoff };
    // Rows written; `None` when the attempt was found closed.
    let written: Option<usize> = match conn {
        DbConn::Postgres(c) => Some(PgSave(row).execute(c)?),
        DbConn::Sqlite(_) => crate::db::write_transaction(conn, |conn| {
            // The transaction holds SQLite's write lock from its start: no finish can come
            // between this check and the write.
            if !is_open(conn, id, cutoff)? {
                return Ok::<_, DbError>(None);
            }
            Ok(Some(sqlite_upsert(conn, &row)?))
        })?,
    };
    match written {
        None => Ok(SaveOutcome::Closed),
        Some(1) => Ok(SaveOutcome::Saved(Saved { position, answer: answer.to_owned(), client_seq, saved_at: now })),
        Some(_) => unwritten(conn, id, position, cutoff),
    }
}

/// Who a save's bearer token says is calling: an account, its login session and the
/// account's token epoch when the token was issued.
#[derive(Debug, Clone, Copy)]
pub struct Claimant<'a> {
    pub account: &'a crate::AccountId,
    pub session: &'a crate::SessionId,
    pub epoch: i32,
}

/// The common save in one statement, bearer check included: writes the answer only if
/// the session is live, the account is an active worker's with the token's epoch and no
/// pending password change, the attempt is that worker's and open, and no save with this
/// or a newer sequence number is stored. The attempt's deadline and next face check when
/// written; `None` when anything is not so, for the caller to find out which through the
/// full checks, one by one.
#[allow(clippy::too_many_arguments)]
pub fn save_checked(
    conn: &mut DbConn,
    who: Claimant<'_>,
    id: &AttemptId,
    position: i32,
    answer: &str,
    client_seq: i64,
    now: NaiveDateTime,
    cutoff: NaiveDateTime,
) -> Result<Option<Timing>, DbError> {
    let row = SaveRow { id: id.as_str(), position, answer, client_seq, now, cutoff };
    let timing = |(deadline, next_check_at)| Timing { deadline, next_check_at };
    match conn {
        DbConn::Postgres(c) => Ok(PgCheckedSave { row, who }.get_result(c).optional()?.map(timing)),
        DbConn::Sqlite(_) => crate::db::write_transaction(conn, |conn| {
            use crate::schema::{accounts as acc, sessions as s, workers as w};
            let found: Option<(NaiveDateTime, Option<NaiveDateTime>)> = a::table
                .inner_join(w::table.on(w::id.eq(a::worker_id)))
                .inner_join(acc::table.on(w::account_id.eq(acc::id.nullable())))
                .inner_join(s::table.on(s::account_id.eq(acc::id)))
                .filter(a::id.eq(id.as_str()).and(a::status.eq("in_progress")).and(a::deadline.gt(cutoff)))
                .filter(acc::id.eq(who.account.as_str()))
                .filter(acc::active.and(acc::token_epoch.eq(who.epoch)).and(acc::role.eq("worker")))
                .filter(acc::must_change_password.eq(false))
                .filter(s::id.eq(who.session.as_str()).and(s::revoked_at.is_null()).and(s::expires_at.gt(now)))
                .select((a::deadline, a::next_check_at))
                .get_result(conn)
                .optional()?;
            match found {
                Some(t) if sqlite_upsert(conn, &row)? == 1 => Ok(Some(timing(t))),
                _ => Ok(None),
            }
        }),
    }
}

/// An open attempt's clock, as a save sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub deadline: NaiveDateTime,
    /// The earliest face check not yet settled: due when not after now.
    pub next_check_at: Option<NaiveDateTime>,
}

/// One answer to write.
#[derive(Debug, Clone, Copy)]
struct SaveRow<'a> {
    id: &'a str,
    position: i32,
    answer: &'a str,
    client_seq: i64,
    now: NaiveDateTime,
    /// Open means `deadline > cutoff`.
    cutoff: NaiveDateTime,
}

/// Inserts the answer, or overwrites an older save of it; a save with this or a newer
/// sequence number already stored stands. Rows written. (The upsert's `filter` is a trait
/// method that QueryDsl's would shadow, and diesel's combined backend has no upserts.)
fn sqlite_upsert(conn: &mut DbConn, row: &SaveRow<'_>) -> Result<usize, DbError> {
    let DbConn::Sqlite(c) = conn else { return Err(DbError::Corrupt("sqlite_upsert on PostgreSQL".into())) };
    let upsert = diesel::insert_into(ans::table)
        .values((
            ans::attempt_id.eq(row.id),
            ans::position.eq(row.position),
            ans::answer.eq(row.answer),
            ans::client_seq.eq(row.client_seq),
            ans::saved_at.eq(row.now),
        ))
        .on_conflict((ans::attempt_id, ans::position))
        .do_update()
        .set((
            ans::answer.eq(excluded(ans::answer)),
            ans::client_seq.eq(excluded(ans::client_seq)),
            ans::saved_at.eq(excluded(ans::saved_at)),
        ));
    Ok(diesel::query_dsl::methods::FilterDsl::filter(upsert, ans::client_seq.lt(row.client_seq)).execute(c)?)
}

/// An answer save on PostgreSQL as one statement, one round trip: `FOR SHARE` checks that
/// the attempt is open and holds its row until the answer is written. Saves share that
/// lock; `finish`'s UPDATE of the row conflicts with it, so a save and the grading never
/// interleave (a save that finds the row just finished re-reads it, sees `finished` and
/// writes nothing). A query type of its own rather than `sql_query`, so that diesel keeps
/// it prepared.
///
/// The attempt is found by its primary key alone and whether it is open is a column of
/// the result: a condition on status and deadline in the WHERE clause let the planner,
/// with statistics from before the exam (no attempt open), pick the index of open
/// attempts and walk all of them on every save.
struct PgSave<'a>(SaveRow<'a>);

/// [`PgSave`] with the bearer check of [`save_checked`] in the same statement; returns the
/// attempt's deadline and next face check when it wrote.
struct PgCheckedSave<'a> {
    row: SaveRow<'a>,
    who: Claimant<'a>,
}

type Pass<'x, 'b> = diesel::query_builder::AstPass<'x, 'b, diesel::pg::Pg>;

impl SaveRow<'_> {
    /// `… INSERT …` from the CTE `open (id, deadline, is_open)`, keeping newer saves.
    ///
    /// The save's own transaction commits without waiting for the WAL flush
    /// (`synchronous_commit` off for this transaction only: `set_config(…, true)`). An
    /// acknowledged save survives a crash or restart of this server, as on SQLite (WAL,
    /// `synchronous = NORMAL`); a crash of PostgreSQL itself or of its machine may lose the
    /// saves of its last fraction of a second (its WAL writer flushes every 200 ms), never
    /// corrupting anything. Waiting for each flush put stalled seconds into exam day, every
    /// save of such a second over 50 ms (README, load). Hand-ins, results and everything
    /// else still commit synchronously.
    fn push_upsert<'b>(&'b self, out: &mut Pass<'_, 'b>) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
        out.push_sql(" INSERT INTO answers (attempt_id, position, answer, client_seq, saved_at) SELECT id, ");
        out.push_bind_param::<Integer, _>(&self.position)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.answer)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.client_seq)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(
            " FROM open, (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed \
             WHERE is_open ON CONFLICT (attempt_id, position) DO UPDATE \
             SET answer = excluded.answer, client_seq = excluded.client_seq, saved_at = excluded.saved_at \
             WHERE answers.client_seq < excluded.client_seq",
        );
        Ok(())
    }

    /// `a.status = 'in_progress' AND a.deadline > cutoff AS is_open`.
    fn push_is_open<'b>(&'b self, out: &mut Pass<'_, 'b>) -> QueryResult<()> {
        out.push_sql("(a.status = 'in_progress' AND a.deadline > ");
        out.push_bind_param::<diesel::sql_types::Timestamp, _>(&self.cutoff)?;
        out.push_sql(") AS is_open");
        Ok(())
    }
}

impl diesel::query_builder::QueryId for PgSave<'_> {
    type QueryId = PgSave<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for PgSave<'_> {
    fn walk_ast<'b>(&'b self, mut out: Pass<'_, 'b>) -> QueryResult<()> {
        out.push_sql("WITH open AS (SELECT a.id, ");
        self.0.push_is_open(&mut out)?;
        out.push_sql(" FROM attempts a WHERE a.id = ");
        out.push_bind_param::<diesel::sql_types::Text, _>(self.0.id)?;
        out.push_sql(" FOR SHARE)");
        self.0.push_upsert(&mut out)
    }
}

impl RunQueryDsl<diesel::pg::PgConnection> for PgSave<'_> {}

impl diesel::query_builder::QueryId for PgCheckedSave<'_> {
    type QueryId = PgCheckedSave<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for PgCheckedSave<'_> {
    type SqlType = (diesel::sql_types::Timestamp, diesel::sql_types::Nullable<diesel::sql_types::Timestamp>);
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for PgCheckedSave<'_> {
    fn walk_ast<'b>(&'b self, mut out: Pass<'_, 'b>) -> QueryResult<()> {
        use diesel::sql_types::{Integer, Text, Timestamp};
        out.push_sql("WITH open AS (SELECT a.id, a.deadline, a.next_check_at, ");
        self.row.push_is_open(&mut out)?;
        out.push_sql(
            " FROM attempts a JOIN workers w ON w.id = a.worker_id \
             JOIN accounts acc ON acc.id = w.account_id JOIN sessions s ON s.account_id = acc.id \
             WHERE a.id = ",
        );
        out.push_bind_param::<Text, _>(self.row.id)?;
        out.push_sql(" AND acc.id = ");
        out.push_bind_param::<Text, _>(self.who.account.as_str())?;
        out.push_sql(" AND acc.active AND acc.token_epoch = ");
        out.push_bind_param::<Integer, _>(&self.who.epoch)?;
        out.push_sql(" AND acc.role = 'worker' AND NOT acc.must_change_password AND s.id = ");
        out.push_bind_param::<Text, _>(self.who.session.as_str())?;
        out.push_sql(" AND s.revoked_at IS NULL AND s.expires_at > ");
        out.push_bind_param::<Timestamp, _>(&self.row.now)?;
        out.push_sql(" FOR SHARE OF a)");
        self.row.push_upsert(&mut out)?;
        out.push_sql(" RETURNING (SELECT deadline FROM open), (SELECT next_check_at FROM open)");
        Ok(())
    }
}

impl RunQueryDsl<diesel::pg::PgConnection> for PgCheckedSave<'_> {}

/// Whether the attempt is in progress with its cut-off (`deadline + grace`) after `cutoff`.
fn is_open(conn: &mut DbConn, id: &AttemptId, cutoff: NaiveDateTime) -> Result<bool, DbError> {
    let open: i64 = a::table
        .find(id.as_str())
        .filter(a::status.eq("in_progress"))
        .filter(a::deadline.gt(cutoff))
        .count()
        .get_result(conn)?;
    Ok(open > 0)
}

/// Why a save wrote nothing: the attempt is closed, or a newer save stands.
fn unwritten(conn: &mut DbConn, id: &AttemptId, position: i32, cutoff: NaiveDateTime) -> Result<SaveOutcome, DbError> {
    if !is_open(conn, id, cutoff)? {
        return Ok(SaveOutcome::Closed);
    }
    let (answer, client_seq, saved_at): (String, i64, NaiveDateTime) = ans::table
        .find((id.as_str(), position))
        .select((ans::answer, ans::client_seq, ans::saved_at))
        .get_result(conn)?;
    Ok(SaveOutcome::Superseded(Saved { position, answer, client_seq, saved_at }))
}

/// Finishes and grades `attempt` (as the caller read it) if it is still in progress, with
/// every answer saved so far; `None` when it was already finished (by a submit, the sweeper
/// or another server). The result goes to the integration outbox in the same transaction.
///
/// Returns the attempt as finished, built from the caller's read and what the finish wrote
/// rather than read again: a hand-in is six statements (the claim, the grading read and
/// its update, the candidate's outcome, the outbox event's read and insert), two more when
/// face checks are still open, where it was ten; on exam day 2,000 come within seconds.
pub fn finish(
    conn: &mut DbConn,
    cipher: &crate::Cipher,
    attempt: &Attempt,
    reason: &str,
    now: NaiveDateTime,
    plan: &crate::plan::Rules,
) -> Result<Option<Attempt>, DbError> {
    let id = &attempt.id;
    crate::db::write_transaction(conn, |conn| {
        // The claim comes first: an answer save holds the attempt `FOR SHARE` (PostgreSQL)
        // or the write lock (SQLite), so every save acknowledged before it is graded and
        // none after it is taken.
        let claimed = diesel::update(a::table.find(id.as_str()).filter(a::status.eq("in_progress")))
            .set((
                a::status.eq("finished"),
                a::finish_reason.eq(reason),
                a::finished_at.eq(now),
                a::updated_at.eq(now),
                a::next_check_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        if claimed == 0 {
            return Ok(None);
        }
        // Checks are drawn with the paper and `next_check_at` points at the earliest one
        // not settled: none there, none to settle, whenever the caller read it.
        if attempt.next_check_at.is_some() {
            crate::face_check::settle_at_finish(conn, id)?;
        }
        let grade = grade_of(conn, id, &plan.blueprint)?;
        let (correct, score) = (i32::from(grade.correct), i32::from(grade.score));
        diesel::update(a::table.find(id.as_str()))
            .set((a::correct.eq(correct), a::score.eq(score), a::passed.eq(grade.passed)))
            .execute(conn)?;
        let graded = Attempt {
            finished: true,
            finish_reason: Some(reason.to_owned()),
            finished_at: Some(now),
            correct: Some(correct),
            score: Some(score),
            passed: Some(grade.passed),
            next_check_at: None,
            ..attempt.clone()
        };
        record_on_candidate(conn, &graded)?;
        crate::outbox::record_attempt(conn, cipher, &graded, crate::outbox::plan_ref_of(plan))?;
        Ok(Some(graded))
    })
}

/// Writes a finished attempt's outcome onto its candidate row, where the reports count it
/// (see the migration `candidate_results`).
fn record_on_candidate(conn: &mut DbConn, a: &Attempt) -> Result<(), DbError> {
    use crate::schema::exam_candidates as c;
    let result = match (a.voided(), a.passed) {
        (true, _) => "cheating",
        (false, Some(true)) => "passed",
        (false, _) => "failed",
    };
    diesel::update(c::table.find((a.plan_id.as_str(), a.worker_id.as_str())))
        .set((c::sat_at.eq(a.started_at), c::result.eq(result), c::score.eq(a.score)))
        .execute(conn)?;
    Ok(())
}

/// What voiding for cheating replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voided {
    pub was_finished: bool,
    pub score: Option<i32>,
    pub passed: Option<bool>,
}

/// Voids an attempt for cheating (作弊): finished if it was not, its score removed, failed.
/// `None` when it was voided already. Its answers stay, as evidence. The voiding goes to
/// the integration outbox in the same transaction.
pub fn void(
    conn: &mut DbConn,
    cipher: &crate::Cipher,
    id: &AttemptId,
    now: NaiveDateTime,
) -> Result<Option<Voided>, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let before = get(conn, id)?;
        if before.voided() {
            return Ok(None);
        }
        // Conditional on the state read: a finish racing this one makes it change nothing.
        let n = diesel::update(a::table.find(id.as_str()).filter(a::status.eq(if before.finished {
            "finished"
        } else {
            "in_progress"
        })))
        .set((
            a::status.eq("finished"),
            a::finish_reason.eq(CHEATING),
            a::finished_at.eq(before.finished_at.unwrap_or(now)),
            a::correct.eq(None::<i32>),
            a::score.eq(None::<i32>),
            a::passed.eq(Some(false)),
            a::updated_at.eq(now),
            a::next_check_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(DbError::Conflict { what: "attempts.status".into() });
        }
        if before.next_check_at.is_some() {
            crate::face_check::settle_at_finish(conn, id)?;
        }
        let voided = get(conn, id)?;
        record_on_candidate(conn, &voided)?;
        let plan = crate::outbox::plan_ref(conn, &voided.plan_id)?;
        crate::outbox::record_attempt(conn, cipher, &voided, plan)?;
        Ok(Some(Voided { was_finished: before.finished, score: before.score, passed: before.passed }))
    })
}

/// What became of a grant of extra time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extension {
    /// The new deadline and the total minutes granted so far.
    Granted { deadline: NaiveDateTime, total_minutes: i32 },
    /// The attempt is finished, or its time (with the grace) has run out.
    Closed,
    /// More than `max_total` minutes in all.
    OverLimit { granted_before: i32 },
    /// The new deadline would be after the exam window's end (after which answer keys are
    /// shown to those who finished).
    PastWindow { window_end: NaiveDateTime },
}

/// Moves an open attempt's deadline `minutes` later, up to `max_total` minutes in all and
/// not past `window_end`.
pub fn extend(
    conn: &mut DbConn,
    id: &AttemptId,
    minutes: i32,
    max_total: i32,
    (cutoff, window_end): (NaiveDateTime, NaiveDateTime),
) -> Result<Extension, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let before = get(conn, id)?;
        if before.finished || before.deadline <= cutoff {
            return Ok(Extension::Closed);
        }
        let total = before.extra_minutes.saturating_add(minutes);
        if total > max_total {
            return Ok(Extension::OverLimit { granted_before: before.extra_minutes });
        }
        let deadline = before.deadline + chrono::Duration::minutes(i64::from(minutes));
        if deadline > window_end {
            return Ok(Extension::PastWindow { window_end });
        }
        let n = diesel::update(
            a::table
                .find(id.as_str())
                .filter(a::status.eq("in_progress"))
                .filter(a::extra_minutes.eq(before.extra_minutes)),
        )
        .set((a::deadline.eq(deadline), a::extra_minutes.eq(total), a::updated_at.eq(crate::now())))
        .execute(conn)?;
        if n == 0 {
            return Ok(Extension::Closed);
        }
        Ok(Extension::Granted { deadline, total_minutes: total })
    })
}

/// Marks the saved answers against the keys of the versions the paper drew.
fn grade_of(conn: &mut DbConn, id: &AttemptId, blueprint: &Blueprint) -> Result<Grade, DbError> {
    // One query with only what grading needs: each item's order, its question's kind and
    // key, and the saved answer. (Reading whole questions, with their stems and
    // explanations, made a burst of hand-ins the heaviest work on exam day.)
    let rows: Vec<(i32, String, String, String, Option<String>)> = i::table
        .inner_join(v::table)
        .left_join(ans::table.on(ans::attempt_id.eq(i::attempt_id).and(ans::position.eq(i::position))))
        .filter(i::attempt_id.eq(id.as_str()))
        .select((i::position, i::option_order, v::kind, v::answer, ans::answer.nullable()))
        .load(conn)?;
    let corrupt = |position: i32| DbError::Corrupt(format!("attempt_items {id} {position}"));
    let marked = rows
        .into_iter()
        .map(|(position, order, kind, key, saved)| {
            let kind = QuestionKind::parse(&kind).map_err(|_| corrupt(position))?;
            let option_order = option_order(&order);
            let key = Choice::parse(kind, option_order.len(), &key).map_err(|_| corrupt(position))?;
            let answer = saved
                .and_then(|text| Choice::parse(kind, option_order.len(), &text).ok())
                .map(|shown| paper::to_canonical(shown, &option_order));
            Ok(Marked { key, answer })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(paper::grade(blueprint, &marked))
}

/// Attempts still in progress whose cut-off (`deadline + grace`) passed: `deadline <= cutoff`,
/// earliest first.
pub fn overdue(conn: &mut DbConn, cutoff: NaiveDateTime, limit: i64) -> Result<Vec<Attempt>, DbError> {
    let rows: Vec<Row> = a::table
        .filter(a::status.eq("in_progress"))
        .filter(a::deadline.le(cutoff))
        .order(a::deadline)
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Attempt::from).collect())
}

/// Moves an attempt's deadline. For tests that need a paper to run out of time.
pub fn set_deadline_for_tests(conn: &mut DbConn, id: &AttemptId, deadline: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(a::table.find(id.as_str())).set(a::deadline.eq(deadline)).execute(conn)?;
    Ok(())
}

/// The question at `position` of a paper: its kind and the order its options are shown in.
pub type ShownItem = (exam::bank::QuestionKind, Vec<u8>);

/// What an answer save needs, in one query: the attempt, if it belongs to the worker of
/// `account`, and the question at `position` if the paper has one.
pub fn for_save(
    conn: &mut DbConn,
    id: &AttemptId,
    account: &crate::AccountId,
    position: i32,
) -> Result<Option<(Attempt, Option<ShownItem>)>, DbError> {
    use crate::schema::question_versions as v;
    use crate::schema::workers as w;
    let row: Option<(Row, Option<String>, Option<String>)> = a::table
        .inner_join(w::table.on(w::id.eq(a::worker_id)))
        .left_join(i::table.on(i::attempt_id.eq(a::id).and(i::position.eq(position))))
        .left_join(v::table.on(v::id.eq(i::question_version_id)))
        .filter(a::id.eq(id.as_str()))
        .filter(w::account_id.eq(account.as_str()))
        .select((Row::as_select(), v::kind.nullable(), i::option_order.nullable()))
        .get_result(conn)
        .optional()?;
    let Some((row, kind, order)) = row else { return Ok(None) };
    let item = match (kind, order) {
        (Some(kind), Some(order)) => Some((
            exam::bank::QuestionKind::parse(&kind).map_err(|_| DbError::Corrupt(format!("attempt_items {id}")))?,
            order.bytes().map(|b| b.saturating_sub(b'0')).collect(),
        )),
        _ => None,
    };
    Ok(Some((row.into(), item)))
}

/// Every question of a paper as the candidate sees it, in order of position from 1: its
/// kind and how many options it shows. None of this changes once the paper is drawn.
pub fn shape(conn: &mut DbConn, id: &AttemptId) -> Result<Vec<(exam::bank::QuestionKind, usize)>, DbError> {
    use crate::schema::question_versions as v;
    let rows: Vec<(i32, String, String)> = i::table
        .inner_join(v::table.on(v::id.eq(i::question_version_id)))
        .filter(i::attempt_id.eq(id.as_str()))
        .order(i::position)
        .select((i::position, v::kind, i::option_order))
        .load(conn)?;
    rows.into_iter()
        .zip(1..)
        .map(|((position, kind, order), expected)| {
            let kind = exam::bank::QuestionKind::parse(&kind).ok().filter(|_| position == expected);
            kind.map(|k| (k, order.len())).ok_or_else(|| DbError::Corrupt(format!("attempt_items {id}")))
        })
        .collect()
}
