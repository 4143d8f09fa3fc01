//! The unified social credit code (统一社会信用代码) of GB 32100-2015.
//!
//! 18 characters from a 31-character alphabet (digits and upper-case letters without
//! I, O, S, V, Z). Characters 3-8 are the administrative division code (digits); the
//! 18th is a check character computed over the first 17 with fixed weights, mod 31.

use std::fmt;

use crate::ValueError;

/// The code's alphabet in value order: a character's index is its value.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1 to 17 (3^(i-1) mod 31).
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A unified social credit code whose structure and check character are valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "91371302MA3C1K8X2L"))]
pub struct CreditCode(String);

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
}

/// The check character for the first 17 characters, or `None` if one is outside the alphabet.
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

impl CreditCode {
    /// Parses a code as typed: surrounding blanks are ignored and lower case is accepted.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(ValueError::Empty);
        }
        if code.chars().count() != 18 {
            return Err(ValueError::WrongLength { expected: 18 });
        }
        let bytes = code.as_bytes();
        if bytes.iter().any(|&c| value_of(c).is_none()) {
            return Err(ValueError::BadCharacters);
        }
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(ValueError::BadCharacters);
        }
        let expected = check_character(&bytes[..17]).ok_or(ValueError::BadCharacters)?;
        if char::from(bytes[17]) != expected {
            return Err(ValueError::BadCheckCharacter { expected });
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative division code held in characters 3-8.
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on real business licences.
        for code in ["91350100M000100Y43", "91110108551385082Q", "91440300708461136T"] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn normalises_case_and_blanks() {
        let code = CreditCode::parse(" 91350100m000100y43 ").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert_eq!(code.division_code(), "350100");
    }

    #[test]
    fn refuses_malformed_codes() {
        assert_eq!(CreditCode::parse(""), Err(ValueError::Empty));
        assert_eq!(CreditCode::parse("91350100M000100Y4"), Err(ValueError::WrongLength { expected: 18 }));
        // 'O' and 'I' are not in the alphabet.
        assert_eq!(CreditCode::parse("91350100MO00100Y43"), Err(ValueError::BadCharacters));
        // Characters 3-8 must be digits.
        assert_eq!(CreditCode::parse("91A50100M000100Y43"), Err(ValueError::BadCharacters));
        assert_eq!(CreditCode::parse("91350100M000100Y44"), Err(ValueError::BadCheckCharacter { expected: '3' }));
    }

    fn first17() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(proptest::sample::select(ALPHABET.to_vec()), 2),
            proptest::collection::vec(proptest::sample::select(b"0123456789".to_vec()), 6),
            proptest::collection::vec(proptest::sample::select(ALPHABET.to_vec()), 9),
        )
            .prop_map(|(a, b, c)| [a, b, c].concat())
    }

    proptest! {
        #[test]
        fn a_computed_check_character_is_always_accepted(body in first17()) {
            let check = check_character(&body).unwrap();
            let code = format!("{}{}", String::from_utf8(body).unwrap(), check);
            prop_assert!(CreditCode::parse(&code).is_ok());
        }

        #[test]
        fn any_single_character_change_is_refused(body in first17(), pos in 0usize..18, replacement in proptest::sample::select(ALPHABET.to_vec())) {
            let check = check_character(&body).unwrap();
            let mut code = body.clone();
            code.push(check as u8);
            prop_assume!(code[pos] != replacement);
            prop_assume!(!(2..8).contains(&pos) || replacement.is_ascii_digit());
            code[pos] = replacement;
            prop_assert!(CreditCode::parse(std::str::from_utf8(&code).unwrap()).is_err());
        }
    }
}
