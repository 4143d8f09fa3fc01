use actix_web::{web, HttpResponse};
use exam::OrgName;
use models::{bank, organization, OrgId};

use super::{BankList, BankResponse, CreateBankRequest};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Create a question bank for the caller's own organization (province, city, county or
/// enterprise administrators). Banks are shared down the hierarchy, read-only.
#[utoipa::path(post, path = "/api/v1/question-banks", operation_id = "createQuestionBank", tag = "question bank",
    security(("bearer" = [])), request_body = CreateBankRequest,
    responses(
        (status = 201, body = BankResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "bank_name_taken", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn create_question_bank(
    state: web::Data<AppState>,
    me: Principal,
    body: Json<CreateBankRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let org_id = OrgId::parse(&b.organization_id).ok_or_else(|| ApiError::not_found().field("organization_id"))?;
    let name = OrgName::parse(&b.name).map_err(|e| ApiError::invalid("name", e))?;
    let created = state
        .db(move |conn, cipher| {
            let org = organization::find_in(conn, cipher, me.scope(), &org_id)
                .map_err(|e| ApiError::from(e).field("organization_id"))?;
            if !me.role.may_manage_questions(me.relation(&org)?) {
                return Err(ApiError::forbidden());
            }
            let created = bank::create_bank(conn, &org.id, name.as_str(), Some(&me.account_id))?;
            Ok(BankResponse::of(created, &me))
        })
        .await?;
    tracing::info!(bank = %created.id, "question bank created");
    Ok(HttpResponse::Created().json(created))
}

/// The banks the caller can use: its own organization's, those pushed down from above
/// (read-only) and those of organizations below it.
#[utoipa::path(get, path = "/api/v1/question-banks", operation_id = "listQuestionBanks", tag = "question bank",
    security(("bearer" = [])),
    responses((status = 200, body = BankList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn list_question_banks(state: web::Data<AppState>, me: Principal) -> Result<web::Json<BankList>, ApiError> {
    me.require(|r| r.may_read_questions())?;
    let items = state
        .db(move |conn, _| {
            let banks = bank::list_banks(conn, me.scope())?;
            Ok(banks.into_iter().map(|b| BankResponse::of(b, &me)).collect())
        })
        .await?;
    Ok(web::Json(BankList { items }))
}
