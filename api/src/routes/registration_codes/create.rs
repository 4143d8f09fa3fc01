use actix_web::{web, HttpResponse};
use exam::{OrgLevel, OrgName, RegCode};
use models::registration_code::{self, NewCode};
use models::{organization, DbError, OrgId};
use rand::RngCore;

use super::{CreateRegistrationCodeRequest, RegistrationCodeResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

fn draw() -> Result<RegCode, ApiError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    RegCode::from_random(bytes).ok_or_else(|| ApiError::internal(std::io::Error::other("not enough random bytes")))
}

fn range_error(field: &str, lo: i64, hi: i64) -> ApiError {
    ApiError::new(Code::ValidationFailed)
        .field(field)
        .text(format!("须在 {lo} 到 {hi} 之间"), format!("must be between {lo} and {hi}"))
}

/// Issue a registration code for an enterprise (its admins, or a bureau above it). Codes
/// are 8 characters without look-alikes, drawn from the operating system's CSPRNG.
#[utoipa::path(post, path = "/api/v1/registration-codes", operation_id = "createRegistrationCode", tag = "registration codes",
    security(("bearer" = [])), request_body = CreateRegistrationCodeRequest,
    responses(
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 201, body = RegistrationCodeResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "organization_id: not in your jurisdiction", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_registration_code(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateRegistrationCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let org_id = OrgId::parse(&b.organization_id).ok_or_else(|| ApiError::not_found().field("organization_id"))?;
    let max_uses = b.max_uses.unwrap_or(200);
    if !(1..=10_000).contains(&max_uses) {
        return Err(range_error("max_uses", 1, 10_000));
    }
    let valid_days = b.valid_days.unwrap_or(30);
    if !(1..=366).contains(&valid_days) {
        return Err(range_error("valid_days", 1, 366));
    }
    let label = b
        .label
        .as_deref()
        .map(|l| OrgName::parse(l).map(OrgName::into_inner).map_err(|e| ApiError::invalid("label", e)))
        .transpose()?;
    let created = state
        .db(move |conn, cipher| {
            let org = organization::find_in(conn, cipher, me.scope(), &org_id).map_err(|e| match e {
                DbError::NotFound => ApiError::not_found().field("organization_id"),
                other => other.into(),
            })?;
            if !me.role.may_issue_registration_codes(me.relation(&org)?) {
                return Err(ApiError::forbidden());
            }
            if org.level != OrgLevel::Enterprise {
                return Err(ApiError::new(Code::ValidationFailed)
                    .field("organization_id")
                    .text("注册码只能为企业发放", "registration codes are issued for enterprises"));
            }
            // A clash with an existing code is astronomically rare; draw again if it happens.
            for _ in 0..3 {
                let new = NewCode {
                    code: draw()?,
                    organization_id: org.id.clone(),
                    label: label.clone(),
                    default_role: b.default_role,
                    max_uses,
                    expires_at: models::now() + chrono::Duration::days(valid_days),
                    created_by: me.account_id.clone(),
                };
                match registration_code::create(conn, new) {
                    Err(DbError::Conflict { .. }) => continue,
                    other => return Ok(other?),
                }
            }
            Err(ApiError::internal(std::io::Error::other("could not draw an unused registration code")))
        })
        .await?;
    tracing::info!(code_id = %created.id, org = %created.organization_id, "registration code issued");
    Ok(HttpResponse::Created().json(RegistrationCodeResponse::from(created)))
}
