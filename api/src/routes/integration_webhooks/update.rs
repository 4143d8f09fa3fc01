use actix_web::web;
use models::{webhook, WebhookId};

use super::{webhook_url, UpdateWebhookRequest, WebhookResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Change a webhook's URL, or stop and resume its delivery (province admins only). Either
/// change ends a running backoff: the next event is tried at once.
#[utoipa::path(patch, path = "/api/v1/integration-webhooks/{id}", operation_id = "updateIntegrationWebhook", tag = "integration",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Webhook id")),
    request_body = UpdateWebhookRequest,
    responses((status = 200, body = WebhookResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn update_integration_webhook(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<UpdateWebhookRequest>,
) -> Result<web::Json<WebhookResponse>, ApiError> {
    me.require(|r| r.may_manage_webhooks())?;
    let id = WebhookId::parse(&id).ok_or_else(ApiError::not_found)?;
    let url = body.0.url.as_deref().map(webhook_url).transpose()?;
    let active = body.0.active;
    let updated = state
        .db(move |conn, _| {
            models::db::write_transaction(conn, |conn| {
                Ok(webhook::update(conn, me.scope(), &id, url.as_deref(), active)?)
            })
        })
        .await?;
    tracing::info!(webhook = %updated.id, active = updated.active, "webhook changed");
    Ok(web::Json(updated.into()))
}
