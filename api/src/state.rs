//! What every handler shares: the pool, the keys and the settings.

use std::sync::Arc;
use std::time::Duration;

use models::{Cipher, DbConn, DbPool};
use tokio::sync::Semaphore;

use crate::auth::tokens::TokenKeys;
use crate::error::{ApiError, Code};
use crate::face_pool::FacePool;
use crate::papers::Shapes;
use crate::settings::Settings;

/// Shared application state, held in `web::Data`.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: DbPool,
    /// One permit per pooled connection: requests queue here, as cheap futures, instead
    /// of as blocking threads contending for the pool.
    pub db_gate: Arc<Semaphore>,
    pub cipher: Cipher,
    pub tokens: TokenKeys,
    pub settings: Arc<Settings>,
    pub face: FacePool,
    /// Drawn papers' shapes, for checking answers without a query.
    pub papers: Arc<Shapes>,
}

/// How many papers' shapes a server keeps (about 1 KB each).
const PAPER_SHAPES: usize = 100_000;

/// How long a request waits for a database connection before it is answered 503.
pub const DB_WAIT: Duration = Duration::from_secs(5);

impl AppState {
    pub fn new(pool: DbPool, cipher: Cipher, tokens: TokenKeys, settings: Arc<Settings>, face: FacePool) -> Self {
        let db_gate = Arc::new(Semaphore::new(pool.max_size() as usize));
        Self { pool, db_gate, cipher, tokens, settings, face, papers: Arc::new(Shapes::new(PAPER_SHAPES)) }
    }

    /// Runs blocking database work on the blocking pool with a pooled connection, never on
    /// the async workers. A request waits its turn for a connection here, asynchronously;
    /// one that waits longer than `DB_WAIT` is answered 503 with `Retry-After`.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Cipher) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = match tokio::time::timeout(DB_WAIT, self.db_gate.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            // Waited too long, or the gate was closed (only at shutdown).
            Ok(Err(_)) | Err(_) => return Err(ApiError::new(Code::ServiceUnavailable).retry_after(2)),
        };
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
