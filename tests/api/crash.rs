//! A crash mid-exam: the real binary under answer-saving load is killed with SIGKILL and
//! started again on the same database. Every acknowledged answer is still there, attempts
//! resume with their original deadlines, attempts whose time ran out while the server was
//! down are finished with their saved answers, and nothing is graded twice.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::exams::{key_of, site};
use crate::helpers::{fresh_database, TestApp, ADMIN, ADMIN_PASSWORD, JWT_SECRET_B64};

fn spawn(dir: &std::path::Path, port: u16, database_url: &str) -> Child {
    spawn_with(dir, port, database_url, &[])
}

/// The `sanda` binary on `port`, with `extra` variables set.
pub fn spawn_with(dir: &std::path::Path, port: u16, database_url: &str, extra: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sanda"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SANDA_BIND", format!("127.0.0.1:{port}"))
        .env("SANDA_DATA_DIR", dir)
        .env("DATABASE_URL", database_url)
        .env("SANDA_JWT_SECRET", JWT_SECRET_B64)
        .env("SANDA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SANDA_FACE_MODELS", crate::helpers::models_dir())
        // It enrolls from one photo (the shared photos hold no liveness sequence for it).
        .env("SANDA_LIVENESS_AT_ENROLLMENT", "false")
        .env("SANDA_SWEEP_INTERVAL_SECS", "1")
        .env("SANDA_ANSWER_GRACE_SECS", "1")
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while client.get(format!("{base}/readyz")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(started.elapsed() < Duration::from_secs(60), "server did not start");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An answer the server acknowledged: (attempt, position) → highest sequence number.
type Acks = Rc<Mutex<HashMap<(String, i64), i64>>>;

#[actix_web::test]
async fn acknowledged_answers_and_deadlines_survive_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = spawn(dir.path(), port, &database_url);
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&client, &base).await;
    let mut app = TestApp {
        base,
        client,
        dir: tempfile::tempdir().unwrap(),
        database_url: database_url.clone(),
        admin_token: String::new(),
    };
    app.admin_token = app.login(ADMIN, ADMIN_PASSWORD).await.expect(200)["access_token"].as_str().unwrap().to_owned();
    let s = site(&app).await;
    let mut tokens = Vec::new();
    for n in 0..6 {
        let (id, token, _, _) = app.worker(&s.ent_admin, &s.ent, &format!("考生{n}")).await;
        tokens.push((id, token));
    }
    let plan = crate::exams::open_plan(&app, &s).await;
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    let mut conn = models::DbUrl::parse(&database_url).connect().unwrap();
    let mut papers = Vec::new();
    for (worker, token) in &tokens {
        // The face check is not what this test is about: a verification id straight from the database.
        let worker = models::WorkerId::parse(worker).unwrap();
        let v = models::face::record_verification(&mut conn, &worker, 0.9, chrono::Duration::minutes(5)).unwrap();
        let paper = app
            .post(&format!("/api/v1/exam-plans/{plan_id}/attempts"), token, json!({"verification_id": v.id}))
            .await
            .expect(201);
        papers.push((token.clone(), paper));
    }

    // Every candidate saves correct answers, over and over with rising sequence numbers,
    // until the server disappears.
    let acks: Acks = Rc::new(Mutex::new(HashMap::new()));
    let mut load = Vec::new();
    for (token, paper) in papers.clone() {
        let (app_base, client, acks) = (app.base.clone(), app.client.clone(), acks.clone());
        load.push(actix_web::rt::spawn(async move {
            let attempt = paper["id"].as_str().unwrap().to_owned();
            let questions = paper["questions"].as_array().unwrap().clone();
            for seq in 1.. {
                let q = &questions[(seq as usize) % questions.len()];
                let position = q["position"].as_i64().unwrap();
                let url = format!("{app_base}/api/v1/attempts/{attempt}/answers/{position}");
                let sent =
                    client.put(url).bearer_auth(&token).json(&json!({"answer": key_of(q), "seq": seq})).send().await;
                match sent {
                    Ok(res) if res.status() == 200 => {
                        let body: Value = res.json().await.unwrap_or(Value::Null);
                        if body["applied"] == true {
                            let mut acks = acks.lock().unwrap();
                            let e = acks.entry((attempt.clone(), position)).or_insert(0);
                            *e = (*e).max(seq);
                        }
                    }
                    Ok(res) => panic!("unexpected answer {}", res.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    for task in load {
        task.await.unwrap();
    }
    let acked = acks.lock().unwrap().clone();
    assert!(acked.len() >= 6, "the load got going before the kill: {} answers", acked.len());

    // While the server is down, the time of the first three attempts runs out.
    let ids: Vec<models::AttemptId> =
        papers.iter().map(|(_, p)| models::AttemptId::parse(p["id"].as_str().unwrap()).unwrap()).collect();
    let before: Vec<models::attempt::Attempt> =
        ids.iter().map(|id| models::attempt::get(&mut conn, id).unwrap()).collect();
    assert!(before.iter().all(|a| !a.finished));
    for id in &ids[..3] {
        models::attempt::set_deadline_for_tests(&mut conn, id, models::now() - chrono::Duration::seconds(30)).unwrap();
    }
    let mut server = spawn(dir.path(), port, &database_url);
    wait_ready(&app.client, &app.base).await;

    // Every acknowledged answer is there (a save committed just before the kill may stand
    // with a higher number than the last one acknowledged).
    for ((attempt, position), seq) in &acked {
        let token = &papers.iter().find(|(_, p)| p["id"] == attempt.as_str()).unwrap().0;
        let view = app.get(&format!("/api/v1/attempts/{attempt}"), token).await.expect(200);
        let stored = view["answers"].as_array().unwrap().iter().find(|a| a["position"] == *position).cloned();
        let stored = stored.unwrap_or_else(|| panic!("acknowledged answer {attempt}/{position} lost"));
        assert!(stored["seq"].as_i64().unwrap() >= *seq, "{stored} older than acknowledged {seq}");
    }
    // The other three resume with their original deadlines and take answers again.
    for (k, (token, paper)) in papers.iter().enumerate().skip(3) {
        let view = app.get(&format!("/api/v1/attempts/{}", paper["id"].as_str().unwrap()), token).await.expect(200);
        assert_eq!(view["status"], "in_progress");
        assert_eq!(view["deadline"], paper["deadline"], "attempt {k} keeps its deadline");
        let q = &view["questions"][0];
        let path = format!("/api/v1/attempts/{}/answers/{}", paper["id"].as_str().unwrap(), q["position"]);
        app.send(Method::PUT, &path, Some(token), Some(json!({"answer": key_of(q), "seq": 1_000_000})))
            .await
            .expect(200);
    }
    // The first three are finished by the sweeper with their saved answers, once.
    let mut graded = Vec::new();
    for id in &ids[..3] {
        let started = Instant::now();
        let done = loop {
            let a = models::attempt::get(&mut conn, id).unwrap();
            if a.finished {
                break a;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the sweeper did not finish {id}");
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        };
        let answered = models::attempt::answers(&mut conn, id).unwrap().len() as i32;
        assert_eq!((done.finish_reason.as_deref(), done.score), (Some("time_up"), Some(answered * 10)), "{id}");
        graded.push(done);
    }
    // A second crash and restart grades nothing again.
    server.kill().unwrap();
    server.wait().unwrap();
    let mut server = spawn(dir.path(), port, &database_url);
    wait_ready(&app.client, &app.base).await;
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    for done in &graded {
        let again = models::attempt::get(&mut conn, &done.id).unwrap();
        assert_eq!((again.finished_at, again.score), (done.finished_at, done.score));
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
