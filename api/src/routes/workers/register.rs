use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Datelike;
use exam::{MobilePhone, NewPassword, OrgName, PersonName, ResidentId, Role, ValueError};
use models::account::{self, NewAccount};
use models::worker::{self, HistoryKind, NewWorker, Status, WorkerChanges};
use models::{registration_code, AccountId};
use serde_json::json;

use super::{RegisterWorkerRequest, RegisteredWorker, WorkerResponse};
use crate::auth::credentials::{self, Door};
use crate::auth::{password, throttle};
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::routes::auth::start_session;
use crate::routes::registration_codes::usable_code;
use crate::state::AppState;

/// Ages at which a person can be employed and take the exam.
const WORKING_AGE: std::ops::RangeInclusive<i64> = 16..=100;

/// Register as a worker with an enterprise's registration code (no login needed).
///
/// One resident ID number is one person in the whole system: registering again with
/// another enterprise's code is a job change (the record moves, its history kept), which
/// needs the existing password. A record imported by the enterprise is bound to the
/// registration (the name must match the roster). Returns tokens, so the app continues
/// straight to face enrollment. A worker who refuses face processing can still register
/// and is marked for the alternative identity check at exam sites.
#[utoipa::path(post, path = "/api/v1/workers/register", operation_id = "registerWorker", tag = "workers",
    request_body = RegisterWorkerRequest,
    responses(
        (status = 201, body = RegisteredWorker), (status = 400, body = ErrorBody),
        (status = 404, description = "registration_code_unknown", body = ErrorBody),
        (status = 409, description = "already_registered or phone_taken", body = ErrorBody),
        (status = 410, description = "registration_code_expired, _exhausted or _revoked", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "validation_failed or name_mismatch", body = ErrorBody),
        (status = 429, description = "too_many_attempts", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn register_worker(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<RegisterWorkerRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let name = PersonName::parse(&b.name).map_err(|e| ApiError::invalid("name", e))?;
    let resident_id = ResidentId::parse(&b.resident_id).map_err(|e| ApiError::invalid("resident_id", e))?;
    let today = chrono::Utc::now().date_naive();
    if !WORKING_AGE.contains(&resident_id.age_on(today.year() as u32, today.month(), today.day())) {
        return Err(ApiError::invalid("resident_id", ValueError::BadBirthDate)
            .text("出生日期不在从业年龄范围内，请核对", "the birth date is outside working age; check the number"));
    }
    let phone = MobilePhone::parse(&b.phone).map_err(|e| ApiError::invalid("phone", e))?;
    let position = b
        .position
        .as_deref()
        .map(|p| OrgName::parse(p).map(OrgName::into_inner).map_err(|e| ApiError::invalid("position", e)))
        .transpose()?;
    let consent_version =
        OrgName::parse(&b.face_consent.version).map_err(|e| ApiError::invalid("face_consent.version", e))?.into_inner();
    let consent = b.face_consent.accepted.then_some(consent_version);
    let address = throttle::client_address(&req, state.settings.trust_forwarded_for);
    let ua = crate::routes::auth::user_agent(&req);
    let given_password = b.password;

    // Read first: the code (throttled per address) and any record of this person.
    let (rid, addr) = (resident_id.clone(), address.clone());
    let code_text = b.code;
    let (code, existing_account, roster_role) = state
        .db(move |conn, cipher| {
            let code = usable_code(conn, cipher, &code_text, &addr)?;
            let existing = worker::find_by_resident_id(conn, cipher, &rid)?;
            // The role the enterprise's roster gave a record that is not registered yet.
            let roster_role = existing.as_ref().filter(|w| w.status == Status::PreRegistered).map(|w| w.role);
            let account = match existing.and_then(|w| w.account_id) {
                Some(id) => Some(account::get_unscoped(conn, &id)?),
                None => None,
            };
            Ok((code, account, roster_role))
        })
        .await?;

    // The slow part, outside any transaction: check the existing password (a job change) or
    // hash the new one. Guesses at an existing password are throttled like logins.
    let role = b
        .role
        .or(roster_role)
        .or(code.default_role)
        .ok_or_else(|| ApiError::invalid("role", ValueError::Empty).text("请选择人员类别", "choose a role"))?;
    let new_hash = match &existing_account {
        Some(acc) => {
            // The same check, and the same throttle, as a login with that account.
            credentials::check(&state, Door::Password, &acc.username, &given_password, &address).await.map_err(
                |e| match e.code {
                    Code::InvalidCredentials => ApiError::new(Code::AlreadyRegistered).field("password"),
                    _ => e,
                },
            )?;
            None
        }
        None => {
            let new = NewPassword::parse(&given_password).map_err(|e| ApiError::invalid("password", e))?;
            Some(password::queued(move || password::hash(new.expose())).await??)
        }
    };

    let keys = state.tokens.clone();
    let outcome = state
        .db(move |conn, cipher| {
            models::db::write_transaction(conn, |conn| {
                let current = worker::find_by_resident_id(conn, cipher, &resident_id)?;
                // The record changed between the read and now (a registration racing this one).
                if current.as_ref().and_then(|w| w.account_id.as_ref()) != existing_account.as_ref().map(|a| &a.id) {
                    return Err(ApiError::new(Code::AlreadyRegistered));
                }
                if let Some(holder) = worker::find_by_phone(conn, cipher, &phone)? {
                    if current.as_ref().is_none_or(|w| w.id != holder.id) {
                        return Err(ApiError::new(Code::PhoneTaken).field("phone"));
                    }
                }
                let org = code.organization_id.clone();
                let changes = json!({"name": name.as_str(), "phone": phone.masked(), "role": role.as_str(), "position": position});
                let (record, account_id, job_change) = match current {
                    None => {
                        let acc = new_account(conn, &org, &name, new_hash.as_deref())?;
                        let record = worker::insert(
                            conn,
                            cipher,
                            NewWorker {
                                organization_id: org.clone(),
                                account_id: Some(acc.clone()),
                                name: name.as_str().to_owned(),
                                resident_id: resident_id.clone(),
                                phone: Some(phone.clone()),
                                role,
                                position: position.clone(),
                                status: Status::Registered,
                                face_consent_version: consent.clone(),
                            },
                        )?;
                        worker::record_history(conn, &record.id, Some(&acc), HistoryKind::Registered, None, &changes)?;
                        (record, acc, false)
                    }
                    Some(record) => {
                        let moved = record.organization_id != org;
                        if !moved && record.status == Status::Registered {
                            return Err(ApiError::new(Code::AlreadyRegistered));
                        }
                        if !moved && record.name != name.as_str() {
                            return Err(ApiError::new(Code::NameMismatch).field("name"));
                        }
                        let acc = match &record.account_id {
                            Some(acc) => {
                                account::set_organization(conn, acc, &org)?;
                                acc.clone()
                            }
                            None => new_account(conn, &org, &name, new_hash.as_deref())?,
                        };
                        let from = record.organization_id.clone();
                        let updated = worker::update(
                            conn,
                            cipher,
                            &record.id,
                            WorkerChanges {
                                organization_id: moved.then(|| org.clone()),
                                account_id: record.account_id.is_none().then(|| acc.clone()),
                                name: Some(name.as_str().to_owned()),
                                phone: Some(Some(phone.clone())),
                                role: Some(role),
                                position: Some(position.clone()),
                                active: Some(true),
                                registered: record.status == Status::PreRegistered,
                                face_consent: Some(consent.clone()),
                            },
                        )?;
                        if moved {
                            worker::record_history(conn, &record.id, Some(&acc), HistoryKind::JobChange, Some((&from, &org)), &changes)?;
                        }
                        if record.status == Status::PreRegistered {
                            worker::record_history(conn, &record.id, Some(&acc), HistoryKind::Registered, None, &changes)?;
                        }
                        (updated, acc, moved)
                    }
                };
                if !registration_code::redeem(conn, &code.id)? {
                    return Err(ApiError::new(Code::RegistrationCodeExhausted).field("code"));
                }
                let acc = account::get_unscoped(conn, &account_id)?;
                let tokens = start_session(conn, &keys, &acc, ua.as_deref())?;
                Ok((record, job_change, tokens))
            })
        })
        .await;
    // Answers that tell whether a person is registered count like wrong codes, so an ID
    // number cannot be probed freely by someone holding a code.
    if let Err(e) = &outcome {
        if matches!(e.code, Code::AlreadyRegistered | Code::NameMismatch | Code::PhoneTaken) {
            let cipher = state.cipher.clone();
            state
                .db(move |conn, _| {
                    let key = throttle::address_key(&cipher, "registration_code", &address);
                    Ok(models::throttle::record_failure(conn, &key, crate::routes::registration_codes::CODE_ATTEMPTS)?)
                })
                .await?;
        }
    }
    let (registered, job_change, tokens) = outcome?;
    tracing::info!(worker = %registered.id, org = %registered.organization_id, job_change, "worker registered");
    Ok(HttpResponse::Created().json(RegisteredWorker { worker: WorkerResponse::from(registered), job_change, tokens }))
}

/// The login account of a newly registered worker; workers log in with their phone or ID number.
fn new_account(
    conn: &mut models::DbConn,
    org: &models::OrgId,
    name: &PersonName,
    hash: Option<&str>,
) -> Result<AccountId, ApiError> {
    let hash = hash.ok_or_else(|| ApiError::internal(std::io::Error::other("no password hash for a new account")))?;
    let acc = account::create(
        conn,
        NewAccount {
            organization_id: org.clone(),
            username: format!("w.{}", uuid::Uuid::now_v7().simple()),
            display_name: name.as_str().to_owned(),
            role: Role::Worker,
            password_hash: hash.to_owned(),
            must_change_password: false,
            created_by: None,
        },
    )?;
    Ok(acc.id)
}
