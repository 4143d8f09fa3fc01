//! Liveness and readiness probes for the load balancer.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Code};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "health",
    responses((status = 200, body = HealthResponse)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// The server can serve: the database answers.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "health",
    responses((status = 200, body = HealthResponse), (status = 503, body = crate::error::ErrorBody)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db(|conn, _| Ok(conn.ping()?)).await.map_err(|e| {
        tracing::warn!(error = %e, "not ready: database unavailable");
        ApiError::new(Code::ServiceUnavailable).retry_after(5).text("数据库不可用", "database unavailable")
    })?;
    Ok(HttpResponse::Ok().json(HealthResponse { status: "ready" }))
}
