//! Every route of the API, one handler per file under a folder per resource.

pub mod archives;
pub mod attempts;
pub mod auth;
pub mod courses;
pub mod exam_plans;
pub mod exam_sessions;
pub mod face;
pub mod health;
pub mod integration_clients;
pub mod integration_events;
pub mod integration_webhooks;
pub mod learning;
pub mod me;
pub mod organizations;
pub mod questions;
pub mod registration_codes;
pub mod reports;
pub mod staff_accounts;
pub mod training;
pub mod workers;

use actix_web::http::header;
use actix_web::web;

use crate::error::{ApiError, Code};

/// The versioned API under `/api/v1`. Each path is one resource, so a known path called
/// with a method it does not have answers 405, not 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(resource("/auth/login", "POST").route(web::post().to(auth::login::login)))
            .service(resource("/auth/refresh", "POST").route(web::post().to(auth::refresh::refresh_token)))
            .service(resource("/auth/logout", "POST").route(web::post().to(auth::logout::logout)))
            .service(
                resource("/auth/client-token", "POST").route(web::post().to(auth::client_token::issue_client_token)),
            )
            .service(resource("/me", "GET").route(web::get().to(me::get::get_me)))
            .service(resource("/me/password", "POST").route(web::post().to(me::change_password::change_password)))
            .service(
                resource("/me/face", "DELETE, GET, POST")
                    .app_data(web::PayloadConfig::new(face::MAX_PHOTO_BYTES))
                    .route(web::post().to(face::enroll::enroll_face))
                    .route(web::get().to(face::status::get_face_status))
                    .route(web::delete().to(face::delete::delete_face_data)),
            )
            .service(
                resource("/me/liveness-challenges", "POST")
                    .route(web::post().to(face::liveness::create_liveness_challenge)),
            )
            .service(
                resource("/me/liveness-challenges/{id}/frames", "POST")
                    .app_data(web::PayloadConfig::new(face::liveness::MAX_FRAMES_BYTES))
                    .route(web::post().to(face::liveness::submit_liveness_frames)),
            )
            .service(
                resource("/me/face/verify", "POST")
                    .app_data(web::PayloadConfig::new(face::MAX_PHOTO_BYTES))
                    .route(web::post().to(face::verify::verify_face)),
            )
            .service(
                resource("/workers/{id}/face/reenrollment", "POST")
                    .route(web::post().to(face::approve_reenrollment::approve_face_reenrollment)),
            )
            .service(
                resource("/organizations", "GET, POST")
                    .route(web::post().to(organizations::create::create_organization))
                    .route(web::get().to(organizations::list::list_organizations)),
            )
            .service(
                resource("/organizations/{id}", "GET, PATCH")
                    .route(web::get().to(organizations::get::get_organization))
                    .route(web::patch().to(organizations::update::update_organization)),
            )
            .service(
                resource("/staff-accounts", "GET, POST")
                    .route(web::post().to(staff_accounts::create::create_staff_account))
                    .route(web::get().to(staff_accounts::list::list_staff_accounts)),
            )
            .service(
                resource("/organizations/{id}/workers/import", "POST")
                    .app_data(web::PayloadConfig::new(workers::import::MAX_ROSTER_BYTES))
                    .route(web::post().to(workers::import::import_workers)),
            )
            .service(
                resource("/organizations/{id}/principals", "GET")
                    .route(web::get().to(workers::export_principals::export_principals)),
            )
            .service(
                resource("/organizations/{id}/exam-schedule", "GET")
                    .route(web::get().to(exam_sessions::schedule::export_exam_schedule)),
            )
            .service(
                resource("/reports/execution-summary", "GET")
                    .route(web::get().to(reports::summary::report_execution_summary)),
            )
            .service(resource("/reports/failures", "GET").route(web::get().to(reports::failures::report_failures)))
            .service(
                resource("/reports/publication-list", "GET")
                    .route(web::get().to(reports::failures::report_publication_list)),
            )
            .service(resource("/reports/coverage", "GET").route(web::get().to(reports::coverage::report_coverage)))
            .service(
                resource("/courses", "GET, POST")
                    .route(web::post().to(courses::create::create_course))
                    .route(web::get().to(courses::list::list_courses)),
            )
            .service(
                resource("/organizations/{id}/learning-plans", "GET, POST")
                    .route(web::post().to(learning::plans::create_learning_plan))
                    .route(web::get().to(learning::plans::list_learning_plans)),
            )
            .service(
                resource("/lessons/{id}/progress", "POST")
                    .route(web::post().to(learning::progress::record_lesson_progress)),
            )
            .service(resource("/me/practice", "POST").route(web::post().to(learning::practice::start_practice)))
            .service(
                resource("/organizations/{id}/training-sessions", "POST")
                    .route(web::post().to(training::create::create_training_session)),
            )
            .service(
                resource("/organizations/{id}/training-template", "GET")
                    .route(web::get().to(training::template::download_training_template)),
            )
            .service(
                resource("/organizations/{id}/training-records", "POST")
                    .route(web::post().to(training::upload::upload_training_record)),
            )
            .service(
                resource("/training-evidence/{id}", "GET")
                    .route(web::get().to(training::evidence::download_training_evidence)),
            )
            .service(
                resource("/workers/{id}/archive", "GET").route(web::get().to(archives::worker::get_worker_archive)),
            )
            .service(
                resource("/organizations/{id}/archive", "GET")
                    .route(web::get().to(archives::enterprise::get_enterprise_archive)),
            )
            .service(
                resource("/registration-codes", "GET, POST")
                    .route(web::post().to(registration_codes::create::create_registration_code))
                    .route(web::get().to(registration_codes::list::list_registration_codes)),
            )
            .service(
                resource("/registration-codes/lookup", "POST")
                    .route(web::post().to(registration_codes::lookup::lookup_registration_code)),
            )
            .service(
                resource("/registration-codes/{id}/revoke", "POST")
                    .route(web::post().to(registration_codes::revoke::revoke_registration_code)),
            )
            .service(resource("/workers/register", "POST").route(web::post().to(workers::register::register_worker)))
            .service(resource("/workers", "GET").route(web::get().to(workers::list::list_workers)))
            .service(
                resource("/workers/{id}", "GET, PATCH")
                    .route(web::get().to(workers::get::get_worker))
                    .route(web::patch().to(workers::update::update_worker)),
            )
            .service(
                resource("/workers/{id}/history", "GET").route(web::get().to(workers::history::get_worker_history)),
            )
            .service(
                resource("/workers/{id}/verification", "POST").route(web::post().to(workers::verify::verify_worker)),
            )
            .service(
                resource("/integration-clients", "POST")
                    .route(web::post().to(integration_clients::create::create_integration_client)),
            )
            .service(
                resource("/integration-events", "GET")
                    .route(web::get().to(integration_events::list::list_integration_events)),
            )
            .service(
                resource("/integration-webhooks", "GET, POST")
                    .route(web::post().to(integration_webhooks::create::create_integration_webhook))
                    .route(web::get().to(integration_webhooks::list::list_integration_webhooks)),
            )
            .service(
                resource("/integration-webhooks/{id}", "PATCH")
                    .route(web::patch().to(integration_webhooks::update::update_integration_webhook)),
            )
            .service(
                resource("/integration-webhooks/{id}/dead-letters", "GET")
                    .route(web::get().to(integration_webhooks::dead_letters::list_integration_dead_letters)),
            )
            .service(
                resource("/integration-dead-letters/{id}/retry", "POST")
                    .route(web::post().to(integration_webhooks::retry::retry_integration_dead_letter)),
            )
            .service(
                resource("/question-banks", "GET, POST")
                    .route(web::post().to(questions::banks::create_question_bank))
                    .route(web::get().to(questions::banks::list_question_banks)),
            )
            .service(
                resource("/question-banks/{id}/questions", "GET, POST")
                    .route(web::post().to(questions::create::create_question))
                    .route(web::get().to(questions::list::list_questions)),
            )
            .service(
                resource("/question-banks/{id}/import", "POST")
                    .app_data(web::PayloadConfig::new(questions::import::MAX_QUESTION_FILE_BYTES))
                    .route(web::post().to(questions::import::import_questions)),
            )
            .service(
                resource("/question-banks/{id}/export", "GET")
                    .route(web::get().to(questions::export::export_questions)),
            )
            .service(
                resource("/questions/{id}", "GET, PUT")
                    .route(web::get().to(questions::get::get_question))
                    .route(web::put().to(questions::update::update_question)),
            )
            .service(
                resource("/exam-plans", "GET, POST")
                    .route(web::post().to(exam_plans::create::create_exam_plan))
                    .route(web::get().to(exam_plans::list::list_exam_plans)),
            )
            .service(
                resource("/exam-plans/{id}", "GET, PATCH")
                    .route(web::get().to(exam_plans::get::get_exam_plan))
                    .route(web::patch().to(exam_plans::update::update_exam_plan)),
            )
            .service(
                resource("/exam-plans/{id}/candidates", "GET, POST")
                    .route(web::get().to(exam_plans::candidates::list_candidates))
                    .route(web::post().to(exam_plans::candidates::update_candidates)),
            )
            .service(
                resource("/exam-plans/{id}/attempts", "POST").route(web::post().to(attempts::start::start_attempt)),
            )
            .service(
                resource("/exam-plans/{id}/sessions", "GET, POST")
                    .route(web::get().to(exam_sessions::manage::list_exam_sessions))
                    .route(web::post().to(exam_sessions::manage::create_exam_session)),
            )
            .service(
                resource("/exam-sessions/{id}", "PUT").route(web::put().to(exam_sessions::manage::update_exam_session)),
            )
            .service(
                resource("/exam-sessions/{id}/proctors", "PUT")
                    .route(web::put().to(exam_sessions::manage::set_session_proctors)),
            )
            .service(
                resource("/exam-sessions/{id}/candidates", "GET, POST")
                    .route(web::get().to(exam_sessions::candidates::list_session_candidates))
                    .route(web::post().to(exam_sessions::manage::assign_session_candidates)),
            )
            .service(
                resource("/exam-sessions/{id}/events", "GET")
                    .route(web::get().to(exam_sessions::events::stream_session_events)),
            )
            .service(
                resource("/exam-sessions/{id}/candidates/{worker_id}/identity", "POST")
                    .route(web::post().to(exam_sessions::actions::confirm_identity_manually)),
            )
            .service(
                resource("/exam-sessions/{id}/candidates/{worker_id}/move", "POST")
                    .route(web::post().to(exam_sessions::actions::move_session_candidate)),
            )
            .service(
                resource("/me/proctor-sessions", "GET")
                    .route(web::get().to(exam_sessions::manage::list_my_proctor_sessions)),
            )
            .service(
                resource("/attempts/{id}/face-checks/{check_id}", "POST")
                    .app_data(web::PayloadConfig::new(face::MAX_PHOTO_BYTES))
                    .route(web::post().to(attempts::face_check::answer_face_check)),
            )
            .service(
                resource("/attempts/{id}/cheating", "POST")
                    .route(web::post().to(exam_sessions::actions::mark_cheating)),
            )
            .service(
                resource("/attempts/{id}/extra-time", "POST")
                    .route(web::post().to(exam_sessions::actions::grant_extra_time)),
            )
            .service(
                resource("/attempts/{id}/flags", "GET")
                    .route(web::get().to(exam_sessions::actions::list_attempt_flags)),
            )
            .service(
                resource("/attempt-flags/{id}/resolve", "POST")
                    .route(web::post().to(exam_sessions::actions::resolve_flag)),
            )
            .service(resource("/me/exams", "GET").route(web::get().to(attempts::my_exams::list_my_exams)))
            .service(resource("/attempts/{id}", "GET").route(web::get().to(attempts::get::get_attempt)))
            .service(
                resource("/attempts/{id}/answers/{position}", "PUT").route(web::put().to(attempts::save::save_answer)),
            )
            .service(resource("/attempts/{id}/submit", "POST").route(web::post().to(attempts::submit::submit_attempt)))
            .service(resource("/attempts/{id}/result", "GET").route(web::get().to(attempts::result::get_my_result))),
    );
}

/// A resource whose other methods answer 405 `method_not_allowed` with an `Allow` header
/// naming `allow` (the methods routed on it; a test checks them against the contract).
pub fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        let mut res = actix_web::ResponseError::error_response(&ApiError::new(Code::MethodNotAllowed));
        res.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(allow));
        res
    }))
}
