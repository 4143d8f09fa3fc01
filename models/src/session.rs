//! Login sessions and their rotating refresh tokens.
//!
//! A session is one login on one device. Each refresh token is usable once: using it
//! returns a new one. A refresh token used a second time means it was copied, so the
//! whole session is revoked (the holder of the copy and the real user both log in again).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::{refresh_tokens as rt, sessions as s};
use crate::{db, AccountId, DbConn, DbError, SessionId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct SessionRow {
    pub id: String,
    pub account_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub user_agent: Option<String>,
}

impl SessionRow {
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// Starts a session for `account` lasting `ttl`, with its first refresh token (given hashed).
#[tracing::instrument(skip_all, fields(account = %account))]
pub fn start(
    conn: &mut DbConn,
    account: &AccountId,
    ttl: Duration,
    user_agent: Option<&str>,
    token_hash: &str,
) -> Result<SessionId, DbError> {
    let id = SessionId::new();
    let now = crate::now();
    let expires = now + ttl;
    conn.transaction(|conn| {
        diesel::insert_into(s::table)
            .values((
                s::id.eq(id.as_str()),
                s::account_id.eq(account.as_str()),
                s::created_at.eq(now),
                s::expires_at.eq(expires),
                s::user_agent.eq(user_agent.map(|u| u.chars().take(200).collect::<String>())),
            ))
            .execute(conn)?;
        insert_token(conn, &id, token_hash, now, expires)
    })?;
    Ok(id)
}

fn insert_token(
    conn: &mut DbConn,
    session: &SessionId,
    token_hash: &str,
    now: NaiveDateTime,
    expires: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::insert_into(rt::table)
        .values((
            rt::token_hash.eq(token_hash),
            rt::session_id.eq(session.as_str()),
            rt::created_at.eq(now),
            rt::expires_at.eq(expires),
        ))
        .execute(conn)?;
    Ok(())
}

/// What became of a refresh attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was good; `new_hash` is now the session's live token.
    Rotated { session: SessionId, account: AccountId },
    /// Unknown, expired, or its session has ended.
    Invalid,
    /// The token had been used before: the session is now revoked.
    Reused,
}

/// Exchanges a refresh token (given hashed) for a new one, atomically: of two concurrent
/// uses of one token, exactly one succeeds.
#[tracing::instrument(skip_all)]
pub fn rotate(conn: &mut DbConn, old_hash: &str, new_hash: &str) -> Result<Rotation, DbError> {
    db::write_transaction(conn, |conn| {
        let now = crate::now();
        let found: Option<(NaiveDateTime, Option<NaiveDateTime>, SessionRow)> = rt::table
            .inner_join(s::table)
            .filter(rt::token_hash.eq(old_hash))
            .select((rt::expires_at, rt::used_at, SessionRow::as_select()))
            .get_result(conn)
            .optional()?;
        let Some((expires_at, used_at, session)) = found else {
            return Ok(Rotation::Invalid);
        };
        if !session.is_live(now) || expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        let session_id = SessionId::from_db(session.id.clone());
        let claimed = if used_at.is_none() {
            diesel::update(rt::table.find(old_hash).filter(rt::used_at.is_null()))
                .set(rt::used_at.eq(now))
                .execute(conn)?
        } else {
            0
        };
        if claimed == 0 {
            revoke(conn, &session_id)?;
            return Ok(Rotation::Reused);
        }
        insert_token(conn, &session_id, new_hash, now, session.expires_at)?;
        Ok(Rotation::Rotated { session: session_id, account: AccountId::from_db(session.account_id) })
    })
}

/// The session, if it exists.
pub fn get(conn: &mut DbConn, id: &SessionId) -> Result<Option<SessionRow>, DbError> {
    Ok(s::table.find(id.as_str()).select(SessionRow::as_select()).get_result(conn).optional()?)
}

/// Ends one session: its refresh tokens and access tokens stop working.
#[tracing::instrument(skip(conn))]
pub fn revoke(conn: &mut DbConn, id: &SessionId) -> Result<(), DbError> {
    diesel::update(s::table.find(id.as_str()).filter(s::revoked_at.is_null()))
        .set(s::revoked_at.eq(crate::now()))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of an account (password change, deactivation).
#[tracing::instrument(skip(conn))]
pub fn revoke_all(conn: &mut DbConn, account: &AccountId) -> Result<usize, DbError> {
    Ok(diesel::update(s::table.filter(s::account_id.eq(account.as_str())).filter(s::revoked_at.is_null()))
        .set(s::revoked_at.eq(crate::now()))
        .execute(conn)?)
}
