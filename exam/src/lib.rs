//! Sanda's domain logic, free of IO: value types that can only hold valid values
//! (parse, don't validate) and the rules that decide who may do what.
//!
//! Nothing here touches a database, a file, a clock or the network, so every rule
//! can be tested with plain values and property tests.

#[macro_use]
mod macros;

pub mod access;
pub mod bank;
pub mod bank_file;
pub mod credit_code;
pub mod evidence;
pub mod integration;
pub mod learning;
pub mod org;
pub mod paper;
pub mod password;
pub mod plan;
pub mod proctoring;
pub mod regcode;
pub mod report;
pub mod resident_id;
pub mod roster;
pub mod schedule;
pub mod sheet;
mod table;
pub mod text;
pub mod training;
pub mod worker;

pub use access::Role;
pub use credit_code::CreditCode;
pub use org::{Industry, OrgLevel, SizeClass};
pub use password::NewPassword;
pub use regcode::RegCode;
pub use resident_id::ResidentId;
pub use text::{ContactPhone, MobilePhone, OrgName, PersonName, Username};
pub use worker::{Verification, WorkerRole};

/// Why a value was refused. The `field`-free variants are mapped to messages by the caller,
/// which knows which request field held the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("must not be empty")]
    Empty,
    #[error("is too long (at most {max} characters)")]
    TooLong { max: usize },
    #[error("is too short (at least {min} characters)")]
    TooShort { min: usize },
    #[error("contains characters that are not allowed")]
    BadCharacters,
    #[error("has the wrong length (expected {expected} characters)")]
    WrongLength { expected: usize },
    #[error("check character does not match (expected {expected})")]
    BadCheckCharacter { expected: char },
    #[error("is not one of the allowed values")]
    UnknownVariant,
    #[error("is too weak: {0}")]
    Weak(&'static str),
    #[error("does not start with a valid region code")]
    BadRegion,
    #[error("does not hold a valid birth date")]
    BadBirthDate,
    #[error("is not a mainland mobile number (11 digits starting with 1)")]
    NotMobile,
    /// A domain rule, explained in both languages.
    #[error("{en}")]
    Rule { en: &'static str, zh: &'static str },
}
