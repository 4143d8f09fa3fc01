//! Hostile input (issue 6). `table` classifies every operation of `openapi.yaml`: either the
//! calls that name another jurisdiction's objects, or why it can name none. `matrix` makes
//! those calls as every role of jurisdiction A against B's objects: each is refused (403 or
//! 404, an error body and nothing of B), answered as if the object did not exist, and changes
//! nothing; B's own staff then make the same calls successfully. `workers`: no worker reaches
//! another's attempt or face verification, in its own enterprise or elsewhere. `keys`: no
//! answer key reaches a worker while the window is open. `sessions`: a session takes no
//! proctor and no candidate of another jurisdiction, and a proctor reaches only their own
//! sessions.
//!
//! Forged, expired, `alg=none` and deactivated tokens are tested in `auth.rs`; throttling of
//! logins in `auth.rs`, of registration codes in `registration.rs`, of face verification in
//! `face.rs`.

mod keys;
mod matrix;
mod sessions;
mod table;
mod workers;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::exams::{import, key_of, small_blueprint, start, synthetic_bank, verification};
use crate::helpers::{TestApp, TwoCities};
use table::{Call, Payload};

/// One operation of the committed contract.
#[derive(Debug)]
struct Operation {
    method: Method,
    path: String,
    id: String,
}

fn contract() -> Vec<Operation> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    let doc: Value = serde_norway::from_str(&text).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Ok(m) = Method::from_bytes(method.to_uppercase().as_bytes()) {
                if let Some(id) = op["operationId"].as_str() {
                    ops.push(Operation { method: m, path: path.clone(), id: id.to_owned() });
                }
            }
        }
    }
    ops
}

fn window(from_min: i64, to_min: i64) -> (String, String) {
    let now = chrono::Utc::now();
    ((now + chrono::Duration::minutes(from_min)).to_rfc3339(), (now + chrono::Duration::minutes(to_min)).to_rfc3339())
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_owned()
}

/// A bank of synthetic questions whose stems, explanations and legal bases carry markers.
fn marked_bank(n: usize, stem: &str) -> Value {
    let mut bank = synthetic_bank(n);
    for (i, q) in bank["questions"].as_array_mut().unwrap().iter_mut().enumerate() {
        q["stem"] = json!(q["stem"].as_str().unwrap().replace("测试题干", stem));
        q["explanation"] = json!(format!("解析机密{i}。"));
        q["legal_basis"] = json!(format!("依据机密{i}"));
    }
    bank
}

/// Two cities of one province. In A: a county, an enterprise, a worker and an exam plan on
/// the province's bank, with a session seating the worker. In B: the same, plus staff, a
/// registration code, more workers of the same enterprise, a bank owned by B's city, a
/// started attempt, and two sessions of B's plan with a proctor, candidates and a flag.
///
/// B's owners repeat every call of the table after the matrix, by path in sorted order
/// (`saveAnswer` before `submitAttempt`). The proctor's calls that close something (move,
/// void, extra time, resolve) each have an object of their own, so that every repeat
/// genuinely works whatever the order.
struct World {
    city_a: String,
    county_a: String,
    ent_a: String,
    plan_a: String,
    worker_a: String,
    worker_a_token: String,
    verification_a: String,
    /// A's session of `plan_a`, seating `worker_a`.
    session_a: String,
    city_b: String,
    county_b: String,
    ent_b: String,
    city_b_admin: String,
    ent_b_admin: String,
    /// The account ids of B's staff, `proctor_b` among them.
    staff_b: Vec<String>,
    code_b: String,
    code_b_text: String,
    worker_b: String,
    worker_b_token: String,
    /// B's worker's ID number, to list it on an attendance sheet.
    worker_b_rid: String,
    worker_b2: String,
    worker_b2_token: String,
    bank_b: String,
    question_b: String,
    question_b_input: Value,
    plan_b: String,
    attempt_b: String,
    answer_b: (i64, String),
    /// A proctor account of B's enterprise, proctoring `session_b` (not `session_b2`).
    proctor_b: String,
    proctor_b_token: String,
    /// B's session seating `worker_b`, `worker_b2`, `worker_b3`, `worker_b4` and
    /// `worker_b5`, with free seats; `session_b_input` is how it was created.
    session_b: String,
    session_b_input: Value,
    /// A second session of `plan_b`, empty, with free seats.
    session_b2: String,
    /// Seated, not started: for the proctor's check of the ID card.
    worker_b3: String,
    /// Seated and started (on the ID card): the one moved, and the attempt voided.
    worker_b4: String,
    attempt_b4: String,
    /// Seated and started (on the ID card), flagged: extra time and flags.
    worker_b5: String,
    attempt_b5: String,
    flag_b: String,
    /// Started on the face, with a face check due (and a long time to answer it).
    worker_b6_token: String,
    attempt_b6: String,
    check_b6: String,
    /// An open liveness challenge of B6's.
    challenge_b6: String,
    /// An integration client of B's city (its account id), reading B's events.
    client_b: String,
    client_b_token: String,
    /// A webhook for `client_b` whose receiver is gone, and an event it gave up on.
    webhook_b: String,
    dead_letter_b: String,
    /// A course kept by B's city, and its lesson.
    course_b: String,
    lesson_b: String,
    /// The photo of a training session B's enterprise uploaded.
    evidence_b: String,
}

impl World {
    fn b_ids(&self) -> Vec<&String> {
        let mut ids = vec![&self.city_b, &self.county_b, &self.ent_b, &self.code_b, &self.worker_b, &self.worker_b2];
        ids.extend([&self.bank_b, &self.question_b, &self.plan_b, &self.attempt_b]);
        ids.extend([&self.session_b, &self.session_b2, &self.worker_b3, &self.worker_b4, &self.worker_b5]);
        ids.extend([&self.attempt_b4, &self.attempt_b5, &self.flag_b, &self.attempt_b6, &self.check_b6]);
        ids.extend([&self.challenge_b6, &self.client_b, &self.webhook_b, &self.dead_letter_b]);
        ids.extend([&self.course_b, &self.lesson_b, &self.evidence_b]);
        ids.extend(&self.staff_b);
        ids
    }

    /// Strings that only B's data holds: its ids, names, code and question stems.
    fn markers(&self) -> Vec<String> {
        let mut m: Vec<String> = self.b_ids().into_iter().cloned().collect();
        m.extend(["历下".to_owned(), "济南".to_owned(), self.code_b_text.clone(), self.code_b_text.replace('-', "")]);
        m
    }
}

async fn post_id(app: &TestApp, path: &str, token: &str, body: Value) -> String {
    id(&app.post(path, token, body).await.expect(201))
}

async fn me_id(app: &TestApp, token: &str) -> String {
    id(&app.get("/api/v1/me", token).await.expect(200))
}

/// A session of `plan` that began `minutes_ago`, with `capacity` seats: its id and input.
async fn session(
    app: &TestApp,
    token: &str,
    plan: &str,
    site: &str,
    minutes_ago: i64,
    capacity: i32,
) -> (String, Value) {
    let input = json!({"site_name": site, "address": format!("{site}1号"), "starts_at": window(-minutes_ago, 0).0,
                       "capacity": capacity});
    (post_id(app, &format!("/api/v1/exam-plans/{plan}/sessions"), token, input.clone()).await, input)
}

async fn seat(app: &TestApp, token: &str, session: &str, workers: &[&String]) {
    let path = format!("/api/v1/exam-sessions/{session}/candidates");
    let seated = app.post(&path, token, json!({"worker_ids": workers})).await.expect(200);
    assert_eq!(seated["assigned"], workers.len(), "{seated}");
}

/// A seated candidate starts on the proctor's check of the ID card, without a face; the
/// attempt's id.
async fn start_on_id_card(
    app: &TestApp,
    proctor: &str,
    session: &str,
    worker: &str,
    token: &str,
    plan: &str,
) -> String {
    let check = json!({"reason": "未同意人脸识别，核验居民身份证原件"});
    app.post(&format!("/api/v1/exam-sessions/{session}/candidates/{worker}/identity"), proctor, check)
        .await
        .expect(200);
    post_id(app, &format!("/api/v1/exam-plans/{plan}/attempts"), token, json!({})).await
}

async fn world(app: &TestApp) -> World {
    let t = app.admin_token.clone();
    let TwoCities { province, city_a, county_a, ent_a, city_b, county_b, ent_b } = app.two_cities().await;

    // A: the province's bank (readable by both cities), a worker with a face, a plan.
    let shared =
        post_id(app, "/api/v1/question-banks", &t, json!({"organization_id": province, "name": "省题库"})).await;
    import(app, &t, &shared, &synthetic_bank(15)).await.expect(201);
    let (worker_a, worker_a_token, _, _) = app.worker(&t, &ent_a, "兰山工人").await;
    let verification_a = verification(app, &worker_a_token).await;
    let (ws, we) = window(-60, 60);
    let plan_a = json!({"organizer_id": ent_a, "liveness_at_start": false, "kind": "enterprise_all_staff", "name": "兰山全员考试",
                        "window_start": ws, "window_end": we, "bank_ids": [shared], "blueprint": small_blueprint()});
    let plan_a = post_id(app, "/api/v1/exam-plans", &t, plan_a).await;
    let (session_a, _) = session(app, &t, &plan_a, "兰山考点", 10, 10).await;
    seat(app, &t, &session_a, &[&worker_a]).await;

    // B: everything owned by B's city or below, nothing by the province.
    let city_b_admin = app.staff(&t, &city_b, "city_admin").await;
    let ent_b_admin = app.staff(&t, &ent_b, "enterprise_admin").await;
    let proctor_b_token = app.staff(&city_b_admin, &ent_b, "proctor").await;
    let proctor_b = me_id(app, &proctor_b_token).await;
    let staff_b = vec![me_id(app, &city_b_admin).await, me_id(app, &ent_b_admin).await, proctor_b.clone()];
    let code = app
        .post("/api/v1/registration-codes", &city_b_admin, json!({"organization_id": ent_b, "label": "历下注册码"}))
        .await
        .expect(201);
    let (worker_b, worker_b_token, worker_b_rid, _) = app.worker(&city_b_admin, &ent_b, "历下工人").await;
    let (worker_b2, worker_b2_token, _, _) = app.worker(&city_b_admin, &ent_b, "历下同事").await;
    let (worker_b3, _, _, _) = app.worker(&city_b_admin, &ent_b, "历下验证").await;
    let (worker_b4, worker_b4_token, _, _) = app.worker(&city_b_admin, &ent_b, "历下调座").await;
    let (worker_b5, worker_b5_token, _, _) = app.worker(&city_b_admin, &ent_b, "历下延时").await;
    let (_, worker_b6_token, _, _) = app.worker(&city_b_admin, &ent_b, "历下刷脸").await;
    let bank = json!({"organization_id": city_b, "name": "济南市题库"});
    let bank_b = post_id(app, "/api/v1/question-banks", &city_b_admin, bank).await;
    import(app, &city_b_admin, &bank_b, &marked_bank(15, "历下机密题干")).await.expect(201);
    let listed = app.get(&format!("/api/v1/question-banks/{bank_b}/questions"), &city_b_admin).await.expect(200);
    let mut question_b_input = listed["items"][0].clone();
    let question_b = id(&question_b_input);
    for k in ["id", "bank_id", "version", "active", "updated_at"] {
        question_b_input.as_object_mut().unwrap().remove(k);
    }
    // Longer than the paper's hour: an attempt started now can still be granted extra time.
    let (ws, we) = window(-60, 120);
    let plan_b = json!({"organizer_id": ent_b, "liveness_at_start": false, "kind": "enterprise_all_staff", "name": "历下全员考试",
                        "window_start": ws, "window_end": we, "bank_ids": [bank_b], "blueprint": small_blueprint()});
    let plan_b = post_id(app, "/api/v1/exam-plans", &city_b_admin, plan_b).await;
    let (session_b, session_b_input) = session(app, &city_b_admin, &plan_b, "历下考点", 10, 10).await;
    let (session_b2, _) = session(app, &city_b_admin, &plan_b, "历下第二考点", 5, 5).await;
    let proctors = format!("/api/v1/exam-sessions/{session_b}/proctors");
    app.send(Method::PUT, &proctors, Some(&city_b_admin), Some(json!({"account_ids": [proctor_b]}))).await.expect(200);
    seat(app, &city_b_admin, &session_b, &[&worker_b, &worker_b2, &worker_b3, &worker_b4, &worker_b5]).await;
    let paper = start(app, &worker_b_token, &plan_b).await;
    let attempt_b = id(&paper);
    let first = &paper["questions"][0];
    let saved = json!({"answer": key_of(first), "seq": 1});
    let path = format!("/api/v1/attempts/{attempt_b}/answers/{}", first["position"]);
    app.send(Method::PUT, &path, Some(&worker_b_token), Some(saved)).await.expect(200);
    let second = &paper["questions"][1];
    let attempt_b4 = start_on_id_card(app, &proctor_b_token, &session_b, &worker_b4, &worker_b4_token, &plan_b).await;
    let attempt_b5 = start_on_id_card(app, &proctor_b_token, &session_b, &worker_b5, &worker_b5_token, &plan_b).await;
    // No request raises a flag yet (in-exam face checks will): raise one as they will.
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let evidence = json!({"similarity": 0.21, "threshold": 0.5});
    let flag_b = models::proctoring::raise_flag(
        &mut conn,
        &models::AttemptId::parse(&attempt_b5).unwrap(),
        "face_mismatch",
        &evidence,
    )
    .unwrap()
    .to_string();
    // A face check of B6's that is due, told, and open for an hour.
    let attempt_b6 = id(&start(app, &worker_b6_token, &plan_b).await);
    let b6 = models::AttemptId::parse(&attempt_b6).unwrap();
    let now = models::now();
    models::face_check::set_next_due_for_tests(&mut conn, &b6, now, Some(now + chrono::Duration::hours(1))).unwrap();
    let check_b6 = models::face_check::checks_of(&mut conn, &b6).unwrap()[0].id.clone();
    let challenge = json!({"purpose": "exam_start"});
    let challenge_b6 = post_id(app, "/api/v1/me/liveness-challenges", &worker_b6_token, challenge).await;
    // B's platform client, and a webhook for it whose receiver is gone: B's first event
    // becomes a dead letter after the bounded tries.
    let (client_b, client_b_token) = app.client_in(&city_b).await;
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hook = json!({"client_id": client_b, "url": format!("http://127.0.0.1:{gone}/hook")});
    let webhook_b = id(&app.post("/api/v1/integration-webhooks", &t, hook).await.expect(201)["webhook"]);
    let letters = format!("/api/v1/integration-webhooks/{webhook_b}/dead-letters");
    let started = std::time::Instant::now();
    let dead_letter_b = loop {
        if let Some(first) = app.get(&letters, &t).await.expect(200)["items"].get(0) {
            break id(first);
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no dead letter for B's webhook");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    };
    // B's city's course, and a training record of B's enterprise with its photo.
    let course = json!({"title": "历下课程", "lessons": [{"title": "历下第一课", "kind": "video",
                        "url": "https://study.example.cn/lixia", "duration_secs": 600}]});
    let course = app.post("/api/v1/courses", &city_b_admin, course).await.expect(201);
    let (course_b, lesson_b) = (id(&course), id(&course["lessons"][0]));
    let (kind, form) = table::training_record(&worker_b_rid);
    let req = app
        .client
        .post(app.url(&format!("/api/v1/organizations/{ent_b}/training-records")))
        .bearer_auth(&ent_b_admin)
        .header("content-type", kind)
        .body(form);
    let record = TestApp::finish(req).await.expect(201);
    let evidence_b = id(&record["evidence"][0]);
    let plan = json!({"title": "历下学习计划", "starts_on": "2026-07-01", "ends_on": "2026-08-20",
                      "items": [{"content": "course", "course_id": course_b}]});
    app.post(&format!("/api/v1/organizations/{ent_b}/learning-plans"), &ent_b_admin, plan).await.expect(201);
    World {
        city_a,
        county_a,
        ent_a,
        plan_a,
        worker_a,
        worker_a_token,
        verification_a,
        session_a,
        city_b,
        county_b,
        ent_b,
        city_b_admin,
        ent_b_admin,
        staff_b,
        code_b: id(&code),
        code_b_text: code["code"].as_str().unwrap().to_owned(),
        worker_b,
        worker_b_token,
        worker_b2,
        worker_b2_token,
        bank_b,
        question_b,
        question_b_input,
        plan_b,
        attempt_b,
        answer_b: (second["position"].as_i64().unwrap(), key_of(second)),
        proctor_b,
        proctor_b_token,
        session_b,
        session_b_input,
        session_b2,
        worker_b3,
        worker_b4,
        attempt_b4,
        worker_b5,
        attempt_b5,
        flag_b,
        worker_b6_token,
        attempt_b6,
        check_b6,
        challenge_b6,
        client_b,
        client_b_token,
        webhook_b,
        dead_letter_b,
        course_b,
        lesson_b,
        evidence_b,
        worker_b_rid,
    }
}

/// How long a request of the matrix may take, its first event for a stream.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// A response, with its raw text (exports are no JSON) and its JSON body (`Null` if none).
/// Of an event stream, only the first event.
struct Reply {
    status: u16,
    content_type: String,
    text: String,
    body: Value,
}

async fn send(app: &TestApp, op: &Operation, c: &Call, token: &str) -> Reply {
    let mut path = op.path.replace("{position}", &c.position.unwrap_or(1).to_string());
    // The second path parameter, whatever its name, comes from `sub`.
    let second = if op.path.contains("{check_id}") { "{check_id}" } else { "{worker_id}" };
    for (name, value) in [("{id}", &c.id), (second, &c.sub)] {
        match value {
            Some(v) if path.contains(name) => path = path.replace(name, v),
            None if !path.contains(name) => {}
            _ => panic!("{}: the table's call does not fit the path {}", op.id, op.path),
        }
    }
    if !c.query.is_empty() {
        path = format!("{path}?{}", c.query);
    }
    // A request that never answers fails the test rather than hanging it.
    let mut req = app.client.request(op.method.clone(), app.url(&path)).bearer_auth(token).timeout(ANSWER_WITHIN);
    req = match &c.body {
        Payload::None => req,
        Payload::Json(v) => req.json(v),
        Payload::Bytes(kind, bytes) => req.header("content-type", *kind).body(bytes.clone()),
    };
    let res = req.send().await.unwrap_or_else(|e| panic!("{}: {e}", op.id));
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let bytes = if content_type.starts_with("text/event-stream") {
        first_event(res).await
    } else {
        res.bytes().await.unwrap().to_vec()
    };
    Reply {
        status,
        content_type,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// The first event of a stream; the rest is dropped unread (a stream runs for minutes).
async fn first_event(mut res: reqwest::Response) -> Vec<u8> {
    let mut out = Vec::new();
    let read = async {
        while let Some(chunk) = res.chunk().await.unwrap() {
            out.extend_from_slice(&chunk);
            if out.windows(2).any(|w| w == b"\n\n") {
                break;
            }
        }
    };
    actix_web::rt::time::timeout(ANSWER_WITHIN, read).await.expect("no event in time");
    out
}

#[track_caller]
fn no_leak(r: &Reply, markers: &[String], what: &str) {
    if let Some(m) = markers.iter().find(|m| r.text.contains(m.as_str())) {
        panic!("{what}: shows B's {m}: {}", r.text);
    }
}

/// A refusal: 403 or 404 with a code and a message, and nothing else.
#[track_caller]
fn refused(r: &Reply, markers: &[String], what: &str) {
    assert!(matches!(r.status, 403 | 404), "{what}: not refused: {} {}", r.status, r.text);
    assert!(r.body["code"].as_str().is_some_and(|c| !c.is_empty()), "{what}: no code: {}", r.text);
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: no message: {}", r.text);
    let extra: Vec<&String> =
        r.body.as_object().unwrap().keys().filter(|k| !["code", "message", "field"].contains(&k.as_str())).collect();
    assert!(extra.is_empty(), "{what}: more than an error: {}", r.text);
    no_leak(r, markers, what);
}
