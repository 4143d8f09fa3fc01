//! The server delivering to a webhook is killed (SIGKILL) mid-way; another server started
//! on the same database takes the webhook over once the dead one's lease runs out and
//! delivers the rest, in order. The event in flight at the kill may arrive twice, under
//! the same id.

use std::time::Duration;

use serde_json::json;

use super::receiver::{self, Inbox};
use super::{pull_all, wait_until};
use crate::crash::{spawn_with, wait_ready};
use crate::helpers::{fresh_database, TestApp, ADMIN, ADMIN_PASSWORD};

const DELIVERY: [(&str, &str); 5] = [
    ("SANDA_DELIVERY_INTERVAL_MS", "100"),
    ("SANDA_DELIVERY_TIMEOUT_MS", "1000"),
    ("SANDA_DELIVERY_LEASE_SECS", "2"),
    ("SANDA_DELIVERY_BACKOFF_MS", "100"),
    ("SANDA_DELIVERY_BACKOFF_MAX_MS", "400"),
];

#[actix_web::test]
async fn delivery_survives_a_sigkill_and_another_server_delivers_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = spawn_with(dir.path(), port, &database_url, &DELIVERY);
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&client, &base).await;
    let mut app = TestApp { base, client, dir: tempfile::tempdir().unwrap(), database_url, admin_token: String::new() };
    app.admin_token = app.login(ADMIN, ADMIN_PASSWORD).await.expect(200)["access_token"].as_str().unwrap().to_owned();

    // A receiver that takes a quarter of a second per event.
    let (url, inbox) = receiver::start(Inbox { delay: Duration::from_millis(250), ..Inbox::default() });
    let (platform_id, platform) = app.platform().await;
    let t = app.admin_token.clone();
    let created =
        app.post("/api/v1/integration-webhooks", &t, json!({"client_id": platform_id, "url": url})).await.expect(201);
    inbox.lock().unwrap().secret = Some(created["signing_secret"].as_str().unwrap().to_owned());
    let path = format!("/api/v1/integration-webhooks/{}", created["webhook"]["id"].as_str().unwrap());
    // Ten registrations wait while the webhook is off, then delivery starts.
    app.patch(&path, &t, json!({"active": false})).await.expect(200);
    let county = app.lanshan().await;
    let ent = app.enterprise(&t, &county, "兰山甲公司").await;
    for n in 0..10 {
        app.worker(&t, &ent, &format!("工人{n}")).await;
    }
    app.patch(&path, &t, json!({"active": true})).await.expect(200);
    wait_until("three events at the receiver", 30, async || inbox.lock().unwrap().unique().len() >= 3).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let arrived = inbox.lock().unwrap().unique().len();
    assert!(arrived < 10, "killed mid-way, not after the last event ({arrived} arrived)");

    let mut server = spawn_with(dir.path(), port, &app.database_url, &DELIVERY);
    wait_ready(&app.client, &app.base).await;
    wait_until("the rest at the receiver", 60, async || inbox.lock().unwrap().unique().len() == 10).await;
    let expected = pull_all(&app, &platform, 200).await;
    // What arrived, copied out of the receiver's lock.
    let inbox = inbox.lock().unwrap().clone();
    assert_eq!(inbox.unique(), expected, "every event, once each, in order");
    assert_eq!(inbox.bad, 0);
    // At most the event in flight at the kill came twice, the second time right after the
    // first: never out of order.
    let positions: Vec<i64> = inbox.stored.iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|p| p[0] <= p[1]), "{positions:?}");
    assert!(inbox.stored.len() <= 11, "{positions:?}");
    // The last step forward follows the receiver's answer.
    wait_until("the webhook's position at the last event", 10, async || {
        let listed = app.get("/api/v1/integration-webhooks", &t).await.expect(200);
        (listed["items"][0]["delivered_through"].as_i64(), listed["items"][0]["pending"].as_i64())
            == (Some(10), Some(0))
    })
    .await;
    server.kill().unwrap();
    server.wait().unwrap();
}
