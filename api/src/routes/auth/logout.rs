use actix_web::{web, HttpResponse};
use models::session;

use crate::auth::AnyPrincipal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Log out: ends this login session. Its refresh token and access token stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "logout", tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Logged out"), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn logout(state: web::Data<AppState>, me: AnyPrincipal) -> Result<HttpResponse, ApiError> {
    if let Some(sid) = me.session_id.clone() {
        state.db(move |conn, _| Ok(session::revoke(conn, &sid)?)).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
