use actix_web::web;
use models::{registration_code, OrgId};

use super::{ListRegistrationCodesQuery, RegistrationCodePage, RegistrationCodeResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::{PageParams, Query};
use crate::state::AppState;

/// List the registration codes of the caller's jurisdiction with their use counts.
#[utoipa::path(get, path = "/api/v1/registration-codes", operation_id = "listRegistrationCodes", tag = "registration codes",
    security(("bearer" = [])), params(ListRegistrationCodesQuery),
    responses((status = 200, body = RegistrationCodePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_registration_codes(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ListRegistrationCodesQuery>,
) -> Result<web::Json<RegistrationCodePage>, ApiError> {
    me.require(|r| r.may_issue_registration_codes(exam::access::Relation::Own))?;
    let q = query.0;
    let page = PageParams::parse(q.limit, q.cursor.as_deref())?;
    let org = match q.organization_id.as_deref() {
        None => None,
        Some(s) => Some(OrgId::parse(s).ok_or_else(|| ApiError::new(Code::InvalidQuery).field("organization_id"))?),
    };
    let page = state.db(move |conn, _| Ok(registration_code::list_in(conn, me.scope(), org.as_ref(), &page)?)).await?;
    Ok(web::Json(RegistrationCodePage {
        next_cursor: page.next.as_ref().map(models::Cursor::encode),
        items: page.items.into_iter().map(RegistrationCodeResponse::from).collect(),
    }))
}
