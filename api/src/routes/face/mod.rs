//! 刷脸: a worker enrolls its face after registering and verifies it before an exam.
//! Photos are processed in memory and dropped; only the encrypted template and an audit
//! record (who, when, score, decision, device) remain.

pub mod approve_reenrollment;
pub mod delete;
pub mod enroll;
pub mod liveness;
pub mod status;
pub mod verify;

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use models::worker::{self, Worker};
use models::{Cipher, DbConn};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AnyPrincipal;
use crate::error::{ApiError, Code};

/// The largest photo accepted (the decoder also bounds its pixels).
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;

/// A photo: JPEG, PNG or WebP, recognised by content.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Photo(pub Vec<u8>);

/// The worker record of the calling worker account.
pub fn own_record(conn: &mut DbConn, cipher: &Cipher, me: &AnyPrincipal) -> Result<Worker, ApiError> {
    if me.role != exam::Role::Worker {
        return Err(ApiError::new(Code::NotAWorker));
    }
    worker::find_by_account(conn, cipher, &me.account_id)?.ok_or_else(|| ApiError::new(Code::NotAWorker))
}

/// The worker's enrolled face, to compare a new photo with. Refused without consent
/// (`face_consent_missing`), without an enrollment (`face_not_enrolled`), or when the
/// template was made by another model (`face_model_changed`: never compared across models).
pub fn enrolled_face(conn: &mut DbConn, cipher: &Cipher, record: &Worker) -> Result<::face::Embedding, ApiError> {
    if record.face_consent_version.is_none() {
        return Err(ApiError::new(Code::FaceConsentMissing));
    }
    let template =
        models::face::template(conn, cipher, &record.id)?.ok_or_else(|| ApiError::new(Code::FaceNotEnrolled))?;
    if template.model_id != ::face::MODEL_ID {
        return Err(ApiError::new(Code::FaceModelChanged));
    }
    ::face::Embedding::from_bytes(&template.bytes)
        .ok_or_else(|| ApiError::internal(std::io::Error::other("stored template does not decode")))
}

/// Whether the worker may enroll a face now: consent on record (`face_consent_missing`),
/// and none enrolled unless the enterprise approved a re-enrollment
/// (`face_already_enrolled`).
pub fn may_enroll(conn: &mut DbConn, cipher: &Cipher, record: &Worker) -> Result<(), ApiError> {
    if record.face_consent_version.is_none() {
        return Err(ApiError::new(Code::FaceConsentMissing));
    }
    if models::face::template(conn, cipher, &record.id)?.is_some()
        && !models::face::reenrollment_pending(conn, &record.id)?
    {
        return Err(ApiError::new(Code::FaceAlreadyEnrolled));
    }
    Ok(())
}

/// The client's description of its device (`X-Device-Info`), kept in the audit trail.
pub fn device(req: &HttpRequest) -> Option<String> {
    req.headers().get("x-device-info").and_then(|v| v.to_str().ok()).map(|s| s.chars().take(200).collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FaceStatus {
    pub enrolled: bool,
    /// The model that produced the template.
    pub model_id: Option<String>,
    pub enrolled_at: Option<DateTime<Utc>>,
    /// The consent text version accepted; absent when refused or withdrawn.
    pub consent_version: Option<String>,
    /// No face processing: identity is checked by other means at the exam site.
    pub needs_alternative_identity_check: bool,
    /// The enterprise approved a re-enrollment that has not been used yet.
    pub reenrollment_approved: bool,
}

/// The status of a worker's face data.
pub fn status_of(conn: &mut DbConn, cipher: &Cipher, w: &Worker) -> Result<FaceStatus, ApiError> {
    let template = models::face::template(conn, cipher, &w.id)?;
    Ok(FaceStatus {
        enrolled: template.is_some(),
        model_id: template.as_ref().map(|t| t.model_id.clone()),
        enrolled_at: template.as_ref().map(|t| t.enrolled_at.and_utc()),
        consent_version: w.face_consent_version.clone(),
        needs_alternative_identity_check: w.needs_alternative_check,
        reenrollment_approved: models::face::reenrollment_pending(conn, &w.id)?,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResult {
    pub matched: bool,
    /// Cosine similarity between this photo and the enrolled face.
    pub score: f32,
    /// The similarity at or above which faces match.
    pub threshold: f32,
    /// One-time id proving this verification, required to start an exam; only when matched.
    pub verification_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Face verifications that do not match: 10 within 15 minutes block the worker's checks
/// for 15 minutes.
pub const VERIFY_FAILURES: models::throttle::Policy = models::throttle::Policy {
    max_failures: 10,
    window: chrono::Duration::minutes(15),
    block_for: chrono::Duration::minutes(15),
};
