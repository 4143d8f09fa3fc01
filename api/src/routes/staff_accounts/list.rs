use actix_web::web;
use exam::Role;
use models::account::{self, AccountFilter};
use models::OrgId;

use super::{ListStaffAccountsQuery, StaffAccountPage, StaffAccountResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::{PageParams, Query};
use crate::state::AppState;

/// List the staff accounts of the caller's jurisdiction, in creation order.
#[utoipa::path(get, path = "/api/v1/staff-accounts", operation_id = "listStaffAccounts", tag = "staff accounts",
    security(("bearer" = [])), params(ListStaffAccountsQuery),
    responses((status = 200, body = StaffAccountPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_staff_accounts(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ListStaffAccountsQuery>,
) -> Result<web::Json<StaffAccountPage>, ApiError> {
    me.require(|r| r.may_list_staff())?;
    let q = query.0;
    let page = PageParams::parse(q.limit, q.cursor.as_deref())?;
    let organization_id = match q.organization_id.as_deref() {
        None => None,
        Some(s) => Some(OrgId::parse(s).ok_or_else(|| ApiError::new(Code::InvalidQuery).field("organization_id"))?),
    };
    let roles = match q.role {
        Some(r) if !r.is_staff() => {
            return Err(ApiError::new(Code::InvalidQuery).field("role").text("不是工作人员角色", "is not a staff role"))
        }
        Some(r) => vec![r],
        None => Role::ALL.into_iter().filter(|r| r.is_staff()).collect(),
    };
    let filter = AccountFilter { organization_id, roles };
    let page = state.db(move |conn, _| Ok(account::list_in(conn, me.scope(), &filter, &page)?)).await?;
    Ok(web::Json(StaffAccountPage {
        next_cursor: page.next.as_ref().map(models::Cursor::encode),
        items: page.items.into_iter().map(StaffAccountResponse::from).collect(),
    }))
}
