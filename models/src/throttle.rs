//! Counters of failed attempts, kept in the database so every server behind the load
//! balancer sees the same counts.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::throttles as t;
use crate::{db, DbConn, DbError};

/// How many failures within a window block a key, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_failures: i32,
    pub window: Duration,
    pub block_for: Duration,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = t)]
struct Row {
    key: String,
    failures: i32,
    window_started_at: NaiveDateTime,
    blocked_until: Option<NaiveDateTime>,
}

/// Until when `key` is blocked, if it is blocked now.
pub fn blocked_until(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> Result<Option<NaiveDateTime>, DbError> {
    let until: Option<Option<NaiveDateTime>> =
        t::table.find(key).select(t::blocked_until).get_result(conn).optional()?;
    Ok(until.flatten().filter(|u| *u > now))
}

/// Counts one failure for `key`; returns until when it is now blocked, if the failure
/// reached the policy's limit.
#[tracing::instrument(skip(conn, key))]
pub fn record_failure(conn: &mut DbConn, key: &str, policy: Policy) -> Result<Option<NaiveDateTime>, DbError> {
    match record_failure_once(conn, key, policy) {
        // Another server inserted the first failure of this key at the same moment.
        Err(DbError::Conflict { .. }) => record_failure_once(conn, key, policy),
        other => other,
    }
}

fn record_failure_once(conn: &mut DbConn, key: &str, policy: Policy) -> Result<Option<NaiveDateTime>, DbError> {
    db::write_transaction(conn, |conn| {
        let now = crate::now();
        // Counting with an UPDATE first takes the row's lock (PostgreSQL; SQLite's write
        // transaction holds the database lock already), so concurrent failures are all
        // counted instead of overwriting each other.
        let counted = diesel::update(t::table.find(key)).set(t::failures.eq(t::failures + 1)).execute(conn)?;
        if counted == 0 {
            diesel::insert_into(t::table)
                .values((t::key.eq(key), t::failures.eq(1), t::window_started_at.eq(now)))
                .execute(conn)?;
        }
        let row: Row = t::table.find(key).select(Row::as_select()).get_result(conn)?;
        let running_block = row.blocked_until.filter(|u| *u > now);
        let (failures, window_start) = if row.window_started_at + policy.window > now {
            (row.failures, row.window_started_at)
        } else {
            // The window is over: this failure starts a new one.
            (1, now)
        };
        let (failures, window_start, blocked_until) = if failures >= policy.max_failures {
            // Blocked; counting starts afresh once the block is over. A running block is
            // never shortened.
            let until = (now + policy.block_for).max(running_block.unwrap_or(now));
            (0, now, Some(until))
        } else {
            (failures, window_start, running_block)
        };
        diesel::update(t::table.find(&row.key))
            .set((t::failures.eq(failures), t::window_started_at.eq(window_start), t::blocked_until.eq(blocked_until)))
            .execute(conn)?;
        Ok(blocked_until)
    })
}

/// Forgets the failures of `key` (after a successful login to that account).
pub fn clear(conn: &mut DbConn, key: &str) -> Result<(), DbError> {
    diesel::delete(t::table.find(key)).execute(conn)?;
    Ok(())
}
