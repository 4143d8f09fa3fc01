//! The audit log: who saw or exported personal data, and when.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::audit_log as l;
use crate::{AccountId, DbConn, DbError};

/// One audit entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = l)]
pub struct AuditEntry {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_account_id: Option<String>,
    pub action: String,
    pub target: String,
    /// JSON with what was done; never personal data itself.
    pub details: String,
}

/// Records an action.
#[tracing::instrument(skip(conn, details))]
pub fn record(
    conn: &mut DbConn,
    actor: Option<&AccountId>,
    action: &str,
    target: &str,
    details: &serde_json::Value,
) -> Result<(), DbError> {
    diesel::insert_into(l::table)
        .values((
            l::id.eq(uuid::Uuid::now_v7().to_string()),
            l::at.eq(crate::now()),
            l::actor_account_id.eq(actor.map(AccountId::as_str)),
            l::action.eq(action),
            l::target.eq(target),
            l::details.eq(details.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The latest entries, newest first.
pub fn latest(conn: &mut DbConn, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
    Ok(l::table.order(l::id.desc()).limit(limit).select(AuditEntry::as_select()).load(conn)?)
}
