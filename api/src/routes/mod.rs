//! Every route of the API, one handler per file under a folder per resource.

pub mod auth;
pub mod health;
pub mod integration_clients;
pub mod me;
pub mod organizations;
pub mod staff_accounts;

use actix_web::web;

/// The versioned API under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/auth/login", web::post().to(auth::login::login))
            .route("/auth/refresh", web::post().to(auth::refresh::refresh_token))
            .route("/auth/logout", web::post().to(auth::logout::logout))
            .route("/auth/client-token", web::post().to(auth::client_token::issue_client_token))
            .route("/me", web::get().to(me::get::get_me))
            .route("/me/password", web::post().to(me::change_password::change_password))
            .route("/organizations", web::post().to(organizations::create::create_organization))
            .route("/organizations", web::get().to(organizations::list::list_organizations))
            .route("/organizations/{id}", web::get().to(organizations::get::get_organization))
            .route("/organizations/{id}", web::patch().to(organizations::update::update_organization))
            .route("/staff-accounts", web::post().to(staff_accounts::create::create_staff_account))
            .route("/staff-accounts", web::get().to(staff_accounts::list::list_staff_accounts))
            .route("/integration-clients", web::post().to(integration_clients::create::create_integration_client)),
    );
}
