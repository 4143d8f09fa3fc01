//! Staff accounts: who may create which role where.

use serde_json::json;

use crate::helpers::{TestApp, STAFF_PASSWORD};

#[actix_web::test]
async fn staff_accounts_are_created_with_a_one_time_password() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city = app.bureau(&t, &province, "临沂市应急管理局").await;
    let created = app
        .post(
            "/api/v1/staff-accounts",
            &t,
            json!({"organization_id": city, "username": "Linyi.Admin", "display_name": "张伟", "role": "city_admin"}),
        )
        .await
        .expect(201);
    assert_eq!(created["account"]["username"], "linyi.admin");
    assert_eq!(created["account"]["must_change_password"], true);
    let initial = created["initial_password"].as_str().unwrap();
    let first = app.login("linyi.admin", initial).await.expect(200);
    assert_eq!(first["must_change_password"], true);
    // With a chosen password nothing is echoed back.
    let chosen = app
        .post("/api/v1/staff-accounts", &t, json!({"organization_id": city, "username": "linyi.two", "display_name": "李娜", "role": "city_admin", "password": STAFF_PASSWORD}))
        .await
        .expect(201);
    assert_eq!(chosen["initial_password"], serde_json::Value::Null);
    app.post(
        "/api/v1/staff-accounts",
        &t,
        json!({"organization_id": city, "username": "LINYI.ADMIN", "display_name": "重名", "role": "city_admin"}),
    )
    .await
    .expect_error(409, "username_taken");
    let weak = app
        .post("/api/v1/staff-accounts", &t, json!({"organization_id": city, "username": "linyi.three", "display_name": "王", "role": "city_admin", "password": "12345678"}))
        .await;
    assert_eq!(weak.expect_error(422, "validation_failed")["field"], "password");
    let listed = app.get(&format!("/api/v1/staff-accounts?organization_id={city}"), &t).await.expect(200);
    let names: Vec<&str> =
        listed["items"].as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["linyi.admin", "linyi.two"]);
    assert!(listed["items"][0].get("password_hash").is_none());
}

#[actix_web::test]
async fn roles_live_at_their_level_and_creators_stay_in_their_lane() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city = app.bureau(&t, &province, "临沂市应急管理局").await;
    let county = app.bureau(&t, &city, "兰山区应急管理局").await;
    let ent = app.enterprise(&t, &county, "临沂华盛商贸有限公司").await;
    let new = |org: &str, role: &str, user: &str| json!({"organization_id": org, "username": user, "display_name": "测试", "role": role});
    let wrong_level = app.post("/api/v1/staff-accounts", &t, new(&ent, "county_admin", "user.x1")).await;
    assert_eq!(wrong_level.expect_error(422, "validation_failed")["field"], "role");
    app.post("/api/v1/staff-accounts", &t, new(&ent, "worker", "user.x2")).await.expect_error(422, "validation_failed");
    app.post("/api/v1/staff-accounts", &t, new(&province, "integration_client", "user.x3"))
        .await
        .expect_error(422, "validation_failed");
    let ent_admin = app.staff(&t, &ent, "enterprise_admin").await;
    app.post("/api/v1/staff-accounts", &ent_admin, new(&ent, "proctor", "site.proctor")).await.expect(201);
    app.post("/api/v1/staff-accounts", &ent_admin, new(&ent, "enterprise_admin", "second.admin")).await.expect(201);
    // The county bureau is outside an enterprise's jurisdiction.
    app.post("/api/v1/staff-accounts", &ent_admin, new(&county, "proctor", "user.x5"))
        .await
        .expect_error(404, "not_found");
    let county_admin = app.staff(&t, &county, "county_admin").await;
    app.post("/api/v1/staff-accounts", &county_admin, new(&county, "proctor", "county.proctor")).await.expect(201);
    app.post("/api/v1/staff-accounts", &county_admin, new(&county, "county_admin", "county.colleague"))
        .await
        .expect(201);
    let proctor = app.staff(&t, &ent, "proctor").await;
    app.post("/api/v1/staff-accounts", &proctor, new(&ent, "proctor", "user.x4")).await.expect_error(403, "forbidden");
    app.get("/api/v1/staff-accounts", &proctor).await.expect_error(403, "forbidden");
    app.post("/api/v1/integration-clients", &county_admin, json!({"name": "某平台"}))
        .await
        .expect_error(403, "forbidden");
    app.get("/api/v1/staff-accounts?role=worker", &t).await.expect_error(400, "invalid_query");
}
