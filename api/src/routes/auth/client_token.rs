use actix_web::{web, HttpRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::credentials::{self, Door};
use crate::auth::throttle;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientTokenRequest {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientTokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    pub expires_in: i64,
}

/// Issue an access token to an integration client (the provincial platform) for its
/// client id and secret. There is no refresh token: the client asks again.
#[utoipa::path(post, path = "/api/v1/auth/client-token", operation_id = "issueClientToken", tag = "auth",
    request_body = ClientTokenRequest,
    responses(
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 200, body = ClientTokenResponse), (status = 400, body = ErrorBody),
        (status = 401, description = "invalid_credentials", body = ErrorBody),
        (status = 403, description = "account_disabled", body = ErrorBody),
        (status = 429, description = "too_many_attempts", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn issue_client_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ClientTokenRequest>,
) -> Result<web::Json<ClientTokenResponse>, ApiError> {
    let ClientTokenRequest { client_id, client_secret } = body.0;
    let client_id = client_id.trim().to_ascii_lowercase();
    let address = throttle::client_address(&req, state.settings.trust_forwarded_for);
    let keys = state.tokens.clone();
    let acc = credentials::check(&state, Door::ClientCredentials, &client_id, &client_secret, &address).await?;
    let (access_token, expires_in) = keys.issue(acc.id.as_str(), None, acc.role, acc.token_epoch)?;
    Ok(web::Json(ClientTokenResponse { access_token, token_type: "Bearer", expires_in }))
}
