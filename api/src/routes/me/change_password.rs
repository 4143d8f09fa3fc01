use actix_web::{web, HttpRequest};
use exam::NewPassword;
use models::{account, session};

use super::ChangePasswordRequest;
use crate::auth::{password, throttle, AnyPrincipal};
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::routes::auth::{start_session, TokenResponse};
use crate::state::AppState;

/// Change the caller's password. Every session of the account ends (all devices log out);
/// the response carries fresh tokens for this one.
#[utoipa::path(post, path = "/api/v1/me/password", operation_id = "changePassword", tag = "me",
    security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses(
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 200, body = TokenResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "current_password_incorrect", body = ErrorBody),
        (status = 422, description = "validation_failed: the new password is too weak", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: AnyPrincipal,
    body: Json<ChangePasswordRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let ChangePasswordRequest { current_password, new_password } = body.0;
    let new = NewPassword::parse(&new_password).map_err(|e| ApiError::invalid("new_password", e))?;
    if new.expose() == current_password {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("new_password")
            .text("不能与当前密码相同", "must differ from the current password"));
    }
    let address = throttle::client_address(&req, state.settings.trust_forwarded_for);
    let ua = crate::routes::auth::user_agent(&req);
    let keys = state.tokens.clone();
    let id = me.account_id.clone();
    state
        .db(move |conn, cipher| {
            let acc = account::get_unscoped(conn, &id)?;
            let limits = throttle::Keys::new(cipher, &acc.username, &address);
            limits.check(conn)?;
            if !password::verify(&current_password, &acc.password_hash) {
                limits.fail(conn)?;
                return Err(ApiError::new(Code::CurrentPasswordIncorrect));
            }
            let hash = password::hash(new.expose())?;
            let acc = models::db::write_transaction(conn, |conn| {
                account::set_password(conn, &acc.id, &hash, false)?;
                session::revoke_all(conn, &acc.id)?;
                Ok::<_, ApiError>(account::get_unscoped(conn, &acc.id)?)
            })?;
            tracing::info!("password changed; all sessions ended");
            start_session(conn, &keys, &acc, ua.as_deref())
        })
        .await
        .map(web::Json)
}
