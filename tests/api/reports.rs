//! The bureaus' reports through the API, on a county with two enterprises of two
//! industries: an exam with a pass, a fail, an absentee and a cheat, then a makeup;
//! 附件3's rows and totals, 附件4's lines with 缺考 and 作弊 written in, the publication list
//! with masked ID numbers, the coverage dashboard, their workbooks, and who may see them.

use reqwest::Method;
use serde_json::{json, Value};

use crate::exams::{key_of, small_blueprint, start, verification, window};
use crate::helpers::{credit_code, phone, resident_id, TestApp, WORKER_PASSWORD};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A worker of `role` with a position; (worker id, token, resident id).
pub(crate) async fn worker(
    app: &TestApp,
    admin: &str,
    ent: &str,
    name: &str,
    role: &str,
    position: &str,
) -> (String, String, String) {
    let code = app.code(admin, ent).await;
    let rid = resident_id();
    let body = app
        .send(
            Method::POST,
            "/api/v1/workers/register",
            None,
            Some(json!({"code": code, "name": name, "resident_id": rid, "phone": phone(), "password": WORKER_PASSWORD,
                        "role": role, "position": position, "face_consent": {"version": "2026-01", "accepted": true}})),
        )
        .await
        .expect(201);
    (
        body["worker"]["id"].as_str().unwrap().to_owned(),
        body["tokens"]["access_token"].as_str().unwrap().to_owned(),
        rid,
    )
}

async fn enterprise(app: &TestApp, county: &str, name: &str, industry: &str) -> String {
    let body = app
        .post(
            "/api/v1/organizations",
            &app.admin_token,
            json!({"parent_id": county, "name": name, "credit_code": credit_code(), "industry": industry,
                   "size_class": "below_scale", "contact_name": "李四", "contact_phone": "13805391234"}),
        )
        .await
        .expect(201);
    id(&body)
}

pub(crate) async fn all_staff_plan(app: &TestApp, admin: &str, ent: &str, bank: &str) -> String {
    let (ws, we) = window(-60, 60);
    let plan = app
        .post(
            "/api/v1/exam-plans",
            admin,
            json!({"organizer_id": ent, "liveness_at_start": false, "liveness_in_checks": false,
                   "kind": "enterprise_all_staff", "name": "全员考试", "window_start": ws, "window_end": we,
                   "bank_ids": [bank], "blueprint": small_blueprint()}),
        )
        .await
        .expect(201);
    id(&plan)
}

/// Answers every question right (`right`) or none, and hands in.
pub(crate) async fn sit(app: &TestApp, token: &str, plan: &str, right: bool) -> Value {
    let paper = start(app, token, plan).await;
    let attempt = id(&paper);
    if right {
        for q in paper["questions"].as_array().unwrap() {
            let path = format!("/api/v1/attempts/{attempt}/answers/{}", q["position"]);
            app.send(Method::PUT, &path, Some(token), Some(json!({"answer": key_of(q), "seq": 1}))).await.expect(200);
        }
    }
    app.post(&format!("/api/v1/attempts/{attempt}/submit"), token, json!({})).await.expect(200)
}

/// Closes a plan's window and waits for the sweeper to record its absentees.
pub(crate) async fn close(app: &TestApp, admin: &str, plan: &str) {
    let (ws, we) = window(-120, 0);
    app.patch(&format!("/api/v1/exam-plans/{plan}"), admin, json!({"window_start": ws, "window_end": we}))
        .await
        .expect(200);
    for _ in 0..50 {
        let plan = app.get(&format!("/api/v1/exam-plans/{plan}"), admin).await.expect(200);
        if plan["absentees_recorded"] == true {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("absentees never recorded");
}

fn sheet(bytes: Vec<u8>, name: &str) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect()
}

async fn download(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let res = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    res.bytes().await.unwrap().to_vec()
}

#[actix_web::test]
async fn a_countys_reports_count_every_outcome_once() {
    let app = &TestApp::spawn().await;
    let (s, _) = crate::exams::site_with(app, &crate::exams::synthetic_bank(45)).await;
    let county_admin = app.staff(&app.admin_token, &s.county, "county_admin").await;
    let shop = enterprise(app, &s.county, "临沂惠民商贸有限公司", "commerce").await;
    let shop_admin = app.staff(&app.admin_token, &shop, "enterprise_admin").await;
    let (_, zhang, _) = worker(app, &s.ent_admin, &s.ent, "张三", "other_staff", "操作工").await;
    let (li_id, li, _) = worker(app, &s.ent_admin, &s.ent, "李四", "safety_manager", "安全员").await;
    let (wang_id, wang, wang_rid) = worker(app, &s.ent_admin, &s.ent, "王五", "principal", "总经理").await;
    let (zhao_id, zhao, _) = worker(app, &shop_admin, &shop, "赵六", "other_staff", "营业员").await;
    verification(app, &li).await; // enrolls a face; 李四 then stays away

    // The chemical works' exam: 张三 passes, 王五 fails, 李四 is absent.
    let plan = all_staff_plan(app, &s.ent_admin, &s.ent, &s.bank).await;
    assert_eq!(sit(app, &zhang, &plan, true).await["passed"], true);
    assert_eq!(sit(app, &wang, &plan, false).await["passed"], false);
    // The shop's: 赵六 is caught cheating.
    let shop_plan = all_staff_plan(app, &shop_admin, &shop, &s.bank).await;
    let paper = start(app, &zhao, &shop_plan).await;
    app.post(&format!("/api/v1/attempts/{}/cheating", id(&paper)), &shop_admin, json!({"reason": "夹带资料"}))
        .await
        .expect(200);
    close(app, &s.ent_admin, &plan).await;
    close(app, &shop_admin, &shop_plan).await;
    // The makeup: 李四 passes it, 王五 fails again.
    let (ms, me) = window(1, 120);
    let makeup = app
        .post(
            "/api/v1/exam-plans",
            &s.ent_admin,
            json!({"liveness_at_start": false, "liveness_in_checks": false, "kind": "makeup", "name": "补考",
                   "original_plan_id": plan, "window_start": ms, "window_end": me, "bank_ids": [s.bank],
                   "blueprint": small_blueprint()}),
        )
        .await
        .expect(201);
    assert_eq!(makeup["candidate_count"], 2);
    // Opened at once (the original closed a moment ago).
    let (ms, me) = window(-1, 120);
    app.patch(
        &format!("/api/v1/exam-plans/{}", id(&makeup)),
        &s.ent_admin,
        json!({"window_start": ms, "window_end": me}),
    )
    .await
    .expect(200);
    assert_eq!(sit(app, &li, &id(&makeup), true).await["passed"], true);
    assert_eq!(sit(app, &wang, &id(&makeup), false).await["passed"], false);

    // 附件3: per industry, and the total.
    let q = format!("organization_id={}&reviewer=孙科长", s.county);
    let summary = app.get(&format!("/api/v1/reports/execution-summary?{q}"), &county_admin).await.expect(200);
    let rows = summary["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 13, "{summary}");
    let row = |label: &str| rows.iter().find(|r| r["label"] == label).unwrap().clone();
    let chem = row("危险化学品");
    assert_eq!((chem["enterprises"].as_i64(), chem["participants"].as_i64()), (Some(1), Some(3)), "{chem}");
    assert_eq!(chem["enterprise_exam"], json!({"examined": 3, "passed": 2, "failed": 1}), "{chem}");
    assert_eq!(row("商贸")["enterprise_exam"], json!({"examined": 1, "passed": 0, "failed": 1}));
    assert_eq!(row("冶金")["enterprises"], 0);
    let total = row("合计");
    assert_eq!((total["enterprises"].as_i64(), total["participants"].as_i64()), (Some(2), Some(4)));
    assert_eq!(total["enterprise_exam"], json!({"examined": 4, "passed": 2, "failed": 2}));
    assert_eq!(total["county_exam"], json!({"examined": 0, "passed": 0, "failed": 0}));
    assert_eq!(summary["footer"]["reviewer"], "孙科长");
    assert_eq!(summary["footer"]["filled_by"], "测试员");
    assert!(summary["title"].as_str().unwrap().contains("兰山区"), "{summary}");
    // The city sums its county; a date range before the exams counts none.
    let city_id = app.get(&format!("/api/v1/organizations/{}", s.county), &app.admin_token).await.expect(200)
        ["parent_id"]
        .clone();
    let city = app
        .get(
            &format!("/api/v1/reports/execution-summary?organization_id={}", city_id.as_str().unwrap()),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(city["rows"][12], total);
    assert!(city["title"].as_str().unwrap().contains("临沂市"), "{city}");
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(2)).date_naive();
    let before = app
        .get(&format!("/api/v1/reports/execution-summary?{q}&from={yesterday}&to={yesterday}"), &county_admin)
        .await
        .expect(200);
    assert_eq!(before["rows"][12]["enterprise_exam"]["examined"], 0);
    assert_eq!(before["rows"][12]["participants"], 4, "registration is as of now");
    let book = sheet(
        download(app, &format!("/api/v1/reports/execution-summary?{q}&format=xlsx"), &county_admin).await,
        "附件3",
    );
    let chem_row = book.iter().find(|r| r[0] == "危险化学品").unwrap();
    assert_eq!(chem_row[1..6], ["1", "3", "3", "2", "1"]);
    assert!(book.iter().any(|r| r[0].contains("审核人：孙科长")));

    // 附件4: every first-exam failure, with 缺考, 作弊 and the makeup beside it.
    let failures = app.get(&format!("/api/v1/reports/failures?{q}"), &county_admin).await.expect(200);
    let items = failures["items"].as_array().unwrap();
    let line =
        |name: &str| items.iter().find(|l| l["name"] == name).cloned().unwrap_or_else(|| panic!("{name}: {failures}"));
    assert_eq!(items.len(), 3, "{failures}");
    let w = line("王五");
    assert_eq!((w["first_result"].as_str(), w["makeup_result"].as_str()), (Some("0"), Some("0")), "{w}");
    assert_eq!(
        (w["person_type"].as_str(), w["county"].as_str()),
        (Some("主要负责人（总经理）"), Some("兰山区应急管理局"))
    );
    assert_eq!(w["worker_id"], wang_id.as_str());
    let l = line("李四");
    assert_eq!(
        (l["first_result"].as_str(), l["makeup_result"].as_str(), l["passed_makeup"].as_bool()),
        (Some("缺考"), Some("100"), Some(true))
    );
    assert_eq!(l["worker_id"], li_id.as_str());
    let z = line("赵六");
    assert_eq!((z["first_result"].as_str(), z["makeup_result"].is_null()), (Some("作弊"), true), "{z}");
    assert_eq!(
        (z["worker_id"].as_str(), z["enterprise"].as_str()),
        (Some(zhao_id.as_str()), Some("临沂惠民商贸有限公司"))
    );
    assert!(!failures.to_string().contains(&wang_rid), "no ID number in 附件4");
    let book = sheet(download(app, &format!("/api/v1/reports/failures?{q}&format=xlsx"), &county_admin).await, "附件4");
    let wang_row = book.iter().find(|r| r.get(1).is_some_and(|c| c == "王五")).unwrap();
    assert_eq!(
        wang_row[2..8],
        ["兰山区应急管理局", "临沂鲁兴化工有限公司", "主要负责人（总经理）", "全员考试", "0", "0"]
    );
    assert!(book.iter().any(|r| r.get(6).is_some_and(|c| c == "作弊")));

    // The publication list: the principal still failing, ID masked.
    let public = app.get(&format!("/api/v1/reports/publication-list?{q}"), &county_admin).await.expect(200);
    let items = public["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{public}");
    let masked = format!("{}**********{}", &wang_rid[..4], &wang_rid[14..]);
    assert_eq!((items[0]["name"].as_str(), items[0]["resident_id"].as_str()), (Some("王五"), Some(masked.as_str())));
    assert!(!public.to_string().contains(&wang_rid));
    let book = sheet(
        download(app, &format!("/api/v1/reports/publication-list?{q}&format=xlsx"), &county_admin).await,
        "公示名单",
    );
    assert!(book.iter().any(|r| r.get(2) == Some(&masked)));

    // Coverage: per county, per enterprise, and the plans.
    let coverage = app
        .get(&format!("/api/v1/reports/coverage?{q}").replace("&reviewer=孙科长", ""), &county_admin)
        .await
        .expect(200);
    let rows = coverage["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{coverage}");
    assert_eq!((rows[0]["name"].as_str(), rows[0]["workers"].as_i64()), (Some("兰山区应急管理局"), Some(4)));
    assert_eq!(
        (rows[0]["face_enrolled"].as_i64(), rows[0]["examined"].as_i64(), rows[0]["passed"].as_i64()),
        (Some(4), Some(4), Some(2))
    );
    assert_eq!((rows[0]["face_enrolled_rate"].as_f64(), rows[0]["pass_rate"].as_f64()), (Some(1.0), Some(0.5)));
    let plans = coverage["plans"].as_array().unwrap();
    let first = plans.iter().find(|p| p["plan_id"] == plan.as_str()).unwrap();
    assert_eq!(
        (first["candidates"].as_i64(), first["sat"].as_i64(), first["passed"].as_i64(), first["absent"].as_i64()),
        (Some(3), Some(2), Some(1), Some(1)),
        "{first}"
    );
    let shop_row = plans.iter().find(|p| p["plan_id"] == shop_plan.as_str()).unwrap();
    assert_eq!(
        (shop_row["sat"].as_i64(), shop_row["cheating"].as_i64(), shop_row["passed"].as_i64()),
        (Some(1), Some(1), Some(0))
    );
    let per_ent = app
        .get(&format!("/api/v1/reports/coverage?organization_id={}&group_by=enterprise", s.county), &county_admin)
        .await
        .expect(200);
    assert_eq!(per_ent["rows"].as_array().unwrap().len(), 3, "two enterprises and the total: {per_ent}");
    // An enterprise sees its own coverage, not the county's reports.
    let own = app
        .get(&format!("/api/v1/reports/coverage?organization_id={shop}&group_by=enterprise"), &shop_admin)
        .await
        .expect(200);
    assert_eq!(
        (own["rows"][0]["name"].as_str(), own["rows"][0]["workers"].as_i64()),
        (Some("临沂惠民商贸有限公司"), Some(1))
    );
    let book = sheet(
        download(app, &format!("/api/v1/reports/coverage?organization_id={}&format=xlsx", s.county), &county_admin)
            .await,
        "进度统计",
    );
    assert!(book
        .iter()
        .any(|r| r.get(1).is_some_and(|c| c == "兰山区应急管理局") && r.get(5).is_some_and(|c| c == "100.0%")));
}

/// Reverts the migrations down to and including `version`, then migrates again.
fn redo_migrations_since(conn: &mut models::DbConn, version: &str) {
    use diesel_migrations::MigrationHarness;
    let version = version.replace('-', "");
    loop {
        let reverted = match conn {
            models::DbConn::Sqlite(c) => c.revert_last_migration(models::db::SQLITE_MIGRATIONS),
            models::DbConn::Postgres(c) => c.revert_last_migration(models::db::POSTGRES_MIGRATIONS),
        }
        .expect("revert")
        .to_string()
        .replace('-', "");
        if reverted == version {
            break;
        }
    }
    models::db::migrate(conn).expect("migrate again");
}

/// The reports count the outcomes kept on the candidate rows; the migration that added
/// them fills them in for exams finished before it, so an upgraded server reports the
/// same as before.
#[actix_web::test]
async fn outcomes_of_exams_finished_before_the_upgrade_are_still_counted() {
    let app = &TestApp::spawn().await;
    let (s, _) = crate::exams::site_with(app, &crate::exams::synthetic_bank(45)).await;
    let (_, zhang, _) = worker(app, &s.ent_admin, &s.ent, "张三", "other_staff", "操作工").await;
    let (_, wang, _) = worker(app, &s.ent_admin, &s.ent, "王五", "principal", "总经理").await;
    let (_, zhao, _) = worker(app, &s.ent_admin, &s.ent, "赵六", "other_staff", "营业员").await;
    let plan = all_staff_plan(app, &s.ent_admin, &s.ent, &s.bank).await;
    sit(app, &zhang, &plan, true).await;
    sit(app, &wang, &plan, false).await;
    let paper = start(app, &zhao, &plan).await;
    app.post(&format!("/api/v1/attempts/{}/cheating", id(&paper)), &s.ent_admin, json!({"reason": "夹带资料"}))
        .await
        .expect(200);
    let reports = || async {
        let q = format!("organization_id={}", s.county);
        let summary = app.get(&format!("/api/v1/reports/execution-summary?{q}"), &app.admin_token).await.expect(200);
        let failures = app.get(&format!("/api/v1/reports/failures?{q}"), &app.admin_token).await.expect(200);
        let coverage = app.get(&format!("/api/v1/reports/coverage?{q}"), &app.admin_token).await.expect(200);
        (summary["rows"][12].clone(), failures["items"].clone(), coverage["plans"].clone())
    };
    let before = reports().await;
    assert_eq!(before.0["enterprise_exam"], json!({"examined": 3, "passed": 1, "failed": 2}), "{before:?}");
    assert_eq!(before.1.as_array().unwrap().len(), 2, "{before:?}");
    assert_eq!((before.2[0]["sat"].as_i64(), before.2[0]["cheating"].as_i64()), (Some(3), Some(1)));

    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    redo_migrations_since(&mut conn, "2026-12-02-000001");
    assert_eq!(reports().await, before);
}

#[actix_web::test]
async fn reports_stay_inside_the_callers_jurisdiction() {
    let app = &TestApp::spawn().await;
    let (s, _) = crate::exams::site_with(app, &crate::exams::synthetic_bank(45)).await;
    let province = app.province_id().await;
    let other_city = app.bureau(&app.admin_token, &province, "济南市应急管理局").await;
    let other_county = app.bureau(&app.admin_token, &other_city, "历下区应急管理局").await;
    let other_admin = app.staff(&app.admin_token, &other_county, "county_admin").await;
    let (_, worker_token, _) = worker(app, &s.ent_admin, &s.ent, "张三", "other_staff", "操作工").await;
    for op in ["execution-summary", "failures", "publication-list", "coverage"] {
        let path = format!("/api/v1/reports/{op}?organization_id={}", s.county);
        app.get(&path, &other_admin).await.expect_error(404, "not_found");
        app.get(&path, &worker_token).await.expect_error(403, "forbidden");
        // Its own county, even with nobody in it, answers.
        let own = app.get(&format!("/api/v1/reports/{op}"), &other_admin).await.expect(200);
        assert!(own["title"].as_str().unwrap().contains("历下区"), "{own}");
        app.get(&format!("/api/v1/reports/{op}?organization_id=nonsense"), &other_admin)
            .await
            .expect_error(404, "not_found");
        app.get(&format!("/api/v1/reports/{op}?from=2026-10-02&to=2026-10-01"), &other_admin)
            .await
            .expect_error(400, "invalid_query");
        app.get(&format!("/api/v1/reports/{op}?from=yesterday"), &other_admin).await.expect_error(400, "invalid_query");
        app.get(&format!("/api/v1/reports/{op}?to=1900-01-01"), &other_admin).await.expect_error(400, "invalid_query");
        app.get(&format!("/api/v1/reports/{op}?colour=red"), &other_admin).await.expect_error(400, "invalid_query");
    }
    // The enterprise admin sees coverage of its own enterprise only, and no other report.
    app.get(&format!("/api/v1/reports/coverage?organization_id={}", s.county), &s.ent_admin)
        .await
        .expect_error(404, "not_found");
    app.get("/api/v1/reports/execution-summary", &s.ent_admin).await.expect_error(403, "forbidden");
    app.get("/api/v1/reports/coverage", &s.ent_admin).await.expect(200);
}
