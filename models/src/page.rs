//! Keyset pagination with opaque cursors.

use base64::Engine as _;

/// The most items one page may hold, and the default.
pub const MAX_LIMIT: i64 = 200;
pub const DEFAULT_LIMIT: i64 = 50;

/// A position in a listing: the id of the last item already seen. Opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn after(id: &str) -> Self {
        Self(id.to_owned())
    }

    /// Decodes a cursor given by a client; `None` if it was not made by [`Cursor::encode`].
    pub fn decode(s: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let id = text.strip_prefix("a:")?;
        uuid::Uuid::parse_str(id).ok()?;
        Some(Self(id.to_owned()))
    }

    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("a:{}", self.0))
    }

    pub fn id(&self) -> &str {
        &self.0
    }
}

/// Which page to read.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Cursor>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { limit: DEFAULT_LIMIT, after: None }
    }
}

/// One page of a listing and the cursor of the next, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows read in id order: the extra row only
    /// says that another page follows.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id_of: impl Fn(&T) -> &str) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| Cursor::after(id_of(r)))
        } else {
            None
        };
        Self { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let id = uuid::Uuid::now_v7().to_string();
        let c = Cursor::after(&id);
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not base64!"), None);
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("a:' OR 1=1 --");
        assert_eq!(Cursor::decode(&forged), None);
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let ids: Vec<String> = (0..3).map(|_| uuid::Uuid::now_v7().to_string()).collect();
        let p = Page::from_rows(ids.clone(), 2, |s| s.as_str());
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.next.unwrap().id(), ids[1]);
        let p = Page::from_rows(ids, 3, |s| s.as_str());
        assert!(p.next.is_none());
    }
}
