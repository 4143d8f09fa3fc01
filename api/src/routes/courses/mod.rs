//! The course catalogue (大学习): courses kept by the bureaus, with their lessons.

pub mod create;
pub mod list;

use chrono::{DateTime, Utc};
use exam::learning::LessonKind;
use exam::{Industry, WorkerRole};
use models::learning::Course;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourseRequest {
    /// 1 to 100 characters.
    pub title: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// Who the course suits; empty or absent for everyone.
    #[serde(default)]
    pub roles: Vec<WorkerRole>,
    /// The industries it suits; empty or absent for all.
    #[serde(default)]
    pub industries: Vec<Industry>,
    /// 1 to 100 lessons, in order.
    pub lessons: Vec<NewLessonRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLessonRequest {
    /// 1 to 100 characters.
    pub title: String,
    pub kind: LessonKind,
    /// The video or document, `http://` or `https://`.
    pub url: String,
    /// How long the lesson takes, 60 seconds to 4 hours: the most study time it credits.
    pub duration_secs: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LessonResponse {
    pub id: String,
    /// 1, 2, … in the course.
    pub position: i32,
    pub title: String,
    pub kind: LessonKind,
    pub url: String,
    pub duration_secs: i32,
    /// The calling worker's credited seconds (workers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_seconds: Option<i32>,
    /// Whether the calling worker has finished it (workers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_completed: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseResponse {
    pub id: String,
    /// The bureau keeping the course.
    pub organization_id: String,
    pub organization_name: String,
    pub title: String,
    pub description: Option<String>,
    /// Empty: every role.
    pub roles: Vec<WorkerRole>,
    /// Empty: every industry.
    pub industries: Vec<Industry>,
    pub lessons: Vec<LessonResponse>,
    /// The lessons' durations summed.
    pub total_secs: i64,
    pub created_at: DateTime<Utc>,
}

impl CourseResponse {
    /// The course, with the calling worker's progress by lesson id when there is one.
    pub fn of(c: Course, mine: Option<&std::collections::HashMap<String, (i32, bool)>>) -> Self {
        Self {
            id: c.id.to_string(),
            organization_id: c.organization_id.to_string(),
            organization_name: c.organization_name,
            title: c.title,
            description: c.description,
            roles: c.roles,
            industries: c.industries,
            total_secs: c.lessons.iter().map(|l| i64::from(l.duration_secs)).sum(),
            lessons: c
                .lessons
                .into_iter()
                .map(|l| {
                    let own = mine.map(|m| m.get(l.id.as_str()).copied().unwrap_or((0, false)));
                    LessonResponse {
                        id: l.id.to_string(),
                        position: l.position,
                        title: l.title,
                        kind: l.kind,
                        url: l.url,
                        duration_secs: l.duration_secs,
                        my_seconds: own.map(|o| o.0),
                        my_completed: own.map(|o| o.1),
                    }
                })
                .collect(),
            created_at: c.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseList {
    pub items: Vec<CourseResponse>,
}
