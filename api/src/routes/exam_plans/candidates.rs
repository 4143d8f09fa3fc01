use actix_web::web;
use exam::WorkerRole;
use models::candidate::{self, Candidate};
use models::{organization, worker, WorkerId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{managed_plan, visible_plan};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::{Json, PageParams, Query};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CandidateStatus {
    NotStarted,
    InProgress,
    Finished,
    /// 缺考: no attempt by the end of the window.
    Absent,
    /// 作弊: the attempt was voided by a proctor.
    Cheating,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateResponse {
    pub worker_id: String,
    pub name: String,
    pub organization_id: String,
    pub organization_name: String,
    pub role: WorkerRole,
    pub status: CandidateStatus,
    pub attempt_id: Option<String>,
    pub score: Option<i32>,
    pub passed: Option<bool>,
    /// 初考分数: the original exam's score (for a makeup's candidates too).
    pub first_score: Option<i32>,
    /// 补考分数: the makeup's score.
    pub makeup_score: Option<i32>,
    /// 缺考 or 作弊, where the score would be.
    pub remark: Option<String>,
}

impl From<Candidate> for CandidateResponse {
    fn from(c: Candidate) -> Self {
        let voided = c.finish_reason.as_deref() == Some(models::attempt::CHEATING);
        let status = match (c.absent, c.attempt_status.as_deref()) {
            (_, Some(_)) if voided => CandidateStatus::Cheating,
            (_, Some("finished")) => CandidateStatus::Finished,
            (_, Some(_)) => CandidateStatus::InProgress,
            (true, None) => CandidateStatus::Absent,
            (false, None) => CandidateStatus::NotStarted,
        };
        CandidateResponse {
            worker_id: c.worker_id.to_string(),
            name: c.name,
            organization_id: c.organization_id.to_string(),
            organization_name: c.organization_name,
            role: c.role,
            status,
            attempt_id: c.attempt_id,
            score: c.score,
            passed: c.passed,
            first_score: c.first_score,
            makeup_score: c.makeup_score,
            remark: match status {
                CandidateStatus::Cheating => Some("作弊".to_owned()),
                CandidateStatus::Absent => Some("缺考".to_owned()),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidatePage {
    pub items: Vec<CandidateResponse>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListCandidatesQuery {
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The candidates of an exam plan that lie in the caller's jurisdiction, with their state
/// and scores (first and makeup).
#[utoipa::path(get, path = "/api/v1/exam-plans/{id}/candidates", operation_id = "listCandidates", tag = "exams",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Plan id"), ListCandidatesQuery),
    responses((status = 200, body = CandidatePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_candidates(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    query: Query<ListCandidatesQuery>,
) -> Result<web::Json<CandidatePage>, ApiError> {
    let q = query.0;
    let page = PageParams::parse(q.limit, q.cursor.as_deref())?;
    let page = state
        .db(move |conn, _| {
            let p = visible_plan(conn, &me, &id)?;
            Ok(candidate::list(conn, &p, me.scope(), &page)?)
        })
        .await?;
    Ok(web::Json(CandidatePage {
        next_cursor: page.next.as_ref().map(models::Cursor::encode),
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCandidatesRequest {
    /// Registered workers of the organizer's subtree to add.
    #[serde(default)]
    pub add: Vec<String>,
    /// Workers to take off the list (those who started stay).
    #[serde(default)]
    pub remove: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateCandidatesResult {
    pub added: usize,
    pub removed: usize,
}

/// Adjust a plan's candidate list by hand.
#[utoipa::path(post, path = "/api/v1/exam-plans/{id}/candidates", operation_id = "updateCandidates", tag = "exams",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Plan id")),
    request_body = UpdateCandidatesRequest,
    responses((status = 200, body = UpdateCandidatesResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "a worker that cannot be a candidate", body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn update_candidates(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<UpdateCandidatesRequest>,
) -> Result<web::Json<UpdateCandidatesResult>, ApiError> {
    let b = body.0;
    if b.add.len() + b.remove.len() > 5000 {
        return Err(
            ApiError::new(Code::ValidationFailed).text("一次最多调整 5000 人", "at most 5000 workers per request")
        );
    }
    let parse = |ids: &[String], field: &str| -> Result<Vec<WorkerId>, ApiError> {
        ids.iter().map(|s| WorkerId::parse(s).ok_or_else(|| ApiError::not_found().field(field))).collect()
    };
    let add = parse(&b.add, "add")?;
    let remove = parse(&b.remove, "remove")?;
    let result = state
        .db(move |conn, cipher| {
            let p = managed_plan(conn, &me, &id)?;
            let mut rows = Vec::with_capacity(add.len());
            for w in &add {
                let rec = worker::find_in(conn, cipher, me.scope(), w).map_err(|e| ApiError::from(e).field("add"))?;
                let org = organization::get_unscoped(conn, cipher, &rec.organization_id)?;
                if rec.status != worker::Status::Registered || !rec.active || !org.path.starts_with(&p.organizer_path) {
                    return Err(ApiError::new(Code::ValidationFailed).field("add").text(
                        "只能添加主办单位辖区内已注册的在职人员",
                        "only registered, active workers under the organizer can be candidates",
                    ));
                }
                rows.push((rec.id, rec.organization_id, rec.role));
            }
            models::db::write_transaction(conn, |conn| {
                let removed = candidate::remove(conn, &p.id, &remove)?;
                let added = candidate::add(conn, &p.id, &rows, Some(&me.account_id))?;
                Ok(UpdateCandidatesResult { added, removed })
            })
        })
        .await?;
    tracing::info!(added = result.added, removed = result.removed, "candidates adjusted");
    Ok(web::Json(result))
}
