//! Face analyses run on a fixed set of threads of their own, never on the async workers or
//! the shared blocking pool. At most `threads` run at once and `queue` more wait; a request
//! beyond that is answered 503 with `Retry-After` at once, instead of piling up latency on
//! exam day. Own threads also bound memory: tract keeps scratch buffers per thread, and
//! analyses spread over the shared blocking pool's hundreds of threads under load held
//! over a gigabyte.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};

use face::FaceEngine;
use tokio::sync::Semaphore;

use crate::error::{ApiError, Code};

type Job = Box<dyn FnOnce(&FaceEngine) + Send>;

/// The engine's threads and their admission control. Cheap to clone; the threads end when
/// the last clone is dropped.
#[derive(Debug, Clone)]
pub struct FacePool {
    admitted: Arc<Semaphore>,
    jobs: SyncSender<Job>,
}

fn work(engine: &FaceEngine, jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            // A panic fails that one request (its reply is dropped), not the thread.
            Ok(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(engine)));
            }
            Err(_) => return,
        }
    }
}

impl FacePool {
    pub fn new(engine: Arc<FaceEngine>, threads: usize, queue: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, receiver) = sync_channel::<Job>(threads + queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads {
            let (engine, receiver) = (engine.clone(), receiver.clone());
            let spawned = std::thread::Builder::new().name(format!("face-{n}")).spawn(move || work(&engine, &receiver));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a face thread");
            }
        }
        Self { admitted: Arc::new(Semaphore::new(threads + queue)), jobs }
    }

    /// Runs `f` on the engine, or refuses at once when the queue is full.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&FaceEngine) -> T + Send + 'static,
        T: Send + 'static,
    {
        let busy = || {
            // One second: the queue holds about that much work, so the threads are still
            // busy when the turned-away clients come back.
            ApiError::new(Code::ServiceUnavailable)
                .retry_after(1)
                .text("人脸核验排队人数较多，请稍后重试", "face checks are queued up; retry in a moment")
        };
        let admitted = self.admitted.clone().try_acquire_owned().map_err(|_| busy())?;
        let (done, result) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |engine| {
            let _entered = span.enter();
            let _admitted = admitted;
            let _ = done.send(f(engine));
        });
        // Admission keeps the channel from filling; a full or closed one is busy all the same.
        self.jobs.try_send(job).map_err(|_| busy())?;
        result.await.map_err(|_| ApiError::internal(std::io::Error::other("a face thread stopped")))
    }
}
