//! The proctor's list: every candidate of a session and where they stand.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::{roster, watched_session, ExamSessionResponse, SessionCandidateResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCandidates {
    pub session: ExamSessionResponse,
    pub server_time: chrono::DateTime<chrono::Utc>,
    pub items: Vec<SessionCandidateResponse>,
}

/// Every candidate seated in a session, by name, with where they stand now: not arrived,
/// identity checked (face, or ID card by the proctor), started, flagged, submitted, absent
/// or cheating. For the session's proctors and the plan's managers.
/// `streamSessionEvents` pushes the same list's changes.
#[utoipa::path(get, path = "/api/v1/exam-sessions/{id}/candidates", operation_id = "listSessionCandidates", tag = "proctoring",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Session id")),
    responses((status = 200, body = SessionCandidates), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_session_candidates(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<SessionCandidates>, ApiError> {
    let view = state
        .db(move |conn, _| {
            let (session, _, _) = watched_session(conn, &me, &id)?;
            let items = roster(conn, &session)?;
            Ok(SessionCandidates { session: session.into(), server_time: models::now().and_utc(), items })
        })
        .await?;
    Ok(web::Json(view))
}
