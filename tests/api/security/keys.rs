//! Answer keys stay with the staff: nothing a worker is sent during an open window carries
//! one, and the worker cannot call the staff's question endpoints.

use reqwest::Method;
use serde_json::{json, Value};

use super::{id, marked_bank, window};
use crate::exams::{key_of, open_plan, photo, site_with, synthetic_bank, upload};
use crate::helpers::TestApp;

/// Where a worker-facing body could carry an answer key. Empty when there is none.
fn key_leaks(body: &Value) -> Vec<String> {
    fn walk(v: &Value, path: &str, found: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                let paper_question =
                    path.starts_with("$.questions[") && path.ends_with(']') && !path[1..].contains("].");
                for (k, x) in map {
                    let here = format!("{path}.{k}");
                    let leak = match k.as_str() {
                        _ if paper_question => {
                            !["position", "kind", "category", "stem", "options", "points"].contains(&k.as_str())
                        }
                        "correct_answer" | "answer_key" | "key" | "keys" | "solution" | "explanation"
                        | "legal_basis" => true,
                        "review" => !x.is_null(),
                        // The count of right answers in a result; a flag per question is a key.
                        "correct" => path != "$" || !(x.is_null() || x.is_i64()),
                        // The worker's own answers: a save's echo and the saved answers of a paper.
                        "answer" => !(path == "$" || path.starts_with("$.answers[")),
                        _ => false,
                    };
                    if leak {
                        found.push(here.clone());
                    }
                    walk(x, &here, found);
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    walk(x, &format!("{path}[{i}]"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(body, "$", &mut found);
    let text = body.to_string();
    found.extend(["解析机密", "依据机密"].iter().filter(|m| text.contains(**m)).map(|m| format!("text {m}")));
    found
}

#[actix_web::test]
async fn no_answer_key_reaches_a_worker_while_the_window_is_open() {
    let app = TestApp::spawn().await;
    let (s, _) = site_with(&app, &marked_bank(15, "考试题干")).await;
    let (_, token, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let plan = open_plan(&app, &s).await;
    let plan_id = id(&plan);
    let mut seen: Vec<(String, Value)> = Vec::new();
    let mut keep = |what: &str, v: Value| seen.push((what.to_owned(), v));

    keep("listMyExams", app.get("/api/v1/me/exams", &token).await.expect(200));
    keep("getFaceStatus", app.get("/api/v1/me/face", &token).await.expect(200));
    keep("enrollFace", upload(&app, "/api/v1/me/face", &token, photo("df_img01.jpg")).await);
    let verified = upload(&app, "/api/v1/me/face/verify", &token, photo("df_img02.jpg")).await;
    let start_path = format!("/api/v1/exam-plans/{plan_id}/attempts");
    let paper =
        app.post(&start_path, &token, json!({"verification_id": verified["verification_id"]})).await.expect(201);
    keep("verifyFace", verified);
    keep("startAttempt", paper.clone());
    keep("startAttempt (resume)", app.post(&start_path, &token, json!({"verification_id": "x"})).await.expect(200));
    let attempt = id(&paper);
    let questions = paper["questions"].as_array().unwrap();
    for (n, q) in questions.iter().enumerate().take(7) {
        let path = format!("/api/v1/attempts/{attempt}/answers/{}", q["position"]);
        let answer = if n % 2 == 0 { key_of(q) } else { String::new() };
        keep(
            "saveAnswer",
            app.send(Method::PUT, &path, Some(&token), Some(json!({"answer": answer, "seq": 2}))).await.expect(200),
        );
        let stale = json!({"answer": "A", "seq": 1});
        keep("saveAnswer (stale)", app.send(Method::PUT, &path, Some(&token), Some(stale)).await.expect(200));
    }
    keep("getAttempt", app.get(&format!("/api/v1/attempts/{attempt}"), &token).await.expect(200));
    keep(
        "startPractice",
        app.post("/api/v1/me/practice", &token, json!({"count": 100})).await.expect_error(409, "practice_closed"),
    );
    keep("listMyExams (in progress)", app.get("/api/v1/me/exams", &token).await.expect(200));
    keep("getMyResult (in progress)", app.get(&format!("/api/v1/attempts/{attempt}/result"), &token).await.expect(200));
    let submitted = app.post(&format!("/api/v1/attempts/{attempt}/submit"), &token, json!({})).await.expect(200);
    assert!(submitted["review"].is_null() && submitted["score"].is_i64(), "{submitted}");
    keep("submitAttempt", submitted);
    keep("getMyResult", app.get(&format!("/api/v1/attempts/{attempt}/result"), &token).await.expect(200));
    keep("getAttempt (finished)", app.get(&format!("/api/v1/attempts/{attempt}"), &token).await.expect(200));
    keep("listMyExams (finished)", app.get("/api/v1/me/exams", &token).await.expect(200));
    keep("getMe", app.get("/api/v1/me", &token).await.expect(200));
    keep(
        "startPractice (finished, the window open)",
        app.post("/api/v1/me/practice", &token, json!({})).await.expect_error(409, "practice_closed"),
    );
    for (what, body) in &seen {
        assert!(body.is_object(), "{what}: {body}");
        let leaks = key_leaks(body);
        assert!(leaks.is_empty(), "{what} shows answer keys at {leaks:?}: {body}");
    }
    assert!(seen.len() >= 20, "{}", seen.len());

    // The staff endpoints that hold keys are closed to the worker.
    let staff_view = app.get(&format!("/api/v1/question-banks/{}/questions", s.bank), &s.ent_admin).await.expect(200);
    let question = id(&staff_view["items"][0]);
    let one = synthetic_bank(1)["questions"][0].clone();
    let refusals = [
        app.get("/api/v1/question-banks", &token).await,
        app.get(&format!("/api/v1/question-banks/{}/questions", s.bank), &token).await,
        app.get(&format!("/api/v1/questions/{question}"), &token).await,
        app.get(&format!("/api/v1/question-banks/{}/export", s.bank), &token).await,
        app.get(&format!("/api/v1/question-banks/{}/export?format=csv", s.bank), &token).await,
        app.post(&format!("/api/v1/question-banks/{}/questions", s.bank), &token, one.clone()).await,
        app.send(Method::PUT, &format!("/api/v1/questions/{question}"), Some(&token), Some(json!({"question": one})))
            .await,
        app.get(&format!("/api/v1/exam-plans/{plan_id}"), &token).await,
    ];
    for r in refusals {
        let body = r.expect_error(403, "forbidden");
        assert!(key_leaks(&body).is_empty(), "{body}");
    }

    // The check sees keys where they are: in the staff view, and in the worker's review once
    // the window has closed.
    assert!(!key_leaks(&staff_view).is_empty(), "the key check found nothing in {staff_view}");
    let (ws, we) = window(-120, -1);
    app.patch(&format!("/api/v1/exam-plans/{plan_id}"), &s.ent_admin, json!({"window_start": ws, "window_end": we}))
        .await
        .expect(200);
    let after = app.get(&format!("/api/v1/attempts/{attempt}/result"), &token).await.expect(200);
    let leaks = key_leaks(&after);
    assert!(leaks.iter().any(|l| l.ends_with(".correct_answer")) && leaks.iter().any(|l| l == "$.review"), "{leaks:?}");
    // And practice, with its answers, opens again.
    let practice = app.post("/api/v1/me/practice", &token, json!({"count": 5})).await.expect(201);
    assert!(!key_leaks(&practice).is_empty(), "the key check found nothing in {practice}");
}
