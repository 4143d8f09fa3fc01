//! Login accounts of every role.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::Role;

use crate::page::{Page, PageRequest};
use crate::schema::{accounts as a, organizations as o};
use crate::{AccountId, DbConn, DbError, Jurisdiction, OrgId};

/// An account. The password hash never leaves the server.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub organization_id: OrgId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub token_epoch: i32,
    pub must_change_password: bool,
    pub created_by: Option<AccountId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = a)]
pub(crate) struct AccountRow {
    id: String,
    organization_id: String,
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    active: bool,
    token_epoch: i32,
    must_change_password: bool,
    created_by: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    last_login_at: Option<NaiveDateTime>,
}

impl TryFrom<AccountRow> for Account {
    type Error = DbError;

    fn try_from(r: AccountRow) -> Result<Self, DbError> {
        Ok(Account {
            id: AccountId::from_db(r.id),
            organization_id: OrgId::from_db(r.organization_id),
            username: r.username,
            display_name: r.display_name,
            role: Role::parse(&r.role).map_err(|_| DbError::Corrupt("accounts.role".into()))?,
            password_hash: r.password_hash,
            active: r.active,
            token_epoch: r.token_epoch,
            must_change_password: r.must_change_password,
            created_by: r.created_by.map(AccountId::from_db),
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_login_at: r.last_login_at,
        })
    }
}

/// A new account; the username is already normalised and the password already hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub organization_id: OrgId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub must_change_password: bool,
    pub created_by: Option<AccountId>,
}

#[tracing::instrument(skip_all, fields(role = new.role.as_str()))]
pub fn create(conn: &mut DbConn, new: NewAccount) -> Result<Account, DbError> {
    let id = AccountId::new();
    let now = crate::now();
    diesel::insert_into(a::table)
        .values((
            a::id.eq(id.as_str()),
            a::organization_id.eq(new.organization_id.as_str()),
            a::username.eq(&new.username),
            a::display_name.eq(&new.display_name),
            a::role.eq(new.role.as_str()),
            a::password_hash.eq(&new.password_hash),
            a::active.eq(true),
            a::token_epoch.eq(0),
            a::must_change_password.eq(new.must_change_password),
            a::created_by.eq(new.created_by.as_ref().map(AccountId::as_str)),
            a::created_at.eq(now),
            a::updated_at.eq(now),
        ))
        .execute(conn)?;
    get_unscoped(conn, &id)
}

/// Reads an account by id regardless of jurisdiction: for authenticating its own requests.
pub fn get_unscoped(conn: &mut DbConn, id: &AccountId) -> Result<Account, DbError> {
    a::table.find(id.as_str()).select(AccountRow::as_select()).get_result(conn)?.try_into()
}

/// Reads an account by login name (already in lower case), for logging in.
pub fn find_by_username(conn: &mut DbConn, username: &str) -> Result<Option<Account>, DbError> {
    a::table
        .filter(a::username.eq(username))
        .select(AccountRow::as_select())
        .get_result(conn)
        .optional()?
        .map(Account::try_from)
        .transpose()
}

/// Whether any account of `role` exists.
pub fn any_with_role(conn: &mut DbConn, role: Role) -> Result<bool, DbError> {
    let n: i64 = a::table.filter(a::role.eq(role.as_str())).count().get_result(conn)?;
    Ok(n > 0)
}

/// Reads an account inside `scope`; one outside is reported as not found.
pub fn find_in(conn: &mut DbConn, scope: &Jurisdiction, id: &AccountId) -> Result<Account, DbError> {
    a::table
        .inner_join(o::table)
        .filter(a::id.eq(id.as_str()))
        .filter(o::path.like(scope.like_pattern()))
        .select(AccountRow::as_select())
        .get_result(conn)?
        .try_into()
}

/// Filters for [`list_in`].
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Only accounts of this organization (which must itself be inside the scope).
    pub organization_id: Option<OrgId>,
    /// Only these roles; empty means every role.
    pub roles: Vec<Role>,
}

/// Lists accounts of organizations inside `scope`, in creation order.
#[tracing::instrument(skip(conn, scope))]
pub fn list_in(
    conn: &mut DbConn,
    scope: &Jurisdiction,
    filter: &AccountFilter,
    page: &PageRequest,
) -> Result<Page<Account>, DbError> {
    let mut q = a::table
        .inner_join(o::table)
        .filter(o::path.like(scope.like_pattern()))
        .select(AccountRow::as_select())
        .into_boxed();
    if let Some(org) = &filter.organization_id {
        q = q.filter(a::organization_id.eq(org.as_str().to_owned()));
    }
    if !filter.roles.is_empty() {
        q = q.filter(a::role.eq_any(filter.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()));
    }
    if let Some(after) = &page.after {
        q = q.filter(a::id.gt(after.id().to_owned()));
    }
    let rows = q.order(a::id).limit(page.limit + 1).load(conn)?;
    let rows = rows.into_iter().map(Account::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id.as_str()))
}

/// Sets a new password hash. Raises the token epoch, so every access token issued before
/// stops working.
#[tracing::instrument(skip_all, fields(account = %id))]
pub fn set_password(conn: &mut DbConn, id: &AccountId, password_hash: &str, must_change: bool) -> Result<(), DbError> {
    let n = diesel::update(a::table.find(id.as_str()))
        .set((
            a::password_hash.eq(password_hash),
            a::must_change_password.eq(must_change),
            a::token_epoch.eq(a::token_epoch + 1),
            a::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Activates or deactivates an account; deactivation also ends its access tokens.
#[tracing::instrument(skip(conn))]
pub fn set_active(conn: &mut DbConn, id: &AccountId, active: bool) -> Result<(), DbError> {
    let n = diesel::update(a::table.find(id.as_str()))
        .set((a::active.eq(active), a::token_epoch.eq(a::token_epoch + 1), a::updated_at.eq(crate::now())))
        .execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

pub fn record_login(conn: &mut DbConn, id: &AccountId) -> Result<(), DbError> {
    diesel::update(a::table.find(id.as_str())).set(a::last_login_at.eq(crate::now())).execute(conn)?;
    Ok(())
}

/// Moves an account to another organization (a worker changing employer).
#[tracing::instrument(skip(conn))]
pub fn set_organization(conn: &mut DbConn, id: &AccountId, org: &OrgId) -> Result<(), DbError> {
    let n = diesel::update(a::table.find(id.as_str()))
        .set((a::organization_id.eq(org.as_str()), a::updated_at.eq(crate::now())))
        .execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// An account with its organization and, when `session` is given, that session if it is
/// the account's: what every authenticated request reads, in one query.
pub fn with_org_and_session(
    conn: &mut DbConn,
    cipher: &crate::Cipher,
    id: &AccountId,
    session: Option<&crate::SessionId>,
) -> Result<(Account, crate::organization::Organization, Option<crate::session::SessionRow>), DbError> {
    use crate::organization::OrgRow;
    use crate::schema::sessions as s;
    use crate::session::SessionRow;
    let sid = session.map_or_else(String::new, |s| s.as_str().to_owned());
    let (acc, org, sess): (AccountRow, OrgRow, Option<SessionRow>) = a::table
        .inner_join(o::table)
        .left_join(s::table.on(s::id.eq(sid).and(s::account_id.eq(a::id))))
        .filter(a::id.eq(id.as_str()))
        .select((AccountRow::as_select(), OrgRow::as_select(), Option::<SessionRow>::as_select()))
        .get_result(conn)?;
    Ok((acc.try_into()?, org.into_domain(cipher)?, sess))
}
