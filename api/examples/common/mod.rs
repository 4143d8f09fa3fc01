//! What the HTTP benches share: a client that checks statuses, latency percentiles, and
//! valid resident ID numbers by the thousand.

#![allow(dead_code)]

use serde_json::Value;

pub const ADMIN_PASSWORD: &str = "Bench-admin-2026";
pub const PASSWORD: &str = "Worker-pass-2026";

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn ok(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Value, want: u16) -> Value {
        let (status, body) = self.call(method, path, token, Some(body)).await;
        assert_eq!(status, want, "{path}: {body}");
        body
    }
}

pub fn percentiles(label: &str, mut ms: Vec<f64>, seconds: f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: {} in {seconds:.1} s = {:.0}/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms.len(),
        ms.len() as f64 / seconds,
        at(0.5),
        at(0.9),
        at(0.99),
        ms[ms.len() - 1]
    );
}

/// The `n`th of a run of valid resident ID numbers (born 1990 in 兰山区).
pub fn resident_id(n: usize) -> String {
    let body = format!("3713021990{:02}{:02}{:03}", 1 + n / 28 % 12, 1 + n % 28, n / 336);
    format!("{body}{}", exam::resident_id::check_character(body.as_bytes()).unwrap())
}

/// The server, started in-process on a fresh SQLite file in `dir` (or the PostgreSQL
/// database in `BENCH_DATABASE_URL`), and a client for it; also its database URL.
pub async fn start(dir: &std::path::Path) -> (Client, String) {
    let mut settings = api::settings::Settings::from_env().expect("settings");
    settings.bind = "127.0.0.1:0".into();
    settings.data_dir = dir.to_path_buf();
    settings.evidence_dir = dir.join("evidence");
    settings.database_url =
        std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}", dir.join("bench.db").display()));
    settings.admin_password = Some(secrecy::SecretString::from(ADMIN_PASSWORD));
    let database_url = settings.database_url.clone();
    let options = api::startup::Options { demo: false, face_engine: None };
    let app = api::startup::Application::build(settings, options).await.expect("server");
    let c = Client {
        http: reqwest::Client::builder().pool_max_idle_per_host(4096).build().unwrap(),
        base: format!("http://127.0.0.1:{}", app.port()),
    };
    actix_web::rt::spawn(app.run_until_stopped());
    (c, database_url)
}

/// The campaign's set-up through the API: the province admin's token, the province, and an
/// enterprise of `industry` named `name` (credit code body `code17`) in 临沂市/兰山区.
pub struct Campaign {
    pub admin: String,
    pub province: String,
    pub enterprise: String,
}

pub async fn campaign(c: &Client, name: &str, industry: &str, code17: &str) -> Campaign {
    use reqwest::Method as M;
    use serde_json::json;
    let login = json!({"username": "admin", "password": ADMIN_PASSWORD});
    let admin =
        c.ok(M::POST, "/api/v1/auth/login", None, login, 200).await["access_token"].as_str().unwrap().to_owned();
    let me = c.call(M::GET, "/api/v1/me", Some(&admin), None).await.1;
    let province = me["organization"]["id"].as_str().unwrap().to_owned();
    let org = |parent: &str, name: &str| json!({"parent_id": parent, "name": name});
    let city = c.ok(M::POST, "/api/v1/organizations", Some(&admin), org(&province, "临沂市应急管理局"), 201).await;
    let county = c
        .ok(M::POST, "/api/v1/organizations", Some(&admin), org(city["id"].as_str().unwrap(), "兰山区应急管理局"), 201)
        .await;
    let credit = format!("{code17}{}", exam::credit_code::check_character(code17.as_bytes()).unwrap());
    let ent = c
        .ok(
            M::POST,
            "/api/v1/organizations",
            Some(&admin),
            json!({"parent_id": county["id"], "name": name, "credit_code": credit,
                   "industry": industry, "size_class": "above_scale"}),
            201,
        )
        .await;
    Campaign { admin, province, enterprise: ent["id"].as_str().unwrap().to_owned() }
}

/// `n` workers of `enterprise` named `name`, registered through the API with a code the
/// admin issues (8 at a time): (worker id, access token) each. Prints how long it took.
pub async fn register(c: &Client, admin: &str, enterprise: &str, name: &str, n: usize) -> Vec<(String, String)> {
    use futures_util::{stream, StreamExt};
    use reqwest::Method as M;
    use serde_json::json;
    let code = c
        .ok(
            M::POST,
            "/api/v1/registration-codes",
            Some(admin),
            json!({"organization_id": enterprise, "max_uses": n, "default_role": "other_staff"}),
            201,
        )
        .await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = std::time::Instant::now();
    let workers = stream::iter(0..n)
        .map(|i| {
            let code = &code;
            async move {
                let body = json!({"code": code, "name": name, "resident_id": resident_id(i),
                                  "phone": format!("139{i:08}"), "password": PASSWORD,
                                  "face_consent": {"version": "2026-01", "accepted": true}});
                let r = c.ok(M::POST, "/api/v1/workers/register", None, body, 201).await;
                (
                    r["worker"]["id"].as_str().unwrap().to_owned(),
                    r["tokens"]["access_token"].as_str().unwrap().to_owned(),
                )
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    println!("set-up: {n} workers registered through the API in {:.1} s", t.elapsed().as_secs_f64());
    workers
}
