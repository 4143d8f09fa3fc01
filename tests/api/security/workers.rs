//! Workers among themselves: a colleague of the same enterprise and a worker of another
//! city reach neither another worker's attempt nor its face verification.

use reqwest::Method;
use serde_json::{json, Value};

use super::table::{at, Call};
use super::{contract, refused, send, world, Reply};
use crate::exams::verification;
use crate::helpers::TestApp;

/// Everything a worker may ask about an attempt by its id.
async fn attempt_ops(app: &TestApp, token: &str, attempt: &str, (position, answer): &(i64, String)) -> Vec<Reply> {
    let ops = contract();
    let op = |name: &str| ops.iter().find(|o| o.id == name).unwrap();
    let save = Call { position: Some(*position), ..at(attempt).json(json!({"answer": answer, "seq": 500})) };
    vec![
        send(app, op("getAttempt"), &at(attempt), token).await,
        send(app, op("saveAnswer"), &save, token).await,
        send(app, op("submitAttempt"), &at(attempt), token).await,
        send(app, op("getMyResult"), &at(attempt), token).await,
    ]
}

#[actix_web::test]
async fn a_worker_never_reaches_another_workers_paper_answers_result_or_face() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let markers = [w.attempt_b.clone(), "历下机密".to_owned()];
    let before = app.get(&format!("/api/v1/attempts/{}", w.attempt_b), &w.worker_b_token).await.expect(200);
    // A colleague of the same enterprise, and a worker of the other city.
    for (who, token) in [("colleague", &w.worker_b2_token), ("worker of A", &w.worker_a_token)] {
        for (n, r) in attempt_ops(&app, token, &w.attempt_b, &w.answer_b).await.iter().enumerate() {
            assert_eq!(r.status, 404, "{who} #{n}: {}", r.text);
            refused(r, &markers, &format!("{who} → attempt op #{n}"));
        }
        let mine = app.get("/api/v1/me/exams", token).await.expect(200);
        assert!(!mine.to_string().contains(&w.attempt_b), "{who} lists B's attempt: {mine}");
        for path in [format!("/api/v1/workers/{}", w.worker_b), format!("/api/v1/workers/{}/history", w.worker_b)] {
            let r = app.get(&path, token).await;
            assert_eq!(r.status.as_u16(), 404, "{who} {path}: {}", r.body);
        }
        let approve = format!("/api/v1/workers/{}/face/reenrollment", w.worker_b);
        let r = app.send(Method::POST, &approve, Some(token), None).await;
        assert!(matches!(r.status.as_u16(), 403 | 404), "{who} approves B's re-enrollment: {}", r.body);
        app.get("/api/v1/workers", token).await.expect_error(403, "forbidden");
        app.get(&format!("/api/v1/exam-plans/{}/candidates", w.plan_b), token).await.expect_error(403, "forbidden");
    }
    // Face status is the caller's own: B is enrolled, the colleague is not.
    assert_eq!(app.get("/api/v1/me/face", &w.worker_b_token).await.expect(200)["enrolled"], true);
    assert_eq!(app.get("/api/v1/me/face", &w.worker_b2_token).await.expect(200)["enrolled"], false);
    // The colleague's exam list shows the shared plan, but not B's attempt.
    let mine = app.get("/api/v1/me/exams", &w.worker_b2_token).await.expect(200);
    let item = mine["items"].as_array().unwrap().iter().find(|i| i["plan_id"] == w.plan_b.as_str()).unwrap();
    assert_eq!((item["status"].as_str(), &item["attempt_id"]), (Some("open"), &Value::Null), "{mine}");
    // B's fresh face verification does not start anyone else's exam, and stays B's.
    let v = verification(&app, &w.worker_b_token).await;
    for (token, plan) in [(&w.worker_b2_token, &w.plan_b), (&w.worker_a_token, &w.plan_a)] {
        app.post(&format!("/api/v1/exam-plans/{plan}/attempts"), token, json!({"verification_id": v}))
            .await
            .expect_error(403, "face_verification_required");
    }
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let b = models::WorkerId::parse(&w.worker_b).unwrap();
    assert!(models::face::consume_verification(&mut conn, &b, &v).unwrap(), "B's verification was used up by another");
    // Nothing of B's attempt changed, and B still reaches it.
    let after = app.get(&format!("/api/v1/attempts/{}", w.attempt_b), &w.worker_b_token).await.expect(200);
    assert_eq!((&after["status"], &after["answers"]), (&before["status"], &before["answers"]));
    let own = attempt_ops(&app, &w.worker_b_token, &w.attempt_b, &w.answer_b).await;
    assert!(
        own.iter().all(|r| r.status == 200),
        "B's own attempt: {:?}",
        own.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
}
