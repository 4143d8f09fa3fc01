use actix_web::http::header;
use actix_web::{web, HttpResponse};
use exam::roster::{self, PrincipalLine};
use models::{audit, organization, worker, Jurisdiction, OrgId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::import::RosterFile;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Json,
    Xlsx,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// One line of 附件1, ID number whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrincipalRow {
    /// 序号
    pub seq: usize,
    /// 姓名
    pub name: String,
    /// 身份证号码 (whole: this export is for the bureaus and is audited)
    pub resident_id: String,
    /// 单位类型
    pub unit_type: String,
    /// 工作单位
    pub unit: String,
    /// 备注
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrincipalsExport {
    pub title: String,
    pub organization_id: String,
    pub items: Vec<PrincipalRow>,
}

/// Export the principals (主要负责人) of the above-scale enterprises under a bureau, as
/// the campaign notice's 附件1 (序号, 姓名, 身份证号码, 单位类型, 工作单位, 备注), in JSON or
/// XLSX. ID numbers are whole, so only bureau staff may export, and every export is
/// written to the audit log.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/principals", operation_id = "exportPrincipals", tag = "workers",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Bureau (or enterprise) id"), ExportQuery),
    responses(
        (status = 200, description = "The list", content((PrincipalsExport = "application/json"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn export_principals(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_export_personal_data())?;
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let format = query.0.format.unwrap_or_default();
    let (title, lines) = state
        .db(move |conn, cipher| {
            let org = organization::find_in(conn, cipher, me.scope(), &org_id)?;
            let found = worker::principals_of_large_enterprises(conn, cipher, &Jurisdiction::of(&org))?;
            let lines: Vec<PrincipalLine> = found
                .into_iter()
                .map(|(w, unit, industry)| PrincipalLine {
                    name: w.name,
                    resident_id: w.resident_id.expose().to_owned(),
                    unit_type: industry.map(|i| i.label_zh().to_owned()).unwrap_or_default(),
                    unit,
                    note: w.position.unwrap_or_default(),
                })
                .collect();
            let details = json!({"count": lines.len(), "format": match format { ExportFormat::Json => "json", ExportFormat::Xlsx => "xlsx" }});
            audit::record(conn, Some(&me.account_id), "export_principals", org.id.as_str(), &details)?;
            Ok((format!("{}规模以上企业主要负责人名单", org.name), lines))
        })
        .await?;
    tracing::info!(count = lines.len(), "principals exported");
    match format {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(PrincipalsExport {
            title,
            organization_id: id.into_inner(),
            items: lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| PrincipalRow {
                    seq: i + 1,
                    name: l.name,
                    resident_id: l.resident_id,
                    unit_type: l.unit_type,
                    unit: l.unit,
                    note: l.note,
                })
                .collect(),
        })),
        ExportFormat::Xlsx => {
            let bytes = web::block(move || roster::principals_xlsx(&title, &lines))
                .await?
                .map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
            Ok(HttpResponse::Ok()
                .content_type(XLSX)
                .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"principals.xlsx\""))
                .body(bytes))
        }
    }
}
