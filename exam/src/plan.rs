//! Exam plans: the campaign's kinds of exam and who organizes each.

use serde::{Deserialize, Serialize};

use crate::{Industry, OrgLevel, SizeClass, WorkerRole};

labelled_enum! {
    /// The kinds of exam in the campaign.
    PlanKind {
        EnterpriseAllStaff = "enterprise_all_staff", "企业全员考试";
        CountyPrincipals = "county_principals", "县级主要负责人考试";
        ProvinceUnified = "province_unified", "全省大统考";
        Makeup = "makeup", "补考";
    }
}

impl PlanKind {
    /// The level of organization that runs this kind of exam (a makeup is run by the
    /// original exam's organizer).
    pub fn organizer_level(self) -> Option<OrgLevel> {
        match self {
            Self::EnterpriseAllStaff => Some(OrgLevel::Enterprise),
            Self::CountyPrincipals => Some(OrgLevel::County),
            Self::ProvinceUnified => Some(OrgLevel::Province),
            Self::Makeup => None,
        }
    }

    /// Who the notice puts in this kind of exam, before the organizer narrows it.
    pub fn default_filter(self) -> CandidateFilter {
        let principals = vec![WorkerRole::Principal];
        match self {
            Self::EnterpriseAllStaff | Self::Makeup => CandidateFilter::default(),
            // 规模以下企业主要负责人 sit the county's exam …
            Self::CountyPrincipals => CandidateFilter {
                roles: principals,
                size_class: Some(SizeClass::BelowScale),
                ..CandidateFilter::default()
            },
            // … 规模以上企业主要负责人 the province's unified exam.
            Self::ProvinceUnified => CandidateFilter {
                roles: principals,
                size_class: Some(SizeClass::AboveScale),
                ..CandidateFilter::default()
            },
        }
    }
}

/// Which registered workers of the organizer's subtree become candidates. Empty lists
/// mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CandidateFilter {
    /// Only the subtrees of these organizations (ids inside the organizer's subtree), e.g.
    /// some counties of a city.
    #[serde(default)]
    pub within: Vec<String>,
    #[serde(default)]
    pub roles: Vec<WorkerRole>,
    #[serde(default)]
    pub industries: Vec<Industry>,
    #[serde(default)]
    pub size_class: Option<SizeClass>,
}

impl CandidateFilter {
    pub fn admits(&self, role: WorkerRole, industry: Option<Industry>, size: Option<SizeClass>) -> bool {
        (self.roles.is_empty() || self.roles.contains(&role))
            && (self.industries.is_empty() || industry.is_some_and(|i| self.industries.contains(&i)))
            && (self.size_class.is_none() || self.size_class == size)
    }

    /// The roles this filter lets in (all three when it names none).
    pub fn roles_admitted(&self) -> Vec<WorkerRole> {
        if self.roles.is_empty() {
            WorkerRole::ALL.to_vec()
        } else {
            self.roles.clone()
        }
    }

    /// The industries this filter lets in (all when it names none).
    pub fn industries_admitted(&self) -> Vec<Industry> {
        if self.industries.is_empty() {
            Industry::ALL.to_vec()
        } else {
            self.industries.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_exams_follow_the_size_class() {
        let county = PlanKind::CountyPrincipals.default_filter();
        assert!(county.admits(WorkerRole::Principal, Some(Industry::Commerce), Some(SizeClass::BelowScale)));
        assert!(!county.admits(WorkerRole::Principal, Some(Industry::Commerce), Some(SizeClass::AboveScale)));
        assert!(!county.admits(WorkerRole::OtherStaff, None, Some(SizeClass::BelowScale)));
        let all = PlanKind::EnterpriseAllStaff.default_filter();
        assert!(all.admits(WorkerRole::OtherStaff, None, None));
        assert_eq!(all.roles_admitted().len(), 3);
    }
}
