use actix_web::{web, HttpResponse};
use exam::{NewPassword, PersonName, Username};
use models::account::{self, NewAccount};
use models::organization;
use models::{DbError, OrgId};

use super::{CreateStaffAccountRequest, CreatedStaffAccount, StaffAccountResponse};
use crate::auth::{password, Principal};
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Create a staff account in an organization of the caller's jurisdiction. Bureau admins
/// create admins and proctors below them (and colleagues of their own bureau); an
/// enterprise admin creates its own enterprise's admins and proctors.
#[utoipa::path(post, path = "/api/v1/staff-accounts", operation_id = "createStaffAccount", tag = "staff accounts",
    security(("bearer" = [])), request_body = CreateStaffAccountRequest,
    responses(
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 201, body = CreatedStaffAccount), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "organization_id: no such organization in your jurisdiction", body = ErrorBody), (status = 409, description = "username_taken", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_staff_account(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateStaffAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_list_staff())?;
    let b = body.0;
    let bad_org = || ApiError::not_found().field("organization_id");
    let org_id = OrgId::parse(&b.organization_id).ok_or_else(bad_org)?;
    let username = Username::parse(&b.username).map_err(|e| ApiError::invalid("username", e))?;
    let display_name = PersonName::parse(&b.display_name).map_err(|e| ApiError::invalid("display_name", e))?;
    let (initial, shown) = match b.password.as_deref() {
        Some(p) => (NewPassword::parse(p).map_err(|e| ApiError::invalid("password", e))?, None),
        None => {
            let p = password::generate(12);
            (NewPassword::parse(&p).map_err(|e| ApiError::invalid("password", e))?, Some(p))
        }
    };
    let role = b.role;
    let creator = me.account_id.clone();
    let created = state
        .db(move |conn, cipher| {
            let org = organization::find_in(conn, cipher, me.scope(), &org_id).map_err(|e| match e {
                DbError::NotFound => bad_org(),
                other => other.into(),
            })?;
            if !role.is_staff() || !role.allowed_at(org.level) {
                return Err(ApiError::new(Code::ValidationFailed).field("role").text(
                    format!("该角色不能设在{}", org.level.label_zh()),
                    format!("this role does not belong to a {} organization", org.level.as_str()),
                ));
            }
            if !me.role.may_create_staff(me.relation(&org)?, role, org.level) {
                return Err(ApiError::forbidden().field("role"));
            }
            if account::find_by_username(conn, username.as_str())?.is_some() {
                return Err(ApiError::new(Code::UsernameTaken).field("username"));
            }
            let hash = password::hash(initial.expose())?;
            Ok(account::create(
                conn,
                NewAccount {
                    organization_id: org.id,
                    username: username.as_str().to_owned(),
                    display_name: display_name.into_inner(),
                    role,
                    password_hash: hash,
                    must_change_password: true,
                    created_by: Some(creator),
                },
            )?)
        })
        .await?;
    tracing::info!(created = %created.id, role = created.role.as_str(), "staff account created");
    Ok(HttpResponse::Created()
        .json(CreatedStaffAccount { account: StaffAccountResponse::from(created), initial_password: shown }))
}
