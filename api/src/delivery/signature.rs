//! How a webhook request is signed: HMAC-SHA256, keyed with the webhook's secret (its
//! UTF-8 bytes, as shown when the webhook was created), over the timestamp header's value,
//! a dot, and the raw body; hex in `X-Sanda-Signature` as `sha256=<64 hex digits>`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Seconds since the Unix epoch when the request was signed.
pub const TIMESTAMP: &str = "x-sanda-timestamp";
/// `sha256=` and the hex HMAC of `timestamp + "." + body`.
pub const SIGNATURE: &str = "x-sanda-signature";
/// The event's id (also in the body): the same on every delivery of the event.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The event's kind, e.g. `attempt.graded`.
pub const EVENT_KIND: &str = "x-sanda-event";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Sanda-Signature` value for a request.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("sha256={}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Whether `header` is the signature of this request (compared in constant time): what a
/// receiver checks, before it also checks that the timestamp is recent.
pub fn verify(secret: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else { return false };
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let bytes: Vec<u8> = (0..32).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect();
    mac(secret, timestamp, body).verify_slice(&bytes).is_ok()
}

/// A new signing secret: `whsec_` and 32 random bytes, base64url.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_holds() {
        // The README's worked example (also computed there with Python's hmac module).
        let body = br#"{"id":"0192d3c4-0000-7000-8000-000000000001","kind":"attempt.graded"}"#;
        let sig = sign("whsec_example", "1764547200", body);
        assert_eq!(sig, "sha256=77fb394ccc645c5adef76421f1c533ebd435ae49f150a2cc42c1fa3a05db5f05");
        assert!(verify("whsec_example", "1764547200", body, &sig));
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let body = br#"{"position":1}"#;
        let sig = sign("whsec_a", "100", body);
        assert!(verify("whsec_a", "100", body, &sig));
        assert!(!verify("whsec_b", "100", body, &sig));
        assert!(!verify("whsec_a", "101", body, &sig));
        assert!(!verify("whsec_a", "100", br#"{"position":2}"#, &sig));
        assert!(!verify("whsec_a", "100", body, &sig.replace("sha256=", "sha1=")));
        assert!(!verify("whsec_a", "100", body, "sha256=zz"));
        assert!(new_secret().starts_with("whsec_") && new_secret() != new_secret());
    }
}
