use actix_web::{web, HttpRequest};
use models::account;

use super::{start_session, user_agent, LoginRequest, TokenResponse};
use crate::auth::credentials::{self, Door};
use crate::auth::throttle;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Log in with username and password (staff and workers).
///
/// Wrong passwords are counted per account and per client address; past the limit the
/// answer is 429 with `Retry-After` until the block ends.
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = ErrorBody), (status = 401, description = "invalid_credentials", body = ErrorBody),
        (status = 403, description = "account_disabled", body = ErrorBody), (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 429, description = "too_many_attempts", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginRequest { username, password: given } = body.0;
    let username = username.trim().to_ascii_lowercase();
    let address = throttle::client_address(&req, state.settings.trust_forwarded_for);
    let ua = user_agent(&req);
    let keys = state.tokens.clone();
    let acc = credentials::check(&state, Door::Password, &username, &given, &address).await?;
    state
        .db(move |conn, _| {
            account::record_login(conn, &acc.id)?;
            tracing::info!(account = %acc.id, role = acc.role.as_str(), "logged in");
            start_session(conn, &keys, &acc, ua.as_deref())
        })
        .await
        .map(web::Json)
}
