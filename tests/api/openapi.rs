//! The committed contract matches the code, and every operation in it is routed.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::TestApp;

fn committed() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml"))
        .expect("openapi.yaml at the repository root")
}

#[test]
fn committed_contract_matches_the_code() {
    let generated = api::openapi::yaml();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml"), &generated).unwrap();
    }
    assert!(
        committed() == generated,
        "openapi.yaml differs from what the code generates: run `cargo run --bin sanda -- openapi > openapi.yaml` \
         (or this test with UPDATE_OPENAPI=1) and commit the result"
    );
}

fn operations() -> Vec<(String, String, Value)> {
    let doc: Value = serde_norway::from_str(&committed()).expect("valid YAML");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    ops
}

#[test]
fn every_schema_reference_resolves() {
    let text = committed();
    let doc: Value = serde_norway::from_str(&text).unwrap();
    let defined = doc["components"]["schemas"].as_object().cloned().unwrap_or_default();
    let dangling: Vec<&str> = text
        .split("#/components/schemas/")
        .skip(1)
        .map(|rest| rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or(""))
        .filter(|name| !defined.contains_key(*name))
        .collect();
    assert!(dangling.is_empty(), "references to schemas openapi.yaml does not define: {dangling:?}");
}

#[test]
fn every_operation_has_a_unique_operation_id_and_the_required_ones_exist() {
    let ops = operations();
    let mut ids: Vec<&str> = ops
        .iter()
        .map(|(m, p, op)| op["operationId"].as_str().unwrap_or_else(|| panic!("{m} {p} has no operationId")))
        .collect();
    for required in [
        "login",
        "refreshToken",
        "logout",
        "getMe",
        "changePassword",
        "createOrganization",
        "listOrganizations",
        "getOrganization",
        "updateOrganization",
        "createStaffAccount",
        "listStaffAccounts",
        "createIntegrationClient",
        "listIntegrationEvents",
    ] {
        assert!(ids.contains(&required), "operation {required} is missing");
    }
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate operationId");
}

#[actix_web::test]
async fn every_operation_in_the_contract_is_routed() {
    let app = TestApp::spawn().await;
    for (method, path, _) in operations() {
        let concrete = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{position}", "1")
            .replace("{worker_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{check_id}", &uuid::Uuid::now_v7().to_string());
        assert!(!concrete.contains('{'), "unhandled path parameter in {path}");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = TestApp::finish(app.client.request(method.clone(), app.url(&concrete))).await;
        assert_ne!(res.body["code"], "route_not_found", "{method} {path} is in openapi.yaml but not routed");
        assert!(!res.status.is_server_error(), "{method} {path} → {}", res.status);
    }
}

#[actix_web::test]
async fn other_methods_get_405_with_the_documented_methods_in_allow() {
    let app = TestApp::spawn().await;
    let mut documented: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (method, path, _) in operations() {
        documented.entry(path).or_default().push(method.to_uppercase());
    }
    for (path, mut methods) in documented {
        let concrete = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{position}", "1")
            .replace("{worker_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{check_id}", &uuid::Uuid::now_v7().to_string());
        let res = TestApp::finish(app.client.request(Method::TRACE, app.url(&concrete))).await;
        let allow =
            res.headers.get("allow").unwrap_or_else(|| panic!("{path}: no Allow header")).to_str().unwrap().to_owned();
        res.expect_error(405, "method_not_allowed");
        let mut allowed: Vec<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
        allowed.sort();
        methods.sort();
        assert_eq!(allowed, methods, "{path}");
    }
}
