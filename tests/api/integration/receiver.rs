//! A webhook receiver as the platform would run one: a real HTTP server on 127.0.0.1 that
//! checks the signature of every request with its own HMAC (as the README tells a
//! receiver to), and records what arrived. It can be told to fail: the first requests,
//! a given event until told otherwise, after storing an event (so that it comes again),
//! or slowly.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// What the receiver does and has seen.
#[derive(Debug, Default, Clone)]
pub struct Inbox {
    /// The webhook's signing secret; until it is known every request is answered 503.
    pub secret: Option<String>,
    /// Signed requests still to refuse with 500, whatever they carry.
    pub fail_next: usize,
    /// Event ids refused with 500 whenever they come.
    pub refuse: HashSet<String>,
    /// Requests still to answer 500 *after* storing their event (the answer is lost, the
    /// event comes again: a duplicate).
    pub store_then_fail: usize,
    /// How long each request takes to answer.
    pub delay: Duration,
    /// Every request whose signature held, in arrival order (answered 2xx or not).
    pub signed: Vec<Value>,
    /// Events stored, in arrival order, duplicates included.
    pub stored: Vec<Value>,
    /// Requests whose signature, timestamp or headers did not hold.
    pub bad: usize,
}

impl Inbox {
    /// The stored events, each once (the first arrival), as a receiver keyed by event id
    /// keeps them.
    pub fn unique(&self) -> Vec<Value> {
        let mut seen = HashSet::new();
        self.stored.iter().filter(|e| seen.insert(e["id"].as_str().unwrap().to_owned())).cloned().collect()
    }
}

pub type Shared = Arc<Mutex<Inbox>>;

/// The checks a receiver makes, with nothing of the server's code.
fn verified(secret: &str, req: &HttpRequest, body: &[u8]) -> Option<Value> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let timestamp = header("x-sanda-timestamp")?;
    let signature = header("x-sanda-signature")?.strip_prefix("sha256=")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    if expected != signature {
        return None;
    }
    // A replayed old request is refused: the timestamp must be recent.
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().ok()?;
    if age.abs() > 300 {
        return None;
    }
    let event: Value = serde_json::from_slice(body).ok()?;
    (header("idempotency-key")? == event["id"].as_str()? && header("x-sanda-event")? == event["kind"].as_str()?)
        .then_some(event)
}

async fn receive(req: HttpRequest, body: web::Bytes, inbox: web::Data<Shared>) -> HttpResponse {
    let delay = inbox.lock().unwrap().delay;
    if !delay.is_zero() {
        actix_web::rt::time::sleep(delay).await;
    }
    let mut inbox = inbox.lock().unwrap();
    let Some(secret) = inbox.secret.clone() else { return HttpResponse::ServiceUnavailable().finish() };
    let Some(event) = verified(&secret, &req, &body) else {
        inbox.bad += 1;
        return HttpResponse::Unauthorized().finish();
    };
    inbox.signed.push(event.clone());
    if inbox.fail_next > 0 {
        inbox.fail_next -= 1;
        return HttpResponse::InternalServerError().finish();
    }
    if inbox.refuse.contains(event["id"].as_str().unwrap_or_default()) {
        return HttpResponse::InternalServerError().finish();
    }
    inbox.stored.push(event);
    if inbox.store_then_fail > 0 {
        inbox.store_then_fail -= 1;
        return HttpResponse::BadGateway().finish();
    }
    HttpResponse::NoContent().finish()
}

/// Starts a receiver on a free port; its URL and its inbox.
pub fn start(inbox: Inbox) -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(inbox));
    let data = web::Data::new(shared.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || App::new().app_data(data.clone()).route("/hook", web::post().to(receive)))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), shared)
}
