//! Logging in and out, refreshing tokens, and client credentials for the provincial platform.

pub mod client_token;
pub mod login;
pub mod logout;
pub mod refresh;

use actix_web::HttpRequest;
use models::account::Account;
use models::{session, DbConn, SessionId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::tokens::{hash_refresh_token, new_refresh_token, TokenKeys};
use crate::error::ApiError;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "lanshan.admin")]
    pub username: String,
    pub password: String,
}

/// A new pair of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Bearer token for the `Authorization` header.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Exchange it at `refreshToken` for a new pair; each refresh token works once.
    pub refresh_token: String,
    /// Seconds until the login session ends and a new login is needed.
    pub refresh_expires_in: i64,
    /// The account must change its initial password before anything else.
    pub must_change_password: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// The client's `User-Agent`, kept with a session so a worker can tell its devices apart.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers().get(actix_web::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Starts a login session for `account` and issues its first tokens.
pub fn start_session(
    conn: &mut DbConn,
    keys: &TokenKeys,
    account: &Account,
    user_agent: Option<&str>,
) -> Result<TokenResponse, ApiError> {
    let refresh = new_refresh_token();
    let sid = session::start(
        conn,
        &account.id,
        chrono::Duration::seconds(keys.refresh_ttl_secs),
        user_agent,
        &hash_refresh_token(&refresh),
    )?;
    TokenResponse::issue(keys, account, &sid, refresh, keys.refresh_ttl_secs)
}

impl TokenResponse {
    /// Signs an access token for `account` in session `sid`, paired with `refresh`.
    pub fn issue(
        keys: &TokenKeys,
        account: &Account,
        sid: &SessionId,
        refresh: String,
        refresh_expires_in: i64,
    ) -> Result<Self, ApiError> {
        let (access, expires_in) =
            keys.issue(account.id.as_str(), Some(sid.as_str()), account.role, account.token_epoch)?;
        Ok(Self {
            access_token: access,
            token_type: "Bearer",
            expires_in,
            refresh_token: refresh,
            refresh_expires_in,
            must_change_password: account.must_change_password,
        })
    }
}
