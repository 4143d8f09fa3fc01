//! The cross-jurisdiction matrix: every staff role, against organizations outside its
//! subtree, for every operation that takes an organization. Always 403 or 404, never data.

use serde_json::{json, Value};

use crate::helpers::{credit_code, TestApp};

struct World {
    province: String,
    city_a: String,
    city_b: String,
    county_a1: String,
    county_a2: String,
    county_b1: String,
    ent_a1: String,
    ent_a2: String,
    ent_b1: String,
}

async fn world(app: &TestApp) -> World {
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city_a = app.bureau(&t, &province, "临沂市应急管理局").await;
    let city_b = app.bureau(&t, &province, "济南市应急管理局").await;
    let county_a1 = app.bureau(&t, &city_a, "兰山区应急管理局").await;
    let county_a2 = app.bureau(&t, &city_a, "罗庄区应急管理局").await;
    let county_b1 = app.bureau(&t, &city_b, "历下区应急管理局").await;
    let ent_a1 = app.enterprise(&t, &county_a1, "兰山甲公司").await;
    let ent_a2 = app.enterprise(&t, &county_a2, "罗庄乙公司").await;
    let ent_b1 = app.enterprise(&t, &county_b1, "历下丙公司").await;
    World { province, city_a, city_b, county_a1, county_a2, county_b1, ent_a1, ent_a2, ent_b1 }
}

#[track_caller]
fn refused(res: crate::helpers::Res, what: &str) {
    assert!(matches!(res.status.as_u16(), 403 | 404), "{what}: {} {}", res.status, res.body);
    assert!(res.body["code"].is_string(), "{what}: {}", res.body);
    for key in ["id", "items", "name", "account"] {
        assert!(res.body.get(key).is_none(), "{what}: leaked data {}", res.body);
    }
}

async fn assert_outside(app: &TestApp, token: &str, role: &str, outside: &[&String], inside: &[&String]) {
    // What the caller sees at all: its own subtree, and nothing outside.
    let all = app.get("/api/v1/organizations?limit=200", token).await.expect(200);
    let visible: Vec<String> =
        all["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    for org in outside {
        assert!(!visible.contains(org), "{role} lists {org}");
    }
    for org in inside {
        assert!(visible.contains(org), "{role} does not see its own {org}");
        app.get(&format!("/api/v1/organizations/{org}"), token).await.expect(200);
    }
    for org in outside {
        let what = format!("{role} → {org}");
        refused(app.get(&format!("/api/v1/organizations/{org}"), token).await, &format!("get {what}"));
        refused(
            app.patch(&format!("/api/v1/organizations/{org}"), token, json!({"contact_name": "越权"})).await,
            &format!("update {what}"),
        );
        refused(
            app.patch(&format!("/api/v1/organizations/{org}"), token, json!({"name": "越权"})).await,
            &format!("rename {what}"),
        );
        refused(
            app.post("/api/v1/organizations", token, json!({"parent_id": org, "name": "越权单位", "credit_code": credit_code(), "industry": "commerce", "size_class": "below_scale"})).await,
            &format!("create under {what}"),
        );
        refused(
            app.post("/api/v1/organizations", token, json!({"parent_id": org, "name": "越权局"})).await,
            &format!("create bureau under {what}"),
        );
        for r in ["proctor", "enterprise_admin", "county_admin", "city_admin"] {
            refused(
                app.post("/api/v1/staff-accounts", token, json!({"organization_id": org, "username": format!("x{}", uuid::Uuid::new_v4().simple()), "display_name": "越权", "role": r})).await,
                &format!("create {r} in {what}"),
            );
        }
        // Filters pointing outside give nothing beyond what the caller sees anyway.
        let listed = app.get(&format!("/api/v1/organizations?parent_id={org}"), token).await;
        if listed.status == 200 {
            for item in listed.body["items"].as_array().unwrap() {
                assert!(visible.iter().any(|v| item["id"] == v.as_str()), "list children of {what}: {item}");
            }
        } else {
            refused(listed, &format!("list children of {what}"));
        }
        let staff = app.get(&format!("/api/v1/staff-accounts?organization_id={org}"), token).await;
        if staff.status == 200 {
            assert_eq!(staff.body["items"], json!([]), "list staff of {what}");
        } else {
            refused(staff, &format!("list staff of {what}"));
        }
    }
}

#[actix_web::test]
async fn no_staff_role_reaches_outside_its_subtree() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let t = app.admin_token.clone();

    let city_admin = app.staff(&t, &w.city_a, "city_admin").await;
    assert_outside(
        &app,
        &city_admin,
        "city_admin",
        &[&w.province, &w.city_b, &w.county_b1, &w.ent_b1],
        &[&w.city_a, &w.county_a1, &w.county_a2, &w.ent_a1, &w.ent_a2],
    )
    .await;

    let county_admin = app.staff(&t, &w.county_a1, "county_admin").await;
    assert_outside(
        &app,
        &county_admin,
        "county_admin",
        &[&w.province, &w.city_a, &w.city_b, &w.county_a2, &w.county_b1, &w.ent_a2, &w.ent_b1],
        &[&w.county_a1, &w.ent_a1],
    )
    .await;

    let county_proctor = app.staff(&t, &w.county_a1, "proctor").await;
    assert_outside(
        &app,
        &county_proctor,
        "proctor (county)",
        &[&w.province, &w.city_a, &w.county_a2, &w.ent_a2, &w.ent_b1],
        &[&w.county_a1, &w.ent_a1],
    )
    .await;

    let ent_admin = app.staff(&t, &w.ent_a1, "enterprise_admin").await;
    assert_outside(
        &app,
        &ent_admin,
        "enterprise_admin",
        &[&w.province, &w.city_a, &w.county_a1, &w.county_a2, &w.ent_a2, &w.ent_b1],
        &[&w.ent_a1],
    )
    .await;

    let ent_proctor = app.staff(&t, &w.ent_a1, "proctor").await;
    assert_outside(
        &app,
        &ent_proctor,
        "proctor (enterprise)",
        &[&w.province, &w.county_a1, &w.ent_a2, &w.ent_b1],
        &[&w.ent_a1],
    )
    .await;

    // A second province admin sees everything: there is nothing outside the root.
    let province_admin = app.staff(&t, &w.province, "province_admin").await;
    assert_outside(&app, &province_admin, "province_admin", &[], &[&w.province, &w.city_b, &w.ent_b1, &w.ent_a2]).await;
}

#[actix_web::test]
async fn staff_lists_stay_inside_the_subtree() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let t = app.admin_token.clone();
    app.staff(&t, &w.county_a2, "county_admin").await;
    app.staff(&t, &w.ent_b1, "enterprise_admin").await;
    let county_admin = app.staff(&t, &w.county_a1, "county_admin").await;
    app.staff(&t, &w.ent_a1, "enterprise_admin").await;
    let listed: Value = app.get("/api/v1/staff-accounts?limit=200", &county_admin).await.expect(200);
    let orgs: Vec<&str> =
        listed["items"].as_array().unwrap().iter().map(|a| a["organization_id"].as_str().unwrap()).collect();
    assert_eq!(orgs.len(), 2, "{listed}");
    assert!(orgs.iter().all(|o| *o == w.county_a1 || *o == w.ent_a1), "{orgs:?}");
}

/// Each enterprise's registry objects: a registered worker and a registration code.
struct Registry {
    worker: String,
    code_id: String,
}

async fn registry(app: &TestApp, ent: &str, name: &str) -> Registry {
    let t = app.admin_token.clone();
    let (worker, _, _, _) = app.worker(&t, ent, name).await;
    let code = app.post("/api/v1/registration-codes", &t, json!({"organization_id": ent})).await.expect(201);
    Registry { worker, code_id: code["id"].as_str().unwrap().to_owned() }
}

async fn assert_registry_outside(
    app: &TestApp,
    token: &str,
    role: &str,
    outside_orgs: &[&String],
    outside: &[&Registry],
) {
    for org in outside_orgs {
        let what = format!("{role} → org {org}");
        refused(
            app.post("/api/v1/registration-codes", token, json!({"organization_id": org})).await,
            &format!("issue code {what}"),
        );
        let res = TestApp::finish(
            app.client
                .post(app.url(&format!("/api/v1/organizations/{org}/workers/import")))
                .bearer_auth(token)
                .header("content-type", "text/csv")
                .body("姓名,身份证号码,人员类别\n"),
        )
        .await;
        refused(res, &format!("import {what}"));
        refused(app.get(&format!("/api/v1/organizations/{org}/principals"), token).await, &format!("export {what}"));
        let listed = app.get(&format!("/api/v1/workers?organization_id={org}"), token).await;
        if listed.status == 200 {
            assert_eq!(listed.body["items"], json!([]), "list workers {what}");
        } else {
            refused(listed, &format!("list workers {what}"));
        }
        let codes = app.get(&format!("/api/v1/registration-codes?organization_id={org}"), token).await;
        if codes.status == 200 {
            assert_eq!(codes.body["items"], json!([]), "list codes {what}");
        } else {
            refused(codes, &format!("list codes {what}"));
        }
    }
    for r in outside {
        let what = format!("{role} → worker {}", r.worker);
        refused(app.get(&format!("/api/v1/workers/{}", r.worker), token).await, &format!("get {what}"));
        refused(app.get(&format!("/api/v1/workers/{}/history", r.worker), token).await, &format!("history {what}"));
        refused(
            app.patch(&format!("/api/v1/workers/{}", r.worker), token, json!({"role": "principal"})).await,
            &format!("update {what}"),
        );
        refused(
            app.patch(&format!("/api/v1/workers/{}", r.worker), token, json!({"position": "越权"})).await,
            &format!("update position {what}"),
        );
        refused(
            app.post(&format!("/api/v1/workers/{}/verification", r.worker), token, json!({"result": "verified"})).await,
            &format!("verify {what}"),
        );
        refused(
            app.post(&format!("/api/v1/registration-codes/{}/revoke", r.code_id), token, json!({})).await,
            &format!("revoke {what}"),
        );
    }
    // Unfiltered lists hold nothing from outside.
    let workers = app.get("/api/v1/workers?limit=200", token).await;
    if workers.status == 200 {
        for r in outside {
            assert!(!workers.body.to_string().contains(&r.worker), "{role} lists worker {}", r.worker);
        }
    }
    let codes = app.get("/api/v1/registration-codes?limit=200", token).await;
    if codes.status == 200 {
        for r in outside {
            assert!(!codes.body.to_string().contains(&r.code_id), "{role} lists code {}", r.code_id);
        }
    }
}

#[actix_web::test]
async fn no_role_reaches_another_jurisdictions_registry() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let t = app.admin_token.clone();
    let a1 = registry(&app, &w.ent_a1, "兰山员工").await;
    let a2 = registry(&app, &w.ent_a2, "罗庄员工").await;
    let b1 = registry(&app, &w.ent_b1, "历下员工").await;

    let city_admin = app.staff(&t, &w.city_a, "city_admin").await;
    assert_registry_outside(&app, &city_admin, "city_admin", &[&w.city_b, &w.county_b1, &w.ent_b1], &[&b1]).await;
    let county_admin = app.staff(&t, &w.county_a1, "county_admin").await;
    assert_registry_outside(
        &app,
        &county_admin,
        "county_admin",
        &[&w.county_a2, &w.ent_a2, &w.ent_b1, &w.city_a],
        &[&a2, &b1],
    )
    .await;
    let county_proctor = app.staff(&t, &w.county_a1, "proctor").await;
    assert_registry_outside(&app, &county_proctor, "proctor (county)", &[&w.ent_a2, &w.ent_b1], &[&a2, &b1]).await;
    let ent_admin = app.staff(&t, &w.ent_a1, "enterprise_admin").await;
    assert_registry_outside(&app, &ent_admin, "enterprise_admin", &[&w.ent_a2, &w.ent_b1, &w.county_a1], &[&a2, &b1])
        .await;
    let ent_proctor = app.staff(&t, &w.ent_a1, "proctor").await;
    assert_registry_outside(&app, &ent_proctor, "proctor (enterprise)", &[&w.ent_a2, &w.ent_b1], &[&a2, &b1]).await;
    // A worker of A1 reaches no other worker's record, not even in its own enterprise.
    let (_, worker_token, _, _) = app.worker(&t, &w.ent_a1, "同事").await;
    assert_registry_outside(&app, &worker_token, "worker", &[&w.ent_a1, &w.ent_a2], &[&a1, &a2, &b1]).await;
    // Inside, the county reads and checks its own.
    app.get(&format!("/api/v1/workers/{}", a1.worker), &county_admin).await.expect(200);
    app.post(&format!("/api/v1/workers/{}/verification", a1.worker), &county_admin, json!({"result": "verified"}))
        .await
        .expect(200);
}
