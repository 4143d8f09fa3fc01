//! Liveness challenges: the movements asked for, when they expire, how they came out, and
//! their single use by an enrollment, an exam start or an in-exam face check. No frame is
//! kept; an enrollment challenge keeps its frames' face embeddings, encrypted, until the
//! enrollment uses them (or they go stale).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::liveness_challenges as l;
use crate::{Cipher, DbConn, DbError, WorkerId};

const FRAMES_CONTEXT: &str = "liveness_challenges.frames";

/// What a challenge is for.
pub const ENROLL: &str = "enroll";
pub const EXAM_START: &str = "exam_start";
pub const FACE_CHECK: &str = "face_check";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub worker_id: WorkerId,
    /// [`ENROLL`], [`EXAM_START`] or [`FACE_CHECK`].
    pub purpose: String,
    /// Movement names, in order.
    pub steps: Vec<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// `open`, `passed` or `failed`.
    pub status: String,
    pub used_at: Option<NaiveDateTime>,
    /// The in-exam face check this challenge answers.
    pub face_check_id: Option<String>,
}

type Row =
    (String, String, String, String, NaiveDateTime, NaiveDateTime, String, Option<NaiveDateTime>, Option<String>);

macro_rules! columns {
    () => {
        (
            l::id,
            l::worker_id,
            l::purpose,
            l::steps,
            l::created_at,
            l::expires_at,
            l::status,
            l::used_at,
            l::face_check_id,
        )
    };
}

fn challenge_of(row: Row) -> Challenge {
    let (id, worker_id, purpose, steps, created_at, expires_at, status, used_at, face_check_id) = row;
    Challenge {
        id,
        worker_id: WorkerId::from_db(worker_id),
        purpose,
        steps: steps.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        created_at,
        expires_at,
        status,
        used_at,
        face_check_id,
    }
}

/// Draws a challenge for a worker, open until `expires_at`; `face_check` links it to the
/// in-exam check it answers.
pub fn create(
    conn: &mut DbConn,
    worker: &WorkerId,
    purpose: &str,
    steps: &[&str],
    expires_at: NaiveDateTime,
    face_check: Option<&str>,
) -> Result<Challenge, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(l::table)
        .values((
            l::id.eq(&id),
            l::worker_id.eq(worker.as_str()),
            l::purpose.eq(purpose),
            l::steps.eq(steps.join(",")),
            l::created_at.eq(crate::now()),
            l::expires_at.eq(expires_at),
            l::status.eq("open"),
            l::face_check_id.eq(face_check),
        ))
        .execute(conn)?;
    get(conn, worker, &id)
}

/// A worker's challenge; `NotFound` for anyone else's.
pub fn get(conn: &mut DbConn, worker: &WorkerId, id: &str) -> Result<Challenge, DbError> {
    let row: Row = l::table.find(id).filter(l::worker_id.eq(worker.as_str())).select(columns!()).get_result(conn)?;
    Ok(challenge_of(row))
}

/// The challenge drawn for an in-exam face check, if any.
pub fn for_face_check(conn: &mut DbConn, check: &str) -> Result<Option<Challenge>, DbError> {
    let row: Option<Row> =
        l::table.filter(l::face_check_id.eq(check)).select(columns!()).get_result(conn).optional()?;
    Ok(row.map(challenge_of))
}

/// Records the verdict on an open challenge: one submission per challenge. `frames` (the
/// frames' face embeddings, for an enrollment challenge that passed) are stored encrypted.
/// False when it was not open (already judged).
pub fn judge(
    conn: &mut DbConn,
    cipher: &Cipher,
    id: &str,
    passed: bool,
    outcome: &serde_json::Value,
    frames: Option<&[u8]>,
) -> Result<bool, DbError> {
    use base64::Engine as _;
    let sealed = frames.map(|f| cipher.encrypt(FRAMES_CONTEXT, &base64::engine::general_purpose::STANDARD.encode(f)));
    let n = diesel::update(l::table.find(id).filter(l::status.eq("open")))
        .set((
            l::status.eq(if passed { "passed" } else { "failed" }),
            l::outcome.eq(Some(outcome.to_string())),
            l::frames_enc.eq(sealed),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

fn usable<'a>(worker: &'a WorkerId, purpose: &'static str, since: NaiveDateTime) -> UsableFilter<'a> {
    l::worker_id
        .eq(worker.as_str())
        .and(l::purpose.eq(purpose))
        .and(l::status.eq("passed"))
        .and(l::used_at.is_null())
        .and(l::created_at.ge(since))
}

type UsableFilter<'a> = diesel::dsl::And<
    diesel::dsl::And<
        diesel::dsl::And<
            diesel::dsl::And<diesel::dsl::Eq<l::worker_id, &'a str>, diesel::dsl::Eq<l::purpose, &'static str>>,
            diesel::dsl::Eq<l::status, &'static str>,
        >,
        diesel::dsl::IsNull<l::used_at>,
    >,
    diesel::dsl::GtEq<l::created_at, NaiveDateTime>,
>;

/// The frames' face embeddings of the worker's passed enrollment challenge `id`, drawn
/// since `since` and not used yet; `None` when there is no such challenge.
pub fn enrollment_frames(
    conn: &mut DbConn,
    cipher: &Cipher,
    worker: &WorkerId,
    id: &str,
    since: NaiveDateTime,
) -> Result<Option<Vec<u8>>, DbError> {
    use base64::Engine as _;
    let sealed: Option<Option<Vec<u8>>> =
        l::table.find(id).filter(usable(worker, ENROLL, since)).select(l::frames_enc).get_result(conn).optional()?;
    let Some(Some(sealed)): Option<Option<Vec<u8>>> = sealed else { return Ok(None) };
    let text = cipher.decrypt(FRAMES_CONTEXT, &sealed)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| DbError::Corrupt(format!("{FRAMES_CONTEXT} {id}")))?;
    Ok(Some(bytes))
}

/// Uses up a passed challenge of the worker for `purpose` (an enrollment or an exam
/// start), drawn since `since`, and drops its frames. True when one was used.
pub fn consume(
    conn: &mut DbConn,
    worker: &WorkerId,
    id: &str,
    purpose: &'static str,
    since: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(l::table.find(id).filter(usable(worker, purpose, since)))
        .set((l::used_at.eq(Some(crate::now())), l::frames_enc.eq(None::<Vec<u8>>)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Drops the stored frames of challenges drawn before `before` (no longer usable). How
/// many.
pub fn drop_stale_frames(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::update(l::table.filter(l::frames_enc.is_not_null()).filter(l::created_at.lt(before)))
        .set(l::frames_enc.eq(None::<Vec<u8>>))
        .execute(conn)?)
}

/// Replaces an open challenge's movements, for tests whose photos follow one sequence only
/// (a check's challenge is drawn at random when the app is told).
pub fn set_steps_for_tests(conn: &mut DbConn, id: &str, steps: &[&str]) -> Result<(), DbError> {
    diesel::update(l::table.find(id).filter(l::status.eq("open"))).set(l::steps.eq(steps.join(","))).execute(conn)?;
    Ok(())
}
