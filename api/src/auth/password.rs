//! Password hashing with Argon2id, and generated passwords.

use std::sync::{Condvar, LazyLock, Mutex};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::error::{ApiError, Code};

/// Argon2 computations running at once, at most one per core: each holds 19 MiB and a core
/// for tens of milliseconds, and a login storm at the start of an exam must queue rather
/// than multiply both (hundreds at once took 2 GB).
struct Gate {
    running: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

static GATE: LazyLock<Gate> = LazyLock::new(|| Gate {
    running: Mutex::new(0),
    freed: Condvar::new(),
    max: std::thread::available_parallelism().map_or(2, |n| n.get()),
});

struct Permit;

impl Permit {
    fn take() -> Self {
        let mut running = GATE.running.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= GATE.max {
            running = GATE.freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Permit
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut running = GATE.running.lock().unwrap_or_else(|e| e.into_inner());
        *running -= 1;
        GATE.freed.notify_one();
    }
}

/// Hashes a password (Argon2id, the crate's default cost). Slow by design: call it on
/// the blocking pool.
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    let _permit = Permit::take();
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(std::io::Error::other(e.to_string())))
}

/// Whether `password` matches `hash`. A malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    let _permit = Permit::take();
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Logins and registrations queue for the gate here, as futures rather than as blocking
/// threads parked on it (a storm of thousands would otherwise fill the blocking pool that
/// database work runs on). One that cannot start within `QUEUE_WAIT` is answered 503 with
/// `Retry-After`.
static QUEUE: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| tokio::sync::Semaphore::new(GATE.max));

/// The longest a request waits for a core to check or hash its password.
pub const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs password work (`hash`, `verify`) for a request handler, in its turn.
pub async fn queued<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let busy = || ApiError::new(Code::ServiceUnavailable).retry_after(2);
    let _turn = tokio::time::timeout(QUEUE_WAIT, QUEUE.acquire()).await.map_err(|_| busy())?.map_err(|_| busy())?;
    Ok(actix_web::web::block(work).await?)
}

/// `verify` for request handlers: waits its turn without holding a thread.
pub async fn verify_queued(password: String, hash: String) -> Result<bool, ApiError> {
    queued(move || verify(&password, &hash)).await
}

/// A hash to verify against when the account does not exist, so that an unknown username
/// takes as long as a wrong password.
pub static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash("sanda-no-such-account-1").unwrap_or_default());

/// Letters and digits without look-alikes (0/O, 1/I/l).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A random password of `len` characters (at least 8) with letters and digits, easy to copy by hand.
pub fn generate(len: usize) -> String {
    let len = len.max(8);
    let mut rng = rand::rngs::OsRng;
    let mut chars: Vec<u8> = (0..len - 2).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())]).collect();
    chars.push(b"abcdefghjkmnpqrstuvwxyz"[rng.gen_range(0..23)]);
    chars.push(b"23456789"[rng.gen_range(0..8)]);
    chars.shuffle(&mut rng);
    String::from_utf8(chars).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("anquan2026").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("anquan2026", &h));
        assert!(!verify("anquan2027", &h));
        assert!(!verify("anquan2026", "not a hash"));
    }

    #[test]
    fn generated_passwords_meet_the_policy() {
        for _ in 0..200 {
            let p = generate(12);
            assert_eq!(p.len(), 12);
            assert!(exam::NewPassword::parse(&p).is_ok(), "{p}");
        }
    }
}
