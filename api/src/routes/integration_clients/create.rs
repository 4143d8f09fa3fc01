use actix_web::{web, HttpResponse};
use exam::{OrgName, Role};
use models::account::{self, NewAccount};

use super::{CreateIntegrationClientRequest, CreatedIntegrationClient};
use crate::auth::{password, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Admit an integration client (province admins only). The response holds the client
/// secret, shown this once.
#[utoipa::path(post, path = "/api/v1/integration-clients", operation_id = "createIntegrationClient", tag = "integration clients",
    security(("bearer" = [])), request_body = CreateIntegrationClientRequest,
    responses(
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),(status = 201, body = CreatedIntegrationClient), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_integration_client(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateIntegrationClientRequest>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_create_integration_client())?;
    let name = OrgName::parse(&body.0.name).map_err(|e| ApiError::invalid("name", e))?;
    let client_id = format!("ic-{}", password::generate(16).to_ascii_lowercase());
    let secret = crate::auth::tokens::new_client_secret();
    let (cid, sec) = (client_id.clone(), secret.clone());
    let org_id = me.org.id.clone();
    let creator = me.account_id.clone();
    let created = state
        .db(move |conn, _| {
            let hash = password::hash(&sec)?;
            Ok(account::create(
                conn,
                NewAccount {
                    organization_id: org_id,
                    username: cid,
                    display_name: name.into_inner(),
                    role: Role::IntegrationClient,
                    password_hash: hash,
                    must_change_password: false,
                    created_by: Some(creator),
                },
            )?)
        })
        .await?;
    tracing::info!(client = %created.id, "integration client created");
    Ok(HttpResponse::Created().json(CreatedIntegrationClient {
        id: created.id.to_string(),
        name: created.display_name,
        client_id,
        client_secret: secret,
    }))
}
