//! Dead letters: events a webhook gave up on after its bounded tries (or because they were
//! too old), kept for the province admin to see and send again. Sending again is done by
//! the webhook's delivery, beside the ordered stream: `retrying` until it arrives
//! (`delivered`) or fails its tries again (`dead`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::integration::EventKind;

use crate::page::{Page, PageRequest};
use crate::schema::{integration_dead_letters as d, integration_events as e};
use crate::{AccountId, DbConn, DbError, DeadLetterId, EventId, Jurisdiction, WebhookId};

/// Where a dead letter stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Dead,
    Retrying,
    Delivered,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dead => "dead",
            Self::Retrying => "retrying",
            Self::Delivered => "delivered",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Dead, Self::Retrying, Self::Delivered].into_iter().find(|x| x.as_str() == s)
    }
}

/// A dead letter, with what identifies its event (never its content: personal data).
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: DeadLetterId,
    pub webhook_id: WebhookId,
    /// The event's row, for sending it again.
    pub event_seq: i64,
    pub event_id: EventId,
    pub position: i64,
    pub kind: EventKind,
    pub subject_id: String,
    pub event_created_at: NaiveDateTime,
    pub status: Status,
    pub tries: i32,
    pub last_error: String,
    pub dead_at: NaiveDateTime,
    pub next_try_at: Option<NaiveDateTime>,
    pub retried_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = d)]
struct Row {
    id: String,
    webhook_id: String,
    event_seq: i64,
    status: String,
    tries: i32,
    last_error: String,
    dead_at: NaiveDateTime,
    next_try_at: Option<NaiveDateTime>,
    retried_at: Option<NaiveDateTime>,
    delivered_at: Option<NaiveDateTime>,
}

type Joined = (Row, String, Option<i64>, String, String, NaiveDateTime);

fn of((r, event_id, position, kind, subject_id, event_created_at): Joined) -> Result<DeadLetter, DbError> {
    let corrupt = |what: &str| DbError::Corrupt(format!("integration_dead_letters.{what} {}", r.id));
    Ok(DeadLetter {
        kind: EventKind::parse(&kind).map_err(|_| corrupt("kind"))?,
        status: Status::parse(&r.status).ok_or_else(|| corrupt("status"))?,
        position: position.ok_or_else(|| corrupt("position"))?,
        id: DeadLetterId::from_db(r.id),
        webhook_id: WebhookId::from_db(r.webhook_id),
        event_seq: r.event_seq,
        event_id: EventId::from_db(event_id),
        subject_id,
        event_created_at,
        tries: r.tries,
        last_error: r.last_error,
        dead_at: r.dead_at,
        next_try_at: r.next_try_at,
        retried_at: r.retried_at,
        delivered_at: r.delivered_at,
    })
}

fn joined() -> diesel::dsl::IntoBoxed<'static, diesel::dsl::InnerJoin<d::table, e::table>, crate::db::MultiBackend> {
    d::table.inner_join(e::table).into_boxed()
}

/// Records a dead letter (inside the webhook's step forward, see `webhook::give_up`).
pub(crate) fn insert(conn: &mut DbConn, webhook: &WebhookId, seq: i64, tries: i32, error: &str) -> Result<(), DbError> {
    diesel::insert_into(d::table)
        .values((
            d::id.eq(DeadLetterId::new().as_str()),
            d::webhook_id.eq(webhook.as_str()),
            d::event_seq.eq(seq),
            d::status.eq(Status::Dead.as_str()),
            d::tries.eq(tries),
            d::last_error.eq(error),
            d::dead_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A webhook's dead letters (the webhook already read through the caller's scope), oldest
/// first.
pub fn list(conn: &mut DbConn, webhook: &WebhookId, page: &PageRequest) -> Result<Page<DeadLetter>, DbError> {
    let mut q = joined().filter(d::webhook_id.eq(webhook.as_str().to_owned()));
    if let Some(after) = &page.after {
        q = q.filter(d::id.gt(after.id().to_owned()));
    }
    let rows: Vec<Joined> = q
        .order(d::id)
        .limit(page.limit + 1)
        .select((Row::as_select(), e::event_id, e::position, e::kind, e::subject_id, e::created_at))
        .load(conn)?;
    let items = rows.into_iter().map(of).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page.limit, |x| x.id.as_str()))
}

/// One dead letter of a webhook of a client inside `scope`.
pub fn get_in(conn: &mut DbConn, scope: &Jurisdiction, id: &DeadLetterId) -> Result<DeadLetter, DbError> {
    let row: Joined = joined()
        .filter(d::id.eq(id.as_str().to_owned()))
        .select((Row::as_select(), e::event_id, e::position, e::kind, e::subject_id, e::created_at))
        .get_result(conn)?;
    let dl = of(row)?;
    crate::webhook::get_in(conn, scope, &dl.webhook_id)?;
    Ok(dl)
}

/// Queues a dead letter of a webhook inside `scope` to be sent again now, its tries
/// counted afresh. One already queued or delivered again is left as it is.
pub fn retry(
    conn: &mut DbConn,
    scope: &Jurisdiction,
    id: &DeadLetterId,
    by: &AccountId,
) -> Result<DeadLetter, DbError> {
    get_in(conn, scope, id)?;
    let now = crate::now();
    diesel::update(d::table.find(id.as_str()).filter(d::status.eq(Status::Dead.as_str())))
        .set((
            d::status.eq(Status::Retrying.as_str()),
            d::tries.eq(0),
            d::next_try_at.eq(now),
            d::retried_at.eq(now),
            d::retried_by.eq(by.as_str()),
        ))
        .execute(conn)?;
    get_in(conn, scope, id)
}

/// A webhook's dead letters queued and due, oldest first.
pub fn due(conn: &mut DbConn, webhook: &WebhookId, now: NaiveDateTime, limit: i64) -> Result<Vec<DeadLetter>, DbError> {
    let rows: Vec<Joined> = joined()
        .filter(d::webhook_id.eq(webhook.as_str().to_owned()))
        .filter(d::status.eq(Status::Retrying.as_str()))
        .filter(d::next_try_at.le(now))
        .order(d::id)
        .limit(limit)
        .select((Row::as_select(), e::event_id, e::position, e::kind, e::subject_id, e::created_at))
        .load(conn)?;
    rows.into_iter().map(of).collect()
}

/// A queued dead letter arrived.
pub fn delivered(conn: &mut DbConn, id: &DeadLetterId) -> Result<(), DbError> {
    diesel::update(d::table.find(id.as_str()).filter(d::status.eq(Status::Retrying.as_str())))
        .set((
            d::status.eq(Status::Delivered.as_str()),
            d::delivered_at.eq(crate::now()),
            d::next_try_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// A queued dead letter failed again: tried again at `next_try_at`, or dead again when
/// `None` (its tries are spent).
pub fn failed(
    conn: &mut DbConn,
    id: &DeadLetterId,
    tries: i32,
    next_try_at: Option<NaiveDateTime>,
    error: &str,
) -> Result<(), DbError> {
    let status = if next_try_at.is_some() { Status::Retrying } else { Status::Dead };
    diesel::update(d::table.find(id.as_str()).filter(d::status.eq(Status::Retrying.as_str())))
        .set((
            d::status.eq(status.as_str()),
            d::tries.eq(tries),
            d::next_try_at.eq(next_try_at),
            d::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}
