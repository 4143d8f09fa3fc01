use actix_web::{web, HttpResponse};
use exam::{CreditCode, OrgName};
use models::organization::{self, NewOrganization};
use models::{DbError, OrgId};

use super::{check_enterprise_fields, CreateOrganizationRequest, OrganizationResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Create an organization one level below a parent in the caller's jurisdiction
/// (bureau admins only): a city under the province, a county under a city, an enterprise
/// under a county.
#[utoipa::path(post, path = "/api/v1/organizations", operation_id = "createOrganization", tag = "organizations",
    security(("bearer" = [])), request_body = CreateOrganizationRequest,
    responses(
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 201, body = OrganizationResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "parent_id: no such organization in your jurisdiction", body = ErrorBody), (status = 409, description = "credit_code_taken or name_taken", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_organization(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_create_child_org())?;
    let b = body.0;
    let bad_parent = || ApiError::not_found().field("parent_id");
    let parent_id = OrgId::parse(&b.parent_id).ok_or_else(bad_parent)?;
    let mut new = NewOrganization::named(OrgName::parse(&b.name).map_err(|e| ApiError::invalid("name", e))?);
    new.division_code = b.division_code.as_deref().map(|s| super::division_code("division_code", s)).transpose()?;
    new.credit_code = b
        .credit_code
        .as_deref()
        .map(|s| CreditCode::parse(s).map_err(|e| ApiError::invalid("credit_code", e)))
        .transpose()?;
    new.industry = b.industry;
    new.size_class = b.size_class;
    new.address = b.address.as_deref().map(|s| super::address("address", s)).transpose()?;
    new.contact_name = b.contact_name.as_deref().map(|s| super::contact_name("contact_name", s)).transpose()?;
    new.contact_phone = b.contact_phone.as_deref().map(|s| super::contact_phone("contact_phone", s)).transpose()?;
    let created = state
        .db(move |conn, cipher| {
            let parent = organization::find_in(conn, cipher, me.scope(), &parent_id).map_err(|e| match e {
                DbError::NotFound => bad_parent(),
                other => other.into(),
            })?;
            let level = parent.level.child().ok_or_else(|| {
                ApiError::new(Code::ValidationFailed)
                    .field("parent_id")
                    .text("企业下不能再设下级单位", "an enterprise has no sub-organizations")
            })?;
            check_enterprise_fields(
                level,
                new.credit_code.is_some(),
                new.industry.is_some(),
                new.size_class.is_some(),
                true,
            )?;
            Ok(organization::create_child(conn, cipher, &parent, new)?)
        })
        .await?;
    tracing::info!(org = %created.id, level = created.level.as_str(), "organization created");
    Ok(HttpResponse::Created().json(OrganizationResponse::full(created)))
}
