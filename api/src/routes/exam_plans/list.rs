use actix_web::web;
use exam::plan::PlanKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ExamPlanResponse;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{PageParams, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListExamPlansQuery {
    pub kind: Option<PlanKind>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamPlanPage {
    pub items: Vec<ExamPlanResponse>,
    pub next_cursor: Option<String>,
}

/// The exam plans organized in the caller's subtree or above it (a county's exam is
/// listed for the enterprises below), oldest first.
#[utoipa::path(get, path = "/api/v1/exam-plans", operation_id = "listExamPlans", tag = "exams",
    security(("bearer" = [])), params(ListExamPlansQuery),
    responses((status = 200, body = ExamPlanPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_exam_plans(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ListExamPlansQuery>,
) -> Result<web::Json<ExamPlanPage>, ApiError> {
    me.require(|r| r.may_view_exams())?;
    let q = query.0;
    let page = PageParams::parse(q.limit, q.cursor.as_deref())?;
    let page = state.db(move |conn, _| Ok(models::plan::list(conn, me.scope(), q.kind, &page)?)).await?;
    Ok(web::Json(ExamPlanPage {
        next_cursor: page.next.as_ref().map(models::Cursor::encode),
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}
