//! Cloud Run Admin v2 services.

use std::time::{Duration, Instant};

use keyway::emulator::Options;
use serde_json::{json, Value};

use super::common::{assert_error, Env};

const PARENT: &str = "/v2/projects/run-proj/locations/us-central1";

async fn env() -> Env {
    let env = Env::new().await;
    env.enable("run-proj", &["run.googleapis.com", "iam.googleapis.com"])
        .await;
    env
}

fn service(image: &str) -> Value {
    json!({"template": {"containers": [{"image": image, "env": [{"name": "A", "value": "1"}]}]}})
}

#[tokio::test]
async fn create_get_patch_delete_with_defaults() {
    let env = env().await;
    // Integer enum (ingress 2 = INTERNAL_ONLY) is accepted and stored as its name.
    let mut body = service("us-docker.pkg.dev/cloudrun/container/hello");
    body["ingress"] = json!(2);
    let op = env
        .ok(
            "POST",
            &format!("{PARENT}/services?serviceId=svc1&$alt=json;enum-encoding=int"),
            Some(body),
        )
        .await;
    assert_eq!(op["done"], json!(true));
    assert!(op["name"]
        .as_str()
        .expect("name")
        .starts_with("projects/run-proj/locations/us-central1/operations/"));
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.run.v2.Service"
    );
    assert_eq!(
        op["metadata"]["@type"],
        "type.googleapis.com/google.cloud.run.v2.Service"
    );
    let name = format!("{PARENT}/services/svc1");
    let svc = env.ok("GET", &name, None).await;
    assert_eq!(svc["ingress"], "INGRESS_TRAFFIC_INTERNAL_ONLY");
    assert_eq!(svc["generation"], "1");
    assert_eq!(svc["observedGeneration"], "1");
    assert_eq!(svc["launchStage"], "GA");
    assert_eq!(svc["terminalCondition"]["state"], "CONDITION_SUCCEEDED");
    assert!(svc.get("reconciling").is_none());
    assert!(svc["uri"]
        .as_str()
        .expect("uri")
        .starts_with("https://svc1-"));
    assert_eq!(svc["urls"].as_array().expect("urls").len(), 2);
    let t = &svc["template"];
    assert_eq!(t["timeout"], "300s");
    assert_eq!(t["maxInstanceRequestConcurrency"], json!(80));
    assert_eq!(t["scaling"]["maxInstanceCount"], json!(100));
    assert!(t["serviceAccount"]
        .as_str()
        .expect("sa")
        .ends_with("-compute@developer.gserviceaccount.com"));
    assert_eq!(t["containers"][0]["resources"]["limits"]["cpu"], "1000m");
    assert_eq!(t["containers"][0]["ports"][0]["containerPort"], json!(8080));
    assert_eq!(
        svc["traffic"][0]["type"],
        "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    );
    let rev1 = svc["latestReadyRevision"]
        .as_str()
        .expect("rev")
        .to_string();
    assert!(rev1.contains("/revisions/svc1-00001-"), "{rev1}");

    // Patch without a mask replaces the desired state: a new generation and revision.
    let op = env
        .ok("PATCH", &name, Some(service("gcr.io/p/image:2")))
        .await;
    let svc2 = &op["response"];
    assert_eq!(svc2["generation"], "2");
    assert_eq!(
        svc2["ingress"], "INGRESS_TRAFFIC_ALL",
        "unsent field back to its default"
    );
    assert_ne!(svc2["latestReadyRevision"], json!(rev1));
    assert_eq!(svc2["uri"], svc["uri"], "URL is stable");
    // Patch with a mask touches only the named field: a new generation, but no new revision
    // since the template did not change.
    let op = env
        .ok(
            "PATCH",
            &format!("{name}?updateMask=labels"),
            Some(json!({"labels": {"env": "test"}})),
        )
        .await;
    assert_eq!(op["response"]["labels"]["env"], "test");
    assert_eq!(
        op["response"]["template"]["containers"][0]["image"],
        "gcr.io/p/image:2"
    );
    assert_eq!(op["response"]["generation"], "3");
    assert_eq!(
        op["response"]["latestReadyRevision"],
        svc2["latestReadyRevision"]
    );
    // Unchanged spec: same generation.
    let again = env
        .ok(
            "PATCH",
            &format!("{name}?updateMask=labels"),
            Some(json!({"labels": {"env": "test"}})),
        )
        .await;
    assert_eq!(again["response"]["generation"], "3");

    let list = env.ok("GET", &format!("{PARENT}/services"), None).await;
    assert_eq!(list["services"].as_array().expect("services").len(), 1);

    // IAM: GET getIamPolicy, POST setIamPolicy with a real service account.
    env.ok(
        "POST",
        "/v1/projects/run-proj/serviceAccounts",
        Some(json!({"accountId": "gw-invoker"})),
    )
    .await;
    assert_eq!(
        env.ok("GET", &format!("{name}:getIamPolicy"), None).await,
        json!({"etag": "ACAB"})
    );
    let member = "serviceAccount:gw-invoker@run-proj.iam.gserviceaccount.com";
    let pol = env
        .ok("POST", &format!("{name}:setIamPolicy"), Some(json!({"policy": {"bindings": [{"role": "roles/run.invoker", "members": [member]}]}})))
        .await;
    assert_eq!(
        env.ok(
            "GET",
            &format!("{name}:getIamPolicy?options.requestedPolicyVersion=3"),
            None
        )
        .await,
        pol
    );
    let perms = env
        .ok(
            "POST",
            &format!("{name}:testIamPermissions"),
            Some(json!({"permissions": ["run.routes.invoke"]})),
        )
        .await;
    assert_eq!(perms["permissions"], json!(["run.routes.invoke"]));

    // Delete with a stale etag is refused; with the current one it returns the deleted service.
    assert_error(
        &env.call("DELETE", &format!("{name}?etag=%22stale%22"), None)
            .await,
        409,
        "ABORTED",
    );
    let etag = env.ok("GET", &name, None).await["etag"]
        .as_str()
        .expect("etag")
        .to_string();
    let op = env
        .ok(
            "DELETE",
            &format!("{name}?etag={}", etag.replace('"', "%22")),
            None,
        )
        .await;
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.run.v2.Service"
    );
    assert!(op["response"]["deleteTime"].is_string());
    assert_error(&env.call("GET", &name, None).await, 404, "NOT_FOUND");
    // Operations are listable and waitable.
    let ops = env
        .ok(
            "GET",
            "/v2/projects/run-proj/locations/us-central1/operations",
            None,
        )
        .await;
    assert!(ops["operations"].as_array().expect("ops").len() >= 4);
    let waited = env
        .ok(
            "POST",
            &format!("/v2/{}:wait", op["name"].as_str().expect("name")),
            Some(json!({"timeout": "1s"})),
        )
        .await;
    assert_eq!(waited["done"], json!(true));
}

#[tokio::test]
async fn allow_missing_and_revision_names() {
    let env = env().await;
    let name = format!("{PARENT}/services/upsert");
    assert_error(
        &env.call("PATCH", &name, Some(service("img"))).await,
        404,
        "NOT_FOUND",
    );
    let op = env
        .ok(
            "PATCH",
            &format!("{name}?allowMissing=true"),
            Some(service("img")),
        )
        .await;
    assert_eq!(op["response"]["generation"], "1");
    let mut named = service("img:1");
    named["template"]["revision"] = json!("upsert-blue");
    env.ok("PATCH", &name, Some(named.clone())).await;
    // The same name with a different template: 409.
    named["template"]["containers"][0]["image"] = json!("img:2");
    let err = env.call("PATCH", &name, Some(named)).await;
    assert_error(&err, 409, "ALREADY_EXISTS");
    assert!(err.1["error"]["message"]
        .as_str()
        .expect("m")
        .contains("with different configuration already exists"));
}

#[tokio::test]
async fn error_cases() {
    let env = env().await;
    env.ok(
        "POST",
        &format!("{PARENT}/services?serviceId=taken"),
        Some(service("img")),
    )
    .await;
    let two_ports = json!({"template": {"containers": [{"image": "i", "ports": [{"containerPort": 1}, {"containerPort": 2}]}]}});
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            "POST",
            format!("{PARENT}/services?serviceId=taken"),
            Some(service("img")),
            409,
            "ALREADY_EXISTS",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=Bad_Id"),
            Some(service("img")),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId={}", "a".repeat(50)),
            Some(service("img")),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=ends-"),
            Some(service("img")),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=no-template"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=no-image"),
            Some(json!({"template": {"containers": [{}]}})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=two-ports"),
            Some(two_ports),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=badlabel"),
            Some(
                json!({"labels": {"run.googleapis.com/x": "y"}, "template": {"containers": [{"image": "i"}]}}),
            ),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=unknown"),
            Some(json!({"template": {"containers": [{"image": "i", "imagee": "x"}]}})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=badenum"),
            Some(json!({"ingress": 42, "template": {"containers": [{"image": "i"}]}})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{PARENT}/services?serviceId=x&bogusParam=1"),
            Some(service("img")),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v2/projects/run-proj/locations/global/services?serviceId=glob".to_string(),
            Some(service("img")),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "PATCH",
            format!("{PARENT}/services/taken?updateMask=uri"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "GET",
            format!("{PARENT}/services/missing"),
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "DELETE",
            format!("{PARENT}/services/missing"),
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "GET",
            format!("{PARENT}/services/missing:getIamPolicy"),
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "GET",
            "/v2/projects/no-run/locations/us-central1/services".to_string(),
            None,
            403,
            "PERMISSION_DENIED",
        ),
    ];
    for (m, p, b, http, status) in cases {
        let got = env.call(m, &p, b).await;
        assert_error(&got, http, status);
    }
    let unknown = env
        .call(
            "POST",
            &format!("{PARENT}/services?serviceId=u2"),
            Some(json!({"template": {"containers": [{"image": "i", "imagee": "x"}]}})),
        )
        .await;
    assert_eq!(
        unknown.1["error"]["message"],
        "Invalid JSON payload received. Unknown name \"imagee\" at 'service.template.containers[0]': Cannot find field."
    );
}

#[tokio::test]
async fn validate_only_stores_nothing() {
    let env = env().await;
    let op = env
        .ok(
            "POST",
            &format!("{PARENT}/services?serviceId=dry&validateOnly=true"),
            Some(service("img")),
        )
        .await;
    assert_eq!(op["done"], json!(true));
    assert_eq!(op["response"]["template"]["timeout"], "300s");
    assert_error(
        &env.call("GET", &format!("{PARENT}/services/dry"), None)
            .await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn deleted_services_listed_with_show_deleted_and_id_reusable() {
    let env = env().await;
    let name = format!("{PARENT}/services/gone");
    env.ok(
        "POST",
        &format!("{PARENT}/services?serviceId=gone"),
        Some(service("img")),
    )
    .await;
    env.ok("DELETE", &name, None).await;
    assert_eq!(
        env.ok("GET", &format!("{PARENT}/services"), None).await,
        json!({})
    );
    let shown = env
        .ok("GET", &format!("{PARENT}/services?showDeleted=true"), None)
        .await;
    let items = shown["services"].as_array().expect("services");
    assert_eq!(items.len(), 1);
    assert!(items[0]["deleteTime"].is_string() && items[0]["expireTime"].is_string());
    env.ok(
        "POST",
        &format!("{PARENT}/services?serviceId=gone"),
        Some(service("img")),
    )
    .await;
    let shown = env
        .ok("GET", &format!("{PARENT}/services?showDeleted=true"), None)
        .await;
    assert!(shown["services"][0].get("deleteTime").is_none());
}

/// `:wait` holds its answer until the operation is done, or until the request's timeout.
#[tokio::test]
async fn wait_waits_for_the_operation_or_the_timeout() {
    let env = Env::with(Options {
        operation_delay: Duration::from_millis(1200),
        ..Options::default()
    })
    .await;
    // Enabling takes the operation delay too; wait for it through Service Usage.
    let en = env
        .ok(
            "POST",
            "/v1/projects/wait-proj/services/run.googleapis.com:enable",
            None,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let en = env
        .ok(
            "GET",
            &format!("/v1/{}", en["name"].as_str().expect("name")),
            None,
        )
        .await;
    assert_eq!(en["done"], json!(true));

    let op = env
        .ok(
            "POST",
            "/v2/projects/wait-proj/locations/us-central1/services?serviceId=w",
            Some(service("img")),
        )
        .await;
    assert!(op.get("done").is_none(), "{op}");
    let wait = format!("/v2/{}:wait", op["name"].as_str().expect("name"));

    // A short timeout: answers after about that long, still pending.
    let t = Instant::now();
    let early = env
        .ok("POST", &wait, Some(json!({"timeout": "0.3s"})))
        .await;
    let took = t.elapsed();
    assert!(early.get("done").is_none(), "{early}");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(3000),
        "{took:?}"
    );

    // A long timeout: answers once the operation is done, well before the timeout.
    let t = Instant::now();
    let done = env.ok("POST", &wait, Some(json!({"timeout": "20s"}))).await;
    let took = t.elapsed();
    assert_eq!(done["done"], json!(true), "{done}");
    assert_eq!(
        done["response"]["@type"],
        "type.googleapis.com/google.cloud.run.v2.Service"
    );
    assert!(took < Duration::from_millis(5000), "{took:?}");

    // Done already: answers at once, with or without a timeout.
    let t = Instant::now();
    env.ok("POST", &wait, None).await;
    assert!(t.elapsed() < Duration::from_millis(2000));

    // Bad timeouts and unknown fields are rejected; unknown operations are 404.
    for bad in [
        json!({"timeout": "soon"}),
        json!({"timeout": "-1s"}),
        json!({"deadline": "1s"}),
    ] {
        assert_error(
            &env.call("POST", &wait, Some(bad)).await,
            400,
            "INVALID_ARGUMENT",
        );
    }
    assert_error(
        &env.call(
            "POST",
            "/v2/projects/wait-proj/locations/us-central1/operations/nope:wait",
            Some(json!({"timeout": "1s"})),
        )
        .await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn list_paginates() {
    let env = env().await;
    for id in ["pg-a", "pg-b"] {
        env.ok(
            "POST",
            &format!("{PARENT}/services?serviceId={id}"),
            Some(service("img")),
        )
        .await;
    }
    let pages = env.pages(&format!("{PARENT}/services"), "services").await;
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_ne!(pages[0], pages[1]);
}
