//! Face analyses run on a bounded pool of blocking threads, never on the async workers.
//! At most `threads` run at once and `queue` more wait; a request beyond that is answered
//! 503 with `Retry-After` at once, instead of piling up latency on exam day.

use std::sync::Arc;

use face::FaceEngine;
use tokio::sync::Semaphore;

use crate::error::{ApiError, Code};

/// The engine and its admission control. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FacePool {
    engine: Arc<FaceEngine>,
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
}

impl FacePool {
    pub fn new(engine: Arc<FaceEngine>, threads: usize, queue: usize) -> Self {
        let threads = threads.max(1);
        Self { engine, admitted: Arc::new(Semaphore::new(threads + queue)), running: Arc::new(Semaphore::new(threads)) }
    }

    /// Runs `f` on the engine, or refuses at once when the queue is full.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&FaceEngine) -> T + Send + 'static,
        T: Send + 'static,
    {
        let busy = || {
            ApiError::new(Code::ServiceUnavailable)
                .retry_after(2)
                .text("人脸核验排队人数较多，请稍后重试", "face checks are queued up; retry in a moment")
        };
        let admitted = self.admitted.clone().try_acquire_owned().map_err(|_| busy())?;
        let running = self.running.clone().acquire_owned().await.map_err(|_| busy())?;
        let engine = self.engine.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _permits = (admitted, running);
            f(&engine)
        })
        .await
        .map_err(ApiError::internal)
    }
}
