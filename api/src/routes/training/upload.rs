use std::collections::HashSet;
use std::sync::Arc;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use exam::evidence::{self, EvidenceError, EvidenceKind, MAX_EVIDENCE_BYTES, MAX_EVIDENCE_FILES};
use exam::roster::Problem;
use exam::training::{AttendanceError, SessionFields};
use futures_util::StreamExt;
use models::organization;
use models::training::{NewEvidence, NewSession, Source};
use models::{EvidenceId, OrgId, WorkerId};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{today_in_china, TrainingSessionResponse};
use crate::auth::Principal;
use crate::error::{value_message, ApiError, Code, ErrorBody, RowDetail};
use crate::evidence_store::EvidenceStore;
use crate::state::AppState;

/// The largest attendance sheet accepted.
pub const MAX_SHEET_BYTES: usize = 5 * 1024 * 1024;

/// What the whole upload may come to: the sheet, the evidence files and the form's own
/// lines. A request announcing more is refused before anything is read.
const MAX_UPLOAD_BYTES: usize = MAX_SHEET_BYTES + MAX_EVIDENCE_FILES * MAX_EVIDENCE_BYTES + 64 * 1024;

/// A file part of the form.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FilePart(pub Vec<u8>);

/// The form of `uploadTrainingRecord` (multipart/form-data).
#[derive(Debug, ToSchema)]
pub struct TrainingRecordForm {
    /// The filled attendance sheet from `downloadTrainingTemplate` (XLSX, or CSV laid out
    /// the same), at most 5 MB.
    pub template: FilePart,
    /// Photos (JPEG, PNG) or scans (PDF) of the session, as the evidence: 1 to 10 parts of
    /// at most 10 MB each, each with its file name. Checked by content: a file whose
    /// content is not what its name or type says is refused.
    pub evidence: Vec<FilePart>,
}

/// An evidence part as received.
struct Part {
    file_name: String,
    declared: Option<String>,
    bytes: Vec<u8>,
}

fn too_large(field: &str) -> ApiError {
    ApiError::new(Code::PayloadTooLarge).field(field)
}

fn malformed(e: actix_multipart::MultipartError) -> ApiError {
    ApiError::new(Code::InvalidRequest).detail(crate::error::Detail::Parser(e.to_string()))
}

/// Reads one part whole, refusing it as soon as it passes `limit`.
async fn read_part(
    field: &mut actix_multipart::Field,
    limit: usize,
    refuse: impl Fn() -> ApiError,
) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(malformed)?;
        if bytes.len() + chunk.len() > limit {
            return Err(refuse());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The form's parts: the sheet and the evidence files, each within its limit.
async fn read_form(req: &HttpRequest, payload: web::Payload) -> Result<(Option<Vec<u8>>, Vec<Part>), ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError::new(Code::UnsupportedMediaType).text(
            "请以 multipart/form-data 上传签到表（template）和佐证材料（evidence）",
            "send multipart/form-data with the sheet (`template`) and the evidence files (`evidence`)",
        ));
    }
    let announced = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if announced.is_some_and(|n| n > MAX_UPLOAD_BYTES) {
        return Err(too_large("evidence"));
    }
    let mut form = Multipart::new(req.headers(), payload);
    let mut template = None;
    let mut parts = Vec::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "template" if template.is_none() => {
                template = Some(read_part(&mut field, MAX_SHEET_BYTES, || too_large("template")).await?);
            }
            "evidence" if parts.len() < MAX_EVIDENCE_FILES => {
                let at = format!("evidence[{}]", parts.len());
                // Browsers send the name as UTF-8 in `filename`; some clients only in `filename*`.
                let file_name = field
                    .content_disposition()
                    .and_then(|d| {
                        d.get_filename()
                            .map(str::to_owned)
                            .or_else(|| d.get_filename_ext().and_then(|v| String::from_utf8(v.value.clone()).ok()))
                    })
                    .map(|name| evidence::safe_file_name(&name))
                    .unwrap_or_default();
                let declared = field.content_type().map(|m| m.essence_str().to_owned());
                let bytes = read_part(&mut field, MAX_EVIDENCE_BYTES, || {
                    ApiError::new(Code::EvidenceTooLarge).field(at.as_str()).text(
                        format!("{file_name}：每个文件不超过 {} MB", MAX_EVIDENCE_BYTES / (1024 * 1024)),
                        format!("{file_name}: at most {} MB a file", MAX_EVIDENCE_BYTES / (1024 * 1024)),
                    )
                })
                .await?;
                parts.push(Part { file_name, declared, bytes });
            }
            "evidence" => {
                return Err(ApiError::new(Code::ValidationFailed).field("evidence").text(
                    format!("最多上传 {MAX_EVIDENCE_FILES} 个佐证材料文件"),
                    format!("at most {MAX_EVIDENCE_FILES} evidence files"),
                ))
            }
            "template" => {
                return Err(ApiError::new(Code::ValidationFailed)
                    .field("template")
                    .text("只能上传一份签到表", "send one sheet only"))
            }
            other => {
                return Err(ApiError::new(Code::ValidationFailed)
                    .field(if other.is_empty() { "form" } else { other })
                    .text("表单只含 template 和 evidence 两项", "the form holds only `template` and `evidence` parts"))
            }
        }
    }
    Ok((template, parts))
}

/// An evidence file refused, with its place in the form and its name.
fn evidence_error(i: usize, name: &str, e: EvidenceError) -> ApiError {
    let field = format!("evidence[{i}]");
    match e {
        EvidenceError::Empty => ApiError::new(Code::EvidenceDamaged)
            .field(field)
            .text(format!("{name}：文件是空的"), format!("{name}: the file is empty")),
        EvidenceError::TooLarge { max } => ApiError::new(Code::EvidenceTooLarge).field(field).text(
            format!("{name}：每个文件不超过 {} MB", max / (1024 * 1024)),
            format!("{name}: at most {} MB a file", max / (1024 * 1024)),
        ),
        EvidenceError::UnsupportedType => ApiError::new(Code::EvidenceUnsupported).field(field).text(
            format!("{name}：只接受 JPEG、PNG 照片或 PDF 扫描件（手机请以 JPEG 格式上传）"),
            format!("{name}: only JPEG or PNG photos and PDF scans (phones: send JPEG)"),
        ),
        EvidenceError::Disguised { found } => ApiError::new(Code::EvidenceDisguised).field(field).text(
            format!("{name}：文件实际是{}，与文件名或类型不符", found.label_zh()),
            format!("{name}: the file is really {}, not what its name or type says", found.as_str()),
        ),
        EvidenceError::Damaged(kind) => ApiError::new(Code::EvidenceDamaged).field(field).text(
            format!("{name}：{}已损坏或不完整", kind.label_zh()),
            format!("{name}: the {} is damaged or incomplete", kind.as_str()),
        ),
    }
}

fn sheet_error(e: AttendanceError) -> ApiError {
    let invalid = ApiError::new(Code::TrainingRecordInvalid).field("template");
    match e {
        AttendanceError::Unreadable(why) => invalid.text(
            "无法读取签到表，请上传从本系统下载的 XLSX 签到表",
            format!("cannot read the sheet ({why}); upload the XLSX attendance sheet from downloadTrainingTemplate"),
        ),
        AttendanceError::NotTheTemplate => invalid.text(
            "这不是培训签到表：未找到“姓名”“身份证号码”表头，请使用下载的模板",
            "this is not the attendance sheet: no 姓名 and 身份证号码 header; use the downloaded template",
        ),
        AttendanceError::NoAttendees => invalid.text("签到表中没有参训人员", "the sheet lists no attendees"),
        AttendanceError::TooManyRows { max } => {
            invalid.text(format!("一张签到表最多 {max} 人"), format!("at most {max} attendees a sheet"))
        }
        AttendanceError::Problems(problems) => invalid.rows(
            problems
                .iter()
                .map(|p| {
                    let (zh, en) = match &p.problem {
                        Problem::Value(e) => (value_message(e, false), value_message(e, true)),
                        Problem::Missing => ("必填，不能为空".into(), "is required".into()),
                        Problem::NumericIdCell => (
                            "被表格存成了数字（末几位会丢失），请把该列设为“文本”格式后重新填写".into(),
                            "was stored as a number, which loses the last digits; format the column as text and type it again"
                                .into(),
                        ),
                        Problem::DuplicateOf(first) => (format!("与第 {first} 行重复"), format!("repeats row {first}")),
                    };
                    RowDetail { row: p.line, column: p.column.to_owned(), zh, en }
                })
                .collect(),
        ),
    }
}

/// What was checked before anything is stored.
struct Checked {
    org: OrgId,
    fields: SessionFields,
    attendees: Vec<WorkerId>,
    files: Vec<(Part, EvidenceKind)>,
}

/// Upload an offline training record: the filled attendance sheet from
/// `downloadTrainingTemplate` and photos or scans of the session as evidence, in one
/// multipart form. All or nothing: every row is checked against the registry (a worker of
/// this enterprise, the name as registered), every problem is listed by row and column,
/// and every file is checked by its content (JPEG, PNG or PDF, whole, and what its name
/// says); then the session, its attendees and the evidence are kept — the files sealed with
/// the data key in the evidence store.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/training-records", operation_id = "uploadTrainingRecord",
    tag = "training", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Enterprise id")),
    request_body(content = TrainingRecordForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = TrainingSessionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large, evidence_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type: not multipart/form-data", body = ErrorBody),
        (status = 422, description = "training_record_invalid (with `errors` by row and column), evidence_unsupported, evidence_disguised, evidence_damaged, validation_failed", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn upload_training_record(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let account = me.account_id.clone();
    // Who may upload is known before the body is read.
    let org = state.db(move |conn, cipher| super::enterprise_of(conn, cipher, &me, &org_id)).await?;
    let (template, parts) = read_form(&req, payload).await?;
    let template = template.ok_or_else(|| {
        ApiError::new(Code::ValidationFailed)
            .field("template")
            .text("请上传填好的签到表", "the filled sheet is missing")
    })?;
    if parts.is_empty() {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("evidence")
            .text("请上传至少一份现场照片或签到表扫描件", "send at least one photo or scan of the session"));
    }
    let Checked { org, fields, attendees, files } =
        state.db(move |conn, cipher| check(conn, cipher, org, template, parts)).await?;
    // The files go into the store first, sealed; if recording the session then fails they
    // are removed again, so nothing is left of a refused upload.
    let (store, cipher, at) = (Arc::clone(&state.evidence), state.cipher.clone(), org.clone());
    let evidence = web::block(move || store_all(store.as_ref(), &cipher, &at, files)).await??;
    let keys: Vec<String> = evidence.iter().map(|e| e.store_key.clone()).collect();
    let new = NewSession { organization_id: org, fields, source: Source::Upload, attendees, created_by: account };
    let recorded = state
        .db(move |conn, _| {
            let session = models::training::create(conn, new, &evidence)?;
            let files = models::training::evidence_of_session(conn, &session.id)?;
            Ok((session, files))
        })
        .await;
    match recorded {
        Ok((session, files)) => {
            tracing::info!(session = %session.id, attendees = session.attendees, files = files.len(), "training record uploaded");
            Ok(HttpResponse::Created().json(TrainingSessionResponse::of(session, files)))
        }
        Err(e) => {
            let store = Arc::clone(&state.evidence);
            let _ = web::block(move || remove_all(store.as_ref(), &keys)).await;
            Err(e)
        }
    }
}

/// Checks the evidence files by content and the sheet against the registry: every problem
/// is found before anything is kept.
fn check(
    conn: &mut models::DbConn,
    cipher: &models::Cipher,
    org: organization::Organization,
    template: Vec<u8>,
    parts: Vec<Part>,
) -> Result<Checked, ApiError> {
    let mut files = Vec::with_capacity(parts.len());
    for (i, part) in parts.into_iter().enumerate() {
        let kind = evidence::check(&part.file_name, part.declared.as_deref(), &part.bytes)
            .map_err(|e| evidence_error(i, &part.file_name, e))?;
        files.push((part, kind));
    }
    let sheet = exam::training::parse_attendance(&template).map_err(sheet_error)?;
    let mut problems = Vec::new();
    if sheet.fields.held_on > today_in_china() {
        problems.push(RowDetail {
            row: 0,
            column: exam::training::Field::HeldOn.label().to_owned(),
            zh: "不能晚于今天".into(),
            en: "must not be after today".into(),
        });
    }
    let mut attendees = Vec::with_capacity(sheet.attendees.len());
    let mut seen = HashSet::new();
    for row in &sheet.attendees {
        let at = |column: &str, zh: &str, en: &str| RowDetail {
            row: row.line,
            column: column.to_owned(),
            zh: zh.to_owned(),
            en: en.to_owned(),
        };
        match models::worker::find_by_resident_id(conn, cipher, &row.resident_id)? {
            Some(w) if w.organization_id == org.id && w.active => {
                if w.name != row.name.as_str() {
                    problems.push(at(
                        "姓名",
                        "与本企业登记的姓名不一致",
                        "does not match the name this enterprise registered",
                    ));
                } else if seen.insert(w.id.clone()) {
                    attendees.push(w.id);
                }
            }
            Some(w) if w.organization_id == org.id => problems.push(at(
                "身份证号码",
                "该人员已停用（离职），不能记为参训",
                "this worker is no longer active here",
            )),
            _ => problems.push(at(
                "身份证号码",
                "未在本企业登记；请先导入名册或让其注册",
                "is not registered with this enterprise; import or register them first",
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::new(Code::TrainingRecordInvalid).field("template").rows(problems));
    }
    Ok(Checked { org: org.id, fields: sheet.fields, attendees, files })
}

/// The sealing context of an evidence file: bound to its id, so a sealed file cannot be
/// passed off as another.
pub fn sealing_context(id: &EvidenceId) -> String {
    format!("training_evidence/{id}")
}

/// Seals and stores the files; on a failure the ones stored are removed again.
fn store_all(
    store: &dyn EvidenceStore,
    cipher: &models::Cipher,
    org: &OrgId,
    files: Vec<(Part, EvidenceKind)>,
) -> Result<Vec<NewEvidence>, ApiError> {
    let mut done: Vec<NewEvidence> = Vec::with_capacity(files.len());
    for (part, kind) in files {
        let id = EvidenceId::new();
        let store_key = format!("training/{org}/{id}");
        let sealed = cipher.seal(&sealing_context(&id), &part.bytes);
        if let Err(e) = store.put(&store_key, &sealed) {
            remove_all(store, &done.iter().map(|d| d.store_key.clone()).collect::<Vec<_>>());
            return Err(ApiError::internal(e));
        }
        let file_name = if part.file_name.is_empty() {
            format!("evidence.{}", kind.extensions().first().copied().unwrap_or("bin"))
        } else {
            part.file_name
        };
        let sha256 = Sha256::digest(&part.bytes).iter().map(|b| format!("{b:02x}")).collect();
        done.push(NewEvidence { id, file_name, kind, size_bytes: part.bytes.len() as i64, sha256, store_key });
    }
    Ok(done)
}

fn remove_all(store: &dyn EvidenceStore, keys: &[String]) {
    for key in keys {
        if let Err(e) = store.delete(key) {
            tracing::warn!(key = %key, error = %e, "an evidence file of a refused upload could not be removed");
        }
    }
}
