//! Staff accounts: bureau admins, enterprise admins and proctors.

pub mod create;
pub mod list;

use chrono::{DateTime, Utc};
use exam::Role;
use models::account::Account;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffAccountResponse {
    pub id: String,
    pub organization_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<Account> for StaffAccountResponse {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.to_string(),
            organization_id: a.organization_id.to_string(),
            username: a.username,
            display_name: a.display_name,
            role: a.role,
            active: a.active,
            must_change_password: a.must_change_password,
            created_at: a.created_at.and_utc(),
            last_login_at: a.last_login_at.map(|t| t.and_utc()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaffAccountRequest {
    /// The organization the account belongs to, inside the caller's jurisdiction.
    pub organization_id: String,
    /// 3 to 64 letters, digits, `.`, `_` or `-`; case-insensitive.
    #[schema(example = "lanshan.admin")]
    pub username: String,
    #[schema(example = "张伟")]
    pub display_name: String,
    /// A staff role that lives at the organization's level.
    pub role: Role,
    /// Initial password; generated when absent. Either way it must be changed at first login.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedStaffAccount {
    pub account: StaffAccountResponse,
    /// The generated initial password, shown this once; absent when the caller chose it.
    pub initial_password: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListStaffAccountsQuery {
    /// Only accounts of this organization.
    #[param(value_type = Option<uuid::Uuid>)]
    pub organization_id: Option<String>,
    /// Only this staff role.
    pub role: Option<Role>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffAccountPage {
    pub items: Vec<StaffAccountResponse>,
    pub next_cursor: Option<String>,
}
