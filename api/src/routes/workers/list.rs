use actix_web::web;
use models::worker::{self, WorkerFilter};
use models::{organization, DbError, Jurisdiction, OrgId};

use super::{ListWorkersQuery, WorkerPage, WorkerResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::{PageParams, Query};
use crate::state::AppState;

/// List the workers of the caller's jurisdiction (staff only), with filters; ID and phone
/// numbers masked.
#[utoipa::path(get, path = "/api/v1/workers", operation_id = "listWorkers", tag = "workers",
    security(("bearer" = [])), params(ListWorkersQuery),
    responses((status = 200, body = WorkerPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "organization_id: not in your jurisdiction", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_workers(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ListWorkersQuery>,
) -> Result<web::Json<WorkerPage>, ApiError> {
    me.require(|r| r.may_read_workers())?;
    let q = query.0;
    let page = PageParams::parse(q.limit, q.cursor.as_deref())?;
    let within = match q.organization_id.as_deref() {
        None => None,
        Some(s) => Some(OrgId::parse(s).ok_or_else(|| ApiError::new(Code::InvalidQuery).field("organization_id"))?),
    };
    let mut filter = WorkerFilter {
        within: None,
        industry: q.industry,
        size_class: q.size_class,
        role: q.role,
        face_enrolled: q.face_enrolled,
        verification: q.verification,
        registered: q.registered,
        active: q.active,
        name_contains: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let page = state
        .db(move |conn, cipher| {
            if let Some(org) = within {
                let org = organization::find_in(conn, cipher, me.scope(), &org).map_err(|e| match e {
                    DbError::NotFound => ApiError::not_found().field("organization_id"),
                    other => other.into(),
                })?;
                filter.within = Some(Jurisdiction::of(&org));
            }
            Ok(worker::list_in(conn, cipher, me.scope(), &filter, &page)?)
        })
        .await?;
    Ok(web::Json(WorkerPage {
        next_cursor: page.next.as_ref().map(models::Cursor::encode),
        items: page.items.into_iter().map(WorkerResponse::from).collect(),
    }))
}
