//! Active liveness through the API: a random challenge, real frames judged, the verdict
//! required by the exam start where the plan asks for it; replayed, reordered and mixed
//! frames refused; enrollment holding the photo to the frames of a passed challenge; the
//! random in-exam checks answered by a challenge, a failed one flagged for the proctor. The
//! shared photos hold one genuine two-step sequence (Zuckerberg turning right, then looking
//! down), so the suite's server asks for two steps and the test draws challenges until it
//! gets that one.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::exams::{photo, site, small_blueprint, upload, verification, window};
use crate::face::upload as send_photo;
use crate::helpers::TestApp;

fn b64(name: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(photo(name))
}

/// An exam-start challenge of exactly these movements.
async fn challenge(app: &TestApp, token: &str, want: [&str; 2]) -> String {
    challenge_for(app, token, "exam_start", want).await
}

/// A challenge of exactly these movements (drawn again until it comes up: 8 are possible).
async fn challenge_for(app: &TestApp, token: &str, purpose: &str, want: [&str; 2]) -> String {
    for _ in 0..200 {
        let c = app.post("/api/v1/me/liveness-challenges", token, json!({"purpose": purpose})).await.expect(201);
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

const LIVE: [&str; 2] = ["turn_right", "look_down"];
const LIVE_FRAMES: [(usize, &str); 2] = [(0, "df_img13.jpg"), (1, "df_img14.jpg")];

/// The stored frames of a challenge, still there or dropped.
fn frames_kept(app: &TestApp, challenge: &str) -> bool {
    use diesel::prelude::*;
    use models::schema::liveness_challenges as l;
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let frames: Option<Vec<u8>> = l::table.find(challenge).select(l::frames_enc).get_result(&mut conn).unwrap();
    frames.is_some()
}

#[actix_web::test]
async fn enrollment_takes_a_photo_of_the_person_who_passed_a_challenge() {
    let app = TestApp::spawn_with(|s| s.liveness_at_enrollment = true).await;
    let s = site(&app).await;
    let (worker, token, _, _) = app.worker(&s.ent_admin, &s.ent, "马克").await;
    let enroll = |liveness: &str| format!("/api/v1/me/face?liveness_id={liveness}");
    send_photo(&app, "/api/v1/me/face", &token, photo("df_img15.jpg")).await.expect_error(403, "liveness_required");
    // Not before: an exam-start challenge needs an enrolled face.
    app.post("/api/v1/me/liveness-challenges", &token, json!({"purpose": "exam_start"}))
        .await
        .expect_error(409, "face_not_enrolled");

    // A failed challenge (one photo held up for both steps) opens nothing.
    let failed = challenge_for(&app, &token, "enroll", LIVE).await;
    let r = submit(&app, &token, &failed, &[(0, "df_img13.jpg"), (1, "df_img13.jpg")]).await.expect(200);
    assert_eq!((r["passed"].as_bool(), r["liveness_id"].is_null()), (Some(false), true), "{r}");
    assert!(!frames_kept(&app, &failed));
    send_photo(&app, &enroll(&failed), &token, photo("df_img15.jpg")).await.expect_error(403, "liveness_required");

    // A passed one keeps its frames (encrypted) for the photo to be held to.
    let id = challenge_for(&app, &token, "enroll", LIVE).await;
    let passed = submit(&app, &token, &id, &LIVE_FRAMES).await.expect(200);
    assert_eq!((passed["passed"].as_bool(), codes(&passed).len()), (Some(true), 0), "{passed}");
    let liveness_id = passed["liveness_id"].as_str().unwrap().to_owned();
    assert!(frames_kept(&app, &liveness_id));
    // Someone else's photo is refused, and so is a photo the pipeline cannot use; the
    // challenge stays good for the right photo.
    send_photo(&app, &enroll(&liveness_id), &token, photo("df_img01.jpg")).await.expect_error(422, "liveness_mismatch");
    send_photo(&app, &enroll(&liveness_id), &token, Vec::new()).await.expect_error(422, "image_unsupported");
    send_photo(&app, &enroll("not-a-challenge"), &token, photo("df_img15.jpg"))
        .await
        .expect_error(403, "liveness_required");
    let enrolled = send_photo(&app, &enroll(&liveness_id), &token, photo("df_img15.jpg")).await.expect(201);
    assert_eq!(enrolled["enrolled"], true, "{enrolled}");
    assert!(!frames_kept(&app, &liveness_id), "the frames go once used");
    // Each refusal is in the audit trail with its score.
    let decisions: Vec<String> = {
        use diesel::prelude::*;
        use models::schema::face_events as e;
        let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
        e::table
            .filter(e::worker_id.eq(&worker))
            .filter(e::kind.eq("enroll"))
            .select(e::decision)
            .load(&mut conn)
            .unwrap()
    };
    for d in ["refused_no_liveness", "refused_liveness_mismatch", "rejected", "enrolled"] {
        assert!(decisions.iter().any(|x| x == d), "{d} missing from {decisions:?}");
    }

    // Used once: a re-enrollment (approved) needs a challenge of its own.
    send_photo(&app, &enroll(&liveness_id), &token, photo("df_img15.jpg"))
        .await
        .expect_error(409, "face_already_enrolled");
    app.post("/api/v1/me/liveness-challenges", &token, json!({"purpose": "enroll"}))
        .await
        .expect_error(409, "face_already_enrolled");
    app.send(reqwest::Method::POST, &format!("/api/v1/workers/{worker}/face/reenrollment"), Some(&s.ent_admin), None)
        .await
        .expect(204);
    send_photo(&app, &enroll(&liveness_id), &token, photo("df_img15.jpg")).await.expect_error(403, "liveness_required");
    // An exam-start challenge does not open an enrollment.
    let exam_start = challenge(&app, &token, LIVE).await;
    let r = submit(&app, &token, &exam_start, &LIVE_FRAMES).await.expect(200);
    assert_eq!(r["passed"], true, "{r}");
    send_photo(&app, &enroll(&exam_start), &token, photo("df_img15.jpg")).await.expect_error(403, "liveness_required");
    // A passed challenge left unused loses its frames once stale.
    let again = challenge_for(&app, &token, "enroll", LIVE).await;
    submit(&app, &token, &again, &LIVE_FRAMES).await.expect(200);
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    assert_eq!(
        models::liveness::drop_stale_frames(&mut conn, models::now() - chrono::Duration::minutes(10)).unwrap(),
        0
    );
    assert_eq!(
        models::liveness::drop_stale_frames(&mut conn, models::now() + chrono::Duration::seconds(1)).unwrap(),
        1
    );
    send_photo(&app, &enroll(&again), &token, photo("df_img15.jpg")).await.expect_error(403, "liveness_required");
}

/// Brings the attempt's next check due; the app is told on its next contact, with a
/// challenge. The check's id and its challenge's.
async fn tell(app: &TestApp, conn: &mut models::DbConn, attempt: &models::AttemptId, token: &str) -> (String, String) {
    models::face_check::set_next_due_for_tests(conn, attempt, models::now(), None).unwrap();
    let due = app.get(&format!("/api/v1/attempts/{attempt}"), token).await.expect(200)["face_check"].clone();
    let liveness = due["liveness"]["id"].as_str().expect("a challenge with the check").to_owned();
    assert_eq!(due["liveness"]["steps"].as_array().unwrap().len(), 2, "{due}");
    assert_eq!(due["liveness"]["expires_at"], due["answer_by"]);
    // The photos follow one sequence: ask for that one.
    models::liveness::set_steps_for_tests(conn, &liveness, &LIVE).unwrap();
    (due["id"].as_str().unwrap().to_owned(), liveness)
}

#[actix_web::test]
async fn in_exam_checks_are_answered_with_a_challenge_and_a_failed_one_is_flagged() {
    let app = &TestApp::spawn().await;
    let s = site(app).await;
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "马克").await;
    send_photo(app, "/api/v1/me/face", &token, photo("df_img15.jpg")).await.expect(201);
    let (ws, we) = window(-5, 120);
    let plan = app
        .post(
            "/api/v1/exam-plans",
            &s.ent_admin,
            json!({"organizer_id": s.ent, "kind": "enterprise_all_staff", "name": "全员考试", "window_start": ws,
                   "window_end": we, "bank_ids": [s.bank], "blueprint": small_blueprint(), "face_checks": 3,
                   "liveness_at_start": false}),
        )
        .await
        .expect(201);
    assert_eq!(plan["liveness_in_checks"], true, "the default: {plan}");
    let plan_id = plan["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/exam-plans/{plan_id}"), &s.ent_admin, json!({"regenerate_candidates": true}))
        .await
        .expect(200);
    let v = upload(app, "/api/v1/me/face/verify", &token, photo("df_img58.jpg")).await;
    let v = v["verification_id"].as_str().expect("verified").to_owned();
    let paper = app
        .post(&format!("/api/v1/exam-plans/{plan_id}/attempts"), &token, json!({"verification_id": v}))
        .await
        .expect(201);
    let attempt = paper["id"].as_str().unwrap().to_owned();
    let attempt_id = models::AttemptId::parse(&attempt).unwrap();
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    // 1. The candidate follows the movements: passed. A photo alone does not answer it.
    let (check, liveness) = tell(app, &mut conn, &attempt_id, &token).await;
    let photo_answer = format!("/api/v1/attempts/{attempt}/face-checks/{check}");
    send_photo(app, &photo_answer, &token, photo("df_img58.jpg")).await.expect_error(403, "liveness_required");
    let r = submit(app, &token, &liveness, &LIVE_FRAMES).await.expect(200);
    assert_eq!((r["passed"].as_bool(), r["face_check_outcome"].as_str()), (Some(true), Some("passed")), "{r}");
    assert!(r["liveness_id"].is_null(), "a check's challenge opens nothing else: {r}");
    submit(app, &token, &liveness, &LIVE_FRAMES).await.expect_error(409, "liveness_closed");

    // 2. A photo held up to the camera for both movements: flagged, the exam goes on.
    let (check2, liveness) = tell(app, &mut conn, &attempt_id, &token).await;
    let r = submit(app, &token, &liveness, &[(0, "df_img13.jpg"), (1, "df_img13.jpg")]).await.expect(200);
    assert_eq!(
        (r["passed"].as_bool(), r["face_check_outcome"].as_str()),
        (Some(false), Some("liveness_failed")),
        "{r}"
    );

    // 3. Someone else follows the movements on the candidate's phone.
    let (check3, liveness) = tell(app, &mut conn, &attempt_id, &token).await;
    let (_, other, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    submit(app, &other, &liveness, &LIVE_FRAMES).await.expect_error(404, "not_found");
    let r = submit(app, &token, &liveness, &[(0, "df_img01.jpg"), (1, "df_img02.jpg")]).await.expect(200);
    assert_eq!(r["face_check_outcome"], "mismatch", "{r}");

    let oversight = app.get(&format!("/api/v1/attempts/{attempt}/flags"), &s.ent_admin).await.expect(200);
    let outcomes: Vec<&str> =
        oversight["face_checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["passed", "liveness_failed", "mismatch"], "{oversight}");
    let flags = oversight["flags"].as_array().unwrap();
    let kinds: Vec<&str> = flags.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["liveness_failed", "face_mismatch"], "{oversight}");
    assert_eq!(flags[0]["evidence"]["check_id"].as_str(), Some(check2.as_str()));
    assert!(flags[0]["evidence"]["score"].as_f64().unwrap() >= flags[0]["evidence"]["threshold"].as_f64().unwrap());
    let problems = flags[0]["evidence"]["liveness_problems"].as_array().unwrap();
    assert!(!problems.is_empty(), "{oversight}");
    assert_eq!(flags[1]["evidence"]["check_id"].as_str(), Some(check3.as_str()));
    assert_ne!(check, check2);
    app.post(&format!("/api/v1/attempts/{attempt}/submit"), &token, json!({})).await.expect(200);
}
