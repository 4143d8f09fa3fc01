//! The worker registry: records, changes with history, the bureaus' check, roster import,
//! the principals export, and personal data at rest.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{phone, resident_id, TestApp, WORKER_PASSWORD};

struct Site {
    county: String,
    ent: String,
    small_ent: String,
}

async fn site(app: &TestApp) -> Site {
    let t = app.admin_token.clone();
    let county = app.lanshan().await;
    let ent = app.enterprise(&t, &county, "临沂鲁兴化工有限公司").await; // above scale, hazardous chemicals
    let small = app
        .post(
            "/api/v1/organizations",
            &t,
            json!({"parent_id": county, "name": "临沂华盛商贸有限公司", "credit_code": crate::helpers::credit_code(),
              "industry": "commerce", "size_class": "below_scale"}),
        )
        .await
        .expect(201);
    Site { county, ent, small_ent: small["id"].as_str().unwrap().to_owned() }
}

async fn upload(app: &TestApp, token: &str, ent: &str, content_type: &str, bytes: Vec<u8>) -> crate::helpers::Res {
    TestApp::finish(
        app.client
            .post(app.url(&format!("/api/v1/organizations/{ent}/workers/import")))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(bytes),
    )
    .await
}

#[actix_web::test]
async fn lists_filter_and_mask_and_workers_see_only_themselves() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let t = app.admin_token.clone();
    let (a, a_token, a_id, _) = app.worker(&t, &s.ent, "张三").await;
    let (b, _, _, _) = app.worker(&t, &s.small_ent, "李四").await;
    let all = app.get("/api/v1/workers", &t).await.expect(200);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    for item in all["items"].as_array().unwrap() {
        assert!(item["resident_id"].as_str().unwrap().contains("**********"), "{item}");
        assert!(item["phone"].as_str().unwrap().contains("****"), "{item}");
    }
    assert!(!all.to_string().contains(&a_id), "no whole ID number in a list");
    let ids = |v: &Value| {
        v["items"].as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&app.get("/api/v1/workers?industry=hazardous_chemicals", &t).await.expect(200)), [a.as_str()]);
    assert_eq!(ids(&app.get("/api/v1/workers?size_class=below_scale", &t).await.expect(200)), [b.as_str()]);
    assert_eq!(
        ids(&app.get(&format!("/api/v1/workers?organization_id={}", s.small_ent), &t).await.expect(200)),
        [b.as_str()]
    );
    assert_eq!(ids(&app.get(&format!("/api/v1/workers?organization_id={}", s.county), &t).await.expect(200)).len(), 2);
    assert_eq!(ids(&app.get("/api/v1/workers?q=%E5%BC%A0", &t).await.expect(200)), [a.as_str()]); // q=张
    assert_eq!(
        ids(&app
            .get("/api/v1/workers?face_enrolled=false&registered=true&verification=unverified", &t)
            .await
            .expect(200))
        .len(),
        2
    );
    assert_eq!(ids(&app.get("/api/v1/workers?face_enrolled=true", &t).await.expect(200)).len(), 0);
    assert_eq!(ids(&app.get("/api/v1/workers?role=principal", &t).await.expect(200)).len(), 0);
    assert_eq!(
        app.get("/api/v1/workers?face_enrolled=maybe", &t).await.expect_error(400, "invalid_query")["field"],
        "face_enrolled"
    );
    // A worker reads its own record and nobody else's, and lists nothing.
    app.get(&format!("/api/v1/workers/{a}"), &a_token).await.expect(200);
    app.get(&format!("/api/v1/workers/{b}"), &a_token).await.expect_error(404, "not_found");
    app.get("/api/v1/workers", &a_token).await.expect_error(403, "forbidden");
    app.get("/api/v1/organizations", &a_token).await.expect(200);
    // A proctor at the county reads the county's workers.
    let proctor = app.staff(&t, &s.county, "proctor").await;
    assert_eq!(ids(&app.get("/api/v1/workers", &proctor).await.expect(200)).len(), 2);
}

#[actix_web::test]
async fn updates_follow_who_may_change_what_and_are_kept_in_history() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let t = app.admin_token.clone();
    let (w, w_token, _, _) = app.worker(&t, &s.ent, "张三").await;
    let path = format!("/api/v1/workers/{w}");
    let new_phone = phone();
    let own = app.patch(&path, &w_token, json!({"phone": new_phone, "position": "班组长"})).await.expect(200);
    assert_eq!(own["position"], "班组长");
    app.login(&new_phone, WORKER_PASSWORD).await.expect(200);
    assert_eq!(
        app.patch(&path, &w_token, json!({"role": "principal"})).await.expect_error(403, "forbidden")["field"],
        "role"
    );
    assert_eq!(
        app.patch(&path, &w_token, json!({"active": false})).await.expect_error(403, "forbidden")["field"],
        "active"
    );
    let ent_admin = app.staff(&t, &s.ent, "enterprise_admin").await;
    let by_ent = app.patch(&path, &ent_admin, json!({"role": "safety_manager", "position": null})).await.expect(200);
    assert_eq!(by_ent["role"], "safety_manager");
    assert_eq!(by_ent["position"], Value::Null);
    assert_eq!(
        app.patch(&path, &ent_admin, json!({"phone": phone()})).await.expect_error(403, "forbidden")["field"],
        "phone"
    );
    let other_ent_admin = app.staff(&t, &s.small_ent, "enterprise_admin").await;
    app.patch(&path, &other_ent_admin, json!({"role": "principal"})).await.expect_error(404, "not_found");
    let proctor = app.staff(&t, &s.ent, "proctor").await;
    app.patch(&path, &proctor, json!({"role": "principal"})).await.expect_error(403, "forbidden");
    let (_, other_token, _, other_phone) = app.worker(&t, &s.ent, "李四").await;
    app.patch(&path, &w_token, json!({"phone": other_phone})).await.expect_error(409, "phone_taken");
    app.patch(&path, &other_token, json!({"position": "x"})).await.expect_error(404, "not_found");
    app.patch(&path, &ent_admin, json!({"active": false})).await.expect(200);

    let history = app.get(&format!("{path}/history"), &w_token).await.expect(200);
    let history = history.as_array().unwrap();
    let kinds: Vec<&str> = history.iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["registered", "updated", "updated", "updated"]);
    assert_eq!(history[1]["changes"]["position"]["to"], "班组长");
    assert!(history[1]["changes"]["phone"]["to"].as_str().unwrap().contains("****"), "phones masked in history");
    assert_eq!(history[2]["changes"]["role"], json!({"from": "other_staff", "to": "safety_manager"}));
    assert_eq!(history[3]["changes"]["active"], json!({"from": true, "to": false}));
    assert!(history.iter().all(|h| h["actor_account_id"].is_string() && h["at"].is_string()));
}

#[actix_web::test]
async fn bureaus_check_records_as_real_or_flag_them() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let t = app.admin_token.clone();
    let (w, _, _, _) = app.worker(&t, &s.ent, "张三").await;
    let path = format!("/api/v1/workers/{w}/verification");
    let county = app.staff(&t, &s.county, "county_admin").await;
    let ent_admin = app.staff(&t, &s.ent, "enterprise_admin").await;
    app.post(&path, &ent_admin, json!({"result": "verified"})).await.expect_error(403, "forbidden");
    assert_eq!(
        app.post(&path, &county, json!({"result": "flagged"})).await.expect_error(422, "validation_failed")["field"],
        "reason"
    );
    app.post(&path, &county, json!({"result": "unverified"})).await.expect_error(422, "validation_failed");
    let flagged =
        app.post(&path, &county, json!({"result": "flagged", "reason": "身份证号与姓名不符"})).await.expect(200);
    assert_eq!(flagged["verification"], "flagged");
    assert_eq!(flagged["verification_reason"], "身份证号与姓名不符");
    let ok = app.post(&path, &county, json!({"result": "verified"})).await.expect(200);
    assert_eq!(ok["verification"], "verified");
    assert!(ok["verified_at"].is_string());
    let listed = app.get("/api/v1/workers?verification=verified", &county).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let history = app.get(&format!("/api/v1/workers/{w}/history"), &county).await.expect(200);
    assert_eq!(history[2]["changes"]["verification"], json!({"from": "flagged", "to": "verified"}));
}

#[actix_web::test]
async fn a_roster_import_pre_creates_workers_and_registration_binds_to_them() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let ent_admin = app.staff(&app.admin_token, &s.ent, "enterprise_admin").await;
    let (id1, id2, id3) = (resident_id(), resident_id(), resident_id());
    let csv = format!("姓名,身份证号码,手机号码,人员类别,岗位\n张三,{id1},,主要负责人,总经理\n李四,{id2},{},安全管理人员,安全员\n王五,{id3},,其他从业人员,\n", phone());
    let done = upload(&app, &ent_admin, &s.ent, "text/csv", csv.clone().into_bytes()).await.expect(201);
    assert_eq!(done, json!({"imported": 3, "unchanged": 0}));
    // Importing the same roster again changes nothing.
    let again = upload(&app, &ent_admin, &s.ent, "text/csv", csv.into_bytes()).await.expect(201);
    assert_eq!(again, json!({"imported": 0, "unchanged": 3}));
    let pre = app.get("/api/v1/workers?registered=false", &ent_admin).await.expect(200);
    assert_eq!(pre["items"].as_array().unwrap().len(), 3);
    assert_eq!(pre["items"][0]["status"], "pre_registered");
    // The worker registers with the enterprise's code: the imported record is bound.
    let code = app.code(&ent_admin, &s.ent).await;
    let wrong_name = app.register(&code, "张叁", &id1, &phone(), WORKER_PASSWORD).await;
    assert_eq!(wrong_name.expect_error(422, "name_mismatch")["field"], "name");
    let bound = app.register(&code, "张三", &id1, &phone(), WORKER_PASSWORD).await.expect(201);
    assert_eq!(bound["worker"]["id"], pre["items"][0]["id"]);
    assert_eq!(bound["worker"]["status"], "registered");
    assert_eq!(bound["worker"]["role"], "principal", "the roster's role, unless the worker chose another");
    let history = app
        .get(&format!("/api/v1/workers/{}/history", bound["worker"]["id"].as_str().unwrap()), &ent_admin)
        .await
        .expect(200);
    let kinds: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["imported", "registered"]);
}

#[actix_web::test]
async fn an_xlsx_roster_imports_too() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let mut book =
        rust_xlsxwriter_book(&[("张三", resident_id(), "主要负责人"), ("李四", resident_id(), "其他从业人员")]);
    let bytes = book.save_to_buffer().unwrap();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    upload(&app, &app.admin_token, &s.ent, xlsx, bytes).await.expect(201);
    let listed = app.get(&format!("/api/v1/workers?organization_id={}", s.ent), &app.admin_token).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

fn rust_xlsxwriter_book(rows: &[(&str, String, &str)]) -> exam_xlsx::Workbook {
    let mut book = exam_xlsx::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["姓名", "身份证号码", "人员类别"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (name, id, role)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *name).unwrap();
        sheet.write_string(r, 1, id).unwrap();
        sheet.write_string(r, 2, *role).unwrap();
    }
    book
}

/// The (row, column) of every problem an import error lists.
fn problems(err: &Value) -> Vec<(u64, &str)> {
    err["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap()))
        .collect()
}

#[actix_web::test]
async fn a_bad_roster_imports_nothing_and_reports_every_row() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let t = app.admin_token.clone();
    let (_, _, elsewhere_id, taken_phone) = app.worker(&t, &s.small_ent, "赵六").await;
    let good = resident_id();
    let bad_check = {
        let id = resident_id();
        format!("{}{}", &id[..17], if id.ends_with('0') { '1' } else { '0' })
    };
    let csv = format!(
        "姓名,身份证号码,手机号码,人员类别,岗位\n\
         张三,{good},,主要负责人,\n\
         李四,{bad_check},,安全管理人员,\n\
         ,{},,其他从业人员,\n\
         王五,{},12345,老板,\n\
         赵六,{elsewhere_id},,其他从业人员,\n\
         钱七,{},{taken_phone},其他从业人员,\n\
         孙八,{good},,其他从业人员,\n",
        resident_id(),
        resident_id(),
        resident_id()
    );
    let err = upload(&app, &t, &s.ent, "text/csv", csv.into_bytes()).await.expect_error(422, "roster_invalid");
    // Row-level problems of the file come first; problems found against the registry need a clean file.
    let found = problems(&err);
    assert_eq!(found, [(3, "身份证号码"), (4, "姓名"), (5, "手机号码"), (5, "人员类别"), (8, "身份证号码")], "{err}");
    assert!(err["errors"][0]["message"].as_str().unwrap().contains("校验位"), "{err}");
    assert!(err["errors"][4]["message"].as_str().unwrap().contains("第 2 行"), "{err}");
    assert!(!err.to_string().contains(&bad_check), "no ID number echoed");
    // Nothing was imported.
    let listed = app.get(&format!("/api/v1/workers?organization_id={}", s.ent), &t).await.expect(200);
    assert_eq!(listed["items"], json!([]));
    // A clean file that clashes with the registry: those rows are reported, nothing imported.
    let csv = format!("姓名,身份证号码,手机号码,人员类别\n张三,{good},,主要负责人\n赵六,{elsewhere_id},,其他从业人员\n钱七,{},{taken_phone},其他从业人员\n", resident_id());
    let err = upload(&app, &t, &s.ent, "text/csv", csv.into_bytes()).await.expect_error(422, "roster_invalid");
    let found = problems(&err);
    assert_eq!(found, [(3, "身份证号码"), (4, "手机号码")]);
    assert_eq!(
        app.get(&format!("/api/v1/workers?organization_id={}", s.ent), &t).await.expect(200)["items"],
        json!([])
    );
    // Files that are no roster at all.
    let err = upload(&app, &t, &s.ent, "text/csv", "名字,岗位\n张三,工人\n".as_bytes().to_vec())
        .await
        .expect_error(422, "roster_invalid");
    assert!(err["message"].as_str().unwrap().contains("身份证号码"), "{err}");
    upload(&app, &t, &s.ent, "application/octet-stream", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())
        .await
        .expect_error(422, "roster_invalid");
    upload(
        &app,
        &t,
        &s.ent,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04broken".to_vec(),
    )
    .await
    .expect_error(422, "roster_invalid");
    upload(&app, &t, &s.ent, "text/csv", vec![b'a'; 6 * 1024 * 1024]).await.expect_error(413, "payload_too_large");
    // Rosters go to enterprises, from those who manage them.
    upload(&app, &t, &s.county, "text/csv", b"x".to_vec()).await.expect_error(422, "validation_failed");
    let proctor = app.staff(&t, &s.ent, "proctor").await;
    upload(&app, &proctor, &s.ent, "text/csv", b"x".to_vec()).await.expect_error(403, "forbidden");
}

#[actix_web::test]
async fn principals_of_large_enterprises_are_exported_whole_and_audited() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let t = app.admin_token.clone();
    let ent_admin = app.staff(&t, &s.ent, "enterprise_admin").await;
    let (big_boss, small_boss, staff) = (resident_id(), resident_id(), resident_id());
    let csv =
        format!("姓名,身份证号码,人员类别,岗位\n张三,{big_boss},主要负责人,董事长\n李四,{staff},安全管理人员,安全员\n");
    upload(&app, &ent_admin, &s.ent, "text/csv", csv.into_bytes()).await.expect(201);
    let small_admin = app.staff(&t, &s.small_ent, "enterprise_admin").await;
    let csv = format!("姓名,身份证号码,人员类别\n王五,{small_boss},主要负责人\n");
    upload(&app, &small_admin, &s.small_ent, "text/csv", csv.into_bytes()).await.expect(201);

    let county = app.staff(&t, &s.county, "county_admin").await;
    let path = format!("/api/v1/organizations/{}/principals", s.county);
    let json = app.get(&path, &county).await.expect(200);
    assert_eq!(json["title"], "兰山区应急管理局规模以上企业主要负责人名单");
    assert_eq!(
        json["items"],
        json!([{"seq": 1, "name": "张三", "resident_id": big_boss, "unit_type": "危险化学品", "unit": "临沂鲁兴化工有限公司", "note": "董事长"}])
    );
    let res = app.client.get(app.url(&format!("{path}?format=xlsx"))).bearer_auth(&county).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0][0], "兰山区应急管理局规模以上企业主要负责人名单");
    assert_eq!(rows[1], ["序号", "姓名", "身份证号码", "单位类型", "工作单位", "备注"]);
    assert_eq!(rows[2], ["1", "张三", big_boss.as_str(), "危险化学品", "临沂鲁兴化工有限公司", "董事长"]);
    assert_eq!(rows.len(), 3);
    // Only bureaus export whole numbers.
    app.get(&format!("/api/v1/organizations/{}/principals", s.ent), &ent_admin).await.expect_error(403, "forbidden");
    app.get(&format!("{path}?format=pdf"), &county).await.expect_error(400, "invalid_query");
    // Each export is audited: who, what, when.
    let pool =
        models::db::pool(&models::DbUrl::parse(&app.database_url), 1, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = models::db::get(&pool).unwrap();
    let audit = models::audit::latest(&mut conn, 10).unwrap();
    let exports: Vec<&models::audit::AuditEntry> = audit.iter().filter(|e| e.action == "export_principals").collect();
    assert_eq!(exports.len(), 2);
    assert_eq!(exports[0].target, s.county);
    assert!(exports[0].details.contains("\"xlsx\"") && exports[1].details.contains("\"json\""));
    assert!(exports.iter().all(|e| e.actor_account_id.is_some() && !e.details.contains(&big_boss)));
}

#[actix_web::test]
async fn the_database_file_holds_no_plaintext_id_or_phone_numbers() {
    let app = TestApp::spawn().await;
    if !app.database_url.starts_with("sqlite") {
        return; // the file check applies to the embedded database
    }
    let s = site(&app).await;
    let (_, _, id, tel) = app.worker(&app.admin_token, &s.ent, "张三").await;
    let imported = resident_id();
    let csv = format!("姓名,身份证号码,人员类别\n李四,{imported},其他从业人员\n");
    upload(&app, &app.admin_token, &s.ent, "text/csv", csv.into_bytes()).await.expect(201);
    let mut bytes = Vec::new();
    for f in ["sanda.db", "sanda.db-wal"] {
        if let Ok(b) = std::fs::read(app.dir.path().join(f)) {
            bytes.extend(b);
        }
    }
    let name = "张三".as_bytes();
    assert!(bytes.windows(name.len()).any(|w| w == name), "the check reads the database");
    for secret in [&id, &imported, &tel, &id[6..14].to_owned()] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} stored in the clear");
    }
}

#[actix_web::test]
async fn a_worker_cannot_reach_staff_operations() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (w, token, _, _) = app.worker(&app.admin_token, &s.ent, "张三").await;
    app.post("/api/v1/registration-codes", &token, json!({"organization_id": s.ent}))
        .await
        .expect_error(403, "forbidden");
    app.post(&format!("/api/v1/workers/{w}/verification"), &token, json!({"result": "verified"}))
        .await
        .expect_error(403, "forbidden");
    app.get(&format!("/api/v1/organizations/{}/principals", s.ent), &token).await.expect_error(403, "forbidden");
    upload(&app, &token, &s.ent, "text/csv", b"x".to_vec()).await.expect_error(403, "forbidden");
    app.send(Method::GET, "/api/v1/staff-accounts", Some(&token), None).await.expect_error(403, "forbidden");
}
