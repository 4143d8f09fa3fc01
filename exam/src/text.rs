//! Bounded text values: names, usernames and contact phone numbers.

use std::fmt;

use crate::ValueError;

/// Text trimmed of surrounding blanks, refused when empty, longer than `max` characters or
/// holding control characters: the rule of every free-text field (titles, topics, names).
pub fn bounded(input: &str, max: usize) -> Result<String, ValueError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ValueError::Empty);
    }
    if s.chars().count() > max {
        return Err(ValueError::TooLong { max });
    }
    if s.chars().any(char::is_control) {
        return Err(ValueError::BadCharacters);
    }
    Ok(s.to_owned())
}

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            /// Trims surrounding blanks; refuses empty, over-long or control-character text.
            pub fn parse(input: &str) -> Result<Self, ValueError> {
                bounded(input, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// The name of an organization, e.g. 临沂市兰山区应急管理局.
    OrgName,
    100
);
text_type!(
    /// A person's name as written on their documents (Chinese names, or names with a middle dot).
    PersonName,
    50
);

/// A login name: 3 to 64 characters of ASCII letters, digits, `.`, `_` and `-`, kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s = input.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        if s.len() < 3 {
            return Err(ValueError::TooShort { min: 3 });
        }
        if s.len() > 64 {
            return Err(ValueError::TooLong { max: 64 });
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
            return Err(ValueError::BadCharacters);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact telephone: a mainland mobile number (11 digits starting with 1) or a
/// landline with area code (e.g. 0539-8888888), blanks and dashes allowed as typed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ContactPhone(String);

impl ContactPhone {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s: String = input.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::BadCharacters);
        }
        let mobile = s.len() == 11 && s.starts_with('1') && s.as_bytes()[1] >= b'3';
        let landline = s.starts_with('0') && (10..=12).contains(&s.len());
        if !(mobile || landline) {
            return Err(ValueError::WrongLength { expected: 11 });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with its middle hidden, for lists: 138****5678.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 3, 4)
    }
}

impl fmt::Debug for ContactPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContactPhone({})", self.masked())
    }
}

/// A mainland mobile number: 11 digits, `1` then `3`-`9`. Personal data: `Debug` masks it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobilePhone(String);

impl MobilePhone {
    /// Parses a number as typed: blanks and dashes ignored, a leading +86 accepted.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s: String = input.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let s = s.strip_prefix("+86").unwrap_or(&s);
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::BadCharacters);
        }
        if s.len() != 11 || !s.starts_with('1') || s.as_bytes()[1] < b'3' {
            return Err(ValueError::NotMobile);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// 138****5678.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 3, 4)
    }
}

impl fmt::Debug for MobilePhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobilePhone({})", self.masked())
    }
}

/// Keeps `head` leading and `tail` trailing characters and stars the rest.
pub fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let stars = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', stars));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(OrgName::parse("  兰山区应急管理局 ").unwrap().as_str(), "兰山区应急管理局");
        assert_eq!(OrgName::parse("   "), Err(ValueError::Empty));
        assert_eq!(OrgName::parse(&"安".repeat(101)), Err(ValueError::TooLong { max: 100 }));
        assert_eq!(PersonName::parse("张\u{0}三"), Err(ValueError::BadCharacters));
    }

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" LanShan.Admin ").unwrap().as_str(), "lanshan.admin");
        assert_eq!(Username::parse("ab"), Err(ValueError::TooShort { min: 3 }));
        assert_eq!(Username::parse("张三丰"), Err(ValueError::BadCharacters));
    }

    #[test]
    fn phones() {
        let p = ContactPhone::parse("138 0539 1234").unwrap();
        assert_eq!(p.as_str(), "13805391234");
        assert_eq!(p.masked(), "138****1234");
        assert_eq!(format!("{p:?}"), "ContactPhone(138****1234)");
        assert!(ContactPhone::parse("0539-8888888").is_ok());
        assert!(ContactPhone::parse("12345678901").is_err());
        assert_eq!(ContactPhone::parse("13805391abc"), Err(ValueError::BadCharacters));
        let m = MobilePhone::parse("+86 139-0539-0000").unwrap();
        assert_eq!(m.expose(), "13905390000");
        assert_eq!(format!("{m:?}"), "MobilePhone(139****0000)");
        assert_eq!(MobilePhone::parse("05398888888"), Err(ValueError::NotMobile));
        assert_eq!(MobilePhone::parse("1280539000"), Err(ValueError::NotMobile));
    }
}
