use actix_web::web;
use models::attempt;

use super::own_attempt;
use super::result::{result_view, ResultResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Hand in the paper (交卷) before the time is up. Idempotent: submitting again, or after
/// the time ran out, returns the result that stands; an attempt is graded exactly once.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/submit", operation_id = "submitAttempt", tag = "taking exams",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Attempt id")),
    responses((status = 200, body = ResultResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn submit_attempt(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<ResultResponse>, ApiError> {
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    let view = state
        .db_burst(move |conn, cipher| {
            let (_, a) = own_attempt(conn, &me, &id)?;
            let a = super::settle(conn, cipher, a, grace)?;
            let plan = models::plan::rules(conn, &a.plan_id)?;
            let a = match a.finished {
                true => a,
                false => match attempt::finish(conn, cipher, &a, "submitted", models::now(), &plan)? {
                    Some(done) => {
                        tracing::info!(attempt = %done.id, score = done.score, passed = done.passed, "attempt submitted");
                        done
                    }
                    // Finished by someone else (the sweeper, a proctor) in the meantime.
                    None => attempt::get(conn, &a.id)?,
                },
            };
            result_view(conn, &a, &plan)
        })
        .await?;
    Ok(web::Json(view))
}
