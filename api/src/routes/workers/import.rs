use actix_web::{web, HttpResponse};
use exam::roster::{self, Column, Problem, RosterError};
use exam::OrgLevel;
use models::worker::{self, HistoryKind, NewWorker, Status};
use models::{organization, OrgId};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{value_message, ApiError, Code, ErrorBody, RowDetail};
use crate::extract::Body;
use crate::state::AppState;

/// The largest roster file accepted.
pub const MAX_ROSTER_BYTES: usize = 5 * 1024 * 1024;

/// A roster file: CSV (UTF-8 or GB18030) or XLSX, recognised by content.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct RosterFile(pub Vec<u8>);

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// New records created (pre-registered: each worker still registers in the app).
    pub imported: usize,
    /// Rows of people already on this enterprise's roster, left as they are.
    pub unchanged: usize,
}

fn row(line: usize, column: Column, zh: impl Into<String>, en: impl Into<String>) -> RowDetail {
    RowDetail { row: line, column: column.header().to_owned(), zh: zh.into(), en: en.into() }
}

fn describe(problem: &Problem) -> (String, String) {
    match problem {
        Problem::Value(e) => (value_message(e, false), value_message(e, true)),
        Problem::Missing => ("必填，不能为空".into(), "is required".into()),
        Problem::NumericIdCell => (
            "被表格存成了数字（末几位会丢失），请把该列设为“文本”格式后重新填写".into(),
            "was stored as a number, which loses the last digits; format the column as text and type it again".into(),
        ),
        Problem::DuplicateOf(first) => (format!("与第 {first} 行重复"), format!("repeats row {first}")),
    }
}

fn roster_error(e: RosterError) -> ApiError {
    let invalid = ApiError::new(Code::RosterInvalid);
    match e {
        RosterError::Unreadable(why) => invalid.text(
            "无法读取文件，请上传 CSV 或 XLSX 格式的名册",
            format!("cannot read the file ({why}); upload a CSV or XLSX roster"),
        ),
        RosterError::MissingColumns(cols) => {
            let names: Vec<&str> = cols.iter().map(|c| c.header()).collect();
            invalid.text(
                format!("缺少必需的列：{}", names.join("、")),
                format!("missing required columns: {}", names.join(", ")),
            )
        }
        RosterError::Empty => invalid.text("名册中没有人员", "the roster holds no rows"),
        RosterError::TooManyRows { max } => {
            invalid.text(format!("一次最多导入 {max} 人，请分批上传"), format!("at most {max} rows per file; split it"))
        }
        RosterError::Rows(rows) => invalid.rows(
            rows.iter()
                .map(|r| {
                    let (zh, en) = describe(&r.problem);
                    row(r.line, r.column, zh, en)
                })
                .collect(),
        ),
    }
}

/// Import an enterprise's roster (its admins, or a bureau above it). All or nothing: when
/// any row is wrong nothing is imported and every problem is listed by row and column.
/// Imported workers are pre-registered; each still registers in the app with the
/// enterprise's code, which binds to the imported record.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/workers/import", operation_id = "importWorkers", tag = "workers",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Enterprise id")),
    request_body(description = "The roster: columns 姓名, 身份证号码, 手机号码, 人员类别, 岗位 (phone and position optional)",
        content((RosterFile = "text/csv"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 201, body = ImportResult), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "roster_invalid, with `errors` by row and column", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn import_workers(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let result = state
        .db(move |conn, cipher| {
            let org = organization::find_in(conn, cipher, me.scope(), &org_id)?;
            if !me.role.may_manage_workers(me.relation(&org)?) {
                return Err(ApiError::forbidden());
            }
            if org.level != OrgLevel::Enterprise {
                return Err(ApiError::new(Code::ValidationFailed).text("只能为企业导入名册", "rosters are imported into enterprises"));
            }
            let rows = roster::parse(&body).map_err(roster_error)?;
            models::db::write_transaction(conn, |conn| {
                let mut problems = Vec::new();
                let mut fresh = Vec::new();
                let mut unchanged = 0;
                for r in &rows {
                    match worker::find_by_resident_id(conn, cipher, &r.resident_id)? {
                        Some(existing) if existing.organization_id == org.id => unchanged += 1,
                        Some(_) => problems.push(row(
                            r.line,
                            Column::ResidentId,
                            "此人已在其他单位登记；调入本单位须本人用本单位注册码注册",
                            "this person is registered with another employer; they move by registering with this enterprise's code",
                        )),
                        None => fresh.push(r),
                    }
                    if let Some(p) = &r.phone {
                        if worker::find_by_phone(conn, cipher, p)?.is_some_and(|holder| holder.resident_id != r.resident_id) {
                            problems.push(row(r.line, Column::Phone, "已被其他人员登记", "is registered to someone else"));
                        }
                    }
                }
                if !problems.is_empty() {
                    return Err(ApiError::new(Code::RosterInvalid).rows(problems));
                }
                for r in &fresh {
                    let record = worker::insert(
                        conn,
                        cipher,
                        NewWorker {
                            organization_id: org.id.clone(),
                            account_id: None,
                            name: r.name.as_str().to_owned(),
                            resident_id: r.resident_id.clone(),
                            phone: r.phone.clone(),
                            role: r.role,
                            position: r.position.clone(),
                            status: Status::PreRegistered,
                            face_consent_version: None,
                        },
                    )?;
                    let changes = json!({"name": r.name.as_str(), "role": r.role.as_str(), "row": r.line});
                    worker::record_history(conn, &record.id, Some(&me.account_id), HistoryKind::Imported, None, &changes)?;
                }
                Ok(ImportResult { imported: fresh.len(), unchanged })
            })
        })
        .await?;
    tracing::info!(imported = result.imported, unchanged = result.unchanged, "roster imported");
    Ok(HttpResponse::Created().json(result))
}
