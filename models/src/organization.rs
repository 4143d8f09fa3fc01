//! Organizations: the province, cities, counties/districts and enterprises.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::{ContactPhone, CreditCode, Industry, OrgLevel, OrgName, SizeClass};

use crate::page::{Page, PageRequest};
use crate::schema::organizations as o;
use crate::{Cipher, DbConn, DbError, Jurisdiction, OrgId};

const PHONE_CONTEXT: &str = "organizations.contact_phone";

/// An organization as stored, with its contact phone decrypted.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: OrgId,
    pub parent_id: Option<OrgId>,
    pub level: OrgLevel,
    pub name: String,
    pub path: String,
    pub division_code: Option<String>,
    pub credit_code: Option<CreditCode>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<ContactPhone>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = o)]
pub(crate) struct OrgRow {
    id: String,
    parent_id: Option<String>,
    level: String,
    name: String,
    path: String,
    division_code: Option<String>,
    credit_code: Option<String>,
    industry: Option<String>,
    size_class: Option<String>,
    address: Option<String>,
    contact_name: Option<String>,
    contact_phone_enc: Option<Vec<u8>>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn corrupt(column: &str) -> DbError {
    DbError::Corrupt(format!("organizations.{column}"))
}

impl OrgRow {
    pub(crate) fn into_domain(self, cipher: &Cipher) -> Result<Organization, DbError> {
        let contact_phone = match self.contact_phone_enc {
            Some(sealed) => Some(
                ContactPhone::parse(&cipher.decrypt(PHONE_CONTEXT, &sealed)?).map_err(|_| corrupt("contact_phone"))?,
            ),
            None => None,
        };
        Ok(Organization {
            id: OrgId::from_db(self.id),
            parent_id: self.parent_id.map(OrgId::from_db),
            level: OrgLevel::parse(&self.level).map_err(|_| corrupt("level"))?,
            name: self.name,
            path: self.path,
            division_code: self.division_code,
            credit_code: self
                .credit_code
                .map(|c| CreditCode::parse(&c))
                .transpose()
                .map_err(|_| corrupt("credit_code"))?,
            industry: self.industry.map(|s| Industry::parse(&s)).transpose().map_err(|_| corrupt("industry"))?,
            size_class: self.size_class.map(|s| SizeClass::parse(&s)).transpose().map_err(|_| corrupt("size_class"))?,
            address: self.address,
            contact_name: self.contact_name,
            contact_phone,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The details of a new organization, already validated by the caller.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub name: OrgName,
    pub division_code: Option<String>,
    pub credit_code: Option<CreditCode>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<ContactPhone>,
}

impl NewOrganization {
    pub fn named(name: OrgName) -> Self {
        Self {
            name,
            division_code: None,
            credit_code: None,
            industry: None,
            size_class: None,
            address: None,
            contact_name: None,
            contact_phone: None,
        }
    }
}

/// Changes to an organization: `None` leaves a field as it is; `Some(None)` clears an
/// optional field.
#[derive(Debug, Clone, Default)]
pub struct OrgChanges {
    pub name: Option<OrgName>,
    pub division_code: Option<Option<String>>,
    pub credit_code: Option<CreditCode>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    pub address: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub contact_phone: Option<Option<ContactPhone>>,
}

#[derive(AsChangeset)]
#[diesel(table_name = o)]
struct OrgChangeset {
    name: Option<String>,
    division_code: Option<Option<String>>,
    credit_code: Option<String>,
    industry: Option<String>,
    size_class: Option<String>,
    address: Option<Option<String>>,
    contact_name: Option<Option<String>>,
    contact_phone_enc: Option<Option<Vec<u8>>>,
    updated_at: NaiveDateTime,
}

fn insert(
    conn: &mut DbConn,
    cipher: &Cipher,
    parent: Option<&Organization>,
    level: OrgLevel,
    new: NewOrganization,
) -> Result<Organization, DbError> {
    let id = OrgId::new();
    let path = format!("{}{}/", parent.map_or("/", |p| p.path.as_str()), id);
    let now = crate::now();
    diesel::insert_into(o::table)
        .values((
            o::id.eq(id.as_str()),
            o::parent_id.eq(parent.map(|p| p.id.as_str())),
            o::level.eq(level.as_str()),
            o::name.eq(new.name.as_str()),
            o::path.eq(&path),
            o::division_code.eq(new.division_code),
            o::credit_code.eq(new.credit_code.as_ref().map(CreditCode::as_str)),
            o::industry.eq(new.industry.map(Industry::as_str)),
            o::size_class.eq(new.size_class.map(SizeClass::as_str)),
            o::address.eq(new.address),
            o::contact_name.eq(new.contact_name),
            o::contact_phone_enc.eq(new.contact_phone.map(|p| cipher.encrypt(PHONE_CONTEXT, p.as_str()))),
            o::created_at.eq(now),
            o::updated_at.eq(now),
        ))
        .execute(conn)?;
    get_unscoped(conn, cipher, &id)
}

/// Creates the province: the root of the hierarchy. Only at bootstrap.
#[tracing::instrument(skip_all)]
pub fn create_root(conn: &mut DbConn, cipher: &Cipher, new: NewOrganization) -> Result<Organization, DbError> {
    insert(conn, cipher, None, OrgLevel::Province, new)
}

/// Creates a child of `parent`, one level below it. The caller has checked that `parent` is
/// inside its jurisdiction (it was read with [`find_in`]).
#[tracing::instrument(skip_all, fields(parent = %parent.id))]
pub fn create_child(
    conn: &mut DbConn,
    cipher: &Cipher,
    parent: &Organization,
    new: NewOrganization,
) -> Result<Organization, DbError> {
    let level = parent.level.child().ok_or(DbError::Conflict { what: "organizations.level".into() })?;
    insert(conn, cipher, Some(parent), level, new)
}

/// Reads any organization by id. Only for building an account's own jurisdiction: handlers
/// read through [`find_in`].
pub fn get_unscoped(conn: &mut DbConn, cipher: &Cipher, id: &OrgId) -> Result<Organization, DbError> {
    o::table.find(id.as_str()).select(OrgRow::as_select()).get_result(conn)?.into_domain(cipher)
}

/// The province, if the hierarchy has been set up.
pub fn root(conn: &mut DbConn, cipher: &Cipher) -> Result<Option<Organization>, DbError> {
    o::table
        .filter(o::parent_id.is_null())
        .order(o::id)
        .select(OrgRow::as_select())
        .get_result(conn)
        .optional()?
        .map(|r| r.into_domain(cipher))
        .transpose()
}

/// The child of `parent` with this name, if any (names are unique among siblings).
pub fn child_named(
    conn: &mut DbConn,
    cipher: &Cipher,
    parent: &OrgId,
    name: &str,
) -> Result<Option<Organization>, DbError> {
    o::table
        .filter(o::parent_id.eq(parent.as_str()))
        .filter(o::name.eq(name))
        .select(OrgRow::as_select())
        .get_result(conn)
        .optional()?
        .map(|r| r.into_domain(cipher))
        .transpose()
}

/// Reads an organization inside `scope`; one outside is reported as not found.
#[tracing::instrument(skip(conn, cipher, scope))]
pub fn find_in(conn: &mut DbConn, cipher: &Cipher, scope: &Jurisdiction, id: &OrgId) -> Result<Organization, DbError> {
    o::table
        .find(id.as_str())
        .filter(o::path.like(scope.like_pattern()))
        .select(OrgRow::as_select())
        .get_result(conn)?
        .into_domain(cipher)
}

/// Filters for [`list_in`].
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub parent_id: Option<OrgId>,
    pub level: Option<OrgLevel>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    /// Part of the name.
    pub name_contains: Option<String>,
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Lists organizations inside `scope`, in creation order.
#[tracing::instrument(skip(conn, cipher, scope))]
pub fn list_in(
    conn: &mut DbConn,
    cipher: &Cipher,
    scope: &Jurisdiction,
    filter: &OrgFilter,
    page: &PageRequest,
) -> Result<Page<Organization>, DbError> {
    let mut q = o::table.filter(o::path.like(scope.like_pattern())).select(OrgRow::as_select()).into_boxed();
    if let Some(parent) = &filter.parent_id {
        q = q.filter(o::parent_id.eq(parent.as_str().to_owned()));
    }
    if let Some(level) = filter.level {
        q = q.filter(o::level.eq(level.as_str()));
    }
    if let Some(industry) = filter.industry {
        q = q.filter(o::industry.eq(industry.as_str()));
    }
    if let Some(size) = filter.size_class {
        q = q.filter(o::size_class.eq(size.as_str()));
    }
    if let Some(text) = &filter.name_contains {
        q = q.filter(o::name.like(format!("%{}%", like_escape(text))).escape('\\'));
    }
    if let Some(after) = &page.after {
        q = q.filter(o::id.gt(after.id().to_owned()));
    }
    let rows = q.order(o::id).limit(page.limit + 1).load(conn)?;
    let rows = rows.into_iter().map(|r| r.into_domain(cipher)).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id.as_str()))
}

/// Applies `changes` and returns the organization as it now is.
#[tracing::instrument(skip_all, fields(org = %id))]
pub fn update(conn: &mut DbConn, cipher: &Cipher, id: &OrgId, changes: OrgChanges) -> Result<Organization, DbError> {
    let set = OrgChangeset {
        name: changes.name.map(OrgName::into_inner),
        division_code: changes.division_code,
        credit_code: changes.credit_code.map(|c| c.as_str().to_owned()),
        industry: changes.industry.map(|i| i.as_str().to_owned()),
        size_class: changes.size_class.map(|s| s.as_str().to_owned()),
        address: changes.address,
        contact_name: changes.contact_name,
        contact_phone_enc: changes.contact_phone.map(|p| p.map(|p| cipher.encrypt(PHONE_CONTEXT, p.as_str()))),
        updated_at: crate::now(),
    };
    let n = diesel::update(o::table.find(id.as_str())).set(set).execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    get_unscoped(conn, cipher, id)
}

/// The path of an organization, if it exists.
pub fn path_of(conn: &mut DbConn, id: &OrgId) -> Result<Option<String>, DbError> {
    Ok(o::table.find(id.as_str()).select(o::path).get_result(conn).optional()?)
}
