//! Authentication: password hashing, tokens, the principal extractor and login throttling.

pub mod credentials;
pub mod password;
pub mod principal;
pub mod throttle;
pub mod tokens;

pub use principal::{AnyPrincipal, Principal};
