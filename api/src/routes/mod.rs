//! Every route of the API, one handler per file under a folder per resource.

pub mod auth;
pub mod health;
pub mod integration_clients;
pub mod me;
pub mod organizations;
pub mod staff_accounts;

use actix_web::web;

/// The versioned API under `/api/v1`. Each path is one resource, so a known path called
/// with a method it does not have answers 405, not 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(resource("/auth/login").route(web::post().to(auth::login::login)))
            .service(resource("/auth/refresh").route(web::post().to(auth::refresh::refresh_token)))
            .service(resource("/auth/logout").route(web::post().to(auth::logout::logout)))
            .service(resource("/auth/client-token").route(web::post().to(auth::client_token::issue_client_token)))
            .service(resource("/me").route(web::get().to(me::get::get_me)))
            .service(resource("/me/password").route(web::post().to(me::change_password::change_password)))
            .service(
                resource("/organizations")
                    .route(web::post().to(organizations::create::create_organization))
                    .route(web::get().to(organizations::list::list_organizations)),
            )
            .service(
                resource("/organizations/{id}")
                    .route(web::get().to(organizations::get::get_organization))
                    .route(web::patch().to(organizations::update::update_organization)),
            )
            .service(
                resource("/staff-accounts")
                    .route(web::post().to(staff_accounts::create::create_staff_account))
                    .route(web::get().to(staff_accounts::list::list_staff_accounts)),
            )
            .service(
                resource("/integration-clients")
                    .route(web::post().to(integration_clients::create::create_integration_client)),
            ),
    );
}

/// A resource whose unknown methods answer 405 `method_not_allowed`.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::new(crate::error::Code::MethodNotAllowed))
}
