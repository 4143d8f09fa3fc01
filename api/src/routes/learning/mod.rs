//! 大学习: enterprises' learning plans, lesson progress reported from the app, practice
//! quizzes.

pub mod plans;
pub mod practice;
pub mod progress;

use chrono::{DateTime, NaiveDate, Utc};
use exam::bank::Category;
use exam::learning::{ContentKind, Focus};
use exam::WorkerRole;
use models::learning::{Content, Plan};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLearningPlanRequest {
    /// e.g. 2026年“大学习”计划; 1 to 100 characters.
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// 1 to 100 items, in order.
    pub items: Vec<PlanItemRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItemRequest {
    /// `course` (with `course_id`), `law` (with `law`) or `material` (with `title`, and `url`
    /// where it is online).
    pub content: ContentKind,
    /// A course of the catalogue the enterprise sees.
    pub course_id: Option<String>,
    /// One of the laws and rules of the question bank (a category such as `work_safety_law`).
    pub law: Option<Category>,
    /// The enterprise's own material: its title (1 to 100 characters) …
    pub title: Option<String>,
    /// … and link.
    pub url: Option<String>,
    /// Who studies it; empty or absent for everyone.
    #[serde(default)]
    pub roles: Vec<WorkerRole>,
    /// What it is for; by default what the campaign has those roles focus on (principals and
    /// safety managers: laws and management; other staff: operating rules, accident cases,
    /// hazards, emergencies).
    pub focus: Option<Vec<Focus>>,
    /// Within the plan's dates; the plan's by default.
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanItemResponse {
    pub position: usize,
    pub content: ContentKind,
    pub course_id: Option<String>,
    pub law: Option<Category>,
    /// The course's title, the law's name or the material's title.
    pub title: String,
    pub url: Option<String>,
    /// Empty: everyone.
    pub roles: Vec<WorkerRole>,
    pub focus: Vec<Focus>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LearningPlanResponse {
    pub id: String,
    pub organization_id: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub items: Vec<PlanItemResponse>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LearningPlanList {
    pub items: Vec<LearningPlanResponse>,
}

impl LearningPlanResponse {
    /// A plan, its courses' titles looked up in `course_titles`.
    pub fn of(p: Plan, course_titles: &std::collections::HashMap<String, String>) -> Self {
        Self {
            id: p.id.to_string(),
            organization_id: p.organization_id.to_string(),
            title: p.title,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            items: p
                .items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    let content = item.content.kind();
                    let (course_id, law, title, url) = match item.content {
                        Content::Course(c) => {
                            let title = course_titles.get(c.as_str()).cloned().unwrap_or_default();
                            (Some(c.to_string()), None, title, None)
                        }
                        Content::Law(l) => (None, Some(l), l.label_zh().to_owned(), None),
                        Content::Material { title, url } => (None, None, title, url),
                    };
                    PlanItemResponse {
                        position: i + 1,
                        content,
                        course_id,
                        law,
                        title,
                        url,
                        roles: item.roles,
                        focus: item.focus,
                        starts_on: item.starts_on,
                        ends_on: item.ends_on,
                    }
                })
                .collect(),
            created_at: p.created_at.and_utc(),
        }
    }
}

/// The titles of the courses a set of plans names.
pub fn course_titles(
    conn: &mut models::DbConn,
    plans: &[Plan],
) -> Result<std::collections::HashMap<String, String>, crate::error::ApiError> {
    let ids: Vec<models::CourseId> = plans
        .iter()
        .flat_map(|p| &p.items)
        .filter_map(|i| match &i.content {
            Content::Course(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    Ok(models::learning::courses_by_id(conn, &ids)?.into_iter().map(|c| (c.id.to_string(), c.title)).collect())
}
