//! Configuration, read once at start-up from environment variables. No global: tests
//! build [`Settings`] directly.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `SANDA_BIND` | `127.0.0.1:8080` | listen address |
//! | `SANDA_DATA_DIR` | `./data` | the SQLite file, generated keys, anything kept on disk |
//! | `DATABASE_URL` | `sqlite://<data dir>/sanda.db` | `postgres://…` selects PostgreSQL |
//! | `SANDA_DB_POOL_SIZE` | 8 (SQLite), 16 (PostgreSQL) | connections per server |
//! | `SANDA_DB_BURST_CONNECTIONS` | a quarter of the pool | connections that starting and handing in may hold at once |
//! | `SANDA_JWT_SECRET` | generated into `<data dir>/keys/jwt.key` | signs access tokens; the same on every server |
//! | `SANDA_DATA_KEY` | generated into `<data dir>/keys/data.key` | base64 of 32 bytes; encrypts personal data at rest |
//! | `SANDA_ACCESS_TOKEN_TTL_SECS` | 900 | lifetime of an access token |
//! | `SANDA_REFRESH_TOKEN_TTL_SECS` | 2592000 (30 days) | lifetime of a login session |
//! | `SANDA_ADMIN_USERNAME` | `admin` | the province admin created on first start |
//! | `SANDA_ADMIN_PASSWORD` | generated and printed once | its password |
//! | `SANDA_PROVINCE_NAME` | `山东省应急管理厅` | the root organization created on first start |
//! | `SANDA_TRUST_FORWARDED_FOR` | `false` | take the client address from `X-Forwarded-For` (only behind a trusted load balancer) |
//! | `SANDA_MAX_BODY_BYTES` | 65536 | largest JSON request body |
//! | `SANDA_WORKERS` | number of cores | HTTP worker threads |
//! | `SANDA_EVIDENCE_DIR` | `<data dir>/evidence` | training evidence files (photos, scans), sealed with the data key; with several servers, a directory they all share |
//! | `SANDA_FACE_MODELS` | `<data dir>/models` | the two face models (`scripts/fetch-face-models`) |
//! | `SANDA_FACE_THRESHOLD` | `0.42` | cosine similarity at or above which two faces match |
//! | `SANDA_FACE_THREADS` | number of cores | face analyses run at once |
//! | `SANDA_FACE_QUEUE` | 64 × threads | face requests that may wait (1–2 s of work per thread at 15–30 ms a check, so the threads never idle while turned-away clients wait out `Retry-After: 1`); beyond, 503 |
//! | `SANDA_FACE_VERIFICATION_TTL_SECS` | `300` | how long a successful verification's id stays usable |
//! | `SANDA_LIVENESS_STEPS` | `3` | head movements per liveness challenge (2 to 4) |
//! | `SANDA_LIVENESS_AT_ENROLLMENT` | `true` | enrolling a face needs a passed liveness challenge whose frames the photo matches |
//! | `SANDA_ANSWER_GRACE_SECS` | `10` | after an attempt's deadline, saves already on their way are still taken for this long |
//! | `SANDA_SWEEP_INTERVAL_SECS` | `15` | how often the sweeper finishes overdue attempts and records absentees; 0 disables it |
//! | `SANDA_DELIVERY_INTERVAL_MS` | `1000` | how often each server sequences new integration events and pushes them to the platform's webhooks; 0 disables it (pulls still work) |
//! | `SANDA_DELIVERY_TIMEOUT_MS` | `10000` | how long one webhook request may take (connecting: at most 5 s of it) |
//! | `SANDA_DELIVERY_BACKOFF_MS` | `5000` | the wait after a webhook's first failed try; it doubles with each further one |
//! | `SANDA_DELIVERY_BACKOFF_MAX_MS` | `3600000` (1 hour) | the longest wait between tries |
//! | `SANDA_DELIVERY_MAX_TRIES` | `30` | failed tries after which an event becomes a dead letter and delivery goes on |
//! | `SANDA_DELIVERY_MAX_AGE_SECS` | `864000` (10 days) | an event older than this becomes a dead letter at its first failed try |
//! | `SANDA_DELIVERY_LEASE_SECS` | `60` | how long a server holds a webhook's delivery without renewing it (at least twice the timeout) |
//! | `SANDA_DELIVERY_CA_FILE` | none | PEM certificates of CAs trusted for webhooks besides the public ones |
//! | `LOG_FORMAT` | `text` | `json` for one JSON object per line |
//! | `RUST_LOG` | `info` | log filter |

use std::path::PathBuf;

use secrecy::SecretString;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_SQLITE_POOL: u32 = 8;
pub const DEFAULT_POSTGRES_POOL: u32 = 16;
pub const DEFAULT_ACCESS_TTL_SECS: i64 = 900;
pub const DEFAULT_REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;
pub const DEFAULT_ADMIN_USERNAME: &str = "admin";
pub const DEFAULT_PROVINCE_NAME: &str = "山东省应急管理厅";
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// Midway between the highest impostor score (0.400) and the lowest genuine score (0.443)
/// over all 1,225 pairs of the shared labelled photos; see the README.
pub const DEFAULT_FACE_THRESHOLD: f32 = 0.42;
pub const DEFAULT_FACE_VERIFICATION_TTL_SECS: i64 = 300;
pub const DEFAULT_ANSWER_GRACE_SECS: i64 = 10;
pub const DEFAULT_SWEEP_INTERVAL_SECS: u64 = 15;
pub const DEFAULT_DELIVERY_INTERVAL_MS: u64 = 1000;
pub const DEFAULT_DELIVERY_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_DELIVERY_BACKOFF_MS: u64 = 5000;
pub const DEFAULT_DELIVERY_BACKOFF_MAX_MS: u64 = 3_600_000;
/// With the defaults above, about 24 hours of tries.
pub const DEFAULT_DELIVERY_MAX_TRIES: i32 = 30;
/// Scores must reach the platform within ten days of the exam.
pub const DEFAULT_DELIVERY_MAX_AGE_SECS: i64 = 10 * 24 * 3600;
pub const DEFAULT_DELIVERY_LEASE_SECS: i64 = 60;

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub db_pool_size: u32,
    /// How many of those connections starting and handing in may hold at once.
    pub db_burst_connections: u32,
    pub jwt_secret: Option<SecretString>,
    pub data_key: Option<SecretString>,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub admin_username: String,
    pub admin_password: Option<SecretString>,
    pub province_name: String,
    pub trust_forwarded_for: bool,
    pub max_body_bytes: usize,
    pub workers: usize,
    pub evidence_dir: PathBuf,
    pub face_models_dir: PathBuf,
    pub face_threshold: f32,
    pub face_threads: usize,
    pub face_queue: usize,
    pub face_verification_ttl_secs: i64,
    /// Seconds after an attempt's deadline during which saves already on their way count.
    pub answer_grace_secs: i64,
    /// How often the sweeper finishes overdue attempts and records absentees; 0 disables it.
    pub sweep_interval_secs: u64,
    /// Head movements per liveness challenge (2 to 4).
    pub liveness_steps: usize,
    /// Whether enrolling a face needs a passed liveness challenge, whose frames the enrolled
    /// photo must match (default true).
    pub liveness_at_enrollment: bool,
    /// How the integration events reach the platform's webhooks.
    pub delivery: DeliverySettings,
}

/// The webhook delivery worker's timing (see the table above).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySettings {
    /// 0 disables the worker.
    pub interval_ms: u64,
    pub timeout_ms: u64,
    pub backoff_ms: u64,
    pub backoff_max_ms: u64,
    pub max_tries: i32,
    pub max_age_secs: i64,
    pub lease_secs: i64,
    /// PEM certificates of the certificate authorities trusted besides the public ones, for
    /// a platform whose server certificate a government CA issued.
    pub ca_file: Option<PathBuf>,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            interval_ms: DEFAULT_DELIVERY_INTERVAL_MS,
            timeout_ms: DEFAULT_DELIVERY_TIMEOUT_MS,
            backoff_ms: DEFAULT_DELIVERY_BACKOFF_MS,
            backoff_max_ms: DEFAULT_DELIVERY_BACKOFF_MAX_MS,
            max_tries: DEFAULT_DELIVERY_MAX_TRIES,
            max_age_secs: DEFAULT_DELIVERY_MAX_AGE_SECS,
            lease_secs: DEFAULT_DELIVERY_LEASE_SECS,
            ca_file: None,
        }
    }
}

impl DeliverySettings {
    fn from_env() -> Result<Self, SettingsError> {
        let d = Self {
            interval_ms: parsed("SANDA_DELIVERY_INTERVAL_MS", DEFAULT_DELIVERY_INTERVAL_MS)?,
            timeout_ms: parsed("SANDA_DELIVERY_TIMEOUT_MS", DEFAULT_DELIVERY_TIMEOUT_MS)?,
            backoff_ms: parsed("SANDA_DELIVERY_BACKOFF_MS", DEFAULT_DELIVERY_BACKOFF_MS)?,
            backoff_max_ms: parsed("SANDA_DELIVERY_BACKOFF_MAX_MS", DEFAULT_DELIVERY_BACKOFF_MAX_MS)?,
            max_tries: parsed("SANDA_DELIVERY_MAX_TRIES", DEFAULT_DELIVERY_MAX_TRIES)?,
            max_age_secs: parsed("SANDA_DELIVERY_MAX_AGE_SECS", DEFAULT_DELIVERY_MAX_AGE_SECS)?,
            lease_secs: parsed("SANDA_DELIVERY_LEASE_SECS", DEFAULT_DELIVERY_LEASE_SECS)?,
            ca_file: var("SANDA_DELIVERY_CA_FILE").map(PathBuf::from),
        };
        d.check()?;
        Ok(d)
    }

    /// Refuses timings the worker cannot keep.
    pub fn check(&self) -> Result<(), SettingsError> {
        let bad = |name, problem: &str| Err(SettingsError { name, problem: problem.into() });
        if !(100..=300_000).contains(&self.timeout_ms) {
            return bad("SANDA_DELIVERY_TIMEOUT_MS", "must be between 100 and 300000");
        }
        if self.backoff_ms == 0 || self.backoff_max_ms < self.backoff_ms {
            return bad("SANDA_DELIVERY_BACKOFF_MAX_MS", "backoffs must be positive, the longest not below the first");
        }
        if !(1..=1000).contains(&self.max_tries) {
            return bad("SANDA_DELIVERY_MAX_TRIES", "must be between 1 and 1000");
        }
        if self.max_age_secs < 1 {
            return bad("SANDA_DELIVERY_MAX_AGE_SECS", "must be positive");
        }
        // A lease renewed before each request must outlast the request.
        if self.lease_secs.saturating_mul(1000) < 2 * i64::try_from(self.timeout_ms).unwrap_or(i64::MAX) {
            return bad("SANDA_DELIVERY_LEASE_SECS", "must be at least twice SANDA_DELIVERY_TIMEOUT_MS");
        }
        if let Some(path) = &self.ca_file {
            crate::delivery::trusted_roots(path)
                .map_err(|problem| SettingsError { name: "SANDA_DELIVERY_CA_FILE", problem })?;
        }
        Ok(())
    }
}

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {problem}")]
pub struct SettingsError {
    pub name: &'static str,
    pub problem: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| SettingsError { name, problem: format!("{e} (got {v:?})") }),
    }
}

/// A yes/no variable: true/false, yes/no or 1/0.
fn flag(name: &'static str, default: bool) -> Result<bool, SettingsError> {
    match var(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) => match v.as_str() {
            "0" | "false" | "no" => Ok(false),
            "1" | "true" | "yes" => Ok(true),
            other => Err(SettingsError { name, problem: format!("expected true or false, got {other:?}") }),
        },
    }
}

/// The pool's connections that the exam-day bursts (starting, handing in) may hold at
/// once by default: a quarter, at least one.
pub fn default_burst_connections(pool_size: u32) -> u32 {
    (pool_size / 4).max(1)
}

impl Settings {
    /// Reads the environment; every variable has a default.
    pub fn from_env() -> Result<Self, SettingsError> {
        let data_dir = PathBuf::from(var("SANDA_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into()));
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("sanda.db").display()));
        let default_pool = if models::DbUrl::parse(&database_url).backend() == models::Backend::Postgres {
            DEFAULT_POSTGRES_POOL
        } else {
            DEFAULT_SQLITE_POOL
        };
        let trust_forwarded_for = flag("SANDA_TRUST_FORWARDED_FOR", false)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let face_threads = parsed("SANDA_FACE_THREADS", cores)?.max(1);
        let mut settings = Self {
            bind: var("SANDA_BIND").unwrap_or_else(|| DEFAULT_BIND.into()),
            database_url,
            db_pool_size: parsed("SANDA_DB_POOL_SIZE", default_pool)?,
            db_burst_connections: 0,
            jwt_secret: var("SANDA_JWT_SECRET").map(SecretString::from),
            data_key: var("SANDA_DATA_KEY").map(SecretString::from),
            access_ttl_secs: parsed("SANDA_ACCESS_TOKEN_TTL_SECS", DEFAULT_ACCESS_TTL_SECS)?,
            refresh_ttl_secs: parsed("SANDA_REFRESH_TOKEN_TTL_SECS", DEFAULT_REFRESH_TTL_SECS)?,
            admin_username: var("SANDA_ADMIN_USERNAME").unwrap_or_else(|| DEFAULT_ADMIN_USERNAME.into()),
            admin_password: var("SANDA_ADMIN_PASSWORD").map(SecretString::from),
            province_name: var("SANDA_PROVINCE_NAME").unwrap_or_else(|| DEFAULT_PROVINCE_NAME.into()),
            trust_forwarded_for,
            max_body_bytes: parsed("SANDA_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?,
            workers: parsed("SANDA_WORKERS", cores)?,
            evidence_dir: var("SANDA_EVIDENCE_DIR").map(PathBuf::from).unwrap_or_else(|| data_dir.join("evidence")),
            face_models_dir: var("SANDA_FACE_MODELS").map(PathBuf::from).unwrap_or_else(|| data_dir.join("models")),
            face_threshold: parsed("SANDA_FACE_THRESHOLD", DEFAULT_FACE_THRESHOLD)?,
            face_threads,
            face_queue: parsed("SANDA_FACE_QUEUE", 64 * face_threads)?,
            face_verification_ttl_secs: parsed("SANDA_FACE_VERIFICATION_TTL_SECS", DEFAULT_FACE_VERIFICATION_TTL_SECS)?,
            answer_grace_secs: parsed("SANDA_ANSWER_GRACE_SECS", DEFAULT_ANSWER_GRACE_SECS)?,
            sweep_interval_secs: parsed("SANDA_SWEEP_INTERVAL_SECS", DEFAULT_SWEEP_INTERVAL_SECS)?,
            liveness_steps: parsed("SANDA_LIVENESS_STEPS", face::liveness::DEFAULT_STEPS)?,
            liveness_at_enrollment: flag("SANDA_LIVENESS_AT_ENROLLMENT", true)?,
            delivery: DeliverySettings::from_env()?,
            data_dir,
        };
        if !(settings.face_threshold > 0.0 && settings.face_threshold < 1.0) {
            return Err(SettingsError { name: "SANDA_FACE_THRESHOLD", problem: "must be between 0 and 1".into() });
        }
        if !(0..=300).contains(&settings.answer_grace_secs) {
            return Err(SettingsError { name: "SANDA_ANSWER_GRACE_SECS", problem: "must be between 0 and 300".into() });
        }
        if !(2..=face::liveness::MAX_STEPS).contains(&settings.liveness_steps) {
            return Err(SettingsError { name: "SANDA_LIVENESS_STEPS", problem: "must be between 2 and 4".into() });
        }
        if settings.db_pool_size == 0 {
            return Err(SettingsError { name: "SANDA_DB_POOL_SIZE", problem: "must be at least 1".into() });
        }
        settings.db_burst_connections =
            parsed("SANDA_DB_BURST_CONNECTIONS", default_burst_connections(settings.db_pool_size))?;
        if !(1..=settings.db_pool_size).contains(&settings.db_burst_connections) {
            return Err(SettingsError {
                name: "SANDA_DB_BURST_CONNECTIONS",
                problem: "must be between 1 and the pool's size".into(),
            });
        }
        if settings.access_ttl_secs < 30 || settings.refresh_ttl_secs < settings.access_ttl_secs {
            return Err(SettingsError {
                name: "SANDA_ACCESS_TOKEN_TTL_SECS",
                problem: "must be at least 30 and not longer than the refresh lifetime".into(),
            });
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_get_a_quarter_of_the_pool_by_default() {
        assert_eq!(default_burst_connections(DEFAULT_POSTGRES_POOL), 4);
        assert_eq!(default_burst_connections(DEFAULT_SQLITE_POOL), 2);
        assert_eq!(default_burst_connections(3), 1);
        assert_eq!(default_burst_connections(1), 1);
    }

    #[test]
    fn a_ca_file_without_a_certificate_stops_the_server_at_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("missing.pem");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate").expect("write");
        for path in [missing, garbage] {
            let d = DeliverySettings { ca_file: Some(path), ..DeliverySettings::default() };
            let refused = d.check().expect_err("refused");
            assert_eq!(refused.name, "SANDA_DELIVERY_CA_FILE");
        }
        assert!(DeliverySettings::default().check().is_ok());
    }
}
