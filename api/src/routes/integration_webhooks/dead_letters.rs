use actix_web::web;
use models::{dead_letter, webhook, WebhookId};

use super::{DeadLetterPage, DeadLetterResponse, ListDeadLettersQuery};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{PageParams, Query};
use crate::state::AppState;

/// The events a webhook gave up on after its tries (dead letters), oldest first, with the
/// webhook as it stands (province admins only).
#[utoipa::path(get, path = "/api/v1/integration-webhooks/{id}/dead-letters", operation_id = "listIntegrationDeadLetters",
    tag = "integration", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Webhook id"), ListDeadLettersQuery),
    responses((status = 200, body = DeadLetterPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_integration_dead_letters(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    query: Query<ListDeadLettersQuery>,
) -> Result<web::Json<DeadLetterPage>, ApiError> {
    me.require(|r| r.may_manage_webhooks())?;
    let page = PageParams::parse(query.0.limit, query.0.cursor.as_deref())?;
    let id = WebhookId::parse(&id).ok_or_else(ApiError::not_found)?;
    let (hook, letters) = state
        .db(move |conn, _| {
            let hook = webhook::get_in(conn, me.scope(), &id)?;
            Ok((hook, dead_letter::list(conn, &id, &page)?))
        })
        .await?;
    Ok(web::Json(DeadLetterPage {
        webhook: hook.into(),
        next_cursor: letters.next.as_ref().map(models::Cursor::encode),
        items: letters.items.into_iter().map(DeadLetterResponse::from).collect(),
    }))
}
