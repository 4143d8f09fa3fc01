use actix_web::{web, HttpRequest};
use models::organization;

use super::{usable_code, LookupRegistrationCodeRequest, RegistrationCodeLookup};
use crate::auth::throttle;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Look a registration code up (no login): shows the enterprise's name, so the worker can
/// confirm it before typing personal data. Unusable codes say why; failed attempts are
/// counted per address and then refused with 429.
#[utoipa::path(post, path = "/api/v1/registration-codes/lookup", operation_id = "lookupRegistrationCode", tag = "registration codes",
    request_body = LookupRegistrationCodeRequest,
    responses(
        (status = 200, body = RegistrationCodeLookup), (status = 400, body = ErrorBody),
        (status = 404, description = "registration_code_unknown", body = ErrorBody),
        (status = 410, description = "registration_code_expired, registration_code_exhausted or registration_code_revoked", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 429, description = "too_many_attempts", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn lookup_registration_code(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LookupRegistrationCodeRequest>,
) -> Result<web::Json<RegistrationCodeLookup>, ApiError> {
    let address = throttle::client_address(&req, state.settings.trust_forwarded_for);
    let given = body.0.code;
    let found = state
        .db(move |conn, cipher| {
            let code = usable_code(conn, cipher, &given, &address)?;
            let org = organization::get_unscoped(conn, cipher, &code.organization_id)?;
            Ok(RegistrationCodeLookup {
                enterprise_id: org.id.to_string(),
                enterprise_name: org.name,
                industry: org.industry,
                default_role: code.default_role,
                expires_at: code.expires_at.and_utc(),
            })
        })
        .await?;
    Ok(web::Json(found))
}
