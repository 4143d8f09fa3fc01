//! The platform's webhooks, for province admins: register one for an integration client
//! (the signing secret is shown once), see how far delivery has come, turn it off or point
//! it elsewhere, and see and send again the events it gave up on (dead letters).

pub mod create;
pub mod dead_letters;
pub mod list;
pub mod retry;
pub mod update;

use chrono::{DateTime, Utc};
use exam::integration::EventKind;
use exam::ValueError;
use models::dead_letter::{self, DeadLetter};
use models::webhook::Webhook;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// The longest webhook URL taken.
const MAX_URL: usize = 2000;

/// A webhook URL: http or https, with a host and no credentials in it (they would be kept
/// in the clear; the signature is the credential).
pub fn webhook_url(raw: &str) -> Result<String, ApiError> {
    let refuse = |zh: &'static str, en: &'static str| ApiError::invalid("url", ValueError::Rule { zh, en });
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ApiError::invalid("url", ValueError::Empty));
    }
    if raw.chars().count() > MAX_URL {
        return Err(ApiError::invalid("url", ValueError::TooLong { max: MAX_URL }));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| refuse("不是有效的网址", "is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("须为 http:// 或 https:// 网址", "must be an http:// or https:// URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("网址中不能含用户名或密码", "must not hold a user name or password"));
    }
    Ok(url.to_string())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// The integration client's account id (`createIntegrationClient`'s `id`): its
    /// organization's subtree bounds what is sent.
    #[schema(value_type = uuid::Uuid)]
    pub client_id: String,
    /// Where events are posted, one per request (https in production).
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    pub url: Option<String>,
    /// `false` stops delivery (events wait); `true` resumes it.
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub url: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every event of the client's subtree up to this position is delivered (or a dead letter).
    pub delivered_through: i64,
    /// Events of the subtree waiting to be delivered.
    pub pending: i64,
    /// Failed tries of the next event so far, and when it is tried again.
    pub tries: i32,
    pub next_try_at: Option<DateTime<Utc>>,
    /// Why the last try failed (`HTTP 503`, `timed out`, `could not connect: ` and the cause, such as an untrusted certificate, …).
    pub last_error: Option<String>,
    pub last_delivered_at: Option<DateTime<Utc>>,
    /// Dead letters not delivered since.
    pub dead_letters: i64,
}

impl From<Webhook> for WebhookResponse {
    fn from(w: Webhook) -> Self {
        WebhookResponse {
            id: w.id.to_string(),
            client_id: w.client_id.to_string(),
            client_name: w.client_name,
            url: w.url,
            active: w.active,
            created_at: w.created_at.and_utc(),
            updated_at: w.updated_at.and_utc(),
            delivered_through: w.delivered_through,
            pending: w.pending,
            tries: w.tries,
            next_try_at: w.next_try_at.map(|t| t.and_utc()),
            last_error: w.last_error,
            last_delivered_at: w.last_delivered_at.map(|t| t.and_utc()),
            dead_letters: w.dead_letters,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    pub webhook: WebhookResponse,
    /// Signs every request (see the README); shown this once, kept encrypted.
    pub signing_secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookResponse>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterStatus {
    /// Given up on.
    Dead,
    /// Queued to be sent again.
    Retrying,
    /// Sent again and arrived.
    Delivered,
}

/// An event a webhook gave up on; its content is not shown (personal data): the platform
/// can read it with `listIntegrationEvents` at its position.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterResponse {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub position: i64,
    pub kind: EventKind,
    pub subject_id: String,
    pub event_created_at: DateTime<Utc>,
    pub status: DeadLetterStatus,
    pub tries: i32,
    pub last_error: String,
    pub dead_at: DateTime<Utc>,
    pub next_try_at: Option<DateTime<Utc>>,
    pub retried_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<DeadLetter> for DeadLetterResponse {
    fn from(d: DeadLetter) -> Self {
        DeadLetterResponse {
            id: d.id.to_string(),
            webhook_id: d.webhook_id.to_string(),
            event_id: d.event_id.to_string(),
            position: d.position,
            kind: d.kind,
            subject_id: d.subject_id,
            event_created_at: d.event_created_at.and_utc(),
            status: match d.status {
                dead_letter::Status::Dead => DeadLetterStatus::Dead,
                dead_letter::Status::Retrying => DeadLetterStatus::Retrying,
                dead_letter::Status::Delivered => DeadLetterStatus::Delivered,
            },
            tries: d.tries,
            last_error: d.last_error,
            dead_at: d.dead_at.and_utc(),
            next_try_at: d.next_try_at.map(|t| t.and_utc()),
            retried_at: d.retried_at.map(|t| t.and_utc()),
            delivered_at: d.delivered_at.map(|t| t.and_utc()),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListDeadLettersQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterPage {
    /// The webhook, as it stands.
    pub webhook: WebhookResponse,
    pub items: Vec<DeadLetterResponse>,
    pub next_cursor: Option<String>,
}
