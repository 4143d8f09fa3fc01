//! The matrix: every role of jurisdiction A, every classified operation, B's objects.

use reqwest::Method;
use serde_json::{json, Value};

use super::table::{table, Call, Class, Owner, PLATFORM_READS};
use super::{contract, no_leak, refused, send, world, Operation, World};
use crate::helpers::TestApp;

/// Everything of B (and the province-wide lists) a refusal could have changed, read by those
/// who may read it.
async fn snapshot(app: &TestApp, w: &World) -> Value {
    let t = &app.admin_token;
    let mut out = serde_json::Map::new();
    let reads = [
        "/api/v1/organizations?limit=200".to_owned(),
        "/api/v1/staff-accounts?limit=200".to_owned(),
        "/api/v1/registration-codes?limit=200".to_owned(),
        "/api/v1/workers?limit=200".to_owned(),
        format!("/api/v1/workers/{}/history", w.worker_b),
        "/api/v1/question-banks".to_owned(),
        format!("/api/v1/question-banks/{}/questions?limit=200&include_retired=true", w.bank_b),
        "/api/v1/exam-plans?limit=200".to_owned(),
        format!("/api/v1/exam-plans/{}/candidates?limit=200", w.plan_b),
        format!("/api/v1/exam-plans/{}/candidates?limit=200", w.plan_a),
        format!("/api/v1/exam-plans/{}/sessions", w.plan_b),
        format!("/api/v1/exam-sessions/{}/candidates", w.session_b),
        format!("/api/v1/exam-sessions/{}/candidates", w.session_b2),
        format!("/api/v1/exam-sessions/{}/candidates", w.session_a),
        format!("/api/v1/attempts/{}/flags", w.attempt_b),
        format!("/api/v1/attempts/{}/flags", w.attempt_b4),
        format!("/api/v1/attempts/{}/flags", w.attempt_b5),
    ];
    let own_reads = [
        ("worker B", "/api/v1/me/face".to_owned(), &w.worker_b_token),
        ("worker B", "/api/v1/me/exams".to_owned(), &w.worker_b_token),
        ("worker B", format!("/api/v1/attempts/{}", w.attempt_b), &w.worker_b_token),
        ("proctor B", "/api/v1/me/proctor-sessions".to_owned(), &w.proctor_b_token),
    ];
    for (who, path, token) in reads.into_iter().map(|p| ("", p, t)).chain(own_reads) {
        let mut v = app.get(&path, token).await.expect(200);
        if let Some(fields) = v.as_object_mut() {
            fields.retain(|k, _| !["server_time", "remaining_seconds"].contains(&k.as_str()));
        }
        out.insert(format!("{who} {path}").trim_start().to_owned(), v);
    }
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let worker = models::WorkerId::parse(&w.worker_b).unwrap();
    let events: Vec<String> = models::face::events(&mut conn, &worker).unwrap().into_iter().map(|e| e.kind).collect();
    out.insert("face events".into(), json!(events));
    // Proctor actions on candidates who have no attempt show in no list.
    let plan = models::PlanId::parse(&w.plan_b).unwrap();
    for worker in [&w.worker_b, &w.worker_b2, &w.worker_b3, &w.worker_b4, &w.worker_b5] {
        let actions = models::proctoring::actions(&mut conn, &plan, &models::WorkerId::parse(worker).unwrap()).unwrap();
        let actions: Vec<(String, String)> = actions.into_iter().map(|a| (a.action, a.reason)).collect();
        out.insert(format!("proctor actions {worker}"), json!(actions));
    }
    out.insert("audit entries".into(), json!(models::audit::latest(&mut conn, 1000).unwrap().len()));
    Value::Object(out)
}

#[actix_web::test]
async fn no_role_of_one_jurisdiction_reaches_another_and_a_refusal_changes_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let t = app.admin_token.clone();
    let roles = [
        ("city_admin", app.staff(&t, &w.city_a, "city_admin").await),
        ("county_admin", app.staff(&t, &w.county_a, "county_admin").await),
        ("enterprise_admin", app.staff(&t, &w.ent_a, "enterprise_admin").await),
        ("proctor (county)", app.staff(&t, &w.county_a, "proctor").await),
        ("proctor (enterprise)", app.staff(&t, &w.ent_a, "proctor").await),
        ("worker", w.worker_a_token.clone()),
        ("integration_client (city A)", app.client_in(&w.city_a).await.1),
    ];
    let (_, platform) = app.platform().await;

    let ops = contract();
    let mut classes = table();
    let calls: Vec<(&Operation, Vec<Call>)> = ops
        .iter()
        .filter_map(|op| {
            let at =
                classes.iter().position(|(id, _)| *id == op.id).unwrap_or_else(|| panic!("{} unclassified", op.id));
            match classes.swap_remove(at).1 {
                Class::Foreign(build) => Some((op, build(&w))),
                Class::NoForeignObject(_) => None,
            }
        })
        .collect();
    let markers = w.markers();
    let ghosts: Vec<(String, String)> =
        w.b_ids().into_iter().map(|id| (id.clone(), uuid::Uuid::now_v7().to_string())).collect();
    let before = snapshot(&app, &w).await;

    let mut requests = 0;
    for (role, token, platform) in roles.iter().map(|(r, t)| (*r, t, false)).chain([("platform", &platform, true)]) {
        for (op, list) in &calls {
            for (n, c) in list.iter().enumerate() {
                let what = format!("{role} → {} #{n}", op.id);
                let r = send(&app, op, c, token).await;
                requests += 1;
                if platform && PLATFORM_READS.contains(&op.id.as_str()) {
                    assert_eq!(r.status, 200, "{what}: the platform reads the province: {}", r.text);
                    continue;
                }
                if c.list && r.status == 200 {
                    no_leak(&r, &markers, &what);
                    continue;
                }
                refused(&r, &markers, &what);
                let ghost = c.ghost(&ghosts);
                // B lies inside the platform's jurisdiction: a 403 tells it nothing new.
                if !platform && format!("{ghost:?}") != format!("{c:?}") {
                    let g = send(&app, op, &ghost, token).await;
                    requests += 1;
                    assert_eq!(
                        (g.status, &g.body["code"]),
                        (r.status, &r.body["code"]),
                        "{what}: B's object is told apart from one that does not exist: {} / {}",
                        r.text,
                        g.text
                    );
                }
            }
        }
    }
    let pairs = calls.len() * (roles.len() + 1);
    let per_role: usize = calls.iter().map(|(_, list)| list.len()).sum();
    println!(
        "security matrix: {} operations × {} roles = {pairs} pairs, {per_role} calls per role, {requests} requests",
        calls.len(),
        roles.len() + 1
    );
    assert_eq!(snapshot(&app, &w).await, before, "a refusal changed something");

    // Every call is one its owner in B can make: the refusals above were about jurisdiction.
    for (op, list) in &calls {
        for (n, c) in list.iter().enumerate() {
            let token = match c.owner {
                None => continue,
                Some(Owner::CityB) => &w.city_b_admin,
                Some(Owner::EntB) => &w.ent_b_admin,
                Some(Owner::ProctorB) => &w.proctor_b_token,
                Some(Owner::WorkerB) => &w.worker_b_token,
                Some(Owner::WorkerB6) => &w.worker_b6_token,
                Some(Owner::ClientB) => &w.client_b_token,
                Some(Owner::ProvinceAdmin) => &app.admin_token,
            };
            let r = send(&app, op, c, token).await;
            assert!((200..300).contains(&r.status), "{} #{n} by its owner: {} {}", op.id, r.status, r.text);
            if op.id == "streamSessionEvents" {
                assert!(r.content_type.starts_with("text/event-stream"), "{}: {}", op.id, r.content_type);
                assert!(r.text.starts_with("event: snapshot\n"), "{}: {}", op.id, r.text);
            }
            // A file (the attendance sheet, a photo) holds no text to look for B in: its owner
            // getting it is the proof.
            let file = ["image/", "application/pdf", "application/vnd.openxmlformats"]
                .iter()
                .any(|t| r.content_type.starts_with(t));
            if op.method == Method::GET && file {
                assert!(!r.text.is_empty(), "{} #{n}: an empty file", op.id);
            } else if op.method == Method::GET {
                assert!(markers.iter().any(|m| r.text.contains(m.as_str())), "{} #{n} shows nothing of B", op.id);
            }
        }
    }
}
