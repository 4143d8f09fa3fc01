//! Pushing to a webhook: signed, in position order, through a receiver's failures and
//! duplicates; dead letters after the bounded tries, and sent again on request; the
//! webhook operations are the province admin's.

use serde_json::{json, Value};

use super::receiver::{self, Inbox, Shared};
use super::{fast_delivery, pull_all, wait_until};
use crate::exams::{open_plan, site, start};
use crate::helpers::TestApp;

/// A server that delivers fast and gives up after `max_tries`.
async fn fast_app(max_tries: i32) -> TestApp {
    fast_delivery(|d| d.max_tries = max_tries).await
}

/// Registers a webhook for the platform at `url` and tells the receiver its secret.
async fn hook(app: &TestApp, platform: &str, url: &str, inbox: &Shared) -> Value {
    let created = app
        .post("/api/v1/integration-webhooks", &app.admin_token, json!({"client_id": platform, "url": url}))
        .await
        .expect(201);
    inbox.lock().unwrap().secret = Some(created["signing_secret"].as_str().unwrap().to_owned());
    created["webhook"].clone()
}

fn ids(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn signed_events_arrive_in_order_once_the_receiver_recovers_and_duplicates_are_harmless() {
    let app = fast_app(10).await;
    // The first three signed requests fail; the next event is stored but its answer lost.
    let (url, inbox) = receiver::start(Inbox { fail_next: 3, store_then_fail: 1, ..Inbox::default() });
    let s = site(&app).await;
    let (platform_id, platform) = app.platform().await;
    let webhook = hook(&app, &platform_id, &url, &inbox).await;
    assert_eq!((webhook["active"].as_bool(), webhook["delivered_through"].as_i64()), (Some(true), Some(0)));

    let (w1, t1, _, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let (w2, t2, _, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    let plan = open_plan(&app, &s).await;
    let plan_id = plan["id"].as_str().unwrap();
    // 张三 hands in, then is found to have cheated; 李四's time runs out.
    let a1 = start(&app, &t1, plan_id).await["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/attempts/{a1}/submit"), &t1, json!({})).await.expect(200);
    app.post(&format!("/api/v1/attempts/{a1}/cheating"), &s.ent_admin, json!({"reason": "夹带资料"})).await.expect(200);
    let a2 = start(&app, &t2, plan_id).await["id"].as_str().unwrap().to_owned();
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let past = models::now() - chrono::Duration::seconds(5);
    models::attempt::set_deadline_for_tests(&mut conn, &models::AttemptId::parse(&a2).unwrap(), past).unwrap();
    // A bureau checks 张三's record.
    let verify = format!("/api/v1/workers/{w1}/verification");
    app.post(&verify, &app.admin_token, json!({"result": "verified"})).await.expect(200);

    let mut expected = Vec::new();
    wait_until("every event at the receiver", 60, async || {
        expected = pull_all(&app, &platform, 200).await;
        expected.iter().any(|e| e["subject_id"] == a2) && inbox.lock().unwrap().unique().len() == expected.len()
    })
    .await;
    // What arrived, copied out of the receiver's lock.
    let inbox = inbox.lock().unwrap().clone();
    assert_eq!(inbox.bad, 0, "every request was signed");
    // Nothing lost, nothing reordered: the receiver's events are the platform's, in order.
    assert_eq!(ids(&inbox.unique()), ids(&expected));
    assert_eq!(inbox.unique(), expected, "delivered as pulled");
    let positions: Vec<i64> = inbox.unique().iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "{positions:?}");
    // The three failures were the first event, tried four times; the lost answer brought
    // that event again, the same to the byte.
    assert!(inbox.signed[..4].iter().all(|e| e == &expected[0]));
    assert_eq!(inbox.stored.len(), expected.len() + 1);
    assert_eq!(inbox.stored[0], inbox.stored[1]);
    let unique = inbox.unique();
    let of = |subject: &str| -> Vec<&str> {
        unique.iter().filter(|e| e["subject_id"] == subject).map(|e| e["kind"].as_str().unwrap()).collect()
    };
    assert_eq!(of(&a1), ["attempt.graded", "attempt.voided"]);
    assert_eq!(of(&w1), ["worker.registered", "worker.changed"]);
    assert_eq!(of(&w2), ["worker.registered"]);
    let time_up = unique.iter().find(|e| e["subject_id"] == a2).unwrap();
    assert_eq!(
        (time_up["kind"].as_str(), time_up["data"]["finish_reason"].as_str()),
        (Some("attempt.graded"), Some("time_up"))
    );

    // The last step forward follows the receiver's answer.
    let last = expected.last().unwrap()["position"].as_i64();
    let mut listed = Value::Null;
    wait_until("the webhook's position at the last event", 10, async || {
        listed = app.get("/api/v1/integration-webhooks", &app.admin_token).await.expect(200);
        listed["items"][0]["delivered_through"].as_i64() == last
    })
    .await;
    let w = &listed["items"][0];
    assert_eq!(
        (w["pending"].as_i64(), w["tries"].as_i64(), w["dead_letters"].as_i64(), &w["last_error"]),
        (Some(0), Some(0), Some(0), &Value::Null),
        "{w}"
    );
    assert!(!listed.to_string().contains("whsec_"), "the secret is shown once: {listed}");
}

#[actix_web::test]
async fn a_failing_event_becomes_a_dead_letter_after_its_tries_and_can_be_sent_again() {
    let app = fast_app(3).await;
    let (url, inbox) = receiver::start(Inbox::default());
    let s = site(&app).await;
    let (platform_id, platform) = app.platform().await;
    let webhook = hook(&app, &platform_id, &url, &inbox).await;
    let path = format!("/api/v1/integration-webhooks/{}", webhook["id"].as_str().unwrap());
    // Events wait while the webhook is off; the receiver will refuse the second.
    app.patch(&path, &app.admin_token, json!({"active": false})).await.expect(200);
    for name in ["张三", "李四", "王五"] {
        app.worker(&s.ent_admin, &s.ent, name).await;
    }
    let events = pull_all(&app, &platform, 200).await;
    assert_eq!(events.len(), 3);
    let refused = events[1]["id"].as_str().unwrap().to_owned();
    inbox.lock().unwrap().refuse.insert(refused.clone());
    let on = app.patch(&path, &app.admin_token, json!({"active": true})).await.expect(200);
    assert_eq!(on["pending"], 3);

    let letters = format!("{path}/dead-letters");
    wait_until("the third event past the dead letter", 30, async || inbox.lock().unwrap().unique().len() == 2).await;
    let page = app.get(&letters, &app.admin_token).await.expect(200);
    let dead = &page["items"][0];
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(
        (dead["event_id"].as_str(), dead["position"].as_i64(), dead["kind"].as_str(), dead["status"].as_str()),
        (Some(refused.as_str()), events[1]["position"].as_i64(), Some("worker.registered"), Some("dead"))
    );
    assert_eq!((dead["tries"].as_i64(), dead["last_error"].as_str()), (Some(3), Some("HTTP 500")));
    assert!(!page.to_string().contains("李四"), "a dead letter shows no personal data: {page}");
    assert_eq!((page["webhook"]["dead_letters"].as_i64(), page["webhook"]["pending"].as_i64()), (Some(1), Some(0)));
    {
        let inbox = inbox.lock().unwrap();
        assert_eq!(ids(&inbox.unique()), [ids(&events)[0].clone(), ids(&events)[2].clone()]);
        assert_eq!(inbox.signed.iter().filter(|e| e["id"] == refused.as_str()).count(), 3, "bounded tries");
    }

    // Only the province admin sees and sends dead letters again.
    let dead_id = dead["id"].as_str().unwrap().to_owned();
    let retry = format!("/api/v1/integration-dead-letters/{dead_id}/retry");
    let other_admin = app.staff(&app.admin_token, &app.province_id().await, "province_admin").await;
    let county_admin = app.staff(&app.admin_token, &s.county, "county_admin").await;
    for token in [&county_admin, &platform, &s.ent_admin] {
        app.get(&letters, token).await.expect_error(403, "forbidden");
        app.post(&retry, token, json!({})).await.expect_error(403, "forbidden");
    }
    let ghost = uuid::Uuid::now_v7();
    app.post(&format!("/api/v1/integration-dead-letters/{ghost}/retry"), &other_admin, json!({}))
        .await
        .expect_error(404, "not_found");
    app.get(&format!("/api/v1/integration-webhooks/{ghost}/dead-letters"), &other_admin)
        .await
        .expect_error(404, "not_found");
    app.get(&format!("{letters}?limit=0"), &other_admin).await.expect_error(400, "invalid_query");

    inbox.lock().unwrap().refuse.clear();
    let queued = app.post(&retry, &other_admin, json!({})).await.expect(202);
    assert!(matches!(queued["status"].as_str(), Some("retrying" | "delivered")), "{queued}");
    wait_until("the dead letter sent again", 30, async || {
        app.get(&letters, &app.admin_token).await.expect(200)["items"][0]["status"] == "delivered"
    })
    .await;
    assert_eq!(inbox.lock().unwrap().unique().len(), 3);
    let again = app.post(&retry, &app.admin_token, json!({})).await.expect(202);
    assert_eq!((again["status"].as_str(), again["retried_at"].is_string()), (Some("delivered"), true));
    let page = app.get(&letters, &app.admin_token).await.expect(200);
    assert_eq!(page["webhook"]["dead_letters"], 0);
    assert_eq!(inbox.lock().unwrap().bad, 0);
}

#[actix_web::test]
async fn webhooks_are_the_province_admins_and_check_their_input() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let (platform_id, platform) = app.platform().await;
    let county = app.lanshan().await;
    let county_admin = app.staff(&t, &county, "county_admin").await;
    let url = "https://platform.example.cn/sanda/events";
    let body = json!({"client_id": platform_id, "url": url});
    for token in [&county_admin, &platform] {
        app.post("/api/v1/integration-webhooks", token, body.clone()).await.expect_error(403, "forbidden");
        app.get("/api/v1/integration-webhooks", token).await.expect_error(403, "forbidden");
    }
    for bad in ["ftp://platform.example.cn/x", "not a url", "https://user:pw@platform.example.cn/", "", "https://"] {
        let r = app.post("/api/v1/integration-webhooks", &t, json!({"client_id": platform_id, "url": bad})).await;
        assert_eq!(r.expect_error(422, "validation_failed")["field"], "url", "{bad}");
    }
    let me = app.get("/api/v1/me", &t).await.expect(200)["id"].as_str().unwrap().to_owned();
    let r = app.post("/api/v1/integration-webhooks", &t, json!({"client_id": me, "url": url})).await;
    assert_eq!(r.expect_error(422, "validation_failed")["field"], "client_id");
    for ghost in [uuid::Uuid::now_v7().to_string(), "zzz".into()] {
        let r = app.post("/api/v1/integration-webhooks", &t, json!({"client_id": ghost, "url": url})).await;
        assert_eq!(r.expect_error(404, "not_found")["field"], "client_id");
    }
    app.post("/api/v1/integration-webhooks", &t, json!({"client_id": platform_id}))
        .await
        .expect_error(400, "invalid_request");

    let created = app.post("/api/v1/integration-webhooks", &t, body).await.expect(201);
    let secret = created["signing_secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{created}");
    let w = &created["webhook"];
    assert_eq!(
        (w["url"].as_str(), w["client_id"].as_str(), w["client_name"].as_str()),
        (Some(url), Some(platform_id.as_str()), Some("省考试平台"))
    );
    let path = format!("/api/v1/integration-webhooks/{}", w["id"].as_str().unwrap());
    let moved = app.patch(&path, &t, json!({"url": "https://platform2.example.cn/in"})).await.expect(200);
    assert_eq!(moved["url"], "https://platform2.example.cn/in");
    app.patch(&path, &t, json!({"url": "gopher://x"})).await.expect_error(422, "validation_failed");
    app.patch(&path, &county_admin, json!({"active": false})).await.expect_error(403, "forbidden");
    app.patch(&format!("/api/v1/integration-webhooks/{}", uuid::Uuid::now_v7()), &t, json!({"active": false}))
        .await
        .expect_error(404, "not_found");
    let listed = app.get("/api/v1/integration-webhooks", &t).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(secret));
    // At rest the secret is encrypted.
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Binary)]
        secret_enc: Vec<u8>,
    }
    let rows: Vec<Row> =
        diesel::RunQueryDsl::load(diesel::sql_query("SELECT secret_enc FROM integration_webhooks"), &mut conn).unwrap();
    assert!(!rows[0].secret_enc.windows(secret.len()).any(|w| w == secret.as_bytes()));
}
