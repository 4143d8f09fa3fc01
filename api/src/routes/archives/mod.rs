//! The training archives the campaign asks for: 一人一档 (a worker's) and 一企一档 (an
//! enterprise's), as JSON or as a workbook of several sheets. For the enterprise and the
//! bureaus above it only.

pub mod enterprise;
pub mod worker;

use serde::Deserialize;
use utoipa::IntoParams;

use crate::routes::workers::export_principals::ExportFormat;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ArchiveQuery {
    /// `json` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// Minutes as hours, to a tenth.
pub fn hours(minutes: i64) -> f64 {
    (minutes as f64 / 6.0).round() / 10.0
}
