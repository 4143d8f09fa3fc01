use actix_web::{web, HttpResponse};
use models::OrgId;

use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::routes::reports::xlsx;
use crate::state::AppState;

/// The offline attendance sheet (培训签到表) for an enterprise, as XLSX: the session's
/// fields to fill in (topic, level, date, hours, trainer, who trained, key positions) and
/// numbered rows for each attendee's name, ID number and signature. Printed, signed at the
/// session, typed up and sent back with `uploadTrainingRecord`.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/training-template", operation_id = "downloadTrainingTemplate",
    tag = "training", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Enterprise id")),
    responses(
        (status = 200, description = "The attendance sheet",
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = crate::routes::workers::import::RosterFile),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn download_training_template(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let org = state.db(move |conn, cipher| super::enterprise_of(conn, cipher, &me, &org_id)).await?;
    let bytes = web::block(move || exam::training::attendance_template(&org.name))
        .await?
        .map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
    Ok(xlsx(bytes, "training-attendance.xlsx"))
}
