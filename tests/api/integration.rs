//! The provincial platform integration (成绩上传): results and registry changes written to
//! the outbox with the change itself, read by position (`listIntegrationEvents`) within the
//! client's subtree, and pushed to signed webhooks. `push`: a real receiver that checks
//! every signature, fails and recovers, gets duplicates; dead letters and their retry.
//! `restart`: the server is killed mid-delivery and another delivers the rest. `sequencer`:
//! positions are gapless and no reader skips an event that commits late. `tls`: a platform
//! on a private CA's certificate, reached once `SANDA_DELIVERY_CA_FILE` trusts it.

mod push;
mod receiver;
mod restart;
mod sequencer;
mod tls;

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::exams::{key_of, open_plan, site, start, window};
use crate::helpers::{TestApp, TwoCities};

/// A server that delivers every 100 ms and retries after 100, 200, 400, 400 … ms, with
/// `tweak` applied to its delivery settings.
pub async fn fast_delivery(tweak: impl FnOnce(&mut api::settings::DeliverySettings)) -> TestApp {
    TestApp::spawn_with(|s| {
        s.delivery.interval_ms = 100;
        s.delivery.backoff_ms = 100;
        s.delivery.backoff_max_ms = 400;
        tweak(&mut s.delivery);
    })
    .await
}

/// Every event `token` may read, from the first, `limit` per page; checks that pages follow
/// on from each other.
pub async fn pull_all(app: &TestApp, token: &str, limit: i64) -> Vec<Value> {
    let (mut after, mut all) = (0, Vec::new());
    loop {
        let page = app.get(&format!("/api/v1/integration-events?after={after}&limit={limit}"), token).await.expect(200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() as i64 <= limit, "{page}");
        for e in items {
            let position = e["position"].as_i64().unwrap();
            assert!(position > after, "out of order: {position} after {after}");
            after = position;
        }
        all.extend(items.iter().cloned());
        let next = page["next_after"].as_i64().unwrap();
        assert!(next >= after, "{page}");
        after = next;
        if page["has_more"] == false {
            return all;
        }
    }
}

/// Waits until `done` holds, polling; fails the test after `secs`.
pub async fn wait_until(what: &str, secs: u64, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < Duration::from_secs(secs), "waited {secs} s for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

#[derive(diesel::QueryableByName)]
struct Sealed {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    payload_enc: Vec<u8>,
}

#[actix_web::test]
async fn the_pull_api_pages_in_order_within_the_callers_subtree() {
    let app = TestApp::spawn().await;
    let t = app.admin_token.clone();
    let TwoCities { city_a, ent_a, ent_b, .. } = app.two_cities().await;
    let mut a_workers = Vec::new();
    for n in 0..3 {
        a_workers.push(app.worker(&t, &ent_a, &format!("兰山工人{n}")).await);
    }
    let mut b_workers = Vec::new();
    for n in 0..2 {
        b_workers.push(app.worker(&t, &ent_b, &format!("历下工人{n}")).await);
    }
    let moved = format!("/api/v1/workers/{}", a_workers[0].0);
    app.patch(&moved, &t, json!({"position": "班组长"})).await.expect(200);
    // The same again changes nothing the platform sees: no event.
    app.patch(&moved, &t, json!({"position": "班组长"})).await.expect(200);

    let (_, platform) = app.platform().await;
    let all = pull_all(&app, &platform, 2).await;
    let positions: Vec<i64> = all.iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, (1..=6).collect::<Vec<_>>(), "the province sees every event, gapless");
    assert_eq!(kinds(&all), [&["worker.registered"; 5][..], &["worker.changed"]].concat());
    let changed = &all[5];
    let (worker, _, resident_id, phone) = &a_workers[0];
    assert_eq!(changed["subject_id"], *worker);
    let data = &changed["data"];
    assert_eq!(
        (data["position"].as_str(), data["resident_id"].as_str(), data["phone"].as_str()),
        (Some("班组长"), Some(resident_id.as_str()), Some(phone.as_str())),
        "{changed}"
    );
    assert_eq!(
        (data["enterprise"]["id"].as_str(), data["status"].as_str()),
        (Some(ent_a.as_str()), Some("registered"))
    );
    assert!(all.iter().all(|e| uuid::Uuid::parse_str(e["id"].as_str().unwrap()).is_ok()));

    // Nothing new: an empty page that says where to go on from; then the next event only.
    let empty = app.get("/api/v1/integration-events?after=6", &platform).await.expect(200);
    assert_eq!(
        (empty["items"].as_array().unwrap().len(), &empty["next_after"], &empty["has_more"]),
        (0, &json!(6), &json!(false))
    );
    let (late, _, _, _) = app.worker(&t, &ent_b, "历下新人").await;
    let next = app.get("/api/v1/integration-events?after=6", &platform).await.expect(200);
    assert_eq!(next["items"].as_array().unwrap().len(), 1, "{next}");
    assert_eq!((next["items"][0]["subject_id"].as_str(), &next["next_after"]), (Some(late.as_str()), &json!(7)));

    // A client of city A reads A's events only, in the same order, and goes on past B's.
    let (_, client_a) = app.client_in(&city_a).await;
    let mine = pull_all(&app, &client_a, 2).await;
    let subjects: Vec<&str> = mine.iter().map(|e| e["subject_id"].as_str().unwrap()).collect();
    let a_ids: Vec<&str> = a_workers.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(subjects, [a_ids.clone(), vec![a_ids[0]]].concat());
    let text = serde_json::to_string(&mine).unwrap();
    for (b, _, id, _) in &b_workers {
        assert!(!text.contains(b.as_str()) && !text.contains(id.as_str()) && !text.contains("历下"), "{text}");
    }
    let tail = app.get("/api/v1/integration-events?after=6", &client_a).await.expect(200);
    assert_eq!((tail["items"].as_array().unwrap().len(), &tail["next_after"]), (0, &json!(7)), "{tail}");

    // Integration clients only.
    let city_admin = app.staff(&t, &city_a, "city_admin").await;
    let ent_admin = app.staff(&t, &ent_a, "enterprise_admin").await;
    for token in [&t, &city_admin, &ent_admin, &a_workers[1].1] {
        app.get("/api/v1/integration-events", token).await.expect_error(403, "forbidden");
    }
    let anonymous = TestApp::finish(app.client.get(app.url("/api/v1/integration-events"))).await;
    anonymous.expect_error(401, "unauthenticated");
    for (query, code, field) in [
        ("after=-1", "invalid_query", "after"),
        ("after=x", "invalid_query", "after"),
        ("limit=0", "invalid_query", "limit"),
        ("limit=201", "invalid_query", "limit"),
        ("after=8", "invalid_cursor", "after"),
    ] {
        let r = app.get(&format!("/api/v1/integration-events?{query}"), &platform).await;
        assert_eq!(r.expect_error(400, code)["field"], field, "{query}");
    }

    // At rest the events hold no name, ID number or phone in the clear.
    let mut conn = models::DbUrl::parse(&app.database_url).connect().unwrap();
    let sealed: Vec<Sealed> = diesel::sql_query("SELECT payload_enc FROM integration_events").load(&mut conn).unwrap();
    assert_eq!(sealed.len(), 7);
    for s in &sealed {
        for clear in [resident_id.as_bytes(), phone.as_bytes(), "兰山工人0".as_bytes()] {
            assert!(!s.payload_enc.windows(clear.len()).any(|w| w == clear));
        }
    }
}

/// A page of events of `kind` about `subject`, read by the platform.
fn find<'a>(events: &'a [Value], kind: &str, subject: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["kind"] == kind && e["subject_id"] == subject)
        .unwrap_or_else(|| panic!("no {kind} of {subject} in {}", serde_json::to_string_pretty(events).unwrap()))
}

#[actix_web::test]
async fn results_absentees_cheating_and_makeups_carry_what_the_platform_needs() {
    let app = TestApp::spawn().await;
    let s = site(&app).await;
    let (w1, t1, id1, _) = app.worker(&s.ent_admin, &s.ent, "张三").await;
    let (w2, t2, id2, _) = app.worker(&s.ent_admin, &s.ent, "李四").await;
    let plan = open_plan(&app, &s).await;
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    // 张三 hands in an empty paper; 李四 never comes.
    let paper = start(&app, &t1, &plan_id).await;
    let first_attempt = paper["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/attempts/{first_attempt}/submit"), &t1, json!({})).await.expect(200);
    let (ws, we) = window(-120, 0);
    app.patch(&format!("/api/v1/exam-plans/{plan_id}"), &s.ent_admin, json!({"window_start": ws, "window_end": we}))
        .await
        .expect(200);
    let (_, platform) = app.platform().await;
    // The sweeper records 李四 absent once the window closed.
    wait_until("the absentee's event", 30, async || {
        pull_all(&app, &platform, 200).await.iter().any(|e| e["kind"] == "candidate.absent")
    })
    .await;
    // The makeup: 李四 passes it, 张三 is caught cheating in it.
    let (ms, me) = window(1, 120);
    let makeup = app
        .post(
            "/api/v1/exam-plans",
            &s.ent_admin,
            json!({"liveness_at_start": false, "kind": "makeup", "name": "补考", "original_plan_id": plan_id,
                   "window_start": ms, "window_end": me, "bank_ids": [s.bank], "blueprint": crate::exams::small_blueprint()}),
        )
        .await
        .expect(201);
    let makeup_id = makeup["id"].as_str().unwrap().to_owned();
    // Open it now.
    let (ms, me) = window(-1, 120);
    app.patch(&format!("/api/v1/exam-plans/{makeup_id}"), &s.ent_admin, json!({"window_start": ms, "window_end": me}))
        .await
        .expect(200);
    let paper2 = start(&app, &t2, &makeup_id).await;
    let makeup_attempt = paper2["id"].as_str().unwrap().to_owned();
    for q in paper2["questions"].as_array().unwrap() {
        let path = format!("/api/v1/attempts/{makeup_attempt}/answers/{}", q["position"]);
        app.put(&path, &t2, json!({"answer": key_of(q), "seq": 1})).await.expect(200);
    }
    app.post(&format!("/api/v1/attempts/{makeup_attempt}/submit"), &t2, json!({})).await.expect(200);
    let cheat = start(&app, &t1, &makeup_id).await["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/attempts/{cheat}/cheating"), &s.ent_admin, json!({"reason": "夹带资料"}))
        .await
        .expect(200);

    let events = pull_all(&app, &platform, 200).await;
    let graded = &find(&events, "attempt.graded", &first_attempt)["data"];
    assert_eq!(
        (graded["worker_id"].as_str(), graded["resident_id"].as_str(), graded["name"].as_str()),
        (Some(w1.as_str()), Some(id1.as_str()), Some("张三"))
    );
    assert_eq!(
        (graded["score"].as_i64(), graded["passed"].as_bool(), graded["finish_reason"].as_str(), &graded["remark"]),
        (Some(0), Some(false), Some("submitted"), &Value::Null),
        "{graded}"
    );
    assert_eq!(
        (graded["plan"]["id"].as_str(), graded["plan"]["kind"].as_str()),
        (Some(plan_id.as_str()), Some("enterprise_all_staff"))
    );
    assert_eq!((graded["enterprise"]["id"].as_str(), &graded["first"]), (Some(s.ent.as_str()), &Value::Null));

    let absent = &find(&events, "candidate.absent", &w2)["data"];
    assert_eq!(
        (&absent["attempt_id"], absent["remark"].as_str(), absent["passed"].as_bool(), absent["resident_id"].as_str()),
        (&Value::Null, Some("缺考"), Some(false), Some(id2.as_str())),
        "{absent}"
    );

    let made_up = &find(&events, "makeup.graded", &makeup_attempt)["data"];
    assert_eq!((made_up["score"].as_i64(), made_up["passed"].as_bool()), (Some(100), Some(true)), "{made_up}");
    assert_eq!(
        (made_up["plan"]["kind"].as_str(), made_up["plan"]["original_plan_id"].as_str()),
        (Some("makeup"), Some(plan_id.as_str()))
    );
    assert_eq!(
        made_up["first"],
        json!({"plan_id": plan_id, "attempt_id": null, "score": null, "passed": false, "remark": "缺考"})
    );

    let voided = &find(&events, "attempt.voided", &cheat)["data"];
    assert_eq!(
        (
            voided["score"].as_i64(),
            voided["passed"].as_bool(),
            voided["finish_reason"].as_str(),
            voided["remark"].as_str()
        ),
        (None, Some(false), Some("cheating"), Some("作弊")),
        "{voided}"
    );
    assert_eq!(
        (voided["first"]["score"].as_i64(), voided["first"]["attempt_id"].as_str()),
        (Some(0), Some(first_attempt.as_str()))
    );
    assert!(
        events.iter().all(|e| e["kind"] != "makeup.graded" || e["subject_id"] != cheat),
        "a voided attempt is not graded too"
    );
}
