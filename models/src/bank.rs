//! Question banks and versioned questions. A question's content is never changed in
//! place: an edit writes a new version, and papers keep pointing at the version they drew.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::bank::{Category, Choice, Difficulty, Question, QuestionKind};
use exam::{Industry, WorkerRole};

use crate::schema::{organizations as o, question_banks as b, question_versions as v, questions as q};
use crate::{AccountId, BankId, DbConn, DbError, Jurisdiction, OrgId, Page, PageRequest, QuestionId};

/// A bank, with where its owner sits in the hierarchy.
#[derive(Debug, Clone)]
pub struct Bank {
    pub id: BankId,
    pub organization_id: OrgId,
    pub organization_name: String,
    pub organization_path: String,
    pub name: String,
    pub question_count: i64,
    pub created_at: NaiveDateTime,
}

/// One question at its current version.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: QuestionId,
    pub bank_id: BankId,
    pub version: i32,
    pub version_id: String,
    pub active: bool,
    pub question: Question,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = v)]
struct VersionRow {
    id: String,
    kind: String,
    category: String,
    stem: String,
    options: String,
    answer: String,
    roles: String,
    industries: String,
    difficulty: String,
    explanation: String,
    legal_basis: String,
}

pub(crate) fn list_of<T>(s: &str, parse: fn(&str) -> Result<T, exam::ValueError>) -> Option<Vec<T>> {
    s.split(',').filter(|x| !x.is_empty()).map(|x| parse(x).ok()).collect()
}

impl VersionRow {
    fn into_question(self, reference: Option<String>) -> Result<Question, DbError> {
        let corrupt = || DbError::Corrupt(format!("question_versions {}", self.id));
        let kind = QuestionKind::parse(&self.kind).map_err(|_| corrupt())?;
        let options: Vec<String> = serde_json::from_str(&self.options).map_err(|_| corrupt())?;
        Ok(Question {
            reference,
            kind,
            category: Category::parse(&self.category).map_err(|_| corrupt())?,
            answer: Choice::parse(kind, options.len(), &self.answer).map_err(|_| corrupt())?,
            options,
            stem: self.stem,
            roles: list_of(&self.roles, WorkerRole::parse).ok_or_else(corrupt)?,
            industries: list_of(&self.industries, Industry::parse).ok_or_else(corrupt)?,
            difficulty: Difficulty::parse(&self.difficulty).map_err(|_| corrupt())?,
            explanation: self.explanation,
            legal_basis: self.legal_basis,
        })
    }
}

pub(crate) fn join<T: Copy>(items: &[T], code: fn(T) -> &'static str) -> String {
    items.iter().map(|i| code(*i)).collect::<Vec<_>>().join(",")
}

type BankRow = (String, String, String, String, String, NaiveDateTime);

fn bank_of(conn: &mut DbConn, row: BankRow) -> Result<Bank, DbError> {
    let (id, organization_id, organization_name, organization_path, name, created_at) = row;
    let question_count = q::table.filter(q::bank_id.eq(&id)).filter(q::active.eq(true)).count().get_result(conn)?;
    Ok(Bank {
        id: BankId::from_db(id),
        organization_id: OrgId::from_db(organization_id),
        organization_name,
        organization_path,
        name,
        question_count,
        created_at,
    })
}

macro_rules! bank_columns {
    () => {
        (b::id, b::organization_id, o::name, o::path, b::name, b::created_at)
    };
}

pub fn create_bank(conn: &mut DbConn, org: &OrgId, name: &str, by: Option<&AccountId>) -> Result<Bank, DbError> {
    let id = BankId::new();
    let now = crate::now();
    diesel::insert_into(b::table)
        .values((
            b::id.eq(id.as_str()),
            b::organization_id.eq(org.as_str()),
            b::name.eq(name),
            b::created_by.eq(by.map(AccountId::as_str)),
            b::created_at.eq(now),
            b::updated_at.eq(now),
        ))
        .execute(conn)?;
    get_bank(conn, &id)
}

/// A bank regardless of jurisdiction; callers decide with [`Jurisdiction::sees_shared`].
pub fn get_bank(conn: &mut DbConn, id: &BankId) -> Result<Bank, DbError> {
    let row = b::table.inner_join(o::table).filter(b::id.eq(id.as_str())).select(bank_columns!()).get_result(conn)?;
    bank_of(conn, row)
}

/// The banks a caller can use: its own organization's, its ancestors' (pushed down,
/// read-only) and those of its subtree.
pub fn list_banks(conn: &mut DbConn, scope: &Jurisdiction) -> Result<Vec<Bank>, DbError> {
    let rows: Vec<BankRow> = b::table
        .inner_join(o::table)
        .filter(o::path.like(scope.like_pattern()).or(o::id.eq_any(scope.ancestor_ids())))
        .order(b::id)
        .select(bank_columns!())
        .load(conn)?;
    rows.into_iter().map(|r| bank_of(conn, r)).collect()
}

fn insert_version(
    conn: &mut DbConn,
    id: &str,
    question: &QuestionId,
    version: i32,
    x: &Question,
    by: Option<&AccountId>,
) -> Result<(), DbError> {
    let options = serde_json::to_string(&x.options).map_err(|e| DbError::Corrupt(e.to_string()))?;
    diesel::insert_into(v::table)
        .values((
            v::id.eq(id),
            v::question_id.eq(question.as_str()),
            v::version.eq(version),
            v::kind.eq(x.kind.as_str()),
            v::category.eq(x.category.as_str()),
            v::stem.eq(&x.stem),
            v::options.eq(options),
            v::answer.eq(x.answer.render(x.kind)),
            v::roles.eq(join(&x.roles, WorkerRole::as_str)),
            v::industries.eq(join(&x.industries, Industry::as_str)),
            v::difficulty.eq(x.difficulty.as_str()),
            v::explanation.eq(&x.explanation),
            v::legal_basis.eq(&x.legal_basis),
            v::created_by.eq(by.map(AccountId::as_str)),
            v::created_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Adds a question (version 1).
pub fn add(conn: &mut DbConn, bank: &BankId, x: &Question, by: Option<&AccountId>) -> Result<Record, DbError> {
    let id = QuestionId::new();
    let now = crate::now();
    // The version refers to the question and the question to its current version: the
    // question is written first, naming its version's id drawn in advance.
    let version_id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(q::table)
        .values((
            q::id.eq(id.as_str()),
            q::bank_id.eq(bank.as_str()),
            q::reference.eq(&x.reference),
            q::current_version_id.eq(&version_id),
            q::version.eq(1),
            q::active.eq(true),
            q::created_at.eq(now),
            q::updated_at.eq(now),
        ))
        .execute(conn)?;
    insert_version(conn, &version_id, &id, 1, x, by)?;
    get(conn, &id)
}

/// Writes a new version when the content changed; sets `active` either way.
pub fn revise(
    conn: &mut DbConn,
    id: &QuestionId,
    x: &Question,
    active: bool,
    by: Option<&AccountId>,
) -> Result<Record, DbError> {
    let current = get(conn, id)?;
    if current.question != *x {
        let version = current.version + 1;
        let version_id = uuid::Uuid::now_v7().to_string();
        insert_version(conn, &version_id, id, version, x, by)?;
        diesel::update(q::table.find(id.as_str()))
            .set((
                q::current_version_id.eq(version_id),
                q::version.eq(version),
                q::reference.eq(&x.reference),
                q::updated_at.eq(crate::now()),
            ))
            .execute(conn)?;
    }
    if current.active != active {
        diesel::update(q::table.find(id.as_str()))
            .set((q::active.eq(active), q::updated_at.eq(crate::now())))
            .execute(conn)?;
    }
    get(conn, id)
}

type RecordRow = (String, String, i32, bool, Option<String>, NaiveDateTime, VersionRow);

fn record_of(row: RecordRow) -> Result<Record, DbError> {
    let (id, bank_id, version, active, reference, updated_at, version_row) = row;
    let version_id = version_row.id.clone();
    Ok(Record {
        id: QuestionId::from_db(id),
        bank_id: BankId::from_db(bank_id),
        version,
        version_id,
        active,
        question: version_row.into_question(reference)?,
        updated_at,
    })
}

macro_rules! record_columns {
    () => {
        (q::id, q::bank_id, q::version, q::active, q::reference, q::updated_at, VersionRow::as_select())
    };
}

pub fn get(conn: &mut DbConn, id: &QuestionId) -> Result<Record, DbError> {
    record_of(q::table.inner_join(v::table).filter(q::id.eq(id.as_str())).select(record_columns!()).get_result(conn)?)
}

/// What a listing may narrow to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub category: Option<Category>,
    pub kind: Option<QuestionKind>,
    pub include_retired: bool,
}

pub fn list(conn: &mut DbConn, bank: &BankId, filter: &Filter, page: &PageRequest) -> Result<Page<Record>, DbError> {
    let mut query = q::table.inner_join(v::table).filter(q::bank_id.eq(bank.as_str())).into_boxed();
    if let Some(c) = filter.category {
        query = query.filter(v::category.eq(c.as_str()));
    }
    if let Some(k) = filter.kind {
        query = query.filter(v::kind.eq(k.as_str()));
    }
    if !filter.include_retired {
        query = query.filter(q::active.eq(true));
    }
    if let Some(after) = &page.after {
        query = query.filter(q::id.gt(after.id().to_owned()));
    }
    let rows: Vec<RecordRow> = query.order(q::id).limit(page.limit + 1).select(record_columns!()).load(conn)?;
    let items = rows.into_iter().map(record_of).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page.limit, |r| r.id.as_str()))
}

/// Every active question of a bank, for export.
pub fn all(conn: &mut DbConn, bank: &BankId) -> Result<Vec<Record>, DbError> {
    let rows: Vec<RecordRow> = q::table
        .inner_join(v::table)
        .filter(q::bank_id.eq(bank.as_str()))
        .filter(q::active.eq(true))
        .order(q::id)
        .select(record_columns!())
        .load(conn)?;
    rows.into_iter().map(record_of).collect()
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    /// Questions matched by reference whose content changed (a new version each).
    pub revised: usize,
    pub unchanged: usize,
}

/// Imports questions into a bank: a reference already in the bank revises that question,
/// anything else is added. Run inside one transaction for all or nothing.
pub fn import(
    conn: &mut DbConn,
    bank: &BankId,
    questions: &[Question],
    by: Option<&AccountId>,
) -> Result<ImportSummary, DbError> {
    let mut summary = ImportSummary::default();
    for x in questions {
        let existing: Option<String> = match &x.reference {
            Some(r) => q::table
                .filter(q::bank_id.eq(bank.as_str()))
                .filter(q::reference.eq(r))
                .select(q::id)
                .get_result(conn)
                .optional()?,
            None => None,
        };
        match existing {
            None => {
                add(conn, bank, x, by)?;
                summary.created += 1;
            }
            Some(id) => {
                let id = QuestionId::from_db(id);
                let before = get(conn, &id)?;
                let after = revise(conn, &id, x, true, by)?;
                if after.version != before.version || !before.active {
                    summary.revised += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
        }
    }
    Ok(summary)
}

/// A question version as the draw sees it.
#[derive(Debug, Clone)]
pub struct PoolEntry {
    pub version_id: String,
    pub kind: QuestionKind,
    pub category: Category,
    pub roles: Vec<WorkerRole>,
    pub industries: Vec<Industry>,
    pub options: u8,
}

impl PoolEntry {
    pub fn suits(&self, role: WorkerRole, industry: Option<Industry>) -> bool {
        exam::bank::suits(&self.roles, &self.industries, role, industry)
    }
}

/// The current versions of the active questions of some banks.
pub fn pool(conn: &mut DbConn, banks: &[BankId]) -> Result<Vec<PoolEntry>, DbError> {
    let ids: Vec<&str> = banks.iter().map(BankId::as_str).collect();
    let rows: Vec<(String, String, String, String, String, String)> = q::table
        .inner_join(v::table)
        .filter(q::bank_id.eq_any(ids))
        .filter(q::active.eq(true))
        .order(v::id)
        .select((v::id, v::kind, v::category, v::roles, v::industries, v::options))
        .load(conn)?;
    rows.into_iter()
        .map(|(version_id, kind, category, roles, industries, options)| {
            let corrupt = || DbError::Corrupt(format!("question_versions {version_id}"));
            let kind = QuestionKind::parse(&kind).map_err(|_| corrupt())?;
            let options = match kind {
                QuestionKind::TrueFalse => 2,
                _ => serde_json::from_str::<Vec<serde_json::Value>>(&options).map_err(|_| corrupt())?.len() as u8,
            };
            Ok(PoolEntry {
                kind,
                category: Category::parse(&category).map_err(|_| corrupt())?,
                roles: list_of(&roles, WorkerRole::parse).ok_or_else(corrupt)?,
                industries: list_of(&industries, Industry::parse).ok_or_else(corrupt)?,
                options,
                version_id,
            })
        })
        .collect()
}

/// Question versions by id (for a paper), keyed by version id.
pub fn versions(conn: &mut DbConn, ids: &[String]) -> Result<std::collections::HashMap<String, Question>, DbError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<VersionRow> = v::table.filter(v::id.eq_any(chunk)).select(VersionRow::as_select()).load(conn)?;
        for row in rows {
            let id = row.id.clone();
            out.insert(id, row.into_question(None)?);
        }
    }
    Ok(out)
}
