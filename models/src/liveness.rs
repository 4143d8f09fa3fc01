//! Liveness challenges: the movements asked for, when they expire, how they came out, and
//! their single use by an enrollment or an exam start. No frame is kept.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::liveness_challenges as l;
use crate::{DbConn, DbError, WorkerId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub worker_id: WorkerId,
    /// `enroll` or `exam_start`.
    pub purpose: String,
    /// Movement names, in order.
    pub steps: Vec<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// `open`, `passed` or `failed`.
    pub status: String,
    pub used_at: Option<NaiveDateTime>,
}

type Row = (String, String, String, String, NaiveDateTime, NaiveDateTime, String, Option<NaiveDateTime>);

pub fn create(
    conn: &mut DbConn,
    worker: &WorkerId,
    purpose: &str,
    steps: &[&str],
    ttl: chrono::Duration,
) -> Result<Challenge, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = crate::now();
    diesel::insert_into(l::table)
        .values((
            l::id.eq(&id),
            l::worker_id.eq(worker.as_str()),
            l::purpose.eq(purpose),
            l::steps.eq(steps.join(",")),
            l::created_at.eq(now),
            l::expires_at.eq(now + ttl),
            l::status.eq("open"),
        ))
        .execute(conn)?;
    get(conn, worker, &id)
}

/// A worker's challenge; `NotFound` for anyone else's.
pub fn get(conn: &mut DbConn, worker: &WorkerId, id: &str) -> Result<Challenge, DbError> {
    let (id, worker_id, purpose, steps, created_at, expires_at, status, used_at): Row = l::table
        .find(id)
        .filter(l::worker_id.eq(worker.as_str()))
        .select((l::id, l::worker_id, l::purpose, l::steps, l::created_at, l::expires_at, l::status, l::used_at))
        .get_result(conn)?;
    Ok(Challenge {
        id,
        worker_id: WorkerId::from_db(worker_id),
        purpose,
        steps: steps.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        created_at,
        expires_at,
        status,
        used_at,
    })
}

/// Records the verdict on an open, unexpired challenge: one submission per challenge.
/// False when it was not open (already judged).
pub fn judge(conn: &mut DbConn, id: &str, passed: bool, outcome: &serde_json::Value) -> Result<bool, DbError> {
    let n = diesel::update(l::table.find(id).filter(l::status.eq("open")))
        .set((l::status.eq(if passed { "passed" } else { "failed" }), l::outcome.eq(Some(outcome.to_string()))))
        .execute(conn)?;
    Ok(n == 1)
}

/// Uses up a passed challenge of the worker for `purpose`, passed since `since`. True when
/// one was used.
pub fn consume(
    conn: &mut DbConn,
    worker: &WorkerId,
    id: &str,
    purpose: &str,
    since: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(
        l::table
            .find(id)
            .filter(l::worker_id.eq(worker.as_str()))
            .filter(l::purpose.eq(purpose))
            .filter(l::status.eq("passed"))
            .filter(l::used_at.is_null())
            .filter(l::created_at.ge(since)),
    )
    .set(l::used_at.eq(Some(crate::now())))
    .execute(conn)?;
    Ok(n == 1)
}
