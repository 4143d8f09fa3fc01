//! Active liveness through the API: a random challenge, real frames judged, the verdict
//! required by the exam start where the plan asks for it; replayed, reordered and mixed
//! frames refused. The shared photos hold one genuine two-step sequence (Zuckerberg turning
//! right, then looking down), so the suite's server asks for two steps and the test draws
//! challenges until it gets that one.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::exams::{photo, site, small_blueprint, upload, verification};
use crate::helpers::TestApp;

fn b64(name: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(photo(name))
}

/// A challenge of exactly these movements (drawn again until it comes up: 8 are possible).
async fn challenge(app: &TestApp, token: &str, want: [&str; 2]) -> String {
    for _ in 0..200 {
        let c = app.post("/api/v1/me/liveness-challenges", token, json!({"purpose": "exam_start"})).await.expect(201);
        let steps: Vec<&str> = c["steps"].as_array().unwrap().iter().map(|s| s["movement"].as_str().unwrap()).collect();
        assert_eq!(steps.len(), 2);
        assert!(c["steps"][0]["instruction"].as_str().is_some_and(|i| !i.is_empty()));
        if steps == want {
            return c["id"].as_str().unwrap().to_owned();
        }
    }
    panic!("never drew {want:?}");
}

async fn submit(app: &TestApp, token: &str, id: &str, frames: &[(usize, &str)]) -> crate::helpers::Res {
    let frames: Vec<Value> = frames.iter().map(|(step, name)| json!({"step": step, "image": b64(name)})).collect();
    app.send(
        reqwest::Method::POST,
        &format!("/api/v1/me/liveness-challenges/{id}/frames"),
        Some(token),
        Some(json!({"frames": frames})),
    )
    .await
}

fn codes(r: &Value) -> Vec<String> {
    r["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn a_live_sequence_passes_once_and_opens_the_exam_start() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "马克").await;
    let enrolled = upload(&app, "/api/v1/me/face", &token, photo("df_img15.jpg")).await;
    assert_eq!(enrolled["enrolled"], true, "{enrolled}");

    let id = challenge(&app, &token, ["turn_right", "look_down"]).await;
    let passed = submit(&app, &token, &id, &[(0, "df_img13.jpg"), (1, "df_img14.jpg")]).await.expect(200);
    assert_eq!((passed["passed"].as_bool(), codes(&passed).len()), (Some(true), 0), "{passed}");
    let liveness_id = passed["liveness_id"].as_str().unwrap().to_owned();
    // One submission per challenge.
    submit(&app, &token, &id, &[(0, "df_img13.jpg"), (1, "df_img14.jpg")]).await.expect_error(409, "liveness_closed");

    // The plan asks for liveness at the start (the default).
    let (ws, we) = (chrono::Utc::now() - chrono::Duration::minutes(5), chrono::Utc::now() + chrono::Duration::hours(2));
    let plan = app
        .post(
            "/api/v1/exam-plans",
            &s.ent_admin,
            json!({"organizer_id": s.ent, "kind": "enterprise_all_staff", "name": "全员考试", "window_start": ws,
                   "window_end": we, "bank_ids": [s.bank], "blueprint": small_blueprint()}),
        )
        .await
        .expect(201);
    assert_eq!(plan["liveness_at_start"], true);
    app.patch(
        &format!("/api/v1/exam-plans/{}", plan["id"].as_str().unwrap()),
        &s.ent_admin,
        json!({"regenerate_candidates": true}),
    )
    .await
    .expect(200);
    let start = format!("/api/v1/exam-plans/{}/attempts", plan["id"].as_str().unwrap());
    let v = upload(&app, "/api/v1/me/face/verify", &token, photo("df_img58.jpg")).await;
    assert_eq!(v["matched"], true, "{v}");
    let v = v["verification_id"].as_str().unwrap();
    app.post(&start, &token, json!({"verification_id": v})).await.expect_error(403, "liveness_required");
    app.post(&start, &token, json!({"verification_id": v, "liveness_id": uuid::Uuid::now_v7().to_string()}))
        .await
        .expect_error(403, "liveness_required");
    app.post(&start, &token, json!({"verification_id": v, "liveness_id": liveness_id})).await.expect(201);
}

#[actix_web::test]
async fn replayed_reordered_and_mixed_frames_fail() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "马克").await;
    upload(&app, "/api/v1/me/face", &token, photo("df_img15.jpg")).await;
    let want = ["turn_right", "look_down"];

    // One photo held up for every step.
    let id = challenge(&app, &token, want).await;
    let r = submit(&app, &token, &id, &[(0, "df_img13.jpg"), (1, "df_img13.jpg")]).await.expect(200);
    assert_eq!((r["passed"].as_bool(), r["liveness_id"].is_null()), (Some(false), true), "{r}");
    assert!(codes(&r).iter().any(|c| c == "duplicate" || c == "movement_not_seen"), "{r}");
    // The right frames, sent in the wrong order.
    let id = challenge(&app, &token, want).await;
    let r = submit(&app, &token, &id, &[(1, "df_img14.jpg"), (0, "df_img13.jpg")]).await.expect(200);
    assert_eq!(r["passed"], false, "{r}");
    assert!(codes(&r).contains(&"wrong_order".to_owned()), "{r}");
    // The right frames under the wrong steps.
    let id = challenge(&app, &token, want).await;
    let r = submit(&app, &token, &id, &[(0, "df_img14.jpg"), (1, "df_img13.jpg")]).await.expect(200);
    assert_eq!(r["passed"], false, "{r}");
    // Two people: the turn is his, the nod someone else's.
    let id = challenge(&app, &token, want).await;
    let r = submit(&app, &token, &id, &[(0, "df_img13.jpg"), (1, "df_img09.jpg")]).await.expect(200);
    assert_eq!(r["passed"], false, "{r}");
    assert!(codes(&r).contains(&"different_people".to_owned()), "{r}");

    // A live sequence of someone other than the enrolled worker.
    let (_, other, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    verification(&app, &other).await; // enrolls df_img01
    let id = challenge(&app, &other, want).await;
    let r = submit(&app, &other, &id, &[(0, "df_img13.jpg"), (1, "df_img14.jpg")]).await.expect(200);
    assert_eq!(r["passed"], false, "{r}");
    assert!(codes(&r).contains(&"not_the_enrolled_face".to_owned()), "{r}");
    // Someone else's challenge does not exist; a frame that is no picture names itself.
    let mine = challenge(&app, &token, want).await;
    submit(&app, &other, &mine, &[(0, "df_img13.jpg")]).await.expect_error(404, "not_found");
    let bad = app
        .post(
            &format!("/api/v1/me/liveness-challenges/{mine}/frames"),
            &token,
            json!({"frames": [{"step": 0, "image": "not base64!"}]}),
        )
        .await
        .expect_error(422, "image_corrupt");
    assert_eq!(bad["field"], "frames[0].image");
    app.post(&format!("/api/v1/me/liveness-challenges/{mine}/frames"), &token, json!({"frames": []}))
        .await
        .expect_error(422, "validation_failed");
    // Only workers with a face take challenges.
    app.post("/api/v1/me/liveness-challenges", &s.ent_admin, json!({"purpose": "exam_start"}))
        .await
        .expect_error(403, "not_a_worker");
}
