//! Access tokens (short-lived JWTs, HS256) and refresh tokens (random, stored hashed).

use base64::Engine as _;
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, Code};

/// What an access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The account id.
    pub sub: String,
    /// The login session, absent for integration clients (they have no refresh tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub role: String,
    /// The account's token epoch when issued: raised by password changes and deactivation.
    pub epoch: i32,
    pub iat: i64,
    pub exp: i64,
}

/// The signing keys and lifetimes.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("access_ttl_secs", &self.access_ttl_secs).finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8; 32], access_ttl_secs: i64, refresh_ttl_secs: i64) -> Self {
        // Only HS256 is accepted: a token claiming any other algorithm (alg=none included) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs,
            refresh_ttl_secs,
        }
    }

    /// Signs an access token; returns it with its lifetime in seconds.
    pub fn issue(&self, sub: &str, sid: Option<&str>, role: exam::Role, epoch: i32) -> Result<(String, i64), ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            sid: sid.map(str::to_owned),
            role: role.as_str().to_owned(),
            epoch,
            iat: now,
            exp: now + self.access_ttl_secs,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)?;
        Ok((token, self.access_ttl_secs))
    }

    /// Checks signature, algorithm and expiry.
    pub fn decode(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::new(Code::TokenExpired),
                _ => ApiError::new(Code::InvalidToken),
            }
        })
    }
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An integration client's secret: 256 random bits, URL-safe, stored like a password.
pub fn new_client_secret() -> String {
    new_refresh_token()
}

/// How a refresh token is stored: its SHA-256 (the token has enough entropy not to need a slow hash).
pub fn hash_refresh_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let keys = TokenKeys::new(&[1u8; 32], 60, 3600);
        let (t, ttl) = keys.issue("acc", Some("sid"), exam::Role::CountyAdmin, 3).unwrap();
        assert_eq!(ttl, 60);
        let c = keys.decode(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_deref(), c.epoch), ("acc", Some("sid"), 3));
        let other = TokenKeys::new(&[2u8; 32], 60, 3600);
        assert_eq!(other.decode(&t).unwrap_err().code, Code::InvalidToken);
        assert_eq!(keys.decode("garbage").unwrap_err().code, Code::InvalidToken);
        // alg=none: header {"alg":"none","typ":"JWT"}, same claims, no signature.
        let parts: Vec<&str> = t.split('.').collect();
        let none = format!(
            "{}.{}.",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert_eq!(keys.decode(&none).unwrap_err().code, Code::InvalidToken);
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_ne!(hash_refresh_token(&a), a);
    }
}
