//! The password policy for new passwords.

use std::fmt;

use crate::ValueError;

/// A password that meets the policy: 8 to 128 characters, with at least one letter and
/// one digit, and not a well-known weak password. Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// Passwords that pass the character rules but are guessed first.
const COMMON: &[&str] = &["password1", "abc12345", "qwerty123", "12345678a", "a12345678", "admin123", "passw0rd"];

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let len = input.chars().count();
        if len == 0 {
            return Err(ValueError::Empty);
        }
        if len < MIN_LEN {
            return Err(ValueError::TooShort { min: MIN_LEN });
        }
        if len > MAX_LEN {
            return Err(ValueError::TooLong { max: MAX_LEN });
        }
        if input.chars().any(char::is_control) {
            return Err(ValueError::BadCharacters);
        }
        if !input.chars().any(|c| c.is_alphabetic()) || !input.chars().any(|c| c.is_ascii_digit()) {
            return Err(ValueError::Weak("needs at least one letter and one digit"));
        }
        if COMMON.contains(&input.to_lowercase().as_str()) {
            return Err(ValueError::Weak("is a commonly used password"));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(NewPassword::parse("anquan2026").is_ok());
        assert!(NewPassword::parse("安全生产2026年").is_ok());
        assert_eq!(NewPassword::parse(""), Err(ValueError::Empty));
        assert_eq!(NewPassword::parse("a1b2c3"), Err(ValueError::TooShort { min: 8 }));
        assert!(matches!(NewPassword::parse("abcdefghij"), Err(ValueError::Weak(_))));
        assert!(matches!(NewPassword::parse("1234567890"), Err(ValueError::Weak(_))));
        assert!(matches!(NewPassword::parse("Password1"), Err(ValueError::Weak(_))));
        assert_eq!(NewPassword::parse(&"a1".repeat(65)), Err(ValueError::TooLong { max: 128 }));
        assert_eq!(NewPassword::parse("abc\n12345"), Err(ValueError::BadCharacters));
        assert_eq!(format!("{:?}", NewPassword::parse("anquan2026").unwrap()), "NewPassword(***)");
    }
}
