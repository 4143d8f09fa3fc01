//! Sanda's database layer: the schema, the row types and plain query functions.
//!
//! Every function takes `&mut DbConn`, so several compose inside one transaction, and
//! returns `Result<_, DbError>`. Reads of anything that belongs to an organization take a
//! [`Jurisdiction`]: there is no way to read across jurisdictions by forgetting a check.

pub mod account;
pub mod attempt;
pub mod audit;
pub mod bank;
pub mod candidate;
pub mod crypto;
pub mod db;
pub mod dead_letter;
pub mod face;
pub mod face_check;
pub mod ids;
pub mod learning;
pub mod liveness;
pub mod organization;
pub mod outbox;
pub mod page;
pub mod plan;
pub mod proctoring;
pub mod registration_code;
pub mod report;
pub mod schedule;
pub mod schema;
pub mod scope;
pub mod session;
pub mod throttle;
pub mod training;
pub mod webhook;
pub mod worker;

pub use crypto::Cipher;
pub use db::{Backend, DbConn, DbPool, DbUrl};
pub use ids::{
    AccountId, AttemptId, BankId, CourseId, DeadLetterId, EventId, EvidenceId, ExamSessionId, FlagId, LearningPlanId,
    LessonId, OrgId, PlanId, PracticeId, QuestionId, RegCodeId, SessionId, TrainingSessionId, WebhookId, WorkerId,
};
pub use page::{Cursor, Page, PageRequest};
pub use scope::Jurisdiction;

/// Diesel's query error, for callers that run their own transactions.
pub type QueryError = diesel::result::Error;

/// The current time as stored: UTC, microsecond precision (what both backends keep).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::Duration::microseconds(1)).unwrap_or(now)
}

/// What can go wrong in the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No such row, or a row outside the caller's jurisdiction (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; `what` names the rule (e.g. `organizations.credit_code`).
    #[error("conflicts with an existing record ({what})")]
    Conflict { what: String },
    /// Every pooled connection is busy: the caller should retry shortly.
    #[error("no database connection available")]
    PoolExhausted(#[source] diesel::r2d2::PoolError),
    #[error("stored data could not be decrypted or decoded")]
    Corrupt(String),
    #[error("database error")]
    Query(#[source] diesel::result::Error),
    #[error("database connection failed")]
    Connection(#[source] diesel::ConnectionError),
    /// The connection was cut (the database restarted): the caller should retry shortly.
    #[error("database connection lost")]
    ConnectionLost(#[source] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => DbError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => DbError::Conflict {
                what: info
                    .constraint_name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| info.message().trim_start_matches("UNIQUE constraint failed: ").to_owned()),
            },
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                DbError::ConnectionLost(e)
            }
            other => DbError::Query(other),
        }
    }
}
