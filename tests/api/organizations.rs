//! The hierarchy: creating, reading, listing and changing organizations.

use serde_json::json;

use crate::helpers::{credit_code, TestApp};

#[actix_web::test]
async fn the_hierarchy_nests_one_level_at_a_time() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city = app
        .post(
            "/api/v1/organizations",
            &t,
            json!({"parent_id": province, "name": "临沂市应急管理局", "division_code": "371300"}),
        )
        .await
        .expect(201);
    assert_eq!(city["level"], "city");
    assert_eq!(city["division_code"], "371300");
    let county = app.bureau(&t, city["id"].as_str().unwrap(), "临沂高新技术产业开发区应急管理局").await;
    let code = credit_code();
    let ent = app
        .post(
            "/api/v1/organizations",
            &t,
            json!({"parent_id": county, "name": "临沂恒达机械制造有限公司", "credit_code": code.to_lowercase(),
                   "industry": "machinery", "size_class": "below_scale", "address": "临沂高新区科技大道88号",
                   "contact_name": "王五", "contact_phone": "0539-8888888"}),
        )
        .await
        .expect(201);
    assert_eq!(ent["level"], "enterprise");
    assert_eq!(ent["credit_code"], code, "stored in upper case");
    assert_eq!(ent["contact_phone"], "05398888888");
    let res = app.post("/api/v1/organizations", &t, json!({"parent_id": ent["id"], "name": "车间"})).await;
    assert_eq!(res.expect_error(422, "validation_failed")["field"], "parent_id");
    let got = app.get(&format!("/api/v1/organizations/{}", ent["id"].as_str().unwrap()), &t).await.expect(200);
    assert_eq!(got["name"], "临沂恒达机械制造有限公司");
    assert_eq!(got["industry"], "machinery");
}

#[actix_web::test]
async fn enterprise_fields_are_required_on_enterprises_only() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city = app.bureau(&t, &province, "临沂市应急管理局").await;
    let bad = app
        .post(
            "/api/v1/organizations",
            &t,
            json!({"parent_id": province, "name": "济南市应急管理局", "industry": "commerce"}),
        )
        .await;
    assert_eq!(bad.expect_error(422, "validation_failed")["field"], "industry");
    let county = app.bureau(&t, &city, "兰山区应急管理局").await;
    let missing = app
        .post(
            "/api/v1/organizations",
            &t,
            json!({"parent_id": county, "name": "某公司", "credit_code": credit_code(), "size_class": "above_scale"}),
        )
        .await;
    assert_eq!(missing.expect_error(422, "validation_failed")["field"], "industry");
}

#[actix_web::test]
async fn a_wrong_credit_code_check_character_is_named() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city = app.bureau(&t, &province, "临沂市应急管理局").await;
    let county = app.bureau(&t, &city, "兰山区应急管理局").await;
    let good = credit_code();
    let last = good.chars().last().unwrap();
    let wrong = format!("{}{}", &good[..17], if last == '0' { '1' } else { '0' });
    let res = app
        .post("/api/v1/organizations", &t, json!({"parent_id": county, "name": "某公司", "credit_code": wrong, "industry": "commerce", "size_class": "below_scale"}))
        .await;
    let body = res.expect_error(422, "validation_failed");
    assert_eq!(body["field"], "credit_code");
    assert!(body["message"].as_str().unwrap().contains("校验位"), "{body}");
    let short = app
        .post("/api/v1/organizations", &t, json!({"parent_id": county, "name": "某公司", "credit_code": "9137", "industry": "commerce", "size_class": "below_scale"}))
        .await;
    assert_eq!(short.expect_error(422, "validation_failed")["field"], "credit_code");
}

#[actix_web::test]
async fn duplicates_are_conflicts() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city = app.bureau(&t, &province, "临沂市应急管理局").await;
    app.post("/api/v1/organizations", &t, json!({"parent_id": province, "name": "临沂市应急管理局"}))
        .await
        .expect_error(409, "name_taken");
    let a = app.bureau(&t, &city, "兰山区应急管理局").await;
    let b = app.bureau(&t, &city, "罗庄区应急管理局").await;
    let code = credit_code();
    let new = |parent: &str, name: &str| json!({"parent_id": parent, "name": name, "credit_code": code, "industry": "commerce", "size_class": "below_scale"});
    app.post("/api/v1/organizations", &t, new(&a, "甲公司")).await.expect(201);
    app.post("/api/v1/organizations", &t, new(&b, "乙公司")).await.expect_error(409, "credit_code_taken");
    // The same name under another parent is fine.
    app.enterprise(&t, &b, "丙公司").await;
    app.enterprise(&t, &a, "丙公司").await;
}

#[actix_web::test]
async fn lists_page_with_cursors_filter_and_mask_phones() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city = app.bureau(&t, &province, "临沂市应急管理局").await;
    let county = app.bureau(&t, &city, "兰山区应急管理局").await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(app.enterprise(&t, &county, &format!("企业{i}号")).await);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/organizations?parent_id={county}&limit=2&cursor={c}"),
            None => format!("/api/v1/organizations?parent_id={county}&limit=2"),
        };
        let page = app.get(&path, &t).await.expect(200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        for it in items {
            assert_eq!(it["contact_phone"], "138****1234", "masked in lists");
            seen.push(it["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, made, "every enterprise once, in creation order");
    let by_level = app
        .get("/api/v1/organizations?level=enterprise&industry=hazardous_chemicals&size_class=above_scale", &t)
        .await
        .expect(200);
    assert_eq!(by_level["items"].as_array().unwrap().len(), 5);
    let by_name = app.get("/api/v1/organizations?q=%E4%BC%81%E4%B8%9A3", &t).await.expect(200); // q=企业3
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    // `%` and `_` in a search are literal.
    let wild = app.get("/api/v1/organizations?q=%25", &t).await.expect(200);
    assert_eq!(wild["items"].as_array().unwrap().len(), 0);
    let one = app.get(&format!("/api/v1/organizations/{}", made[0]), &t).await.expect(200);
    assert_eq!(one["contact_phone"], "13805391234", "whole when read one by one");
    app.get("/api/v1/organizations?cursor=bm9wZQ", &t).await.expect_error(400, "invalid_cursor");
    assert_eq!(app.get("/api/v1/organizations?limit=0", &t).await.expect_error(400, "invalid_query")["field"], "limit");
    assert_eq!(
        app.get("/api/v1/organizations?limit=abc", &t).await.expect_error(400, "invalid_query")["field"],
        "limit"
    );
    assert_eq!(
        app.get("/api/v1/organizations?level=planet", &t).await.expect_error(400, "invalid_query")["field"],
        "level"
    );
}

#[actix_web::test]
async fn updates_follow_who_may_change_what() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let province = app.province_id().await;
    let city = app.bureau(&t, &province, "临沂市应急管理局").await;
    let county = app.bureau(&t, &city, "兰山区应急管理局").await;
    let ent = app.enterprise(&t, &county, "临沂华盛商贸有限公司").await;
    let county_admin = app.staff(&t, &county, "county_admin").await;
    let ent_admin = app.staff(&t, &ent, "enterprise_admin").await;
    let proctor = app.staff(&t, &ent, "proctor").await;
    let path = format!("/api/v1/organizations/{ent}");
    // The county changes its enterprises.
    let changed = app
        .patch(&path, &county_admin, json!({"name": "临沂华盛商贸集团有限公司", "size_class": "above_scale"}))
        .await
        .expect(200);
    assert_eq!(changed["name"], "临沂华盛商贸集团有限公司");
    assert_eq!(changed["size_class"], "above_scale");
    assert_eq!(changed["industry"], "hazardous_chemicals", "untouched fields stay");
    // The enterprise keeps its own contact current, and nothing else.
    let contact = app
        .patch(&path, &ent_admin, json!({"contact_name": "赵六", "contact_phone": "13905390000", "address": null}))
        .await
        .expect(200);
    assert_eq!(contact["contact_name"], "赵六");
    assert_eq!(contact["address"], serde_json::Value::Null);
    let res = app.patch(&path, &ent_admin, json!({"name": "改名公司"})).await;
    assert_eq!(res.expect_error(403, "forbidden")["field"], "name");
    app.patch(&path, &proctor, json!({"contact_name": "某人"})).await.expect_error(403, "forbidden");
    // A county admin may not rename its own bureau, only keep its contact current.
    app.patch(&format!("/api/v1/organizations/{county}"), &county_admin, json!({"name": "别名"}))
        .await
        .expect_error(403, "forbidden");
    app.patch(&format!("/api/v1/organizations/{county}"), &county_admin, json!({"contact_phone": "0539-1234567"}))
        .await
        .expect(200);
    let bad = app.patch(&path, &county_admin, json!({"contact_phone": "12345"})).await;
    assert_eq!(bad.expect_error(422, "validation_failed")["field"], "contact_phone");
    let bureau_fields =
        app.patch(&format!("/api/v1/organizations/{county}"), &t, json!({"industry": "commerce"})).await;
    assert_eq!(bureau_fields.expect_error(422, "validation_failed")["field"], "industry");
}
