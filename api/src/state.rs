//! What every handler shares: the pool, the keys and the settings.

use std::sync::Arc;

use models::{Cipher, DbConn, DbPool};

use crate::auth::tokens::TokenKeys;
use crate::error::ApiError;
use crate::face_pool::FacePool;
use crate::settings::Settings;

/// Shared application state, held in `web::Data`.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub cipher: Cipher,
    pub tokens: TokenKeys,
    pub settings: Arc<Settings>,
    pub face: FacePool,
}

impl AppState {
    /// Runs blocking database work on the blocking pool with a pooled connection, never on
    /// the async workers. A pool that stays exhausted answers 503 with `Retry-After`.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Cipher) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let cipher = self.cipher.clone();
        // Keep the request's span (and so its request id) on the blocking thread.
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = models::db::get(&pool)?;
            f(&mut conn, &cipher)
        })
        .await?
    }
}
