//! The training archives the campaign asks for: 一人一档 (a worker's) and 一企一档 (an
//! enterprise's), as JSON or as a workbook of several sheets. For the enterprise and the
//! bureaus above it only.

pub mod enterprise;
pub mod worker;

use actix_web::{web, HttpResponse};
use exam::report::{workbook_of, Sheet};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::routes::reports::xlsx;
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

/// An archive as JSON, or as the workbook `sheets` lays it out (built off the async workers).
pub async fn respond<T>(
    format: ExportFormat,
    archive: T,
    sheets: fn(T) -> Vec<Sheet>,
    filename: &str,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
{
    match format {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(archive)),
        ExportFormat::Xlsx => {
            let bytes = web::block(move || workbook_of(sheets(archive)))
                .await?
                .map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
            Ok(xlsx(bytes, filename))
        }
    }
}
