//! Throttling of failed logins, per account and per client address, shared by every
//! server through the database.

use actix_web::HttpRequest;
use chrono::Duration;
use models::throttle::{self, Policy};
use models::{Cipher, DbConn};

use crate::error::{ApiError, Code};

/// Five wrong passwords for one account within 15 minutes lock it for 15 minutes.
pub const PER_ACCOUNT: Policy =
    Policy { max_failures: 5, window: Duration::minutes(15), block_for: Duration::minutes(15) };
/// One address may fail 30 times in 15 minutes (an exam site behind one NAT address
/// has many honest typos) before it is blocked for 15 minutes.
pub const PER_ADDRESS: Policy =
    Policy { max_failures: 30, window: Duration::minutes(15), block_for: Duration::minutes(15) };

/// The keys one login attempt is counted under.
#[derive(Debug, Clone)]
pub struct Keys {
    account: String,
    address: String,
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop when configured
/// to trust the load balancer.
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        if let Some(ip) = req.connection_info().realip_remote_addr() {
            return ip.to_owned();
        }
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

impl Keys {
    /// Keys for a login by `username` from `address`. Both are stored as keyed hashes:
    /// the throttle table holds no usernames or addresses.
    pub fn new(cipher: &Cipher, username: &str, address: &str) -> Self {
        Self {
            account: format!("acct:{}", cipher.blind_index("throttle.account", username)),
            address: format!("addr:{}", cipher.blind_index("throttle.address", address)),
        }
    }

    /// Refuses with 429 while either key is blocked.
    pub fn check(&self, conn: &mut DbConn) -> Result<(), ApiError> {
        let now = models::now();
        let until = [&self.account, &self.address]
            .into_iter()
            .map(|k| throttle::blocked_until(conn, k, now))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .max();
        match until {
            Some(until) => Err(blocked(until, now)),
            None => Ok(()),
        }
    }

    /// Counts a failure under both keys.
    pub fn fail(&self, conn: &mut DbConn) -> Result<(), ApiError> {
        throttle::record_failure(conn, &self.account, PER_ACCOUNT)?;
        throttle::record_failure(conn, &self.address, PER_ADDRESS)?;
        Ok(())
    }

    /// A success forgets the account's failures (not the address's).
    pub fn succeed(&self, conn: &mut DbConn) -> Result<(), ApiError> {
        throttle::clear(conn, &self.account)?;
        Ok(())
    }
}

/// The throttle key of an address for one kind of attempt (kept as a keyed hash).
pub fn address_key(cipher: &Cipher, kind: &str, address: &str) -> String {
    format!("{kind}:{}", cipher.blind_index("throttle.address", address))
}

/// Refuses with 429 while `key` is blocked.
pub fn check_key(conn: &mut DbConn, key: &str) -> Result<(), ApiError> {
    let now = models::now();
    match throttle::blocked_until(conn, key, now)? {
        Some(until) => Err(blocked(until, now)),
        None => Ok(()),
    }
}

/// 429 with the seconds left until `until` in `Retry-After`.
fn blocked(until: chrono::NaiveDateTime, now: chrono::NaiveDateTime) -> ApiError {
    ApiError::new(Code::TooManyAttempts).retry_after(u64::try_from((until - now).num_seconds()).unwrap_or(1))
}
