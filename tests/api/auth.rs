//! Login, refresh rotation, logout, expiry, revocation and throttling.

use base64::Engine as _;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, ADMIN, ADMIN_PASSWORD, JWT_SECRET_B64};

#[actix_web::test]
async fn login_gives_tokens_that_work() {
    let app = TestApp::spawn().await;
    let tokens = app.login(ADMIN, ADMIN_PASSWORD).await.expect(200);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["refresh_token"].as_str().unwrap().len() >= 40);
    let me = app.get("/api/v1/me", tokens["access_token"].as_str().unwrap()).await.expect(200);
    assert_eq!(me["username"], ADMIN);
    // Usernames are case-insensitive.
    app.login("ADMIN", ADMIN_PASSWORD).await.expect(200);
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = TestApp::spawn().await;
    let wrong = app.login(ADMIN, "Wrong-pass-1").await.expect_error(401, "invalid_credentials");
    let unknown = app.login("nobody", "Wrong-pass-1").await.expect_error(401, "invalid_credentials");
    assert_eq!(wrong["message"], unknown["message"]);
}

#[actix_web::test]
async fn missing_malformed_and_forged_tokens_are_refused() {
    let app = TestApp::spawn().await;
    app.send(Method::GET, "/api/v1/me", None, None).await.expect_error(401, "unauthenticated");
    app.get("/api/v1/me", "not-a-jwt").await.expect_error(401, "invalid_token");
    let res =
        TestApp::finish(app.client.get(app.url("/api/v1/me")).header("authorization", "Basic YWRtaW46eA==")).await;
    res.expect_error(401, "invalid_token");
    // alg=none with the admin's own claims.
    let payload = app.admin_token.split('.').nth(1).unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    app.get("/api/v1/me", &format!("{header}.{payload}.")).await.expect_error(401, "invalid_token");
    // Signed with another key.
    let forged = sign(&claims_of(&app.admin_token), b"another-secret-another-secret-32");
    app.get("/api/v1/me", &forged).await.expect_error(401, "invalid_token");
}

fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &serde_json::Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &jsonwebtoken::EncodingKey::from_secret(key))
        .unwrap()
}

#[actix_web::test]
async fn an_expired_access_token_is_refused() {
    let app = TestApp::spawn().await;
    let key = base64::engine::general_purpose::STANDARD.decode(JWT_SECRET_B64).unwrap();
    let mut claims = claims_of(&app.admin_token);
    // The same claims, correctly signed, but expired a minute ago.
    app.get("/api/v1/me", &sign(&claims, &key)).await.expect(200);
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now - 1000);
    claims["exp"] = json!(now - 60);
    app.get("/api/v1/me", &sign(&claims, &key)).await.expect_error(401, "token_expired");
}

#[actix_web::test]
async fn refresh_rotates_and_an_old_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let first = app.login(ADMIN, ADMIN_PASSWORD).await.expect(200);
    let r1 = first["refresh_token"].as_str().unwrap();
    let second =
        app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": r1}))).await.expect(200);
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    app.get("/api/v1/me", second["access_token"].as_str().unwrap()).await.expect(200);
    // Using r1 again: refused, and the session (r2 and its access token too) is ended.
    app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": r1})))
        .await
        .expect_error(401, "refresh_token_reused");
    app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": r2})))
        .await
        .expect_error(401, "invalid_refresh_token");
    app.get("/api/v1/me", second["access_token"].as_str().unwrap()).await.expect_error(401, "token_revoked");
    app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": "made-up"})))
        .await
        .expect_error(401, "invalid_refresh_token");
    // Other sessions of the account are untouched.
    app.get("/api/v1/me", &app.admin_token).await.expect(200);
}

#[actix_web::test]
async fn concurrent_refreshes_of_one_token_let_exactly_one_through() {
    let app = TestApp::spawn().await;
    let tokens = app.login(ADMIN, ADMIN_PASSWORD).await.expect(200);
    let r = tokens["refresh_token"].as_str().unwrap().to_owned();
    let attempts =
        (0..6).map(|_| app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": r}))));
    let results = futures_util::future::join_all(attempts).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(results.iter().all(|r| r.status == 200 || r.status == 401), "{results:?}");
}

#[actix_web::test]
async fn logout_revokes_access_and_refresh_tokens() {
    let app = TestApp::spawn().await;
    let tokens = app.login(ADMIN, ADMIN_PASSWORD).await.expect(200);
    let access = tokens["access_token"].as_str().unwrap();
    app.send(Method::POST, "/api/v1/auth/logout", Some(access), None).await.expect(204);
    app.get("/api/v1/me", access).await.expect_error(401, "token_revoked");
    app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": tokens["refresh_token"]})))
        .await
        .expect_error(401, "invalid_refresh_token");
    app.get("/api/v1/me", &app.admin_token).await.expect(200);
}

#[actix_web::test]
async fn changing_the_password_ends_every_session() {
    let app = TestApp::spawn().await;
    let other_device = app.login(ADMIN, ADMIN_PASSWORD).await.expect(200);
    app.post(
        "/api/v1/me/password",
        &app.admin_token,
        json!({"current_password": "Wrong-pass-9", "new_password": "New-pass-2027"}),
    )
    .await
    .expect_error(403, "current_password_incorrect");
    let weak = app
        .post(
            "/api/v1/me/password",
            &app.admin_token,
            json!({"current_password": ADMIN_PASSWORD, "new_password": "short"}),
        )
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(weak["field"], "new_password");
    app.post(
        "/api/v1/me/password",
        &app.admin_token,
        json!({"current_password": ADMIN_PASSWORD, "new_password": ADMIN_PASSWORD}),
    )
    .await
    .expect_error(422, "validation_failed");
    let fresh = app
        .post(
            "/api/v1/me/password",
            &app.admin_token,
            json!({"current_password": ADMIN_PASSWORD, "new_password": "New-pass-2027"}),
        )
        .await
        .expect(200);
    app.get("/api/v1/me", fresh["access_token"].as_str().unwrap()).await.expect(200);
    app.get("/api/v1/me", &app.admin_token).await.expect_error(401, "token_revoked");
    app.get("/api/v1/me", other_device["access_token"].as_str().unwrap()).await.expect_error(401, "token_revoked");
    app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": other_device["refresh_token"]})))
        .await
        .expect_error(401, "invalid_refresh_token");
    app.login(ADMIN, ADMIN_PASSWORD).await.expect_error(401, "invalid_credentials");
    app.login(ADMIN, "New-pass-2027").await.expect(200);
}

#[actix_web::test]
async fn repeated_wrong_passwords_lock_the_account_for_a_while() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        app.login(ADMIN, "Wrong-pass-1").await.expect_error(401, "invalid_credentials");
    }
    // Now even the right password is refused until the block ends.
    let res = app.login(ADMIN, ADMIN_PASSWORD).await;
    let retry: u64 = res.headers.get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap();
    assert!((60..=900).contains(&retry), "{retry}");
    res.expect_error(429, "too_many_attempts");
    // Existing sessions keep working: the block is on logging in.
    app.get("/api/v1/me", &app.admin_token).await.expect(200);
}

#[actix_web::test]
async fn one_address_guessing_many_accounts_is_blocked() {
    let app = TestApp::spawn().await;
    let from = |ip: &'static str, user: String| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({"username": user, "password": "Wrong-pass-1"}))
    };
    for i in 0..30 {
        TestApp::finish(from("203.0.113.7", format!("guess{i}"))).await.expect_error(401, "invalid_credentials");
    }
    let blocked = TestApp::finish(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"username": ADMIN, "password": ADMIN_PASSWORD})),
    )
    .await;
    blocked.expect_error(429, "too_many_attempts");
    // Another address is not affected.
    let other = TestApp::finish(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", "198.51.100.9")
            .json(&json!({"username": ADMIN, "password": ADMIN_PASSWORD})),
    )
    .await;
    other.expect(200);
}

#[actix_web::test]
async fn integration_clients_authenticate_with_id_and_secret() {
    let app = TestApp::spawn().await;
    let created = app
        .post("/api/v1/integration-clients", &app.admin_token, json!({"name": "山东省安全生产考试平台"}))
        .await
        .expect(201);
    let (id, secret) = (created["client_id"].as_str().unwrap(), created["client_secret"].as_str().unwrap());
    let tokens = app
        .send(Method::POST, "/api/v1/auth/client-token", None, Some(json!({"client_id": id, "client_secret": secret})))
        .await
        .expect(200);
    assert!(tokens.get("refresh_token").is_none());
    let token = tokens["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", token).await.expect(200);
    assert_eq!(me["role"], "integration_client");
    // The platform reads the whole province.
    app.get("/api/v1/organizations", token).await.expect(200);
    // It cannot administer.
    let province = app.province_id().await;
    app.post("/api/v1/organizations", token, json!({"parent_id": province, "name": "某市应急管理局"}))
        .await
        .expect_error(403, "forbidden");
    app.send(Method::POST, "/api/v1/auth/client-token", None, Some(json!({"client_id": id, "client_secret": "wrong"})))
        .await
        .expect_error(401, "invalid_credentials");
    // A client secret is no password: the login endpoint refuses it.
    app.login(id, secret).await.expect_error(401, "invalid_credentials");
}

#[actix_web::test]
async fn a_deactivated_account_loses_its_tokens_and_cannot_log_in() {
    let app = TestApp::spawn().await;
    let tokens = app.login(ADMIN, ADMIN_PASSWORD).await.expect(200);
    let pool =
        models::db::pool(&models::DbUrl::parse(&app.database_url), 1, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = models::db::get(&pool).unwrap();
    let admin = models::account::find_by_username(&mut conn, ADMIN).unwrap().unwrap();
    models::account::set_active(&mut conn, &admin.id, false).unwrap();
    app.get("/api/v1/me", tokens["access_token"].as_str().unwrap()).await.expect_error(401, "token_revoked");
    app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": tokens["refresh_token"]})))
        .await
        .expect_error(401, "token_revoked");
    app.login(ADMIN, ADMIN_PASSWORD).await.expect_error(403, "account_disabled");
    // A wrong password still says only that.
    app.login(ADMIN, "Wrong-pass-1").await.expect_error(401, "invalid_credentials");
}

#[actix_web::test]
async fn concurrent_wrong_passwords_are_all_counted() {
    let app = TestApp::spawn().await;
    let guesses = (0..8).map(|i| app.login(ADMIN, if i % 2 == 0 { "Wrong-pass-1" } else { "Wrong-pass-2" }));
    let results = futures_util::future::join_all(guesses).await;
    assert!(results.iter().all(|r| r.status == 401 || r.status == 429), "{results:?}");
    // However the eight interleaved, at least five were counted: the account is blocked.
    app.login(ADMIN, ADMIN_PASSWORD).await.expect_error(429, "too_many_attempts");
}
