//! The OpenAPI 3.1 contract, generated from the handlers' annotations. `openapi.yaml` at
//! the repository root is this document; a test fails when the two differ.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Sanda API",
        description = "三大（大学习、大培训、大考试）: registration, face verification, exams and reporting for work-safety training campaigns. Errors are `{code, message, field?}`; messages are Chinese unless `Accept-Language` prefers English.",
        license(name = "Apache-2.0")
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::auth::login::login,
        routes::auth::refresh::refresh_token,
        routes::auth::logout::logout,
        routes::auth::client_token::issue_client_token,
        routes::me::get::get_me,
        routes::me::change_password::change_password,
        routes::organizations::create::create_organization,
        routes::organizations::list::list_organizations,
        routes::organizations::get::get_organization,
        routes::organizations::update::update_organization,
        routes::staff_accounts::create::create_staff_account,
        routes::staff_accounts::list::list_staff_accounts,
        routes::integration_clients::create::create_integration_client,
        routes::integration_events::list::list_integration_events,
        routes::integration_webhooks::create::create_integration_webhook,
        routes::integration_webhooks::list::list_integration_webhooks,
        routes::integration_webhooks::update::update_integration_webhook,
        routes::integration_webhooks::dead_letters::list_integration_dead_letters,
        routes::integration_webhooks::retry::retry_integration_dead_letter,
        routes::registration_codes::create::create_registration_code,
        routes::registration_codes::list::list_registration_codes,
        routes::registration_codes::revoke::revoke_registration_code,
        routes::registration_codes::lookup::lookup_registration_code,
        routes::workers::register::register_worker,
        routes::workers::list::list_workers,
        routes::workers::get::get_worker,
        routes::workers::update::update_worker,
        routes::workers::history::get_worker_history,
        routes::workers::verify::verify_worker,
        routes::workers::import::import_workers,
        routes::workers::export_principals::export_principals,
        routes::face::enroll::enroll_face,
        routes::face::verify::verify_face,
        routes::face::status::get_face_status,
        routes::face::delete::delete_face_data,
        routes::face::approve_reenrollment::approve_face_reenrollment,
        routes::questions::banks::create_question_bank,
        routes::questions::banks::list_question_banks,
        routes::questions::create::create_question,
        routes::questions::list::list_questions,
        routes::questions::get::get_question,
        routes::questions::update::update_question,
        routes::questions::import::import_questions,
        routes::questions::export::export_questions,
        routes::exam_plans::create::create_exam_plan,
        routes::exam_plans::list::list_exam_plans,
        routes::exam_plans::get::get_exam_plan,
        routes::exam_plans::update::update_exam_plan,
        routes::exam_plans::candidates::list_candidates,
        routes::exam_plans::candidates::update_candidates,
        routes::attempts::my_exams::list_my_exams,
        routes::attempts::start::start_attempt,
        routes::attempts::get::get_attempt,
        routes::attempts::save::save_answer,
        routes::attempts::submit::submit_attempt,
        routes::attempts::result::get_my_result,
        routes::face::liveness::create_liveness_challenge,
        routes::face::liveness::submit_liveness_frames,
        routes::attempts::face_check::answer_face_check,
        routes::exam_sessions::manage::list_exam_sessions,
        routes::exam_sessions::manage::create_exam_session,
        routes::exam_sessions::manage::update_exam_session,
        routes::exam_sessions::manage::set_session_proctors,
        routes::exam_sessions::manage::assign_session_candidates,
        routes::exam_sessions::manage::list_my_proctor_sessions,
        routes::exam_sessions::schedule::export_exam_schedule,
        routes::exam_sessions::candidates::list_session_candidates,
        routes::exam_sessions::events::stream_session_events,
        routes::exam_sessions::actions::confirm_identity_manually,
        routes::exam_sessions::actions::move_session_candidate,
        routes::exam_sessions::actions::mark_cheating,
        routes::exam_sessions::actions::grant_extra_time,
        routes::exam_sessions::actions::list_attempt_flags,
        routes::exam_sessions::actions::resolve_flag,
        routes::reports::summary::report_execution_summary,
        routes::reports::failures::report_failures,
        routes::reports::failures::report_publication_list,
        routes::reports::coverage::report_coverage,
        routes::courses::create::create_course,
        routes::courses::list::list_courses,
        routes::learning::plans::create_learning_plan,
        routes::learning::plans::list_learning_plans,
        routes::learning::progress::record_lesson_progress,
        routes::learning::practice::start_practice,
        routes::training::create::create_training_session,
        routes::training::template::download_training_template,
        routes::training::upload::upload_training_record,
        routes::training::evidence::download_training_evidence,
        routes::archives::worker::get_worker_archive,
        routes::archives::enterprise::get_enterprise_archive,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Login, token refresh and logout"),
        (name = "me", description = "The caller's own account"),
        (name = "organizations", description = "Province → city → county/district → enterprise"),
        (name = "staff accounts", description = "Bureau admins, enterprise admins and proctors"),
        (name = "integration clients", description = "The provincial platform's machine accounts"),
        (name = "integration", description = "成绩上传: results and registry changes for the provincial platform, pulled by position or pushed to signed webhooks"),
        (name = "registration codes", description = "Codes enterprises hand to workers for registering"),
        (name = "face", description = "Face enrollment and verification (刷脸)"),
        (name = "workers", description = "The worker registry: registration, records, history, checks, import and export"),
        (name = "question bank", description = "Question banks, versioned questions, import and export (题库)"),
        (name = "exams", description = "Exam plans, blueprints and candidate lists (考试计划)"),
        (name = "taking exams", description = "Start (face-gated), answer, submit and results, on the server's clock"),
        (name = "proctoring", description = "Sessions (场次), proctors, the live candidate list and the proctor's recorded actions"),
        (name = "reports", description = "附件3 执行情况汇总表, 附件4 不及格人员名单, the publication list and the progress dashboards, in JSON or XLSX"),
        (name = "learning", description = "大学习: the course catalogue, enterprises' learning plans, lesson progress on the server's clock, practice quizzes"),
        (name = "training", description = "大培训: training sessions at three levels, the offline attendance sheet and its evidence"),
        (name = "archives", description = "一人一档、一企一档: a worker's and an enterprise's record of the whole campaign"),
        (name = "health", description = "Probes for the load balancer"),
    )
)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The contract as YAML, exactly as committed in `openapi.yaml`.
pub fn yaml() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_yaml().unwrap_or_else(|e| format!("# failed to render: {e}\n"))
}
