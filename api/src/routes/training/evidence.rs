use actix_web::http::header;
use actix_web::{web, HttpResponse};
use models::{organization, EvidenceId};

use super::upload::{sealing_context, FilePart};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Download a training session's evidence file (a photo or scan), as it was uploaded: for
/// the enterprise and the bureaus above it checking the record. Each download is kept in
/// the audit log (who, which file).
#[utoipa::path(get, path = "/api/v1/training-evidence/{id}", operation_id = "downloadTrainingEvidence",
    tag = "training", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Evidence id")),
    responses(
        (status = 200, description = "The file, as uploaded",
            content((FilePart = "image/jpeg"), (FilePart = "image/png"), (FilePart = "application/pdf"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn download_training_evidence(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = EvidenceId::parse(&id).ok_or_else(ApiError::not_found)?;
    let evidence = state
        .db(move |conn, cipher| {
            let (evidence, org_id) = models::training::find_evidence(conn, me.scope(), &id)?;
            let org = organization::find_in(conn, cipher, me.scope(), &org_id)?;
            if !me.role.may_read_archives(me.relation(&org)?) {
                return Err(ApiError::forbidden());
            }
            // A scanned attendance sheet shows names and ID numbers: who read it is kept.
            let details =
                serde_json::json!({"session_id": evidence.session_id.as_str(), "organization_id": org.id.as_str()});
            models::audit::record(
                conn,
                Some(&me.account_id),
                "download_training_evidence",
                evidence.id.as_str(),
                &details,
            )?;
            Ok(evidence)
        })
        .await?;
    let store = std::sync::Arc::clone(&state.evidence);
    let cipher = state.cipher.clone();
    let (key, context) = (evidence.store_key.clone(), sealing_context(&evidence.id));
    let bytes = web::block(move || -> Result<Vec<u8>, ApiError> {
        let sealed = store.get(&key).map_err(ApiError::internal)?;
        Ok(cipher.open(&context, &sealed)?)
    })
    .await??;
    Ok(HttpResponse::Ok()
        .content_type(evidence.kind.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            header::ContentDisposition {
                disposition: header::DispositionType::Attachment,
                parameters: vec![header::DispositionParam::FilenameExt(header::ExtendedValue {
                    charset: header::Charset::Ext("UTF-8".into()),
                    language_tag: None,
                    value: evidence.file_name.into_bytes(),
                })],
            },
        ))
        .body(bytes))
}
