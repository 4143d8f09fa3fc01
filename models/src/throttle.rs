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
    let until: Option<Option<NaiveDateTime>> = t::table.find(key).select(t::blocked_until).first(conn).optional()?;
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
        let row: Option<Row> = t::table.find(key).select(Row::as_select()).first(conn).optional()?;
        let (failures, window_start) = match &row {
            Some(r) if r.window_started_at + policy.window > now => (r.failures + 1, r.window_started_at),
            _ => (1, now),
        };
        let blocked_until = if failures >= policy.max_failures { Some(now + policy.block_for) } else { None };
        // A block already running is never shortened.
        let blocked_until = blocked_until.or(row.as_ref().and_then(|r| r.blocked_until).filter(|u| *u > now));
        let (failures, window_start) = if blocked_until.is_some() && failures >= policy.max_failures {
            // Start counting afresh once the block is over.
            (0, now)
        } else {
            (failures, window_start)
        };
        match row {
            Some(r) => {
                diesel::update(t::table.find(&r.key))
                    .set((
                        t::failures.eq(failures),
                        t::window_started_at.eq(window_start),
                        t::blocked_until.eq(blocked_until),
                    ))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(t::table)
                    .values((
                        t::key.eq(key),
                        t::failures.eq(failures),
                        t::window_started_at.eq(window_start),
                        t::blocked_until.eq(blocked_until),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(blocked_until)
    })
}

/// Forgets the failures of `key` (after a successful login to that account).
pub fn clear(conn: &mut DbConn, key: &str) -> Result<(), DbError> {
    diesel::delete(t::table.find(key)).execute(conn)?;
    Ok(())
}
