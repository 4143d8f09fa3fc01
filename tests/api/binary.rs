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
    for secret in [ADMIN_PASSWORD, token.as_str(), JWT_SECRET_B64] {
        assert!(!logs.contains(secret), "a secret reached the log");
    }
}
