//! API Gateway v1.

use base64::Engine;
use serde_json::{json, Value};

use super::common::{assert_error, Env};

const APIS: &str = "/v1/projects/gw-proj/locations/global/apis";

async fn env() -> Env {
    let env = Env::new().await;
    env.enable(
        "gw-proj",
        &["apigateway.googleapis.com", "iam.googleapis.com"],
    )
    .await;
    env
}

fn config_body(spec: &str) -> Value {
    let contents = base64::engine::general_purpose::STANDARD.encode(spec);
    json!({"displayName": "c1", "openapiDocuments": [{"document": {"path": "openapi.yaml", "contents": contents}}]})
}

const SPEC: &str = "swagger: '2.0'\ninfo:\n  title: t\n  version: '1'\npaths: {}\n";

#[tokio::test]
async fn api_config_gateway_lifecycle_and_deletion_order() {
    let env = env().await;
    let op = env
        .ok(
            "POST",
            &format!("{APIS}?apiId=my-api"),
            Some(json!({"displayName": "My API", "labels": {"env": "t"}})),
        )
        .await;
    assert!(op["name"]
        .as_str()
        .expect("n")
        .starts_with("projects/gw-proj/locations/global/operations/operation-"));
    assert_eq!(
        op["metadata"]["@type"],
        "type.googleapis.com/google.cloud.apigateway.v1.OperationMetadata"
    );
    assert_eq!(op["metadata"]["verb"], "create");
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.apigateway.v1.Api"
    );
    let api = env.ok("GET", &format!("{APIS}/my-api"), None).await;
    assert_eq!(api["state"], "ACTIVE");
    let ms = api["managedService"]
        .as_str()
        .expect("managedService")
        .to_string();
    assert!(
        ms.starts_with("my-api-") && ms.ends_with(".apigateway.gw-proj.cloud.goog"),
        "{ms}"
    );

    // Config: FULL view returns the documents, BASIC does not.
    env.ok(
        "POST",
        "/v1/projects/gw-proj/serviceAccounts",
        Some(json!({"accountId": "gateway-sa"})),
    )
    .await;
    let mut body = config_body(SPEC);
    body["gatewayServiceAccount"] = json!("gateway-sa@gw-proj.iam.gserviceaccount.com");
    let op = env
        .ok(
            "POST",
            &format!("{APIS}/my-api/configs?apiConfigId=cfg1"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.apigateway.v1.ApiConfig"
    );
    let cfg = format!("{APIS}/my-api/configs/cfg1");
    let basic = env.ok("GET", &cfg, None).await;
    assert!(basic.get("openapiDocuments").is_none());
    assert!(basic["serviceConfigId"].is_string());
    let full = env.ok("GET", &format!("{cfg}?view=FULL"), None).await;
    assert_eq!(full["openapiDocuments"], body["openapiDocuments"]);
    assert_eq!(env.ok("GET", &format!("{cfg}?view=2"), None).await, full);
    // Only displayName/labels are mutable; the mask is mandatory.
    env.ok(
        "PATCH",
        &format!("{cfg}?updateMask=displayName"),
        Some(json!({"displayName": "renamed"})),
    )
    .await;
    assert_error(
        &env.call(
            "PATCH",
            &format!("{cfg}?updateMask=openapiDocuments"),
            Some(body.clone()),
        )
        .await,
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &env.call("PATCH", &cfg, Some(json!({"displayName": "x"})))
            .await,
        400,
        "INVALID_ARGUMENT",
    );

    // Gateway (regional) with a default hostname; switch configs by patch.
    let gws = "/v1/projects/gw-proj/locations/us-central1/gateways";
    let cfg_name = "projects/gw-proj/locations/global/apis/my-api/configs/cfg1";
    let op = env
        .ok(
            "POST",
            &format!("{gws}?gatewayId=gw1"),
            Some(json!({"apiConfig": cfg_name})),
        )
        .await;
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.apigateway.v1.Gateway"
    );
    let gw = env.ok("GET", &format!("{gws}/gw1"), None).await;
    let host = gw["defaultHostname"].as_str().expect("host");
    assert!(
        host.starts_with("gw1-") && host.ends_with(".uc.gateway.dev"),
        "{host}"
    );
    env.ok(
        "POST",
        &format!("{APIS}/my-api/configs?apiConfigId=cfg2"),
        Some(config_body(SPEC)),
    )
    .await;
    let cfg2 = "projects/gw-proj/locations/global/apis/my-api/configs/cfg2";

    // Deletion order: config in use and API with configs are refused.
    assert_error(
        &env.call("DELETE", &cfg, None).await,
        400,
        "FAILED_PRECONDITION",
    );
    assert_error(
        &env.call("DELETE", &format!("{APIS}/my-api"), None).await,
        400,
        "FAILED_PRECONDITION",
    );
    let op = env
        .ok(
            "PATCH",
            &format!("{gws}/gw1?updateMask=apiConfig"),
            Some(json!({"apiConfig": cfg2})),
        )
        .await;
    assert_eq!(op["response"]["apiConfig"], cfg2);
    let op = env.ok("DELETE", &cfg, None).await;
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.protobuf.Empty"
    );
    let list = env.ok("GET", &format!("{APIS}/my-api/configs"), None).await;
    assert_eq!(list["apiConfigs"].as_array().expect("configs").len(), 1);

    // IAM on all three kinds (GET get, POST set).
    for res in [
        format!("{APIS}/my-api"),
        format!("{APIS}/my-api/configs/cfg2"),
        format!("{gws}/gw1"),
    ] {
        assert_eq!(
            env.ok("GET", &format!("{res}:getIamPolicy"), None).await,
            json!({"etag": "ACAB"})
        );
        env.ok("POST", &format!("{res}:setIamPolicy"), Some(json!({"policy": {"bindings": [{"role": "roles/apigateway.viewer", "members": ["allUsers"]}]}}))).await;
    }

    env.ok("DELETE", &format!("{gws}/gw1"), None).await;
    env.ok(
        "DELETE",
        "/v1/projects/gw-proj/locations/global/apis/my-api/configs/cfg2",
        None,
    )
    .await;
    env.ok("DELETE", &format!("{APIS}/my-api"), None).await;
    assert_error(
        &env.call("GET", &format!("{APIS}/my-api"), None).await,
        404,
        "NOT_FOUND",
    );
    assert_eq!(env.ok("GET", APIS, None).await, json!({}));
}

#[tokio::test]
async fn managed_service_can_be_enabled() {
    let env = env().await;
    let op = env
        .ok("POST", &format!("{APIS}?apiId=ms-api"), Some(json!({})))
        .await;
    let ms = op["response"]["managedService"]
        .as_str()
        .expect("ms")
        .to_string();
    let svc = format!("/v1/projects/gw-proj/services/{ms}");
    assert_eq!(env.ok("GET", &svc, None).await["state"], "DISABLED");
    env.ok("POST", &format!("{svc}:enable"), None).await;
    assert_eq!(env.ok("GET", &svc, None).await["state"], "ENABLED");
}

#[tokio::test]
async fn invalid_openapi_fails_the_operation() {
    let env = env().await;
    env.ok("POST", &format!("{APIS}?apiId=bad-spec"), Some(json!({})))
        .await;
    let op = env
        .ok(
            "POST",
            &format!("{APIS}/bad-spec/configs?apiConfigId=c"),
            Some(config_body("hello: world\n")),
        )
        .await;
    assert_eq!(op["done"], json!(true));
    assert_eq!(
        op["error"]["code"],
        json!(3),
        "numeric INVALID_ARGUMENT in Operation.error"
    );
    assert!(op.get("response").is_none());
    assert_error(
        &env.call("GET", &format!("{APIS}/bad-spec/configs/c"), None)
            .await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn error_cases() {
    let env = env().await;
    env.ok("POST", &format!("{APIS}?apiId=taken"), Some(json!({})))
        .await;
    let gws = "/v1/projects/gw-proj/locations/us-central1/gateways";
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            "POST",
            APIS.to_string(),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{APIS}?apiId=taken"),
            Some(json!({})),
            409,
            "ALREADY_EXISTS",
        ),
        (
            "POST",
            format!("{APIS}?apiId=-dash"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{APIS}?apiId=under_score"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{APIS}?apiId={}", "a".repeat(64)),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/gw-proj/locations/us-central1/apis?apiId=regional".to_string(),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "PATCH",
            format!("{APIS}/taken?updateMask=managedService"),
            Some(json!({"managedService": "x"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{APIS}/missing/configs?apiConfigId=c"),
            Some(config_body(SPEC)),
            404,
            "NOT_FOUND",
        ),
        (
            "POST",
            format!("{APIS}/taken/configs?apiConfigId=c"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{APIS}/taken/configs?apiConfigId=c"),
            Some(json!({"openapiDocuments": [{"document": {"contents": "***"}}]})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "GET",
            format!("{APIS}/taken/configs/nope?view=SIDEWAYS"),
            None,
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{gws}?gatewayId={}", "g".repeat(50)),
            Some(json!({"apiConfig": "x"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{gws}?gatewayId=g1"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{gws}?gatewayId=g1"),
            Some(json!({"apiConfig": "projects/gw-proj/locations/global/apis/taken/configs/none"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/gw-proj/locations/global/gateways?gatewayId=g1".to_string(),
            Some(json!({"apiConfig": "x"})),
            400,
            "INVALID_ARGUMENT",
        ),
        ("GET", format!("{gws}/none"), None, 404, "NOT_FOUND"),
        (
            "GET",
            "/v1/projects/gw-off/locations/global/apis".to_string(),
            None,
            403,
            "PERMISSION_DENIED",
        ),
    ];
    for (m, p, b, http, status) in cases {
        assert_error(&env.call(m, &p, b).await, http, status);
    }
}

#[tokio::test]
async fn list_paginates() {
    let env = env().await;
    for id in ["pa", "pb"] {
        env.ok("POST", &format!("{APIS}?apiId={id}"), Some(json!({})))
            .await;
    }
    let pages = env.pages(APIS, "apis").await;
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_ne!(pages[0], pages[1]);
}
