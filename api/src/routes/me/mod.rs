//! The caller's own account.

pub mod change_password;
pub mod get;

use chrono::{DateTime, Utc};
use exam::{OrgLevel, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organization in one line.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgSummary {
    pub id: String,
    pub name: String,
    pub level: OrgLevel,
}

impl From<&models::organization::Organization> for OrgSummary {
    fn from(o: &models::organization::Organization) -> Self {
        Self { id: o.id.to_string(), name: o.name.clone(), level: o.level }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organization: OrgSummary,
    pub must_change_password: bool,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// 8 to 128 characters with at least one letter and one digit.
    pub new_password: String,
}
