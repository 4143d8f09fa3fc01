//! Malformed requests get clear 4xx errors, never a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn malformed_bodies_are_named_and_refused() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let raw = |body: &'static str, ct: &'static str| {
        app.client.post(app.url("/api/v1/organizations")).bearer_auth(&t).header("content-type", ct).body(body)
    };
    TestApp::finish(raw("{not json", "application/json")).await.expect_error(400, "invalid_request");
    TestApp::finish(raw("", "application/json")).await.expect_error(400, "invalid_request");
    TestApp::finish(raw("[]", "application/json")).await.expect_error(400, "invalid_request");
    TestApp::finish(raw(r#"{"parent_id": "x", "name": "a"} trailing"#, "application/json"))
        .await
        .expect_error(400, "invalid_request");
    TestApp::finish(raw(r#"{"parent_id": "x", "name": "a"}"#, "text/plain"))
        .await
        .expect_error(415, "unsupported_media_type");
    TestApp::finish(app.client.post(app.url("/api/v1/organizations")).bearer_auth(&t).body("{}"))
        .await
        .expect_error(415, "unsupported_media_type");
    let wrong_type = app.post("/api/v1/organizations", &t, json!({"parent_id": "x", "name": 5})).await;
    assert_eq!(wrong_type.expect_error(400, "invalid_request")["field"], "name");
    let unknown =
        app.post("/api/v1/organizations", &t, json!({"parent_id": "x", "name": "a", "secret_flag": true})).await;
    assert!(unknown.expect_error(400, "invalid_request")["message"].as_str().unwrap().contains("secret_flag"));
    let missing = app.post("/api/v1/organizations", &t, json!({"name": "a"})).await;
    assert!(missing.expect_error(400, "invalid_request")["message"].as_str().unwrap().contains("parent_id"));
    let bad_enum =
        app.post("/api/v1/organizations", &t, json!({"parent_id": "x", "name": "a", "industry": "space"})).await;
    assert_eq!(bad_enum.expect_error(400, "invalid_request")["field"], "industry");
    let huge = "x".repeat(70 * 1024);
    let res = app.post("/api/v1/organizations", &t, json!({"parent_id": "x", "name": huge})).await;
    res.expect_error(413, "payload_too_large");
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let res = TestApp::finish(
        app.client.post(app.url("/api/v1/auth/login")).header("content-type", "application/json").body(nested),
    )
    .await;
    res.expect_error(400, "invalid_request");
    let login_types =
        app.send(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": ["admin"], "password": "x"}))).await;
    assert_eq!(login_types.expect_error(400, "invalid_request")["field"], "username");
}

#[actix_web::test]
async fn bad_ids_and_empty_values_are_client_errors() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    app.get("/api/v1/organizations/not-a-uuid", &t).await.expect_error(404, "not_found");
    app.get("/api/v1/organizations/%00%27;drop", &t).await.expect_error(404, "not_found");
    app.get(&format!("/api/v1/organizations/{}", uuid::Uuid::new_v4()), &t).await.expect_error(404, "not_found");
    app.patch(&format!("/api/v1/organizations/{}", uuid::Uuid::new_v4()), &t, json!({}))
        .await
        .expect_error(404, "not_found");
    let province = app.province_id().await;
    let blank = app.post("/api/v1/organizations", &t, json!({"parent_id": province, "name": "   "})).await;
    assert_eq!(blank.expect_error(422, "validation_failed")["field"], "name");
    let control = app.post("/api/v1/organizations", &t, json!({"parent_id": province, "name": "a\u{0}b"})).await;
    assert_eq!(control.expect_error(422, "validation_failed")["field"], "name");
    let code = app
        .post("/api/v1/organizations", &t, json!({"parent_id": province, "name": "某市", "division_code": "37AB00"}))
        .await;
    assert_eq!(code.expect_error(422, "validation_failed")["field"], "division_code");
    let not_uuid_parent = app.post("/api/v1/organizations", &t, json!({"parent_id": "../..", "name": "某市"})).await;
    assert_eq!(not_uuid_parent.expect_error(404, "not_found")["field"], "parent_id");
    app.patch(&format!("/api/v1/organizations/{province}"), &t, json!({"name": ""}))
        .await
        .expect_error(422, "validation_failed");
}

#[actix_web::test]
async fn messages_are_chinese_by_default_and_english_on_request() {
    let app = TestApp::spawn().await;
    let zh = app.login("admin", "Wrong-pass-1").await.expect_error(401, "invalid_credentials");
    assert_eq!(zh["message"], "用户名或密码错误");
    let res = TestApp::finish(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("accept-language", "en-US,en;q=0.9")
            .json(&json!({"username": "admin", "password": "Wrong-pass-1"})),
    )
    .await;
    assert_eq!(res.headers.get("content-language").unwrap(), "en");
    let en = res.expect_error(401, "invalid_credentials");
    assert_eq!(en["message"], "Wrong username or password");
}
