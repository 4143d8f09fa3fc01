//! 大培训: training sessions (厂级/公司级, 车间级, 班组级) entered in the app or uploaded as a
//! filled attendance sheet with photos and scans as evidence.

pub mod create;
pub mod evidence;
pub mod template;
pub mod upload;

use chrono::{DateTime, NaiveDate, Utc};
use exam::evidence::EvidenceKind;
use exam::training::{ProviderKind, TrainingLevel};
use models::training::{Evidence, Session, Source};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceResponse {
    pub id: String,
    /// The name it was uploaded under.
    pub file_name: String,
    pub kind: EvidenceKind,
    pub size_bytes: i64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Where to download it (`downloadTrainingEvidence`).
    pub href: String,
    pub uploaded_at: DateTime<Utc>,
}

impl From<Evidence> for EvidenceResponse {
    fn from(e: Evidence) -> Self {
        Self {
            href: format!("/api/v1/training-evidence/{}", e.id),
            id: e.id.to_string(),
            file_name: e.file_name,
            kind: e.kind,
            size_bytes: e.size_bytes,
            sha256: e.sha256,
            uploaded_at: e.uploaded_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionSource {
    /// Entered in the app.
    Entered,
    /// Uploaded as a filled attendance sheet.
    Upload,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingSessionResponse {
    pub id: String,
    pub organization_id: String,
    pub level: TrainingLevel,
    /// 重点岗位专项培训.
    pub key_position: bool,
    pub topic: String,
    pub trainer: String,
    pub held_on: NaiveDate,
    /// 学时.
    pub hours: f64,
    pub provider: ProviderKind,
    /// The other enterprise or training agency that trained on the enterprise's behalf.
    pub provider_name: Option<String>,
    pub source: SessionSource,
    pub attendees: i64,
    pub evidence: Vec<EvidenceResponse>,
    pub created_at: DateTime<Utc>,
}

impl TrainingSessionResponse {
    pub fn of(s: Session, evidence: Vec<Evidence>) -> Self {
        Self {
            id: s.id.to_string(),
            organization_id: s.organization_id.to_string(),
            level: s.level,
            key_position: s.key_position,
            topic: s.topic,
            trainer: s.trainer,
            held_on: s.held_on,
            hours: f64::from(s.minutes) / 60.0,
            provider: s.provider,
            provider_name: s.provider_name,
            source: match s.source {
                Source::Entered => SessionSource::Entered,
                Source::Upload => SessionSource::Upload,
            },
            attendees: s.attendees,
            evidence: evidence.into_iter().map(EvidenceResponse::from).collect(),
            created_at: s.created_at.and_utc(),
        }
    }
}

/// The enterprise `id` names, inside the caller's subtree (else 404), when the caller
/// records its training (403 otherwise): its own admin.
pub fn enterprise_of(
    conn: &mut models::DbConn,
    cipher: &models::Cipher,
    me: &crate::auth::Principal,
    id: &models::OrgId,
) -> Result<models::organization::Organization, crate::error::ApiError> {
    use crate::error::{ApiError, Code};
    let org = models::organization::find_in(conn, cipher, me.scope(), id)?;
    if !me.role.may_run_enterprise_learning(me.relation(&org)?) {
        return Err(ApiError::forbidden());
    }
    if org.level != exam::OrgLevel::Enterprise {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("id")
            .text("培训记录属于企业", "training is recorded for an enterprise"));
    }
    Ok(org)
}

/// The date in China now: a session cannot be held after it.
pub fn today_in_china() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}
