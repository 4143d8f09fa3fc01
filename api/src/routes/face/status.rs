use actix_web::web;

use super::{own_record, status_of, FaceStatus};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The caller's face data: enrolled or not, by which model, the consent on record.
#[utoipa::path(get, path = "/api/v1/me/face", operation_id = "getFaceStatus", tag = "face",
    security(("bearer" = [])),
    responses((status = 200, body = FaceStatus), (status = 401, body = ErrorBody),
        (status = 403, description = "not_a_worker", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_face_status(state: web::Data<AppState>, me: Principal) -> Result<web::Json<FaceStatus>, ApiError> {
    let status = state
        .db(move |conn, cipher| {
            let record = own_record(conn, cipher, &me)?;
            status_of(conn, cipher, &record)
        })
        .await?;
    Ok(web::Json(status))
}
