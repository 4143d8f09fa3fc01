use actix_web::{web, HttpResponse};
use exam::learning::{self, MAX_LESSONS};
use models::learning::{NewCourse, NewLesson};

use super::{CourseResponse, CreateCourseRequest};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Add a course to the catalogue, kept by the caller's bureau (province, city or county):
/// its lessons (video or document links with their length), and the roles and industries
/// it suits. Workers of the enterprises below the bureau see it.
#[utoipa::path(post, path = "/api/v1/courses", operation_id = "createCourse", tag = "learning",
    security(("bearer" = [])), request_body = CreateCourseRequest,
    responses(
        (status = 201, body = CourseResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "only bureaus keep courses", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_course(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateCourseRequest>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_keep_courses())?;
    let b = body.0;
    let title = exam::text::bounded(&b.title, 100).map_err(|e| ApiError::invalid("title", e))?;
    let description = match b.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) if d.chars().count() > 2000 => {
            return Err(ApiError::invalid("description", exam::ValueError::TooLong { max: 2000 }))
        }
        d => d.map(str::to_owned),
    };
    if b.lessons.is_empty() || b.lessons.len() > MAX_LESSONS {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("lessons")
            .text(format!("须有 1 至 {MAX_LESSONS} 节课"), format!("must hold 1 to {MAX_LESSONS} lessons")));
    }
    let mut lessons = Vec::with_capacity(b.lessons.len());
    for (i, l) in b.lessons.iter().enumerate() {
        let at = |f: &str| format!("lessons[{i}].{f}");
        lessons.push(NewLesson {
            title: exam::text::bounded(&l.title, 100).map_err(|e| ApiError::invalid(&at("title"), e))?,
            kind: l.kind,
            url: learning::link(&l.url).map_err(|e| ApiError::invalid(&at("url"), e))?,
            duration_secs: learning::lesson_secs(l.duration_secs)
                .map_err(|e| ApiError::invalid(&at("duration_secs"), e))?,
        });
    }
    let mut industries = b.industries;
    industries.sort();
    industries.dedup();
    let new = NewCourse {
        organization_id: me.org.id.clone(),
        title,
        description,
        roles: learning::roles(&b.roles),
        industries,
        lessons,
        created_by: me.account_id.clone(),
    };
    let course = state
        .db(move |conn, _| {
            let id = models::learning::create_course(conn, new)?;
            let mut found = models::learning::courses_by_id(conn, &[id])?;
            found.pop().ok_or_else(ApiError::not_found)
        })
        .await?;
    tracing::info!(course = %course.id, lessons = course.lessons.len(), "course added");
    Ok(HttpResponse::Created().json(CourseResponse::of(course, None)))
}
