use actix_web::{web, HttpResponse};
use models::{dead_letter, DeadLetterId};

use super::DeadLetterResponse;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Send a dead letter again (province admins only): queued now, sent by the webhook's next
/// delivery beside the ordered stream, with its tries counted afresh. Idempotent: one
/// already queued or delivered again is answered as it stands.
#[utoipa::path(post, path = "/api/v1/integration-dead-letters/{id}/retry", operation_id = "retryIntegrationDeadLetter",
    tag = "integration", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Dead letter id")),
    responses((status = 202, body = DeadLetterResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn retry_integration_dead_letter(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_manage_webhooks())?;
    let id = DeadLetterId::parse(&id).ok_or_else(ApiError::not_found)?;
    let queued = state
        .db(move |conn, _| {
            models::db::write_transaction(conn, |conn| Ok(dead_letter::retry(conn, me.scope(), &id, &me.account_id)?))
        })
        .await?;
    tracing::info!(dead_letter = %queued.id, webhook = %queued.webhook_id, "dead letter queued again");
    Ok(HttpResponse::Accepted().json(DeadLetterResponse::from(queued)))
}
