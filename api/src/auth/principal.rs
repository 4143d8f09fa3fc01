//! Who is calling: the one place where a bearer token becomes an account, a role and a
//! jurisdiction.
//!
//! Handlers take [`Principal`]: a live session of an active account that has set its own
//! password. [`AnyPrincipal`] also admits an account that must still change its initial
//! password, and is used only by the few operations such an account needs (who am I,
//! change password, log out). The jurisdiction comes from here and nowhere else.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use exam::access::Relation;
use exam::Role;
use models::organization::Organization;
use models::{account, AccountId, Jurisdiction, SessionId};

use crate::auth::tokens::Claims;
use crate::error::{ApiError, Code};
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct AnyPrincipal {
    pub account_id: AccountId,
    pub role: Role,
    pub session_id: Option<SessionId>,
    pub org: Organization,
    pub must_change_password: bool,
    scope: Jurisdiction,
}

impl AnyPrincipal {
    /// The subtree this caller may see.
    pub fn scope(&self) -> &Jurisdiction {
        &self.scope
    }

    /// Where an organization read through [`Self::scope`] stands relative to the caller.
    pub fn relation(&self, org: &Organization) -> Result<Relation, ApiError> {
        self.scope.relation(org).ok_or_else(ApiError::not_found)
    }

    /// Refuses with 403 unless the caller's role passes `allowed`.
    pub fn require(&self, allowed: impl FnOnce(Role) -> bool) -> Result<(), ApiError> {
        if allowed(self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// An authenticated caller that has already changed its initial password.
#[derive(Debug, Clone)]
pub struct Principal(pub AnyPrincipal);

impl std::ops::Deref for Principal {
    type Target = AnyPrincipal;
    fn deref(&self) -> &AnyPrincipal {
        &self.0
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| ApiError::new(Code::Unauthenticated))?;
    let value = value.to_str().map_err(|_| ApiError::new(Code::InvalidToken))?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| ApiError::new(Code::InvalidToken))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::new(Code::InvalidToken));
    }
    Ok(token.trim().to_owned())
}

fn app_state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::internal(std::io::Error::other("no app state")))
}

async fn authenticate(req: HttpRequest) -> Result<AnyPrincipal, ApiError> {
    let state = app_state(&req)?;
    let claims = state.tokens.decode(&bearer(&req)?)?;
    check(state, claims).await
}

/// The database's side of authentication: the account, its session and organization.
async fn check(state: &AppState, claims: Claims) -> Result<AnyPrincipal, ApiError> {
    let account_id = AccountId::parse(&claims.sub).ok_or_else(|| ApiError::new(Code::InvalidToken))?;
    let sid = match &claims.sid {
        Some(s) => Some(SessionId::parse(s).ok_or_else(|| ApiError::new(Code::InvalidToken))?),
        None => None,
    };
    state
        .db(move |conn, cipher| {
            // Account, organization and session in one query: every request pays for it.
            let (acc, org, live) =
                account::with_org_and_session(conn, cipher, &account_id, sid.as_ref()).map_err(|e| match e {
                    models::DbError::NotFound => ApiError::new(Code::InvalidToken),
                    other => other.into(),
                })?;
            if !acc.active || acc.token_epoch != claims.epoch || acc.role.as_str() != claims.role {
                return Err(ApiError::new(Code::TokenRevoked));
            }
            match (&sid, live) {
                (Some(_), Some(s)) if s.is_live(models::now()) => {}
                (Some(_), _) => return Err(ApiError::new(Code::TokenRevoked)),
                // Only integration clients hold tokens without a session.
                (None, _) if acc.role != Role::IntegrationClient => return Err(ApiError::new(Code::InvalidToken)),
                (None, _) => {}
            }
            Ok(AnyPrincipal {
                account_id: acc.id,
                role: acc.role,
                session_id: sid,
                scope: Jurisdiction::of(&org),
                org,
                must_change_password: acc.must_change_password,
            })
        })
        .await
}

fn settled(p: AnyPrincipal) -> Result<Principal, ApiError> {
    if p.must_change_password {
        return Err(ApiError::new(Code::PasswordChangeRequired));
    }
    Ok(Principal(p))
}

/// A bearer token whose signature and expiry are good, not yet checked against the
/// database. Only for an operation that checks the account and session in the same
/// statement as its own work (answer saves, the hottest path on exam day) and otherwise
/// takes [`Claimed::principal`], the full check that every other operation makes.
#[derive(Debug)]
pub struct Claimed {
    claims: Claims,
    account: Option<AccountId>,
    session: Option<SessionId>,
}

impl Claimed {
    /// A worker's account and login session as the token states them; `None` for any
    /// other token.
    pub fn worker(&self) -> Option<models::attempt::Claimant<'_>> {
        match (&self.account, &self.session) {
            (Some(account), Some(session)) if self.claims.role == Role::Worker.as_str() => {
                Some(models::attempt::Claimant { account, session, epoch: self.claims.epoch })
            }
            _ => None,
        }
    }

    /// The account id the token names, for logs.
    pub fn subject(&self) -> &str {
        &self.claims.sub
    }

    /// The full check, as [`Principal`] makes it.
    pub async fn principal(self, state: &AppState) -> Result<Principal, ApiError> {
        settled(check(state, self.claims).await?)
    }
}

impl FromRequest for Claimed {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(app_state(req).and_then(|state| {
            let claims = state.tokens.decode(&bearer(req)?)?;
            let account = AccountId::parse(&claims.sub);
            let session = claims.sid.as_deref().and_then(SessionId::parse);
            Ok(Claimed { claims, account, session })
        }))
    }
}

impl FromRequest for AnyPrincipal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { settled(authenticate(req).await?) })
    }
}
