//! The exam schedule (附件5 考试安排表): the three kinds of exam and makeups, who sits each,
//! when (China time) and where, for a county, an enterprise and a city, in JSON and XLSX.

use serde_json::{json, Value};

use crate::exams::{site, small_blueprint, Site};
use crate::helpers::TestApp;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn schedule_path(org: &str) -> String {
    format!("/api/v1/organizations/{org}/exam-schedule")
}

/// A plan of `kind` organized by `organizer`, over a window in UTC.
async fn plan(
    app: &TestApp,
    token: &str,
    s: &Site,
    organizer: &str,
    kind: &str,
    name: &str,
    window: (&str, &str),
) -> Value {
    let mut body = json!({"organizer_id": organizer, "kind": kind, "name": name, "window_start": window.0,
                          "window_end": window.1, "bank_ids": [s.bank], "blueprint": small_blueprint()});
    if kind != "enterprise_all_staff" {
        // The test's enterprises are all above scale: take every principal.
        body["candidate_filter"] = json!({"roles": ["principal"]});
    }
    app.post("/api/v1/exam-plans", token, body).await.expect(201)
}

/// A session of `plan` seating `workers`; its end defaults to the start plus 60 minutes.
async fn session(
    app: &TestApp,
    token: &str,
    plan: &Value,
    site_name: &str,
    times: (&str, Option<&str>),
    seats: i64,
    workers: &[&str],
) -> Value {
    let mut body = json!({"site_name": site_name, "address": "临沂市兰山区北城新区1号", "starts_at": times.0,
                          "capacity": seats});
    if let Some(end) = times.1 {
        body["ends_at"] = json!(end);
    }
    let created = app.post(&format!("/api/v1/exam-plans/{}/sessions", id(plan)), token, body).await.expect(201);
    if !workers.is_empty() {
        app.post(&format!("/api/v1/exam-sessions/{}/candidates", id(&created)), token, json!({"worker_ids": workers}))
            .await
            .expect(200);
    }
    created
}

/// A registered worker made principal by the province admin.
async fn principal(app: &TestApp, ent_admin: &str, ent: &str, name: &str) -> String {
    let (w, _, _, _) = app.worker(ent_admin, ent, name).await;
    app.patch(&format!("/api/v1/workers/{w}"), &app.admin_token, json!({"role": "principal"})).await.expect(200);
    w
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

/// (考试类型, 考试时间, 考试地点, 已安排人数) of each row.
fn summary(v: &Value) -> Vec<(String, String, String, Option<i64>)> {
    items(v)
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap().to_owned();
            (text("kind_label"), text("time"), text("place"), r["assigned"].as_i64())
        })
        .collect()
}

#[actix_web::test]
async fn the_schedule_lists_every_kind_of_exam_with_who_when_and_where() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let s = site(&app).await;
    let county_admin = app.staff(&t, &s.county, "county_admin").await;
    let city = app.get(&format!("/api/v1/organizations/{}", s.county), &t).await.expect(200)["parent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ent2 = app.enterprise(&t, &s.county, "临沂华盛商贸有限公司").await;
    let ent2_admin = app.staff(&t, &ent2, "enterprise_admin").await;
    let luozhuang = app.bureau(&t, &city, "罗庄区应急管理局").await;
    let ent3 = app.enterprise(&t, &luozhuang, "临沂罗庄建材有限公司").await;
    let ent3_admin = app.staff(&t, &ent3, "enterprise_admin").await;
    let p1 = principal(&app, &s.ent_admin, &s.ent, "张三").await;
    let (w2, worker_token, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    let p2 = principal(&app, &ent2_admin, &ent2, "王五").await;
    let p3 = principal(&app, &ent3_admin, &ent3, "赵六").await;
    let p4 = principal(&app, &ent3_admin, &ent3, "钱七").await;
    let province = app.get("/api/v1/me", &t).await.expect(200)["organization"]["name"].as_str().unwrap().to_owned();

    // The enterprise's all-staff exam: one session.
    let all_staff = plan(
        &app,
        &s.ent_admin,
        &s,
        &s.ent,
        "enterprise_all_staff",
        "全员考试",
        ("2030-09-20T00:00:00Z", "2030-09-30T00:00:00Z"),
    )
    .await;
    let room = json!({"site_name": "鲁兴化工培训室", "address": "临沂市兰山区化工路8号",
                      "starts_at": "2030-09-21T01:00:00Z", "capacity": 30});
    let room =
        app.post(&format!("/api/v1/exam-plans/{}/sessions", id(&all_staff)), &s.ent_admin, room).await.expect(201);
    app.post(&format!("/api/v1/exam-sessions/{}/candidates", id(&room)), &s.ent_admin, json!({"worker_ids": [p1, w2]}))
        .await
        .expect(200);
    // The county's principals' exam: two sessions, morning and afternoon.
    let county_plan = plan(
        &app,
        &county_admin,
        &s,
        &s.county,
        "county_principals",
        "2030年兰山区主要负责人考试",
        ("2030-09-24T00:00:00Z", "2030-09-27T00:00:00Z"),
    )
    .await;
    let center = "兰山区应急管理局考试中心";
    session(&app, &county_admin, &county_plan, center, ("2030-09-25T01:00:00Z", None), 40, &[&p1]).await;
    session(&app, &county_admin, &county_plan, center, ("2030-09-25T06:00:00Z", None), 40, &[&p2]).await;
    // The province's unified exam: one session seats a principal of 兰山区 (and one of
    // 罗庄区), another only 罗庄区's.
    let unified = plan(
        &app,
        &t,
        &s,
        &app.province_id().await,
        "province_unified",
        "2030年全省大统考",
        ("2030-10-10T00:00:00Z", "2030-10-12T00:00:00Z"),
    )
    .await;
    session(&app, &t, &unified, "临沂市考点", ("2030-10-10T01:00:00Z", Some("2030-10-10T03:00:00Z")), 100, &[&p1, &p4])
        .await;
    session(&app, &t, &unified, "罗庄区考点", ("2030-10-11T01:00:00Z", None), 100, &[&p3]).await;
    // A makeup with no session yet.
    app.post(
        "/api/v1/exam-plans",
        &s.ent_admin,
        json!({"kind": "makeup", "name": "全员考试补考", "original_plan_id": id(&all_staff),
               "window_start": "2030-10-20T00:00:00Z", "window_end": "2030-10-25T00:00:00Z",
               "bank_ids": [s.bank], "blueprint": small_blueprint()}),
    )
    .await
    .expect(201);

    let county = app.get(&schedule_path(&s.county), &county_admin).await.expect(200);
    assert_eq!(county["title"], "兰山区应急管理局“大考试”考试安排表");
    let at_center = format!("{center}（临沂市兰山区北城新区1号）");
    let row =
        |kind: &str, time: &str, place: &str, n: Option<i64>| (kind.to_owned(), time.to_owned(), place.to_owned(), n);
    assert_eq!(
        summary(&county),
        [
            row("企业全员考试", "2030-09-21 09:00–10:00", "鲁兴化工培训室（临沂市兰山区化工路8号）", Some(2)),
            row("县级主要负责人考试", "2030-09-25 09:00–10:00", &at_center, Some(1)),
            row("县级主要负责人考试", "2030-09-25 14:00–15:00", &at_center, Some(1)),
            // Only 兰山区's candidate counts; 罗庄区's session is not listed.
            row("全省大统考", "2030-10-10 09:00–11:00", "临沂市考点（临沂市兰山区北城新区1号）", Some(1)),
            row("补考", "2030-10-20 08:00–2030-10-25 08:00", "未安排考点", None),
        ]
    );
    let rows = items(&county);
    let seqs: Vec<i64> = rows.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(rows[0]["roles_label"], "主要负责人、安全管理人员、其他从业人员");
    assert_eq!(rows[0]["roles"], json!(["principal", "safety_manager", "other_staff"]));
    assert_eq!(
        (rows[0]["capacity"].as_i64(), rows[0]["organizer_name"].as_str()),
        (Some(30), Some("临沂鲁兴化工有限公司"))
    );
    assert_eq!(rows[0]["starts_at"], "2030-09-21T09:00:00+08:00");
    assert_eq!(rows[0]["ends_at"], "2030-09-21T10:00:00+08:00");
    assert_eq!(rows[1]["roles_label"], "主要负责人");
    assert_eq!(rows[1]["organizer_name"], "兰山区应急管理局");
    assert_eq!(rows[1]["plan_name"], "2030年兰山区主要负责人考试");
    assert_eq!(rows[3]["organizer_name"], province.as_str());
    assert_eq!(rows[3]["roles_label"], "主要负责人");
    assert_eq!(rows[4]["roles_label"], "主要负责人、安全管理人员、其他从业人员");
    assert_eq!((rows[4]["session_id"].is_null(), rows[4]["capacity"].is_null()), (true, true));
    assert_eq!(rows[4]["starts_at"], "2030-10-20T08:00:00+08:00");

    // Only what overlaps the range (China time or UTC alike).
    let day = app
        .get(
            &format!("{}?from=2030-09-25T00:00:00%2B08:00&to=2030-09-26T00:00:00%2B08:00", schedule_path(&s.county)),
            &county_admin,
        )
        .await
        .expect(200);
    let times: Vec<String> = summary(&day).into_iter().map(|r| r.1).collect();
    assert_eq!(times, ["2030-09-25 09:00–10:00", "2030-09-25 14:00–15:00"]);
    let late =
        app.get(&format!("{}?from=2030-10-15T00:00:00Z", schedule_path(&s.county)), &county_admin).await.expect(200);
    assert_eq!(summary(&late).into_iter().map(|r| r.0).collect::<Vec<_>>(), ["补考"]);
    let wrong = format!("{}?from=2030-10-15T00:00:00Z&to=2030-10-01T00:00:00Z", schedule_path(&s.county));
    app.get(&wrong, &county_admin).await.expect_error(400, "invalid_query");
    app.get(&format!("{}?from=yesterday", schedule_path(&s.county)), &county_admin)
        .await
        .expect_error(400, "invalid_query");

    // An enterprise sees its own exams and the sessions seating its people; a city sees its
    // counties', with every candidate of its own counted.
    let ent = app.get(&schedule_path(&s.ent), &s.ent_admin).await.expect(200);
    let times: Vec<String> = summary(&ent).into_iter().map(|r| r.1).collect();
    assert_eq!(
        times,
        [
            "2030-09-21 09:00–10:00",
            "2030-09-25 09:00–10:00",
            "2030-10-10 09:00–11:00",
            "2030-10-20 08:00–2030-10-25 08:00"
        ]
    );
    let city_view = app.get(&schedule_path(&city), &t).await.expect(200);
    let unified_rows: Vec<Option<i64>> =
        items(&city_view).iter().filter(|r| r["kind"] == "province_unified").map(|r| r["assigned"].as_i64()).collect();
    assert_eq!(unified_rows, [Some(2), Some(1)]);

    // XLSX: the same rows under the title and the headers.
    let res = app
        .client
        .get(app.url(&format!("{}?format=xlsx", schedule_path(&s.county))))
        .bearer_auth(&county_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, "附件5").unwrap();
    let cells: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|d| d.to_string()).collect()).collect();
    assert_eq!(cells.len(), 7, "title, headers and five rows");
    assert_eq!(cells[0][0], "兰山区应急管理局“大考试”考试安排表");
    assert_eq!(
        cells[1],
        ["序号", "考试类型", "人员类型", "考试时间", "考试地点", "座位数", "已安排人数", "主办单位", "考试名称"]
    );
    assert_eq!(
        cells[3],
        [
            "2",
            "县级主要负责人考试",
            "主要负责人",
            "2030-09-25 09:00–10:00",
            at_center.as_str(),
            "40",
            "1",
            "兰山区应急管理局",
            "2030年兰山区主要负责人考试"
        ]
    );
    assert_eq!(cells[6][4..7], ["未安排考点", "", ""]);

    // Another city's organization does not exist for the county; a worker may not look.
    let jinan = app.bureau(&t, &app.province_id().await, "济南市应急管理局").await;
    app.get(&schedule_path(&jinan), &county_admin).await.expect_error(404, "not_found");
    app.get(&schedule_path(&city), &county_admin).await.expect_error(404, "not_found");
    app.get(&schedule_path(&s.county), &worker_token).await.expect_error(403, "forbidden");
}
