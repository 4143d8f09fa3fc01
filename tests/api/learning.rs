//! 大学习 and 大培训 through the API: the course catalogue, lesson progress bounded by the
//! server's clock and the lesson, learning plans by the enterprise or its principal,
//! practice quizzes, training sessions, the attendance sheet's round trip with its
//! evidence, and the two archives.

use reqwest::Method;
use serde_json::{json, Value};

use crate::exams::{photo, site, Site};
use crate::helpers::TestApp;
use crate::reports::{all_staff_plan, close, sit, worker};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn course(title: &str, roles: Value, lessons: Value) -> Value {
    json!({"title": title, "description": "法律法规学习", "roles": roles, "industries": [], "lessons": lessons})
}

fn lesson(title: &str, secs: i64) -> Value {
    json!({"title": title, "kind": "video", "url": "https://study.example.cn/v/1", "duration_secs": secs})
}

/// Moves a worker's learning clock `secs` into the past, as if that long had passed since
/// their last report.
fn wind_back(app: &TestApp, worker: &str, secs: i64) {
    use diesel::prelude::*;
    use models::schema::learning_clocks as k;
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let at = models::now() - chrono::Duration::seconds(secs);
    diesel::update(k::table.find(worker)).set(k::reported_at.eq(at)).execute(&mut conn).unwrap();
}

async fn report(app: &TestApp, token: &str, lesson: &str, seconds: i64) -> crate::helpers::Res {
    app.post(&format!("/api/v1/lessons/{lesson}/progress"), token, json!({"seconds": seconds})).await
}

#[actix_web::test]
async fn courses_are_kept_by_bureaus_and_lessons_credit_no_more_than_the_clock_and_their_length() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let s = site(&app).await;
    let county_admin = app.staff(&t, &s.county, "county_admin").await;
    let other_city = app.bureau(&t, &app.province_id().await, "济南市应急管理局").await;
    let other_county = app.bureau(&t, &other_city, "历下区应急管理局").await;
    let other_ent = app.enterprise(&t, &other_county, "济南某公司").await;
    let (w, w_token, _) = worker(&app, &s.ent_admin, &s.ent, "学员甲", "other_staff", "操作工").await;
    let (_, far_token, _) = worker(&app, &t, &other_ent, "远方学员", "other_staff", "操作工").await;

    // Only bureaus keep courses; every part of a course is checked.
    let good =
        course("危化品安全操作规程", json!(["other_staff"]), json!([lesson("第一课", 600), lesson("第二课", 120)]));
    app.post("/api/v1/courses", &s.ent_admin, good.clone()).await.expect_error(403, "forbidden");
    let bad = |field: &str, c: Value| (field.to_owned(), c);
    for (field, c) in [
        bad("lessons", course("空课程", json!([]), json!([]))),
        bad(
            "lessons[0].url",
            course(
                "坏链接",
                json!([]),
                json!([{"title": "a", "kind": "video", "url": "ftp://x", "duration_secs": 600}]),
            ),
        ),
        bad("lessons[1].duration_secs", course("太短", json!([]), json!([lesson("a", 600), lesson("b", 30)]))),
        bad("title", course(" ", json!([]), json!([lesson("a", 600)]))),
    ] {
        let e = app.post("/api/v1/courses", &county_admin, c).await.expect_error(422, "validation_failed");
        assert_eq!(e["field"], field, "{e}");
    }
    let created = app.post("/api/v1/courses", &county_admin, good).await.expect(201);
    assert_eq!(created["total_secs"], 720);
    let lessons: Vec<String> = created["lessons"].as_array().unwrap().iter().map(id).collect();
    let principals_only = course("主要负责人法律责任", json!(["principal"]), json!([lesson("法律责任", 900)]));
    app.post("/api/v1/courses", &county_admin, principals_only).await.expect(201);

    // The worker below sees the course suiting it, with its own progress; a worker of
    // another city sees nothing of the county's.
    let mine = app.get("/api/v1/courses", &w_token).await.expect(200);
    let titles: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["危化品安全操作规程"]);
    assert_eq!(mine["items"][0]["lessons"][0]["my_seconds"], 0);
    let everything = app.get("/api/v1/courses?all=true", &w_token).await.expect(200);
    assert_eq!(everything["items"].as_array().unwrap().len(), 2);
    assert!(app.get("/api/v1/courses?all=true", &far_token).await.expect(200)["items"].as_array().unwrap().is_empty());
    report(&app, &far_token, &lessons[0], 60).await.expect_error(404, "not_found");
    report(&app, &s.ent_admin, &lessons[0], 60).await.expect_error(403, "not_a_worker");
    for seconds in [0, -5, 86_401] {
        let e = report(&app, &w_token, &lessons[0], seconds).await.expect_error(422, "validation_failed");
        assert_eq!(e["field"], "seconds");
    }

    // Ten hours claimed at once: one report's worth counts.
    let first = report(&app, &w_token, &lessons[0], 36_000).await.expect(200);
    assert_eq!((first["credited_seconds"].as_i64(), first["not_credited_seconds"].as_i64()), (Some(300), Some(35_700)));
    // Right after, another 200 s claimed: no more than the seconds that passed (and slack).
    let again = report(&app, &w_token, &lessons[0], 200).await.expect(200);
    assert!(again["credited_seconds"].as_i64().unwrap() <= 6, "{again}");
    // Two lessons at once are one clock: the other lesson gets no more either.
    let other = report(&app, &w_token, &lessons[1], 100).await.expect(200);
    assert!(other["credited_seconds"].as_i64().unwrap() <= 6, "{other}");
    // Five reports at once, a minute after the last: together they count no more than the
    // minute (and each report's slack); those that lose the race to the clock say so.
    wind_back(&app, &w, 60);
    let at_once = futures_util::future::join_all((0..5).map(|_| report(&app, &w_token, &lessons[1], 60))).await;
    let mut counted = 0;
    for r in at_once {
        match r.status.as_u16() {
            200 => counted += r.body["credited_seconds"].as_i64().unwrap(),
            409 => assert_eq!(r.body["code"], "progress_conflict"),
            other => panic!("{other}: {}", r.body),
        }
    }
    assert!((1..=60 + 5 * 5).contains(&counted), "{counted}");
    // Two minutes later, 100 s claimed: all of it counts.
    wind_back(&app, &w, 120);
    let later = report(&app, &w_token, &lessons[0], 100).await.expect(200);
    assert_eq!(later["credited_seconds"], 100);
    let so_far = later["seconds"].as_i64().unwrap();
    assert!((400..=412).contains(&so_far), "{later}");
    // Much later, more than the lesson has left: it counts up to its length and is done.
    wind_back(&app, &w, 3600);
    let done = report(&app, &w_token, &lessons[0], 300).await.expect(200);
    assert_eq!((done["seconds"].as_i64(), done["completed"].as_bool()), (Some(600), Some(true)));
    assert_eq!(done["credited_seconds"].as_i64(), Some(600 - so_far));
    wind_back(&app, &w, 3600);
    let over = report(&app, &w_token, &lessons[0], 60).await.expect(200);
    assert_eq!((over["credited_seconds"].as_i64(), over["seconds"].as_i64()), (Some(0), Some(600)));
    let listed = app.get("/api/v1/courses", &w_token).await.expect(200);
    assert_eq!(listed["items"][0]["lessons"][0]["my_seconds"], 600);
    assert_eq!(listed["items"][0]["lessons"][0]["my_completed"], true);
}

#[actix_web::test]
async fn the_enterprise_or_its_principal_sets_the_learning_plan_its_workers_read() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let s = site(&app).await;
    let county_admin = app.staff(&t, &s.county, "county_admin").await;
    let created = app
        .post("/api/v1/courses", &county_admin, course("应急处置", json!([]), json!([lesson("第一课", 600)])))
        .await
        .expect(201);
    let course_id = id(&created);
    let far = app.bureau(&t, &app.province_id().await, "济南市应急管理局").await;
    let far_admin = app.staff(&t, &far, "city_admin").await;
    let far_course = app
        .post("/api/v1/courses", &far_admin, course("济南课程", json!([]), json!([lesson("第一课", 600)])))
        .await
        .expect(201);
    let (_, staff_token, _) = worker(&app, &s.ent_admin, &s.ent, "普通员工", "other_staff", "操作工").await;
    let (_, boss_token, _) = worker(&app, &s.ent_admin, &s.ent, "王总", "principal", "总经理").await;

    let plan = |items: Value| json!({"title": "2026年“大学习”计划", "starts_on": "2026-07-01", "ends_on": "2026-08-20", "items": items});
    let items = json!([
        {"content": "law", "law": "work_safety_law", "roles": ["principal", "safety_manager"]},
        {"content": "course", "course_id": course_id, "roles": ["other_staff"], "starts_on": "2026-07-10", "ends_on": "2026-07-31"},
        {"content": "material", "title": "本企业岗位操作规程", "url": "https://intranet.example.cn/rules", "focus": ["operating_rules"]},
    ]);
    let path = format!("/api/v1/organizations/{}/learning-plans", s.ent);
    for (field, bad) in [
        ("items[0].law", json!([{"content": "law", "law": "operating_skills"}])),
        ("items[0].course_id", json!([{"content": "course", "course_id": id(&far_course)}])),
        ("items[0].course_id", json!([{"content": "course"}])),
        ("items[0].starts_on", json!([{"content": "law", "law": "work_safety_law", "starts_on": "2026-06-01"}])),
        ("items[0].title", json!([{"content": "material"}])),
        ("items", json!([])),
    ] {
        let e = app.post(&path, &s.ent_admin, plan(bad)).await.expect_error(422, "validation_failed");
        assert_eq!(e["field"], field, "{e}");
    }
    let mut ancient = plan(items.clone());
    ancient["starts_on"] = json!("1900-01-01");
    let e = app.post(&path, &s.ent_admin, ancient).await.expect_error(422, "validation_failed");
    assert_eq!(e["field"], "starts_on");
    app.post(&path, &staff_token, plan(items.clone())).await.expect_error(403, "forbidden");
    app.post(&path, &county_admin, plan(items.clone())).await.expect_error(403, "forbidden");
    let by_admin = app.post(&path, &s.ent_admin, plan(items.clone())).await.expect(201);
    assert_eq!(by_admin["items"][0]["title"], "安全生产法");
    assert_eq!(by_admin["items"][0]["focus"], json!(["laws_rules", "management"]), "the roles' focus by default");
    assert_eq!(by_admin["items"][1]["title"], "应急处置");
    assert_eq!(
        by_admin["items"][1]["focus"],
        json!(["operating_rules", "accident_cases", "hazard_spotting", "emergency_handling"])
    );
    assert_eq!(by_admin["items"][2]["roles"], json!([]));
    assert_eq!(by_admin["items"][2]["starts_on"], "2026-07-01");
    // The principal, signed in as a worker, sets one too.
    app.post(&path, &boss_token, plan(items)).await.expect(201);
    let read = app.get(&path, &staff_token).await.expect(200);
    assert_eq!(read["items"].as_array().unwrap().len(), 2);
    app.get(&path, &far_admin).await.expect_error(404, "not_found");
}

#[actix_web::test]
async fn practice_draws_the_workers_questions_with_their_answers_and_counts_nothing() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (_, w_token, _) = worker(&app, &s.ent_admin, &s.ent, "练习者", "other_staff", "操作工").await;
    let quiz = app.post("/api/v1/me/practice", &w_token, json!({"count": 5})).await.expect(201);
    let questions = quiz["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 5);
    let ids: std::collections::HashSet<&str> = questions.iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5, "no question twice");
    for q in questions {
        assert!(!q["answer"].as_str().unwrap().is_empty() && q["legal_basis"].as_str().unwrap().contains("安全生产法"));
    }
    let laws =
        app.post("/api/v1/me/practice", &w_token, json!({"category": "self_rescue", "count": 100})).await.expect(201);
    assert!(laws["questions"].as_array().unwrap().iter().all(|q| q["category"] == "self_rescue"));
    assert_eq!(laws["questions"].as_array().unwrap().len(), 15, "every question of the category, once");
    app.post("/api/v1/me/practice", &w_token, json!({"category": "hazard_rules"}))
        .await
        .expect_error(422, "no_practice_questions");
    let e = app.post("/api/v1/me/practice", &w_token, json!({"count": 0})).await.expect_error(422, "validation_failed");
    assert_eq!(e["field"], "count");
    app.post("/api/v1/me/practice", &s.ent_admin, json!({})).await.expect_error(403, "not_a_worker");
}

/// A 2×2 PNG.
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(2, 2, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// The downloaded template filled in: every cell copied, the fields and attendees written.
fn fill(template: &[u8], fields: &[(&str, &str)], attendees: &[(&str, &str)]) -> Vec<u8> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(template.to_vec())).unwrap();
    let range = book.worksheet_range("培训签到表").unwrap();
    let mut out = exam_xlsx::Workbook::new();
    let sheet = out.add_worksheet();
    sheet.set_name("培训签到表").unwrap();
    let mut header = None;
    for (r, row) in range.rows().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let text = match cell {
                Data::String(s) => s.clone(),
                Data::Float(f) => f.to_string(),
                Data::Int(i) => i.to_string(),
                _ => continue,
            };
            sheet.write_string(r as u32, c as u16, &text).unwrap();
            if c == 0 {
                if let Some((_, v)) = fields.iter().find(|(label, _)| *label == text) {
                    sheet.write_string(r as u32, 1, *v).unwrap();
                }
            }
            if text == "姓名" {
                header = Some(r as u32);
            }
        }
    }
    let header = header.expect("the template has the attendee header");
    for (i, (name, rid)) in attendees.iter().enumerate() {
        let r = header + 1 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, *name).unwrap();
        sheet.write_string(r, 2, *rid).unwrap();
    }
    out.save_to_buffer().unwrap()
}

const FIELDS: [(&str, &str); 7] = [
    ("培训主题", "危险化学品安全操作规程"),
    ("培训级别", "车间级"),
    ("培训日期", "2026-08-25"),
    ("学时", "2.5"),
    ("授课人", "张工"),
    ("培训方式", "委托培训机构"),
    ("培训单位", "临沂安全培训中心"),
];

/// A multipart form: the sheet and the evidence files as (name, type, bytes).
fn form(sheet: Option<Vec<u8>>, files: Vec<(&str, &str, Vec<u8>)>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    if let Some(sheet) = sheet {
        let part = reqwest::multipart::Part::bytes(sheet).file_name("签到表.xlsx");
        form = form.part("template", part);
    }
    for (name, kind, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(kind).unwrap();
        form = form.part("evidence", part);
    }
    form
}

async fn upload(app: &TestApp, ent: &str, token: &str, form: reqwest::multipart::Form) -> crate::helpers::Res {
    let req = app
        .client
        .post(app.url(&format!("/api/v1/organizations/{ent}/training-records")))
        .bearer_auth(token)
        .multipart(form);
    TestApp::finish(req).await
}

/// Every evidence file kept on disk, sealed.
fn stored(app: &TestApp) -> Vec<Vec<u8>> {
    fn walk(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.dir.path().join("evidence"), &mut out);
    out
}

async fn sessions(app: &TestApp, s: &Site) -> Vec<Value> {
    let archive = app.get(&format!("/api/v1/organizations/{}/archive", s.ent), &s.ent_admin).await.expect(200);
    archive["training_sessions"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn the_attendance_sheet_goes_round_and_a_bad_row_or_file_keeps_nothing() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let s = site(&app).await;
    let (a, _, a_rid) = worker(&app, &s.ent_admin, &s.ent, "参训甲", "other_staff", "操作工").await;
    let (b, _, b_rid) = worker(&app, &s.ent_admin, &s.ent, "参训乙", "safety_manager", "安全员").await;
    let other = app.enterprise(&t, &s.county, "邻家公司").await;
    let (_, _, stranger_rid) = worker(&app, &t, &other, "外单位人", "other_staff", "操作工").await;

    let template_path = format!("/api/v1/organizations/{}/training-template", s.ent);
    let res = app.client.get(app.url(&template_path)).bearer_auth(&s.ent_admin).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let template = res.bytes().await.unwrap().to_vec();
    let county_admin = app.staff(&t, &s.county, "county_admin").await;
    app.get(&template_path, &county_admin).await.expect_error(403, "forbidden");

    // A bad row: nothing is kept, every problem listed by row.
    let wrong = fill(&template, &FIELDS, &[("参训甲", &a_rid), ("张冠李戴", &b_rid), ("外单位人", &stranger_rid)]);
    let e = upload(&app, &s.ent, &s.ent_admin, form(Some(wrong), vec![("现场.png", "image/png", png())]))
        .await
        .expect_error(422, "training_record_invalid");
    let rows: Vec<(i64, &str)> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), r["column"].as_str().unwrap()))
        .collect();
    assert_eq!(rows.len(), 2, "{e}");
    assert_eq!(rows[0].1, "姓名");
    assert_eq!(rows[1].1, "身份证号码");
    assert_eq!(rows[1].0, rows[0].0 + 1);
    assert!(sessions(&app, &s).await.is_empty() && stored(&app).is_empty());

    // Refused files, each for what it is; nothing kept either.
    let sheet = fill(&template, &FIELDS, &[("参训甲", &a_rid), ("参训乙", &b_rid)]);
    let exe = b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode".to_vec();
    for (file, code, status) in [
        (("照片.jpg", "image/jpeg", png()), "evidence_disguised", 422),
        (("扫描.pdf", "application/pdf", photo("df_img01.jpg")), "evidence_disguised", 422),
        (("照片.jpg", "image/jpeg", exe), "evidence_unsupported", 422),
        (("动图.gif", "image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()), "evidence_unsupported", 422),
        (("半张.png", "image/png", png()[..20].to_vec()), "evidence_damaged", 422),
        (("大图.jpg", "image/jpeg", vec![0xFF; 10 * 1024 * 1024 + 1]), "evidence_too_large", 413),
    ] {
        let name = file.0;
        let e =
            upload(&app, &s.ent, &s.ent_admin, form(Some(sheet.clone()), vec![("现场.png", "image/png", png()), file]))
                .await
                .expect_error(status, code);
        assert_eq!(e["field"], "evidence[1]", "{name}: {e}");
    }
    let e = upload(&app, &s.ent, &s.ent_admin, form(Some(sheet.clone()), vec![]))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(e["field"], "evidence");
    let e = upload(&app, &s.ent, &s.ent_admin, form(None, vec![("现场.png", "image/png", png())]))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(e["field"], "template");
    let stray = form(Some(sheet.clone()), vec![("现场.png", "image/png", png())])
        .part("photo", reqwest::multipart::Part::bytes(png()).file_name("x.png"));
    let e = upload(&app, &s.ent, &s.ent_admin, stray).await.expect_error(422, "validation_failed");
    assert_eq!(e["field"], "photo");
    let roster = b"\xe5\xa7\x93\xe5\x90\x8d,\xe6\x89\x8b\xe6\x9c\xba\n\xe5\xbc\xa0\xe4\xb8\x89,13800000000\n".to_vec();
    upload(&app, &s.ent, &s.ent_admin, form(Some(roster), vec![("现场.png", "image/png", png())]))
        .await
        .expect_error(422, "training_record_invalid");
    let plain = app
        .client
        .post(app.url(&format!("/api/v1/organizations/{}/training-records", s.ent)))
        .bearer_auth(&s.ent_admin)
        .json(&json!({}));
    TestApp::finish(plain).await.expect_error(415, "unsupported_media_type");
    upload(&app, &s.ent, &county_admin, form(Some(sheet.clone()), vec![("现场.png", "image/png", png())]))
        .await
        .expect_error(403, "forbidden");
    assert!(sessions(&app, &s).await.is_empty() && stored(&app).is_empty());

    // The good sheet with a photo and a scan.
    let jpeg = photo("df_img01.jpg");
    let made = upload(
        &app,
        &s.ent,
        &s.ent_admin,
        form(
            Some(sheet),
            vec![
                ("现场照片.JPG", "image/jpeg", jpeg.clone()),
                ("签到表扫描", "application/octet-stream", PDF.to_vec()),
            ],
        ),
    )
    .await
    .expect(201);
    assert_eq!(made["attendees"], 2);
    assert_eq!((made["level"].as_str(), made["hours"].as_f64()), (Some("workshop"), Some(2.5)));
    assert_eq!((made["provider"].as_str(), made["provider_name"].as_str()), (Some("agency"), Some("临沂安全培训中心")));
    assert_eq!(made["source"], "upload");
    let evidence = made["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2);
    assert_eq!((evidence[0]["kind"].as_str(), evidence[1]["kind"].as_str()), (Some("jpeg"), Some("pdf")));
    assert_eq!(
        (evidence[0]["file_name"].as_str(), evidence[1]["file_name"].as_str()),
        (Some("现场照片.JPG"), Some("签到表扫描"))
    );
    // Kept sealed: neither file is on disk as it came.
    let on_disk = stored(&app);
    assert_eq!(on_disk.len(), 2);
    assert!(on_disk.iter().all(|f| !f.windows(4).any(|w| w == b"JFIF") && !f.starts_with(b"%PDF")));
    // And read back whole, by the enterprise and the bureaus above it only.
    let href = evidence[0]["href"].as_str().unwrap();
    let res = app.client.get(app.url(href)).bearer_auth(&county_admin).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), jpeg);
    let neighbour = app.staff(&t, &other, "enterprise_admin").await;
    app.get(href, &neighbour).await.expect_error(404, "not_found");
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let audited: Vec<_> = models::audit::latest(&mut conn, 50)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "download_training_evidence")
        .map(|e| e.target)
        .collect();
    assert_eq!(audited, [id(&evidence[0])], "the download is audited, the refusal is not");

    // A session entered in the app.
    let path = format!("/api/v1/organizations/{}/training-sessions", s.ent);
    let entered = json!({"topic": "新员工三级教育", "level": "company", "held_on": "2026-08-20", "hours": 8,
                         "trainer": "李经理", "provider": "own", "attendees": [a]});
    for (field, change) in [
        ("provider_name", json!({"provider": "agency"})),
        ("hours", json!({"hours": 1.3})),
        ("held_on", json!({"held_on": "2099-01-01"})),
        ("attendees", json!({"attendees": []})),
    ] {
        let mut body = entered.clone();
        body.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
        let e = app.post(&path, &s.ent_admin, body).await.expect_error(422, "validation_failed");
        assert_eq!(e["field"], field, "{e}");
    }
    let stranger =
        app.get(&format!("/api/v1/workers?organization_id={other}"), &t).await.expect(200)["items"][0]["id"].clone();
    let mut body = entered.clone();
    body["attendees"] = json!([a, stranger]);
    let e = app.post(&path, &s.ent_admin, body).await.expect_error(422, "validation_failed");
    assert_eq!(e["field"], "attendees[1]");
    let made = app.post(&path, &s.ent_admin, entered).await.expect(201);
    assert_eq!((made["source"].as_str(), made["attendees"].as_i64()), (Some("entered"), Some(1)));

    // Training feeds the coverage report: two of two workers trained at 车间级, one at 公司级.
    let cov = app
        .get(&format!("/api/v1/reports/coverage?organization_id={}&group_by=enterprise", s.county), &county_admin)
        .await
        .expect(200);
    let row = cov["rows"].as_array().unwrap().iter().find(|r| r["organization_id"] == s.ent.as_str()).unwrap().clone();
    assert_eq!(
        (row["trained_workshop"].as_i64(), row["trained_company"].as_i64(), row["trained_team"].as_i64()),
        (Some(2), Some(1), Some(0))
    );
    assert_eq!(row["trained_workshop_rate"], 1.0);
    assert_eq!(row["trained_company_rate"], 0.5);
    let _ = b;

    // Training counts where it was given: a worker who moves to another enterprise is not
    // trained there, and no longer counts here.
    let code = app.code(&t, &other).await;
    app.register(&code, "参训甲", &a_rid, &crate::helpers::phone(), crate::helpers::WORKER_PASSWORD).await.expect(201);
    let cov = app
        .get(&format!("/api/v1/reports/coverage?organization_id={}&group_by=enterprise", s.county), &county_admin)
        .await
        .expect(200);
    let trained = |org: &str| {
        let row = cov["rows"].as_array().unwrap().iter().find(|r| r["organization_id"] == org).unwrap().clone();
        (row["workers"].as_i64(), row["trained_workshop"].as_i64(), row["trained_company"].as_i64())
    };
    assert_eq!(trained(&s.ent), (Some(1), Some(1), Some(0)));
    assert_eq!(trained(&other), (Some(2), Some(0), Some(0)));
}

#[actix_web::test]
async fn archives_hold_the_whole_campaign_for_the_enterprise_and_the_bureaus_above_only() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let s = site(&app).await;
    let county_admin = app.staff(&t, &s.county, "county_admin").await;
    let (w, w_token, rid) = worker(&app, &s.ent_admin, &s.ent, "档案人", "safety_manager", "安全员").await;
    let (_, absent_token, _) = worker(&app, &s.ent_admin, &s.ent, "缺考人", "other_staff", "操作工").await;
    let created = app
        .post("/api/v1/courses", &county_admin, course("安全管理", json!([]), json!([lesson("第一课", 600)])))
        .await
        .expect(201);
    report(&app, &w_token, &id(&created["lessons"][0]), 120).await.expect(200);
    app.post("/api/v1/me/practice", &w_token, json!({"count": 3})).await.expect(201);
    app.post(
        &format!("/api/v1/organizations/{}/training-sessions", s.ent),
        &s.ent_admin,
        json!({"topic": "班前会", "level": "team", "held_on": "2026-08-21", "hours": 0.5, "trainer": "班长",
               "provider": "own", "key_position": true, "attendees": [w]}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/organizations/{}/learning-plans", s.ent),
        &s.ent_admin,
        json!({"title": "学习计划", "starts_on": "2026-07-01", "ends_on": "2026-08-20",
               "items": [{"content": "law", "law": "hazard_rules"}]}),
    )
    .await
    .expect(201);
    // An exam: failed by one, missed by the other.
    let plan = all_staff_plan(&app, &s.ent_admin, &s.ent, &s.bank).await;
    sit(&app, &w_token, &plan, false).await;
    close(&app, &s.ent_admin, &plan).await;
    let _ = absent_token;

    let path = format!("/api/v1/workers/{w}/archive");
    let a = app.get(&path, &county_admin).await.expect(200);
    assert_eq!(a["worker"]["name"], "档案人");
    assert_ne!(a["worker"]["resident_id"], rid.as_str(), "masked");
    assert!(!a.to_string().contains(&rid), "the ID number never in full");
    assert_eq!(a["face"]["enrolled"], true);
    assert!(a["face"].get("template").is_none() && !a.to_string().contains("embedding"));
    assert!(a["history"].as_array().unwrap().iter().any(|h| h["kind"] == "registered"));
    assert_eq!(a["learning"]["lessons"][0]["lesson_title"], "第一课");
    assert_eq!(a["learning"]["practice_quizzes"], 1);
    assert_eq!((a["training"]["team_hours"].as_f64(), a["training"]["total_hours"].as_f64()), (Some(0.5), Some(0.5)));
    assert_eq!(a["training"]["sessions"][0]["key_position"], true);
    let exam = &a["exams"][0];
    assert_eq!(
        (exam["kind"].as_str(), exam["passed"].as_bool(), exam["absent"].as_bool()),
        (Some("enterprise_all_staff"), Some(false), Some(false))
    );
    assert_eq!(exam["result"], exam["score"].to_string().as_str());
    let absent = app.get("/api/v1/workers?limit=200", &s.ent_admin).await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "缺考人")
        .map(id)
        .unwrap();
    let b = app.get(&format!("/api/v1/workers/{absent}/archive"), &s.ent_admin).await.expect(200);
    assert_eq!((b["exams"][0]["absent"].as_bool(), b["exams"][0]["result"].as_str()), (Some(true), Some("缺考")));

    // As a workbook of five sheets.
    let res = app.client.get(app.url(&format!("{path}?format=xlsx"))).bearer_auth(&s.ent_admin).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["基本信息", "信息变更", "学习", "培训", "考试"]);
    let info = book.worksheet_range("基本信息").unwrap();
    assert!(info
        .rows()
        .any(|r| r[0] == calamine::Data::String("姓名".into()) && r[1] == calamine::Data::String("档案人".into())));

    // The enterprise's archive.
    let e = app.get(&format!("/api/v1/organizations/{}/archive", s.ent), &county_admin).await.expect(200);
    assert_eq!(e["learning_plans"][0]["items"][0]["title"], "安全生产事故隐患排查治理暂行规定");
    assert_eq!(e["training_sessions"][0]["topic"], "班前会");
    assert_eq!((e["coverage"]["workers"].as_i64(), e["coverage"]["trained_team"].as_i64()), (Some(2), Some(1)));
    assert_eq!(e["coverage"]["trained_team_rate"], 0.5);
    assert_eq!((e["exams"][0]["candidates"].as_i64(), e["exams"][0]["absent"].as_i64()), (Some(2), Some(1)));
    let res = app
        .client
        .get(app.url(&format!("/api/v1/organizations/{}/archive?format=xlsx", s.ent)))
        .bearer_auth(&s.ent_admin)
        .send()
        .await
        .unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["企业信息", "学习计划", "培训记录", "考试情况"]);
    assert_eq!(book.worksheet_range("培训记录").unwrap().rows().count(), 3, "title, header, the session");

    // Nobody else: not the worker, not a proctor, not a neighbour, not another city.
    app.get(&path, &w_token).await.expect_error(403, "forbidden");
    let proctor = app.staff(&t, &s.ent, "proctor").await;
    app.get(&path, &proctor).await.expect_error(403, "forbidden");
    let neighbour_ent = app.enterprise(&t, &s.county, "邻家公司").await;
    let neighbour = app.staff(&t, &neighbour_ent, "enterprise_admin").await;
    app.get(&path, &neighbour).await.expect_error(404, "not_found");
    app.get(&format!("/api/v1/organizations/{}/archive", s.ent), &neighbour).await.expect_error(404, "not_found");
    let (platform, _) = app.platform().await;
    let _ = platform;
    let county_archive = app.get(&format!("/api/v1/organizations/{}/archive", s.county), &county_admin).await;
    county_archive.expect_error(422, "validation_failed");
    let _ = app.send(Method::GET, "/api/v1/healthz", None, None).await;
}
