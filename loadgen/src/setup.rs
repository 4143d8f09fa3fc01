//! The campaign's set-up through the API: hierarchy, a proctor, workers with enrolled
//! faces, a 300-question bank and an open exam.

use std::sync::Arc;
use std::time::Instant;

use futures_util::{stream, StreamExt};
use reqwest::Method as M;
use serde_json::{json, Value};

use crate::client::{Api, Body};
use crate::{ADMIN_PASSWORD, PASSWORD};

/// What exam day needs from the set-up.
#[derive(Debug)]
pub struct Setup {
    pub proctor: String,
    pub plan_id: String,
    /// Each candidate's login (its mobile number).
    pub phones: Vec<String>,
    /// The access tokens the registrations returned, in no particular order.
    pub tokens: Vec<String>,
}

fn bank(n: usize) -> Value {
    let kinds = ["single_choice", "multiple_choice", "true_false"];
    let questions: Vec<Value> = (0..n)
        .map(|i| {
            let kind = kinds[i % 3];
            let (options, answer) = match kind {
                "true_false" => (vec![], "true"),
                "single_choice" => (vec!["甲", "乙", "丙", "丁"], "B"),
                _ => (vec!["甲", "乙", "丙", "丁"], "AC"),
            };
            json!({"kind": kind, "category": "work_safety_law", "stem": format!("压测第{i}题（　）。"),
                   "options": options, "answer": answer, "roles": ["principal", "safety_manager", "other_staff"],
                   "explanation": "解析。", "legal_basis": "《中华人民共和国安全生产法》第三条"})
        })
        .collect();
    json!({ "questions": questions })
}

/// A valid resident ID number for candidate `n` (GB 11643 check digit).
fn resident_id(n: usize) -> String {
    let body = format!("3713021990{:02}{:02}{:03}", 1 + n / 28 % 12, 1 + n % 28, n / 336);
    let check = exam::resident_id::check_character(body.as_bytes()).expect("digits");
    format!("{body}{check}")
}

/// A valid unified social credit code (GB 32100 check character).
fn credit_code() -> String {
    let body = "91371302MA3C0L0AD";
    let check = exam::credit_code::check_character(body.as_bytes()).expect("code alphabet");
    format!("{body}{check}")
}

pub async fn run(api: &Arc<Api>, candidates: usize, enroll_photo: &[u8]) -> Setup {
    let t = Instant::now();
    let login = json!({"username": "admin", "password": ADMIN_PASSWORD});
    let admin = api.must(M::POST, "/api/v1/auth/login", None, login, 200).await["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let admin = admin.as_str();
    let province = api.call(M::GET, "/api/v1/me", Some(admin), None).await.expect("me").1["organization"]["id"].clone();
    let city = api
        .must(
            M::POST,
            "/api/v1/organizations",
            Some(admin),
            json!({"parent_id": province, "name": "临沂市应急管理局"}),
            201,
        )
        .await;
    let county = api
        .must(
            M::POST,
            "/api/v1/organizations",
            Some(admin),
            json!({"parent_id": city["id"], "name": "兰山区应急管理局"}),
            201,
        )
        .await;
    let ent = api
        .must(
            M::POST,
            "/api/v1/organizations",
            Some(admin),
            json!({"parent_id": county["id"], "name": "临沂压测商贸有限公司", "credit_code": credit_code(),
                   "industry": "commerce", "size_class": "above_scale"}),
            201,
        )
        .await;
    let proctor = api
        .must(M::POST, "/api/v1/staff-accounts", Some(admin),
            json!({"organization_id": county["id"], "username": "load.proctor", "display_name": "监考员", "role": "proctor"}), 201)
        .await;
    let first = api
        .must(
            M::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "load.proctor", "password": proctor["initial_password"]}),
            200,
        )
        .await;
    let proctor = api
        .must(
            M::POST,
            "/api/v1/me/password",
            first["access_token"].as_str(),
            json!({"current_password": proctor["initial_password"], "new_password": "Proctor-pass-2026"}),
            200,
        )
        .await["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let code = api
        .must(
            M::POST,
            "/api/v1/registration-codes",
            Some(admin),
            json!({"organization_id": ent["id"], "max_uses": candidates.max(1), "default_role": "other_staff"}),
            201,
        )
        .await["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let phones: Vec<String> = (0..candidates).map(|n| format!("139{n:08}")).collect();
    let tokens = stream::iter(0..candidates)
        .map(|n| {
            let (api, code, phone, photo) = (api.clone(), code.clone(), phones[n].clone(), enroll_photo.to_vec());
            async move {
                let body = json!({"code": code, "name": "考生", "resident_id": resident_id(n), "phone": phone,
                                  "password": PASSWORD, "face_consent": {"version": "2026-01", "accepted": true}});
                let r = api.must(M::POST, "/api/v1/workers/register", None, body, 201).await;
                let token = r["tokens"]["access_token"].as_str().unwrap_or_default().to_owned();
                api.timed("setup:enrollFace", 201, M::POST, "/api/v1/me/face", Some(&token), Body::Jpeg(&photo))
                    .await
                    .expect("enrolled");
                token
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<String>>()
        .await;
    let b = api
        .must(
            M::POST,
            "/api/v1/question-banks",
            Some(admin),
            json!({"organization_id": province, "name": "压测题库"}),
            201,
        )
        .await;
    api.must(
        M::POST,
        &format!("/api/v1/question-banks/{}/import", b["id"].as_str().unwrap_or_default()),
        Some(admin),
        bank(300),
        201,
    )
    .await;
    let now = chrono::Utc::now();
    let plan = api
        .must(
            M::POST,
            "/api/v1/exam-plans",
            Some(admin),
            json!({"organizer_id": province, "liveness_at_start": false, "kind": "province_unified", "name": "压测考试",
                   "window_start": (now - chrono::Duration::minutes(1)).to_rfc3339(),
                   "window_end": (now + chrono::Duration::hours(3)).to_rfc3339(),
                   "candidate_filter": {"roles": ["other_staff"]}, "bank_ids": [b["id"]]}),
            201,
        )
        .await;
    let plan_id = plan["id"].as_str().unwrap_or_default().to_owned();
    println!(
        "set-up: {candidates} candidates registered with faces enrolled, bank and exam in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    Setup { proctor, plan_id, phones, tokens }
}
