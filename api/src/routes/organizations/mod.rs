//! The authority hierarchy: province → city → county/district → enterprise.

pub mod create;
pub mod get;
pub mod list;
pub mod update;

use chrono::{DateTime, Utc};
use exam::{ContactPhone, Industry, OrgLevel, PersonName, SizeClass, ValueError};
use models::organization::Organization;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// An organization. In lists the contact phone is masked (138****1234).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationResponse {
    pub id: String,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    #[schema(example = "临沂市兰山区应急管理局")]
    pub name: String,
    /// Administrative division code (行政区划代码), six digits.
    #[schema(example = "371302")]
    pub division_code: Option<String>,
    /// Unified social credit code (统一社会信用代码) of an enterprise.
    pub credit_code: Option<String>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrganizationResponse {
    pub fn full(o: Organization) -> Self {
        Self::build(o, false)
    }

    pub fn masked(o: Organization) -> Self {
        Self::build(o, true)
    }

    fn build(o: Organization, mask: bool) -> Self {
        Self {
            id: o.id.to_string(),
            parent_id: o.parent_id.map(|p| p.to_string()),
            level: o.level,
            name: o.name,
            division_code: o.division_code,
            credit_code: o.credit_code.map(|c| c.to_string()),
            industry: o.industry,
            size_class: o.size_class,
            address: o.address,
            contact_name: o.contact_name,
            contact_phone: o.contact_phone.map(|p| if mask { p.masked() } else { p.as_str().to_owned() }),
            created_at: o.created_at.and_utc(),
            updated_at: o.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    /// The organization one level up, inside the caller's jurisdiction.
    pub parent_id: String,
    pub name: String,
    pub division_code: Option<String>,
    /// Required for an enterprise; refused otherwise.
    pub credit_code: Option<String>,
    /// Required for an enterprise; refused otherwise.
    pub industry: Option<Industry>,
    /// Required for an enterprise; refused otherwise.
    pub size_class: Option<SizeClass>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    /// Mainland mobile number or landline with area code.
    pub contact_phone: Option<String>,
}

/// Changes to an organization: an absent field stays as it is; `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub division_code: Option<Option<String>>,
    pub credit_code: Option<String>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub contact_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub contact_phone: Option<Option<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListOrganizationsQuery {
    /// Only direct children of this organization.
    #[param(value_type = Option<uuid::Uuid>)]
    pub parent_id: Option<String>,
    pub level: Option<OrgLevel>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    /// Part of the name.
    pub q: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationPage {
    pub items: Vec<OrganizationResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Checks a six-digit administrative division code.
pub fn division_code(field: &str, s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ApiError::invalid(field, ValueError::Empty));
    }
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
        return Err(ApiError::invalid(field, ValueError::WrongLength { expected: 6 }));
    }
    Ok(s.to_owned())
}

pub fn address(field: &str, s: &str) -> Result<String, ApiError> {
    exam::OrgName::parse(s).map(|_| s.trim().to_owned()).map_err(|e| ApiError::invalid(field, e))
}

pub fn contact_name(field: &str, s: &str) -> Result<String, ApiError> {
    PersonName::parse(s).map(PersonName::into_inner).map_err(|e| ApiError::invalid(field, e))
}

pub fn contact_phone(field: &str, s: &str) -> Result<ContactPhone, ApiError> {
    ContactPhone::parse(s).map_err(|e| ApiError::invalid(field, e))
}

/// Refuses enterprise-only fields on a bureau, and requires them on an enterprise.
pub fn check_enterprise_fields(
    level: OrgLevel,
    credit: bool,
    industry: bool,
    size: bool,
    creating: bool,
) -> Result<(), ApiError> {
    let fields = [("credit_code", credit), ("industry", industry), ("size_class", size)];
    for (name, present) in fields {
        if level == OrgLevel::Enterprise && creating && !present {
            return Err(
                ApiError::invalid(name, ValueError::Empty).text("企业必须填写", "is required for an enterprise")
            );
        }
        if level != OrgLevel::Enterprise && present {
            return Err(ApiError::new(crate::error::Code::ValidationFailed)
                .field(name)
                .text("只有企业才能填写", "applies to enterprises only"));
        }
    }
    Ok(())
}
