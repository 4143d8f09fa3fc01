use actix_web::web;
use models::bank::{self, Filter};

use super::{bank_for, ListQuestionsQuery, QuestionPage};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{PageParams, Query};
use crate::state::AppState;

/// The questions of a bank the caller can see, with their keys (staff only).
#[utoipa::path(get, path = "/api/v1/question-banks/{id}/questions", operation_id = "listQuestions", tag = "question bank",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Bank id"), ListQuestionsQuery),
    responses((status = 200, body = QuestionPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_questions(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    query: Query<ListQuestionsQuery>,
) -> Result<web::Json<QuestionPage>, ApiError> {
    let q = query.0;
    let page = PageParams::parse(q.limit, q.cursor.as_deref())?;
    let filter = Filter { category: q.category, kind: q.kind, include_retired: q.include_retired.unwrap_or(false) };
    let page = state
        .db(move |conn, _| {
            let b = bank_for(conn, &me, &id, false)?;
            Ok(bank::list(conn, &b.id, &filter, &page)?)
        })
        .await?;
    Ok(web::Json(QuestionPage {
        next_cursor: page.next.as_ref().map(models::Cursor::encode),
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}
