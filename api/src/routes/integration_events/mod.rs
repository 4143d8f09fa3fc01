//! The integration events (成绩上传) as the provincial platform reads them: pulled by
//! position, or pushed to its webhooks in the same form.

pub mod list;

use chrono::{DateTime, Utc};
use exam::integration::{EventData, EventKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One event: the body of a webhook request, and an item of `listIntegrationEvents`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntegrationEvent {
    /// The event's id: the same however often it is delivered (the idempotency key).
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    /// Its place in the one order of all events: 1, 2, 3 … without gaps (a subtree's
    /// events are a subsequence).
    pub position: i64,
    pub kind: EventKind,
    /// The attempt (results) or the worker (registry events and absentees).
    pub subject_id: String,
    pub created_at: DateTime<Utc>,
    /// An exam result for `attempt.*`, `makeup.graded` and `candidate.absent`; the worker's
    /// record for `worker.*`.
    pub data: EventData,
}

impl From<models::outbox::Event> for IntegrationEvent {
    fn from(e: models::outbox::Event) -> Self {
        IntegrationEvent {
            id: e.id.to_string(),
            position: e.position,
            kind: e.kind,
            subject_id: e.subject_id,
            created_at: e.created_at.and_utc(),
            data: e.data,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListIntegrationEventsQuery {
    /// The position after which to read: 0 (the default) from the first event, then the
    /// `next_after` of the previous page.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationEventPage {
    /// The caller's subtree's events after `after`, in position order.
    pub items: Vec<IntegrationEvent>,
    /// Where to go on from: the last item's position, or, when nothing more is there yet,
    /// the latest position of all (no event of the subtree lies between). Poll with it.
    pub next_after: i64,
    /// Whether more events are there already (read again at once).
    pub has_more: bool,
}
