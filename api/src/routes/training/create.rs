use std::collections::HashSet;

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use exam::training::{ProviderKind, SessionFields, SessionInput, TrainingLevel};
use models::training::{NewSession, Source};
use models::{OrgId, WorkerId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{today_in_china, TrainingSessionResponse};
use crate::auth::Principal;
use crate::error::{ApiError, Code, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// The most attendees one session lists.
const MAX_ATTENDEES: usize = exam::training::MAX_ATTENDEES;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrainingSessionRequest {
    /// 培训主题, 1 to 100 characters.
    pub topic: String,
    pub level: TrainingLevel,
    pub held_on: NaiveDate,
    /// 学时: 0.5 to 24, in half hours.
    pub hours: f64,
    /// 授课人, 1 to 50 characters.
    pub trainer: String,
    pub provider: ProviderKind,
    /// The other enterprise or agency: required unless `provider` is `own`, and then absent.
    pub provider_name: Option<String>,
    /// 重点岗位专项培训 (default false).
    #[serde(default)]
    pub key_position: bool,
    /// The enterprise's workers who attended (ids), 1 to 2000.
    pub attendees: Vec<String>,
}

pub fn field_error(field: exam::training::Field, e: exam::ValueError) -> ApiError {
    ApiError::invalid(field.as_str(), e)
}

/// Record a training session held for an enterprise: level (厂级/公司级, 车间级, 班组级),
/// date, hours, trainer, topic, whether it was focused training for key positions, who
/// trained (the enterprise itself, another enterprise or a training agency on its behalf)
/// and the enterprise's workers who attended. By the enterprise's admin.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/training-sessions", operation_id = "createTrainingSession",
    tag = "training", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Enterprise id")), request_body = CreateTrainingSessionRequest,
    responses(
        (status = 201, body = TrainingSessionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_training_session(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    body: Json<CreateTrainingSessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId::parse(&id).ok_or_else(ApiError::not_found)?;
    let b = body.0;
    let input = SessionInput {
        topic: b.topic,
        level: b.level,
        held_on: b.held_on,
        hours: b.hours,
        trainer: b.trainer,
        provider: b.provider,
        provider_name: b.provider_name,
        key_position: b.key_position,
    };
    let fields = SessionFields::new(input).map_err(|(f, e)| field_error(f, e))?;
    if fields.held_on > today_in_china() {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("held_on")
            .text("不能晚于今天", "must not be after today"));
    }
    if b.attendees.is_empty() || b.attendees.len() > MAX_ATTENDEES {
        return Err(ApiError::new(Code::ValidationFailed)
            .field("attendees")
            .text(format!("须有 1 至 {MAX_ATTENDEES} 人"), format!("must list 1 to {MAX_ATTENDEES} workers")));
    }
    let mut attendees = Vec::with_capacity(b.attendees.len());
    let mut seen = HashSet::new();
    for (i, a) in b.attendees.iter().enumerate() {
        let id = WorkerId::parse(a).ok_or_else(|| ApiError::not_found().field(format!("attendees[{i}]")))?;
        if !seen.insert(id.clone()) {
            return Err(ApiError::new(Code::ValidationFailed)
                .field(format!("attendees[{i}]"))
                .text("重复列出了同一人员", "lists the same worker twice"));
        }
        attendees.push(id);
    }
    let session = state
        .db(move |conn, cipher| {
            let org = super::enterprise_of(conn, cipher, &me, &org_id)?;
            for (i, id) in attendees.iter().enumerate() {
                let worker = models::worker::get_unscoped(conn, cipher, id).ok();
                if !worker.is_some_and(|w| w.organization_id == org.id && w.active) {
                    return Err(ApiError::new(Code::ValidationFailed)
                        .field(format!("attendees[{i}]"))
                        .text("不是本企业在职人员", "is not a current worker of this enterprise"));
                }
            }
            let new = NewSession {
                organization_id: org.id.clone(),
                fields,
                source: Source::Entered,
                attendees,
                created_by: me.account_id.clone(),
            };
            Ok(models::training::create(conn, new, &[])?)
        })
        .await?;
    tracing::info!(session = %session.id, attendees = session.attendees, "training session recorded");
    Ok(HttpResponse::Created().json(TrainingSessionResponse::of(session, Vec::new())))
}
