//! The 18-digit resident identity number (公民身份号码) of GB 11643-1999.
//!
//! Six digits of region code, eight of birth date (YYYYMMDD), three of sequence (odd for
//! men), and a check character by ISO 7064 MOD 11-2 (`X` stands for 10).

use std::fmt;

use crate::ValueError;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
/// The first two digits of a region code: provinces, autonomous regions, municipalities,
/// Taiwan, Hong Kong and Macao.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// A resident ID number whose region, birth date and check character are valid. Its
/// `Debug` shows it masked; it is personal data.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

/// The check character for the first 17 digits, or `None` if one is not a digit.
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(char::from(CHECK[(sum % 11) as usize]))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

impl ResidentId {
    /// Parses a number as typed: blanks ignored, a lower-case `x` accepted.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let id: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if id.is_empty() {
            return Err(ValueError::Empty);
        }
        if id.chars().count() != 18 {
            return Err(ValueError::WrongLength { expected: 18 });
        }
        let b = id.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(ValueError::BadCharacters);
        }
        let province = number(&b[..2]) as u8;
        if !PROVINCES.contains(&province) || &b[2..6] == b"0000" {
            return Err(ValueError::BadRegion);
        }
        let (year, month, day) = (number(&b[6..10]), number(&b[10..12]), number(&b[12..14]));
        if !(1900..=2100).contains(&year) || day == 0 || day > days_in_month(year, month) {
            return Err(ValueError::BadBirthDate);
        }
        let expected = check_character(&b[..17]).ok_or(ValueError::BadCharacters)?;
        if char::from(b[17]) != expected {
            return Err(ValueError::BadCheckCharacter { expected });
        }
        Ok(Self(id))
    }

    /// The whole number: only for encryption, keyed hashing and authorized exports.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The number with its middle hidden, for lists: 3713**********123X.
    pub fn masked(&self) -> String {
        crate::text::mask_middle(&self.0, 4, 4)
    }

    /// Birth date as (year, month, day).
    pub fn birth_date(&self) -> (u32, u32, u32) {
        let b = self.0.as_bytes();
        (number(&b[6..10]), number(&b[10..12]), number(&b[12..14]))
    }

    /// Full years of age on the given date; negative when born after it.
    pub fn age_on(&self, year: u32, month: u32, day: u32) -> i64 {
        let (by, bm, bd) = self.birth_date();
        let mut age = i64::from(year) - i64::from(by);
        if (month, day) < (bm, bd) {
            age -= 1;
        }
        age
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds a valid number from region, date and sequence.
    fn make(region: &str, date: &str, seq: &str) -> String {
        let body = format!("{region}{date}{seq}");
        format!("{body}{}", check_character(body.as_bytes()).unwrap())
    }

    #[test]
    fn accepts_valid_numbers_as_typed() {
        // The standard's own example.
        assert!(ResidentId::parse("11010519491231002X").is_ok());
        let id = ResidentId::parse(" 11010519491231002x ").unwrap();
        assert_eq!(id.expose(), "11010519491231002X");
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "ResidentId(1101**********002X)");
        assert_eq!(id.birth_date(), (1949, 12, 31));
        assert_eq!(id.age_on(2026, 11, 28), 76);
        assert_eq!(id.age_on(1949, 12, 30), -1);
        assert!(ResidentId::parse(&make("371302", "20000229", "123")).is_ok(), "leap day");
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(ResidentId::parse(""), Err(ValueError::Empty));
        assert_eq!(ResidentId::parse("3713021990010112"), Err(ValueError::WrongLength { expected: 18 }));
        assert_eq!(ResidentId::parse("37130219900101123A"), Err(ValueError::BadCharacters));
        assert_eq!(ResidentId::parse(&make("991302", "19900101", "123")), Err(ValueError::BadRegion));
        assert_eq!(ResidentId::parse(&make("371302", "19900230", "123")), Err(ValueError::BadBirthDate));
        assert_eq!(
            ResidentId::parse(&make("371302", "19010229", "123")),
            Err(ValueError::BadBirthDate),
            "1900s non-leap"
        );
        assert_eq!(ResidentId::parse(&make("371302", "18991231", "123")), Err(ValueError::BadBirthDate));
        assert_eq!(ResidentId::parse("11010519491231002Y"), Err(ValueError::BadCharacters));
        assert_eq!(ResidentId::parse("110105194912310021"), Err(ValueError::BadCheckCharacter { expected: 'X' }));
    }

    fn valid_body() -> impl Strategy<Value = String> {
        (proptest::sample::select(PROVINCES.to_vec()), 1u32..=9999, 1900u32..=2099, 1u32..=12, 1u32..=31, 0u32..=999)
            .prop_map(|(p, r, y, m, d, s)| {
                let d = d.min(days_in_month(y, m));
                format!("{p:02}{r:04}{y:04}{m:02}{d:02}{s:03}")
            })
            .prop_filter("region 0000", |b| &b[2..6] != "0000")
    }

    proptest! {
        #[test]
        fn numbers_with_a_correct_check_character_always_pass(body in valid_body()) {
            let id = format!("{body}{}", check_character(body.as_bytes()).unwrap());
            prop_assert!(ResidentId::parse(&id).is_ok(), "{}", id);
        }

        #[test]
        fn any_single_digit_change_fails(body in valid_body(), pos in 0usize..18, digit in 0u8..=10) {
            let mut id = format!("{body}{}", check_character(body.as_bytes()).unwrap()).into_bytes();
            let replacement = if digit == 10 { b'X' } else { b'0' + digit };
            prop_assume!(id[pos] != replacement);
            id[pos] = replacement;
            prop_assert!(ResidentId::parse(std::str::from_utf8(&id).unwrap()).is_err());
        }
    }
}
