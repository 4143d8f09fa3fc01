//! The bureaus' reports, each as JSON for the apps and as XLSX laid out like the campaign
//! notice's attachment, to print and stamp: 附件3 执行情况汇总表 (`summary`), 附件4 不及格人员名单
//! and the publication list (`failures`), the progress dashboards (`coverage`). For a
//! county, a city (its counties summed) or the province, and a span of exam dates.

pub mod coverage;
pub mod failures;
pub mod summary;

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use exam::report::Footer;
use models::organization::{self, Organization};
use models::report::Dates;
use models::{DbConn, Jurisdiction, OrgId};

use crate::auth::AnyPrincipal;
use crate::error::{ApiError, Code};
use crate::routes::workers::export_principals::XLSX;
use crate::state::AppState;

/// China time is UTC+8: a date's exams run from 16:00 UTC the day before.
const CHINA_OFFSET_HOURS: i64 = 8;

/// What a report is about: the organization, its subtree, the dates, the footer.
#[derive(Debug, Clone)]
pub struct Context {
    pub org: Organization,
    pub scope: Jurisdiction,
    pub dates: Dates,
    /// 统计时间 line, e.g. `统计时间：2026-09-01 至 2026-09-30`.
    pub period: String,
    pub footer: Footer,
}

/// Checks the query's organization (the caller's own by default; another inside its
/// subtree, else 404) and dates (`to` not before `from`), and fills the footer from the
/// calling account.
pub fn context(
    conn: &mut DbConn,
    cipher: &models::Cipher,
    me: &AnyPrincipal,
    organization_id: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    reviewer: Option<String>,
) -> Result<Context, ApiError> {
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            return Err(ApiError::new(Code::InvalidQuery)
                .field("to")
                .text("不能早于 from", "must not be before `from`"));
        }
    }
    for (field, date) in [("from", from), ("to", to)] {
        if date.is_some_and(|d| !(2000..2100).contains(&d.year())) {
            return Err(ApiError::new(Code::InvalidQuery)
                .field(field)
                .text("须在 2000 至 2099 年之间", "must be in 2000–2099"));
        }
    }
    if reviewer.as_ref().is_some_and(|r| r.chars().count() > 50) {
        return Err(ApiError::new(Code::InvalidQuery).field("reviewer").text("最多 50 个字", "at most 50 characters"));
    }
    let org = match organization_id {
        None => me.org.clone(),
        Some(id) => {
            let id = OrgId::parse(id).ok_or_else(|| ApiError::not_found().field("organization_id"))?;
            organization::find_in(conn, cipher, me.scope(), &id)?
        }
    };
    let start_of = |d: NaiveDate| NaiveDateTime::new(d, NaiveTime::MIN) - Duration::hours(CHINA_OFFSET_HOURS);
    // Open ends as ordinary dates: SQLite compares timestamps as text, and chrono's
    // extremes print with a sign.
    let (earliest, latest) = (NaiveDate::from_ymd_opt(2000, 1, 1), NaiveDate::from_ymd_opt(9999, 1, 1));
    let dates = Dates {
        from: from.or(earliest).map_or(NaiveDateTime::MIN, start_of),
        to: to.and_then(|d| d.succ_opt()).or(latest).map_or(NaiveDateTime::MAX, start_of),
    };
    let period = match (from, to) {
        (None, None) => "统计时间：全部".to_owned(),
        (from, to) => format!(
            "统计时间：{} 至 {}",
            from.map_or("开始".to_owned(), |d| d.to_string()),
            to.map_or("今".to_owned(), |d| d.to_string())
        ),
    };
    let account = models::account::get_unscoped(conn, &me.account_id)?;
    let footer = Footer {
        unit: me.org.name.clone(),
        reviewer,
        filled_by: account.display_name,
        phone: me.org.contact_phone.as_ref().map(|p| p.as_str().to_owned()),
    };
    Ok(Context { scope: Jurisdiction::of(&org), org, dates, period, footer })
}

/// What a report was asked for: the organization, the dates, the 审核人.
#[derive(Debug)]
pub struct Asked {
    pub organization_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub reviewer: Option<String>,
}

/// The report's [`Context`], checked, for reads that then run side by side ([`read`]).
pub async fn context_of(state: &AppState, me: AnyPrincipal, asked: Asked) -> Result<Arc<Context>, ApiError> {
    state.db(move |conn, cipher| Ok(Arc::new(checked(conn, cipher, &me, asked)?))).await
}

/// One of a report's reads, on a pooled connection of its own: the independent reads of a
/// province's report (a million workers counted by enterprise, a million candidates by
/// level, tens of thousands of exams) then use every core instead of one after the other.
pub async fn read<T, F>(state: &AppState, ctx: &Arc<Context>, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &Context) -> Result<T, ApiError> + Send + 'static,
{
    let ctx = Arc::clone(ctx);
    state.db(move |conn, _| f(conn, &ctx)).await
}

fn checked(conn: &mut DbConn, cipher: &models::Cipher, me: &AnyPrincipal, asked: Asked) -> Result<Context, ApiError> {
    let Asked { organization_id, from, to, reviewer } = asked;
    context(conn, cipher, me, organization_id.as_deref(), from, to, reviewer)
}

/// The cities and counties above each enterprise, from their paths.
#[derive(Debug)]
pub struct Bureaus(HashMap<String, (String, String)>);

impl Bureaus {
    pub fn load(conn: &mut DbConn, scope: &Jurisdiction) -> Result<Self, ApiError> {
        let rows = models::report::bureaus(conn, scope)?;
        Ok(Bureaus(rows.into_iter().map(|(id, level, name)| (id, (level, name))).collect()))
    }

    /// The organization of `level` on `path` (an enterprise's), as (id, name).
    pub fn above(&self, path: &str, level: &str) -> Option<(&str, &str)> {
        path.split('/').filter(|s| !s.is_empty()).find_map(|id| {
            self.0.get_key_value(id).filter(|(_, (l, _))| l == level).map(|(id, (_, n))| (id.as_str(), n.as_str()))
        })
    }
}

/// An XLSX download.
pub fn xlsx(bytes: Vec<u8>, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .body(bytes)
}

/// Builds a workbook off the async workers.
pub async fn workbook(sheet: exam::report::Sheet) -> Result<Vec<u8>, ApiError> {
    web::block(move || exam::report::workbook(sheet)).await?.map_err(|e| ApiError::internal(std::io::Error::other(e)))
}
