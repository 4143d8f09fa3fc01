use actix_web::web;
use models::organization;
use models::OrgId;

use super::OrganizationResponse;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Read one organization of the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", operation_id = "getOrganization", tag = "organizations",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationResponse), (status = 401, body = ErrorBody),
        (status = 404, description = "No such organization in your jurisdiction", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_organization(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<OrganizationResponse>, ApiError> {
    let id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let org = state.db(move |conn, cipher| Ok(organization::find_in(conn, cipher, me.scope(), &id)?)).await?;
    Ok(web::Json(OrganizationResponse::full(org)))
}
