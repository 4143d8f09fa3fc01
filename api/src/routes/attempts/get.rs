use actix_web::web;

use super::{own_attempt, paper, remember, settle, AttemptResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The caller's attempt: the paper (never the keys), the answers saved so far and the
/// seconds remaining by the server's clock. The same call resumes after an app crash, a
/// phone change or a dropped connection.
#[utoipa::path(get, path = "/api/v1/attempts/{id}", operation_id = "getAttempt", tag = "taking exams",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Attempt id")),
    responses((status = 200, body = AttemptResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_attempt(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<AttemptResponse>, ApiError> {
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    let steps = state.settings.liveness_steps;
    let view = state
        .db(move |conn, cipher| {
            let (_, a) = own_attempt(conn, &me, &id)?;
            let a = settle(conn, cipher, a, grace)?;
            let plan = models::plan::rules(conn, &a.plan_id)?;
            paper(conn, &a, &plan, steps)
        })
        .await?;
    remember(&state.papers, &view);
    Ok(web::Json(view))
}
