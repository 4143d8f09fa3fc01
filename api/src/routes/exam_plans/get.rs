use actix_web::web;

use super::{visible_plan, ExamPlanResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// An exam plan organized in the caller's subtree or above it.
#[utoipa::path(get, path = "/api/v1/exam-plans/{id}", operation_id = "getExamPlan", tag = "exams",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Plan id")),
    responses((status = 200, body = ExamPlanResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_exam_plan(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<web::Json<ExamPlanResponse>, ApiError> {
    let plan = state.db(move |conn, _| visible_plan(conn, &me, &id)).await?;
    Ok(web::Json(plan.into()))
}
