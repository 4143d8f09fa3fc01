//! The real `sanda` binary: JSON logs carrying request ids and no secrets, and a graceful
//! stop on SIGTERM.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{fresh_database, ADMIN_PASSWORD, JWT_SECRET_B64};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[actix_web::test]
async fn the_binary_logs_json_with_request_ids_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sanda"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SANDA_BIND", format!("127.0.0.1:{port}"))
        .env("SANDA_DATA_DIR", dir.path())
        .env("DATABASE_URL", fresh_database(dir.path()))
        .env("SANDA_JWT_SECRET", JWT_SECRET_B64)
        .env("SANDA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SANDA_FACE_MODELS", crate::helpers::models_dir())
        // It enrolls from one photo (the shared photos hold no liveness sequence for it).
        .env("SANDA_LIVENESS_AT_ENROLLMENT", "false")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();

    // A worker registers, enrolls and verifies a face: personal data must not reach the log.
    let call = |method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Value>| {
        let mut req = client.request(method, format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t.to_owned());
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req
    };
    let json = |r: reqwest::Response| async move { r.json::<Value>().await.unwrap() };
    let me = json(call(reqwest::Method::GET, "/api/v1/me", Some(&token), None).send().await.unwrap()).await;
    let province = me["organization"]["id"].as_str().unwrap().to_owned();
    let mut parent = province;
    for name in ["临沂市应急管理局", "兰山区应急管理局"] {
        let org = json(
            call(
                reqwest::Method::POST,
                "/api/v1/organizations",
                Some(&token),
                Some(json!({"parent_id": parent, "name": name})),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        parent = org["id"].as_str().unwrap().to_owned();
    }
    let ent = json(
        call(reqwest::Method::POST, "/api/v1/organizations", Some(&token), Some(json!({"parent_id": parent, "name": "临沂鲁兴化工有限公司",
            "credit_code": crate::helpers::credit_code(), "industry": "hazardous_chemicals", "size_class": "above_scale"})))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let code = json(
        call(
            reqwest::Method::POST,
            "/api/v1/registration-codes",
            Some(&token),
            Some(json!({"organization_id": ent["id"], "default_role": "principal"})),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let (resident_id, phone) = (crate::helpers::resident_id(), crate::helpers::phone());
    let registered = json(
        call(reqwest::Method::POST, "/api/v1/workers/register", None, Some(json!({"code": code["code"], "name": "张三", "resident_id": resident_id,
            "phone": phone, "password": crate::helpers::WORKER_PASSWORD, "face_consent": {"version": "2026-01", "accepted": true}})))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let worker_token = registered["tokens"]["access_token"].as_str().unwrap().to_owned();
    let photos = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/face-data/images");
    for (path, photo) in [("/api/v1/me/face", "df_img01.jpg"), ("/api/v1/me/face/verify", "df_img02.jpg")] {
        let res = client
            .post(format!("{base}{path}"))
            .bearer_auth(&worker_token)
            .body(std::fs::read(photos.join(photo)).unwrap())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let stopped = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(stopped.elapsed() < Duration::from_secs(20), "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");

    let mut logs = String::new();
    child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert!(stdout.contains("First start: created province admin `admin`"), "{stdout}");
    let lines: Vec<Value> =
        logs.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    let login = lines
        .iter()
        .find(|l| l["fields"]["message"] == "logged in")
        .unwrap_or_else(|| panic!("no login line in {logs}"));
    let ids: Vec<&Value> = login["spans"].as_array().unwrap().iter().map(|s| &s["request_id"]).collect();
    assert!(ids.contains(&&json!(request_id)), "{login}");
    // Every line logged while serving a request carries its id.
    for line in lines.iter().filter(|l| l["spans"].as_array().is_some_and(|s| !s.is_empty())) {
        assert!(line["spans"][0]["request_id"].is_string(), "{line}");
    }
    for secret in
        [ADMIN_PASSWORD, token.as_str(), JWT_SECRET_B64, worker_token.as_str(), crate::helpers::WORKER_PASSWORD]
    {
        assert!(!logs.contains(secret), "a secret reached the log");
    }
    for personal in [&resident_id, &phone, &resident_id[6..14].to_owned()] {
        assert!(!logs.contains(personal.as_str()), "personal data reached the log");
    }
    // Face checks log ids, scores and decisions only.
    let verified = lines.iter().find(|l| l["fields"]["message"] == "face verified").unwrap_or_else(|| panic!("{logs}"));
    let fields = verified["fields"].as_object().unwrap();
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["matched", "message", "score", "threshold"]);
}
