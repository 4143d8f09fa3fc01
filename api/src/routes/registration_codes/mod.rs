//! Registration codes (注册码) that enterprises hand to their workers.

pub mod create;
pub mod list;
pub mod lookup;
pub mod revoke;

use chrono::{DateTime, Utc};
use exam::{Industry, WorkerRole};
use models::registration_code::{CodeStatus, RegistrationCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::throttle;
use crate::error::{ApiError, Code};

/// How the app turns a code into a QR code: `sanda://register?code=ABCD2345`.
pub fn qr_payload(code: &exam::RegCode) -> String {
    format!("sanda://register?code={}", code.as_str())
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeState {
    Active,
    Expired,
    Exhausted,
    Revoked,
}

impl From<CodeStatus> for CodeState {
    fn from(s: CodeStatus) -> Self {
        match s {
            CodeStatus::Active => Self::Active,
            CodeStatus::Expired => Self::Expired,
            CodeStatus::Exhausted => Self::Exhausted,
            CodeStatus::Revoked => Self::Revoked,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationCodeResponse {
    pub id: String,
    /// The code as a worker types it, grouped: ABCD-2345 (dashes and case do not matter).
    #[schema(example = "ABCD-2345")]
    pub code: String,
    /// Render as a QR code for the app to scan.
    #[schema(example = "sanda://register?code=ABCD2345")]
    pub qr_payload: String,
    pub organization_id: String,
    pub label: Option<String>,
    pub default_role: Option<WorkerRole>,
    pub max_uses: i32,
    pub uses: i32,
    pub status: CodeState,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<RegistrationCode> for RegistrationCodeResponse {
    fn from(c: RegistrationCode) -> Self {
        Self {
            id: c.id.to_string(),
            code: c.code.display(),
            qr_payload: qr_payload(&c.code),
            organization_id: c.organization_id.to_string(),
            status: c.status(models::now()).into(),
            label: c.label,
            default_role: c.default_role,
            max_uses: c.max_uses,
            uses: c.uses,
            expires_at: c.expires_at.and_utc(),
            revoked_at: c.revoked_at.map(|t| t.and_utc()),
            created_at: c.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRegistrationCodeRequest {
    /// The enterprise the code registers workers into.
    pub organization_id: String,
    /// What the code is for, e.g. 二车间 or 2026年新员工.
    pub label: Option<String>,
    /// How many workers may register with it (1 to 10000, default 200).
    pub max_uses: Option<i32>,
    /// Days until it expires (1 to 366, default 30).
    pub valid_days: Option<i64>,
    /// The role offered to workers who register with it (they may choose another).
    pub default_role: Option<WorkerRole>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRegistrationCodesQuery {
    /// Only codes of this enterprise.
    #[param(value_type = Option<uuid::Uuid>)]
    pub organization_id: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationCodePage {
    pub items: Vec<RegistrationCodeResponse>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRegistrationCodeRequest {
    #[schema(example = "ABCD-2345")]
    pub code: String,
}

/// What a worker sees before typing personal data: whose code this is.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationCodeLookup {
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub industry: Option<Industry>,
    pub default_role: Option<WorkerRole>,
    pub expires_at: DateTime<Utc>,
}

/// Failed code attempts from one address: 20 in 15 minutes block it for 15 minutes, so
/// codes cannot be enumerated.
pub const CODE_ATTEMPTS: models::throttle::Policy = models::throttle::Policy {
    max_failures: 20,
    window: chrono::Duration::minutes(15),
    block_for: chrono::Duration::minutes(15),
};

/// Resolves a code for registration or lookup: its own error for each way it can be
/// unusable, every failure counted against the caller's address.
pub fn usable_code(
    conn: &mut models::DbConn,
    cipher: &models::Cipher,
    given: &str,
    address: &str,
) -> Result<RegistrationCode, ApiError> {
    let key = throttle::address_key(cipher, "registration_code", address);
    throttle::check_key(conn, &key)?;
    let outcome = match exam::RegCode::parse(given) {
        Err(_) => Err(ApiError::new(Code::RegistrationCodeUnknown).field("code")),
        Ok(code) => match models::registration_code::find_by_code(conn, &code)? {
            None => Err(ApiError::new(Code::RegistrationCodeUnknown).field("code")),
            Some(c) => match c.status(models::now()) {
                CodeStatus::Active => Ok(c),
                CodeStatus::Expired => Err(ApiError::new(Code::RegistrationCodeExpired).field("code")),
                CodeStatus::Exhausted => Err(ApiError::new(Code::RegistrationCodeExhausted).field("code")),
                CodeStatus::Revoked => Err(ApiError::new(Code::RegistrationCodeRevoked).field("code")),
            },
        },
    };
    if outcome.is_err() {
        models::throttle::record_failure(conn, &key, CODE_ATTEMPTS)?;
    }
    outcome
}
