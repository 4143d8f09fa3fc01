//! Registration codes: issued for one enterprise, redeemed by workers registering.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::{RegCode, WorkerRole};

use crate::page::{Page, PageRequest};
use crate::schema::{organizations as o, registration_codes as r};
use crate::{AccountId, DbConn, DbError, Jurisdiction, OrgId, RegCodeId};

/// A registration code row.
#[derive(Debug, Clone)]
pub struct RegistrationCode {
    pub id: RegCodeId,
    pub code: RegCode,
    pub organization_id: OrgId,
    pub label: Option<String>,
    pub default_role: Option<WorkerRole>,
    pub max_uses: i32,
    pub uses: i32,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_by: Option<AccountId>,
    pub created_at: NaiveDateTime,
}

/// Whether a code can be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    Active,
    Expired,
    Exhausted,
    Revoked,
}

impl RegistrationCode {
    pub fn status(&self, now: NaiveDateTime) -> CodeStatus {
        if self.revoked_at.is_some() {
            CodeStatus::Revoked
        } else if self.expires_at <= now {
            CodeStatus::Expired
        } else if self.uses >= self.max_uses {
            CodeStatus::Exhausted
        } else {
            CodeStatus::Active
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = r)]
struct Row {
    id: String,
    code: String,
    organization_id: String,
    label: Option<String>,
    default_role: Option<String>,
    max_uses: i32,
    uses: i32,
    expires_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    created_by: Option<String>,
    created_at: NaiveDateTime,
}

impl TryFrom<Row> for RegistrationCode {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Self, DbError> {
        let corrupt = |c: &str| DbError::Corrupt(format!("registration_codes.{c}"));
        Ok(Self {
            id: RegCodeId::from_db(r.id),
            code: RegCode::parse(&r.code).map_err(|_| corrupt("code"))?,
            organization_id: OrgId::from_db(r.organization_id),
            label: r.label,
            default_role: r
                .default_role
                .map(|s| WorkerRole::parse(&s))
                .transpose()
                .map_err(|_| corrupt("default_role"))?,
            max_uses: r.max_uses,
            uses: r.uses,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            created_by: r.created_by.map(AccountId::from_db),
            created_at: r.created_at,
        })
    }
}

/// A new code, drawn by the caller.
#[derive(Debug, Clone)]
pub struct NewCode {
    pub code: RegCode,
    pub organization_id: OrgId,
    pub label: Option<String>,
    pub default_role: Option<WorkerRole>,
    pub max_uses: i32,
    pub expires_at: NaiveDateTime,
    pub created_by: AccountId,
}

/// Stores a new code; a code already in use (vanishingly rare) is a `Conflict` and the
/// caller draws again.
#[tracing::instrument(skip_all, fields(org = %new.organization_id))]
pub fn create(conn: &mut DbConn, new: NewCode) -> Result<RegistrationCode, DbError> {
    let id = RegCodeId::new();
    diesel::insert_into(r::table)
        .values((
            r::id.eq(id.as_str()),
            r::code.eq(new.code.as_str()),
            r::organization_id.eq(new.organization_id.as_str()),
            r::label.eq(new.label),
            r::default_role.eq(new.default_role.map(WorkerRole::as_str)),
            r::max_uses.eq(new.max_uses),
            r::uses.eq(0),
            r::expires_at.eq(new.expires_at),
            r::created_by.eq(new.created_by.as_str()),
            r::created_at.eq(crate::now()),
        ))
        .execute(conn)?;
    r::table.find(id.as_str()).select(Row::as_select()).get_result(conn)?.try_into()
}

/// Looks a code up by its text (public: any caller with a code).
pub fn find_by_code(conn: &mut DbConn, code: &RegCode) -> Result<Option<RegistrationCode>, DbError> {
    r::table
        .filter(r::code.eq(code.as_str()))
        .select(Row::as_select())
        .get_result(conn)
        .optional()?
        .map(RegistrationCode::try_from)
        .transpose()
}

/// Reads a code of an organization inside `scope`.
pub fn find_in(conn: &mut DbConn, scope: &Jurisdiction, id: &RegCodeId) -> Result<RegistrationCode, DbError> {
    r::table
        .inner_join(o::table)
        .filter(r::id.eq(id.as_str()))
        .filter(o::path.like(scope.like_pattern()))
        .select(Row::as_select())
        .get_result(conn)?
        .try_into()
}

/// Lists the codes of organizations inside `scope`, newest last.
pub fn list_in(
    conn: &mut DbConn,
    scope: &Jurisdiction,
    organization: Option<&OrgId>,
    page: &PageRequest,
) -> Result<Page<RegistrationCode>, DbError> {
    let mut q =
        r::table.inner_join(o::table).filter(o::path.like(scope.like_pattern())).select(Row::as_select()).into_boxed();
    if let Some(org) = organization {
        q = q.filter(r::organization_id.eq(org.as_str().to_owned()));
    }
    if let Some(after) = &page.after {
        q = q.filter(r::id.gt(after.id().to_owned()));
    }
    let rows = q.order(r::id).limit(page.limit + 1).load(conn)?;
    let rows = rows.into_iter().map(RegistrationCode::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page.limit, |c| c.id.as_str()))
}

/// Revokes a code; revoking twice keeps the first time.
pub fn revoke(conn: &mut DbConn, id: &RegCodeId) -> Result<RegistrationCode, DbError> {
    diesel::update(r::table.find(id.as_str()).filter(r::revoked_at.is_null()))
        .set(r::revoked_at.eq(crate::now()))
        .execute(conn)?;
    r::table.find(id.as_str()).select(Row::as_select()).get_result(conn)?.try_into()
}

/// Counts one use, atomically: false when the code was revoked, expired or used up in the
/// meantime.
pub fn redeem(conn: &mut DbConn, id: &RegCodeId) -> Result<bool, DbError> {
    let n = diesel::update(
        r::table
            .find(id.as_str())
            .filter(r::revoked_at.is_null())
            .filter(r::expires_at.gt(crate::now()))
            .filter(r::uses.lt(r::max_uses)),
    )
    .set(r::uses.eq(r::uses + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// Sets a code's expiry. For tests and for operators correcting a mistyped validity.
pub fn set_expiry_for_tests(conn: &mut DbConn, id: &RegCodeId, expires_at: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(r::table.find(id.as_str())).set(r::expires_at.eq(expires_at)).execute(conn)?;
    Ok(())
}
