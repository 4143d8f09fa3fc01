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
