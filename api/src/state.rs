//! What every handler shares: the pool, the keys and the settings.

use std::sync::Arc;
use std::time::Duration;

use models::{Cipher, DbConn, DbPool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::tokens::TokenKeys;
use crate::error::{ApiError, Code};
use crate::evidence_store::{EvidenceStore, LocalDisk};
use crate::face_pool::FacePool;
use crate::papers::Shapes;
use crate::settings::Settings;

/// Shared application state, held in `web::Data`.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: DbPool,
    /// One permit per pooled connection: requests queue here, as cheap futures, instead
    /// of as blocking threads contending for the pool.
    pub db_gate: Gate,
    /// A share of those permits for the work that comes in bursts (see [`AppState::db_burst`]).
    pub burst_gate: Gate,
    pub cipher: Cipher,
    pub tokens: TokenKeys,
    pub settings: Arc<Settings>,
    pub face: FacePool,
    /// Drawn papers' shapes, for checking answers without a query.
    pub papers: Arc<Shapes>,
    /// Training evidence files, sealed.
    pub evidence: Arc<dyn EvidenceStore>,
}

/// How many papers' shapes a server keeps (about 1 KB each).
const PAPER_SHAPES: usize = 100_000;

/// How long a request waits for a database connection before it is answered 503.
pub const DB_WAIT: Duration = Duration::from_secs(5);

/// How long a request of a burst waits for its turn before it is answered 503: a burst
/// of thousands is expected to queue for a few seconds.
pub const BURST_WAIT: Duration = Duration::from_secs(10);

impl AppState {
    pub fn new(pool: DbPool, cipher: Cipher, tokens: TokenKeys, settings: Arc<Settings>, face: FacePool) -> Self {
        let db_gate = Gate::new(pool.max_size() as usize, DB_WAIT);
        let burst_gate = Gate::new(settings.db_burst_connections as usize, BURST_WAIT);
        let evidence = Arc::new(LocalDisk::new(settings.evidence_dir.clone()));
        let papers = Arc::new(Shapes::new(PAPER_SHAPES));
        Self { pool, db_gate, burst_gate, cipher, tokens, settings, face, papers, evidence }
    }

    /// [`AppState::db`] for work that arrives in bursts on exam day, thousands in the same
    /// seconds: starting an exam (a paper drawn and written) and handing it in (graded, its
    /// result written to the outbox). At most `db_burst_connections` of them (a quarter of
    /// the pool by default) run at once, so the answer saves of everyone still writing keep
    /// the rest of the pool, and the burst queues here instead of in front of them.
    pub async fn db_burst<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Cipher) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = self.burst_gate.enter().await?;
        self.db(f).await
    }

    /// Runs blocking database work on the blocking pool with a pooled connection, never on
    /// the async workers. A request waits its turn for a connection here, asynchronously;
    /// one that waits longer than `DB_WAIT` is answered 503 with `Retry-After`.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Cipher) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.db_gate.enter().await?;
        let pool = self.pool.clone();
        let cipher = self.cipher.clone();
        // Keep the request's span (and so its request id) on the blocking thread.
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let _permit = permit;
            let mut conn = models::db::get(&pool)?;
            let result = f(&mut conn, &cipher);
            if result.as_ref().is_err_and(ApiError::is_server_fault) {
                conn.suspect();
            }
            result
        })
        .await?
    }
}

/// A number of permits that requests wait for, asynchronously and in turn, for a bounded
/// time.
#[derive(Debug, Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl Gate {
    pub fn new(permits: usize, wait: Duration) -> Self {
        Self { permits: Arc::new(Semaphore::new(permits)), wait }
    }

    /// A permit, held until dropped; 503 with `Retry-After` after waiting `wait`.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // Waited too long, or the gate was closed (only at shutdown).
            Ok(Err(_)) | Err(_) => Err(ApiError::new(Code::ServiceUnavailable).retry_after(2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_turns_requests_away_after_the_wait_and_lets_them_in_once_freed() {
        let gate = Gate::new(2, Duration::from_millis(50));
        let first = gate.enter().await.expect("a free permit");
        let _second = gate.enter().await.expect("a free permit");
        let refused = gate.enter().await.expect_err("no permit left");
        assert_eq!(refused.code, Code::ServiceUnavailable);
        assert_eq!(refused.retry_after, Some(2));
        // One waiting when a permit is freed gets it.
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter().await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(first);
        waiting.await.expect("task").expect("the freed permit");
    }
}
