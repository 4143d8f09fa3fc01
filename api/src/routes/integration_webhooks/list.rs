use actix_web::web;
use models::webhook;

use super::{WebhookList, WebhookResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// List the webhooks with where their delivery stands (province admins only).
#[utoipa::path(get, path = "/api/v1/integration-webhooks", operation_id = "listIntegrationWebhooks", tag = "integration",
    security(("bearer" = [])),
    responses((status = 200, body = WebhookList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_integration_webhooks(
    state: web::Data<AppState>,
    me: Principal,
) -> Result<web::Json<WebhookList>, ApiError> {
    me.require(|r| r.may_manage_webhooks())?;
    let hooks = state.db(move |conn, _| Ok(webhook::list_in(conn, me.scope())?)).await?;
    Ok(web::Json(WebhookList { items: hooks.into_iter().map(WebhookResponse::from).collect() }))
}
