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

    /// The subtree rooted at the organization `org_id` whose path is `path`, as read with
    /// something else (a webhook's client).
    pub(crate) fn at(org_id: OrgId, path: String) -> Self {
        Self { org_id, path }
    }

    pub fn org_id(&self) -> &OrgId {
        &self.org_id
    }

    /// The SQL `LIKE` pattern matching every path in the subtree. Paths hold only UUIDs and
    /// slashes, so no `%` or `_` needs escaping.
    pub(crate) fn like_pattern(&self) -> String {
        format!("{}%", self.path)
    }

    /// The organizations above the root and the root itself, from its path.
    pub fn ancestor_ids(&self) -> Vec<String> {
        self.path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    /// Whether something owned by the organization at `path` is visible to this subtree as
    /// shared material: owned by the root, an ancestor (pushed down) or inside the subtree.
    pub fn sees_shared(&self, path: &str) -> bool {
        self.path.starts_with(path) || path.starts_with(&self.path)
    }

    /// Whether the organization at `path` is the root or below it.
    pub fn contains_path(&self, path: &str) -> bool {
        path.starts_with(&self.path)
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
