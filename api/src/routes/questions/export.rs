use actix_web::http::header;
use actix_web::{web, HttpResponse};
use exam::bank_file::{self, JsonFile};
use models::bank;
use serde::Deserialize;
use utoipa::IntoParams;

use super::bank_for;
use super::import::QuestionFile;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::routes::workers::export_principals::XLSX;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// json (default; the import format), csv or xlsx.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// Export a bank's active questions with their keys, in a format importQuestions reads.
#[utoipa::path(get, path = "/api/v1/question-banks/{id}/export", operation_id = "exportQuestions", tag = "question bank",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Bank id"), ExportQuery),
    responses(
        (status = 200, description = "The questions", content((JsonFile = "application/json"), (QuestionFile = "text/csv"),
            (QuestionFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn export_questions(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = query.0.format.unwrap_or_default();
    let questions = state
        .db(move |conn, _| {
            let b = bank_for(conn, &me, &id, false)?;
            Ok(bank::all(conn, &b.id)?.into_iter().map(|r| r.question).collect::<Vec<_>>())
        })
        .await?;
    let (bytes, content_type, ext) = match format {
        ExportFormat::Json => (bank_file::to_json(&questions), "application/json", "json"),
        ExportFormat::Csv => (bank_file::to_csv(&questions), "text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => (bank_file::to_xlsx(&questions), XLSX, "xlsx"),
    };
    let bytes = bytes.map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"questions.{ext}\"")))
        .body(bytes))
}
