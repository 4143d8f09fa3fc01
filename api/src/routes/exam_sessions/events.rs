//! Server-sent events for the proctor app: a snapshot of the session's candidates, then
//! each candidate's new state as it changes.
//!
//! The server keeps no state of its own: every stream reads the list from the database
//! about once a second and sends what changed since its last read, so changes made
//! through any server behind the load balancer arrive. A stream ends after
//! [`STREAM_FOR`]; the app reconnects and gets a fresh snapshot (events carry no replay
//! id: the snapshot is the resync).

use std::collections::HashMap;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use futures_util::stream;
use models::proctoring::ExamSession;

use super::{roster, watched_session, SessionCandidateResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// How long one stream lasts before the app reconnects (access tokens last longer).
pub const STREAM_FOR: Duration = Duration::from_secs(600);
/// How often a stream looks for changes.
pub const POLL_EVERY: Duration = Duration::from_millis(1000);
/// A comment line this often keeps proxies from closing an idle stream.
const KEEPALIVE_EVERY: u32 = 15;

fn event(name: &str, data: &impl serde::Serialize) -> web::Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".to_owned());
    web::Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

struct Watch {
    state: web::Data<AppState>,
    session: ExamSession,
    seen: HashMap<String, SessionCandidateResponse>,
    ticks: u32,
    until: tokio::time::Instant,
    first: Option<web::Bytes>,
}

impl Watch {
    /// The next chunk: changed candidates (empty when nothing changed), or `None` once the
    /// stream's time is up or the database cannot be read (the app reconnects).
    async fn next(mut self) -> Option<(Result<web::Bytes, ApiError>, Self)> {
        if let Some(first) = self.first.take() {
            return Some((Ok(first), self));
        }
        loop {
            if tokio::time::Instant::now() >= self.until {
                return None;
            }
            tokio::time::sleep(POLL_EVERY).await;
            self.ticks += 1;
            let session = self.session.clone();
            let now = self.state.db(move |conn, _| roster(conn, &session)).await.ok()?;
            let mut out = Vec::new();
            let gone: Vec<String> =
                self.seen.keys().filter(|id| !now.iter().any(|c| &c.worker_id == *id)).cloned().collect();
            for worker_id in gone {
                self.seen.remove(&worker_id);
                out.extend_from_slice(&event("removed", &serde_json::json!({ "worker_id": worker_id })));
            }
            for c in now {
                if self.seen.get(&c.worker_id) != Some(&c) {
                    out.extend_from_slice(&event("candidate", &c));
                    self.seen.insert(c.worker_id.clone(), c);
                }
            }
            if out.is_empty() && self.ticks % KEEPALIVE_EVERY == 0 {
                out.extend_from_slice(b": keepalive\n\n");
            }
            if !out.is_empty() {
                return Some((Ok(web::Bytes::from(out)), self));
            }
        }
    }
}

/// The session's candidates as server-sent events (`text/event-stream`): first a
/// `snapshot` event with the whole list (as `listSessionCandidates`), then a `candidate`
/// event with a candidate's whole entry each time it changes (arrival, start, flag,
/// submission, cheating, extra time, a move in), and `removed` (data: `{"worker_id"}`)
/// when one is moved to another session, within about a second.
#[utoipa::path(get, path = "/api/v1/exam-sessions/{id}/events", operation_id = "streamSessionEvents", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "`event: snapshot` (data: the candidate list), then `event: candidate` (data: one candidate) or `event: removed` per change", content_type = "text/event-stream", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn stream_session_events(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (session, items) = state
        .db(move |conn, _| {
            let (session, _, _) = watched_session(conn, &me, &id)?;
            let items = roster(conn, &session)?;
            Ok((session, items))
        })
        .await?;
    let first = event("snapshot", &items);
    let watch = Watch {
        state,
        session,
        seen: items.into_iter().map(|c| (c.worker_id.clone(), c)).collect(),
        ticks: 0,
        until: tokio::time::Instant::now() + STREAM_FOR,
        first: Some(first),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream::unfold(watch, Watch::next)))
}
