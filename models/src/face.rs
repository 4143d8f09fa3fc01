//! Face templates (encrypted), one-time verification ids, re-enrollment approvals and the
//! face audit trail. No image is ever stored here.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{face_events as e, face_reenrollments as r, face_templates as t, face_verifications as v};
use crate::{AccountId, Cipher, DbConn, DbError, WorkerId};

const TEMPLATE_CONTEXT: &str = "face_templates.template";

/// A stored template, decrypted.
#[derive(Clone)]
pub struct Template {
    pub worker_id: WorkerId,
    pub model_id: String,
    /// The embedding's bytes (128 little-endian f32).
    pub bytes: Vec<u8>,
    pub enrolled_at: NaiveDateTime,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("worker_id", &self.worker_id)
            .field("model_id", &self.model_id)
            .finish_non_exhaustive()
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = t)]
struct Row {
    worker_id: String,
    model_id: String,
    template_enc: Vec<u8>,
    enrolled_at: NaiveDateTime,
}

/// The worker's template, if enrolled.
pub fn template(conn: &mut DbConn, cipher: &Cipher, worker: &WorkerId) -> Result<Option<Template>, DbError> {
    let row: Option<Row> = t::table.find(worker.as_str()).select(Row::as_select()).get_result(conn).optional()?;
    row.map(|r| {
        let sealed = cipher.decrypt(TEMPLATE_CONTEXT, &r.template_enc)?;
        let bytes = base64_decode(&sealed).ok_or_else(|| DbError::Corrupt("face_templates.template".into()))?;
        Ok(Template {
            worker_id: WorkerId::from_db(r.worker_id),
            model_id: r.model_id,
            bytes,
            enrolled_at: r.enrolled_at,
        })
    })
    .transpose()
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// Stores (or replaces) the worker's template and marks the worker enrolled.
pub fn save_template(
    conn: &mut DbConn,
    cipher: &Cipher,
    worker: &WorkerId,
    model_id: &str,
    bytes: &[u8],
) -> Result<(), DbError> {
    use base64::Engine as _;
    let sealed = cipher.encrypt(TEMPLATE_CONTEXT, &base64::engine::general_purpose::STANDARD.encode(bytes));
    let now = crate::now();
    diesel::delete(t::table.find(worker.as_str())).execute(conn)?;
    diesel::insert_into(t::table)
        .values((
            t::worker_id.eq(worker.as_str()),
            t::model_id.eq(model_id),
            t::template_enc.eq(sealed),
            t::enrolled_at.eq(now),
        ))
        .execute(conn)?;
    set_enrolled(conn, worker, true)
}

fn set_enrolled(conn: &mut DbConn, worker: &WorkerId, enrolled: bool) -> Result<(), DbError> {
    use crate::schema::workers as w;
    diesel::update(w::table.find(worker.as_str()))
        .set((w::face_enrolled.eq(enrolled), w::updated_at.eq(crate::now())))
        .execute(conn)?;
    Ok(())
}

/// Erases the template and the consent (the worker withdrew it): from now on the worker
/// needs the alternative identity check.
pub fn erase(conn: &mut DbConn, worker: &WorkerId) -> Result<bool, DbError> {
    use crate::schema::workers as w;
    let n = diesel::delete(t::table.find(worker.as_str())).execute(conn)?;
    diesel::update(v::table.filter(v::worker_id.eq(worker.as_str())).filter(v::used_at.is_null()))
        .set(v::used_at.eq(crate::now()))
        .execute(conn)?;
    diesel::update(w::table.find(worker.as_str()))
        .set((
            w::face_enrolled.eq(false),
            w::face_consent_version.eq(None::<String>),
            w::face_consent_at.eq(None::<NaiveDateTime>),
            w::needs_alternative_check.eq(true),
            w::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// A successful verification's one-time id, valid until `expires_at`.
#[derive(Debug, Clone)]
pub struct Verification {
    pub id: String,
    pub expires_at: NaiveDateTime,
}

pub fn record_verification(
    conn: &mut DbConn,
    worker: &WorkerId,
    score: f64,
    ttl: chrono::Duration,
) -> Result<Verification, DbError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::now();
    let expires_at = now + ttl;
    diesel::insert_into(v::table)
        .values((
            v::id.eq(&id),
            v::worker_id.eq(worker.as_str()),
            v::score.eq(score),
            v::created_at.eq(now),
            v::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(Verification { id, expires_at })
}

/// Consumes a verification id of this worker: true exactly once, while it is valid.
pub fn consume_verification(conn: &mut DbConn, worker: &WorkerId, id: &str) -> Result<bool, DbError> {
    let n = diesel::update(
        v::table
            .find(id)
            .filter(v::worker_id.eq(worker.as_str()))
            .filter(v::used_at.is_null())
            .filter(v::expires_at.gt(crate::now())),
    )
    .set(v::used_at.eq(crate::now()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records an enterprise admin's approval of one re-enrollment.
pub fn approve_reenrollment(conn: &mut DbConn, worker: &WorkerId, by: &AccountId) -> Result<(), DbError> {
    diesel::insert_into(r::table)
        .values((
            r::id.eq(uuid::Uuid::now_v7().to_string()),
            r::worker_id.eq(worker.as_str()),
            r::approved_by.eq(by.as_str()),
            r::approved_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Uses up one approval, if there is one.
pub fn use_reenrollment(conn: &mut DbConn, worker: &WorkerId) -> Result<bool, DbError> {
    let open: Option<String> = r::table
        .filter(r::worker_id.eq(worker.as_str()))
        .filter(r::used_at.is_null())
        .select(r::id)
        .order(r::id)
        .get_result(conn)
        .optional()?;
    let Some(id) = open else { return Ok(false) };
    let n = diesel::update(r::table.find(&id).filter(r::used_at.is_null()))
        .set(r::used_at.eq(crate::now()))
        .execute(conn)?;
    Ok(n == 1)
}

/// Whether an unused approval waits.
pub fn reenrollment_pending(conn: &mut DbConn, worker: &WorkerId) -> Result<bool, DbError> {
    let n: i64 =
        r::table.filter(r::worker_id.eq(worker.as_str())).filter(r::used_at.is_null()).count().get_result(conn)?;
    Ok(n > 0)
}

/// One face event for the audit trail.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub worker: &'a WorkerId,
    pub kind: &'a str,
    pub score: Option<f64>,
    pub threshold: Option<f64>,
    pub decision: &'a str,
    pub device: Option<&'a str>,
    pub actor: Option<&'a AccountId>,
}

pub fn record_event(conn: &mut DbConn, ev: Event<'_>) -> Result<(), DbError> {
    diesel::insert_into(e::table)
        .values((
            e::id.eq(uuid::Uuid::now_v7().to_string()),
            e::worker_id.eq(ev.worker.as_str()),
            e::at.eq(crate::now()),
            e::kind.eq(ev.kind),
            e::score.eq(ev.score),
            e::threshold.eq(ev.threshold),
            e::decision.eq(ev.decision),
            e::device.eq(ev.device.map(|d| d.chars().take(200).collect::<String>())),
            e::actor_account_id.eq(ev.actor.map(AccountId::as_str)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A worker's face events, oldest first.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = e)]
pub struct EventRow {
    pub id: String,
    pub worker_id: String,
    pub at: NaiveDateTime,
    pub kind: String,
    pub score: Option<f64>,
    pub threshold: Option<f64>,
    pub decision: String,
    pub device: Option<String>,
    pub actor_account_id: Option<String>,
}

pub fn events(conn: &mut DbConn, worker: &WorkerId) -> Result<Vec<EventRow>, DbError> {
    Ok(e::table.filter(e::worker_id.eq(worker.as_str())).order(e::id).select(EventRow::as_select()).load(conn)?)
}
