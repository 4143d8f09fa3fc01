//! Exams through the API: the bank, plans, the face-gated start, answers on the server's
//! clock, submission, time-up, makeups and absentees, and who may do what.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{TestApp, WORKER_PASSWORD};

pub fn photo(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/face-data/images").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub async fn upload(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> Value {
    let req = app.client.post(app.url(path)).bearer_auth(token).header("content-type", "image/jpeg").body(bytes);
    TestApp::finish(req).await.body
}

const KINDS: [&str; 3] = ["single_choice", "multiple_choice", "true_false"];
const CATEGORIES: [&str; 3] = ["work_safety_law", "self_rescue", "safety_knowledge"];

/// A bank of `n` questions whose keys the tests can work out from the stem: single choice
/// 乙, multiple choice 甲+丙, true/false true for even numbers.
pub fn synthetic_bank(n: usize) -> Value {
    let questions: Vec<Value> = (0..n)
        .map(|i| {
            let kind = KINDS[i % 3];
            let (options, answer) = match kind {
                "true_false" => (vec![], if i % 2 == 0 { "true" } else { "false" }.to_owned()),
                "single_choice" => {
                    ((0..4).map(|k| format!("题{i}选项{}", ["甲", "乙", "丙", "丁"][k])).collect(), "B".into())
                }
                _ => ((0..4).map(|k| format!("题{i}选项{}", ["甲", "乙", "丙", "丁"][k])).collect(), "AC".into()),
            };
            json!({"ref": format!("T-{i:03}"), "kind": kind, "category": CATEGORIES[i / 3 % 3],
                   "stem": format!("第{i}题：测试题干（　）。"), "options": options, "answer": answer,
                   "roles": ["principal", "safety_manager", "other_staff"], "industries": [],
                   "difficulty": "easy", "explanation": "测试解析。",
                   "legal_basis": "《中华人民共和国安全生产法》第三条"})
        })
        .collect();
    json!({ "questions": questions })
}

/// The correct answer to a synthetic question as this candidate sees it.
pub fn key_of(q: &Value) -> String {
    let stem = q["stem"].as_str().unwrap();
    let i: usize = stem.trim_start_matches('第').split('题').next().unwrap().parse().unwrap();
    let shown: Vec<&str> = q["options"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
    let letter = |suffix: &str| {
        let at = shown.iter().position(|o| o.ends_with(suffix)).unwrap();
        char::from(b'A' + at as u8)
    };
    match q["kind"].as_str().unwrap() {
        "true_false" => if i % 2 == 0 { "true" } else { "false" }.to_owned(),
        "single_choice" => letter("乙").to_string(),
        _ => {
            let mut l = [letter("甲"), letter("丙")];
            l.sort_unstable();
            l.iter().collect()
        }
    }
}

/// A wrong answer to a synthetic question.
fn wrong_of(q: &Value) -> String {
    match q["kind"].as_str().unwrap() {
        "true_false" => if key_of(q) == "true" { "false" } else { "true" }.to_owned(),
        _ => if key_of(q).starts_with('A') { "D" } else { "A" }.to_owned(),
    }
}

pub struct Site {
    pub county: String,
    pub ent: String,
    pub ent_admin: String,
    pub bank: String,
}

/// 兰山区 with an enterprise and its admin, and a province bank of 45 synthetic questions.
pub async fn site(app: &TestApp) -> Site {
    site_with(app, &synthetic_bank(45)).await.0
}

/// The same with a province bank of the given questions; also the import's result.
pub async fn site_with(app: &TestApp, questions: &Value) -> (Site, Value) {
    let t = app.admin_token.clone();
    let county = app.lanshan().await;
    let ent = app.enterprise(&t, &county, "临沂鲁兴化工有限公司").await;
    let ent_admin = app.staff(&t, &ent, "enterprise_admin").await;
    let province = app.province_id().await;
    let bank = app
        .post("/api/v1/question-banks", &t, json!({"organization_id": province, "name": "省题库"}))
        .await
        .expect(201);
    let bank = bank["id"].as_str().unwrap().to_owned();
    let imported = import(app, &t, &bank, questions).await.expect(201);
    (Site { county, ent, ent_admin, bank }, imported)
}

pub async fn import(app: &TestApp, token: &str, bank: &str, file: &Value) -> crate::helpers::Res {
    let req = app
        .client
        .post(app.url(&format!("/api/v1/question-banks/{bank}/import")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(file.to_string());
    TestApp::finish(req).await
}

pub fn window(from_min: i64, to_min: i64) -> (String, String) {
    let now = chrono::Utc::now();
    ((now + chrono::Duration::minutes(from_min)).to_rfc3339(), (now + chrono::Duration::minutes(to_min)).to_rfc3339())
}

/// 10 questions of 10 points (3 true/false, 2 or more multiple choice), pass at 80.
pub fn small_blueprint() -> Value {
    json!({"question_count": 10, "points_per_question": 10, "duration_minutes": 60, "pass_mark": 80,
           "quotas": [{"kind": "true_false", "count": 3}, {"kind": "multiple_choice", "count": 2}]})
}

/// An open all-staff exam of the site's enterprise.
pub async fn open_plan(app: &TestApp, s: &Site) -> Value {
    let (start, end) = window(-60, 60);
    app.post(
        "/api/v1/exam-plans",
        &s.ent_admin,
        // Single photos for the start and the in-exam checks: liveness has tests of its own.
        json!({"organizer_id": s.ent, "liveness_at_start": false, "liveness_in_checks": false, "kind": "enterprise_all_staff",
               "name": "全员考试", "window_start": start, "window_end": end, "bank_ids": [s.bank], "blueprint": small_blueprint()}),
    )
    .await
    .expect(201)
}

/// Enrolls the worker's face (first call) and returns a fresh verification id.
pub async fn verification(app: &TestApp, token: &str) -> String {
    let status = app.get("/api/v1/me/face", token).await.expect(200);
    if status["enrolled"] == false {
        upload(app, "/api/v1/me/face", token, photo("df_img01.jpg")).await;
    }
    let v = upload(app, "/api/v1/me/face/verify", token, photo("df_img02.jpg")).await;
    assert_eq!(v["matched"], true, "{v}");
    v["verification_id"].as_str().unwrap().to_owned()
}

pub async fn start(app: &TestApp, token: &str, plan: &str) -> Value {
    let v = verification(app, token).await;
    app.post(&format!("/api/v1/exam-plans/{plan}/attempts"), token, json!({"verification_id": v})).await.expect(201)
}

async fn save(app: &TestApp, token: &str, attempt: &str, position: i64, answer: &str, seq: i64) -> crate::helpers::Res {
    app.send(
        Method::PUT,
        &format!("/api/v1/attempts/{attempt}/answers/{position}"),
        Some(token),
        Some(json!({"answer": answer, "seq": seq})),
    )
    .await
}

fn questions(paper: &Value) -> Vec<Value> {
    paper["questions"].as_array().unwrap().clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn db(app: &TestApp) -> models::DbConn {
    models::DbUrl::parse(&app.database_url).connect().unwrap()
}

#[actix_web::test]
async fn the_whole_flow_face_start_answer_submit_result() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let plan = open_plan(&app, &s).await;
    assert_eq!(plan["candidate_count"], 0);
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    // A worker registered after the plan was made is added by regenerating the list.
    let patched = app
        .patch(&format!("/api/v1/exam-plans/{}", id(&plan)), &s.ent_admin, json!({"regenerate_candidates": true}))
        .await
        .expect(200);
    assert_eq!(patched["candidate_count"], 1);
    let mine = app.get("/api/v1/me/exams", &token).await.expect(200);
    assert_eq!(mine["items"][0]["status"], "open");
    let path = format!("/api/v1/exam-plans/{}/attempts", id(&plan));
    app.post(&path, &token, json!({"verification_id": uuid::Uuid::new_v4()}))
        .await
        .expect_error(403, "face_verification_required");

    let paper = start(&app, &token, &id(&plan)).await;
    assert_eq!(paper["status"], "in_progress");
    let qs = questions(&paper);
    assert_eq!(qs.len(), 10);
    assert_eq!(qs.iter().filter(|q| q["kind"] == "true_false").count(), 3);
    let stems: HashSet<&str> = qs.iter().map(|q| q["stem"].as_str().unwrap()).collect();
    assert_eq!(stems.len(), 10, "no question twice");
    for q in &qs {
        for secret in ["answer", "explanation", "legal_basis"] {
            assert!(q.get(secret).is_none(), "the paper shows {secret}: {q}");
        }
    }
    let remaining = paper["remaining_seconds"].as_i64().unwrap();
    assert!((3590..=3600).contains(&remaining), "{remaining}");
    // The same verification cannot start anything twice; starting again resumes.
    let again = app.post(&path, &token, json!({"verification_id": "unused"})).await.expect(200);
    assert_eq!(again["id"], paper["id"]);

    // Eight right, two wrong: exactly the pass mark.
    let attempt = id(&paper);
    for (n, q) in qs.iter().enumerate() {
        let answer = if n < 8 { key_of(q) } else { wrong_of(q) };
        let saved = save(&app, &token, &attempt, q["position"].as_i64().unwrap(), &answer, 1).await.expect(200);
        assert_eq!(saved["applied"], true);
    }
    let result = app.post(&format!("/api/v1/attempts/{attempt}/submit"), &token, json!({})).await.expect(200);
    assert_eq!((result["score"].as_i64(), result["passed"].as_bool()), (Some(80), Some(true)), "{result}");
    assert_eq!(result["finish_reason"], "submitted");
    assert!(result["review"].is_null(), "no keys while the window is open");
    let twice = app.post(&format!("/api/v1/attempts/{attempt}/submit"), &token, json!({})).await.expect(200);
    assert_eq!(twice["finished_at"], result["finished_at"]);
    save(&app, &token, &attempt, 1, "A", 2).await.expect_error(409, "attempt_closed");
    let mine = app.get("/api/v1/me/exams", &token).await.expect(200);
    assert_eq!((mine["items"][0]["status"].as_str(), mine["items"][0]["score"].as_i64()), (Some("finished"), Some(80)));
}

#[actix_web::test]
async fn saves_resume_keep_the_newest_answer_and_refuse_bad_input() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let plan = open_plan(&app, &s).await;
    let paper = start(&app, &token, &id(&plan)).await;
    let attempt = id(&paper);
    let choice = questions(&paper).into_iter().find(|q| q["kind"] == "multiple_choice").unwrap();
    let pos = choice["position"].as_i64().unwrap();

    assert_eq!(save(&app, &token, &attempt, pos, "c,a", 2).await.expect(200)["answer"], "AC");
    let late = save(&app, &token, &attempt, pos, "B", 1).await.expect(200);
    assert_eq!((late["applied"].as_bool(), late["answer"].as_str()), (Some(false), Some("AC")));
    // Two devices saving at once: the highest sequence number stands.
    let saves = (3..15).map(|seq| save(&app, &token, &attempt, pos, if seq % 2 == 0 { "AB" } else { "BD" }, seq));
    for r in futures_util::future::join_all(saves).await {
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    }
    let resumed = app.get(&format!("/api/v1/attempts/{attempt}"), &token).await.expect(200);
    let stored: Vec<&Value> = resumed["answers"].as_array().unwrap().iter().filter(|a| a["position"] == pos).collect();
    assert_eq!((stored[0]["seq"].as_i64(), stored[0]["answer"].as_str()), (Some(14), Some("AB")));
    assert_eq!(resumed["questions"], paper["questions"], "the same paper after a resume");

    save(&app, &token, &attempt, pos, "AE", 20).await.expect_error(422, "validation_failed");
    save(&app, &token, &attempt, 0, "A", 20).await.expect_error(404, "not_found");
    save(&app, &token, &attempt, 11, "A", 20).await.expect_error(404, "not_found");
    save(&app, &token, &attempt, pos, "A", -1).await.expect_error(422, "validation_failed");
    // Someone else's attempt does not exist for them.
    let (_, other, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    app.get(&format!("/api/v1/attempts/{attempt}"), &other).await.expect_error(404, "not_found");
    save(&app, &other, &attempt, pos, "A", 99).await.expect_error(404, "not_found");
    app.get(&format!("/api/v1/attempts/{attempt}/result"), &other).await.expect_error(404, "not_found");

    // On PostgreSQL a save commits without waiting for the WAL flush, in its own
    // transaction only: the connection's next transaction (a hand-in on the same pooled
    // connection) waits for it again.
    let mut conn = db(&app).await;
    if conn.backend() == models::Backend::Postgres {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let setting = |conn: &mut models::DbConn| {
            diesel::sql_query("SELECT current_setting('synchronous_commit') AS value")
                .get_result::<Setting>(conn)
                .unwrap()
                .value
        };
        let id = models::AttemptId::parse(&attempt).unwrap();
        let within = conn
            .transaction::<_, models::DbError, _>(|conn| {
                let now = models::now();
                let saved = models::attempt::save_answer(conn, &id, pos as i32, "A", 30, now, now)?;
                assert!(matches!(saved, models::attempt::SaveOutcome::Saved(_)), "{saved:?}");
                Ok(setting(conn))
            })
            .unwrap();
        assert_eq!((within.as_str(), setting(&mut conn).as_str()), ("off", "on"));
    }
}

/// Once a server has seen one save of a paper, the next saves check the caller and the
/// attempt in the same statement as the write. Every refusal must hold there too, with
/// the same answer as on the first save, and leave nothing written.
#[actix_web::test]
async fn warm_saves_refuse_ended_sessions_revoked_accounts_other_workers_and_bad_input() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, token, resident_id, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let (_, other, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    let plan = open_plan(&app, &s).await;
    let paper = start(&app, &token, &id(&plan)).await;
    let attempt = id(&paper);
    let choice = questions(&paper).into_iter().find(|q| q["kind"] == "multiple_choice").unwrap();
    let pos = choice["position"].as_i64().unwrap();
    let stored = || async {
        let mut conn = db(&app).await;
        models::attempt::answers(&mut conn, &models::AttemptId::parse(&attempt).unwrap()).unwrap()
    };

    for seq in 1..=3 {
        let saved = save(&app, &token, &attempt, pos, "ca", seq).await.expect(200);
        assert_eq!((saved["applied"].as_bool(), saved["answer"].as_str()), (Some(true), Some("AC")), "{saved}");
        let remaining = saved["remaining_seconds"].as_i64().unwrap();
        assert!((3500..=3600).contains(&remaining), "{saved}");
    }
    let stale = save(&app, &token, &attempt, pos, "B", 2).await.expect(200);
    assert_eq!(
        (stale["applied"].as_bool(), stale["answer"].as_str(), stale["seq"].as_i64()),
        (Some(false), Some("AC"), Some(3))
    );
    save(&app, &token, &attempt, pos, "AE", 4).await.expect_error(422, "validation_failed");
    save(&app, &token, &attempt, pos, "A", -1).await.expect_error(422, "validation_failed");
    save(&app, &token, &attempt, 11, "A", 4).await.expect_error(404, "not_found");
    save(&app, &other, &attempt, pos, "B", 50).await.expect_error(404, "not_found");
    save(&app, &app.admin_token, &attempt, pos, "B", 50).await.expect_error(403, "not_a_worker");
    save(&app, "not-a-token", &attempt, pos, "B", 50).await.expect_error(401, "invalid_token");

    // The phone logs out: its token no longer saves.
    app.send(Method::POST, "/api/v1/auth/logout", Some(&token), None).await.expect(204);
    save(&app, &token, &attempt, pos, "B", 60).await.expect_error(401, "token_revoked");
    // A new login saves; after a password change, that login's token no longer does.
    let second = app.login(&resident_id, WORKER_PASSWORD).await.expect(200);
    let second = second["access_token"].as_str().unwrap().to_owned();
    save(&app, &second, &attempt, pos, "AB", 61).await.expect(200);
    let change = json!({"current_password": WORKER_PASSWORD, "new_password": "Worker-pass-2027"});
    let third = app.post("/api/v1/me/password", &second, change).await.expect(200);
    let third = third["access_token"].as_str().unwrap().to_owned();
    save(&app, &second, &attempt, pos, "B", 70).await.expect_error(401, "token_revoked");
    save(&app, &third, &attempt, pos, "ABC", 71).await.expect(200);
    // The account is deactivated mid-exam: its live token no longer saves.
    let me = app.get("/api/v1/me", &third).await.expect(200);
    let account = models::AccountId::parse(me["id"].as_str().unwrap()).unwrap();
    models::account::set_active(&mut db(&app).await, &account, false).unwrap();
    save(&app, &third, &attempt, pos, "B", 80).await.expect_error(401, "token_revoked");

    let answers = stored().await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!((answers[0].answer.as_str(), answers[0].client_seq), ("ABC", 71), "only accepted saves were written");
}

#[actix_web::test]
async fn after_the_deadline_saves_are_refused_and_the_saved_answers_count() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let plan = open_plan(&app, &s).await;
    let paper = start(&app, &token, &id(&plan)).await;
    let attempt = id(&paper);
    for q in questions(&paper).iter().take(3) {
        save(&app, &token, &attempt, q["position"].as_i64().unwrap(), &key_of(q), 1).await.expect(200);
    }
    // The deadline passes (the grace in tests is 2 s).
    let past = models::now() - chrono::Duration::seconds(5);
    models::attempt::set_deadline_for_tests(&mut db(&app).await, &models::AttemptId::parse(&attempt).unwrap(), past)
        .unwrap();
    save(&app, &token, &attempt, 4, "A", 1).await.expect_error(409, "attempt_closed");
    let result = app.get(&format!("/api/v1/attempts/{attempt}/result"), &token).await.expect(200);
    assert_eq!((result["score"].as_i64(), result["passed"].as_bool()), (Some(30), Some(false)), "{result}");
    assert_eq!(result["finish_reason"], "time_up");
    let view = app.get(&format!("/api/v1/attempts/{attempt}"), &token).await.expect(200);
    assert_eq!((view["status"].as_str(), view["remaining_seconds"].as_i64()), (Some("finished"), Some(0)));
}

#[actix_web::test]
async fn the_sweeper_finishes_abandoned_attempts_and_racing_finishes_grade_once() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let mut tokens = Vec::new();
    for name in ["张三", "李四"] {
        tokens.push(app.worker(&s.ent_admin, &s.ent, name).await.1);
    }
    let plan = open_plan(&app, &s).await;
    let mut attempts = Vec::new();
    for token in tokens {
        let paper = start(&app, &token, &id(&plan)).await;
        let q = &questions(&paper)[0];
        save(&app, &token, &id(&paper), q["position"].as_i64().unwrap(), &key_of(q), 1).await.expect(200);
        attempts.push(models::AttemptId::parse(&id(&paper)).unwrap());
    }
    let mut conn = db(&app).await;
    let past = models::now() - chrono::Duration::seconds(5);
    for a in &attempts {
        models::attempt::set_deadline_for_tests(&mut conn, a, past).unwrap();
    }
    // Four finishers race on the first attempt (as a submit, two servers' sweepers and a
    // lazy finish would): exactly one grades it.
    let rules = models::plan::rules(&mut conn, &models::PlanId::parse(&id(&plan)).unwrap()).unwrap();
    let url = app.database_url.clone();
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let (url, id, bp, cipher) = (url.clone(), attempts[0].clone(), rules.clone(), app.cipher());
            std::thread::spawn(move || {
                let mut conn = models::DbUrl::parse(&url).connect().unwrap();
                // Each reads it in progress first, as a finisher does.
                let a = models::attempt::get(&mut conn, &id).unwrap();
                models::attempt::finish(&mut conn, &cipher, &a, "time_up", models::now(), &bp).unwrap().is_some()
            })
        })
        .collect();
    let graded = racers.into_iter().map(|t| t.join().unwrap()).filter(|g| *g).count();
    assert_eq!(graded, 1);
    // Nobody touches the second: the background sweeper (every second in tests) finishes it.
    let mut finished = None;
    for _ in 0..50 {
        let a = models::attempt::get(&mut conn, &attempts[1]).unwrap();
        if a.finished {
            finished = Some(a);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let a = finished.expect("the sweeper finished the attempt");
    assert_eq!((a.score, a.finish_reason.as_deref()), (Some(10), Some("time_up")));
}

#[actix_web::test]
async fn absentees_are_recorded_and_a_makeup_keeps_both_scores() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (w1, t1, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let (w2, t2, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    let plan = open_plan(&app, &s).await;
    assert_eq!(plan["candidate_count"], 2);
    let plan_id = id(&plan);
    let paper = start(&app, &t1, &plan_id).await;
    let result = app.post(&format!("/api/v1/attempts/{}/submit", id(&paper)), &t1, json!({})).await.expect(200);
    assert_eq!((result["score"].as_i64(), result["passed"].as_bool()), (Some(0), Some(false)));
    // The window closes; the sweeper records 李四 absent.
    let (start_at, end_at) = window(-120, 0);
    app.patch(
        &format!("/api/v1/exam-plans/{plan_id}"),
        &s.ent_admin,
        json!({"window_start": start_at, "window_end": end_at}),
    )
    .await
    .expect(200);
    let v = verification(&app, &t2).await;
    app.post(&format!("/api/v1/exam-plans/{plan_id}/attempts"), &t2, json!({"verification_id": v}))
        .await
        .expect_error(409, "exam_not_open");
    let mut absent = false;
    for _ in 0..50 {
        let list = app.get(&format!("/api/v1/exam-plans/{plan_id}/candidates"), &s.ent_admin).await.expect(200);
        absent = list["items"].as_array().unwrap().iter().any(|c| c["worker_id"] == w2 && c["status"] == "absent");
        if absent {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(absent, "李四 recorded absent");
    // After the window, the result explains every question.
    let reviewed = app.get(&format!("/api/v1/attempts/{}/result", id(&paper)), &t1).await.expect(200);
    let review = reviewed["review"].as_array().unwrap();
    assert_eq!(review.len(), 10);
    assert!(review.iter().all(|r| r["correct"] == false && r["explanation"] == "测试解析。"));

    let (ms, me) = window(1, 120);
    let makeup = app
        .post(
            "/api/v1/exam-plans",
            &s.ent_admin,
            json!({"liveness_at_start": false, "kind": "makeup", "name": "补考", "original_plan_id": plan_id, "window_start": ms,
                   "window_end": me, "bank_ids": [s.bank], "blueprint": small_blueprint()}),
        )
        .await
        .expect(201);
    assert_eq!((makeup["candidate_count"].as_i64(), makeup["organizer_id"].as_str()), (Some(2), Some(s.ent.as_str())));
    // Open it now and let 张三 pass.
    let (ms, me) = window(-1, 120);
    let makeup_id = id(&makeup);
    app.patch(&format!("/api/v1/exam-plans/{makeup_id}"), &s.ent_admin, json!({"window_start": ms, "window_end": me}))
        .await
        .expect(200);
    let paper = start(&app, &t1, &makeup_id).await;
    for q in questions(&paper) {
        save(&app, &t1, &id(&paper), q["position"].as_i64().unwrap(), &key_of(&q), 1).await.expect(200);
    }
    let passed = app.post(&format!("/api/v1/attempts/{}/submit", id(&paper)), &t1, json!({})).await.expect(200);
    assert_eq!(passed["score"], 100);
    for list_of in [&makeup_id, &plan_id] {
        let list = app.get(&format!("/api/v1/exam-plans/{list_of}/candidates"), &s.ent_admin).await.expect(200);
        let row = list["items"].as_array().unwrap().iter().find(|c| c["worker_id"] == w1).cloned().unwrap();
        assert_eq!((row["first_score"].as_i64(), row["makeup_score"].as_i64()), (Some(0), Some(100)), "{row}");
    }
}

#[actix_web::test]
async fn plans_are_checked_against_the_bank_and_the_organizer() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (start_at, end_at) = window(0, 60);
    let base = json!({"organizer_id": s.ent, "kind": "enterprise_all_staff", "name": "全员考试",
                      "window_start": start_at, "window_end": end_at, "bank_ids": [s.bank]});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    // The bank holds 15 multiple-choice questions; a quota of 20 cannot be filled.
    let short = app
        .post(
            "/api/v1/exam-plans",
            &s.ent_admin,
            with(json!({"blueprint": {"question_count": 20, "points_per_question": 5, "duration_minutes": 60,
                                      "pass_mark": 80, "quotas": [{"kind": "multiple_choice", "count": 20}]}})),
        )
        .await
        .expect_error(422, "blueprint_unsatisfiable");
    assert!(short["message"].as_str().unwrap().contains("20"), "{short}");
    assert!(!short["errors"].as_array().unwrap().is_empty());
    // The default paper needs 100 questions.
    app.post("/api/v1/exam-plans", &s.ent_admin, base.clone()).await.expect_error(422, "blueprint_unsatisfiable");
    let bad = json!({"question_count": 30, "points_per_question": 2, "duration_minutes": 60, "pass_mark": 80});
    app.post("/api/v1/exam-plans", &s.ent_admin, with(json!({"blueprint": bad})))
        .await
        .expect_error(422, "validation_failed");
    // An enterprise cannot run the county's exam; a county exam is run by a county.
    app.post(
        "/api/v1/exam-plans",
        &s.ent_admin,
        with(json!({"kind": "county_principals", "blueprint": small_blueprint()})),
    )
    .await
    .expect_error(422, "validation_failed");
    let county_admin = app.staff(&app.admin_token, &s.county, "county_admin").await;
    let county_plan = app
        .post(
            "/api/v1/exam-plans",
            &county_admin,
            with(json!({"organizer_id": s.county, "kind": "county_principals", "blueprint": small_blueprint()})),
        )
        .await
        .expect(201);
    assert_eq!(county_plan["candidate_filter"]["size_class"], "below_scale");
    // The enterprise sees the county's exam, but may not change it.
    let cp = format!("/api/v1/exam-plans/{}", id(&county_plan));
    app.get(&cp, &s.ent_admin).await.expect(200);
    app.patch(&cp, &s.ent_admin, json!({"name": "改名"})).await.expect_error(403, "forbidden");
    // A filter narrows the list to part of the organizer's subtree, never outside it.
    app.worker(&s.ent_admin, &s.ent, "张三").await;
    let other = app.enterprise(&app.admin_token, &s.county, "临沂华盛商贸有限公司").await;
    let narrowed = |within: &str| {
        with(json!({"organizer_id": s.county, "kind": "county_principals", "blueprint": small_blueprint(),
                    "candidate_filter": {"within": [within], "roles": ["other_staff"]}}))
    };
    let only_ent = app.post("/api/v1/exam-plans", &county_admin, narrowed(&s.ent)).await.expect(201);
    assert_eq!(only_ent["candidate_count"], 1);
    let only_other = app.post("/api/v1/exam-plans", &county_admin, narrowed(&other)).await.expect(201);
    assert_eq!(only_other["candidate_count"], 0);
    let province = app.province_id().await;
    app.post("/api/v1/exam-plans", &county_admin, narrowed(&province)).await.expect_error(422, "validation_failed");
    let window_bad = with(json!({"window_end": start_at, "blueprint": small_blueprint()}));
    app.post("/api/v1/exam-plans", &s.ent_admin, window_bad).await.expect_error(422, "validation_failed");
}

#[actix_web::test]
async fn banks_are_versioned_shared_read_only_and_import_all_or_nothing() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    // The province's bank is pushed down read-only.
    let banks = app.get("/api/v1/question-banks", &s.ent_admin).await.expect(200);
    let shared = banks["items"].as_array().unwrap().iter().find(|b| b["id"] == s.bank.as_str()).cloned().unwrap();
    assert_eq!((shared["read_only"].as_bool(), shared["question_count"].as_i64()), (Some(true), Some(45)));
    let one = &synthetic_bank(1)["questions"][0];
    app.post(&format!("/api/v1/question-banks/{}/questions", s.bank), &s.ent_admin, one.clone())
        .await
        .expect_error(403, "bank_read_only");
    let own = app
        .post("/api/v1/question-banks", &s.ent_admin, json!({"organization_id": s.ent, "name": "企业题库"}))
        .await
        .expect(201);
    let own = id(&own);
    // A file with one bad row imports nothing.
    let mut file = synthetic_bank(5);
    file["questions"][3]["answer"] = json!("E");
    file["questions"][4]["roles"] = json!(["boss"]);
    let refused = import(&app, &s.ent_admin, &own, &file).await.expect_error(422, "questions_invalid");
    let rows: Vec<(i64, &str)> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(4, "answer"), (5, "roles")]);
    let listed = app.get(&format!("/api/v1/question-banks/{own}/questions"), &s.ent_admin).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    // Import, then import again with one change: one new version.
    let file = synthetic_bank(5);
    let first = import(&app, &s.ent_admin, &own, &file).await.expect(201);
    assert_eq!(first["created"], 5);
    let mut changed = file.clone();
    changed["questions"][0]["explanation"] = json!("新的解析。");
    let second = import(&app, &s.ent_admin, &own, &changed).await.expect(201);
    assert_eq!(
        (second["created"].as_i64(), second["revised"].as_i64(), second["unchanged"].as_i64()),
        (Some(0), Some(1), Some(4))
    );
    // Export in each format and import into a fresh bank: the same questions.
    for format in ["json", "csv", "xlsx"] {
        let res = app
            .client
            .get(app.url(&format!("/api/v1/question-banks/{own}/export?format={format}")))
            .bearer_auth(&s.ent_admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let bytes = res.bytes().await.unwrap();
        let copy = app
            .post(
                "/api/v1/question-banks",
                &s.ent_admin,
                json!({"organization_id": s.ent, "name": format!("副本{format}")}),
            )
            .await
            .expect(201);
        let req = app
            .client
            .post(app.url(&format!("/api/v1/question-banks/{}/import", id(&copy))))
            .bearer_auth(&s.ent_admin)
            .body(bytes.to_vec());
        let imported = TestApp::finish(req).await.expect(201);
        assert_eq!(imported["created"], 5, "{format}");
    }
    // A paper keeps the version it drew.
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let plan = open_plan(&app, &s).await;
    let paper = start(&app, &token, &id(&plan)).await;
    let drawn = &questions(&paper)[0];
    let all =
        app.get(&format!("/api/v1/question-banks/{}/questions?limit=200", s.bank), &app.admin_token).await.expect(200);
    let record = all["items"].as_array().unwrap().iter().find(|q| q["stem"] == drawn["stem"]).cloned().unwrap();
    let mut input = record.clone();
    for k in ["id", "bank_id", "version", "active", "updated_at"] {
        input.as_object_mut().unwrap().remove(k);
    }
    input["stem"] = json!("改过的题干（　）。");
    let path = format!("/api/v1/questions/{}", id(&record));
    let updated =
        app.send(Method::PUT, &path, Some(&app.admin_token), Some(json!({"question": input}))).await.expect(200);
    assert_eq!(updated["version"], 2);
    let again = app.get(&format!("/api/v1/attempts/{}", id(&paper)), &token).await.expect(200);
    assert_eq!(again["questions"][0]["stem"], drawn["stem"]);
    // Once someone started, the paper's rules are fixed.
    app.patch(
        &format!("/api/v1/exam-plans/{}", id(&plan)),
        &s.ent_admin,
        json!({"blueprint": {"question_count": 5, "points_per_question": 20, "duration_minutes": 30, "pass_mark": 80}}),
    )
    .await
    .expect_error(409, "plan_started");
}

#[actix_web::test]
async fn who_may_do_what_with_exams() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let plan = open_plan(&app, &s).await;
    let p = format!("/api/v1/exam-plans/{}", id(&plan));
    let (_, worker, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    // Another county's bureau and a sibling enterprise do not see the plan.
    let county = app.get(&format!("/api/v1/organizations/{}", s.county), &app.admin_token).await.expect(200);
    let city = county["parent_id"].as_str().unwrap().to_owned();
    let luozhuang = app.bureau(&app.admin_token, &city, "罗庄区应急管理局").await;
    let other_county = app.staff(&app.admin_token, &luozhuang, "county_admin").await;
    let sibling = app.enterprise(&app.admin_token, &s.county, "临沂华盛商贸有限公司").await;
    let sibling_admin = app.staff(&app.admin_token, &sibling, "enterprise_admin").await;
    for outsider in [&other_county, &sibling_admin] {
        app.get(&p, outsider).await.expect_error(404, "not_found");
        app.get(&format!("{p}/candidates"), outsider).await.expect_error(404, "not_found");
        app.patch(&p, outsider, json!({"name": "x"})).await.expect_error(404, "not_found");
        app.post(&format!("{p}/candidates"), outsider, json!({"add": []})).await.expect_error(404, "not_found");
        let listed = app.get("/api/v1/exam-plans", outsider).await.expect(200);
        assert!(listed["items"].as_array().unwrap().is_empty());
    }
    // The bureaus above see it; a proctor of the county too.
    let county_admin = app.staff(&app.admin_token, &s.county, "county_admin").await;
    app.get(&p, &county_admin).await.expect(200);
    let proctor = app.staff(&app.admin_token, &s.county, "proctor").await;
    app.get(&format!("{p}/candidates"), &proctor).await.expect(200);
    app.patch(&p, &proctor, json!({"name": "x"})).await.expect_error(403, "forbidden");
    // Workers take exams; they do not read banks or manage plans.
    app.get("/api/v1/exam-plans", &worker).await.expect_error(403, "forbidden");
    app.get(&format!("/api/v1/question-banks/{}/questions", s.bank), &worker).await.expect_error(403, "forbidden");
    app.get("/api/v1/question-banks", &proctor).await.expect_error(403, "forbidden");
    // Staff do not sit exams; a worker not on the list cannot start.
    app.post(&format!("{p}/attempts"), &s.ent_admin, json!({"verification_id": "x"}))
        .await
        .expect_error(403, "not_a_worker");
    app.get("/api/v1/me/exams", &s.ent_admin).await.expect_error(403, "not_a_worker");
    // Another enterprise's exam is, to its workers, one that does not exist.
    let (_, outsider_worker, _, _) = app.worker(&sibling_admin, &sibling, "李四").await;
    app.post(&format!("{p}/attempts"), &outsider_worker, json!({"verification_id": "x"}))
        .await
        .expect_error(404, "not_found");
    // One's own enterprise's exam without one's name on the list: a clear refusal.
    let (_, latecomer, _, _) = app.worker(&s.ent_admin, &s.ent, "赵六").await;
    app.post(&format!("{p}/attempts"), &latecomer, json!({"verification_id": "x"}))
        .await
        .expect_error(403, "not_a_candidate");
    // Questions: outsiders do not see an enterprise's own bank; a shared bank is read-only.
    let own = app
        .post("/api/v1/question-banks", &s.ent_admin, json!({"organization_id": s.ent, "name": "企业题库"}))
        .await
        .expect(201);
    let one = &synthetic_bank(1)["questions"][0];
    let q = app
        .post(&format!("/api/v1/question-banks/{}/questions", id(&own)), &s.ent_admin, one.clone())
        .await
        .expect(201);
    let qp = format!("/api/v1/questions/{}", id(&q));
    let put = json!({"question": one});
    for outsider in [&other_county, &sibling_admin] {
        app.get(&qp, outsider).await.expect_error(404, "not_found");
        app.send(Method::PUT, &qp, Some(outsider), Some(put.clone())).await.expect_error(404, "not_found");
        app.get(&format!("/api/v1/question-banks/{}/export", id(&own)), outsider).await.expect_error(404, "not_found");
    }
    app.get(&qp, &county_admin).await.expect(200);
    app.send(Method::PUT, &qp, Some(&county_admin), Some(put.clone())).await.expect_error(403, "bank_read_only");
    app.get(&qp, &worker).await.expect_error(403, "forbidden");
    // Adding a worker of another enterprise to this enterprise's exam is refused.
    let (other_id, _, _, _) = app.worker(&sibling_admin, &sibling, "王五").await;
    app.post(&format!("{p}/candidates"), &s.ent_admin, json!({"add": [other_id]})).await.expect_error(404, "not_found");
}

#[actix_web::test]
async fn the_demo_bank_fills_a_hundred_question_paper() {
    let app = TestApp::spawn().await;
    let questions_json: Vec<Value> = api::demo_bank::FILES
        .iter()
        .flat_map(|(_, text)| serde_json::from_str::<Value>(text).unwrap()["questions"].as_array().unwrap().clone())
        .collect();
    let (s, imported) = site_with(&app, &json!({"questions": questions_json})).await;
    assert!(imported["created"].as_i64().unwrap() >= 300);
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let (start_at, end_at) = window(-1, 60);
    let plan = app
        .post(
            "/api/v1/exam-plans",
            &s.ent_admin,
            json!({"organizer_id": s.ent, "kind": "enterprise_all_staff", "name": "全员考试", "liveness_at_start": false,
                   "window_start": start_at, "window_end": end_at, "bank_ids": [s.bank]}),
        )
        .await
        .expect(201);
    assert_eq!(plan["blueprint"]["question_count"], 100);
    let paper = start(&app, &token, &id(&plan)).await;
    let qs = questions(&paper);
    assert_eq!(qs.len(), 100);
    assert_eq!(qs.iter().map(|q| q["points"].as_i64().unwrap()).sum::<i64>(), 100);
    let stems: HashSet<&str> = qs.iter().map(|q| q["stem"].as_str().unwrap()).collect();
    assert_eq!(stems.len(), 100);
    assert_eq!(paper["pass_mark"], 80);
}
