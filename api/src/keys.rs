//! The two server secrets: the JWT signing key and the data-encryption key.
//!
//! Both come from the environment when set (and must then be the same on every server
//! behind the load balancer); otherwise they are generated once into `<data dir>/keys/`
//! with owner-only permissions, so a single-machine install needs no set-up.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

/// Why the keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{name}: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("cannot read or write key file {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn decode_key(name: &'static str, text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = B64.decode(text.trim()).map_err(|e| KeyError::Invalid { name, problem: format!("not base64: {e}") })?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| KeyError::Invalid { name, problem: format!("must be 32 bytes, got {}", b.len()) })
}

/// Reads the key from `configured`, else from `<dir>/keys/<file>`, creating it if missing.
fn load_or_create(
    dir: &Path,
    file: &str,
    name: &'static str,
    configured: Option<&SecretString>,
) -> Result<[u8; 32], KeyError> {
    if let Some(v) = configured {
        return decode_key(name, v.expose_secret());
    }
    let keys = dir.join("keys");
    let path = keys.join(file);
    let io = |source| KeyError::Io { path: path.display().to_string(), source };
    match std::fs::read_to_string(&path) {
        Ok(text) => decode_key(name, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&keys).map_err(io)?;
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            // Written whole to a private file, then linked into place: linking fails if the
            // key exists, so two servers starting at once agree on one key.
            let tmp = keys.join(format!(".{file}.{}", uuid::Uuid::new_v4().simple()));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let written = options
                .open(&tmp)
                .and_then(|mut f| f.write_all(B64.encode(key).as_bytes()).and_then(|()| f.sync_all()));
            let linked = written.and_then(|()| std::fs::hard_link(&tmp, &path));
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "generated a new key; keep it with the database");
                    Ok(key)
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    decode_key(name, &std::fs::read_to_string(&path).map_err(io)?)
                }
                Err(e) => Err(io(e)),
            }
        }
        Err(e) => Err(io(e)),
    }
}

/// The data-encryption key (`SANDA_DATA_KEY`).
pub fn data_key(dir: &Path, configured: Option<&SecretString>) -> Result<[u8; 32], KeyError> {
    load_or_create(dir, "data.key", "SANDA_DATA_KEY", configured)
}

/// The JWT signing key (`SANDA_JWT_SECRET`).
pub fn jwt_key(dir: &Path, configured: Option<&SecretString>) -> Result<[u8; 32], KeyError> {
    load_or_create(dir, "jwt.key", "SANDA_JWT_SECRET", configured)
}

/// A fresh key in the form the variables take, for documentation and tests.
pub fn generate_encoded() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    B64.encode(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused() {
        let dir = std::env::temp_dir().join(format!("sanda-keys-{}", uuid::Uuid::new_v4()));
        let a = data_key(&dir, None).unwrap();
        assert_eq!(data_key(&dir, None).unwrap(), a);
        assert_ne!(jwt_key(&dir, None).unwrap(), a);
        let configured = SecretString::from(generate_encoded());
        assert_ne!(data_key(&dir, Some(&configured)).unwrap(), a);
        assert!(matches!(data_key(&dir, Some(&SecretString::from("c2hvcnQ="))), Err(KeyError::Invalid { .. })));
        std::fs::remove_dir_all(dir).ok();
    }
}
