//! The delivery worker: pushes the integration outbox to the platform's webhooks. Every
//! server runs one; the database decides who delivers for each webhook (a lease), so one
//! server at a time posts a webhook's events, in position order, each signed
//! ([`signature`]) and carrying its event id as the idempotency key.
//!
//! A failing event holds back the ones after it: it is tried again after a backoff that
//! doubles with each try (stored with the webhook, so a restart loses nothing), until it
//! arrives or its tries (or its age) run out; then it becomes a dead letter and delivery
//! goes on past it. A dead letter a province admin queues again is sent beside the stream.
//! Nothing is acknowledged before the receiver answered 2xx, so an event may arrive twice
//! (after a crash between its delivery and the step forward), never not at all.

pub mod signature;

use std::time::Duration;

use chrono::NaiveDateTime;
use models::outbox::{self, Event};
use models::webhook::{self, Target};
use models::{dead_letter, WebhookId};

use crate::error::ApiError;
use crate::routes::integration_events::IntegrationEvent;
use crate::settings::DeliverySettings;
use crate::state::AppState;

/// Events read per query while delivering.
const BATCH: i64 = 50;
/// Dead letters sent again per pass and webhook.
const RESENDS: i64 = 20;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sequenced: usize,
    pub delivered: usize,
    pub failed: usize,
    pub dead_lettered: usize,
    pub resent: usize,
}

impl std::ops::AddAssign for Delivered {
    fn add_assign(&mut self, o: Self) {
        self.sequenced += o.sequenced;
        self.delivered += o.delivered;
        self.failed += o.failed;
        self.dead_lettered += o.dead_lettered;
        self.resent += o.resent;
    }
}

/// One server's delivery worker.
#[derive(Debug, Clone)]
pub struct Worker {
    state: AppState,
    http: reqwest::Client,
    /// This server, as the holder of a lease.
    owner: String,
}

impl Worker {
    pub fn new(state: AppState) -> Result<Self, String> {
        let d = &state.settings.delivery;
        let timeout = Duration::from_millis(d.timeout_ms);
        let mut http = reqwest::Client::builder();
        if let Some(path) = &d.ca_file {
            for root in trusted_roots(path)? {
                http = http.add_root_certificate(root);
            }
        }
        let http = http
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // A redirect is a failure to fix at the receiver, not a place to send personal data.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sanda/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { state, http, owner: uuid::Uuid::new_v4().to_string() })
    }

    fn settings(&self) -> &DeliverySettings {
        &self.state.settings.delivery
    }

    /// Sequences the new events, then delivers for every webhook with work that no other
    /// server holds, the webhooks side by side.
    pub async fn pass(&self) -> Result<Delivered, ApiError> {
        let sequenced = self.state.db(|conn, _| Ok(outbox::sequence(conn, outbox::SEQUENCE_BATCH)?)).await?;
        let due = self.state.db(|conn, _| Ok(webhook::due(conn, models::now())?)).await?;
        let mut total = Delivered { sequenced, ..Delivered::default() };
        let mut running = tokio::task::JoinSet::new();
        for id in due {
            let me = self.clone();
            running.spawn(async move { (me.webhook(&id).await, id) });
        }
        while let Some(done) = running.join_next().await {
            match done {
                Ok((Ok(d), _)) => total += d,
                Ok((Err(e), id)) => tracing::warn!(webhook = %id, error = %e, "delivery failed"),
                Err(e) => tracing::error!(error = %e, "delivery task failed"),
            }
        }
        Ok(total)
    }

    /// Delivers for one webhook if this server gets its lease.
    async fn webhook(&self, id: &WebhookId) -> Result<Delivered, ApiError> {
        let Some(until) = self.claim(id).await? else { return Ok(Delivered::default()) };
        let result = self.deliver(id, until).await;
        let (id, owner) = (id.clone(), self.owner.clone());
        self.state.db(move |conn, _| Ok(webhook::release(conn, &id, &owner)?)).await?;
        result
    }

    /// Takes or extends the lease; until when it runs, or `None` if another server holds it.
    async fn claim(&self, id: &WebhookId) -> Result<Option<NaiveDateTime>, ApiError> {
        let now = models::now();
        let until = now + chrono::Duration::seconds(self.settings().lease_secs);
        let (id, owner) = (id.clone(), self.owner.clone());
        let held = self.state.db(move |conn, _| Ok(webhook::claim(conn, &id, &owner, now, until)?)).await?;
        Ok(held.then_some(until))
    }

    /// Extends the lease when less than two request timeouts of it remain; false if lost.
    async fn keep(&self, id: &WebhookId, until: &mut NaiveDateTime) -> Result<bool, ApiError> {
        let margin = chrono::Duration::milliseconds(2 * i64::try_from(self.settings().timeout_ms).unwrap_or(0));
        if *until - models::now() > margin {
            return Ok(true);
        }
        match self.claim(id).await? {
            Some(u) => {
                *until = u;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn deliver(&self, id: &WebhookId, mut until: NaiveDateTime) -> Result<Delivered, ApiError> {
        let (wid, owner) = (id.clone(), self.owner.clone());
        let target = self.state.db(move |conn, cipher| Ok(webhook::target(conn, cipher, &wid, &owner)?)).await?;
        let Some(target) = target else { return Ok(Delivered::default()) };
        let mut done = self.resend(&target, &mut until).await?;
        if target.next_try_at.is_some_and(|t| t > models::now()) {
            return Ok(done);
        }
        let (mut through, mut tries) = (target.delivered_through, target.tries);
        loop {
            let (scope, owner) = (target.scope.clone(), self.owner.clone());
            let wid = id.clone();
            let events = self
                .state
                .db(move |conn, cipher| {
                    let top = outbox::high_water(conn)?;
                    let events = outbox::read(conn, cipher, &scope, through, top, BATCH)?;
                    // Nothing of the subtree up to the top: past it all at once.
                    if events.is_empty() && through < top && !webhook::advance(conn, &wid, &owner, top, false, until)? {
                        return Ok(None);
                    }
                    Ok(Some(events))
                })
                .await?;
            let Some(events) = events.filter(|e| !e.is_empty()) else { return Ok(done) };
            for event in events {
                if !self.keep(id, &mut until).await? {
                    return Ok(done);
                }
                let outcome = self.post(&target, &event).await;
                let step = self.step(id, &event, tries, outcome, until).await?;
                match step {
                    Step::Delivered => done.delivered += 1,
                    Step::DeadLettered => done.dead_lettered += 1,
                    Step::Failed => {
                        done.failed += 1;
                        return Ok(done);
                    }
                    Step::LeaseLost => return Ok(done),
                }
                (through, tries) = (event.position, 0);
            }
        }
    }

    /// Records what became of the webhook's next event.
    async fn step(
        &self,
        id: &WebhookId,
        event: &Event,
        tries: i32,
        outcome: Result<(), String>,
        until: NaiveDateTime,
    ) -> Result<Step, ApiError> {
        let (wid, owner, position, seq) = (id.clone(), self.owner.clone(), event.position, event.seq);
        let why = match outcome {
            Ok(()) => {
                let held = self
                    .state
                    .db(move |conn, _| Ok(webhook::advance(conn, &wid, &owner, position, true, until)?))
                    .await?;
                return Ok(if held { Step::Delivered } else { Step::LeaseLost });
            }
            Err(why) => why,
        };
        let tries = tries.saturating_add(1);
        let now = models::now();
        let too_old = now - event.created_at > chrono::Duration::seconds(self.settings().max_age_secs);
        tracing::warn!(webhook = %id, event = %event.id, position, tries, error = %why, "webhook delivery failed");
        if tries >= self.settings().max_tries || too_old {
            tracing::warn!(webhook = %id, event = %event.id, position, tries, "event dead-lettered");
            let held = self
                .state
                .db(move |conn, _| Ok(webhook::give_up(conn, &wid, &owner, (seq, position), tries, &why)?))
                .await?;
            return Ok(if held { Step::DeadLettered } else { Step::LeaseLost });
        }
        let next = now + self.backoff(tries);
        let held = self.state.db(move |conn, _| Ok(webhook::failed(conn, &wid, &owner, tries, next, &why)?)).await?;
        Ok(if held { Step::Failed } else { Step::LeaseLost })
    }

    /// Sends again the dead letters queued by an admin.
    async fn resend(&self, target: &Target, until: &mut NaiveDateTime) -> Result<Delivered, ApiError> {
        let wid = target.id.clone();
        let due = self
            .state
            .db(move |conn, cipher| {
                dead_letter::due(conn, &wid, models::now(), RESENDS)?
                    .into_iter()
                    .map(|dl| Ok((outbox::get(conn, cipher, dl.event_seq)?, dl)))
                    .collect::<Result<Vec<_>, ApiError>>()
            })
            .await?;
        let mut done = Delivered::default();
        for (event, dl) in due {
            if !self.keep(&target.id, until).await? {
                break;
            }
            let outcome = self.post(target, &event).await;
            let id = dl.id.clone();
            match outcome {
                Ok(()) => {
                    self.state.db(move |conn, _| Ok(dead_letter::delivered(conn, &id)?)).await?;
                    tracing::info!(webhook = %target.id, event = %event.id, "dead letter delivered");
                    done.resent += 1;
                }
                Err(why) => {
                    let tries = dl.tries.saturating_add(1);
                    let next = (tries < self.settings().max_tries).then(|| models::now() + self.backoff(tries));
                    tracing::warn!(webhook = %target.id, event = %event.id, tries, error = %why, "dead letter failed again");
                    self.state.db(move |conn, _| Ok(dead_letter::failed(conn, &id, tries, next, &why)?)).await?;
                    done.failed += 1;
                }
            }
        }
        Ok(done)
    }

    /// The wait after the `tries`-th failed try: the first backoff, doubled each time, capped.
    fn backoff(&self, tries: i32) -> chrono::Duration {
        let d = self.settings();
        let doublings = u32::try_from(tries.saturating_sub(1)).unwrap_or(0).min(32);
        let ms = d.backoff_ms.saturating_mul(1u64 << doublings).min(d.backoff_max_ms);
        chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    /// Posts one event; `Err` says why it did not arrive (never with its content).
    async fn post(&self, target: &Target, event: &Event) -> Result<(), String> {
        let body = serde_json::to_vec(&IntegrationEvent::from(event.clone())).map_err(|e| e.to_string())?;
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let res = self
            .http
            .post(&target.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(signature::TIMESTAMP, &timestamp)
            .header(signature::SIGNATURE, signature::sign(&target.secret, &timestamp, &body))
            .header(signature::IDEMPOTENCY_KEY, event.id.as_str())
            .header(signature::EVENT_KIND, event.kind.as_str())
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "timed out".to_owned()
                } else if e.is_connect() {
                    // The innermost cause tells a refused connection from an untrusted
                    // certificate (then SANDA_DELIVERY_CA_FILE may be what is missing).
                    format!("could not connect: {}", innermost(&e))
                } else {
                    "request failed".to_owned()
                }
            })?;
        let status = res.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }
}

enum Step {
    Delivered,
    DeadLettered,
    Failed,
    LeaseLost,
}

/// The last error in `e`'s chain of sources.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The certificates in a PEM file (`SANDA_DELIVERY_CA_FILE`), trusted besides the public
/// roots; why not, if the file cannot be read or holds none.
pub fn trusted_roots(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{} is not a PEM certificate bundle: {e}", path.display()))?;
    if roots.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(roots)
}

/// Delivers every `every` until the process ends.
pub async fn run(state: AppState, every: Duration) {
    let worker = match Worker::new(state) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "the webhook delivery worker cannot start");
            return;
        }
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match worker.pass().await {
            Ok(d) if d.delivered + d.failed + d.dead_lettered + d.resent > 0 => tracing::info!(
                delivered = d.delivered,
                failed = d.failed,
                dead_lettered = d.dead_lettered,
                resent = d.resent,
                "delivery pass"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "delivery pass failed"),
        }
    }
}
