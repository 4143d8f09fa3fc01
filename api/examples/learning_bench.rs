//! 大学习 and 大培训 through the HTTP API: lesson progress reports from many workers at once,
//! and the largest attendance sheet an enterprise can upload.
//!
//!     cargo run -p api --release --example learning_bench -- [WORKERS] [SECONDS]
//!
//! Starts the real server in-process on a fresh SQLite file (or the PostgreSQL database in
//! `BENCH_DATABASE_URL`) and sets up a county with an enterprise through the API. Then:
//! - WORKERS workers (default 500) register through the API and each reports progress on a
//!   four-hour lesson back to back for SECONDS (default 20): every report is a write of the
//!   worker's learning clock and its lesson time. The app reports once a minute, so the
//!   throughput over 60 is how many workers one server keeps up with;
//! - the enterprise imports a roster of 2,000 more, and uploads a 2,000-row attendance sheet
//!   (the most a sheet may hold) with a photo, three times: every row is looked up in the
//!   registry by its sealed ID number before anything is kept.

#![expect(clippy::expect_used, clippy::unwrap_used, reason = "a benchmark stops where it cannot continue")]

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{percentiles, resident_id};
use futures_util::{stream, StreamExt};
use serde_json::json;

/// Attendees of the uploaded sheet: the most one sheet may list.
const SHEET_ROWS: usize = exam::training::MAX_ATTENDEES;

#[actix_web::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let workers: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(500);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let (c, database_url) = common::start(dir.path()).await;
    let backend = models::DbUrl::parse(&database_url).backend();
    use reqwest::Method as M;
    let common::Campaign { admin, enterprise: ent_id, .. } =
        common::campaign(&c, "临沂压测化工有限公司", "hazardous_chemicals", "91371302MA3C0BEN2").await;

    // A four-hour lesson: no report reaches its end.
    let course = json!({"title": "压测课程", "lessons": [{"title": "第一课", "kind": "video",
                        "url": "https://study.bench.sanda.invalid/1", "duration_secs": 4 * 3600}]});
    let course = c.ok(M::POST, "/api/v1/courses", Some(&admin), course, 201).await;
    let lesson = course["lessons"][0]["id"].as_str().unwrap().to_owned();

    let tokens: Vec<String> =
        common::register(&c, &admin, &ent_id, "学员", workers).await.into_iter().map(|(_, token)| token).collect();

    // Every worker reports back to back.
    let t = Instant::now();
    let until = t + Duration::from_secs(seconds);
    let path = format!("/api/v1/lessons/{lesson}/progress");
    let reports: Vec<(Vec<f64>, usize)> = stream::iter(&tokens)
        .map(|token| {
            let (c, path) = (&c, &path);
            async move {
                let (mut out, mut conflicts) = (Vec::new(), 0);
                while Instant::now() < until {
                    let t = Instant::now();
                    let (status, body) = c.call(M::POST, path, Some(token), Some(json!({"seconds": 60}))).await;
                    assert!(status == 200 || status == 409, "{status}: {body}");
                    conflicts += usize::from(status == 409);
                    out.push(t.elapsed().as_secs_f64() * 1e3);
                }
                (out, conflicts)
            }
        })
        .buffer_unordered(workers)
        .collect()
        .await;
    let secs = t.elapsed().as_secs_f64();
    let conflicts: usize = reports.iter().map(|r| r.1).sum();
    let latencies: Vec<f64> = reports.into_iter().flat_map(|r| r.0).collect();
    let per_second = latencies.len() as f64 / secs;
    percentiles(&format!("recordLessonProgress ({workers} workers back to back)"), latencies, secs);
    println!(
        "  {conflicts} answered 409 (none expected: each worker reports one at a time); at one report a minute \
         a worker, this server keeps up with {:.0} workers studying at once",
        per_second * 60.0
    );

    // A roster of 2,000 more, and a sheet listing every one of them.
    let mut roster = String::from("姓名,身份证号码,人员类别\n");
    let mut sheet = String::from(
        "压测公司安全生产培训签到表\n培训主题,危险化学品安全\n培训级别,厂级/公司级\n培训日期,2026-08-25\n学时,8\n\
         授课人,张工\n培训方式,本企业自行组织\n\n序号,姓名,身份证号码,签名\n",
    );
    // Names as people have them: without digits (a sheet refuses those as ID numbers in the
    // wrong column).
    let name = |i: usize| -> String {
        let digits: Vec<char> = "零一二三四五六七八九".chars().collect();
        format!(
            "参训{}",
            i.to_string().chars().map(|d| digits[d.to_digit(10).unwrap_or(0) as usize]).collect::<String>()
        )
    };
    for i in 0..SHEET_ROWS {
        let rid = resident_id(workers + i);
        roster.push_str(&format!("{},{rid},其他从业人员\n", name(i)));
        sheet.push_str(&format!("{},{},{rid},\n", i + 1, name(i)));
    }
    let t = Instant::now();
    let imported = c
        .http
        .post(format!("{}/api/v1/organizations/{ent_id}/workers/import", c.base))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(roster)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 201);
    println!("set-up: a roster of {SHEET_ROWS} imported in {:.1} s", t.elapsed().as_secs_f64());
    let enterprise_admin = c
        .ok(
            M::POST,
            "/api/v1/staff-accounts",
            Some(&admin),
            json!({"organization_id": ent_id, "username": "bench.enterprise", "display_name": "压测企业管理员",
                   "role": "enterprise_admin"}),
            201,
        )
        .await;
    let first = json!({"username": "bench.enterprise", "password": enterprise_admin["initial_password"]});
    let first = c.ok(M::POST, "/api/v1/auth/login", None, first, 200).await;
    let changed = c
        .ok(
            M::POST,
            "/api/v1/me/password",
            first["access_token"].as_str(),
            json!({"current_password": enterprise_admin["initial_password"], "new_password": "Bench-enterprise-2026"}),
            200,
        )
        .await;
    let ent_token = changed["access_token"].as_str().unwrap().to_owned();
    let mut photo = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(640, 480, image::Rgb([120, 130, 140]))
        .write_to(&mut photo, image::ImageFormat::Png)
        .unwrap();
    let photo = photo.into_inner();
    let mut uploads = Vec::new();
    for _ in 0..3 {
        let form = reqwest::multipart::Form::new()
            .part("template", reqwest::multipart::Part::bytes(sheet.clone().into_bytes()).file_name("sheet.csv"))
            .part(
                "evidence",
                reqwest::multipart::Part::bytes(photo.clone()).file_name("photo.png").mime_str("image/png").unwrap(),
            );
        let t = Instant::now();
        let res = c
            .http
            .post(format!("{}/api/v1/organizations/{ent_id}/training-records", c.base))
            .bearer_auth(&ent_token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{}", body.to_string().chars().take(500).collect::<String>());
        assert_eq!(body["attendees"].as_u64(), Some(SHEET_ROWS as u64));
        uploads.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let listed: Vec<String> = uploads.iter().map(|ms| format!("{ms:.0}")).collect();
    println!("uploadTrainingRecord ({SHEET_ROWS} rows and a photo): [{}] ms", listed.join(", "));
    println!("backend: {backend:?}");
}
