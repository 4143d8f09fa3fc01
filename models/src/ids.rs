//! Typed ids. Stored as text (UUID v7: time-ordered, so ids double as a stable sort key).

use std::fmt;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Parses an id given by a client; `None` if it is not a UUID.
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::parse_str(s).ok().map(|u| Self(u.hyphenated().to_string()))
            }

            /// Wraps an id read from the database.
            pub fn from_db(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

typed_id!(
    /// An organization: province, city, county or enterprise.
    OrgId
);
typed_id!(
    /// A login account of any role.
    AccountId
);
typed_id!(
    /// One login session (a family of refresh tokens).
    SessionId
);
typed_id!(
    /// A registration code (the row, not the code itself).
    RegCodeId
);
typed_id!(
    /// A worker's registry record.
    WorkerId
);
typed_id!(
    /// A question bank, owned by an organization.
    BankId
);
typed_id!(
    /// A question (all its versions).
    QuestionId
);
typed_id!(
    /// An exam plan.
    PlanId
);
typed_id!(
    /// A candidate's attempt at an exam plan: the drawn paper, its answers and its result.
    AttemptId
);
typed_id!(
    /// An exam session (场次): a place and time candidates are assigned to.
    ExamSessionId
);
typed_id!(
    /// A flag raised on an attempt for a proctor to look at.
    FlagId
);
typed_id!(
    /// An event of the provincial platform integration: stable, the receiver's idempotency key.
    EventId
);
typed_id!(
    /// A webhook of the provincial platform.
    WebhookId
);
typed_id!(
    /// An event a webhook gave up on (dead letter).
    DeadLetterId
);
typed_id!(
    /// A course of the catalogue.
    CourseId
);
typed_id!(
    /// A lesson of a course.
    LessonId
);
typed_id!(
    /// An enterprise's learning plan.
    LearningPlanId
);
typed_id!(
    /// A practice quiz a worker started.
    PracticeId
);
typed_id!(
    /// A training session (厂级/车间级/班组级).
    TrainingSessionId
);
typed_id!(
    /// An evidence file of a training session.
    EvidenceId
);
