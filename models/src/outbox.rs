//! The outbox of the provincial platform integration (成绩上传): results and registry
//! changes, written in the same transaction as the change itself, then given positions
//! in one total order that readers (the pull API, the webhook delivery) follow.
//!
//! An auto-increment id alone is no cursor on PostgreSQL: a row with a lower id may commit
//! after a reader has already read past a higher one, and be skipped for ever. So rows are
//! inserted without a position, and [`sequence`] — one at a time, under an advisory lock on
//! PostgreSQL and the write lock on SQLite — gives the rows committed so far the next
//! positions in id order. Positions are gapless, and a position is visible only once every
//! lower one is: a reader that has read up to position `p` has seen everything up to `p`.
//!
//! The content is personal data (names, whole ID numbers, phones): it is stored encrypted,
//! bound to the event's id, and decrypted only when read to be delivered.

mod payload;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use exam::integration::{EventData, EventKind};

use crate::schema::integration_events as e;
use crate::{Cipher, DbConn, DbError, EventId, Jurisdiction};

pub(crate) use payload::{plan_ref, plan_ref_of, record_absentees, record_attempt, record_worker, worker_record};

const PAYLOAD_CONTEXT: &str = "integration_events.payload";

/// Serialises sequencers on PostgreSQL (the migrations hold 72135).
const SEQUENCER_LOCK: i64 = 72136;

/// How many events one sequencing step positions at most.
pub const SEQUENCE_BATCH: i64 = 1000;

/// An event as read back, decrypted.
#[derive(Debug, Clone)]
pub struct Event {
    /// The row's id: the order events were written in, not a cursor.
    pub seq: i64,
    pub id: EventId,
    pub position: i64,
    pub kind: EventKind,
    pub subject_id: String,
    pub created_at: NaiveDateTime,
    pub data: EventData,
}

/// What the payload is bound to: its column and its event, so that it cannot be moved to
/// another event (and delivered under another idempotency key).
fn context(id: &str) -> String {
    format!("{PAYLOAD_CONTEXT}/{id}")
}

/// Writes an event, unsequenced. Call it inside the transaction of the change it tells of.
fn record(
    conn: &mut DbConn,
    cipher: &Cipher,
    kind: EventKind,
    subject: &str,
    org_path: &str,
    data: &EventData,
) -> Result<EventId, DbError> {
    let id = EventId::new();
    let json = serde_json::to_string(data).map_err(|e| DbError::Corrupt(format!("event payload: {e}")))?;
    diesel::insert_into(e::table)
        .values((
            e::event_id.eq(id.as_str()),
            e::kind.eq(kind.as_str()),
            e::subject_id.eq(subject),
            e::org_path.eq(org_path),
            e::payload_enc.eq(cipher.encrypt(&context(id.as_str()), &json)),
            e::created_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Gives the committed, unsequenced events the next positions in id order, up to `batch`
/// of them; how many. Cheap when none waits (one indexed read, no lock).
#[tracing::instrument(skip(conn))]
pub fn sequence(conn: &mut DbConn, batch: i64) -> Result<usize, DbError> {
    let waiting: Option<i64> =
        e::table.filter(e::position.is_null()).select(diesel::dsl::min(e::id)).get_result(conn)?;
    if waiting.is_none() {
        return Ok(0);
    }
    crate::db::write_transaction(conn, |conn| {
        if conn.backend() == crate::Backend::Postgres {
            // Held to the end of this transaction: the next sequencer reads the highest
            // position only after these are committed.
            conn.batch_execute(&format!("SELECT pg_advisory_xact_lock({SEQUENCER_LOCK})"))?;
        }
        let top: Option<i64> = e::table.select(diesel::dsl::max(e::position)).get_result(conn)?;
        // One statement for the whole batch: on SQLite the write lock is held meanwhile.
        let sql = crate::db::placeholders(
            conn,
            "UPDATE integration_events SET position = s.position
             FROM (SELECT id, ? + ROW_NUMBER() OVER (ORDER BY id) AS position
                   FROM integration_events WHERE position IS NULL ORDER BY id LIMIT ?) AS s
             WHERE integration_events.id = s.id",
        );
        let n = diesel::sql_query(sql)
            .bind::<diesel::sql_types::BigInt, _>(top.unwrap_or(0))
            .bind::<diesel::sql_types::BigInt, _>(batch)
            .execute(conn)?;
        Ok(n)
    })
}

/// The highest position given so far (0 when none): every event up to it can be read.
pub fn high_water(conn: &mut DbConn) -> Result<i64, DbError> {
    let top: Option<i64> = e::table.select(diesel::dsl::max(e::position)).get_result(conn)?;
    Ok(top.unwrap_or(0))
}

/// Events inside `scope` with positions after `after` and up to `upto`, in position
/// order, `limit` at most, decrypted.
#[tracing::instrument(skip(conn, cipher, scope))]
pub fn read(
    conn: &mut DbConn,
    cipher: &Cipher,
    scope: &Jurisdiction,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    let rows: Vec<Row> = e::table
        .filter(e::position.gt(after))
        .filter(e::position.le(upto))
        .filter(e::org_path.like(scope.like_pattern()))
        .order(e::position)
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(|r| r.open(cipher)).collect()
}

/// One event by its row id, decrypted.
pub fn get(conn: &mut DbConn, cipher: &Cipher, seq: i64) -> Result<Event, DbError> {
    e::table.find(seq).select(Row::as_select()).get_result(conn)?.open(cipher)
}

/// How many events wait for a position (for tests and metrics).
pub fn unsequenced(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(e::table.filter(e::position.is_null()).count().get_result(conn)?)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = e)]
struct Row {
    id: i64,
    event_id: String,
    kind: String,
    subject_id: String,
    payload_enc: Vec<u8>,
    created_at: NaiveDateTime,
    position: Option<i64>,
}

impl Row {
    fn open(self, cipher: &Cipher) -> Result<Event, DbError> {
        let corrupt = |what: &str| DbError::Corrupt(format!("integration_events.{what} {}", self.event_id));
        let kind = EventKind::parse(&self.kind).map_err(|_| corrupt("kind"))?;
        let json = cipher.decrypt(&context(&self.event_id), &self.payload_enc)?;
        let data = EventData::parse(kind, &json).map_err(|_| corrupt("payload"))?;
        Ok(Event {
            position: self.position.ok_or_else(|| corrupt("position"))?,
            seq: self.id,
            id: EventId::from_db(self.event_id),
            kind,
            subject_id: self.subject_id,
            created_at: self.created_at,
            data,
        })
    }
}
