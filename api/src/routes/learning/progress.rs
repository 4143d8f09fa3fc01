use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use models::{DbError, LessonId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LessonProgressRequest {
    /// Seconds actually spent on the lesson since the app's previous report (1 to 86400).
    /// The app reports every minute or so while the lesson is open.
    pub seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LessonProgressResponse {
    pub lesson_id: String,
    /// Seconds of this report that counted.
    pub credited_seconds: i32,
    /// Seconds of this report that did not: more than the time since the previous report,
    /// more than one report may claim (300 s), or more than the lesson has left.
    pub not_credited_seconds: i64,
    /// Seconds credited on the lesson in all.
    pub seconds: i32,
    pub duration_secs: i32,
    pub completed: bool,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Report time spent on a lesson, from the worker's app, every minute or so while it is
/// open. The server credits no more than the time that passed on its own clock since the
/// worker's previous report on any lesson (a first report: at most 300 s), no more than 300
/// s a report, and no more than the lesson lasts: a worker cannot claim 10 hours in 5
/// minutes, nor two lessons at once. What was not credited is said in the answer.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/progress", operation_id = "recordLessonProgress", tag = "learning",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Lesson id")),
    request_body = LessonProgressRequest,
    responses(
        (status = 200, body = LessonProgressResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "not_a_worker", body = ErrorBody),
        (status = 404, description = "no such lesson for this worker", body = ErrorBody),
        (status = 409, description = "progress_conflict: another report of the worker at the same moment", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn record_lesson_progress(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<LessonProgressRequest>,
) -> Result<HttpResponse, ApiError> {
    let lesson_id = LessonId::parse(&id).ok_or_else(ApiError::not_found)?;
    let claimed = body.0.seconds;
    if !(1..=86_400).contains(&claimed) {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("seconds")
            .text("须在 1 至 86400 之间", "must be from 1 to 86400"));
    }
    let answer = state
        .db(move |conn, cipher| {
            let worker = models::worker::find_by_account(conn, cipher, &me.account_id)?
                .ok_or_else(|| ApiError::new(Code::NotAWorker))?;
            let (lesson, keeper_path) = models::learning::lesson(conn, &lesson_id)?;
            // Only lessons of courses kept above the worker's enterprise.
            if !me.scope().sees_shared(&keeper_path) {
                return Err(ApiError::not_found());
            }
            let progress = models::learning::record_progress(conn, &worker.id, &lesson, claimed as i32, models::now())
                .map_err(|e| match e {
                    DbError::Conflict { .. } => ApiError::new(Code::ProgressConflict).retry_after(1),
                    other => other.into(),
                })?;
            Ok(LessonProgressResponse {
                lesson_id: lesson.id.to_string(),
                credited_seconds: progress.credited,
                not_credited_seconds: claimed - i64::from(progress.credited),
                seconds: progress.seconds,
                duration_secs: lesson.duration_secs,
                completed: progress.completed_at.is_some(),
                completed_at: progress.completed_at.map(|t| t.and_utc()),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}
