//! What the provincial platform receives (成绩上传): the kinds of event and what each one
//! carries. The webhook and the pull API send the same JSON; the platform keys results by
//! attempt (or, for an absentee, by plan and worker) and the registry by worker, so an
//! event received twice changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::plan::PlanKind;
use crate::{ValueError, Verification, WorkerRole};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    /// An attempt was graded (handed in, or finished when its time ran out).
    #[serde(rename = "attempt.graded")]
    AttemptGraded,
    /// An attempt of a makeup exam (补考) was graded; the original exam's result comes with it.
    #[serde(rename = "makeup.graded")]
    MakeupGraded,
    /// An attempt was voided for cheating (作弊): no score, failed.
    #[serde(rename = "attempt.voided")]
    AttemptVoided,
    /// A candidate did not sit the exam (缺考), recorded once its window closed.
    #[serde(rename = "candidate.absent")]
    CandidateAbsent,
    /// A worker's record became registered (in the app, or a roster entry claimed).
    #[serde(rename = "worker.registered")]
    WorkerRegistered,
    /// A worker's record was created by a roster import, or its details, role, enterprise,
    /// status or verification changed. The whole record comes with it.
    #[serde(rename = "worker.changed")]
    WorkerChanged,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        Self::AttemptGraded,
        Self::MakeupGraded,
        Self::AttemptVoided,
        Self::CandidateAbsent,
        Self::WorkerRegistered,
        Self::WorkerChanged,
    ];

    /// The stable code on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AttemptGraded => "attempt.graded",
            Self::MakeupGraded => "makeup.graded",
            Self::AttemptVoided => "attempt.voided",
            Self::CandidateAbsent => "candidate.absent",
            Self::WorkerRegistered => "worker.registered",
            Self::WorkerChanged => "worker.changed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValueError> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(ValueError::UnknownVariant)
    }

    /// Whether the event carries an exam result (else a worker's record).
    pub fn is_result(self) -> bool {
        !matches!(self, Self::WorkerRegistered | Self::WorkerChanged)
    }
}

/// The worker's enterprise when the event was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseRef {
    pub id: String,
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: Option<String>,
}

/// The exam a result belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRef {
    pub id: String,
    pub kind: PlanKind,
    pub name: String,
    /// For a makeup: the exam it makes up for.
    pub original_plan_id: Option<String>,
}

/// The original exam's result, carried by a makeup's result (附件4: 初考分数 and 补考分数).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FirstResult {
    pub plan_id: String,
    /// `None` when the candidate was absent.
    pub attempt_id: Option<String>,
    pub score: Option<i32>,
    pub passed: bool,
    /// 缺考 or 作弊 where it applies.
    pub remark: Option<String>,
}

/// One candidate's result in one exam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExamResult {
    /// `None` for an absentee (缺考): nothing was started.
    pub attempt_id: Option<String>,
    pub worker_id: String,
    pub name: String,
    /// The whole resident ID number: the platform's key for a person.
    pub resident_id: String,
    pub role: WorkerRole,
    pub position: Option<String>,
    pub enterprise: EnterpriseRef,
    pub plan: PlanRef,
    /// `None` when voided or absent.
    pub score: Option<i32>,
    pub passed: bool,
    /// `submitted`, `time_up` or `cheating`; `None` for an absentee.
    pub finish_reason: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    /// 作弊 (voided) or 缺考 (absent) where it applies, as the notice writes it.
    pub remark: Option<String>,
    /// For a makeup: the original exam's result.
    pub first: Option<FirstResult>,
}

/// A worker's record as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerRecord {
    pub worker_id: String,
    pub name: String,
    /// The whole resident ID number.
    pub resident_id: String,
    pub phone: Option<String>,
    pub role: WorkerRole,
    pub position: Option<String>,
    pub enterprise: EnterpriseRef,
    /// `pre_registered` (from a roster, not yet in the app) or `registered`.
    pub status: String,
    pub active: bool,
    pub verification: Verification,
}

/// What an event carries: an exam result or a worker's record, as its kind says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[expect(clippy::large_enum_variant, reason = "one event at a time is built or read; boxing buys nothing")]
pub enum EventData {
    Result(ExamResult),
    Worker(WorkerRecord),
}

impl EventData {
    /// Reads the JSON of an event of `kind`.
    pub fn parse(kind: EventKind, json: &str) -> Result<Self, serde_json::Error> {
        if kind.is_result() {
            serde_json::from_str(json).map(Self::Result)
        } else {
            serde_json::from_str(json).map(Self::Worker)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_codes_and_serde() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Ok(k));
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
        }
        assert!(EventKind::parse("attempt.deleted").is_err());
        assert!(EventKind::MakeupGraded.is_result() && !EventKind::WorkerChanged.is_result());
    }

    #[test]
    fn data_is_read_back_by_kind() {
        let record = WorkerRecord {
            worker_id: "w".into(),
            name: "张三".into(),
            resident_id: "371302199001011234".into(),
            phone: None,
            role: WorkerRole::Principal,
            position: Some("总经理".into()),
            enterprise: EnterpriseRef { id: "e".into(), name: "某公司".into(), credit_code: None },
            status: "registered".into(),
            active: true,
            verification: Verification::Unverified,
        };
        let json = serde_json::to_string(&EventData::Worker(record.clone())).unwrap();
        assert_eq!(EventData::parse(EventKind::WorkerChanged, &json).unwrap(), EventData::Worker(record));
        assert!(EventData::parse(EventKind::AttemptGraded, &json).is_err());
    }
}
