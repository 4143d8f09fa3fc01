//! Integration clients: the provincial platform's machine accounts.

pub mod create;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntegrationClientRequest {
    /// What the client is, e.g. 山东省安全生产考试平台.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedIntegrationClient {
    pub id: String,
    pub name: String,
    /// Give it with the secret to `issueClientToken`.
    pub client_id: String,
    /// Shown this once; only its hash is kept.
    pub client_secret: String,
}
