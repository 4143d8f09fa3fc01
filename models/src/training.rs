//! 大培训: training sessions at the three levels (厂级/公司级, 车间级, 班组级) with their
//! attendees, entered in the app or uploaded as a filled attendance sheet, and the photos
//! and scans kept as their evidence (the files themselves are in the evidence store; here
//! only what and where).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use exam::evidence::EvidenceKind;
use exam::training::{ProviderKind, TrainingLevel};

use crate::schema::{organizations as o, training_attendees as a, training_evidence as e, training_sessions as t};
use crate::{AccountId, DbConn, DbError, EvidenceId, Jurisdiction, OrgId, TrainingSessionId, WorkerId};

/// How a session came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Entered in the app.
    Entered,
    /// Uploaded as a filled attendance sheet (an offline record).
    Upload,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Entered => "entered",
            Source::Upload => "upload",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Source::Entered, Source::Upload].into_iter().find(|x| x.as_str() == s)
    }
}

/// A session to record.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub organization_id: OrgId,
    pub fields: exam::training::SessionFields,
    pub source: Source,
    pub attendees: Vec<WorkerId>,
    pub created_by: AccountId,
}

/// An evidence file already in the store, to record with its session.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub id: EvidenceId,
    pub file_name: String,
    pub kind: EvidenceKind,
    pub size_bytes: i64,
    pub sha256: String,
    pub store_key: String,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: TrainingSessionId,
    pub organization_id: OrgId,
    pub level: TrainingLevel,
    pub key_position: bool,
    pub topic: String,
    pub trainer: String,
    pub held_on: NaiveDate,
    pub minutes: i32,
    pub provider: ProviderKind,
    pub provider_name: Option<String>,
    pub source: Source,
    pub attendees: i64,
    pub created_by: AccountId,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct Evidence {
    pub id: EvidenceId,
    pub session_id: TrainingSessionId,
    pub file_name: String,
    pub kind: EvidenceKind,
    pub size_bytes: i64,
    pub sha256: String,
    pub store_key: String,
    pub uploaded_at: NaiveDateTime,
}

/// Records a session, its attendees and its evidence in one transaction.
pub fn create(conn: &mut DbConn, new: NewSession, evidence: &[NewEvidence]) -> Result<Session, DbError> {
    let id = TrainingSessionId::new();
    let now = crate::now();
    let f = &new.fields;
    let minutes = f.hours.minutes() as i32;
    let attendees = new.attendees.len() as i64;
    crate::db::write_transaction(conn, |conn| {
        diesel::insert_into(t::table)
            .values((
                t::id.eq(id.as_str()),
                t::organization_id.eq(new.organization_id.as_str()),
                t::level.eq(f.level.as_str()),
                t::key_position.eq(f.key_position),
                t::topic.eq(&f.topic),
                t::trainer.eq(&f.trainer),
                t::held_on.eq(f.held_on),
                t::minutes.eq(minutes),
                t::provider.eq(f.provider.as_str()),
                t::provider_name.eq(f.provider_name.as_deref()),
                t::source.eq(new.source.as_str()),
                t::created_by.eq(new.created_by.as_str()),
                t::created_at.eq(now),
            ))
            .execute(conn)?;
        for worker in &new.attendees {
            diesel::insert_into(a::table)
                .values((a::session_id.eq(id.as_str()), a::worker_id.eq(worker.as_str())))
                .execute(conn)?;
        }
        mark_trained(conn, &new.organization_id, &new.attendees, f.level)?;
        for x in evidence {
            diesel::insert_into(e::table)
                .values((
                    e::id.eq(x.id.as_str()),
                    e::session_id.eq(id.as_str()),
                    e::file_name.eq(&x.file_name),
                    e::kind.eq(x.kind.as_str()),
                    e::size_bytes.eq(x.size_bytes),
                    e::sha256.eq(&x.sha256),
                    e::store_key.eq(&x.store_key),
                    e::uploaded_by.eq(new.created_by.as_str()),
                    e::uploaded_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok::<_, DbError>(())
    })?;
    Ok(Session {
        id,
        organization_id: new.organization_id,
        level: f.level,
        key_position: f.key_position,
        topic: f.topic.clone(),
        trainer: f.trainer.clone(),
        held_on: f.held_on,
        minutes,
        provider: f.provider,
        provider_name: f.provider_name.clone(),
        source: new.source,
        attendees,
        created_by: new.created_by,
        created_at: now,
    })
}

/// The bit of `workers.trained_levels` for a level.
pub fn level_bit(level: TrainingLevel) -> i32 {
    match level {
        TrainingLevel::Company => 1,
        TrainingLevel::Workshop => 2,
        TrainingLevel::Team => 4,
    }
}

/// Marks the attendees, still workers of the enterprise that trained them, trained at
/// `level`.
fn mark_trained(conn: &mut DbConn, org: &OrgId, workers: &[WorkerId], level: TrainingLevel) -> Result<(), DbError> {
    use diesel::sql_types::{Integer, Text};
    for chunk in workers.chunks(500) {
        let ids = vec!["?"; chunk.len()].join(", ");
        let sql = crate::db::placeholders(
            conn,
            &format!(
                "UPDATE workers SET trained_levels = trained_levels | ? WHERE organization_id = ? AND id IN ({ids})"
            ),
        );
        let mut q =
            diesel::sql_query(sql).into_boxed().bind::<Integer, _>(level_bit(level)).bind::<Text, _>(org.as_str());
        for w in chunk {
            q = q.bind::<Text, _>(w.as_str());
        }
        q.execute(conn)?;
    }
    Ok(())
}

type SessionRow = (
    String,
    String,
    String,
    bool,
    String,
    String,
    NaiveDate,
    i32,
    String,
    Option<String>,
    String,
    String,
    NaiveDateTime,
);

macro_rules! session_columns {
    () => {
        (
            t::id,
            t::organization_id,
            t::level,
            t::key_position,
            t::topic,
            t::trainer,
            t::held_on,
            t::minutes,
            t::provider,
            t::provider_name,
            t::source,
            t::created_by,
            t::created_at,
        )
    };
}

fn session_of(r: SessionRow, attendees: i64) -> Result<Session, DbError> {
    let bad = || DbError::Corrupt(format!("training_sessions {}", r.0));
    Ok(Session {
        level: TrainingLevel::parse(&r.2).map_err(|_| bad())?,
        provider: ProviderKind::parse(&r.8).map_err(|_| bad())?,
        source: Source::parse(&r.10).ok_or_else(bad)?,
        id: TrainingSessionId::from_db(r.0),
        organization_id: OrgId::from_db(r.1),
        key_position: r.3,
        topic: r.4,
        trainer: r.5,
        held_on: r.6,
        minutes: r.7,
        provider_name: r.9,
        attendees,
        created_by: AccountId::from_db(r.11),
        created_at: r.12,
    })
}

/// An enterprise's sessions, the latest first, with how many attended each.
pub fn sessions_of(conn: &mut DbConn, org: &OrgId) -> Result<Vec<Session>, DbError> {
    let rows: Vec<SessionRow> = t::table
        .filter(t::organization_id.eq(org.as_str()))
        .order((t::held_on.desc(), t::created_at.desc()))
        .select(session_columns!())
        .load(conn)?;
    with_counts(conn, rows)
}

/// The sessions a worker attended, the latest first.
pub fn sessions_attended(conn: &mut DbConn, worker: &WorkerId) -> Result<Vec<Session>, DbError> {
    let rows: Vec<SessionRow> = t::table
        .inner_join(a::table)
        .filter(a::worker_id.eq(worker.as_str()))
        .order((t::held_on.desc(), t::created_at.desc()))
        .select(session_columns!())
        .load(conn)?;
    with_counts(conn, rows)
}

/// The sessions with how many attended each.
fn with_counts(conn: &mut DbConn, rows: Vec<SessionRow>) -> Result<Vec<Session>, DbError> {
    let mut counts = std::collections::HashMap::new();
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    for chunk in ids.chunks(500) {
        let found: Vec<(String, i64)> = a::table
            .filter(a::session_id.eq_any(chunk))
            .group_by(a::session_id)
            .select((a::session_id, diesel::dsl::count_star()))
            .load(conn)?;
        counts.extend(found);
    }
    rows.into_iter()
        .map(|r| {
            let n = counts.get(&r.0).copied().unwrap_or(0);
            session_of(r, n)
        })
        .collect()
}

type EvidenceRow = (String, String, String, String, i64, String, String, NaiveDateTime);

fn evidence_of(r: EvidenceRow) -> Result<Evidence, DbError> {
    Ok(Evidence {
        kind: EvidenceKind::parse(&r.3).map_err(|_| DbError::Corrupt(format!("training_evidence {}", r.0)))?,
        id: EvidenceId::from_db(r.0),
        session_id: TrainingSessionId::from_db(r.1),
        file_name: r.2,
        size_bytes: r.4,
        sha256: r.5,
        store_key: r.6,
        uploaded_at: r.7,
    })
}

macro_rules! evidence_columns {
    () => {
        (e::id, e::session_id, e::file_name, e::kind, e::size_bytes, e::sha256, e::store_key, e::uploaded_at)
    };
}

/// The evidence of an enterprise's sessions, by session and upload.
pub fn evidence_of_org(conn: &mut DbConn, org: &OrgId) -> Result<Vec<Evidence>, DbError> {
    let rows: Vec<EvidenceRow> = e::table
        .inner_join(t::table)
        .filter(t::organization_id.eq(org.as_str()))
        .order((e::session_id, e::uploaded_at, e::id))
        .select(evidence_columns!())
        .load(conn)?;
    rows.into_iter().map(evidence_of).collect()
}

/// The evidence of one session, by upload.
pub fn evidence_of_session(conn: &mut DbConn, session: &TrainingSessionId) -> Result<Vec<Evidence>, DbError> {
    let rows: Vec<EvidenceRow> = e::table
        .filter(e::session_id.eq(session.as_str()))
        .order((e::uploaded_at, e::id))
        .select(evidence_columns!())
        .load(conn)?;
    rows.into_iter().map(evidence_of).collect()
}

/// An evidence file with the enterprise its session belongs to, inside `scope` (else not
/// found).
pub fn find_evidence(conn: &mut DbConn, scope: &Jurisdiction, id: &EvidenceId) -> Result<(Evidence, OrgId), DbError> {
    let (row, org): (EvidenceRow, String) = e::table
        .inner_join(t::table.inner_join(o::table))
        .filter(e::id.eq(id.as_str()))
        .filter(o::path.like(scope.like_pattern()))
        .select((evidence_columns!(), t::organization_id))
        .get_result(conn)?;
    Ok((evidence_of(row)?, OrgId::from_db(org)))
}
