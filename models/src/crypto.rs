//! Encryption at rest of personal data (AES-256-GCM) and keyed hashes (HMAC-SHA256) for
//! looking values up without storing them in the clear.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::DbError;

/// Version tag in front of every ciphertext, so keys or algorithms can change later.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Holds the keys derived from the 32-byte data key. Cheap to clone, never printed.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
    index_key: [u8; 32],
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(***)")
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl Cipher {
    pub fn new(data_key: &[u8; 32]) -> Self {
        let enc = derive(data_key, b"sanda/aead/v1");
        Self { aead: Aes256Gcm::new(&enc.into()), index_key: derive(data_key, b"sanda/index/v1") }
    }

    /// Encrypts `plain`, bound to `context` (e.g. the column name) so a value cannot be
    /// moved to another column and still decrypt.
    pub fn encrypt(&self, context: &str, plain: &str) -> Vec<u8> {
        self.seal(context, plain.as_bytes())
    }

    pub fn decrypt(&self, context: &str, sealed: &[u8]) -> Result<String, DbError> {
        let plain = self.open(context, sealed)?;
        String::from_utf8(plain).map_err(|_| DbError::Corrupt(format!("{context}: ciphertext does not open")))
    }

    /// [`Cipher::encrypt`] for bytes (a file: evidence of a training session).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload { msg: plain, aad: context.as_bytes() };
        // AES-GCM only fails for messages over 64 GiB.
        let sealed = self.aead.encrypt(Nonce::from_slice(&nonce), payload).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// [`Cipher::decrypt`] for bytes.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, DbError> {
        let corrupt = || DbError::Corrupt(format!("{context}: ciphertext does not open"));
        let (version, rest) = sealed.split_first().ok_or_else(corrupt)?;
        if *version != VERSION || rest.len() < NONCE_LEN {
            return Err(corrupt());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        self.aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: context.as_bytes() })
            .map_err(|_| corrupt())
    }

    /// A keyed hash of `value` in `context`, hex-encoded: equal values give equal hashes,
    /// but nobody without the key can test a guess against it.
    pub fn blind_index(&self, context: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).unwrap_or_else(|_| unreachable!());
        mac.update(context.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_context_binding() {
        let c = Cipher::new(&[7u8; 32]);
        let sealed = c.encrypt("organizations.contact_phone", "13805391234");
        assert!(!sealed.windows(11).any(|w| w == b"13805391234"));
        assert_eq!(c.decrypt("organizations.contact_phone", &sealed).unwrap(), "13805391234");
        assert!(c.decrypt("accounts.phone", &sealed).is_err());
        assert!(Cipher::new(&[8u8; 32]).decrypt("organizations.contact_phone", &sealed).is_err());
        assert!(c.decrypt("organizations.contact_phone", &sealed[..5]).is_err());
        // A fresh nonce each time.
        assert_ne!(sealed, c.encrypt("organizations.contact_phone", "13805391234"));
    }

    #[test]
    fn blind_index_is_keyed_and_stable() {
        let c = Cipher::new(&[7u8; 32]);
        assert_eq!(c.blind_index("ip", "127.0.0.1"), c.blind_index("ip", "127.0.0.1"));
        assert_ne!(c.blind_index("ip", "127.0.0.1"), c.blind_index("ip", "127.0.0.2"));
        assert_ne!(c.blind_index("ip", "127.0.0.1"), Cipher::new(&[9u8; 32]).blind_index("ip", "127.0.0.1"));
        assert_eq!(c.blind_index("ip", "x").len(), 64);
    }
}
