//! 刷脸 through the API: enrollment, verification with one-time ids, re-enrollment by
//! approval, withdrawal, quality errors from real photos, throttling and back-pressure.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{phone, resident_id, TestApp, WORKER_PASSWORD};

fn photo(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/face-data/images").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn jpeg(img: &image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

pub async fn upload(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> crate::helpers::Res {
    TestApp::finish(
        app.client
            .post(app.url(path))
            .bearer_auth(token)
            .header("content-type", "image/jpeg")
            .header("x-device-info", "HUAWEI Mate 60; HarmonyOS 4")
            .body(bytes),
    )
    .await
}

struct Site {
    ent: String,
    admin: String,
}

async fn site(app: &TestApp) -> Site {
    let t = app.admin_token.clone();
    let county = app.lanshan().await;
    let ent = app.enterprise(&t, &county, "临沂鲁兴化工有限公司").await;
    let admin = app.staff(&t, &ent, "enterprise_admin").await;
    Site { ent, admin }
}

#[actix_web::test]
async fn enroll_then_verify_a_genuine_face_and_refuse_an_impostor() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (worker, token, _, _) = app.worker(&app.admin_token, &s.ent, "张三").await;
    let before = app.get("/api/v1/me/face", &token).await.expect(200);
    assert_eq!(before["enrolled"], false);
    // An empty body is no photo.
    upload(&app, "/api/v1/me/face", &token, Vec::new()).await.expect_error(422, "image_unsupported");
    upload(&app, "/api/v1/me/face/verify", &token, photo("df_img02.jpg")).await.expect_error(409, "face_not_enrolled");
    let enrolled = upload(&app, "/api/v1/me/face", &token, photo("df_img01.jpg")).await.expect(201);
    assert_eq!(enrolled["enrolled"], true);
    assert_eq!(enrolled["model_id"], face::MODEL_ID);
    let record = app.get(&format!("/api/v1/workers/{worker}"), &s.admin).await.expect(200);
    assert_eq!(record["face_enrolled"], true);

    let genuine = upload(&app, "/api/v1/me/face/verify", &token, photo("df_img02.jpg")).await.expect(200);
    assert_eq!(genuine["matched"], true, "{genuine}");
    let threshold = f64::from(api::settings::DEFAULT_FACE_THRESHOLD);
    assert!(genuine["score"].as_f64().unwrap() >= threshold);
    assert!((genuine["threshold"].as_f64().unwrap() - threshold).abs() < 1e-6);
    let id = genuine["verification_id"].as_str().unwrap();
    assert!(genuine["expires_at"].is_string());
    let impostor = upload(&app, "/api/v1/me/face/verify", &token, photo("vf_impostor_1.jpg")).await.expect(200);
    assert_eq!(impostor["matched"], false, "{impostor}");
    assert!(impostor["score"].as_f64().unwrap() < threshold);
    assert_eq!(impostor["verification_id"], serde_json::Value::Null);

    // The one-time id is good once, for this worker only.
    let pool =
        models::db::pool(&models::DbUrl::parse(&app.database_url), 1, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = models::db::get(&pool).unwrap();
    let worker_id = models::WorkerId::parse(&worker).unwrap();
    assert!(!models::face::consume_verification(&mut conn, &models::WorkerId::new(), id).unwrap());
    assert!(models::face::consume_verification(&mut conn, &worker_id, id).unwrap());
    assert!(!models::face::consume_verification(&mut conn, &worker_id, id).unwrap());
    // The audit trail: who, when, score, decision, device; no image, no template.
    let events = models::face::events(&mut conn, &worker_id).unwrap();
    let decisions: Vec<&str> = events.iter().map(|e| e.decision.as_str()).collect();
    assert_eq!(decisions, ["rejected", "enrolled", "match", "no_match"]);
    assert!(events[2].score.is_some() && events[2].device.as_deref() == Some("HUAWEI Mate 60; HarmonyOS 4"));
}

#[actix_web::test]
async fn re_enrollment_needs_the_enterprises_approval() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (worker, token, _, _) = app.worker(&app.admin_token, &s.ent, "张三").await;
    upload(&app, "/api/v1/me/face", &token, photo("df_img01.jpg")).await.expect(201);
    upload(&app, "/api/v1/me/face", &token, photo("df_img02.jpg")).await.expect_error(409, "face_already_enrolled");
    let approve = format!("/api/v1/workers/{worker}/face/reenrollment");
    let proctor = app.staff(&app.admin_token, &s.ent, "proctor").await;
    app.post(&approve, &proctor, json!({})).await.expect_error(403, "forbidden");
    app.send(Method::POST, &approve, Some(&token), None).await.expect_error(403, "forbidden");
    app.send(Method::POST, &approve, Some(&s.admin), None).await.expect(204);
    assert_eq!(app.get("/api/v1/me/face", &token).await.expect(200)["reenrollment_approved"], true);
    upload(&app, "/api/v1/me/face", &token, photo("df_img02.jpg")).await.expect(201);
    upload(&app, "/api/v1/me/face", &token, photo("df_img04.jpg")).await.expect_error(409, "face_already_enrolled");
}

#[actix_web::test]
async fn quality_problems_and_bad_files_get_their_own_codes_and_the_server_keeps_answering() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, token, _, _) = app.worker(&app.admin_token, &s.ent, "张三").await;
    let img = image::load_from_memory(&photo("df_img01.jpg")).unwrap().into_rgb8();
    let blurred = image::imageops::blur(&img, 15.0);
    let mut dark = img.clone();
    dark.pixels_mut().for_each(|p| p.0 = p.0.map(|c| c / 4));
    let mut pair = image::RgbImage::new(img.width() * 2, img.height());
    image::imageops::overlay(&mut pair, &img, 0, 0);
    image::imageops::overlay(&mut pair, &image::imageops::flip_horizontal(&img), i64::from(img.width()), 0);
    let bomb = {
        let mut png = std::io::Cursor::new(Vec::new());
        image::GrayImage::new(7000, 7000).write_to(&mut png, image::ImageFormat::Png).unwrap();
        png.into_inner()
    };
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (jpeg(&blurred), 422, "face_blurred"),
        (jpeg(&dark), 422, "face_too_dark"),
        (jpeg(&pair), 422, "multiple_faces"),
        (
            photo("df_img01.jpg")[..3000]
                .iter()
                .copied()
                .chain((0..30_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8))
                .collect(),
            422,
            "image_corrupt",
        ),
        (b"GIF89a".to_vec(), 422, "image_unsupported"),
        (bomb, 422, "image_too_large"),
        (vec![0xFF; 9 * 1024 * 1024], 413, "payload_too_large"),
    ];
    for (bytes, status, code) in cases {
        let err = upload(&app, "/api/v1/me/face", &token, bytes).await.expect_error(status, code);
        assert!(!err["message"].as_str().unwrap().is_empty());
    }
    // Still answering, and the genuine photo enrolls.
    app.client.get(app.url("/healthz")).send().await.unwrap().error_for_status().unwrap();
    upload(&app, "/api/v1/me/face", &token, photo("df_img01.jpg")).await.expect(201);
}

#[actix_web::test]
async fn consent_rules_and_withdrawal() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    // Staff have no face here.
    upload(&app, "/api/v1/me/face", &s.admin, photo("df_img01.jpg")).await.expect_error(403, "not_a_worker");
    // A worker who refused face processing cannot enroll.
    let code = app.code(&app.admin_token, &s.ent).await;
    let refused = app
        .send(
            Method::POST,
            "/api/v1/workers/register",
            None,
            Some(json!({
            "code": code, "name": "李四", "resident_id": resident_id(), "phone": phone(), "password": WORKER_PASSWORD,
            "face_consent": {"version": "2026-01", "accepted": false}})),
        )
        .await
        .expect(201);
    let refused_token = refused["tokens"]["access_token"].as_str().unwrap();
    upload(&app, "/api/v1/me/face", refused_token, photo("df_img01.jpg"))
        .await
        .expect_error(403, "face_consent_missing");
    // Withdrawal erases the template and the consent.
    let (worker, token, _, _) = app.worker(&app.admin_token, &s.ent, "张三").await;
    upload(&app, "/api/v1/me/face", &token, photo("df_img01.jpg")).await.expect(201);
    app.send(Method::DELETE, "/api/v1/me/face", Some(&token), None).await.expect(204);
    let status = app.get("/api/v1/me/face", &token).await.expect(200);
    assert_eq!(status["enrolled"], false);
    assert_eq!(status["consent_version"], serde_json::Value::Null);
    assert_eq!(status["needs_alternative_identity_check"], true);
    upload(&app, "/api/v1/me/face/verify", &token, photo("df_img02.jpg"))
        .await
        .expect_error(403, "face_consent_missing");
    let record = app.get(&format!("/api/v1/workers/{worker}"), &s.admin).await.expect(200);
    assert_eq!(record["face_enrolled"], false);
    assert_eq!(record["needs_alternative_identity_check"], true);
}

#[actix_web::test]
async fn failed_verifications_are_throttled_per_worker() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, token, _, _) = app.worker(&app.admin_token, &s.ent, "张三").await;
    upload(&app, "/api/v1/me/face", &token, photo("df_img01.jpg")).await.expect(201);
    let impostor = photo("vf_impostor_1.jpg");
    for _ in 0..10 {
        assert_eq!(
            upload(&app, "/api/v1/me/face/verify", &token, impostor.clone()).await.expect(200)["matched"],
            false
        );
    }
    let blocked = upload(&app, "/api/v1/me/face/verify", &token, photo("df_img02.jpg")).await;
    assert!(blocked.headers.contains_key("retry-after"));
    blocked.expect_error(429, "too_many_attempts");
}

#[actix_web::test]
async fn beyond_the_queue_the_answer_is_503_with_retry_after_not_a_wait() {
    let app = TestApp::spawn_with(|s| {
        s.face_threads = 1;
        s.face_queue = 0;
    })
    .await;
    let s = site(&app).await;
    let (_, token, _, _) = app.worker(&app.admin_token, &s.ent, "张三").await;
    upload(&app, "/api/v1/me/face", &token, photo("df_img01.jpg")).await.expect(201);
    let big = photo("df_img26.jpg");
    let attempts = (0..6).map(|_| upload(&app, "/api/v1/me/face/verify", &token, big.clone()));
    let results = futures_util::future::join_all(attempts).await;
    let busy: Vec<_> = results.iter().filter(|r| r.status == 503).collect();
    assert!(!busy.is_empty(), "{results:?}");
    assert!(busy.iter().all(|r| r.headers.contains_key("retry-after") && r.body["code"] == "service_unavailable"));
    assert!(results.iter().all(|r| r.status == 200 || r.status == 503), "{results:?}");
}
