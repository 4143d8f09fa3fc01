use actix_web::{web, HttpResponse};
use exam::access::Role;
use exam::learning::{self, ContentKind, Focus, MAX_PLAN_ITEMS};
use exam::{OrgLevel, WorkerRole};
use models::learning::{Content, NewPlan, PlanItem};
use models::organization::{self, Organization};
use models::{CourseId, DbConn, OrgId};

use super::{course_titles, CreateLearningPlanRequest, LearningPlanList, LearningPlanResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

fn invalid(field: impl Into<String>, zh: &str, en: &str) -> ApiError {
    ApiError::new(Code::ValidationFailed).field(field).text(zh, en)
}

/// Whether the caller sets this enterprise's learning plans: its admin, or its principal
/// (主要负责人) signed in as a worker.
fn may_plan(conn: &mut DbConn, cipher: &models::Cipher, me: &Principal, org: &Organization) -> Result<bool, ApiError> {
    if me.role.may_run_enterprise_learning(me.relation(org)?) {
        return Ok(true);
    }
    if me.role != Role::Worker {
        return Ok(false);
    }
    let worker = models::worker::find_by_account(conn, cipher, &me.account_id)?;
    Ok(worker.is_some_and(|w| w.active && w.role == WorkerRole::Principal && w.organization_id == org.id))
}

/// The focus by default: what the campaign has the item's roles study.
fn default_focus(roles: &[WorkerRole]) -> Vec<Focus> {
    let roles = if roles.is_empty() { WorkerRole::ALL } else { roles };
    Focus::ALL.iter().copied().filter(|f| roles.iter().any(|r| Focus::suggested_for(*r).contains(f))).collect()
}

/// Set an enterprise's learning plan (大学习): items of study — a course of the catalogue,
/// one of the laws of the question bank, or the enterprise's own material — each for some
/// roles, with what they focus on and dates within the plan's. By the enterprise's admin or
/// its principal.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/learning-plans", operation_id = "createLearningPlan",
    tag = "learning", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Enterprise id")), request_body = CreateLearningPlanRequest,
    responses(
        (status = 201, body = LearningPlanResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_learning_plan(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<CreateLearningPlanRequest>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let b = body.0;
    let title = exam::text::bounded(&b.title, 100).map_err(|e| ApiError::invalid("title", e))?;
    for (field, date) in [("starts_on", b.starts_on), ("ends_on", b.ends_on)] {
        if !(2000..=2099).contains(&chrono::Datelike::year(&date)) {
            return Err(invalid(field, "须在 2000 至 2099 年之间", "must be in 2000–2099"));
        }
    }
    if b.ends_on < b.starts_on {
        return Err(invalid("ends_on", "不能早于开始日期", "must not be before starts_on"));
    }
    if b.items.is_empty() || b.items.len() > MAX_PLAN_ITEMS {
        return Err(invalid(
            "items",
            &format!("须有 1 至 {MAX_PLAN_ITEMS} 项"),
            &format!("must hold 1 to {MAX_PLAN_ITEMS} items"),
        ));
    }
    let mut items = Vec::with_capacity(b.items.len());
    let mut courses = Vec::new();
    for (i, it) in b.items.into_iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        let content = match it.content {
            ContentKind::Course => {
                let id = it.course_id.as_deref().and_then(CourseId::parse).ok_or_else(|| {
                    invalid(at("course_id"), "须选择课程目录中的课程", "must name a course of the catalogue")
                })?;
                courses.push((at("course_id"), id.clone()));
                Content::Course(id)
            }
            ContentKind::Law => match it.law {
                Some(law) if law.is_law() => Content::Law(law),
                _ => {
                    return Err(invalid(
                        at("law"),
                        "须选择题库法律法规目录中的一部法律法规",
                        "must name one of the laws and rules of the question bank",
                    ))
                }
            },
            ContentKind::Material => {
                let title = exam::text::bounded(it.title.as_deref().unwrap_or(""), 100)
                    .map_err(|e| ApiError::invalid(&at("title"), e))?;
                let url =
                    it.url.as_deref().map(learning::link).transpose().map_err(|e| ApiError::invalid(&at("url"), e))?;
                Content::Material { title, url }
            }
        };
        let starts_on = it.starts_on.unwrap_or(b.starts_on);
        let ends_on = it.ends_on.unwrap_or(b.ends_on);
        if starts_on < b.starts_on || ends_on > b.ends_on || ends_on < starts_on {
            return Err(invalid(
                at("starts_on"),
                "须在计划的起止日期之内，且结束不早于开始",
                "must lie within the plan's dates, ending no earlier than it starts",
            ));
        }
        let roles = learning::roles(&it.roles);
        let focus = match it.focus {
            Some(f) => Focus::ALL.iter().copied().filter(|x| f.contains(x)).collect(),
            None => default_focus(&roles),
        };
        items.push(PlanItem { content, roles, focus, starts_on, ends_on });
    }
    let plan = state
        .db(move |conn, cipher| {
            let org = organization::find_in(conn, cipher, me.scope(), &org_id)?;
            if !may_plan(conn, cipher, &me, &org)? {
                return Err(ApiError::forbidden());
            }
            if org.level != OrgLevel::Enterprise {
                return Err(invalid("id", "学习计划由企业制定", "learning plans are an enterprise's"));
            }
            // A course must be one the enterprise sees: kept by a bureau above it.
            let ids: Vec<CourseId> = courses.iter().map(|(_, id)| id.clone()).collect();
            let found = models::learning::courses_by_id(conn, &ids)?;
            let above: Vec<&str> = org.path.split('/').filter(|s| !s.is_empty()).collect();
            for (field, id) in &courses {
                let seen = found.iter().any(|c| c.id == *id && above.contains(&c.organization_id.as_str()));
                if !seen {
                    return Err(invalid(
                        field.as_str(),
                        "课程不存在或本企业无权使用",
                        "no such course for this enterprise",
                    ));
                }
            }
            let new = NewPlan {
                organization_id: org.id.clone(),
                title,
                starts_on: b.starts_on,
                ends_on: b.ends_on,
                items,
                created_by: me.account_id.clone(),
            };
            let plan = models::learning::create_plan(conn, new)?;
            let titles = course_titles(conn, std::slice::from_ref(&plan))?;
            Ok(LearningPlanResponse::of(plan, &titles))
        })
        .await?;
    tracing::info!(plan = %plan.id, items = plan.items.len(), "learning plan set");
    Ok(HttpResponse::Created().json(plan))
}

/// An enterprise's learning plans, the latest first: for the enterprise, its workers (to
/// see what to study) and the bureaus above it.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/learning-plans", operation_id = "listLearningPlans",
    tag = "learning", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Enterprise id")),
    responses((status = 200, body = LearningPlanList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_learning_plans(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let items = state
        .db(move |conn, cipher| {
            if matches!(me.role, Role::IntegrationClient | Role::Proctor) {
                return Err(ApiError::forbidden());
            }
            let org = organization::find_in(conn, cipher, me.scope(), &org_id)?;
            let plans = models::learning::plans_of(conn, &org.id)?;
            let titles = course_titles(conn, &plans)?;
            Ok(plans.into_iter().map(|p| LearningPlanResponse::of(p, &titles)).collect())
        })
        .await?;
    Ok(HttpResponse::Ok().json(LearningPlanList { items }))
}
