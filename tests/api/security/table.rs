//! The table: every operation of the contract, either with the calls that name another
//! jurisdiction's objects, or with the reason it can name none.

use base64::Engine as _;
use serde_json::{json, Value};

use super::{contract, window, World};
use crate::exams::{small_blueprint, synthetic_bank};
use crate::helpers::{credit_code, phone, resident_id};

/// Who in jurisdiction B may make a call: run after the matrix, it proves the call is one
/// that would have worked, so that its refusal means something.
#[derive(Debug, Clone, Copy)]
pub(super) enum Owner {
    CityB,
    EntB,
    /// B's proctor, of `session_b`.
    ProctorB,
    WorkerB,
    /// B's worker with a face check due.
    WorkerB6,
    /// B's integration client (the platform's account for B's city).
    ClientB,
    /// The province admin: the one who manages the platform's webhooks, whatever subtree
    /// they serve.
    ProvinceAdmin,
}

#[derive(Debug, Clone, Default)]
pub(super) enum Payload {
    #[default]
    None,
    Json(Value),
    Bytes(&'static str, Vec<u8>),
}

/// One request against B: the `{id}` of the path, its `{worker_id}`, the position of
/// `saveAnswer`, a query and a body. A list may answer 200 as long as nothing of B is in it.
#[derive(Debug, Clone, Default)]
pub(super) struct Call {
    pub(super) id: Option<String>,
    pub(super) sub: Option<String>,
    pub(super) position: Option<i64>,
    pub(super) query: String,
    pub(super) body: Payload,
    pub(super) list: bool,
    pub(super) owner: Option<Owner>,
}

pub(super) fn at(id: &str) -> Call {
    Call { id: Some(id.to_owned()), ..Call::default() }
}

/// A candidate of a session: `/exam-sessions/{id}/candidates/{worker_id}/..`.
pub(super) fn seat(session: &str, worker: &str) -> Call {
    Call { sub: Some(worker.to_owned()), ..at(session) }
}

/// A report on B's county and city (and, for coverage, B's enterprise), in JSON and XLSX.
fn report_calls(w: &World, enterprise: bool) -> Vec<Call> {
    let of = |org: &str, format: &str| call().query(format!("organization_id={org}{format}"));
    let mut calls =
        vec![of(&w.county_b, "").by(Owner::CityB), of(&w.city_b, "").by(Owner::CityB), of(&w.county_b, "&format=xlsx")];
    if enterprise {
        calls.push(of(&w.ent_b, "&group_by=enterprise").by(Owner::EntB));
    }
    calls
}

pub(super) fn call() -> Call {
    Call::default()
}

impl Call {
    pub(super) fn json(mut self, v: Value) -> Self {
        self.body = Payload::Json(v);
        self
    }
    pub(super) fn query(mut self, q: String) -> Self {
        self.query = q;
        self
    }
    pub(super) fn list(mut self) -> Self {
        self.list = true;
        self
    }
    pub(super) fn by(mut self, owner: Owner) -> Self {
        self.owner = Some(owner);
        self
    }
    /// The same call with every id of B replaced by one that names nothing.
    pub(super) fn ghost(&self, ghosts: &[(String, String)]) -> Self {
        let swap = |s: &str| ghosts.iter().fold(s.to_owned(), |s, (real, ghost)| s.replace(real, ghost));
        let mut g = self.clone();
        g.id = self.id.as_deref().map(swap);
        g.sub = self.sub.as_deref().map(swap);
        g.query = swap(&self.query);
        if let Payload::Json(v) = &self.body {
            g.body = Payload::Json(serde_json::from_str(&swap(&v.to_string())).unwrap());
        }
        g
    }
}

/// How the matrix treats an operation of the contract.
pub(super) enum Class {
    /// No object of another jurisdiction can be named in it; why.
    NoForeignObject(&'static str),
    /// The calls that name B's objects (by path, query or body).
    Foreign(fn(&World) -> Vec<Call>),
}

/// Every operation of the contract, classified. An operation missing here fails
/// `every_operation_of_the_contract_is_classified`: add it, with its calls against B.
pub(super) fn table() -> Vec<(&'static str, Class)> {
    use Class::{Foreign, NoForeignObject as Own};
    use Owner::{CityB, ClientB, EntB, ProctorB, ProvinceAdmin, WorkerB, WorkerB6};
    fn staff(org: &str, role: &str) -> Call {
        call().json(json!({"organization_id": org, "username": format!("x{}", uuid::Uuid::new_v4().simple()),
                           "display_name": "越权", "role": role}))
    }
    vec![
        ("healthz", Own("a public probe")),
        ("createCourse", Own("names no object: the course joins the caller's own bureau's catalogue")),
        ("startPractice", Own("draws from the banks above the caller's own enterprise; names no object")),
        (
            "listCourses",
            Foreign(|_| {
                vec![
                    call().list().by(WorkerB),
                    call().query("all=true".into()).list().by(WorkerB),
                    call().query("role=principal".into()).list().by(CityB),
                ]
            }),
        ),
        ("recordLessonProgress", Foreign(|w| vec![at(&w.lesson_b).json(json!({"seconds": 30})).by(WorkerB)])),
        (
            "createLearningPlan",
            Foreign(|w| {
                vec![at(&w.ent_b)
                    .json(json!({"title": "越权计划", "starts_on": "2026-07-01", "ends_on": "2026-08-20",
                                 "items": [{"content": "course", "course_id": w.course_b}]}))
                    .by(EntB)]
            }),
        ),
        ("listLearningPlans", Foreign(|w| vec![at(&w.ent_b).by(EntB)])),
        (
            "createTrainingSession",
            Foreign(|w| {
                vec![at(&w.ent_b)
                    .json(json!({"topic": "越权培训", "level": "team", "held_on": "2026-08-25", "hours": 1,
                                 "trainer": "越权", "provider": "own", "attendees": [w.worker_b]}))
                    .by(EntB)]
            }),
        ),
        ("downloadTrainingTemplate", Foreign(|w| vec![at(&w.ent_b).by(EntB)])),
        (
            "uploadTrainingRecord",
            Foreign(|w| {
                let (kind, body) = training_record(&w.worker_b_rid);
                vec![Call { body: Payload::Bytes(kind, body), ..at(&w.ent_b) }.by(EntB)]
            }),
        ),
        ("downloadTrainingEvidence", Foreign(|w| vec![at(&w.evidence_b).by(EntB), at(&w.evidence_b).by(CityB)])),
        ("getWorkerArchive", Foreign(|w| vec![at(&w.worker_b).by(EntB), at(&w.worker_b).query("format=xlsx".into())])),
        ("getEnterpriseArchive", Foreign(|w| vec![at(&w.ent_b).by(EntB), at(&w.ent_b).query("format=xlsx".into())])),
        ("readyz", Own("a public probe")),
        ("login", Own("names credentials, not an object")),
        ("refreshToken", Own("the refresh token is the credential itself")),
        ("logout", Own("ends the caller's own session")),
        ("issueClientToken", Own("names credentials, not an object")),
        ("getMe", Own("the caller's own account")),
        ("changePassword", Own("the caller's own account")),
        (
            "listOrganizations",
            Foreign(|w| {
                vec![
                    call().query(format!("parent_id={}", w.county_b)).list().by(CityB),
                    call().query(format!("parent_id={}", w.city_b)).list().by(CityB),
                    call().query("q=历下".into()).list().by(CityB),
                    call().query("limit=200".into()).list().by(CityB),
                ]
            }),
        ),
        (
            "createOrganization",
            Foreign(|w| {
                vec![
                    call()
                        .json(json!({"parent_id": w.county_b, "name": "越权企业", "credit_code": credit_code(),
                                 "industry": "commerce", "size_class": "below_scale"}))
                        .by(CityB),
                    call().json(json!({"parent_id": w.city_b, "name": "越权区应急管理局"})).by(CityB),
                ]
            }),
        ),
        ("getOrganization", Foreign(|w| [&w.ent_b, &w.county_b, &w.city_b].map(|o| at(o).by(CityB)).to_vec())),
        (
            "updateOrganization",
            Foreign(|w| {
                vec![
                    at(&w.ent_b).json(json!({"contact_name": "越权"})).by(CityB),
                    at(&w.ent_b).json(json!({"name": "越权改名公司"})).by(CityB),
                    at(&w.city_b).json(json!({"address": "越权路1号"})).by(CityB),
                ]
            }),
        ),
        (
            "listStaffAccounts",
            Foreign(|w| {
                vec![
                    call().query(format!("organization_id={}", w.ent_b)).list().by(CityB),
                    call().query(format!("organization_id={}", w.city_b)).list().by(CityB),
                    call().query("limit=200".into()).list().by(CityB),
                ]
            }),
        ),
        (
            "createStaffAccount",
            Foreign(|w| {
                vec![
                    staff(&w.ent_b, "enterprise_admin").by(CityB),
                    staff(&w.ent_b, "proctor").by(CityB),
                    staff(&w.county_b, "county_admin").by(CityB),
                    staff(&w.city_b, "city_admin").by(CityB),
                ]
            }),
        ),
        ("createIntegrationClient", Own("names no object: the client joins the caller's own organization")),
        (
            "listIntegrationEvents",
            Foreign(|_| vec![call().list().by(ClientB), call().query("after=0&limit=200".into()).list().by(ClientB)]),
        ),
        (
            "createIntegrationWebhook",
            Foreign(|w| {
                vec![call().json(json!({"client_id": w.client_b, "url": "http://127.0.0.1:1/hook"})).by(ProvinceAdmin)]
            }),
        ),
        ("listIntegrationWebhooks", Foreign(|_| vec![call().list().by(ProvinceAdmin)])),
        (
            "updateIntegrationWebhook",
            Foreign(|w| vec![at(&w.webhook_b).json(json!({"active": true})).by(ProvinceAdmin)]),
        ),
        ("listIntegrationDeadLetters", Foreign(|w| vec![at(&w.webhook_b).by(ProvinceAdmin)])),
        ("retryIntegrationDeadLetter", Foreign(|w| vec![at(&w.dead_letter_b).by(ProvinceAdmin)])),
        (
            "listRegistrationCodes",
            Foreign(|w| {
                vec![call().query(format!("organization_id={}", w.ent_b)).list().by(CityB), call().list().by(CityB)]
            }),
        ),
        (
            "createRegistrationCode",
            Foreign(|w| vec![call().json(json!({"organization_id": w.ent_b, "label": "越权"})).by(CityB)]),
        ),
        ("revokeRegistrationCode", Foreign(|w| vec![at(&w.code_b).by(CityB)])),
        ("lookupRegistrationCode", Own("public: the code is the credential")),
        ("registerWorker", Own("public: the code is the credential; a move needs the person's password")),
        (
            "listWorkers",
            Foreign(|w| {
                vec![
                    call().query(format!("organization_id={}", w.ent_b)).list().by(CityB),
                    call().query("q=历下".into()).list().by(CityB),
                    call().query("limit=200".into()).list().by(CityB),
                ]
            }),
        ),
        ("getWorker", Foreign(|w| vec![at(&w.worker_b).by(CityB)])),
        (
            "updateWorker",
            Foreign(|w| {
                vec![
                    at(&w.worker_b).json(json!({"position": "越权"})).by(CityB),
                    at(&w.worker_b).json(json!({"role": "principal"})).by(CityB),
                    at(&w.worker_b).json(json!({"phone": phone()})).by(WorkerB),
                ]
            }),
        ),
        ("getWorkerHistory", Foreign(|w| vec![at(&w.worker_b).by(CityB)])),
        (
            "verifyWorker",
            Foreign(|w| vec![at(&w.worker_b).json(json!({"result": "flagged", "reason": "越权标记"})).by(CityB)]),
        ),
        (
            "importWorkers",
            Foreign(|w| {
                let csv = format!(
                    "姓名,身份证号码,手机号码,人员类别,岗位\n越权导入,{},{},其他从业人员,操作工\n",
                    resident_id(),
                    phone()
                );
                vec![Call { body: Payload::Bytes("text/csv", csv.into_bytes()), ..at(&w.ent_b).by(CityB) }]
            }),
        ),
        ("exportPrincipals", Foreign(|w| [&w.county_b, &w.city_b, &w.ent_b].map(|o| at(o).by(CityB)).to_vec())),
        ("getFaceStatus", Own("the caller's own face: no id can name another worker's")),
        ("enrollFace", Own("the caller's own face")),
        ("deleteFaceData", Own("the caller's own face")),
        ("verifyFace", Own("the caller's own face")),
        ("approveFaceReenrollment", Foreign(|w| vec![at(&w.worker_b).by(CityB)])),
        ("listQuestionBanks", Foreign(|_| vec![call().list().by(CityB)])),
        (
            "createQuestionBank",
            Foreign(|w| {
                vec![
                    call().json(json!({"organization_id": w.city_b, "name": "越权题库"})).by(CityB),
                    call().json(json!({"organization_id": w.ent_b, "name": "越权企业题库"})).by(EntB),
                ]
            }),
        ),
        ("listQuestions", Foreign(|w| vec![at(&w.bank_b).by(CityB)])),
        (
            "createQuestion",
            Foreign(|w| {
                let mut q = synthetic_bank(1)["questions"][0].clone();
                q["ref"] = json!("X-001");
                vec![at(&w.bank_b).json(q).by(CityB)]
            }),
        ),
        ("getQuestion", Foreign(|w| vec![at(&w.question_b).by(CityB)])),
        (
            "updateQuestion",
            Foreign(|w| vec![at(&w.question_b).json(json!({"question": w.question_b_input})).by(CityB)]),
        ),
        (
            "importQuestions",
            Foreign(|w| {
                let file = synthetic_bank(2).to_string().into_bytes();
                vec![Call { body: Payload::Bytes("application/json", file), ..at(&w.bank_b).by(CityB) }]
            }),
        ),
        (
            "exportQuestions",
            Foreign(|w| vec![at(&w.bank_b).by(CityB), at(&w.bank_b).query("format=csv".into()).by(CityB)]),
        ),
        ("listExamPlans", Foreign(|_| vec![call().list().by(CityB)])),
        (
            "createExamPlan",
            Foreign(|w| {
                let (ws, we) = window(-60, 60);
                let (ms, me) = window(150, 210);
                let plan = |organizer: &str| {
                    json!({"organizer_id": organizer, "kind": "enterprise_all_staff", "name": "越权考试", "window_start": ws,
                       "window_end": we, "bank_ids": [w.bank_b], "blueprint": small_blueprint()})
                };
                vec![
                call().json(plan(&w.ent_b)).by(CityB),
                call()
                    .json(json!({"kind": "makeup", "name": "越权补考", "original_plan_id": w.plan_b, "window_start": ms,
                                 "window_end": me, "bank_ids": [w.bank_b], "blueprint": small_blueprint()}))
                    .by(CityB),
                // A's own enterprise, with B's bank: nobody may do that.
                call().json(plan(&w.ent_a)),
            ]
            }),
        ),
        ("getExamPlan", Foreign(|w| vec![at(&w.plan_b).by(CityB)])),
        (
            "updateExamPlan",
            Foreign(|w| {
                vec![
                    at(&w.plan_b).json(json!({"name": "越权改名"})).by(CityB),
                    at(&w.plan_b).json(json!({"regenerate_candidates": true})).by(CityB),
                    at(&w.plan_a).json(json!({"bank_ids": [w.bank_b]})),
                ]
            }),
        ),
        ("listCandidates", Foreign(|w| vec![at(&w.plan_b).by(CityB), at(&w.plan_a).list()])),
        (
            "updateCandidates",
            Foreign(|w| {
                vec![
                    at(&w.plan_b).json(json!({"remove": [w.worker_b2]})).by(CityB),
                    at(&w.plan_a).json(json!({"add": [w.worker_b]})),
                ]
            }),
        ),
        ("listMyExams", Foreign(|_| vec![call().list().by(WorkerB)])),
        (
            "startAttempt",
            Foreign(|w| vec![at(&w.plan_b).json(json!({"verification_id": w.verification_a})).by(WorkerB)]),
        ),
        ("getAttempt", Foreign(|w| vec![at(&w.attempt_b).by(WorkerB)])),
        (
            "saveAnswer",
            Foreign(|w| {
                let (position, answer) = &w.answer_b;
                vec![Call { position: Some(*position), ..at(&w.attempt_b).json(json!({"answer": answer, "seq": 99})) }
                    .by(WorkerB)]
            }),
        ),
        ("submitAttempt", Foreign(|w| vec![at(&w.attempt_b).by(WorkerB)])),
        ("getMyResult", Foreign(|w| vec![at(&w.attempt_b).by(WorkerB)])),
        ("createLivenessChallenge", Own("the caller's own face")),
        (
            "submitLivenessFrames",
            Foreign(|w| {
                let frames = json!({"frames": [{"step": 0, "image": base64::engine::general_purpose::STANDARD
                    .encode(crate::exams::photo("df_img02.jpg"))}]});
                vec![at(&w.challenge_b6).json(frames).by(WorkerB6)]
            }),
        ),
        (
            "answerFaceCheck",
            Foreign(|w| {
                let photo = Payload::Bytes("image/jpeg", crate::exams::photo("df_img02.jpg"));
                vec![Call { sub: Some(w.check_b6.clone()), body: photo, ..at(&w.attempt_b6) }.by(WorkerB6)]
            }),
        ),
        ("listExamSessions", Foreign(|w| vec![at(&w.plan_b).by(CityB), at(&w.plan_b).by(ProctorB)])),
        (
            "createExamSession",
            Foreign(|w| {
                let input = json!({"site_name": "越权考点", "starts_at": window(-5, 0).0, "capacity": 3});
                vec![at(&w.plan_b).json(input.clone()).by(CityB), at(&w.plan_b).json(input).by(EntB)]
            }),
        ),
        ("updateExamSession", Foreign(|w| vec![at(&w.session_b).json(w.session_b_input.clone()).by(CityB)])),
        (
            "setSessionProctors",
            Foreign(|w| {
                let proctors = json!({"account_ids": [w.proctor_b]});
                vec![at(&w.session_b).json(proctors.clone()).by(CityB), at(&w.session_b).json(proctors).by(EntB)]
            }),
        ),
        (
            "assignSessionCandidates",
            Foreign(|w| {
                vec![
                    at(&w.session_b).json(json!({"worker_ids": [w.worker_b]})).by(CityB),
                    at(&w.session_b2).json(json!({"fill_with_unassigned": true})).by(EntB),
                ]
            }),
        ),
        ("listMyProctorSessions", Own("the calling proctor's own sessions: it names no object")),
        ("reportExecutionSummary", Foreign(|w| report_calls(w, false))),
        ("reportFailures", Foreign(|w| report_calls(w, false))),
        ("reportPublicationList", Foreign(|w| report_calls(w, false))),
        ("reportCoverage", Foreign(|w| report_calls(w, true))),
        (
            "exportExamSchedule",
            Foreign(|w| {
                // The workbook is zipped: B's owner proves the call with the JSON, where B's
                // names can be looked for; the XLSX is refused to A all the same.
                vec![at(&w.county_b).by(CityB), at(&w.county_b).query("format=xlsx".into())]
            }),
        ),
        (
            "listSessionCandidates",
            Foreign(|w| vec![at(&w.session_b).by(ProctorB), at(&w.session_b2).by(EntB), at(&w.session_b).by(CityB)]),
        ),
        ("streamSessionEvents", Foreign(|w| vec![at(&w.session_b).by(ProctorB)])),
        (
            "confirmIdentityManually",
            Foreign(|w| {
                let check = json!({"reason": "未同意人脸识别，核验居民身份证原件"});
                vec![
                    seat(&w.session_b, &w.worker_b3).json(check.clone()).by(ProctorB),
                    // B's candidate through A's own session.
                    seat(&w.session_a, &w.worker_b3).json(check),
                ]
            }),
        ),
        (
            "moveSessionCandidate",
            Foreign(|w| {
                let to = |s: &str| json!({"to_session_id": s, "reason": "座位调整"});
                vec![
                    seat(&w.session_b, &w.worker_b4).json(to(&w.session_b2)).by(EntB),
                    // A's own candidate into B's session.
                    seat(&w.session_a, &w.worker_a).json(to(&w.session_b)),
                ]
            }),
        ),
        ("markCheating", Foreign(|w| vec![at(&w.attempt_b4).json(json!({"reason": "由他人代答"})).by(CityB)])),
        (
            "grantExtraTime",
            Foreign(|w| {
                vec![at(&w.attempt_b5)
                    .json(json!({"minutes": 5, "reason": "手机死机重启，耗时约 5 分钟"}))
                    .by(ProctorB)]
            }),
        ),
        (
            "listAttemptFlags",
            Foreign(|w| vec![at(&w.attempt_b5).by(ProctorB), at(&w.attempt_b4).by(EntB), at(&w.attempt_b).by(CityB)]),
        ),
        (
            "resolveFlag",
            Foreign(|w| {
                vec![at(&w.flag_b)
                    .json(json!({"resolution": "dismissed", "reason": "光线原因，复核为本人"}))
                    .by(ProctorB)]
            }),
        ),
    ]
}

/// What the provincial platform (an integration client at the province) reads everywhere
/// by design; everything else is refused to it.
/// The multipart form of a training record for B's enterprise: a CSV sheet listing B's
/// worker (by the ID number given) and a photo. (content type, body)
pub(super) fn training_record(worker_b_rid: &str) -> (&'static str, Vec<u8>) {
    const BOUNDARY: &str = "sanda-security-boundary";
    let sheet = format!(
        "培训主题,历下班前会\n培训级别,班组级\n培训日期,2026-08-25\n学时,1\n授课人,历下班长\n培训方式,本企业自行组织\n\n序号,姓名,身份证号码\n1,历下工人,{worker_b_rid}\n"
    );
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(2, 2, image::Rgb([0, 90, 200])).write_to(&mut png, image::ImageFormat::Png).unwrap();
    let mut body = Vec::new();
    for (name, file, kind, bytes) in [
        ("template", "sheet.csv", "text/csv", sheet.into_bytes()),
        ("evidence", "photo.png", "image/png", png.into_inner()),
    ] {
        body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: {kind}\r\n\r\n").into_bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").into_bytes());
    ("multipart/form-data; boundary=sanda-security-boundary", body)
}

pub(super) const PLATFORM_READS: [&str; 6] =
    ["listOrganizations", "getOrganization", "listWorkers", "getWorker", "getWorkerHistory", "listIntegrationEvents"];

#[test]
fn every_operation_of_the_contract_is_classified() {
    let ops: Vec<String> = contract().into_iter().map(|o| o.id).collect();
    let classified: Vec<&str> = table().iter().map(|(id, _)| *id).collect();
    let missing: Vec<&String> = ops.iter().filter(|id| !classified.contains(&id.as_str())).collect();
    assert!(missing.is_empty(), "operations the security matrix does not classify (add them to `table`): {missing:?}");
    let stale: Vec<&&str> = classified.iter().filter(|id| !ops.iter().any(|o| o == **id)).collect();
    assert!(stale.is_empty(), "operations in `table` that the contract lacks: {stale:?}");
    let mut unique = classified.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), classified.len(), "an operation is classified twice");
    for (id, class) in table() {
        if let Class::NoForeignObject(why) = class {
            assert!(!why.trim().is_empty(), "{id}: say why it names no object");
        }
    }
    // The exceptions name operations that the matrix calls.
    let foreign: Vec<&str> =
        table().into_iter().filter(|(_, c)| matches!(c, Class::Foreign(_))).map(|(id, _)| id).collect();
    for id in PLATFORM_READS {
        assert!(foreign.contains(&id), "{id} is no operation with calls against B");
    }
}
