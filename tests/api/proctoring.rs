//! Exam sites and proctors: sessions with seats, proctors and candidates; the proctor's
//! live list (polled and pushed); identity checked by ID card; cheating voided everywhere a
//! score shows; bounded extra time; flags; moves. Every action recorded with who and why.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::exams::{key_of, open_plan, photo, site, start, verification, Site};
use crate::helpers::{phone, resident_id, TestApp, WORKER_PASSWORD};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A session of `plan` starting now with `capacity` seats.
async fn session(app: &TestApp, token: &str, plan: &Value, capacity: i64) -> Value {
    let starts = chrono::Utc::now().to_rfc3339();
    app.post(
        &format!("/api/v1/exam-plans/{}/sessions", id(plan)),
        token,
        json!({"site_name": "兰山区应急管理局考试中心", "address": "临沂市兰山区北城新区1号",
               "starts_at": starts, "capacity": capacity}),
    )
    .await
    .expect(201)
}

/// A proctor account of the enterprise: (token, account id).
async fn proctor(app: &TestApp, s: &Site) -> (String, String) {
    let token = app.staff(&s.ent_admin, &s.ent, "proctor").await;
    let me = app.get("/api/v1/me", &token).await.expect(200);
    (token, id(&me))
}

/// Everyone on the plan's list: regenerate it after registering the workers.
async fn regenerate(app: &TestApp, s: &Site, plan: &Value) {
    app.patch(&format!("/api/v1/exam-plans/{}", id(plan)), &s.ent_admin, json!({"regenerate_candidates": true}))
        .await
        .expect(200);
}

/// Makes `account` the session's proctor.
async fn set_proctor(app: &TestApp, token: &str, session: &str, account: &str) {
    let path = format!("/api/v1/exam-sessions/{session}/proctors");
    app.put(&path, token, json!({"account_ids": [account]})).await.expect(200);
}

async fn seat(app: &TestApp, token: &str, session: &str, workers: &[&str]) -> crate::helpers::Res {
    app.send(
        Method::POST,
        &format!("/api/v1/exam-sessions/{session}/candidates"),
        Some(token),
        Some(json!({"worker_ids": workers})),
    )
    .await
}

fn entry<'a>(list: &'a Value, worker: &str) -> &'a Value {
    list["items"].as_array().unwrap().iter().find(|c| c["worker_id"] == worker).unwrap()
}

async fn roster(app: &TestApp, token: &str, session: &str) -> Value {
    app.get(&format!("/api/v1/exam-sessions/{session}/candidates"), token).await.expect(200)
}

#[actix_web::test]
async fn sessions_hold_their_seats_proctors_and_candidates() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (w1, _, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let (w2, _, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    let (w3, _, _, _) = app.worker(&s.ent_admin, &s.ent, "王五").await;
    let plan = open_plan(&app, &s).await;
    regenerate(&app, &s, &plan).await;
    let (proctor_token, proctor_id) = proctor(&app, &s).await;

    let room = session(&app, &s.ent_admin, &plan, 2).await;
    let other = session(&app, &s.ent_admin, &plan, 5).await;
    assert_eq!((room["capacity"].as_i64(), room["assigned"].as_i64()), (Some(2), Some(0)));
    let ends = chrono::DateTime::parse_from_rfc3339(room["ends_at"].as_str().unwrap()).unwrap();
    let starts = chrono::DateTime::parse_from_rfc3339(room["starts_at"].as_str().unwrap()).unwrap();
    assert!(ends > starts, "a session ends after it starts: {room}");
    // Out of the window, no seats, no name: refused with the field.
    let path = format!("/api/v1/exam-plans/{}/sessions", id(&plan));
    let late = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    for (body, field) in [
        (json!({"site_name": "考点", "starts_at": late, "capacity": 5}), "sessions.starts_at"),
        (
            json!({"site_name": "考点", "starts_at": chrono::Utc::now().to_rfc3339(), "capacity": 0}),
            "sessions.capacity",
        ),
        (json!({"site_name": " ", "starts_at": chrono::Utc::now().to_rfc3339(), "capacity": 5}), "sessions.site_name"),
    ] {
        let e = app.post(&path, &s.ent_admin, body).await.expect_error(422, "validation_failed");
        assert_eq!(e["field"], field);
    }

    // Proctors: only active proctor accounts of the organizer or below.
    let proctors = format!("/api/v1/exam-sessions/{}/proctors", id(&room));
    let with = app.put(&proctors, &s.ent_admin, json!({"account_ids": [proctor_id]})).await.expect(200);
    assert_eq!(with["proctors"][0]["account_id"], proctor_id.as_str());
    let admin_me = app.get("/api/v1/me", &s.ent_admin).await.expect(200);
    for bad in [id(&admin_me), uuid::Uuid::now_v7().to_string(), "nonsense".to_owned()] {
        app.put(&proctors, &s.ent_admin, json!({"account_ids": [bad]})).await.expect_error(422, "validation_failed");
    }
    // The proctor sees its sessions, but may not set them up.
    let mine = app.get("/api/v1/me/proctor-sessions", &proctor_token).await.expect(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["id"], room["id"]);
    app.put(&proctors, &proctor_token, json!({"account_ids": []})).await.expect_error(403, "forbidden");
    seat(&app, &proctor_token, &id(&room), &[&w1]).await.expect_error(403, "forbidden");
    // A proctor of another session sees nothing of this one's list.
    app.get(&format!("/api/v1/exam-sessions/{}/candidates", id(&other)), &proctor_token)
        .await
        .expect_error(403, "forbidden");

    // Seats: all or nothing, within capacity.
    let seated = seat(&app, &s.ent_admin, &id(&room), &[&w1, &w2]).await.expect(200);
    assert_eq!((seated["assigned"].as_i64(), seated["session"]["assigned"].as_i64()), (Some(2), Some(2)));
    seat(&app, &s.ent_admin, &id(&room), &[&w3]).await.expect_error(409, "session_full");
    let stranger = uuid::Uuid::now_v7().to_string();
    let e = seat(&app, &s.ent_admin, &id(&other), &[&w3, &stranger]).await.expect_error(422, "validation_failed");
    assert_eq!(e["errors"].as_array().unwrap().len(), 1, "{e}");
    assert_eq!(app.get(&path, &s.ent_admin).await.expect(200)["items"][1]["assigned"], 0, "nothing seated");
    let filled = app
        .post(
            &format!("/api/v1/exam-sessions/{}/candidates", id(&other)),
            &s.ent_admin,
            json!({"fill_with_unassigned": true}),
        )
        .await
        .expect(200);
    assert_eq!(filled["assigned"], 1, "only 王五 was in no session");
    // Seats cannot shrink below the candidates seated.
    let body = json!({"site_name": "兰山区应急管理局考试中心", "starts_at": room["starts_at"], "capacity": 1});
    app.put(&format!("/api/v1/exam-sessions/{}", id(&room)), &s.ent_admin, body)
        .await
        .expect_error(409, "session_full");
    // The plan's session list can no longer be replaced wholesale.
    let patch = json!({"sessions": [{"site_name": "新考点", "starts_at": room["starts_at"], "capacity": 9}]});
    app.patch(&format!("/api/v1/exam-plans/{}", id(&plan)), &s.ent_admin, patch)
        .await
        .expect_error(409, "sessions_in_use");
    let listed = app.get(&format!("/api/v1/exam-plans/{}", id(&plan)), &s.ent_admin).await.expect(200);
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2, "{listed}");

    // The proctor's list: everyone seated, not arrived yet.
    let list = roster(&app, &proctor_token, &id(&room)).await;
    let states: Vec<&str> = list["items"].as_array().unwrap().iter().map(|c| c["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["not_arrived", "not_arrived"]);
    assert_eq!(entry(&list, &w1)["state_label"], "未到场");
}

#[actix_web::test]
async fn the_proctor_follows_each_candidate_and_checks_id_cards_for_those_without_face() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (w1, t1, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    // 李四 registers without consenting to face processing.
    let code = app.code(&s.ent_admin, &s.ent).await;
    let no_face = app
        .send(
            Method::POST,
            "/api/v1/workers/register",
            None,
            Some(json!({"code": code, "name": "李四", "resident_id": resident_id(), "phone": phone(),
                        "password": WORKER_PASSWORD, "position": "仓管员",
                        "face_consent": {"version": "2026-01", "accepted": false}})),
        )
        .await
        .expect(201);
    let (w2, t2) = (id(&no_face["worker"]), no_face["tokens"]["access_token"].as_str().unwrap().to_owned());
    let plan = open_plan(&app, &s).await;
    regenerate(&app, &s, &plan).await;
    let (proctor_token, proctor_id) = proctor(&app, &s).await;
    let room = session(&app, &s.ent_admin, &plan, 10).await;
    let room_id = id(&room);
    set_proctor(&app, &s.ent_admin, &room_id, &proctor_id).await;
    seat(&app, &s.ent_admin, &room_id, &[&w1, &w2]).await.expect(200);

    // 张三: face check, start, submit.
    let start_path = format!("/api/v1/exam-plans/{}/attempts", id(&plan));
    let v = verification(&app, &t1).await;
    assert_eq!(entry(&roster(&app, &proctor_token, &room_id).await, &w1)["state"], "identity_checked");
    let paper = app.post(&start_path, &t1, json!({"verification_id": v})).await.expect(201);
    let list = roster(&app, &proctor_token, &room_id).await;
    assert_eq!(
        (entry(&list, &w1)["state"].as_str(), entry(&list, &w1)["identity"].as_str()),
        (Some("started"), Some("face"))
    );
    app.post(&format!("/api/v1/attempts/{}/submit", id(&paper)), &t1, json!({})).await.expect(200);
    let list = roster(&app, &proctor_token, &room_id).await;
    assert_eq!(entry(&list, &w1)["state"], "submitted");
    assert!(entry(&list, &w1)["score"].is_i64());

    // 李四 cannot start without a check; the proctor checks the ID card, with a reason.
    app.post(&start_path, &t2, json!({})).await.expect_error(403, "face_verification_required");
    let confirm = format!("/api/v1/exam-sessions/{room_id}/candidates/{w2}/identity");
    app.post(&confirm, &proctor_token, json!({"reason": "  "})).await.expect_error(422, "validation_failed");
    let checked = app
        .post(&confirm, &proctor_token, json!({"reason": "未同意人脸识别，核验居民身份证原件，人证一致"}))
        .await
        .expect(200);
    assert_eq!((checked["state"].as_str(), checked["identity"].as_str()), (Some("identity_checked"), Some("manual")));
    // The check is good for one start.
    let paper2 = app.post(&start_path, &t2, json!({})).await.expect(201);
    let list = roster(&app, &proctor_token, &room_id).await;
    assert_eq!(
        (entry(&list, &w2)["state"].as_str(), entry(&list, &w2)["identity"].as_str()),
        (Some("started"), Some("manual"))
    );
    app.post(&confirm, &proctor_token, json!({"reason": "再次核验"})).await.expect_error(409, "already_started");
    // Who did it, when and why is on record.
    let oversight = app.get(&format!("/api/v1/attempts/{}/flags", id(&paper2)), &proctor_token).await.expect(200);
    assert!(oversight["face_checks"].as_array().unwrap().is_empty(), "no face, no face checks");
    let action = &oversight["actions"][0];
    assert_eq!(
        (action["action"].as_str(), action["actor_account_id"].as_str()),
        (Some("identity_confirmed"), Some(proctor_id.as_str()))
    );
    assert_eq!(action["reason"], "未同意人脸识别，核验居民身份证原件，人证一致");
    // Someone not seated here is not in this session for the proctor.
    let (w3, _, _, _) = app.worker(&s.ent_admin, &s.ent, "王五").await;
    app.post(
        &format!("/api/v1/exam-sessions/{room_id}/candidates/{w3}/identity"),
        &proctor_token,
        json!({"reason": "核验"}),
    )
    .await
    .expect_error(404, "not_found");
}

#[actix_web::test]
async fn cheating_voids_the_attempt_and_shows_wherever_a_score_would() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (w1, t1, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let (w2, t2, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    let plan = open_plan(&app, &s).await;
    regenerate(&app, &s, &plan).await;
    let (proctor_token, proctor_id) = proctor(&app, &s).await;
    let room = id(&session(&app, &s.ent_admin, &plan, 10).await);
    set_proctor(&app, &s.ent_admin, &room, &proctor_id).await;
    seat(&app, &s.ent_admin, &room, &[&w1, &w2]).await.expect(200);

    // 张三 is caught mid-exam.
    let paper = start(&app, &t1, &id(&plan)).await;
    let attempt = id(&paper);
    let q = &paper["questions"][0];
    let answer_path = format!("/api/v1/attempts/{attempt}/answers/{}", q["position"]);
    let save =
        |seq: i64| app.send(Method::PUT, &answer_path, Some(&t1), Some(json!({"answer": key_of(q), "seq": seq})));
    save(1).await.expect(200);
    let cheat = format!("/api/v1/attempts/{attempt}/cheating");
    app.post(&cheat, &proctor_token, json!({"reason": ""})).await.expect_error(422, "validation_failed");
    let action =
        app.post(&cheat, &proctor_token, json!({"reason": "考试中由他人代答，经核对身份证确认"})).await.expect(200);
    assert_eq!(
        (action["action"].as_str(), action["details"]["was_finished"].as_bool()),
        (Some("cheating"), Some(false))
    );
    app.post(&cheat, &proctor_token, json!({"reason": "重复"})).await.expect_error(409, "attempt_voided");
    save(2).await.expect_error(409, "attempt_closed");
    app.post(&format!("/api/v1/attempts/{attempt}/submit"), &t1, json!({})).await.expect(200);

    // 李四 finished and passed, then was found out: the score goes.
    let paper2 = start(&app, &t2, &id(&plan)).await;
    for q in paper2["questions"].as_array().unwrap() {
        let path = format!("/api/v1/attempts/{}/answers/{}", id(&paper2), q["position"]);
        app.send(Method::PUT, &path, Some(&t2), Some(json!({"answer": key_of(q), "seq": 1}))).await.expect(200);
    }
    let done = app.post(&format!("/api/v1/attempts/{}/submit", id(&paper2)), &t2, json!({})).await.expect(200);
    assert_eq!(done["score"], 100);
    let voided = app
        .post(&format!("/api/v1/attempts/{}/cheating", id(&paper2)), &s.ent_admin, json!({"reason": "夹带资料"}))
        .await
        .expect(200);
    assert_eq!(
        (voided["details"]["score_before"].as_i64(), voided["details"]["was_finished"].as_bool()),
        (Some(100), Some(true))
    );

    for (attempt, token, worker) in [(&attempt, &t1, &w1), (&id(&paper2), &t2, &w2)] {
        let result = app.get(&format!("/api/v1/attempts/{attempt}/result"), token).await.expect(200);
        assert_eq!(
            (
                result["finish_reason"].as_str(),
                result["score"].as_i64(),
                result["passed"].as_bool(),
                result["remark"].as_str()
            ),
            (Some("cheating"), None, Some(false), Some("作弊")),
            "{result}"
        );
        let mine = app.get("/api/v1/me/exams", token).await.expect(200);
        let item = &mine["items"][0];
        assert_eq!(
            (item["status"].as_str(), item["score"].as_i64(), item["remark"].as_str()),
            (Some("cheating"), None, Some("作弊"))
        );
        let candidates =
            app.get(&format!("/api/v1/exam-plans/{}/candidates", id(&plan)), &s.ent_admin).await.expect(200);
        let c = candidates["items"].as_array().unwrap().iter().find(|c| c["worker_id"] == worker.as_str()).unwrap();
        assert_eq!(
            (c["status"].as_str(), c["score"].as_i64(), c["remark"].as_str()),
            (Some("cheating"), None, Some("作弊"))
        );
        let list = roster(&app, &proctor_token, &room).await;
        let e = entry(&list, worker);
        assert_eq!(
            (e["state"].as_str(), e["score"].as_i64(), e["remark"].as_str()),
            (Some("cheating"), None, Some("作弊"))
        );
    }
}

#[actix_web::test]
async fn extra_time_is_bounded_and_recorded() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, t1, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let plan = open_plan(&app, &s).await; // the window ends in 60 minutes
    let paper = start(&app, &t1, &id(&plan)).await;
    let attempt = id(&paper);
    let before = paper["remaining_seconds"].as_i64().unwrap();
    let grant = format!("/api/v1/attempts/{attempt}/extra-time");
    // The candidate sits in no session: only the plan's managers may grant time.
    let (proctor_token, _) = proctor(&app, &s).await;
    app.post(&grant, &proctor_token, json!({"minutes": 5, "reason": "断网"})).await.expect_error(403, "forbidden");
    for bad in [0, 31, -1] {
        app.post(&grant, &s.ent_admin, json!({"minutes": bad, "reason": "断网"}))
            .await
            .expect_error(422, "validation_failed");
    }
    // The paper's own hour already reaches the window's end: no minute fits.
    let e = app
        .post(&grant, &s.ent_admin, json!({"minutes": 5, "reason": "手机死机"}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(e["field"], "minutes");

    // With the window an hour longer, the grants add up to 30 minutes at most.
    let end = (chrono::Utc::now() + chrono::Duration::minutes(150)).to_rfc3339();
    app.patch(&format!("/api/v1/exam-plans/{}", id(&plan)), &s.ent_admin, json!({"window_end": end})).await.expect(200);
    let granted =
        app.post(&grant, &s.ent_admin, json!({"minutes": 20, "reason": "手机死机重启，约 8 分钟"})).await.expect(200);
    assert_eq!(granted["extra_minutes"], 20);
    let resumed = app.get(&format!("/api/v1/attempts/{attempt}"), &t1).await.expect(200);
    let after = resumed["remaining_seconds"].as_i64().unwrap();
    assert!((before + 20 * 60 - 30..=before + 20 * 60 + 5).contains(&after), "{before} → {after}");
    let e = app
        .post(&grant, &s.ent_admin, json!({"minutes": 11, "reason": "又断网"}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(e["field"], "minutes");
    app.post(&grant, &s.ent_admin, json!({"minutes": 10, "reason": "又断网，约 4 分钟"})).await.expect(200);
    let oversight = app.get(&format!("/api/v1/attempts/{attempt}/flags"), &s.ent_admin).await.expect(200);
    let minutes: Vec<i64> =
        oversight["actions"].as_array().unwrap().iter().map(|a| a["details"]["minutes"].as_i64().unwrap()).collect();
    assert_eq!(minutes, [20, 10]);
    // A finished paper gets no time.
    app.post(&format!("/api/v1/attempts/{attempt}/submit"), &t1, json!({})).await.expect(200);
    app.post(&grant, &s.ent_admin, json!({"minutes": 1, "reason": "迟了"})).await.expect_error(409, "attempt_closed");
}

#[actix_web::test]
async fn flags_wait_for_the_proctor_and_candidates_move_between_sessions() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (w1, t1, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let plan = open_plan(&app, &s).await;
    regenerate(&app, &s, &plan).await;
    let (proctor_token, proctor_id) = proctor(&app, &s).await;
    let room = id(&session(&app, &s.ent_admin, &plan, 10).await);
    let spare = id(&session(&app, &s.ent_admin, &plan, 1).await);
    let full = id(&session(&app, &s.ent_admin, &plan, 1).await);
    for sess in [&room, &spare] {
        set_proctor(&app, &s.ent_admin, sess, &proctor_id).await;
    }
    seat(&app, &s.ent_admin, &room, &[&w1]).await.expect(200);
    let (w2, _, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    regenerate(&app, &s, &plan).await;
    seat(&app, &s.ent_admin, &full, &[&w2]).await.expect(200);
    let paper = start(&app, &t1, &id(&plan)).await;
    let attempt = models::AttemptId::parse(&id(&paper)).unwrap();

    // A flag (as an in-exam face check raises it) waits for the proctor.
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let flag =
        models::proctoring::raise_flag(&mut conn, &attempt, "face_mismatch", &json!({"score": 0.12, "threshold": 0.4}))
            .unwrap();
    assert_eq!(entry(&roster(&app, &proctor_token, &room).await, &w1)["state"], "flagged");
    let oversight = app.get(&format!("/api/v1/attempts/{attempt}/flags"), &proctor_token).await.expect(200);
    assert_eq!(
        (oversight["flags"][0]["kind"].as_str(), oversight["flags"][0]["evidence"]["score"].as_f64()),
        (Some("face_mismatch"), Some(0.12))
    );
    let resolve = format!("/api/v1/attempt-flags/{flag}/resolve");
    app.post(&resolve, &proctor_token, json!({"resolution": "maybe", "reason": "x"}))
        .await
        .expect_error(400, "invalid_request");
    let done = app
        .post(&resolve, &proctor_token, json!({"resolution": "dismissed", "reason": "光线太暗，现场核对为本人"}))
        .await
        .expect(200);
    assert_eq!(
        (done["resolution"].as_str(), done["resolved_by"].as_str()),
        (Some("dismissed"), Some(proctor_id.as_str()))
    );
    app.post(&resolve, &proctor_token, json!({"resolution": "confirmed", "reason": "再看"}))
        .await
        .expect_error(409, "flag_resolved");
    assert_eq!(entry(&roster(&app, &proctor_token, &room).await, &w1)["state"], "started");

    // Moves: to another session of the plan with a seat, with a reason.
    let mv = format!("/api/v1/exam-sessions/{room}/candidates/{w1}/move");
    app.post(&mv, &proctor_token, json!({"to_session_id": full, "reason": "设备故障换座"}))
        .await
        .expect_error(403, "forbidden");
    let moved = app.post(&mv, &s.ent_admin, json!({"to_session_id": full, "reason": "设备故障换座"})).await;
    moved.expect_error(409, "session_full");
    app.post(&mv, &proctor_token, json!({"to_session_id": room, "reason": "原地"}))
        .await
        .expect_error(422, "validation_failed");
    let moved =
        app.post(&mv, &proctor_token, json!({"to_session_id": spare, "reason": "设备故障换座"})).await.expect(200);
    assert_eq!((moved["from"]["assigned"].as_i64(), moved["to"]["assigned"].as_i64()), (Some(0), Some(1)));
    assert_eq!(entry(&roster(&app, &proctor_token, &spare).await, &w1)["state"], "started");
    assert!(roster(&app, &proctor_token, &room).await["items"].as_array().unwrap().is_empty());
    let actions =
        app.get(&format!("/api/v1/attempts/{attempt}/flags"), &proctor_token).await.expect(200)["actions"].clone();
    let kinds: Vec<&str> = actions.as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["flag_resolved", "moved"]);
}

/// Reads server-sent events until `want` accepts one or `within` passes.
async fn next_event(
    res: &mut reqwest::Response,
    buf: &mut String,
    within: Duration,
    want: impl Fn(&str, &Value) -> bool,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let name = block.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or("");
            let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
            let data: Value = serde_json::from_str(data).unwrap();
            if want(name, &data) {
                return Some(data);
            }
        }
        let left = deadline.checked_duration_since(tokio::time::Instant::now())?;
        match tokio::time::timeout(left, res.chunk()).await {
            Ok(Ok(Some(bytes))) => buf.push_str(&String::from_utf8_lossy(&bytes)),
            _ => return None,
        }
    }
}

#[actix_web::test]
async fn the_proctor_app_is_told_of_changes_as_they_happen() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (w1, t1, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let plan = open_plan(&app, &s).await;
    regenerate(&app, &s, &plan).await;
    let (proctor_token, proctor_id) = proctor(&app, &s).await;
    let room = id(&session(&app, &s.ent_admin, &plan, 10).await);
    set_proctor(&app, &s.ent_admin, &room, &proctor_id).await;
    seat(&app, &s.ent_admin, &room, &[&w1]).await.expect(200);

    let mut res = app
        .client
        .get(app.url(&format!("/api/v1/exam-sessions/{room}/events")))
        .bearer_auth(&proctor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut buf = String::new();
    let snapshot = next_event(&mut res, &mut buf, Duration::from_secs(5), |name, _| name == "snapshot").await.unwrap();
    assert_eq!(snapshot[0]["state"], "not_arrived");

    let paper = start(&app, &t1, &id(&plan)).await;
    let w1 = w1.as_str();
    let for_w1 = |state: &'static str| {
        move |name: &str, data: &Value| name == "candidate" && data["worker_id"] == w1 && data["state"] == state
    };
    next_event(&mut res, &mut buf, Duration::from_secs(10), for_w1("started")).await.expect("the start is pushed");
    app.post(&format!("/api/v1/attempts/{}/submit", id(&paper)), &t1, json!({})).await.expect(200);
    let done = next_event(&mut res, &mut buf, Duration::from_secs(10), for_w1("submitted"))
        .await
        .expect("the submission is pushed");
    assert!(done["score"].is_i64());

    // Nobody else listens in: the worker, and a proctor of no session here.
    app.get(&format!("/api/v1/exam-sessions/{room}/events"), &t1).await.expect_error(404, "not_found");
    let (other_proctor, _) = proctor(&app, &s).await;
    app.get(&format!("/api/v1/exam-sessions/{room}/events"), &other_proctor).await.expect_error(403, "forbidden");
}

async fn answer_check(app: &TestApp, token: &str, attempt: &str, check: &str, photo_name: &str) -> crate::helpers::Res {
    let req = app
        .client
        .post(app.url(&format!("/api/v1/attempts/{attempt}/face-checks/{check}")))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(photo(photo_name));
    TestApp::finish(req).await
}

#[actix_web::test]
async fn random_face_checks_during_the_exam_flag_mismatches_and_missed_answers() {
    let app = &TestApp::spawn().await;
    let s = site(app).await;
    let (_, t1, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let (_, t2, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    let (_, t3, _, _) = app.worker(&s.ent_admin, &s.ent, "王五").await;
    let plan = open_plan(app, &s).await;
    let paper = start(app, &t1, &id(&plan)).await;
    let attempt = id(&paper);
    let attempt_id = models::AttemptId::parse(&attempt).unwrap();
    assert!(paper["face_check"].is_null(), "nothing due at the start");
    // Two moments (the default), inside the hour, drawn at random.
    let oversight = app.get(&format!("/api/v1/attempts/{attempt}/flags"), &s.ent_admin).await.expect(200);
    let checks = oversight["face_checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2, "{oversight}");
    let started = chrono::DateTime::parse_from_rfc3339(paper["started_at"].as_str().unwrap()).unwrap();
    for c in checks {
        let due = chrono::DateTime::parse_from_rfc3339(c["due_at"].as_str().unwrap()).unwrap();
        assert!(due > started + chrono::Duration::minutes(5) && due < started + chrono::Duration::minutes(55), "{c}");
        assert!(c["outcome"].is_null() && c["told_at"].is_null());
    }
    let q = paper["questions"][0].clone();
    let answer_path = format!("/api/v1/attempts/{attempt}/answers/{}", q["position"]);
    let save = |token: &str, seq: i64| {
        let token = token.to_owned();
        let path = answer_path.clone();
        let body = json!({"answer": key_of(&q), "seq": seq});
        async move { app.send(Method::PUT, &path, Some(&token), Some(body)).await.expect(200) }
    };
    assert!(save(&t1, 1).await["face_check"].is_null());

    // The first moment comes: the next save says so, and the paper says the same.
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let now = models::now();
    models::face_check::set_next_due_for_tests(&mut conn, &attempt_id, now - chrono::Duration::seconds(1), None)
        .unwrap();
    let told = save(&t1, 2).await["face_check"].clone();
    let check = told["id"].as_str().expect("a check is due").to_owned();
    assert!((170..=180).contains(&told["seconds_left"].as_i64().unwrap()), "{told}");
    let again = app.get(&format!("/api/v1/attempts/{attempt}"), &t1).await.expect(200);
    assert_eq!((&again["face_check"]["id"], &again["face_check"]["answer_by"]), (&told["id"], &told["answer_by"]));
    // The candidate answers: it is them.
    let passed = answer_check(app, &t1, &attempt, &check, "df_img02.jpg").await.expect(200);
    assert_eq!((passed["outcome"].as_str(), passed["face_check"].is_null()), (Some("passed"), true), "{passed}");
    answer_check(app, &t1, &attempt, &check, "df_img02.jpg").await.expect_error(409, "face_check_settled");
    answer_check(app, &t1, &attempt, &uuid::Uuid::now_v7().to_string(), "df_img02.jpg")
        .await
        .expect_error(404, "not_found");
    // Another worker cannot answer it.
    answer_check(app, &t2, &attempt, &check, "df_img02.jpg").await.expect_error(404, "not_found");

    // The second moment: someone else is holding the phone.
    models::face_check::set_next_due_for_tests(&mut conn, &attempt_id, models::now(), None).unwrap();
    let told = save(&t1, 3).await["face_check"].clone();
    let other = answer_check(app, &t1, &attempt, told["id"].as_str().unwrap(), "df_img13.jpg").await.expect(200);
    assert_eq!(other["outcome"], "mismatch", "{other}");
    assert!(other["score"].as_f64().unwrap() < other["threshold"].as_f64().unwrap());
    let oversight = app.get(&format!("/api/v1/attempts/{attempt}/flags"), &s.ent_admin).await.expect(200);
    let flag = &oversight["flags"][0];
    assert_eq!((flag["kind"].as_str(), flag["resolved_at"].is_null()), (Some("face_mismatch"), true), "{oversight}");
    assert_eq!(flag["evidence"]["check_id"], told["id"]);
    assert!(flag["evidence"]["score"].as_f64().unwrap() < 0.4);
    let outcomes: Vec<&str> =
        oversight["face_checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["passed", "mismatch"]);
    // The exam goes on: saves and submission work.
    save(&t1, 4).await;
    app.post(&format!("/api/v1/attempts/{attempt}/submit"), &t1, json!({})).await.expect(200);

    // 李四 is told and does not answer in time; then told again and submits instead.
    let paper2 = start(app, &t2, &id(&plan)).await;
    let attempt2 = models::AttemptId::parse(&id(&paper2)).unwrap();
    let past = models::now() - chrono::Duration::minutes(10);
    models::face_check::set_next_due_for_tests(&mut conn, &attempt2, past, Some(past + chrono::Duration::minutes(3)))
        .unwrap();
    let view = app.get(&format!("/api/v1/attempts/{attempt2}"), &t2).await.expect(200);
    assert!(view["face_check"].is_null(), "the lapsed check is settled, not asked again: {}", view["face_check"]);
    models::face_check::set_next_due_for_tests(&mut conn, &attempt2, models::now(), None).unwrap();
    let told = app.get(&format!("/api/v1/attempts/{attempt2}"), &t2).await.expect(200)["face_check"].clone();
    assert!(told["id"].is_string());
    app.post(&format!("/api/v1/attempts/{attempt2}/submit"), &t2, json!({})).await.expect(200);
    let oversight = app.get(&format!("/api/v1/attempts/{attempt2}/flags"), &s.ent_admin).await.expect(200);
    let kinds: Vec<&str> = oversight["flags"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["face_check_missed", "face_check_missed"], "{oversight}");
    let outcomes: Vec<&str> =
        oversight["face_checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["missed", "missed"]);

    // 王五 hands in before either moment comes: both checks are cancelled, no flag, and the
    // finished attempt has no check left to ask for.
    let paper3 = start(app, &t3, &id(&plan)).await;
    let attempt3 = id(&paper3);
    app.post(&format!("/api/v1/attempts/{attempt3}/submit"), &t3, json!({})).await.expect(200);
    let oversight = app.get(&format!("/api/v1/attempts/{attempt3}/flags"), &s.ent_admin).await.expect(200);
    assert!(oversight["flags"].as_array().unwrap().is_empty(), "{oversight}");
    let outcomes: Vec<&str> =
        oversight["face_checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["cancelled", "cancelled"]);
    let finished = models::attempt::get(&mut conn, &models::AttemptId::parse(&attempt3).unwrap()).unwrap();
    assert_eq!((finished.finished, finished.next_check_at), (true, None));
}
