//! The authority hierarchy and the classifications an enterprise carries.

use serde::{Deserialize, Serialize};

use crate::ValueError;

/// A level of the hierarchy: province (省应急厅) → city (市应急局) → county/district
/// (县区应急局, development zones included) → enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrgLevel {
    Province,
    City,
    County,
    Enterprise,
}

impl OrgLevel {
    pub const ALL: [OrgLevel; 4] = [Self::Province, Self::City, Self::County, Self::Enterprise];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
            Self::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValueError> {
        Self::ALL.into_iter().find(|l| l.as_str() == s).ok_or(ValueError::UnknownVariant)
    }

    /// The level of an organization's direct children, `None` for an enterprise.
    pub fn child(self) -> Option<Self> {
        match self {
            Self::Province => Some(Self::City),
            Self::City => Some(Self::County),
            Self::County => Some(Self::Enterprise),
            Self::Enterprise => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Province => "省级",
            Self::City => "市级",
            Self::County => "县区级",
            Self::Enterprise => "企业",
        }
    }
}

labelled_enum! {
    /// The industry classes the campaign covers.
    Industry {
        NonCoalMining = "non_coal_mining", "非煤矿山";
        HazardousChemicals = "hazardous_chemicals", "危险化学品";
        Fireworks = "fireworks", "烟花爆竹";
        Metallurgy = "metallurgy", "冶金";
        NonFerrous = "non_ferrous", "有色";
        BuildingMaterials = "building_materials", "建材";
        Machinery = "machinery", "机械";
        LightIndustry = "light_industry", "轻工";
        Textile = "textile", "纺织";
        Tobacco = "tobacco", "烟草";
        Commerce = "commerce", "商贸";
        Other = "other", "其他";
    }
}

labelled_enum! {
    /// Size class: decides which exam level an enterprise's principal takes.
    SizeClass {
        AboveScale = "above_scale", "规模以上";
        BelowScale = "below_scale", "规模以下";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_round_trip() {
        for i in Industry::ALL {
            assert_eq!(Industry::parse(i.as_str()), Ok(*i));
            assert_eq!(Industry::parse(i.label_zh()), Ok(*i));
            let json = serde_json::to_string(i).unwrap();
            assert_eq!(json, format!("\"{}\"", i.as_str()));
        }
        assert_eq!(Industry::ALL.len(), 12);
        assert_eq!(SizeClass::parse("规模以下"), Ok(SizeClass::BelowScale));
        assert_eq!(SizeClass::parse("big"), Err(ValueError::UnknownVariant));
        for l in OrgLevel::ALL {
            assert_eq!(OrgLevel::parse(l.as_str()), Ok(l));
        }
    }

    #[test]
    fn levels_nest_one_below_the_other() {
        assert_eq!(OrgLevel::Province.child(), Some(OrgLevel::City));
        assert_eq!(OrgLevel::City.child(), Some(OrgLevel::County));
        assert_eq!(OrgLevel::County.child(), Some(OrgLevel::Enterprise));
        assert_eq!(OrgLevel::Enterprise.child(), None);
    }
}
