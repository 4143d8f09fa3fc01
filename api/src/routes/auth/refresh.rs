use actix_web::{web, HttpRequest};
use models::account;
use models::session::{self, Rotation};

use super::{RefreshRequest, TokenResponse};
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Exchange a refresh token for a new access token and a new refresh token.
///
/// Each refresh token works once. Presenting one a second time ends its whole session
/// (it has been copied), and both holders must log in again.
#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "refreshToken", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 200, body = TokenResponse),
        (status = 400, body = ErrorBody),
        (status = 401, description = "invalid_refresh_token, refresh_token_reused or token_revoked", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn refresh_token(
    state: web::Data<AppState>,
    _req: HttpRequest,
    body: Json<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let old_hash = hash_refresh_token(body.0.refresh_token.trim());
    let keys = state.tokens.clone();
    state
        .db(move |conn, _| {
            let new = new_refresh_token();
            let (sid, account_id) = match session::rotate(conn, &old_hash, &hash_refresh_token(&new))? {
                Rotation::Rotated { session, account } => (session, account),
                Rotation::Invalid => return Err(ApiError::new(Code::InvalidRefreshToken)),
                Rotation::Reused => {
                    tracing::warn!("refresh token reused: session revoked");
                    return Err(ApiError::new(Code::RefreshTokenReused));
                }
            };
            let acc = account::get_unscoped(conn, &account_id)?;
            if !acc.active {
                session::revoke(conn, &sid)?;
                return Err(ApiError::new(Code::TokenRevoked));
            }
            let expires_at = session::get(conn, &sid)?.map(|s| s.expires_at).unwrap_or_else(models::now);
            TokenResponse::issue(&keys, &acc, &sid, new, (expires_at - models::now()).num_seconds().max(0))
        })
        .await
        .map(web::Json)
}
