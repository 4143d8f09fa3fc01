//! Jurisdiction: an account sees only its own organization's subtree.

use exam::access::Relation;

use crate::organization::Organization;
use crate::OrgId;

/// The subtree an account may see. Built from the account's own organization; query
/// functions for anything owned by an organization take one and filter by it, so a handler
/// cannot read across jurisdictions without meaning to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jurisdiction {
    org_id: OrgId,
    path: String,
}

impl Jurisdiction {
    /// The subtree rooted at `org`.
    pub fn of(org: &Organization) -> Self {
        Self { org_id: org.id.clone(), path: org.path.clone() }
    }

    pub fn org_id(&self) -> &OrgId {
        &self.org_id
    }

    /// The SQL `LIKE` pattern matching every path in the subtree. Paths hold only UUIDs and
    /// slashes, so no `%` or `_` needs escaping.
    pub(crate) fn like_pattern(&self) -> String {
        format!("{}%", self.path)
    }

    /// Where `org` stands relative to the root, or `None` when it is outside.
    pub fn relation(&self, org: &Organization) -> Option<Relation> {
        if org.id == self.org_id {
            Some(Relation::Own)
        } else if org.path.starts_with(&self.path) {
            Some(Relation::Below)
        } else {
            None
        }
    }
}
