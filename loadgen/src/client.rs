//! The HTTP side: one client, every measured call timed into the stats.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::stats::Stats;

/// The HTTP side: one client, every call timed into the stats.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub stats: Stats,
}

/// A call's outcome: the status and the JSON body.
pub type Reply = Result<(u16, Value), String>;

impl Api {
    pub async fn call(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.map_err(|e| format!("transport: {e}"))?;
        let status = res.status().as_u16();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }

    /// A measured call, made as the app makes it: a 503 is waited out for its `Retry-After`
    /// and sent again (each counted apart); any status but `want` is an error. The latency
    /// is the user's: from the first try to the answer.
    pub async fn timed(
        &self,
        op: &'static str,
        want: u16,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
    ) -> Option<Value> {
        let started = Instant::now();
        loop {
            let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req = match body {
                Body::None => req,
                Body::Json(v) => req.json(v),
                Body::Jpeg(bytes) => req.header("content-type", "image/jpeg").body(bytes.to_vec()),
            };
            match req.send().await {
                Ok(res) if res.status() == 503 => {
                    let wait =
                        res.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(1);
                    self.stats.error(op, "503 service_unavailable (retried)".into());
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                }
                Ok(res) if res.status().as_u16() == want => {
                    let body = res.json().await.unwrap_or(Value::Null);
                    self.stats.ok(op, started);
                    return Some(body);
                }
                Ok(res) => {
                    let status = res.status().as_u16();
                    let body: Value = res.json().await.unwrap_or(Value::Null);
                    self.stats.error(op, format!("{status} {}", body["code"].as_str().unwrap_or("")));
                    return None;
                }
                Err(e) => {
                    self.stats.error(op, format!("transport: {e}"));
                    return None;
                }
            }
        }
    }

    /// A set-up call that must succeed.
    pub async fn must(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
        want: u16,
    ) -> Value {
        match self.call(method, path, token, Some(body)).await {
            Ok((status, body)) if status == want => body,
            other => panic!("set-up call {path} failed: {other:?}"),
        }
    }
}

/// What a measured call sends.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    None,
    Json(&'a Value),
    Jpeg(&'a [u8]),
}
