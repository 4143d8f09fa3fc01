//! Answer saves through the HTTP API with many candidates mid-exam.
//!
//!     cargo run -p api --release --example save_bench -- [CANDIDATES] [SAVES_EACH]
//!
//! Starts the real server in-process on a fresh SQLite file (or the PostgreSQL database
//! in `BENCH_DATABASE_URL`), registers CANDIDATES workers through the API, imports a
//! 300-question bank, creates an all-staff exam of 100 questions and starts every
//! candidate's attempt through the API. The face check is the one step not exercised: each
//! candidate's one-time verification id is written straight into the database, so the
//! figures are those of the exam itself. Then every candidate saves SAVES_EACH answers
//! back to back, all candidates at once, and the bench prints throughput and latency
//! percentiles, next to the same server's `/healthz` as the stack's own ceiling. The load
//! generator shares the machine with the server.

#![expect(clippy::expect_used, clippy::unwrap_used, reason = "a benchmark stops where it cannot continue")]

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

#[path = "common/mod.rs"]
mod common;

use common::percentiles;

fn bank(n: usize) -> Value {
    let kinds = ["single_choice", "multiple_choice", "true_false"];
    let questions: Vec<Value> = (0..n)
        .map(|i| {
            let kind = kinds[i % 3];
            let (options, answer) = match kind {
                "true_false" => (vec![], "true"),
                "single_choice" => (vec!["甲", "乙", "丙", "丁"], "B"),
                _ => (vec!["甲", "乙", "丙", "丁"], "AC"),
            };
            json!({"kind": kind, "category": "work_safety_law", "stem": format!("压测第{i}题（　）。"),
                   "options": options, "answer": answer, "roles": ["principal", "safety_manager", "other_staff"],
                   "explanation": "解析。", "legal_basis": "《中华人民共和国安全生产法》第三条"})
        })
        .collect();
    json!({ "questions": questions })
}

#[actix_web::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let candidates: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(500);
    let saves_each: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100).min(100);
    let dir = tempfile::tempdir().unwrap();
    let (c, database_url) = common::start(dir.path()).await;
    let backend = models::DbUrl::parse(&database_url).backend();
    use reqwest::Method as M;

    // The campaign's set-up, through the API.
    let common::Campaign { admin, province, enterprise: ent_id } =
        common::campaign(&c, "临沂压测商贸有限公司", "commerce", "91371302MA3C0BEN1").await;
    let workers = common::register(&c, &admin, &ent_id, "考生", candidates).await;
    let b = c
        .ok(
            M::POST,
            "/api/v1/question-banks",
            Some(&admin),
            json!({"organization_id": province, "name": "压测题库"}),
            201,
        )
        .await;
    let bank_id = b["id"].as_str().unwrap().to_owned();
    c.ok(M::POST, &format!("/api/v1/question-banks/{bank_id}/import"), Some(&admin), bank(300), 201).await;
    let now = chrono::Utc::now();
    let plan = c
        .ok(
            M::POST,
            "/api/v1/exam-plans",
            Some(&admin),
            json!({"organizer_id": province, "liveness_at_start": false, "kind": "province_unified", "name": "压测考试",
                   "window_start": (now - chrono::Duration::minutes(1)).to_rfc3339(),
                   "window_end": (now + chrono::Duration::hours(3)).to_rfc3339(),
                   "candidate_filter": {"roles": ["other_staff"]}, "bank_ids": [bank_id]}),
            201,
        )
        .await;
    assert_eq!(plan["candidate_count"].as_u64(), Some(candidates as u64));
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    // The one step not exercised: a successful face check for each candidate.
    let mut conn = models::DbUrl::parse(&database_url).connect().unwrap();
    let verifications: Vec<String> = workers
        .iter()
        .map(|(id, _)| {
            let id = models::WorkerId::parse(id).unwrap();
            models::face::record_verification(&mut conn, &id, 0.9, chrono::Duration::hours(1)).unwrap().id
        })
        .collect();

    // Everyone starts at the same minute.
    let t = Instant::now();
    let started: Vec<(f64, &String, Value)> = stream::iter(workers.iter().zip(&verifications))
        .map(|((_, token), v)| {
            let (c, plan_id) = (&c, &plan_id);
            async move {
                let t = Instant::now();
                let paper = c
                    .ok(
                        M::POST,
                        &format!("/api/v1/exam-plans/{plan_id}/attempts"),
                        Some(token),
                        json!({"verification_id": v}),
                        201,
                    )
                    .await;
                (t.elapsed().as_secs_f64() * 1e3, token, paper)
            }
        })
        .buffer_unordered(candidates)
        .collect()
        .await;
    let secs = t.elapsed().as_secs_f64();
    percentiles(
        &format!("startAttempt ({candidates} at once, 100-question papers)"),
        started.iter().map(|s| s.0).collect(),
        secs,
    );

    // Everyone answers, back to back.
    // (Starts finish in any order: each paper stays with its own candidate's token.)
    let papers: Vec<(&String, &Value)> = started.iter().map(|(_, token, paper)| (*token, paper)).collect();
    let t = Instant::now();
    let latencies: Vec<Vec<f64>> = stream::iter(papers)
        .map(|(token, paper)| {
            let c = &c;
            async move {
                let attempt = paper["id"].as_str().unwrap();
                let mut out = Vec::with_capacity(saves_each);
                for q in paper["questions"].as_array().unwrap().iter().take(saves_each) {
                    let answer = if q["kind"] == "true_false" { "true" } else { "A" };
                    let path = format!("/api/v1/attempts/{attempt}/answers/{}", q["position"]);
                    let t = Instant::now();
                    c.ok(M::PUT, &path, Some(token), json!({"answer": answer, "seq": 1}), 200).await;
                    out.push(t.elapsed().as_secs_f64() * 1e3);
                }
                out
            }
        })
        .buffer_unordered(candidates)
        .collect()
        .await;
    let secs = t.elapsed().as_secs_f64();
    percentiles(
        &format!("saveAnswer ({candidates} candidates at once)"),
        latencies.into_iter().flatten().collect(),
        secs,
    );

    // The stack's own ceiling: the cheapest endpoint at the same concurrency.
    let t = Instant::now();
    let until = t + Duration::from_secs(5);
    let ceiling: Vec<Vec<f64>> = stream::iter(0..candidates)
        .map(|_| {
            let c = &c;
            async move {
                let mut out = Vec::new();
                while Instant::now() < until {
                    let t = Instant::now();
                    let (status, _) = c.call(M::GET, "/healthz", None, None).await;
                    assert_eq!(status, 200);
                    out.push(t.elapsed().as_secs_f64() * 1e3);
                }
                out
            }
        })
        .buffer_unordered(candidates)
        .collect()
        .await;
    percentiles(
        &format!("GET /healthz ({candidates} clients)"),
        ceiling.into_iter().flatten().collect(),
        t.elapsed().as_secs_f64(),
    );
    println!("backend: {backend:?}");
}
