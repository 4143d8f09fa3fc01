//! The worker registry (从业人员信息注册): self-registration with a code, records, history,
//! the bureaus' check, roster import and the principals export.

pub mod export_principals;
pub mod get;
pub mod history;
pub mod import;
pub mod list;
pub mod register;
pub mod update;
pub mod verify;

use chrono::{DateTime, Utc};
use exam::{Industry, SizeClass, Verification, WorkerRole};
use models::worker::{self, Status, Worker};
use models::{Cipher, DbConn, WorkerId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AnyPrincipal;
use crate::error::ApiError;
use crate::routes::auth::TokenResponse;

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Imported from the enterprise's roster; the worker has not registered in the app yet.
    PreRegistered,
    /// Registered in the app.
    Registered,
}

/// The worker's decision on face processing (单独同意).
#[derive(Debug, Serialize, ToSchema)]
pub struct FaceConsent {
    /// The consent text version accepted.
    pub version: String,
    pub accepted_at: DateTime<Utc>,
}

/// A worker's record. ID and phone numbers are always masked here.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerResponse {
    pub id: String,
    pub organization_id: String,
    #[schema(example = "张三")]
    pub name: String,
    /// Masked: 3713**********123X.
    #[schema(example = "3713**********123X")]
    pub resident_id: String,
    /// Masked: 138****1234.
    pub phone: Option<String>,
    pub role: WorkerRole,
    pub position: Option<String>,
    pub status: RegistrationStatus,
    pub active: bool,
    /// Registered but not yet enrolled a face: the app continues to face enrollment.
    pub face_enrolled: bool,
    /// Absent when the worker refused face processing (or has not registered yet).
    pub face_consent: Option<FaceConsent>,
    /// Refused face processing: identity is checked by other means at the exam site.
    pub needs_alternative_identity_check: bool,
    pub verification: Verification,
    pub verification_reason: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub registered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Worker> for WorkerResponse {
    fn from(w: Worker) -> Self {
        Self {
            id: w.id.to_string(),
            organization_id: w.organization_id.to_string(),
            name: w.name,
            resident_id: w.resident_id.masked(),
            phone: w.phone.map(|p| p.masked()),
            role: w.role,
            position: w.position,
            status: match w.status {
                Status::PreRegistered => RegistrationStatus::PreRegistered,
                Status::Registered => RegistrationStatus::Registered,
            },
            active: w.active,
            face_enrolled: w.face_enrolled,
            face_consent: w
                .face_consent_version
                .zip(w.face_consent_at)
                .map(|(version, at)| FaceConsent { version, accepted_at: at.and_utc() }),
            needs_alternative_identity_check: w.needs_alternative_check,
            verification: w.verification,
            verification_reason: w.verification_reason,
            verified_at: w.verified_at.map(|t| t.and_utc()),
            registered_at: w.registered_at.map(|t| t.and_utc()),
            created_at: w.created_at.and_utc(),
            updated_at: w.updated_at.and_utc(),
        }
    }
}

/// The consent decision sent at registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaceConsentDecision {
    /// The version of the consent text shown to the worker.
    #[schema(example = "2026-01")]
    pub version: String,
    /// Whether the worker agreed to face processing.
    pub accepted: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterWorkerRequest {
    /// The registration code from the enterprise.
    #[schema(example = "ABCD-2345")]
    pub code: String,
    #[schema(example = "张三")]
    pub name: String,
    /// 18-digit resident identity number.
    pub resident_id: String,
    /// Mainland mobile number; also a login name.
    pub phone: String,
    /// Defaults to the code's role.
    pub role: Option<WorkerRole>,
    pub position: Option<String>,
    /// New password, or for a worker moving to another enterprise, the existing one.
    pub password: String,
    pub face_consent: FaceConsentDecision,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredWorker {
    pub worker: WorkerResponse,
    /// Whether this registration moved an existing record from another enterprise.
    pub job_change: bool,
    pub tokens: TokenResponse,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListWorkersQuery {
    /// Only workers of this organization's subtree.
    #[param(value_type = Option<uuid::Uuid>)]
    pub organization_id: Option<String>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    pub role: Option<WorkerRole>,
    pub face_enrolled: Option<bool>,
    pub verification: Option<Verification>,
    /// `true`: registered in the app; `false`: imported, not yet registered.
    pub registered: Option<bool>,
    pub active: Option<bool>,
    /// Part of the name.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerPage {
    pub items: Vec<WorkerResponse>,
    pub next_cursor: Option<String>,
}

/// Changes to a worker's record: the worker changes phone and position; the enterprise
/// (or a bureau above it) changes role, position and active.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkerRequest {
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub position: Option<Option<String>>,
    pub role: Option<WorkerRole>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyWorkerRequest {
    /// `verified` (checked as real) or `flagged` (with a reason).
    pub result: Verification,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntryResponse {
    pub at: DateTime<Utc>,
    /// `imported`, `registered`, `job_change`, `updated` or `verified`.
    pub kind: String,
    /// Who made the change (absent for changes by the system).
    pub actor_account_id: Option<String>,
    pub from_organization_id: Option<String>,
    pub to_organization_id: Option<String>,
    /// Field → `{"from": …, "to": …}`; ID and phone numbers masked.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl From<models::worker::HistoryEntry> for HistoryEntryResponse {
    fn from(e: models::worker::HistoryEntry) -> Self {
        Self {
            at: e.at.and_utc(),
            kind: e.kind,
            actor_account_id: e.actor_account_id,
            from_organization_id: e.from_organization_id,
            to_organization_id: e.to_organization_id,
            changes: serde_json::from_str(&e.changes).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Reads a record the caller may see: staff and the platform read their jurisdiction, a
/// worker only its own record. Anything else is not found.
pub fn readable(conn: &mut DbConn, cipher: &Cipher, me: &AnyPrincipal, id: &WorkerId) -> Result<Worker, ApiError> {
    if me.role.may_read_workers() {
        return Ok(worker::find_in(conn, cipher, me.scope(), id)?);
    }
    let own = worker::find_by_account(conn, cipher, &me.account_id)?.filter(|w| &w.id == id);
    own.ok_or_else(ApiError::not_found)
}
