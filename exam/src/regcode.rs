//! Registration codes (注册码): what a worker types on a phone to join an enterprise.

use std::fmt;

use crate::ValueError;

/// Digits and capitals without look-alikes: no 0/O, 1/I/L.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 31^8 ≈ 8.5 × 10^11 codes, against attempts throttled per address.
pub const LEN: usize = 8;

/// A well-formed registration code (whether it exists is the database's business).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegCode(String);

impl RegCode {
    /// Parses a code as typed: blanks and dashes ignored, lower case accepted.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let code: String =
            input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_ascii_uppercase();
        if code.is_empty() {
            return Err(ValueError::Empty);
        }
        if code.chars().count() != LEN {
            return Err(ValueError::WrongLength { expected: LEN });
        }
        if !code.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(ValueError::BadCharacters);
        }
        Ok(Self(code))
    }

    /// A code from random bytes (each taken modulo the alphabet after rejecting the
    /// biased top of the byte range: the caller supplies bytes from a CSPRNG until full).
    pub fn from_random(bytes: impl IntoIterator<Item = u8>) -> Option<Self> {
        // 248 = 8 × 31: bytes at or above it would favour the first characters.
        let code: String = bytes
            .into_iter()
            .filter(|b| *b < 248)
            .take(LEN)
            .map(|b| char::from(ALPHABET[usize::from(b % 31)]))
            .collect();
        (code.len() == LEN).then_some(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped for reading aloud and typing: ABCD-EFGH.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }
}

impl fmt::Display for RegCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_as_typed() {
        assert_eq!(RegCode::parse(" abcd-efgh ").unwrap().as_str(), "ABCDEFGH");
        assert_eq!(RegCode::parse("ABCDEFGH").unwrap().display(), "ABCD-EFGH");
        assert_eq!(RegCode::parse("ABCDEFG"), Err(ValueError::WrongLength { expected: 8 }));
        assert_eq!(RegCode::parse("ABCDEFG0"), Err(ValueError::BadCharacters));
        assert_eq!(RegCode::parse("ABCDEFGL"), Err(ValueError::BadCharacters));
        assert_eq!(RegCode::parse(""), Err(ValueError::Empty));
    }

    #[test]
    fn from_random_rejects_biased_bytes() {
        let code = RegCode::from_random([255, 250, 0, 1, 2, 3, 4, 5, 6, 247]).unwrap();
        assert_eq!(code.as_str(), "2345678Z");
        assert!(RegCode::from_random([1, 2, 3]).is_none());
        for c in ALPHABET {
            assert!(!b"01OIL".contains(c));
        }
    }
}
