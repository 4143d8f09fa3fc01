//! Sessions across jurisdictions, where the matrix's 403 or 404 is not the answer: a session
//! takes no proctor and no candidate of another jurisdiction (422, exactly as for an id that
//! names nothing), no candidate moves into another jurisdiction's session, and a proctor
//! reaches the sessions assigned to them and nothing else.

use reqwest::Method;
use serde_json::{json, Value};

use super::{me_id, world, World};
use crate::helpers::{Res, TestApp};

#[track_caller]
fn nothing_of_b(body: &Value, w: &World, what: &str) {
    let text = body.to_string();
    if let Some(m) = w.markers().iter().find(|m| text.contains(m.as_str())) {
        panic!("{what}: shows B's {m}: {text}");
    }
}

async fn put(app: &TestApp, token: &str, path: &str, account: &str) -> Res {
    app.send(Method::PUT, path, Some(token), Some(json!({"account_ids": [account]}))).await
}

fn ids(list: &Value) -> Vec<&str> {
    list["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn a_session_takes_no_proctor_or_candidate_of_another_jurisdiction() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let t = app.admin_token.clone();
    let county_a = app.staff(&t, &w.county_a, "county_admin").await;
    let ghost = uuid::Uuid::now_v7().to_string();

    // B's proctor is outside the organizer's subtree, and is refused as one that does not
    // exist; so is a proctor of A above the organizer. The organizer's own is taken.
    let proctors = format!("/api/v1/exam-sessions/{}/proctors", w.session_a);
    let refused = put(&app, &county_a, &proctors, &w.proctor_b).await.expect_error(422, "validation_failed");
    assert_eq!(refused["field"], "account_ids", "{refused}");
    nothing_of_b(&refused, &w, "B's proctor on A's session");
    assert_eq!(
        put(&app, &county_a, &proctors, &ghost).await.expect(422),
        refused,
        "B's proctor is told apart from none"
    );
    let county_proctor = me_id(&app, &app.staff(&t, &w.county_a, "proctor").await).await;
    assert_eq!(put(&app, &county_a, &proctors, &county_proctor).await.expect(422), refused);
    let proctor_a_token = app.staff(&t, &w.ent_a, "proctor").await;
    let proctor_a = me_id(&app, &proctor_a_token).await;
    let set = put(&app, &county_a, &proctors, &proctor_a).await.expect(200);
    assert_eq!(set["proctors"][0]["account_id"], proctor_a.as_str(), "{set}");
    // And the other way round.
    let b_proctors = format!("/api/v1/exam-sessions/{}/proctors", w.session_b);
    let back = put(&app, &w.city_b_admin, &b_proctors, &proctor_a).await.expect_error(422, "validation_failed");
    assert_eq!(put(&app, &w.city_b_admin, &b_proctors, &ghost).await.expect(422), back);

    // B's worker is no candidate of A's plan, exactly as a worker that does not exist.
    let seats = format!("/api/v1/exam-sessions/{}/candidates", w.session_a);
    let refused = app.post(&seats, &county_a, json!({"worker_ids": [w.worker_b]})).await;
    let refused = refused.expect_error(422, "validation_failed");
    assert_eq!(refused["field"], "worker_ids", "{refused}");
    nothing_of_b(&refused, &w, "B's worker seated in A's session");
    assert_eq!(app.post(&seats, &county_a, json!({"worker_ids": [ghost]})).await.expect(422), refused);
    app.post(&seats, &county_a, json!({"worker_ids": [w.worker_a]})).await.expect(200);

    // No candidate moves into the other jurisdiction's session: it does not exist for them.
    let moves = [
        (&county_a, &w.session_a, &w.worker_a, &w.session_b),
        (&w.city_b_admin, &w.session_b, &w.worker_b2, &w.session_a),
    ];
    for (token, from, worker, to) in moves {
        let path = format!("/api/v1/exam-sessions/{from}/candidates/{worker}/move");
        let r = app.post(&path, token, json!({"to_session_id": to, "reason": "座位调整"})).await;
        let body = r.expect_error(404, "not_found");
        let g = app.post(&path, token, json!({"to_session_id": ghost, "reason": "座位调整"})).await;
        assert_eq!(g.expect(404), body, "another's session is told apart from none");
    }

    // Each proctor lists their own sessions, and reaches nothing across the border.
    let mine = app.get("/api/v1/me/proctor-sessions", &proctor_a_token).await.expect(200);
    assert_eq!(ids(&mine), [w.session_a.as_str()], "{mine}");
    nothing_of_b(&mine, &w, "A's proctor's sessions");
    let mine = app.get("/api/v1/me/proctor-sessions", &w.proctor_b_token).await.expect(200);
    assert_eq!(ids(&mine), [w.session_b.as_str()], "{mine}");
    for path in [
        format!("/api/v1/exam-sessions/{}/candidates", w.session_b),
        format!("/api/v1/exam-sessions/{}/events", w.session_b),
        format!("/api/v1/attempts/{}/flags", w.attempt_b5),
        format!("/api/v1/exam-plans/{}/sessions", w.plan_b),
    ] {
        let body = app.get(&path, &proctor_a_token).await.expect_error(404, "not_found");
        nothing_of_b(&body, &w, &path);
    }
    let resolve = json!({"resolution": "dismissed", "reason": "越权"});
    let r = app.post(&format!("/api/v1/attempt-flags/{}/resolve", w.flag_b), &proctor_a_token, resolve).await;
    r.expect_error(404, "not_found");
    let path = format!("/api/v1/exam-sessions/{}/candidates", w.session_a);
    app.get(&path, &w.proctor_b_token).await.expect_error(404, "not_found");
    app.get(&path, &proctor_a_token).await.expect(200);

    // In B, the proctor reaches the session assigned to them, not another of the same plan,
    // nor a candidate moved there.
    let b2 = format!("/api/v1/exam-sessions/{}/candidates", w.session_b2);
    app.get(&b2, &w.proctor_b_token).await.expect_error(403, "forbidden");
    let flags = format!("/api/v1/attempts/{}/flags", w.attempt_b4);
    app.get(&flags, &w.proctor_b_token).await.expect(200);
    let path = format!("/api/v1/exam-sessions/{}/candidates/{}/move", w.session_b, w.worker_b4);
    app.post(&path, &w.city_b_admin, json!({"to_session_id": w.session_b2, "reason": "座位调整"})).await.expect(200);
    app.get(&flags, &w.proctor_b_token).await.expect_error(403, "forbidden");
    let cheating = format!("/api/v1/attempts/{}/cheating", w.attempt_b4);
    app.post(&cheating, &w.proctor_b_token, json!({"reason": "越权"})).await.expect_error(403, "forbidden");
}
