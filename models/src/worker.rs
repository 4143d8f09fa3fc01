//! The worker registry (从业人员信息): one record per person in the whole system, keyed by
//! the resident ID number (stored encrypted, found by its keyed hash), and its history.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use exam::{Industry, MobilePhone, ResidentId, SizeClass, Verification, WorkerRole};

use crate::page::{Page, PageRequest};
use crate::schema::{organizations as o, worker_history as h, workers as w};
use crate::{AccountId, Cipher, DbConn, DbError, Jurisdiction, OrgId, WorkerId};

const ID_CONTEXT: &str = "workers.resident_id";
const PHONE_CONTEXT: &str = "workers.phone";

/// Where a record stands in registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Created by an enterprise's roster import; the worker has not registered yet.
    PreRegistered,
    /// The worker registered in the app (and has an account).
    Registered,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::PreRegistered => "pre_registered",
            Self::Registered => "registered",
        }
    }
}

/// A worker's record with personal data decrypted.
#[derive(Debug, Clone)]
pub struct Worker {
    pub id: WorkerId,
    pub organization_id: OrgId,
    pub account_id: Option<AccountId>,
    pub name: String,
    pub resident_id: ResidentId,
    pub phone: Option<MobilePhone>,
    pub role: WorkerRole,
    pub position: Option<String>,
    pub status: Status,
    pub active: bool,
    pub face_enrolled: bool,
    pub face_consent_version: Option<String>,
    pub face_consent_at: Option<NaiveDateTime>,
    pub needs_alternative_check: bool,
    pub verification: Verification,
    pub verification_reason: Option<String>,
    pub verified_by: Option<AccountId>,
    pub verified_at: Option<NaiveDateTime>,
    pub registered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = w)]
struct Row {
    id: String,
    organization_id: String,
    account_id: Option<String>,
    name: String,
    resident_id_enc: Vec<u8>,
    phone_enc: Option<Vec<u8>>,
    role: String,
    position: Option<String>,
    status: String,
    active: bool,
    face_enrolled: bool,
    face_consent_version: Option<String>,
    face_consent_at: Option<NaiveDateTime>,
    needs_alternative_check: bool,
    verification: String,
    verification_reason: Option<String>,
    verified_by: Option<String>,
    verified_at: Option<NaiveDateTime>,
    registered_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A resident ID number as sealed in `workers.resident_id_enc`, opened (for a masked list
/// or an authorized export).
pub fn open_resident_id(cipher: &Cipher, sealed: &[u8]) -> Result<ResidentId, DbError> {
    ResidentId::parse(&cipher.decrypt(ID_CONTEXT, sealed)?).map_err(|_| DbError::Corrupt("workers.resident_id".into()))
}

impl Row {
    fn into_domain(self, cipher: &Cipher) -> Result<Worker, DbError> {
        let corrupt = |c: &str| DbError::Corrupt(format!("workers.{c}"));
        let resident_id = open_resident_id(cipher, &self.resident_id_enc)?;
        let phone = match self.phone_enc {
            Some(sealed) => {
                Some(MobilePhone::parse(&cipher.decrypt(PHONE_CONTEXT, &sealed)?).map_err(|_| corrupt("phone"))?)
            }
            None => None,
        };
        Ok(Worker {
            id: WorkerId::from_db(self.id),
            organization_id: OrgId::from_db(self.organization_id),
            account_id: self.account_id.map(AccountId::from_db),
            name: self.name,
            resident_id,
            phone,
            role: WorkerRole::parse(&self.role).map_err(|_| corrupt("role"))?,
            position: self.position,
            status: match self.status.as_str() {
                "pre_registered" => Status::PreRegistered,
                "registered" => Status::Registered,
                _ => return Err(corrupt("status")),
            },
            active: self.active,
            face_enrolled: self.face_enrolled,
            face_consent_version: self.face_consent_version,
            face_consent_at: self.face_consent_at,
            needs_alternative_check: self.needs_alternative_check,
            verification: Verification::parse(&self.verification).map_err(|_| corrupt("verification"))?,
            verification_reason: self.verification_reason,
            verified_by: self.verified_by.map(AccountId::from_db),
            verified_at: self.verified_at,
            registered_at: self.registered_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The keyed hash a resident ID is found by.
pub fn resident_id_index(cipher: &Cipher, id: &ResidentId) -> String {
    cipher.blind_index(ID_CONTEXT, id.expose())
}

/// The keyed hash a phone number is found by.
pub fn phone_index(cipher: &Cipher, phone: &MobilePhone) -> String {
    cipher.blind_index(PHONE_CONTEXT, phone.expose())
}

/// A new record.
#[derive(Debug, Clone)]
pub struct NewWorker {
    pub organization_id: OrgId,
    pub account_id: Option<AccountId>,
    pub name: String,
    pub resident_id: ResidentId,
    pub phone: Option<MobilePhone>,
    pub role: WorkerRole,
    pub position: Option<String>,
    pub status: Status,
    /// The consent text version the worker accepted for face processing; `None` when
    /// refused (then the worker needs the alternative identity check at exam sites).
    pub face_consent_version: Option<String>,
}

/// Writes a new record, with its `worker.registered` (or, from a roster, `worker.changed`)
/// event for the platform in the same transaction.
#[tracing::instrument(skip_all, fields(org = %new.organization_id))]
pub fn insert(conn: &mut DbConn, cipher: &Cipher, new: NewWorker) -> Result<Worker, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let id = insert_row(conn, cipher, new)?;
        crate::outbox::record_worker(conn, cipher, &id, None)?;
        get_unscoped(conn, cipher, &id)
    })
}

fn insert_row(conn: &mut DbConn, cipher: &Cipher, new: NewWorker) -> Result<WorkerId, DbError> {
    let id = WorkerId::new();
    let now = crate::now();
    let registered = new.status == Status::Registered;
    diesel::insert_into(w::table)
        .values((
            w::id.eq(id.as_str()),
            w::organization_id.eq(new.organization_id.as_str()),
            w::account_id.eq(new.account_id.as_ref().map(AccountId::as_str)),
            w::name.eq(&new.name),
            w::resident_id_enc.eq(cipher.encrypt(ID_CONTEXT, new.resident_id.expose())),
            w::resident_id_index.eq(resident_id_index(cipher, &new.resident_id)),
            w::phone_enc.eq(new.phone.as_ref().map(|p| cipher.encrypt(PHONE_CONTEXT, p.expose()))),
            w::phone_index.eq(new.phone.as_ref().map(|p| phone_index(cipher, p))),
            w::role.eq(new.role.as_str()),
            w::position.eq(&new.position),
            w::status.eq(new.status.as_str()),
            w::face_consent_version.eq(&new.face_consent_version),
            w::face_consent_at.eq(new.face_consent_version.as_ref().map(|_| now)),
            w::needs_alternative_check.eq(registered && new.face_consent_version.is_none()),
            w::verification.eq(Verification::Unverified.as_str()),
            w::registered_at.eq(registered.then_some(now)),
            w::created_at.eq(now),
            w::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Reads a record regardless of jurisdiction: for registration and a worker's own record.
pub fn get_unscoped(conn: &mut DbConn, cipher: &Cipher, id: &WorkerId) -> Result<Worker, DbError> {
    w::table.find(id.as_str()).select(Row::as_select()).get_result(conn)?.into_domain(cipher)
}

/// An enterprise's id, name, credit code and path.
pub(crate) type EnterpriseColumns = (String, String, Option<String>, String);

/// A record, wherever it is, with its enterprise, in one read (the integration outbox
/// writes both into every event).
pub(crate) fn get_with_enterprise(
    conn: &mut DbConn,
    cipher: &Cipher,
    id: &WorkerId,
) -> Result<(Worker, EnterpriseColumns), DbError> {
    use crate::schema::organizations as o;
    let (row, enterprise) = w::table
        .inner_join(o::table)
        .filter(w::id.eq(id.as_str()))
        .select((Row::as_select(), (o::id, o::name, o::credit_code, o::path)))
        .get_result::<(Row, EnterpriseColumns)>(conn)?;
    Ok((row.into_domain(cipher)?, enterprise))
}

/// The record of this person, wherever it is (one resident ID, one record).
pub fn find_by_resident_id(conn: &mut DbConn, cipher: &Cipher, id: &ResidentId) -> Result<Option<Worker>, DbError> {
    first(conn, cipher, w::table.filter(w::resident_id_index.eq(resident_id_index(cipher, id))).into_boxed())
}

/// The first record a query finds, decrypted.
fn first(
    conn: &mut DbConn,
    cipher: &Cipher,
    query: w::BoxedQuery<'_, crate::db::MultiBackend>,
) -> Result<Option<Worker>, DbError> {
    query.select(Row::as_select()).get_result(conn).optional()?.map(|r| r.into_domain(cipher)).transpose()
}

/// The record holding this phone number, if any.
pub fn find_by_phone(conn: &mut DbConn, cipher: &Cipher, phone: &MobilePhone) -> Result<Option<Worker>, DbError> {
    first(conn, cipher, w::table.filter(w::phone_index.eq(phone_index(cipher, phone))).into_boxed())
}

/// The record of a worker account.
pub fn find_by_account(conn: &mut DbConn, cipher: &Cipher, account: &AccountId) -> Result<Option<Worker>, DbError> {
    first(conn, cipher, w::table.filter(w::account_id.eq(account.as_str().to_owned())).into_boxed())
}

/// Reads a record of an organization inside `scope`.
pub fn find_in(conn: &mut DbConn, cipher: &Cipher, scope: &Jurisdiction, id: &WorkerId) -> Result<Worker, DbError> {
    w::table
        .inner_join(o::table)
        .filter(w::id.eq(id.as_str()))
        .filter(o::path.like(scope.like_pattern()))
        .select(Row::as_select())
        .get_result(conn)?
        .into_domain(cipher)
}

/// Filters for [`list_in`].
#[derive(Debug, Clone, Default)]
pub struct WorkerFilter {
    /// Only workers of this organization's subtree (itself inside the scope).
    pub within: Option<Jurisdiction>,
    pub industry: Option<Industry>,
    pub size_class: Option<SizeClass>,
    pub role: Option<WorkerRole>,
    pub face_enrolled: Option<bool>,
    pub verification: Option<Verification>,
    pub registered: Option<bool>,
    pub active: Option<bool>,
    /// Part of the name.
    pub name_contains: Option<String>,
}

/// Lists workers of organizations inside `scope`, in creation order.
#[tracing::instrument(skip(conn, cipher, scope))]
pub fn list_in(
    conn: &mut DbConn,
    cipher: &Cipher,
    scope: &Jurisdiction,
    filter: &WorkerFilter,
    page: &PageRequest,
) -> Result<Page<Worker>, DbError> {
    let mut q =
        w::table.inner_join(o::table).filter(o::path.like(scope.like_pattern())).select(Row::as_select()).into_boxed();
    if let Some(within) = &filter.within {
        q = q.filter(o::path.like(within.like_pattern()));
    }
    if let Some(i) = filter.industry {
        q = q.filter(o::industry.eq(i.as_str()));
    }
    if let Some(s) = filter.size_class {
        q = q.filter(o::size_class.eq(s.as_str()));
    }
    if let Some(r) = filter.role {
        q = q.filter(w::role.eq(r.as_str()));
    }
    if let Some(f) = filter.face_enrolled {
        q = q.filter(w::face_enrolled.eq(f));
    }
    if let Some(v) = filter.verification {
        q = q.filter(w::verification.eq(v.as_str()));
    }
    if let Some(r) = filter.registered {
        let status = if r { Status::Registered } else { Status::PreRegistered };
        q = q.filter(w::status.eq(status.as_str()));
    }
    if let Some(a) = filter.active {
        q = q.filter(w::active.eq(a));
    }
    if let Some(text) = &filter.name_contains {
        q = q.filter(w::name.like(format!("%{}%", crate::organization::like_escape(text))).escape('\\'));
    }
    if let Some(after) = &page.after {
        q = q.filter(w::id.gt(after.id().to_owned()));
    }
    let rows = q.order(w::id).limit(page.limit + 1).load(conn)?;
    let rows = rows.into_iter().map(|r| r.into_domain(cipher)).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id.as_str()))
}

/// Changes to a record; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WorkerChanges {
    pub organization_id: Option<OrgId>,
    pub account_id: Option<AccountId>,
    pub name: Option<String>,
    pub phone: Option<Option<MobilePhone>>,
    pub role: Option<WorkerRole>,
    pub position: Option<Option<String>>,
    pub active: Option<bool>,
    /// Marks the record registered now.
    pub registered: bool,
    /// The consent decision given at registration: `Some(version)` accepted, `None` refused.
    pub face_consent: Option<Option<String>>,
}

#[derive(AsChangeset)]
#[diesel(table_name = w)]
struct Changeset {
    organization_id: Option<String>,
    account_id: Option<Option<String>>,
    name: Option<String>,
    phone_enc: Option<Option<Vec<u8>>>,
    phone_index: Option<Option<String>>,
    role: Option<String>,
    position: Option<Option<String>>,
    active: Option<bool>,
    status: Option<String>,
    registered_at: Option<Option<NaiveDateTime>>,
    face_consent_version: Option<Option<String>>,
    face_consent_at: Option<Option<NaiveDateTime>>,
    needs_alternative_check: Option<bool>,
    trained_levels: Option<i32>,
    updated_at: NaiveDateTime,
}

/// Applies `changes` and returns the record as it now is; the platform is sent the record
/// (`worker.registered` or `worker.changed`) in the same transaction when it reads
/// differently. A phone number held by another record is a `Conflict` on
/// `workers.phone_index`.
#[tracing::instrument(skip_all, fields(worker = %id))]
pub fn update(conn: &mut DbConn, cipher: &Cipher, id: &WorkerId, changes: WorkerChanges) -> Result<Worker, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let (before, _) = crate::outbox::worker_record(conn, cipher, id)?;
        apply(conn, cipher, id, changes)?;
        crate::outbox::record_worker(conn, cipher, id, Some(&before))?;
        get_unscoped(conn, cipher, id)
    })
}

fn apply(conn: &mut DbConn, cipher: &Cipher, id: &WorkerId, changes: WorkerChanges) -> Result<(), DbError> {
    let now = crate::now();
    // Training counts at the enterprise that gave it: a worker who moves starts untrained.
    let moved = match &changes.organization_id {
        Some(to) => {
            let from: Option<String> =
                w::table.find(id.as_str()).select(w::organization_id).get_result(conn).optional()?;
            from.is_some_and(|f| f != to.as_str())
        }
        None => false,
    };
    let set = Changeset {
        trained_levels: moved.then_some(0),
        organization_id: changes.organization_id.map(|o| o.as_str().to_owned()),
        account_id: changes.account_id.map(|a| Some(a.as_str().to_owned())),
        name: changes.name,
        phone_enc: changes.phone.as_ref().map(|p| p.as_ref().map(|p| cipher.encrypt(PHONE_CONTEXT, p.expose()))),
        phone_index: changes.phone.as_ref().map(|p| p.as_ref().map(|p| phone_index(cipher, p))),
        role: changes.role.map(|r| r.as_str().to_owned()),
        position: changes.position,
        active: changes.active,
        status: changes.registered.then(|| Status::Registered.as_str().to_owned()),
        registered_at: changes.registered.then_some(Some(now)),
        face_consent_version: changes.face_consent.clone(),
        face_consent_at: changes.face_consent.as_ref().map(|c| c.as_ref().map(|_| now)),
        needs_alternative_check: changes.face_consent.as_ref().map(Option::is_none),
        updated_at: now,
    };
    let n = diesel::update(w::table.find(id.as_str())).set(set).execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Records a bureau's check of the record, and sends the platform the record when the
/// verdict changed (in the same transaction).
pub fn set_verification(
    conn: &mut DbConn,
    cipher: &Cipher,
    id: &WorkerId,
    result: Verification,
    reason: Option<&str>,
    by: &AccountId,
) -> Result<Worker, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let (before, _) = crate::outbox::worker_record(conn, cipher, id)?;
        let now = crate::now();
        diesel::update(w::table.find(id.as_str()))
            .set((
                w::verification.eq(result.as_str()),
                w::verification_reason.eq(reason),
                w::verified_by.eq(by.as_str()),
                w::verified_at.eq(now),
                w::updated_at.eq(now),
            ))
            .execute(conn)?;
        crate::outbox::record_worker(conn, cipher, id, Some(&before))?;
        get_unscoped(conn, cipher, id)
    })
}

/// Principals (主要负责人) of above-scale enterprises inside `within`, active only, with
/// their enterprise, ordered by enterprise then name.
pub fn principals_of_large_enterprises(
    conn: &mut DbConn,
    cipher: &Cipher,
    within: &Jurisdiction,
) -> Result<Vec<(Worker, String, Option<Industry>)>, DbError> {
    let rows: Vec<(Row, String, Option<String>)> = w::table
        .inner_join(o::table)
        .filter(o::path.like(within.like_pattern()))
        .filter(o::size_class.eq(SizeClass::AboveScale.as_str()))
        .filter(w::role.eq(WorkerRole::Principal.as_str()))
        .filter(w::active.eq(true))
        .order((o::name, w::name, w::id))
        .select((Row::as_select(), o::name, o::industry))
        .load(conn)?;
    rows.into_iter()
        .map(|(r, org, industry)| {
            let industry = industry
                .map(|i| Industry::parse(&i))
                .transpose()
                .map_err(|_| DbError::Corrupt("organizations.industry".into()))?;
            Ok((r.into_domain(cipher)?, org, industry))
        })
        .collect()
}

/// One entry of a record's history.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = h)]
pub struct HistoryEntry {
    pub id: String,
    pub worker_id: String,
    pub at: NaiveDateTime,
    pub actor_account_id: Option<String>,
    pub kind: String,
    pub from_organization_id: Option<String>,
    pub to_organization_id: Option<String>,
    /// JSON object: field → {"from", "to"}, personal data masked.
    pub changes: String,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    Imported,
    Registered,
    JobChange,
    Updated,
    Verified,
}

impl HistoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Imported => "imported",
            Self::Registered => "registered",
            Self::JobChange => "job_change",
            Self::Updated => "updated",
            Self::Verified => "verified",
        }
    }
}

/// Appends to a record's history.
pub fn record_history(
    conn: &mut DbConn,
    worker: &WorkerId,
    actor: Option<&AccountId>,
    kind: HistoryKind,
    moved: Option<(&OrgId, &OrgId)>,
    changes: &serde_json::Value,
) -> Result<(), DbError> {
    diesel::insert_into(h::table)
        .values((
            h::id.eq(uuid::Uuid::now_v7().to_string()),
            h::worker_id.eq(worker.as_str()),
            h::at.eq(crate::now()),
            h::actor_account_id.eq(actor.map(AccountId::as_str)),
            h::kind.eq(kind.as_str()),
            h::from_organization_id.eq(moved.map(|(f, _)| f.as_str())),
            h::to_organization_id.eq(moved.map(|(_, t)| t.as_str())),
            h::changes.eq(changes.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A record's history, oldest first.
pub fn history(conn: &mut DbConn, worker: &WorkerId) -> Result<Vec<HistoryEntry>, DbError> {
    Ok(h::table.filter(h::worker_id.eq(worker.as_str())).order(h::id).select(HistoryEntry::as_select()).load(conn)?)
}

/// The id of the worker record of an account, without decrypting anything.
pub fn id_by_account(conn: &mut DbConn, account: &AccountId) -> Result<Option<WorkerId>, DbError> {
    let id: Option<String> =
        w::table.filter(w::account_id.eq(account.as_str().to_owned())).select(w::id).get_result(conn).optional()?;
    Ok(id.map(WorkerId::from_db))
}
