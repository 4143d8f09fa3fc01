//! Exam-day load against the real server, driven over HTTP as the apps do.
//!
//!     cargo build --release --bin sanda
//!     cargo run -p loadgen --release -- --candidates 500 [--database-url postgres://…/empty_db]
//!
//! Starts `--server` (the release binary by default) on a fresh SQLite file or the given
//! empty PostgreSQL database, sets up a province, a county, an enterprise, a 300-question
//! bank and an exam through the API, registers `--candidates` workers and enrolls their
//! faces (set-up, reported apart). Then exam day, all candidates at once: log in, verify
//! the face with a real photo (503 answers are retried after `Retry-After`, as the app
//! does), start, save answers with a think time (a share of them sent twice, as a flaky
//! phone would), resume once at a random point (a dropped connection), submit; a proctor polls the candidate list the
//! whole time. It prints per operation the count, rate, latency percentiles and errors by
//! code, the server's CPU use and peak memory, and each rate as a share of the same server's
//! `/healthz` (the stack's own ceiling).

#![expect(clippy::expect_used, reason = "a load run stops where its set-up cannot continue")]

mod client;
mod setup;
mod stats;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use rand::Rng;
use serde_json::json;

use client::{Api, Body};
use stats::{process_usage, Stats};

/// The save latency the exam-day target puts the 99th percentile under.
const SLOW_SAVE_MS: f64 = 50.0;

#[derive(Debug, Parser)]
struct Args {
    /// Candidates sitting the exam at the same time.
    #[arg(long, default_value_t = 500)]
    candidates: usize,
    /// Answers each candidate saves (the paper has 100).
    #[arg(long, default_value_t = 100)]
    answers: usize,
    /// Mean think time between two answers, in milliseconds (the hour compressed).
    #[arg(long, default_value_t = 300)]
    think_ms: u64,
    /// Percent of saves sent a second time, as a phone retrying after a lost reply.
    #[arg(long, default_value_t = 5)]
    resend_percent: u32,
    /// Before exam day, this many candidates verify their faces all at once, to measure
    /// the face checks per core (0: skip).
    #[arg(long, default_value_t = 0)]
    face_storm: usize,
    /// The server binary to start.
    #[arg(long, default_value = "target/release/sanda")]
    server: PathBuf,
    /// An empty PostgreSQL database to use instead of a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value = "data/models")]
    models: PathBuf,
    #[arg(long, default_value = "../shared/face-data/images")]
    photos: PathBuf,
}

pub const ADMIN_PASSWORD: &str = "Loadgen-admin-2026";
pub const PASSWORD: &str = "Worker-pass-2026";

fn start_server(args: &Args, dir: &std::path::Path, port: u16) -> Child {
    let database_url =
        args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.join("loadgen.db").display()));
    Command::new(&args.server)
        .env("SANDA_BIND", format!("127.0.0.1:{port}"))
        .env("SANDA_DATA_DIR", dir)
        .env("DATABASE_URL", database_url)
        .env("SANDA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SANDA_FACE_MODELS", &args.models)
        // Candidates enroll from one photo: the shared photos hold no liveness sequence for them.
        .env("SANDA_LIVENESS_AT_ENROLLMENT", "false")
        .env("RUST_LOG", "warn")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("server.log")).map(Stdio::from).unwrap_or(Stdio::null()))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e} (cargo build --release --bin sanda)", args.server.display()))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let read = |name: &str| std::fs::read(args.photos.join(name)).unwrap_or_else(|e| panic!("photo {name}: {e}"));
    let (enroll_photo, verify_photo) = (read("df_img01.jpg"), read("df_img02.jpg"));
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let mut server = start_server(&args, dir.path(), port);
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(8192)
            // Below the server's keep-alive, so that a request never races the server closing an
            // idle connection (a phone would retry that; here it would count as an error).
            .pool_idle_timeout(Duration::from_secs(3))
            .build()
            .expect("client"),
        base: format!("http://127.0.0.1:{port}"),
        stats: Stats::default(),
    });
    let started = Instant::now();
    while api.call(reqwest::Method::GET, "/readyz", None, None).await.map(|r| r.0) != Ok(200) {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    use reqwest::Method as M;

    let setup = setup::run(&api, args.candidates, &enroll_photo).await;
    let peak = process_usage(server.id()).map_or(0, |u| u.1 / 1_000_000);
    println!("the server's peak memory after set-up: {peak} MB");
    let (proctor, plan_id, phones) = (setup.proctor, setup.plan_id, setup.phones);
    if args.face_storm > 0 {
        face_storm(&api, server.id(), &setup.tokens[..args.face_storm.min(setup.tokens.len())], &verify_photo).await;
    }

    // Exam day.
    let usage_before = process_usage(server.id());
    let t = Instant::now();
    let sampling_done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(stats::sample_cpu(server.id(), sampling_done.clone()));
    let done = Arc::new(AtomicUsize::new(0));
    let proctor_task = {
        let (api, done, path, n) =
            (api.clone(), done.clone(), format!("/api/v1/exam-plans/{plan_id}/candidates?limit=200"), args.candidates);
        tokio::spawn(async move {
            while done.load(Ordering::Relaxed) < n {
                api.timed("proctor:list", 200, M::GET, &path, Some(&proctor), Body::None).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        })
    };
    // Everyone arrives (log in, 刷脸, start) as fast as the server lets them; the answering
    // starts when the last candidate is in, so that the saves are measured with all of them
    // mid-exam.
    let all_in = Arc::new(tokio::sync::Barrier::new(args.candidates + 1));
    let candidates = (0..args.candidates).map(|n| {
        let (api, done, all_in, phone, photo, plan_id) =
            (api.clone(), done.clone(), all_in.clone(), phones[n].clone(), verify_photo.clone(), plan_id.clone());
        let (answers, think, resend) = (args.answers, args.think_ms, args.resend_percent);
        tokio::spawn(async move {
            let seat = arrive(&api, &phone, &photo, &plan_id).await;
            all_in.wait().await;
            if let Some(seat) = seat {
                answer(&api, &seat, answers, think, resend).await;
            }
            done.fetch_add(1, Ordering::Relaxed);
        })
    });
    let candidates = candidates.collect::<Vec<_>>();
    all_in.wait().await;
    let arrival_secs = t.elapsed().as_secs_f64();
    println!("all {} candidates in after {arrival_secs:.0} s; answering", args.candidates);
    let usage_mid = process_usage(server.id());
    let t_mid = Instant::now();
    for c in candidates {
        let _ = c.await;
    }
    let answering_secs = t_mid.elapsed().as_secs_f64();
    let _ = proctor_task.await;
    let exam_secs = t.elapsed().as_secs_f64();
    sampling_done.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap_or_default();
    let usage_after = process_usage(server.id());

    // The stack's own ceiling, at the same concurrency.
    let until = Instant::now() + Duration::from_secs(5);
    let clients = (0..args.candidates.clamp(1, 512)).map(|_| {
        let api = api.clone();
        tokio::spawn(async move {
            while Instant::now() < until {
                api.timed("ceiling:healthz", 200, M::GET, "/healthz", None, Body::None).await;
            }
        })
    });
    for c in clients.collect::<Vec<_>>() {
        let _ = c.await;
    }
    let ceiling = api.stats.rate("ceiling:healthz");
    println!(
        "\nexam day: {} candidates, {} answers each, think {} ms, in {exam_secs:.0} s \
         (all in after {arrival_secs:.0} s, then {answering_secs:.0} s answering)\n",
        args.candidates, args.answers, args.think_ms
    );
    print!("{}", api.stats.report(ceiling));
    if let (Some((cpu0, _)), Some((cpu_mid, _)), Some((cpu1, peak))) = (usage_before, usage_mid, usage_after) {
        println!(
            "\nserver: {:.2} cores busy while candidates arrived, {:.2} while all of them answered \
             ({:.0} CPU s in {exam_secs:.0} s), peak resident memory {} MB",
            (cpu_mid - cpu0) / arrival_secs,
            (cpu1 - cpu_mid) / answering_secs,
            cpu1 - cpu0,
            peak / 1_000_000
        );
    }
    let slow = api.stats.slow_seconds("saveAnswer", SLOW_SAVE_MS);
    if !slow.is_empty() {
        let first = api.stats.first("saveAnswer");
        // The machine in the second sampled closest to each slow one: a stall of the whole
        // machine (busy or stolen cores) or of the server alone.
        let machine = |second: u64| {
            let at = first? + Duration::from_secs(second);
            let s = samples.iter().min_by_key(|s| if s.at > at { s.at - at } else { at - s.at })?;
            Some(format!(
                " [machine {:.0}% busy, {:.0}% stolen; server {:.2} cores]",
                s.busy * 100.0,
                s.steal * 100.0,
                s.server_cores
            ))
        };
        let seconds: Vec<String> =
            slow.iter().map(|(s, n, k)| format!("{s}s: {k}/{n}{}", machine(*s).unwrap_or_default())).collect();
        println!("saves over {SLOW_SAVE_MS} ms, by the second they started in (slow/all): {}", seconds.join(", "));
    }
    if !samples.is_empty() {
        let (busy, steal) = samples.iter().fold((0.0, 0.0), |(b, st), s| (b + s.busy, st + s.steal));
        let n = samples.len() as f64;
        println!(
            "the machine over the exam: {:.0}% busy, {:.0}% stolen on average",
            busy / n * 100.0,
            steal / n * 100.0
        );
    }
    let unexpected = api.stats.unexpected(&["503 service_unavailable (retried)"]);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    // 503 answers are back-pressure by design (the HTTP middleware still logs them as errors).
    let errors: Vec<&str> =
        log.lines().filter(|l| l.contains("\"level\":\"ERROR\"") && !l.contains("service_unavailable")).collect();
    println!("unexpected errors: {unexpected}; errors in the server's log: {}", errors.len());
    for line in errors.iter().take(5) {
        println!("  {line}");
    }
    let _ = server.kill();
    let _ = server.wait();
    if unexpected > 0 {
        std::process::exit(1);
    }
}

/// Face checks only, all at once: how many the server completes per second and per busy
/// core, and how it turns the excess away (503 with `Retry-After`, retried).
async fn face_storm(api: &Arc<Api>, server: u32, tokens: &[String], photo: &[u8]) {
    use reqwest::Method as M;
    let before = process_usage(server);
    let t = Instant::now();
    let checks = tokens.iter().map(|token| {
        let (api, token, photo) = (api.clone(), token.clone(), photo.to_vec());
        tokio::spawn(async move {
            api.timed("storm:verifyFace", 200, M::POST, "/api/v1/me/face/verify", Some(&token), Body::Jpeg(&photo))
                .await;
        })
    });
    for c in checks.collect::<Vec<_>>() {
        let _ = c.await;
    }
    let secs = t.elapsed().as_secs_f64();
    if let (Some((cpu0, _)), Some((cpu1, _))) = (before, process_usage(server)) {
        let n = tokens.len() as f64;
        let cores = (cpu1 - cpu0) / secs;
        println!(
            "face storm: {} checks in {secs:.1} s = {:.1}/s with {cores:.2} cores busy: {:.1} checks per core-second",
            tokens.len(),
            n / secs,
            n / (cpu1 - cpu0)
        );
    }
}

/// A candidate in the exam: the token, the attempt and its questions.
struct Seat {
    token: String,
    attempt: String,
    questions: Vec<serde_json::Value>,
}

/// Arrival: log in, 刷脸, start.
async fn arrive(api: &Api, phone: &str, photo: &[u8], plan: &str) -> Option<Seat> {
    use reqwest::Method as M;
    let login = json!({"username": phone, "password": PASSWORD});
    let tokens = api.timed("login", 200, M::POST, "/api/v1/auth/login", None, Body::Json(&login)).await?;
    let token = tokens["access_token"].as_str().unwrap_or_default().to_owned();
    let v = api.timed("verifyFace", 200, M::POST, "/api/v1/me/face/verify", Some(&token), Body::Jpeg(photo)).await?;
    if v["matched"] != true {
        api.stats.error("verifyFace", "no match".into());
        return None;
    }
    let body = json!({"verification_id": v["verification_id"]});
    let path = format!("/api/v1/exam-plans/{plan}/attempts");
    let paper = api.timed("startAttempt", 201, M::POST, &path, Some(&token), Body::Json(&body)).await?;
    let attempt = paper["id"].as_str().unwrap_or_default().to_owned();
    let questions = paper["questions"].as_array().cloned().unwrap_or_default();
    Some(Seat { token, attempt, questions })
}

/// The exam itself: answers with think time (some saves sent twice), a resume at a random
/// point (as after a dropped connection: not all candidates at the same question),
/// the submission.
async fn answer(api: &Api, seat: &Seat, answers: usize, think_ms: u64, resend: u32) {
    use reqwest::Method as M;
    let Seat { token, attempt, questions } = seat;
    let resume_at = rand::thread_rng().gen_range(0..answers.max(1));
    for (i, q) in questions.iter().take(answers).enumerate() {
        let pause = if think_ms == 0 { 0 } else { rand::thread_rng().gen_range(think_ms / 2..=think_ms * 3 / 2) };
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let answer = if q["kind"] == "true_false" { "true" } else { "A" };
        let save = json!({"answer": answer, "seq": 1});
        let path = format!("/api/v1/attempts/{attempt}/answers/{}", q["position"]);
        api.timed("saveAnswer", 200, M::PUT, &path, Some(token), Body::Json(&save)).await;
        if rand::thread_rng().gen_range(0..100) < resend {
            api.timed("saveAnswer:resend", 200, M::PUT, &path, Some(token), Body::Json(&save)).await;
        }
        if i == resume_at {
            let path = format!("/api/v1/attempts/{attempt}");
            api.timed("getAttempt", 200, M::GET, &path, Some(token), Body::None).await;
        }
    }
    let path = format!("/api/v1/attempts/{attempt}/submit");
    api.timed("submitAttempt", 200, M::POST, &path, Some(token), Body::Json(&json!({}))).await;
}
