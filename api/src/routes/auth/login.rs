use actix_web::{web, HttpRequest};
use exam::Role;
use models::account;

use super::{start_session, user_agent, LoginRequest, TokenResponse};
use crate::auth::{password, throttle};
use crate::error::{ApiError, Code, ErrorBody};
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
        (status = 403, description = "account_disabled", body = ErrorBody), (status = 415, body = ErrorBody),
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
    state
        .db(move |conn, cipher| {
            let limits = throttle::Keys::new(cipher, &username, &address);
            limits.check(conn)?;
            let found = account::find_by_username(conn, &username)?.filter(|a| a.role != Role::IntegrationClient);
            let hash = found.as_ref().map_or(password::DUMMY_HASH.as_str(), |a| a.password_hash.as_str());
            let Some(acc) = found.as_ref().filter(|_| password::verify(&given, hash)) else {
                limits.fail(conn)?;
                return Err(ApiError::new(Code::InvalidCredentials));
            };
            limits.succeed(conn)?;
            if !acc.active {
                return Err(ApiError::new(Code::AccountDisabled));
            }
            account::record_login(conn, &acc.id)?;
            tracing::info!(account = %acc.id, role = acc.role.as_str(), "logged in");
            start_session(conn, &keys, acc, ua.as_deref())
        })
        .await
        .map(web::Json)
}
