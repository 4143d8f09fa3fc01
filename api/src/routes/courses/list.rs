use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use exam::access::Role;
use exam::{Industry, WorkerRole};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{CourseList, CourseResponse};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListCoursesQuery {
    /// Only courses suiting this role. A worker's own role by default.
    #[param(inline)]
    pub role: Option<WorkerRole>,
    /// Only courses suiting this industry. A worker's enterprise's by default.
    #[param(inline)]
    pub industry: Option<Industry>,
    /// A worker: `true` for every course it can see, not only those suiting it.
    pub all: Option<bool>,
}

/// The courses the caller can see, by title: those kept by its own organization and the
/// bureaus above it (a worker's county, city and province), and for a bureau those kept
/// below it. A worker sees the courses suiting its role and industry, each lesson with its
/// own credited time.
#[utoipa::path(get, path = "/api/v1/courses", operation_id = "listCourses", tag = "learning",
    security(("bearer" = [])), params(ListCoursesQuery),
    responses((status = 200, body = CourseList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_courses(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ListCoursesQuery>,
) -> Result<HttpResponse, ApiError> {
    // The catalogue is for the people studying and those keeping it; the platform has no use for it.
    if me.role == Role::IntegrationClient {
        return Err(ApiError::forbidden());
    }
    let q = query.0;
    let items = state
        .db(move |conn, cipher| {
            let mut courses = models::learning::list_courses(conn, me.scope())?;
            let mut role = q.role;
            let mut industry = q.industry;
            let mut mine = None;
            if me.role == Role::Worker {
                if let Some(worker) = models::worker::find_by_account(conn, cipher, &me.account_id)? {
                    if !q.all.unwrap_or(false) {
                        role = role.or(Some(worker.role));
                        industry = industry.or(me.org.industry);
                    }
                    let progress = models::learning::progress_of(conn, &worker.id)?;
                    mine = Some(
                        progress
                            .into_iter()
                            .map(|p| (p.lesson_id.to_string(), (p.seconds, p.completed_at.is_some())))
                            .collect::<HashMap<_, _>>(),
                    );
                }
            }
            courses.retain(|c| {
                role.is_none_or(|r| c.roles.is_empty() || c.roles.contains(&r))
                    && industry.is_none_or(|i| c.industries.is_empty() || c.industries.contains(&i))
            });
            Ok(courses.into_iter().map(|c| CourseResponse::of(c, mine.as_ref())).collect())
        })
        .await?;
    Ok(HttpResponse::Ok().json(CourseList { items }))
}
