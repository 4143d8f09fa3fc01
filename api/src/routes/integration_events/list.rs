use actix_web::web;
use models::outbox;

use super::{IntegrationEvent, IntegrationEventPage, ListIntegrationEventsQuery};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;

/// Pull the integration events (成绩上传) of the caller's subtree in order, from a
/// position on (integration clients only). Results carry whole ID numbers.
#[utoipa::path(get, path = "/api/v1/integration-events", operation_id = "listIntegrationEvents", tag = "integration",
    security(("bearer" = [])), params(ListIntegrationEventsQuery),
    responses((status = 200, body = IntegrationEventPage),
        (status = 400, description = "invalid_query, invalid_cursor (after beyond the latest event)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_integration_events(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ListIntegrationEventsQuery>,
) -> Result<web::Json<IntegrationEventPage>, ApiError> {
    me.require(|r| r.may_read_integration_events())?;
    let after = query.0.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::new(Code::InvalidQuery).field("after").text("不能为负数", "must not be negative"));
    }
    let limit = query.0.limit.unwrap_or(models::page::DEFAULT_LIMIT);
    if !(1..=models::page::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(Code::InvalidQuery).field("limit").text(
            format!("须在 1 到 {} 之间", models::page::MAX_LIMIT),
            format!("must be between 1 and {}", models::page::MAX_LIMIT),
        ));
    }
    let page = state
        .db(move |conn, cipher| {
            // What has committed since the last sequencing is read now, not a tick later.
            outbox::sequence(conn, outbox::SEQUENCE_BATCH)?;
            let top = outbox::high_water(conn)?;
            if after > top {
                // A cursor from nowhere: going on from it would skip what comes between.
                return Err(ApiError::new(Code::InvalidCursor).field("after").text(
                    format!("超出最新事件的位置 {top}"),
                    format!("is beyond the latest event's position {top}"),
                ));
            }
            let mut events = outbox::read(conn, cipher, me.scope(), after, top, limit + 1)?;
            let has_more = events.len() > usize::try_from(limit).unwrap_or(0);
            events.truncate(usize::try_from(limit).unwrap_or(0));
            let next_after = match (has_more, events.last()) {
                (true, Some(last)) => last.position,
                _ => top,
            };
            Ok(IntegrationEventPage {
                items: events.into_iter().map(IntegrationEvent::from).collect(),
                next_after,
                has_more,
            })
        })
        .await?;
    Ok(web::Json(page))
}
