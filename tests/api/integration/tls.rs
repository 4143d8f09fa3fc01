//! A platform whose HTTPS certificate a private (government) CA issued: refused by default,
//! reached once `SANDA_DELIVERY_CA_FILE` names that CA.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{fast_delivery, wait_until};
use crate::exams::site;
use crate::helpers::TestApp;

/// A CA of our own and a certificate it issued for `localhost`: (CA PEM, server config).
fn private_ca() -> (String, rustls::ServerConfig) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "省政务 CA (test)");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca_cert, &ca_key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()))
        .unwrap();
    (ca_cert.pem(), config)
}

/// An HTTPS receiver on a free port answering 204 to every request; its URL and how many
/// requests with a body it received.
async fn https_receiver(config: rustls::ServerConfig) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let received = Arc::new(AtomicUsize::new(0));
    let count = received.clone();
    actix_web::rt::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, count) = (acceptor.clone(), count.clone());
            actix_web::rt::spawn(async move {
                // A client that does not trust the certificate hangs up here.
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                while !complete(&request) {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let _ = tls.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://localhost:{port}/hook"), received)
}

/// Whether `request` holds the head and the whole body its Content-Length announces.
fn complete(request: &[u8]) -> bool {
    let text = String::from_utf8_lossy(request);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    body.len() >= length && length > 0
}

/// A server delivering fast, trusting `ca_file` besides the public roots.
async fn app_trusting(ca_file: Option<std::path::PathBuf>) -> TestApp {
    fast_delivery(|d| d.ca_file = ca_file).await
}

/// Registers a webhook at `url` and has a worker register (one event); the webhook.
async fn hook_and_event(app: &TestApp, url: &str) -> String {
    let (platform_id, _) = app.platform().await;
    let created = app
        .post("/api/v1/integration-webhooks", &app.admin_token, json!({"client_id": platform_id, "url": url}))
        .await
        .expect(201);
    let s = site(app).await;
    app.worker(&s.ent_admin, &s.ent, "张三").await;
    created["webhook"]["id"].as_str().unwrap().to_owned()
}

async fn webhook(app: &TestApp, id: &str) -> Value {
    let all = app.get("/api/v1/integration-webhooks", &app.admin_token).await.expect(200);
    all["items"].as_array().unwrap().iter().find(|w| w["id"] == id).cloned().unwrap()
}

#[actix_web::test]
async fn a_platform_on_a_private_ca_is_reached_only_with_that_ca_trusted() {
    let (ca_pem, config) = private_ca();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("gov-ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();

    // Not trusted: the handshake fails, the webhook records why, nothing arrives.
    let (url, received) = https_receiver(config.clone()).await;
    let app = app_trusting(None).await;
    let id = hook_and_event(&app, &url).await;
    wait_until("a failed try", 20, async || webhook(&app, &id).await["last_error"].is_string()).await;
    let w = webhook(&app, &id).await;
    assert_eq!(w["delivered_through"], 0, "{w}");
    assert!(w["last_error"].as_str().unwrap().to_lowercase().contains("certificate"), "{w}");
    assert_eq!(received.load(Ordering::SeqCst), 0);

    // Trusted through SANDA_DELIVERY_CA_FILE: the event is delivered.
    let (url, received) = https_receiver(config).await;
    let app = app_trusting(Some(ca_file)).await;
    let id = hook_and_event(&app, &url).await;
    wait_until("the delivery", 20, async || webhook(&app, &id).await["delivered_through"].as_i64() > Some(0)).await;
    assert!(received.load(Ordering::SeqCst) >= 1);
    assert_eq!(webhook(&app, &id).await["last_error"], Value::Null);
}
