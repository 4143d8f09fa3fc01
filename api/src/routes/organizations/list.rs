use actix_web::web;
use models::organization::{self, OrgFilter};
use models::OrgId;

use super::{ListOrganizationsQuery, OrganizationPage, OrganizationResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::{PageParams, Query};
use crate::state::AppState;

/// List the organizations of the caller's jurisdiction (its own included), in creation
/// order, with filters. Contact phones are masked.
#[utoipa::path(get, path = "/api/v1/organizations", operation_id = "listOrganizations", tag = "organizations",
    security(("bearer" = [])), params(ListOrganizationsQuery),
    responses((status = 200, body = OrganizationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_organizations(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ListOrganizationsQuery>,
) -> Result<web::Json<OrganizationPage>, ApiError> {
    let q = query.0;
    let page = PageParams::parse(q.limit, q.cursor.as_deref())?;
    let parent_id = match q.parent_id.as_deref() {
        None => None,
        Some(p) => Some(OrgId::parse(p).ok_or_else(|| ApiError::new(Code::InvalidQuery).field("parent_id"))?),
    };
    let filter = OrgFilter {
        parent_id,
        level: q.level,
        industry: q.industry,
        size_class: q.size_class,
        name_contains: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let page =
        state.db(move |conn, cipher| Ok(organization::list_in(conn, cipher, me.scope(), &filter, &page)?)).await?;
    Ok(web::Json(OrganizationPage {
        next_cursor: page.next.as_ref().map(models::Cursor::encode),
        items: page.items.into_iter().map(OrganizationResponse::masked).collect(),
    }))
}
