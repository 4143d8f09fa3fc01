use actix_web::web;
use models::account;

use super::{MeResponse, OrgSummary};
use crate::auth::AnyPrincipal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Who am I: the caller's account and organization.
#[utoipa::path(get, path = "/api/v1/me", operation_id = "getMe", tag = "me",
    security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_me(state: web::Data<AppState>, me: AnyPrincipal) -> Result<web::Json<MeResponse>, ApiError> {
    let id = me.account_id.clone();
    let acc = state.db(move |conn, _| Ok(account::get_unscoped(conn, &id)?)).await?;
    Ok(web::Json(MeResponse {
        id: acc.id.to_string(),
        username: acc.username,
        display_name: acc.display_name,
        role: acc.role,
        organization: OrgSummary::from(&me.org),
        must_change_password: acc.must_change_password,
        last_login_at: acc.last_login_at.map(|t| t.and_utc()),
    }))
}
