use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use exam::paper::Blueprint;
use exam::plan::{CandidateFilter, PlanKind};
use models::{candidate, organization, plan, OrgId, PlanId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{check_sources, ExamPlanResponse, Submitted};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::routes::exam_sessions::SessionInput;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExamPlanRequest {
    /// The organizing organization: an enterprise for its all-staff exam, a county for its
    /// principals' exam, the province for the unified exam. Omitted for a makeup, which the
    /// original's organizer runs.
    pub organizer_id: Option<String>,
    pub kind: PlanKind,
    #[schema(example = "2026年兰山区规模以下企业主要负责人考试")]
    pub name: String,
    /// For a makeup (补考): the exam it follows. Its failed and absent candidates become the
    /// makeup's candidates.
    pub original_plan_id: Option<String>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Which workers of the organizer's subtree are candidates; defaults to what the kind
    /// implies (e.g. principals of 规模以下 enterprises for a county exam).
    pub candidate_filter: Option<CandidateFilter>,
    /// Defaults to 100 questions of 1 point, 60 minutes, pass at 80.
    pub blueprint: Option<Blueprint>,
    /// Random face checks (刷脸) per attempt during the exam, 0 to 5; default 2. Candidates
    /// who started on a proctor's ID-card check get none.
    pub face_checks: Option<i32>,
    /// Whether the start needs a passed liveness challenge (活体检测) besides the face
    /// match; default true.
    pub liveness_at_start: Option<bool>,
    /// Whether the random face checks during the exam are liveness challenges (the app
    /// films the movements asked for) rather than single photos; default true.
    pub liveness_in_checks: Option<bool>,
    pub bank_ids: Vec<String>,
    #[serde(default)]
    pub sessions: Vec<SessionInput>,
}

/// In-exam face checks per attempt unless the plan says.
const DEFAULT_FACE_CHECKS: i32 = 2;

fn refuse(field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::new(Code::ValidationFailed).field(field).text(zh, en)
}

/// Create an exam plan and generate its candidate list from the registry. Refused, with the
/// shortfall named, when the banks cannot fill the blueprint.
#[utoipa::path(post, path = "/api/v1/exam-plans", operation_id = "createExamPlan", tag = "exams",
    security(("bearer" = [])), request_body = CreateExamPlanRequest,
    responses(
        (status = 201, body = ExamPlanResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "validation_failed, or blueprint_unsatisfiable with each shortfall in `errors`", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_exam_plan(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateExamPlanRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let kind = b.kind;
    let original = match (&b.original_plan_id, kind) {
        (Some(id), PlanKind::Makeup) => {
            Some(PlanId::parse(id).ok_or_else(|| ApiError::not_found().field("original_plan_id"))?)
        }
        (None, PlanKind::Makeup) => {
            return Err(refuse("original_plan_id", "补考须指明原考试", "a makeup names its original exam"))
        }
        (Some(_), _) => {
            return Err(refuse("original_plan_id", "只有补考才有原考试", "only a makeup has an original exam"))
        }
        (None, _) => None,
    };
    let organizer = b
        .organizer_id
        .as_deref()
        .map(|s| OrgId::parse(s).ok_or_else(|| ApiError::not_found().field("organizer_id")))
        .transpose()?;
    let submitted = Submitted {
        name: b.name,
        window_start: b.window_start,
        window_end: b.window_end,
        filter: b.candidate_filter.unwrap_or_else(|| kind.default_filter()),
        blueprint: b.blueprint.unwrap_or_default(),
        face_checks: b.face_checks.unwrap_or(DEFAULT_FACE_CHECKS),
        liveness_at_start: b.liveness_at_start.unwrap_or(true),
        liveness_in_checks: b.liveness_in_checks.unwrap_or(true),
        bank_ids: b.bank_ids,
        sessions: Some(b.sessions),
    };
    let mut content = submitted.check()?;
    let created = state
        .db(move |conn, cipher| {
            let (org, original) = match &original {
                Some(id) => {
                    let orig = super::managed_plan(conn, &me, id.as_str()).map_err(|e| e.field("original_plan_id"))?;
                    if orig.kind == PlanKind::Makeup {
                        return Err(refuse("original_plan_id", "补考不能再设补考，请以原考试为准", "a makeup follows an original exam, not another makeup"));
                    }
                    if content.window_start < orig.window_end {
                        return Err(refuse("window_start", "补考须在原考试结束之后", "a makeup starts after its original exam's window"));
                    }
                    if organizer.as_ref().is_some_and(|o| *o != orig.organizer_id) {
                        return Err(refuse("organizer_id", "补考由原考试的主办单位组织", "a makeup is organized by its original's organizer"));
                    }
                    content.filter = orig.filter.clone();
                    (organization::get_unscoped(conn, cipher, &orig.organizer_id)?, Some(orig))
                }
                None => {
                    let id = organizer.clone().ok_or_else(|| refuse("organizer_id", "请指定主办单位", "name the organizing organization"))?;
                    let org = organization::find_in(conn, cipher, me.scope(), &id).map_err(|e| ApiError::from(e).field("organizer_id"))?;
                    if !me.role.may_organize_exams(me.relation(&org)?) {
                        return Err(ApiError::forbidden());
                    }
                    if kind.organizer_level() != Some(org.level) {
                        return Err(refuse("organizer_id", "主办单位的级别与考试类型不符（企业全员考试由企业、主要负责人考试由县区、全省大统考由省厅组织）", "the organizer's level does not fit the kind of exam"));
                    }
                    (org, None)
                }
            };
            let candidates = match &original {
                Some(orig) => candidate::failed_or_absent(conn, &orig.id)?,
                None => candidate::eligible(conn, &org.path, &content.filter)?,
            };
            let roles = original.as_ref().map(|_| {
                let mut r: Vec<_> = candidates.iter().map(|c| c.2).collect();
                r.sort_unstable();
                r.dedup();
                r
            });
            check_sources(conn, &me, &org.path, &content, roles)?;
            models::db::write_transaction(conn, |conn| {
                let created = plan::create(conn, &org.id, kind, original.as_ref().map(|o| &o.id), &content, &me.account_id)?;
                candidate::add(conn, &created.id, &candidates, Some(&me.account_id))?;
                Ok(plan::get(conn, &created.id)?)
            })
        })
        .await?;
    tracing::info!(plan = %created.id, kind = created.kind.as_str(), candidates = created.candidate_count, "exam plan created");
    Ok(HttpResponse::Created().json(ExamPlanResponse::from(created)))
}
