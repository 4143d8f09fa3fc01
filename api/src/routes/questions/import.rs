use actix_web::{web, HttpResponse};
use exam::bank_file::{self, FileError, JsonFile};
use models::bank;
use serde::Serialize;
use utoipa::ToSchema;

use super::{bank_for, row_detail};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Body;
use crate::state::AppState;

/// The largest question file accepted.
pub const MAX_QUESTION_FILE_BYTES: usize = 20 * 1024 * 1024;

/// A question table: CSV (UTF-8 or GB18030) or XLSX, recognised by content.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct QuestionFile(pub Vec<u8>);

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionImportResult {
    pub created: usize,
    /// Questions matched by `ref` whose content changed: each got a new version.
    pub revised: usize,
    /// Questions matched by `ref` with the same content.
    pub unchanged: usize,
}

fn file_error(e: FileError) -> ApiError {
    let invalid = ApiError::new(Code::QuestionsInvalid);
    match e {
        FileError::Unreadable(why) => invalid.text(
            "无法读取文件，请上传 JSON、CSV 或 XLSX 格式的试题文件",
            format!("cannot read the file ({why}); upload a JSON, CSV or XLSX question file"),
        ),
        FileError::MissingColumns(cols) => invalid.text(
            format!("缺少必需的列：{}", cols.join("、")),
            format!("missing required columns: {}", cols.join(", ")),
        ),
        FileError::Empty => invalid.text("文件中没有试题", "the file holds no questions"),
        FileError::TooManyRows { max } => {
            invalid.text(format!("一次最多导入 {max} 道题，请分批上传"), format!("at most {max} questions per file"))
        }
        FileError::Rows(rows) => invalid.rows(rows.iter().map(|r| row_detail(r.line, r.field, &r.error)).collect()),
    }
}

/// Import questions into one of the caller's own banks. All or nothing: when any row is
/// wrong nothing is imported and every problem is listed by row (JSON: the question's
/// position from 1) and field. A `ref` already in the bank revises that question.
#[utoipa::path(post, path = "/api/v1/question-banks/{id}/import", operation_id = "importQuestions", tag = "question bank",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Bank id")),
    request_body(description = "JSON as exportQuestions writes it, or a table with columns 编号, 题型, 类别, 题干, 选项A…选项F, 答案, 适用人员, 适用行业, 难度, 解析, 法律依据",
        content((JsonFile = "application/json"), (QuestionFile = "text/csv"),
            (QuestionFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 201, body = QuestionImportResult), (status = 401, body = ErrorBody),
        (status = 403, description = "forbidden or bank_read_only", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "questions_invalid, with `errors` by row and field", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn import_questions(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let bytes = body.0;
    let summary = state
        .db(move |conn, _| {
            let b = bank_for(conn, &me, &id, true)?;
            let questions: Vec<_> = bank_file::parse(&bytes).map_err(file_error)?.into_iter().map(|(_, q)| q).collect();
            models::db::write_transaction(conn, |conn| Ok(bank::import(conn, &b.id, &questions, Some(&me.account_id))?))
        })
        .await?;
    tracing::info!(created = summary.created, revised = summary.revised, "questions imported");
    Ok(HttpResponse::Created().json(QuestionImportResult {
        created: summary.created,
        revised: summary.revised,
        unchanged: summary.unchanged,
    }))
}
