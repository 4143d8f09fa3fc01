//! Registration codes and worker self-registration.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{phone, resident_id, TestApp, WORKER_PASSWORD};

struct Site {
    county: String,
    ent: String,
    other_ent: String,
}

async fn site(app: &TestApp) -> Site {
    let t = app.admin_token.clone();
    let county = app.lanshan().await;
    let ent = app.enterprise(&t, &county, "临沂华盛商贸有限公司").await;
    let other_ent = app.enterprise(&t, &county, "临沂鲁兴化工有限公司").await;
    Site { county, ent, other_ent }
}

#[actix_web::test]
async fn codes_are_short_unambiguous_and_carry_a_qr_payload() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let ent_admin = app.staff(&app.admin_token, &s.ent, "enterprise_admin").await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let c = app
            .post(
                "/api/v1/registration-codes",
                &ent_admin,
                json!({"organization_id": s.ent, "label": "二车间", "max_uses": 2, "valid_days": 7}),
            )
            .await
            .expect(201);
        let code = c["code"].as_str().unwrap().replace('-', "");
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| exam::regcode::ALPHABET.contains(&b)), "{code}");
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(c["qr_payload"], format!("sanda://register?code={code}"));
        assert_eq!(c["status"], "active");
        assert_eq!((c["uses"].as_i64(), c["max_uses"].as_i64()), (Some(0), Some(2)));
        assert!(seen.insert(code));
    }
    let listed = app
        .get(&format!("/api/v1/registration-codes?organization_id={}&limit=200", s.ent), &ent_admin)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 20);
    // Codes are for enterprises only, and the numbers are bounded.
    let bad = app.post("/api/v1/registration-codes", &app.admin_token, json!({"organization_id": s.county})).await;
    assert_eq!(bad.expect_error(422, "validation_failed")["field"], "organization_id");
    let bad =
        app.post("/api/v1/registration-codes", &ent_admin, json!({"organization_id": s.ent, "max_uses": 0})).await;
    assert_eq!(bad.expect_error(422, "validation_failed")["field"], "max_uses");
    let bad =
        app.post("/api/v1/registration-codes", &ent_admin, json!({"organization_id": s.ent, "valid_days": 1000})).await;
    assert_eq!(bad.expect_error(422, "validation_failed")["field"], "valid_days");
    // Not the enterprise's neighbour, not a proctor.
    app.post("/api/v1/registration-codes", &ent_admin, json!({"organization_id": s.other_ent}))
        .await
        .expect_error(404, "not_found");
    let proctor = app.staff(&app.admin_token, &s.ent, "proctor").await;
    app.post("/api/v1/registration-codes", &proctor, json!({"organization_id": s.ent}))
        .await
        .expect_error(403, "forbidden");
    app.get("/api/v1/registration-codes", &proctor).await.expect_error(403, "forbidden");
}

#[actix_web::test]
async fn lookup_names_the_enterprise_and_each_unusable_code_says_why() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let t = app.admin_token.clone();
    let code = app.code(&t, &s.ent).await;
    let lookup = |c: &str| app.send(Method::POST, "/api/v1/registration-codes/lookup", None, Some(json!({"code": c})));
    let found = lookup(&code.to_lowercase().replace('-', " ")).await.expect(200);
    assert_eq!(found["enterprise_name"], "临沂华盛商贸有限公司");
    assert_eq!(found["default_role"], "other_staff");
    lookup("ZZZZ-ZZZZ").await.expect_error(404, "registration_code_unknown");
    lookup("not a code").await.expect_error(404, "registration_code_unknown");
    // Revoked.
    let c = app.post("/api/v1/registration-codes", &t, json!({"organization_id": s.ent})).await.expect(201);
    app.post(&format!("/api/v1/registration-codes/{}/revoke", c["id"].as_str().unwrap()), &t, json!({}))
        .await
        .expect(200);
    lookup(c["code"].as_str().unwrap()).await.expect_error(410, "registration_code_revoked");
    // Used up.
    let c = app
        .post(
            "/api/v1/registration-codes",
            &t,
            json!({"organization_id": s.ent, "max_uses": 1, "default_role": "other_staff"}),
        )
        .await
        .expect(201);
    let once = c["code"].as_str().unwrap();
    app.register(once, "张一", &resident_id(), &phone(), WORKER_PASSWORD).await.expect(201);
    lookup(once).await.expect_error(410, "registration_code_exhausted");
    app.register(once, "张二", &resident_id(), &phone(), WORKER_PASSWORD)
        .await
        .expect_error(410, "registration_code_exhausted");
    // Expired: moved into the past in the database.
    let c = app.post("/api/v1/registration-codes", &t, json!({"organization_id": s.ent})).await.expect(201);
    let pool =
        models::db::pool(&models::DbUrl::parse(&app.database_url), 1, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = models::db::get(&pool).unwrap();
    let scope = models::Jurisdiction::of(
        &models::organization::root(&mut conn, &models::Cipher::new(&[0; 32])).unwrap().unwrap(),
    );
    let id = models::RegCodeId::parse(c["id"].as_str().unwrap()).unwrap();
    let row = models::registration_code::find_in(&mut conn, &scope, &id).unwrap();
    expire(&mut conn, &row.id);
    lookup(c["code"].as_str().unwrap()).await.expect_error(410, "registration_code_expired");
}

/// Moves a code's expiry into the past, as time would.
fn expire(conn: &mut models::DbConn, id: &models::RegCodeId) {
    models::registration_code::set_expiry_for_tests(conn, id, models::now() - chrono::Duration::minutes(1)).unwrap();
}

#[actix_web::test]
async fn guessing_codes_is_throttled_per_address() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let good = app.code(&app.admin_token, &s.ent).await;
    let from = |ip: &'static str, code: String| {
        app.client
            .post(app.url("/api/v1/registration-codes/lookup"))
            .header("x-forwarded-for", ip)
            .json(&json!({"code": code}))
    };
    for i in 0..20 {
        TestApp::finish(from("203.0.113.5", format!("ZZZZZZ{}", ["A", "B", "C", "D", "E"][i % 5].repeat(2)))).await;
    }
    let blocked = TestApp::finish(from("203.0.113.5", good.clone())).await;
    assert!(blocked.headers.contains_key("retry-after"));
    blocked.expect_error(429, "too_many_attempts");
    // Registration from that address is blocked too; other addresses are not.
    let res = TestApp::finish(
        app.client.post(app.url("/api/v1/workers/register")).header("x-forwarded-for", "203.0.113.5").json(&json!({
        "code": good, "name": "王五", "resident_id": resident_id(), "phone": phone(), "password": WORKER_PASSWORD,
        "face_consent": {"version": "2026-01", "accepted": true}})),
    )
    .await;
    res.expect_error(429, "too_many_attempts");
    TestApp::finish(from("198.51.100.1", good)).await.expect(200);
}

#[actix_web::test]
async fn a_worker_registers_and_goes_on_to_face_enrollment() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let code = app.code(&app.admin_token, &s.ent).await;
    let (id, tel) = (resident_id(), phone());
    let bare =
        app.post("/api/v1/registration-codes", &app.admin_token, json!({"organization_id": s.ent})).await.expect(201);
    let no_role = app.register(bare["code"].as_str().unwrap(), "张三", &id, &tel, WORKER_PASSWORD).await;
    assert_eq!(no_role.expect_error(422, "validation_failed")["field"], "role", "no role given, none on the code");
    let res = app.register(&code, "张三", &id.to_lowercase(), &tel, WORKER_PASSWORD).await.expect(201);
    let w = &res["worker"];
    assert_eq!(w["status"], "registered");
    assert_eq!(w["face_enrolled"], false, "registered, face not yet enrolled");
    assert_eq!(w["face_consent"]["version"], "2026-01");
    assert_eq!(w["needs_alternative_identity_check"], false);
    assert_eq!(w["role"], "other_staff", "the code's default role");
    assert_eq!(w["resident_id"], format!("{}**********{}", &id[..4], &id[14..]));
    assert_eq!(w["phone"], format!("{}****{}", &tel[..3], &tel[7..]));
    assert_eq!(res["job_change"], false);
    let token = res["tokens"]["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", token).await.expect(200);
    assert_eq!(me["role"], "worker");
    assert_eq!(me["organization"]["id"], s.ent.as_str());
    app.get(&format!("/api/v1/workers/{}", w["id"].as_str().unwrap()), token).await.expect(200);
    // It logs in with its phone or its ID number.
    app.login(&tel, WORKER_PASSWORD).await.expect(200);
    app.login(&id, WORKER_PASSWORD).await.expect(200);
    app.login(&tel, "Wrong-pass-1").await.expect_error(401, "invalid_credentials");
    // The same person registering again at the same enterprise.
    app.register(&code, "张三", &id, &tel, WORKER_PASSWORD).await.expect_error(409, "already_registered");
    // Another person with the same phone.
    let taken = app.register(&code, "李四", &resident_id(), &tel, WORKER_PASSWORD).await;
    assert_eq!(taken.expect_error(409, "phone_taken")["field"], "phone");
}

#[actix_web::test]
async fn refusing_face_processing_still_registers_for_the_alternative_check() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let code = app.code(&app.admin_token, &s.ent).await;
    let res = app
        .send(
            Method::POST,
            "/api/v1/workers/register",
            None,
            Some(json!({
            "code": code, "name": "赵六", "resident_id": resident_id(), "phone": phone(), "password": WORKER_PASSWORD,
            "role": "principal", "face_consent": {"version": "2026-01", "accepted": false}})),
        )
        .await
        .expect(201);
    assert_eq!(res["worker"]["face_consent"], serde_json::Value::Null);
    assert_eq!(res["worker"]["needs_alternative_identity_check"], true);
    assert_eq!(res["worker"]["role"], "principal");
}

#[actix_web::test]
async fn every_bad_field_is_named() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let code = app.code(&app.admin_token, &s.ent).await;
    let good = || {
        json!({"code": code, "name": "张三", "resident_id": resident_id(), "phone": phone(), "password": WORKER_PASSWORD,
                         "face_consent": {"version": "2026-01", "accepted": true}})
    };
    let id = resident_id();
    let wrong_check = format!("{}{}", &id[..17], if id.ends_with('0') { '1' } else { '0' });
    let cases = [
        ("resident_id", json!(wrong_check), "校验位"),
        ("resident_id", json!("37130219900230123X"), "出生日期"),
        ("resident_id", json!("3713021990"), "长度"),
        ("resident_id", json!("99130219900101123X"), "地区码"),
        ("phone", json!("05398888888"), "手机号码"),
        ("name", json!(""), "不能为空"),
        ("password", json!("123"), "过短"),
    ];
    for (field, value, words) in cases {
        let mut body = good();
        body[field] = value;
        let res = app.send(Method::POST, "/api/v1/workers/register", None, Some(body)).await;
        let err = res.expect_error(422, "validation_failed");
        assert_eq!(err["field"], field, "{err}");
        assert!(err["message"].as_str().unwrap().contains(words), "{err}");
    }
    // A child's ID number (born this year) is outside working age.
    let young = {
        let body = format!("371302{}0101123", chrono::Utc::now().format("%Y"));
        format!("{body}{}", exam::resident_id::check_character(body.as_bytes()).unwrap())
    };
    let mut body = good();
    body["resident_id"] = json!(young);
    assert_eq!(
        app.send(Method::POST, "/api/v1/workers/register", None, Some(body))
            .await
            .expect_error(422, "validation_failed")["field"],
        "resident_id"
    );
    let mut body = good();
    body["face_consent"] = json!({"version": "", "accepted": true});
    assert_eq!(
        app.send(Method::POST, "/api/v1/workers/register", None, Some(body))
            .await
            .expect_error(422, "validation_failed")["field"],
        "face_consent.version"
    );
    let mut body = good();
    body.as_object_mut().unwrap().remove("face_consent");
    app.send(Method::POST, "/api/v1/workers/register", None, Some(body)).await.expect_error(400, "invalid_request");
    // An ID number sent as a number is refused without being echoed back.
    let mut body = good();
    body["resident_id"] = json!(371302199001011234u64);
    let err =
        app.send(Method::POST, "/api/v1/workers/register", None, Some(body)).await.expect_error(400, "invalid_request");
    assert!(!err["message"].as_str().unwrap().contains("371302199001011234"), "{err}");
}

#[actix_web::test]
async fn registering_at_another_enterprise_is_a_job_change_with_history() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let t = app.admin_token.clone();
    let (worker_id, token, id, tel) = app.worker(&t, &s.ent, "张三").await;
    let second = app.code(&t, &s.other_ent).await;
    // Without the existing password, the record does not move.
    let res = app.register(&second, "张三", &id, &tel, "Someone-else-1").await;
    assert_eq!(res.expect_error(409, "already_registered")["field"], "password");
    let moved = app.register(&second, "张三", &id, &tel, WORKER_PASSWORD).await.expect(201);
    assert_eq!(moved["job_change"], true);
    assert_eq!(moved["worker"]["id"], worker_id.as_str(), "one person, one record");
    assert_eq!(moved["worker"]["organization_id"], s.other_ent.as_str());
    // The old session's token still names the account, now at the new enterprise.
    let me = app.get("/api/v1/me", moved["tokens"]["access_token"].as_str().unwrap()).await.expect(200);
    assert_eq!(me["organization"]["id"], s.other_ent.as_str());
    let _ = token;
    let history = app.get(&format!("/api/v1/workers/{worker_id}/history"), &t).await.expect(200);
    let kinds: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["registered", "job_change"]);
    let change = &history[1];
    assert_eq!(change["from_organization_id"], s.ent.as_str());
    assert_eq!(change["to_organization_id"], s.other_ent.as_str());
    assert!(change["actor_account_id"].is_string());
    assert!(!change.to_string().contains(&id), "history holds no whole ID number");
    // The old enterprise no longer lists the worker; the new one does.
    let old_admin = app.staff(&t, &s.ent, "enterprise_admin").await;
    app.get(&format!("/api/v1/workers/{worker_id}"), &old_admin).await.expect_error(404, "not_found");
    let new_admin = app.staff(&t, &s.other_ent, "enterprise_admin").await;
    app.get(&format!("/api/v1/workers/{worker_id}"), &new_admin).await.expect(200);
}

#[actix_web::test]
async fn concurrent_registrations_never_overrun_a_code() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let c = app
        .post(
            "/api/v1/registration-codes",
            &app.admin_token,
            json!({"organization_id": s.ent, "max_uses": 3, "default_role": "other_staff"}),
        )
        .await
        .expect(201);
    let code = c["code"].as_str().unwrap().to_owned();
    let people: Vec<(String, String)> = (0..8).map(|_| (resident_id(), phone())).collect();
    let attempts = people.iter().map(|(id, tel)| app.register(&code, "并发", id, tel, "Worker-pass-2026"));
    let results = futures_util::future::join_all(attempts).await;
    let ok = results.iter().filter(|r| r.status == 201).count();
    assert_eq!(ok, 3, "{results:?}");
    assert!(results.iter().all(|r| r.status == 201 || r.status == 410 || r.status == 409), "{results:?}");
    let listed =
        app.get(&format!("/api/v1/registration-codes?organization_id={}", s.ent), &app.admin_token).await.expect(200);
    assert_eq!(listed["items"][0]["uses"], 3);
    assert_eq!(listed["items"][0]["status"], "exhausted");
}

#[actix_web::test]
async fn probing_whether_a_person_is_registered_is_throttled_too() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let code = app.code(&app.admin_token, &s.ent).await;
    let (id, tel) = (resident_id(), phone());
    app.register(&code, "张三", &id, &tel, WORKER_PASSWORD).await.expect(201);
    let probe = || {
        app.client.post(app.url("/api/v1/workers/register")).header("x-forwarded-for", "203.0.113.9").json(&json!({
            "code": code, "name": "张三", "resident_id": id, "phone": phone(), "password": WORKER_PASSWORD,
            "face_consent": {"version": "2026-01", "accepted": true}}))
    };
    for _ in 0..20 {
        TestApp::finish(probe()).await.expect_error(409, "already_registered");
    }
    TestApp::finish(probe()).await.expect_error(429, "too_many_attempts");
}

#[actix_web::test]
async fn one_person_registering_twice_at_once_gets_one_record() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let code = app.code(&app.admin_token, &s.ent).await;
    let id = resident_id();
    let phones: Vec<String> = (0..6).map(|_| phone()).collect();
    let attempts = phones.iter().map(|tel| app.register(&code, "张三", &id, tel, WORKER_PASSWORD));
    let results = futures_util::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.status == 201 || r.body["code"] == "already_registered"), "{results:?}");
    let listed = app.get("/api/v1/workers", &app.admin_token).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}
