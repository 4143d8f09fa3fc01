use actix_web::{web, HttpResponse};
use exam::{Role, ValueError};
use models::webhook::{self, NewWebhook};
use models::{account, AccountId, DbError};

use super::{webhook_url, CreateWebhookRequest, CreatedWebhook, WebhookResponse};
use crate::auth::Principal;
use crate::delivery::signature;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Register a webhook for an integration client (province admins only): every event of
/// the client's subtree, from the first, is posted to it in order, signed with the secret
/// in the response (shown this once).
#[utoipa::path(post, path = "/api/v1/integration-webhooks", operation_id = "createIntegrationWebhook", tag = "integration",
    security(("bearer" = [])), request_body = CreateWebhookRequest,
    responses((status = 201, body = CreatedWebhook), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "client_id: no such client in your jurisdiction", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_integration_webhook(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_manage_webhooks())?;
    let url = webhook_url(&body.0.url)?;
    let client = AccountId::parse(body.0.client_id.trim()).ok_or_else(|| ApiError::not_found().field("client_id"))?;
    let secret = signature::new_secret();
    let shown = secret.clone();
    let created = state
        .db(move |conn, cipher| {
            let acc = account::find_in(conn, me.scope(), &client).map_err(|e| match e {
                DbError::NotFound => ApiError::not_found().field("client_id"),
                other => other.into(),
            })?;
            if acc.role != Role::IntegrationClient {
                return Err(ApiError::invalid(
                    "client_id",
                    ValueError::Rule { zh: "不是对接平台账号", en: "is not an integration client" },
                ));
            }
            let new = NewWebhook { client: &acc.id, url: &url, secret: &secret, by: &me.account_id };
            Ok(webhook::create(conn, cipher, me.scope(), new)?)
        })
        .await?;
    tracing::info!(webhook = %created.id, client = %created.client_id, "webhook registered");
    Ok(HttpResponse::Created().json(CreatedWebhook { webhook: WebhookResponse::from(created), signing_secret: shown }))
}
