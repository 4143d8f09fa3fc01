use actix_web::web;
use exam::access::OrgEdit;
use exam::{CreditCode, OrgName};
use models::organization::{self, OrgChanges};
use models::OrgId;

use super::{check_enterprise_fields, OrganizationResponse, UpdateOrganizationRequest};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Change an organization. Bureau admins change organizations below them; an
/// organization's own admins may keep its address and contact current.
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", operation_id = "updateOrganization", tag = "organizations",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Organization id")),
    request_body = UpdateOrganizationRequest,
    responses(
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 200, body = OrganizationResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn update_organization(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<UpdateOrganizationRequest>,
) -> Result<web::Json<OrganizationResponse>, ApiError> {
    let id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let b = body.0;
    let changes = OrgChanges {
        name: b.name.as_deref().map(|s| OrgName::parse(s).map_err(|e| ApiError::invalid("name", e))).transpose()?,
        division_code: b
            .division_code
            .map(|v| v.as_deref().map(|s| super::division_code("division_code", s)).transpose())
            .transpose()?,
        credit_code: b
            .credit_code
            .as_deref()
            .map(|s| CreditCode::parse(s).map_err(|e| ApiError::invalid("credit_code", e)))
            .transpose()?,
        industry: b.industry,
        size_class: b.size_class,
        address: b.address.map(|v| v.as_deref().map(|s| super::address("address", s)).transpose()).transpose()?,
        contact_name: b
            .contact_name
            .map(|v| v.as_deref().map(|s| super::contact_name("contact_name", s)).transpose())
            .transpose()?,
        contact_phone: b
            .contact_phone
            .map(|v| v.as_deref().map(|s| super::contact_phone("contact_phone", s)).transpose())
            .transpose()?,
    };
    let updated = state
        .db(move |conn, cipher| {
            models::db::write_transaction(conn, |conn| {
                let org = organization::find_in(conn, cipher, me.scope(), &id)?;
                let edit = me.role.may_edit_org(me.relation(&org)?).ok_or_else(ApiError::forbidden)?;
                if edit == OrgEdit::ContactOnly {
                    let beyond = [
                        ("name", changes.name.is_some()),
                        ("division_code", changes.division_code.is_some()),
                        ("credit_code", changes.credit_code.is_some()),
                        ("industry", changes.industry.is_some()),
                        ("size_class", changes.size_class.is_some()),
                    ];
                    if let Some((field, _)) = beyond.iter().find(|(_, set)| *set) {
                        return Err(ApiError::forbidden().field(*field).text(
                            "本单位只能修改地址和联系人信息",
                            "you may change only the address and contact of your own organization",
                        ));
                    }
                }
                check_enterprise_fields(
                    org.level,
                    changes.credit_code.is_some(),
                    changes.industry.is_some(),
                    changes.size_class.is_some(),
                    false,
                )?;
                Ok(organization::update(conn, cipher, &org.id, changes)?)
            })
        })
        .await?;
    tracing::info!(org = %updated.id, "organization updated");
    Ok(web::Json(OrganizationResponse::full(updated)))
}
