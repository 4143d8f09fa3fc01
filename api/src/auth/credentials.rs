//! Checking a name and a secret: the one path for staff logins and integration clients.

use exam::{MobilePhone, ResidentId};
use models::account::{self, Account};
use models::{worker, Cipher, DbConn};

use crate::auth::{password, throttle};
use crate::error::{ApiError, Code};
use crate::state::AppState;

/// Which accounts may log in through a given door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// `login`: everyone but integration clients.
    Password,
    /// `issueClientToken`: integration clients only.
    ClientCredentials,
}

/// Checks `secret` for the account `name` (already in lower case), throttled per account
/// and per address. An unknown name costs the same time as a wrong secret and gives the
/// same answer; a disabled account is told so only after a right secret.
///
/// The Argon2 comparison runs between two short database calls, holding no connection: a
/// login storm at the start of an exam queues for the cores without starving the database
/// pool that answer saves need. The throttle is checked again after the comparison, so
/// guesses sent in a burst gain nothing once earlier ones have used up the allowance.
pub async fn check(state: &AppState, door: Door, name: &str, secret: &str, address: &str) -> Result<Account, ApiError> {
    let (name, address) = (name.to_owned(), address.to_owned());
    let (limits, found) = state
        .db(move |conn, cipher| {
            let limits = throttle::Keys::new(cipher, &name, &address);
            limits.check(conn)?;
            let found = find_account(conn, cipher, &name)?
                .filter(|a| (a.role == exam::Role::IntegrationClient) == (door == Door::ClientCredentials));
            Ok((limits, found))
        })
        .await?;
    let hash = found.as_ref().map_or_else(|| password::DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let secret = secret.to_owned();
    let verified = password::verify_queued(secret, hash).await?;
    state
        .db(move |conn, _| {
            limits.check(conn)?;
            let Some(acc) = found.filter(|_| verified) else {
                limits.fail(conn)?;
                return Err(ApiError::new(Code::InvalidCredentials));
            };
            limits.succeed(conn)?;
            if !acc.active {
                return Err(ApiError::new(Code::AccountDisabled));
            }
            Ok(acc)
        })
        .await
}

/// The account a login name names: a username, or for workers their resident ID number
/// or mobile number.
fn find_account(conn: &mut DbConn, cipher: &Cipher, name: &str) -> Result<Option<Account>, ApiError> {
    if let Some(acc) = account::find_by_username(conn, name)? {
        return Ok(Some(acc));
    }
    let record = if let Ok(id) = ResidentId::parse(name) {
        worker::find_by_resident_id(conn, cipher, &id)?
    } else if let Ok(phone) = MobilePhone::parse(name) {
        worker::find_by_phone(conn, cipher, &phone)?
    } else {
        None
    };
    match record.and_then(|w| w.account_id) {
        Some(id) => Ok(Some(account::get_unscoped(conn, &id)?)),
        None => Ok(None),
    }
}
