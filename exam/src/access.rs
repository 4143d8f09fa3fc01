//! Roles and the rules of who may do what to which organization.
//!
//! Jurisdiction itself (an account sees only its organization's subtree) is enforced by the
//! database layer; this module decides, for a target already known to be inside the
//! subtree, whether the role may act on it.

use serde::{Deserialize, Serialize};

use crate::{OrgLevel, ValueError};

/// What an account is. Every account belongs to exactly one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    ProvinceAdmin,
    CityAdmin,
    CountyAdmin,
    EnterpriseAdmin,
    Proctor,
    Worker,
    /// The provincial platform, authenticating with a client id and secret.
    IntegrationClient,
}

/// Where a target organization stands relative to the actor's own organization.
/// Targets outside the actor's subtree never reach these rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The actor's own organization.
    Own,
    /// Strictly below the actor's organization.
    Below,
}

/// What may be changed on an organization by a given actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgEdit {
    /// Every field but level and parent.
    All,
    /// Address and contact only (an enterprise keeping its own details current).
    ContactOnly,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Self::ProvinceAdmin,
        Self::CityAdmin,
        Self::CountyAdmin,
        Self::EnterpriseAdmin,
        Self::Proctor,
        Self::Worker,
        Self::IntegrationClient,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProvinceAdmin => "province_admin",
            Self::CityAdmin => "city_admin",
            Self::CountyAdmin => "county_admin",
            Self::EnterpriseAdmin => "enterprise_admin",
            Self::Proctor => "proctor",
            Self::Worker => "worker",
            Self::IntegrationClient => "integration_client",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValueError> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or(ValueError::UnknownVariant)
    }

    /// Staff accounts are the ones created by other staff and listed as staff.
    pub fn is_staff(self) -> bool {
        !matches!(self, Self::Worker | Self::IntegrationClient)
    }

    /// A bureau administrator: province, city or county.
    pub fn is_bureau_admin(self) -> bool {
        matches!(self, Self::ProvinceAdmin | Self::CityAdmin | Self::CountyAdmin)
    }

    /// Whether an account of this role may belong to an organization of `level`.
    pub fn allowed_at(self, level: OrgLevel) -> bool {
        match self {
            Self::ProvinceAdmin | Self::IntegrationClient => level == OrgLevel::Province,
            Self::CityAdmin => level == OrgLevel::City,
            Self::CountyAdmin => level == OrgLevel::County,
            Self::EnterpriseAdmin | Self::Worker => level == OrgLevel::Enterprise,
            // County bureaus run exam sites for small enterprises' principals.
            Self::Proctor => matches!(level, OrgLevel::County | OrgLevel::Enterprise),
        }
    }

    /// Whether this role may create a staff account of `new_role` in a target organization.
    pub fn may_create_staff(self, relation: Relation, new_role: Role, level: OrgLevel) -> bool {
        if !new_role.is_staff() || !new_role.allowed_at(level) {
            return false;
        }
        match self {
            Self::ProvinceAdmin | Self::CityAdmin | Self::CountyAdmin => true,
            Self::EnterpriseAdmin => {
                relation == Relation::Own && matches!(new_role, Self::EnterpriseAdmin | Self::Proctor)
            }
            Self::Proctor | Self::Worker | Self::IntegrationClient => false,
        }
    }

    /// Whether this role may add courses to the catalogue, kept by its own organization:
    /// the bureaus (the province and the counties, and a city for its own).
    pub fn may_keep_courses(self) -> bool {
        self.is_bureau_admin()
    }

    /// Whether this role may set a learning plan or record training for an enterprise:
    /// the enterprise itself (its principal, as a worker, is checked by the caller).
    pub fn may_run_enterprise_learning(self, relation: Relation) -> bool {
        self == Self::EnterpriseAdmin && relation == Relation::Own
    }

    /// Whether this role may read the archives (一人一档、一企一档) of an enterprise and its
    /// workers: the enterprise and the bureaus above it, no one else.
    pub fn may_read_archives(self, relation: Relation) -> bool {
        match self {
            Self::ProvinceAdmin | Self::CityAdmin | Self::CountyAdmin => true,
            Self::EnterpriseAdmin => relation == Relation::Own,
            _ => false,
        }
    }

    /// Whether this role may read the campaign's reports (附件3, 附件4, the publication
    /// list) for its subtree: the bureaus.
    pub fn may_view_reports(self) -> bool {
        self.is_bureau_admin()
    }

    /// Whether this role may read the coverage dashboards: the bureaus, and an enterprise
    /// for itself.
    pub fn may_view_coverage(self) -> bool {
        self.is_bureau_admin() || self == Self::EnterpriseAdmin
    }

    /// Whether this role may add question banks and write questions for an organization:
    /// administrators, for their own organization only (a bank pushed down is read-only).
    pub fn may_manage_questions(self, relation: Relation) -> bool {
        relation == Relation::Own && self.may_read_questions()
    }

    /// Whether this role may read question banks, answer keys included.
    pub fn may_read_questions(self) -> bool {
        self.is_bureau_admin() || self == Self::EnterpriseAdmin
    }

    /// Whether this role may organize exams at a target organization: bureaus at their own
    /// level or below, an enterprise for itself.
    pub fn may_organize_exams(self, relation: Relation) -> bool {
        match self {
            Self::ProvinceAdmin | Self::CityAdmin | Self::CountyAdmin => true,
            Self::EnterpriseAdmin => relation == Relation::Own,
            _ => false,
        }
    }

    /// Whether this role may see exam plans and their candidates.
    pub fn may_view_exams(self) -> bool {
        self.is_staff()
    }

    /// Whether this role may create a child organization under a target organization.
    pub fn may_create_child_org(self) -> bool {
        self.is_bureau_admin()
    }

    /// What this role may change on a target organization, if anything.
    pub fn may_edit_org(self, relation: Relation) -> Option<OrgEdit> {
        match (self, relation) {
            (Self::ProvinceAdmin, _) => Some(OrgEdit::All),
            (Self::CityAdmin | Self::CountyAdmin, Relation::Below) => Some(OrgEdit::All),
            (Self::CityAdmin | Self::CountyAdmin, Relation::Own) => Some(OrgEdit::ContactOnly),
            (Self::EnterpriseAdmin, Relation::Own) => Some(OrgEdit::ContactOnly),
            _ => None,
        }
    }

    /// Whether this role may read staff accounts of its subtree.
    pub fn may_list_staff(self) -> bool {
        self.is_bureau_admin() || self == Self::EnterpriseAdmin
    }

    /// Whether this role may issue, list and revoke registration codes of an enterprise.
    pub fn may_issue_registration_codes(self, relation: Relation) -> bool {
        match self {
            Self::ProvinceAdmin | Self::CityAdmin | Self::CountyAdmin => true,
            Self::EnterpriseAdmin => relation == Relation::Own,
            Self::Proctor | Self::Worker | Self::IntegrationClient => false,
        }
    }

    /// Whether this role may read worker records of its subtree (a worker reads only its own).
    pub fn may_read_workers(self) -> bool {
        self != Self::Worker
    }

    /// Whether this role may change a worker's role, position and active flag, and import
    /// rosters, for an enterprise at `relation`.
    pub fn may_manage_workers(self, relation: Relation) -> bool {
        self.may_issue_registration_codes(relation)
    }

    /// Whether this role may check worker records as real (核对信息): county and city
    /// bureaus, and the province.
    pub fn may_verify_workers(self) -> bool {
        self.is_bureau_admin()
    }

    /// Whether this role may export whole ID numbers (the principals list): bureaus only,
    /// and every export is audited.
    pub fn may_export_personal_data(self) -> bool {
        self.is_bureau_admin()
    }

    /// Only the province may admit the provincial platform as a client.
    pub fn may_create_integration_client(self) -> bool {
        self == Self::ProvinceAdmin
    }

    /// Only the province registers webhooks for the platform, sees what failed to arrive
    /// and sends it again.
    pub fn may_manage_webhooks(self) -> bool {
        self == Self::ProvinceAdmin
    }

    /// Only the platform's own accounts read the integration events (results and the
    /// registry, with whole ID numbers).
    pub fn may_read_integration_events(self) -> bool {
        self == Self::IntegrationClient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_lives_at_its_level() {
        assert!(Role::CountyAdmin.allowed_at(OrgLevel::County));
        assert!(!Role::CountyAdmin.allowed_at(OrgLevel::City));
        assert!(Role::Proctor.allowed_at(OrgLevel::County));
        assert!(!Role::Proctor.allowed_at(OrgLevel::Province));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
            assert!(OrgLevel::ALL.iter().any(|l| r.allowed_at(*l)), "{r:?} lives nowhere");
        }
    }

    #[test]
    fn staff_creation_rules() {
        use Relation::*;
        assert!(Role::CountyAdmin.may_create_staff(Below, Role::EnterpriseAdmin, OrgLevel::Enterprise));
        assert!(Role::CountyAdmin.may_create_staff(Own, Role::CountyAdmin, OrgLevel::County));
        assert!(!Role::CountyAdmin.may_create_staff(Below, Role::CountyAdmin, OrgLevel::Enterprise));
        assert!(Role::EnterpriseAdmin.may_create_staff(Own, Role::Proctor, OrgLevel::Enterprise));
        assert!(!Role::EnterpriseAdmin.may_create_staff(Own, Role::CountyAdmin, OrgLevel::Enterprise));
        for r in Role::ALL {
            assert!(!r.may_create_staff(Own, Role::Worker, OrgLevel::Enterprise));
            assert!(!r.may_create_staff(Own, Role::IntegrationClient, OrgLevel::Province));
        }
        assert!(!Role::Proctor.may_create_staff(Own, Role::Proctor, OrgLevel::Enterprise));
    }

    #[test]
    fn worker_registry_rules() {
        use Relation::*;
        assert!(Role::EnterpriseAdmin.may_issue_registration_codes(Own));
        assert!(!Role::EnterpriseAdmin.may_issue_registration_codes(Below));
        assert!(Role::CountyAdmin.may_issue_registration_codes(Below));
        assert!(!Role::Proctor.may_issue_registration_codes(Own));
        assert!(Role::Proctor.may_read_workers());
        assert!(!Role::Worker.may_read_workers());
        assert!(Role::CityAdmin.may_verify_workers());
        assert!(!Role::EnterpriseAdmin.may_verify_workers());
        assert!(!Role::EnterpriseAdmin.may_export_personal_data());
        assert!(!Role::IntegrationClient.may_export_personal_data());
        for r in Role::ALL {
            assert_eq!(r.may_read_integration_events(), r == Role::IntegrationClient);
            assert_eq!(r.may_manage_webhooks(), r == Role::ProvinceAdmin);
        }
    }

    #[test]
    fn org_edit_rules() {
        assert_eq!(Role::CountyAdmin.may_edit_org(Relation::Below), Some(OrgEdit::All));
        assert_eq!(Role::CountyAdmin.may_edit_org(Relation::Own), Some(OrgEdit::ContactOnly));
        assert_eq!(Role::EnterpriseAdmin.may_edit_org(Relation::Own), Some(OrgEdit::ContactOnly));
        assert_eq!(Role::Proctor.may_edit_org(Relation::Own), None);
        assert_eq!(Role::Worker.may_edit_org(Relation::Own), None);
    }
}
