//! First start: the province and its first administrator.

use exam::{NewPassword, OrgName, Role, Username};
use models::account::{self, NewAccount};
use models::organization::{self, NewOrganization, Organization};
use models::{Cipher, DbConn, DbError};
use secrecy::ExposeSecret;

use crate::auth::password;
use crate::error::ApiError;
use crate::settings::Settings;

/// The province, created with the configured name if the hierarchy is empty.
pub fn ensure_province(conn: &mut DbConn, cipher: &Cipher, settings: &Settings) -> Result<Organization, ApiError> {
    if let Some(root) = organization::root(conn, cipher)? {
        return Ok(root);
    }
    let name = OrgName::parse(&settings.province_name).map_err(|e| ApiError::invalid("SANDA_PROVINCE_NAME", e))?;
    let mut new = NewOrganization::named(name);
    new.division_code = Some("370000".into());
    match organization::create_root(conn, cipher, new) {
        Ok(root) => Ok(root),
        // Another server created it a moment ago.
        Err(DbError::Conflict { .. }) => organization::root(conn, cipher)?.ok_or_else(ApiError::not_found),
        Err(e) => Err(e.into()),
    }
}

/// A province admin created now, with the password it was given.
#[derive(Debug)]
pub struct CreatedAdmin {
    pub username: String,
    /// Present when generated: shown once, to be changed at first login.
    pub generated_password: Option<String>,
}

/// Creates a province admin in the root organization. Without a configured password one
/// is generated, and must be changed at first login.
pub fn create_province_admin(
    conn: &mut DbConn,
    cipher: &Cipher,
    settings: &Settings,
    username: &str,
    given: Option<&str>,
) -> Result<CreatedAdmin, ApiError> {
    let province = ensure_province(conn, cipher, settings)?;
    let username = Username::parse(username).map_err(|e| ApiError::invalid("username", e))?;
    let (password, generated) = match given {
        Some(p) => (NewPassword::parse(p).map_err(|e| ApiError::invalid("password", e))?, None),
        None => {
            let p = password::generate(14);
            (NewPassword::parse(&p).map_err(|e| ApiError::invalid("password", e))?, Some(p))
        }
    };
    account::create(
        conn,
        NewAccount {
            organization_id: province.id,
            username: username.as_str().to_owned(),
            display_name: "省级管理员".into(),
            role: Role::ProvinceAdmin,
            password_hash: password::hash(password.expose())?,
            must_change_password: generated.is_some(),
            created_by: None,
        },
    )?;
    Ok(CreatedAdmin { username: username.as_str().to_owned(), generated_password: generated })
}

/// On first start, when there is no province admin yet, creates one
/// (`SANDA_ADMIN_USERNAME`, `SANDA_ADMIN_PASSWORD`). Returns it when created.
pub fn first_start(conn: &mut DbConn, cipher: &Cipher, settings: &Settings) -> Result<Option<CreatedAdmin>, ApiError> {
    ensure_province(conn, cipher, settings)?;
    if account::any_with_role(conn, Role::ProvinceAdmin)? {
        return Ok(None);
    }
    let given = settings.admin_password.as_ref().map(|s| s.expose_secret().to_owned());
    match create_province_admin(conn, cipher, settings, &settings.admin_username, given.as_deref()) {
        Ok(created) => Ok(Some(created)),
        // Another server starting at the same moment created it.
        Err(e) if e.code == crate::error::Code::UsernameTaken => Ok(None),
        Err(e) => Err(e),
    }
}
