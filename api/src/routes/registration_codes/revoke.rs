use actix_web::web;
use models::{organization, registration_code, RegCodeId};

use super::RegistrationCodeResponse;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Revoke a registration code: it stops working at once. Workers already registered stay.
#[utoipa::path(post, path = "/api/v1/registration-codes/{id}/revoke", operation_id = "revokeRegistrationCode", tag = "registration codes",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Registration code id")),
    responses((status = 200, body = RegistrationCodeResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn revoke_registration_code(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<RegistrationCodeResponse>, ApiError> {
    let id = RegCodeId::parse(&id).ok_or_else(ApiError::not_found)?;
    let revoked = state
        .db(move |conn, cipher| {
            let code = registration_code::find_in(conn, me.scope(), &id)?;
            let org = organization::find_in(conn, cipher, me.scope(), &code.organization_id)?;
            if !me.role.may_issue_registration_codes(me.relation(&org)?) {
                return Err(ApiError::forbidden());
            }
            Ok(registration_code::revoke(conn, &code.id)?)
        })
        .await?;
    tracing::info!(code_id = %revoked.id, "registration code revoked");
    Ok(web::Json(RegistrationCodeResponse::from(revoked)))
}
