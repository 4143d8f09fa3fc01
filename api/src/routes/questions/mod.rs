//! The question bank (题库): banks per organization, versioned questions, import and export.
//! A bank is shared down the hierarchy read-only; only its own organization writes to it.

pub mod banks;
pub mod create;
pub mod export;
pub mod get;
pub mod import;
pub mod list;
pub mod update;

use chrono::{DateTime, Utc};
use exam::bank::{Category, Difficulty, Draft, FieldError, Question, QuestionKind};
use exam::{Industry, WorkerRole};
use models::bank::{self, Bank, Record};
use models::{BankId, DbConn};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AnyPrincipal;
use crate::error::{value_message, ApiError, Code, RowDetail};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBankRequest {
    /// The organization that owns the bank: the caller's own.
    pub organization_id: String,
    #[schema(example = "兰山区企业自建题库")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankResponse {
    pub id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub name: String,
    /// Active questions.
    pub question_count: i64,
    /// True when the bank belongs to another organization (pushed down from above, or
    /// below the caller): the caller may use it but not change it.
    pub read_only: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankList {
    pub items: Vec<BankResponse>,
}

impl BankResponse {
    pub fn of(b: Bank, me: &AnyPrincipal) -> Self {
        BankResponse {
            read_only: !(b.organization_id == me.org.id && me.role.may_manage_questions(exam::access::Relation::Own)),
            id: b.id.to_string(),
            organization_id: b.organization_id.to_string(),
            organization_name: b.organization_name,
            name: b.name,
            question_count: b.question_count,
            created_at: b.created_at.and_utc(),
        }
    }
}

pub use exam::bank_file::QuestionInput;

/// Checks a question as written, every problem at once.
pub fn validate(input: QuestionInput) -> Result<Question, ApiError> {
    Draft::from(input).validate().map_err(field_errors)
}

/// Every field problem of a question at once: the first names the field, all are listed.
pub fn field_errors(errors: Vec<FieldError>) -> ApiError {
    let rows = errors.iter().map(|e| row_detail(0, e.field, &e.error)).collect();
    match errors.into_iter().next() {
        Some(first) => ApiError::invalid(first.field, first.error).rows(rows),
        None => ApiError::new(Code::ValidationFailed),
    }
}

pub fn row_detail(line: usize, field: &str, e: &exam::ValueError) -> RowDetail {
    RowDetail { row: line, column: field.to_owned(), zh: value_message(e, false), en: value_message(e, true) }
}

/// A question with its key: for bank staff only, never for candidates.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionResponse {
    pub id: String,
    pub bank_id: String,
    /// Starts at 1; every change of content adds one. Papers keep the version they drew.
    pub version: i32,
    /// Retired questions are kept for the papers that hold them but no longer drawn.
    pub active: bool,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub kind: QuestionKind,
    pub category: Category,
    pub stem: String,
    pub options: Vec<String>,
    /// Letters of the correct options, or "true"/"false".
    pub answer: String,
    pub roles: Vec<WorkerRole>,
    pub industries: Vec<Industry>,
    pub difficulty: Difficulty,
    pub explanation: String,
    pub legal_basis: String,
    pub updated_at: DateTime<Utc>,
}

impl From<Record> for QuestionResponse {
    fn from(r: Record) -> Self {
        let q = r.question;
        QuestionResponse {
            id: r.id.to_string(),
            bank_id: r.bank_id.to_string(),
            version: r.version,
            active: r.active,
            answer: q.answer.render(q.kind),
            reference: q.reference,
            kind: q.kind,
            category: q.category,
            stem: q.stem,
            options: q.options,
            roles: q.roles,
            industries: q.industries,
            difficulty: q.difficulty,
            explanation: q.explanation,
            legal_basis: q.legal_basis,
            updated_at: r.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionPage {
    pub items: Vec<QuestionResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuestionsQuery {
    pub category: Option<Category>,
    pub kind: Option<QuestionKind>,
    /// Also list retired questions.
    pub include_retired: Option<bool>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A bank the caller may read (write: also change); 404 outside its view, 403
/// `bank_read_only` for a bank it sees but does not own.
pub fn bank_for(conn: &mut DbConn, me: &AnyPrincipal, id: &str, write: bool) -> Result<Bank, ApiError> {
    let id = BankId::parse(id).ok_or_else(ApiError::not_found)?;
    let b = bank::get_bank(conn, &id)?;
    if !me.scope().sees_shared(&b.organization_path) {
        return Err(ApiError::not_found());
    }
    me.require(|r| r.may_read_questions())?;
    if write && !(b.organization_id == me.org.id && me.role.may_manage_questions(exam::access::Relation::Own)) {
        return Err(ApiError::new(Code::BankReadOnly));
    }
    Ok(b)
}
