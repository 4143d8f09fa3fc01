//! Probes, metrics, request ids, the docs page and start-up behaviour.

use api::{Application, Options};
use serde_json::json;

use crate::helpers::{test_settings, TestApp};

#[actix_web::test]
async fn probes_answer() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "ready");
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let ok = app.get("/api/v1/me", &app.admin_token).await;
    let err = app.get("/api/v1/organizations/not-an-id", &app.admin_token).await;
    for res in [ok, err] {
        let id = res.headers.get("x-request-id").expect("x-request-id header").to_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    }
}

#[actix_web::test]
async fn metrics_count_requests_per_route() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/me", &app.admin_token).await.expect(200);
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("sanda_http_requests_total"), "{text}");
    assert!(text.contains(r#"endpoint="/api/v1/me""#), "{text}");
    assert!(text.contains("sanda_http_requests_duration_seconds_bucket"), "{text}");
}

#[actix_web::test]
async fn contract_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/openapi.yaml")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let served = res.text().await.unwrap();
    assert_eq!(served, api::openapi::yaml());
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("<html"));
}

#[actix_web::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/nothing-here", &app.admin_token).await.expect_error(404, "route_not_found");
    app.send(reqwest::Method::DELETE, "/api/v1/organizations", Some(&app.admin_token), None)
        .await
        .expect_error(405, "method_not_allowed");
    app.send(reqwest::Method::GET, "/api/v1/auth/login", None, None).await.expect_error(405, "method_not_allowed");
}

#[actix_web::test]
async fn first_start_creates_the_province_and_its_admin_once() {
    let app = TestApp::spawn().await;
    let me = app.get("/api/v1/me", &app.admin_token).await.expect(200);
    assert_eq!(me["role"], "province_admin");
    assert_eq!(me["organization"]["level"], "province");
    assert_eq!(me["organization"]["name"], "山东省应急管理厅");
    assert_eq!(me["must_change_password"], false);
    // A second server on the same database creates nothing new.
    let settings = test_settings(app.dir.path(), app.database_url.clone());
    let second = Application::build(settings, Options { demo: true, ..crate::helpers::options() }).await.unwrap();
    drop(second);
    let orgs = app.get("/api/v1/organizations?level=province", &app.admin_token).await.expect(200);
    assert_eq!(orgs["items"].as_array().unwrap().len(), 1);
    // The demo data is there, with a login per role.
    let cities = app.get("/api/v1/organizations?level=city", &app.admin_token).await.expect(200);
    assert_eq!(cities["items"][0]["name"], "临沂市应急管理局");
    let counties = app
        .get(
            &format!("/api/v1/organizations?parent_id={}&limit=200", cities["items"][0]["id"].as_str().unwrap()),
            &app.admin_token,
        )
        .await
        .expect(200);
    let names: Vec<&str> = counties["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"兰山区应急管理局") && names.contains(&"临沂高新技术产业开发区应急管理局"), "{names:?}");
    let staff = app.get("/api/v1/staff-accounts?limit=200", &app.admin_token).await.expect(200);
    let roles: Vec<&str> = staff["items"].as_array().unwrap().iter().map(|a| a["role"].as_str().unwrap()).collect();
    for role in ["province_admin", "city_admin", "county_admin", "enterprise_admin", "proctor"] {
        assert!(roles.contains(&role), "{role} missing from {roles:?}");
    }
    // The demo worker has its registry record, and the demo enterprise a usable code.
    let workers = app.get("/api/v1/workers", &app.admin_token).await.expect(200);
    assert_eq!(workers["items"][0]["name"], "王小明");
    assert_eq!(workers["items"][0]["face_enrolled"], false);
    let codes = app.get("/api/v1/registration-codes", &app.admin_token).await.expect(200);
    assert_eq!(codes["items"][0]["status"], "active");
    // The province holds the demo bank and the demo enterprise an open exam for its staff;
    // loading the demo again changes neither.
    let third = Application::build(
        test_settings(app.dir.path(), app.database_url.clone()),
        Options { demo: true, ..crate::helpers::options() },
    )
    .await
    .unwrap();
    drop(third);
    let banks = app.get("/api/v1/question-banks", &app.admin_token).await.expect(200);
    assert_eq!(banks["items"].as_array().unwrap().len(), 1);
    assert!(banks["items"][0]["question_count"].as_i64().unwrap() >= 300, "{banks}");
    let plans = app.get("/api/v1/exam-plans", &app.admin_token).await.expect(200);
    assert_eq!(plans["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (plans["items"][0]["kind"].as_str(), plans["items"][0]["candidate_count"].as_i64()),
        (Some("enterprise_all_staff"), Some(1))
    );
    // Two courses (the province's, 兰山区's) and the demo enterprise's learning plan, once.
    let courses = app.get("/api/v1/courses", &app.admin_token).await.expect(200);
    let titles: Vec<&str> = courses["items"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["《中华人民共和国安全生产法》解读", "商贸仓储消防与应急处置"]);
    let ent = plans["items"][0]["organizer_id"].as_str().unwrap();
    let learning = app.get(&format!("/api/v1/organizations/{ent}/learning-plans"), &app.admin_token).await.expect(200);
    assert_eq!(learning["items"].as_array().unwrap().len(), 1);
    assert_eq!(learning["items"][0]["items"][1]["title"], "《中华人民共和国安全生产法》解读");
}

#[actix_web::test]
async fn a_generated_first_password_must_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path(), crate::helpers::fresh_database(dir.path()));
    settings.admin_password = None;
    let state = api::startup::prepare(&settings, &Options::default()).unwrap();
    let mut conn = models::db::get(&state.pool).unwrap();
    let admin = models::account::find_by_username(&mut conn, "admin").unwrap().expect("first admin");
    assert_eq!(admin.role, exam::Role::ProvinceAdmin);
    assert!(admin.must_change_password);
    // `sanda admin create` goes through the same code: its one-time password works once
    // and then only for changing it.
    let created =
        api::bootstrap::create_province_admin(&mut conn, &state.cipher, &settings, "second.admin", None).unwrap();
    drop(conn);
    let once = created.generated_password.expect("generated");
    let app = Application::build(settings, crate::helpers::options()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let tokens: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "second.admin", "password": once}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["must_change_password"], true);
    let token = tokens["access_token"].as_str().unwrap();
    let blocked = client.get(format!("{base}/api/v1/organizations")).bearer_auth(token).send().await.unwrap();
    assert_eq!(blocked.status(), 403);
    assert_eq!(blocked.json::<serde_json::Value>().await.unwrap()["code"], "password_change_required");
    let me = client.get(format!("{base}/api/v1/me")).bearer_auth(token).send().await.unwrap();
    assert_eq!(me.status(), 200);
}

#[actix_web::test]
async fn personal_data_is_not_stored_in_the_clear() {
    let app = TestApp::spawn().await;
    if !app.database_url.starts_with("sqlite") {
        return; // the file check applies to the embedded database
    }
    let province = app.province_id().await;
    let city = app.bureau(&app.admin_token, &province, "临沂市应急管理局").await;
    let county = app.bureau(&app.admin_token, &city, "兰山区应急管理局").await;
    let ent = app.enterprise(&app.admin_token, &county, "临沂鲁兴化工有限公司").await;
    let full = app.get(&format!("/api/v1/organizations/{ent}"), &app.admin_token).await.expect(200);
    assert_eq!(full["contact_phone"], "13805391234");
    let mut bytes = Vec::new();
    for f in ["sanda.db", "sanda.db-wal"] {
        if let Ok(b) = std::fs::read(app.dir.path().join(f)) {
            bytes.extend(b);
        }
    }
    let name = "临沂鲁兴化工有限公司".as_bytes();
    assert!(bytes.windows(name.len()).any(|w| w == name), "the check reads the database");
    assert!(!bytes.windows(11).any(|w| w == b"13805391234"), "a phone number is stored in the clear");
}

#[actix_web::test]
async fn servers_starting_together_create_one_province_and_one_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(dir.path());
    let starts = (0..4).map(|_| {
        let settings = test_settings(dir.path(), url.clone());
        actix_web::rt::task::spawn_blocking(move || api::startup::prepare(&settings, &Options::default()).map(|_| ()))
    });
    for r in futures_util::future::join_all(starts).await {
        r.unwrap().unwrap();
    }
    let pool = models::db::pool(&models::DbUrl::parse(&url), 1, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = models::db::get(&pool).unwrap();
    let admin = models::account::find_by_username(&mut conn, "admin").unwrap();
    assert!(admin.is_some());
    let cipher = models::Cipher::new(&[0u8; 32]);
    let root = models::organization::root(&mut conn, &cipher).unwrap().unwrap();
    let scope = models::Jurisdiction::of(&root);
    let filter = models::organization::OrgFilter { level: Some(exam::OrgLevel::Province), ..Default::default() };
    let provinces =
        models::organization::list_in(&mut conn, &cipher, &scope, &filter, &models::PageRequest::default()).unwrap();
    assert_eq!(provinces.items.len(), 1);
}

/// A PostgreSQL restart cuts every pooled connection. Connections are not tested before
/// each use, so the first request on a dead one fails: it must be a 503 with `Retry-After`
/// (the apps retry), never a 500, and the pool must drop the connection at once.
#[actix_web::test]
async fn connections_cut_by_the_database_cost_a_retry_not_an_error() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn().await;
    let url = models::db::DbUrl::parse(&app.database_url);
    if url.backend() != models::db::Backend::Postgres {
        eprintln!("PostgreSQL only: a SQLite connection is a file handle that cannot be cut");
        return;
    }
    // Open every pooled connection (the tests' pool has 4).
    let me = || app.get("/api/v1/me", &app.admin_token);
    for res in futures_util::future::join_all((0..8).map(|_| me())).await {
        res.expect(200);
    }
    let mut admin = url.connect().unwrap();
    let cut = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .unwrap();
    assert!(cut >= 1, "no connection to cut");
    let mut unavailable = 0;
    for _ in 0..12 {
        let res = me().await;
        if res.status == 503 {
            assert!(res.headers.contains_key("retry-after"), "{:?}", res.headers);
            assert_eq!(res.body["code"], "service_unavailable");
            unavailable += 1;
        } else {
            res.expect(200);
        }
    }
    assert!(unavailable <= 4, "{unavailable} requests failed: dead connections were not dropped");
    for _ in 0..8 {
        me().await.expect(200);
    }
}
