//! Service Usage v1.

use std::time::Duration;

use keyway::emulator::{FaultConfig, Options};
use serde_json::{json, Value};

use super::common::{assert_error, reason, Env};

fn retry_delay(v: &Value) -> Option<String> {
    v["error"]["details"]
        .as_array()?
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.RetryInfo")
        .and_then(|d| d["retryDelay"].as_str())
        .map(str::to_string)
}

#[tokio::test]
async fn enable_get_list_disable_lifecycle() {
    let env = Env::new().await;
    let svc = "/v1/projects/su-proj/services/apikeys.googleapis.com";
    let got = env.ok("GET", svc, None).await;
    assert_eq!(got["state"], "DISABLED");
    let number = got["parent"]
        .as_str()
        .expect("parent")
        .trim_start_matches("projects/")
        .to_string();
    assert!(
        number.len() == 12 && number.bytes().all(|b| b.is_ascii_digit()),
        "{number}"
    );
    assert_eq!(
        got["name"],
        json!(format!("projects/{number}/services/apikeys.googleapis.com"))
    );

    let op = env
        .ok("POST", &format!("{svc}:enable"), Some(json!({})))
        .await;
    assert_eq!(op["done"], json!(true));
    assert!(op["name"]
        .as_str()
        .expect("name")
        .starts_with(&format!("operations/acf.p2-{number}-")));
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse"
    );
    assert_eq!(op["response"]["service"]["state"], "ENABLED");
    assert_eq!(
        op["metadata"]["@type"],
        "type.googleapis.com/google.api.serviceusage.v1.OperationMetadata"
    );
    // The operation can be polled.
    let polled = env
        .ok(
            "GET",
            &format!("/v1/{}", op["name"].as_str().expect("name")),
            None,
        )
        .await;
    assert_eq!(polled, op);

    // Enabling again is the no-op operation, which cannot be polled.
    let noop = env.ok("POST", &format!("{svc}:enable"), None).await;
    assert_eq!(noop["name"], "operations/noop.DONE_OPERATION");
    assert_eq!(noop["done"], json!(true));
    assert_error(
        &env.call("GET", "/v1/operations/noop.DONE_OPERATION", None)
            .await,
        400,
        "INVALID_ARGUMENT",
    );

    let enabled = env
        .ok(
            "GET",
            "/v1/projects/su-proj/services?filter=state:ENABLED",
            None,
        )
        .await;
    let names: Vec<&str> = enabled["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["config"]["name"].as_str())
        .collect();
    assert!(
        names.contains(&"apikeys.googleapis.com") && names.contains(&"serviceusage.googleapis.com"),
        "{names:?}"
    );
    assert!(!names.contains(&"run.googleapis.com"));
    let disabled = env
        .ok(
            "GET",
            "/v1/projects/su-proj/services?filter=state:DISABLED",
            None,
        )
        .await;
    assert!(disabled["services"]
        .as_array()
        .expect("list")
        .iter()
        .all(|s| s["state"] == "DISABLED"));

    let op = env
        .ok("POST", &format!("{svc}:disable"), Some(json!({})))
        .await;
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.api.serviceusage.v1.DisableServiceResponse"
    );
    assert_eq!(env.ok("GET", svc, None).await["state"], "DISABLED");
    // Disabling a disabled service is a precondition failure.
    assert_error(
        &env.call("POST", &format!("{svc}:disable"), None).await,
        400,
        "FAILED_PRECONDITION",
    );
}

#[tokio::test]
async fn dependencies_enable_and_block_disable() {
    let env = Env::new().await;
    env.enable("dep-proj", &["apigateway.googleapis.com"]).await;
    let sm = env
        .ok(
            "GET",
            "/v1/projects/dep-proj/services/servicemanagement.googleapis.com",
            None,
        )
        .await;
    assert_eq!(sm["state"], "ENABLED", "dependency enabled too");
    let path = "/v1/projects/dep-proj/services/servicemanagement.googleapis.com:disable";
    let err = env.call("POST", path, Some(json!({}))).await;
    assert_error(&err, 400, "FAILED_PRECONDITION");
    assert_eq!(
        reason(&err.1).as_deref(),
        Some("COMMON_SU_SERVICE_HAS_DEPENDENT_SERVICES")
    );
    env.ok(
        "POST",
        path,
        Some(json!({"disableDependentServices": true})),
    )
    .await;
    let gw = env
        .ok(
            "GET",
            "/v1/projects/dep-proj/services/apigateway.googleapis.com",
            None,
        )
        .await;
    assert_eq!(gw["state"], "DISABLED", "dependent disabled with it");
}

#[tokio::test]
async fn usage_check_on_disable() {
    let env = Env::new().await;
    env.enable("use-proj", &["apikeys.googleapis.com"]).await;
    env.ok("GET", "/v2/projects/use-proj/locations/global/keys", None)
        .await;
    let path = "/v1/projects/use-proj/services/apikeys.googleapis.com:disable";
    let err = env
        .call(
            "POST",
            path,
            Some(json!({"checkIfServiceHasUsage": "CHECK"})),
        )
        .await;
    assert_error(&err, 400, "FAILED_PRECONDITION");
    // Integer enum form (2 = CHECK) is understood the same way.
    assert_error(
        &env.call("POST", path, Some(json!({"checkIfServiceHasUsage": 2})))
            .await,
        400,
        "FAILED_PRECONDITION",
    );
    env.ok(
        "POST",
        path,
        Some(json!({"checkIfServiceHasUsage": "SKIP"})),
    )
    .await;
}

#[tokio::test]
async fn batch_enable_and_batch_get() {
    let env = Env::new().await;
    let op = env
        .ok(
            "POST",
            "/v1/projects/b-proj/services:batchEnable",
            Some(json!({"serviceIds": ["run.googleapis.com", "iam.googleapis.com"]})),
        )
        .await;
    assert!(op["name"]
        .as_str()
        .expect("name")
        .starts_with("operations/acat.p2-"));
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse"
    );
    assert_eq!(
        op["response"]["services"]
            .as_array()
            .expect("services")
            .len(),
        2
    );
    let got = env
        .ok("GET", "/v1/projects/b-proj/services:batchGet?names=projects/b-proj/services/run.googleapis.com&names=projects/b-proj/services/iam.googleapis.com", None)
        .await;
    assert!(got["services"]
        .as_array()
        .expect("services")
        .iter()
        .all(|s| s["state"] == "ENABLED"));
}

#[tokio::test]
async fn error_cases() {
    let env = Env::new().await;
    let too_many: Vec<String> = (0..21).map(|i| format!("s{i}.googleapis.com")).collect();
    let cases = [
        (
            "POST",
            "/v1/projects/e-proj/services:batchEnable",
            Some(json!({"serviceIds": too_many})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/e-proj/services:batchEnable",
            Some(json!({"serviceIds": []})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/e-proj/services:batchEnable",
            Some(json!({"serviceIds": ["run.googleapis.com", "nope.googleapis.com"]})),
            403,
            "PERMISSION_DENIED",
        ),
        (
            "POST",
            "/v1/projects/e-proj/services/nope.googleapis.com:enable",
            None,
            403,
            "PERMISSION_DENIED",
        ),
        (
            "GET",
            "/v1/projects/e-proj/services?filter=name:foo",
            None,
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "GET",
            "/v1/projects/e-proj/services?pageToken=garbage",
            None,
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/e-proj/services/run.googleapis.com:enable",
            Some(json!({"bogus": 1})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "GET",
            "/v1/operations/acf.p2-1-missing",
            None,
            404,
            "NOT_FOUND",
        ),
    ];
    for (m, p, b, http, status) in cases {
        assert_error(&env.call(m, p, b).await, http, status);
    }
    // Nothing in the failed batch was enabled (atomic).
    assert_eq!(
        env.ok(
            "GET",
            "/v1/projects/e-proj/services/run.googleapis.com",
            None
        )
        .await["state"],
        "DISABLED"
    );
}

#[tokio::test]
async fn list_paginates() {
    let env = Env::new().await;
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = env
            .ok(
                "GET",
                &format!("/v1/projects/pg-proj/services?pageSize=4&pageToken={token}"),
                None,
            )
            .await;
        let items = page["services"].as_array().expect("services");
        assert!(items.len() <= 4);
        seen.extend(items.iter().map(|s| s["config"]["name"].clone()));
        match page["nextPageToken"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    let all = env
        .ok("GET", "/v1/projects/pg-proj/services?pageSize=200", None)
        .await;
    assert_eq!(
        seen.len(),
        all["services"].as_array().expect("services").len()
    );
    assert!(all.get("nextPageToken").is_none());
}

#[tokio::test]
async fn recently_enabled_service_cannot_be_disabled() {
    let faults = FaultConfig {
        recent_enable_window: Duration::from_millis(1500),
        ..FaultConfig::default()
    };
    let env = Env::with(Options {
        faults,
        ..Options::default()
    })
    .await;
    env.enable("recent-proj", &["apikeys.googleapis.com"]).await;
    let path = "/v1/projects/recent-proj/services/apikeys.googleapis.com:disable";
    let err = env.call("POST", path, Some(json!({}))).await;
    assert_error(&err, 400, "FAILED_PRECONDITION");
    assert_eq!(
        reason(&err.1).as_deref(),
        Some("COMMON_SU_SERVICE_RECENTLY_ENABLED")
    );
    assert!(
        err.1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("enabled recently")),
        "{}",
        err.1
    );
    assert!(
        retry_delay(&err.1).is_some_and(|d| d.ends_with('s')),
        "{}",
        err.1
    );
    // Nothing changed: still enabled.
    let got = env
        .ok(
            "GET",
            "/v1/projects/recent-proj/services/apikeys.googleapis.com",
            None,
        )
        .await;
    assert_eq!(got["state"], "ENABLED");
    // The rule covers dependents a cascading disable would take down too.
    env.enable("recent-proj", &["apigateway.googleapis.com"])
        .await;
    let err = env
        .call(
            "POST",
            "/v1/projects/recent-proj/services/servicecontrol.googleapis.com:disable",
            Some(json!({"disableDependentServices": true})),
        )
        .await;
    assert_error(&err, 400, "FAILED_PRECONDITION");
    assert_eq!(
        reason(&err.1).as_deref(),
        Some("COMMON_SU_SERVICE_RECENTLY_ENABLED")
    );
    // Project defaults were enabled long ago and are not affected.
    env.ok(
        "POST",
        "/v1/projects/recent-proj/services/storage.googleapis.com:disable",
        Some(json!({})),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let op = env.ok("POST", path, Some(json!({}))).await;
    assert_eq!(op["response"]["service"]["state"], "DISABLED");
}

#[tokio::test]
async fn service_with_running_enable_cannot_be_disabled() {
    let env = Env::with(Options {
        operation_delay: Duration::from_millis(700),
        ..Options::default()
    })
    .await;
    let svc = "/v1/projects/pending-proj/services/iam.googleapis.com";
    let op = env
        .ok("POST", &format!("{svc}:enable"), Some(json!({})))
        .await;
    assert_eq!(op.get("done"), None, "{op}");
    let err = env
        .call("POST", &format!("{svc}:disable"), Some(json!({})))
        .await;
    assert_error(&err, 400, "FAILED_PRECONDITION");
    assert_eq!(
        reason(&err.1).as_deref(),
        Some("COMMON_SU_SERVICE_RECENTLY_ENABLED")
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let polled = env
        .ok(
            "GET",
            &format!("/v1/{}", op["name"].as_str().expect("name")),
            None,
        )
        .await;
    assert_eq!(polled["done"], json!(true));
    env.ok("POST", &format!("{svc}:disable"), Some(json!({})))
        .await;
}

#[tokio::test]
async fn operations_list_get_delete() {
    let env = Env::new().await;
    env.enable("ops-proj", &["apikeys.googleapis.com"]).await;
    let single = env
        .ok(
            "POST",
            "/v1/projects/ops-proj/services/iam.googleapis.com:enable",
            Some(json!({})),
        )
        .await;
    // An API Keys operation shares the `operations/` collection but is not Service Usage's.
    let key_op = env
        .ok(
            "POST",
            "/v2/projects/ops-proj/locations/global/keys",
            Some(json!({})),
        )
        .await;
    assert!(key_op["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("operations/akmf.")));

    let all = env.ok("GET", "/v1/operations", None).await;
    let names: Vec<&str> = all["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&single["name"].as_str().expect("name")));
    assert!(names.iter().any(|n| n.starts_with("operations/acat.")));
    assert!(!names.iter().any(|n| n.starts_with("operations/akmf.")));
    for o in all["operations"].as_array().expect("operations") {
        assert_eq!(o["done"], json!(true));
        assert_eq!(
            o["metadata"]["@type"],
            "type.googleapis.com/google.api.serviceusage.v1.OperationMetadata"
        );
    }

    // Filters on done, pages, and the `name` parameter is accepted.
    let pending = env
        .ok(
            "GET",
            "/v1/operations?filter=done:false&name=operations",
            None,
        )
        .await;
    assert_eq!(pending, json!({}));
    let page = env.ok("GET", "/v1/operations?pageSize=1", None).await;
    assert_eq!(page["operations"].as_array().map(Vec::len), Some(1));
    let token = page["nextPageToken"].as_str().expect("token");
    let rest = env
        .ok(
            "GET",
            &format!("/v1/operations?pageSize=1&pageToken={token}"),
            None,
        )
        .await;
    assert_eq!(rest["operations"].as_array().map(Vec::len), Some(1));
    assert!(rest.get("nextPageToken").is_none());

    assert_error(
        &env.call("GET", "/v1/operations?filter=name:x", None).await,
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &env.call("GET", "/v1/operations?bogus=1", None).await,
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &env.call("GET", "/v1/operations?returnPartialSuccess=true", None)
            .await,
        501,
        "UNIMPLEMENTED",
    );

    // Cancel (a no-op on a finished operation) and delete.
    let path = format!("/v1/{}", single["name"].as_str().expect("name"));
    assert_eq!(
        env.ok("POST", &format!("{path}:cancel"), Some(json!({})))
            .await,
        json!({})
    );
    assert_eq!(env.ok("DELETE", &path, None).await, json!({}));
    assert_error(&env.call("GET", &path, None).await, 404, "NOT_FOUND");
    assert_error(&env.call("DELETE", &path, None).await, 404, "NOT_FOUND");

    // API Keys v2 defines operations.get only (reference §7.1, apikeys.v2 discovery): there is
    // no list to answer.
    assert_error(
        &env.call("GET", "/v2/operations", None).await,
        404,
        "NOT_FOUND",
    );
    env.ok(
        "GET",
        &format!("/v2/{}", key_op["name"].as_str().expect("name")),
        None,
    )
    .await;
}
