//! Wire rules shared by every API: enablement errors, operations with a delay, fault
//! injection, persistence, the request log and counters.

use std::time::Duration;

use keyway::emulator::{FaultConfig, Options};
use serde_json::{json, Value};

use super::common::{assert_error, reason, Env};

#[tokio::test]
async fn service_disabled_body_matches_google() {
    let env = Env::new().await;
    let number = env.ok("GET", "/v1/projects/sd-proj", None).await["projectNumber"]
        .as_str()
        .expect("n")
        .to_string();
    for (path, service) in [
        (
            "/v2/projects/sd-proj/locations/global/keys",
            "apikeys.googleapis.com",
        ),
        ("/v1/projects/sd-proj/serviceAccounts", "iam.googleapis.com"),
        (
            "/v2/projects/sd-proj/locations/us-central1/services",
            "run.googleapis.com",
        ),
        (
            "/v1/projects/sd-proj/locations/global/apis",
            "apigateway.googleapis.com",
        ),
    ] {
        let err = env.call("GET", path, None).await;
        assert_error(&err, 403, "PERMISSION_DENIED");
        assert_eq!(reason(&err.1).as_deref(), Some("SERVICE_DISABLED"));
        let info = &err.1["error"]["details"][0];
        assert_eq!(info["domain"], "googleapis.com");
        assert_eq!(info["metadata"]["service"], service);
        assert_eq!(
            info["metadata"]["consumer"],
            json!(format!("projects/{number}"))
        );
        assert!(err.1["error"]["message"]
            .as_str()
            .expect("m")
            .contains("has not been used in project"));
    }
}

#[tokio::test]
async fn user_project_header_names_the_consumer() {
    let env = Env::new().await;
    env.enable("quota-proj", &["apikeys.googleapis.com"]).await;
    let url = format!("{}/v2/projects/res-proj/locations/global/keys", env.base);
    let resp = env
        .http
        .get(&url)
        .header("x-goog-user-project", "quota-proj")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
    assert_error(
        &env.call("GET", "/v2/projects/res-proj/locations/global/keys", None)
            .await,
        403,
        "PERMISSION_DENIED",
    );
}

#[tokio::test]
async fn operations_finish_after_the_configured_delay() {
    let env = Env::with(Options {
        operation_delay: Duration::from_millis(400),
        ..Options::default()
    })
    .await;
    env.enable_slow("slow-proj", "run.googleapis.com").await;
    let body = json!({"template": {"containers": [{"image": "img"}]}});
    let op = env
        .ok(
            "POST",
            "/v2/projects/slow-proj/locations/europe-west1/services?serviceId=s",
            Some(body),
        )
        .await;
    assert!(op.get("done").is_none(), "pending: done omitted (false)");
    assert!(op.get("response").is_none());
    assert_eq!(
        op["metadata"]["reconciling"],
        json!(true),
        "metadata shows progress"
    );
    let svc = env
        .ok(
            "GET",
            "/v2/projects/slow-proj/locations/europe-west1/services/s",
            None,
        )
        .await;
    assert_eq!(svc["reconciling"], json!(true));
    assert_eq!(svc["terminalCondition"]["state"], "CONDITION_RECONCILING");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let polled = env
        .ok(
            "GET",
            &format!("/v2/{}", op["name"].as_str().expect("name")),
            None,
        )
        .await;
    assert_eq!(polled["done"], json!(true));
    assert_eq!(
        polled["response"]["name"],
        "projects/slow-proj/locations/europe-west1/services/s"
    );
    assert!(
        polled["response"].get("reconciling").is_none(),
        "the response is the reconciled service"
    );
    assert_eq!(
        polled["response"]["terminalCondition"]["state"],
        "CONDITION_SUCCEEDED"
    );
    let svc = env
        .ok(
            "GET",
            "/v2/projects/slow-proj/locations/europe-west1/services/s",
            None,
        )
        .await;
    assert!(svc.get("reconciling").is_none());
}

impl Env {
    /// Enables one service when operations are slow, waiting for the operation.
    async fn enable_slow(&self, project: &str, service: &str) {
        let op = self
            .ok(
                "POST",
                &format!("/v1/projects/{project}/services/{service}:enable"),
                None,
            )
            .await;
        tokio::time::sleep(Duration::from_millis(450)).await;
        let done = self
            .ok(
                "GET",
                &format!("/v1/{}", op["name"].as_str().expect("name")),
                None,
            )
            .await;
        assert_eq!(done["done"], json!(true));
    }
}

#[tokio::test]
async fn injected_request_faults() {
    for (rate_429, rate_503, http, status) in [
        (1.0, 0.0, 429, "RESOURCE_EXHAUSTED"),
        (0.0, 1.0, 503, "UNAVAILABLE"),
    ] {
        let faults = FaultConfig {
            seed: 7,
            rate_429,
            rate_503,
            ..FaultConfig::default()
        };
        let env = Env::with(Options {
            faults,
            ..Options::default()
        })
        .await;
        assert_error(
            &env.call("GET", "/v1/projects/f-proj", None).await,
            http,
            status,
        );
    }
    // Seeded: the same seed gives the same sequence of answers.
    let mut runs = Vec::new();
    for _ in 0..2 {
        let faults = FaultConfig {
            seed: 42,
            rate_503: 0.5,
            ..FaultConfig::default()
        };
        let env = Env::with(Options {
            faults,
            ..Options::default()
        })
        .await;
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(env.call("GET", "/v1/projects/f-proj", None).await.0);
        }
        assert!(
            statuses.contains(&200) && statuses.contains(&503),
            "{statuses:?}"
        );
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
}

#[tokio::test]
async fn injected_operation_failures_change_nothing() {
    let faults = FaultConfig {
        seed: 1,
        operation_failure_rate: 1.0,
        ..FaultConfig::default()
    };
    let env = Env::with(Options {
        faults,
        ..Options::default()
    })
    .await;
    let op = env
        .ok(
            "POST",
            "/v1/projects/of-proj/services/apikeys.googleapis.com:enable",
            None,
        )
        .await;
    assert_eq!(op["done"], json!(true));
    assert_eq!(op["error"]["code"], json!(13));
    assert_eq!(
        env.ok(
            "GET",
            "/v1/projects/of-proj/services/apikeys.googleapis.com",
            None
        )
        .await["state"],
        "DISABLED"
    );
}

#[tokio::test]
async fn latency_is_applied_per_api() {
    let mut faults = FaultConfig::default();
    faults
        .api_latency
        .insert("cloudresourcemanager".into(), Duration::from_millis(600));
    let env = Env::with(Options {
        faults,
        ..Options::default()
    })
    .await;
    let t = std::time::Instant::now();
    env.ok("GET", "/v1/projects/lat-proj", None).await;
    assert!(t.elapsed() >= Duration::from_millis(600));
    let t = std::time::Instant::now();
    env.ok(
        "GET",
        "/v1/projects/lat-proj/services/run.googleapis.com",
        None,
    )
    .await;
    // Generous: only "no added latency" matters, and CI machines are busy.
    assert!(t.elapsed() < Duration::from_millis(600));
}

#[tokio::test]
async fn world_persists_to_the_data_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("world.json");
    let opts = Options {
        data_file: Some(file.clone()),
        ..Options::default()
    };
    let a = Env::with(opts.clone()).await;
    a.enable("per-proj", &["apikeys.googleapis.com"]).await;
    a.ok(
        "POST",
        "/v2/projects/per-proj/locations/global/keys?keyId=k1",
        Some(json!({})),
    )
    .await;
    // The file holds key strings: owner-only, and no temp file is left beside it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("data file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("world.json")]);
    // A second emulator (as a separate process would) sees the world written after the request.
    let b = Env::with(opts.clone()).await;
    b.ok(
        "GET",
        "/v2/projects/per-proj/locations/global/keys/k1",
        None,
    )
    .await;
    a.emu.shutdown().await;
    b.emu.shutdown().await;
    let c = Env::with(opts.clone()).await;
    c.ok(
        "GET",
        "/v2/projects/per-proj/locations/global/keys/k1",
        None,
    )
    .await;
    c.emu.shutdown().await;
    let d = Env::with(Options {
        reset: true,
        ..opts
    })
    .await;
    assert_error(
        &d.call(
            "GET",
            "/v2/projects/per-proj/locations/global/keys/k1",
            None,
        )
        .await,
        403,
        "PERMISSION_DENIED",
    );
}

#[tokio::test]
async fn counters_log_and_admin_endpoints() {
    let env = Env::new().await;
    env.ok("GET", "/v1/projects/log-proj", None).await;
    env.ok(
        "GET",
        "/v1/projects/log-proj?prettyPrint=false&alt=json&$.xgafv=2&fields=projectId",
        None,
    )
    .await;
    env.call("GET", "/v9/nowhere", None).await;
    let counters = env.emu.counters();
    assert_eq!(counters.get("cloudresourcemanager.projects.get"), Some(&2));
    assert_eq!(counters.get("unknown"), Some(&1));
    let log = env.emu.request_log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[2].status, 404);
    let (s, admin) = env.call("GET", "/__emulator/counters", None).await;
    assert_eq!(s, 200);
    assert_eq!(admin["cloudresourcemanager.projects.get"], json!(2));
    let (_, requests) = env.call("GET", "/__emulator/requests", None).await;
    assert_eq!(requests.as_array().expect("log").len(), 3);
    env.call("POST", "/__emulator/reset-log", None).await;
    assert!(env.emu.counters().is_empty());
}

#[tokio::test]
async fn bad_bodies_and_routes() {
    let env = Env::new().await;
    let resp = env
        .http
        .post(format!("{}/v3/projects/bb-proj:getIamPolicy", env.base))
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 400);
    assert_error(
        &env.call("GET", "/v2/projects/bb-proj/somewhere", None)
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &env.call("GET", "/v3/projects/bb-proj?unknownParam=1", None)
            .await,
        400,
        "INVALID_ARGUMENT",
    );
    assert!(env.base.starts_with("http://127.0.0.1:"));
}

#[tokio::test]
async fn injected_propagation_delays() {
    let faults = FaultConfig {
        enable_propagation: Duration::from_millis(300),
        service_account_propagation: Duration::from_millis(300),
        ..FaultConfig::default()
    };
    let env = Env::with(Options {
        faults,
        ..Options::default()
    })
    .await;
    env.enable("prop-proj", &["iam.googleapis.com"]).await;
    // Enabled, but not yet propagated: still SERVICE_DISABLED.
    let err = env
        .call("GET", "/v1/projects/prop-proj/serviceAccounts", None)
        .await;
    assert_eq!(reason(&err.1).as_deref(), Some("SERVICE_DISABLED"));
    tokio::time::sleep(Duration::from_millis(350)).await;
    env.ok(
        "POST",
        "/v1/projects/prop-proj/serviceAccounts",
        Some(json!({"accountId": "fresh-sa"})),
    )
    .await;
    let policy = json!({"policy": {"bindings": [{"role": "roles/viewer", "members": ["serviceAccount:fresh-sa@prop-proj.iam.gserviceaccount.com"]}]}});
    let err = env
        .call(
            "POST",
            "/v1/projects/prop-proj:setIamPolicy",
            Some(policy.clone()),
        )
        .await;
    assert_error(&err, 400, "INVALID_ARGUMENT");
    assert!(err.1["error"]["message"]
        .as_str()
        .expect("m")
        .contains("does not exist"));
    tokio::time::sleep(Duration::from_millis(350)).await;
    env.ok("POST", "/v1/projects/prop-proj:setIamPolicy", Some(policy))
        .await;
}

#[tokio::test]
async fn operation_delay_per_api() {
    let mut faults = FaultConfig::default();
    faults
        .api_operation_delay
        .insert("apikeys".into(), Duration::from_secs(60));
    let env = Env::with(Options {
        faults,
        ..Options::default()
    })
    .await;
    env.enable("opd-proj", &["apikeys.googleapis.com"]).await; // Service Usage: instant
    let op = env
        .ok(
            "POST",
            "/v2/projects/opd-proj/locations/global/keys?keyId=k",
            Some(json!({})),
        )
        .await;
    assert!(
        op.get("done").is_none(),
        "API Keys operations take a minute: {op}"
    );
}

/// Hostile input never crashes a handler: every answer is a JSON body with a 2xx or 4xx status.
#[tokio::test]
async fn malformed_input_never_panics() {
    let env = Env::new().await;
    env.enable(
        "bad-proj",
        &[
            "apikeys.googleapis.com",
            "iam.googleapis.com",
            "run.googleapis.com",
            "apigateway.googleapis.com",
        ],
    )
    .await;
    let paths = [
        "/v1/projects/bad-proj/services/run.googleapis.com:enable",
        "/v1/projects/bad-proj/services:batchEnable",
        "/v1/projects/bad-proj/serviceAccounts",
        "/v1/projects/bad-proj/serviceAccounts/x@bad-proj.iam.gserviceaccount.com",
        "/v3/projects/bad-proj:setIamPolicy",
        "/v2/projects/bad-proj/locations/us-central1/services?serviceId=s",
        "/v2/projects/bad-proj/locations/us-central1/services/s",
        "/v1/projects/bad-proj/locations/global/apis?apiId=a",
        "/v1/projects/bad-proj/locations/global/apis/a/configs?apiConfigId=c",
        "/v1/projects/bad-proj/locations/us-central1/gateways?gatewayId=g",
        "/v2/projects/bad-proj/locations/global/keys?keyId=k",
        "/v2/projects/bad-proj/locations/global/keys/k:undelete",
        "/v2/projects/%FF%FE/locations/global/keys",
        "/v1/projects/bad-proj/serviceAccounts/%E2%82:undelete",
    ];
    let bodies = [
        json!(null),
        json!([]),
        json!("string"),
        json!(42),
        json!({"policy": []}),
        json!({"policy": {"bindings": [{"role": 1, "members": "x"}]}}),
        json!({"serviceIds": [1, 2]}),
        json!({"template": {"containers": "nope"}}),
        json!({"template": {"containers": [{"image": 5}]}}),
        json!({"restrictions": {"androidKeyRestrictions": {"allowedApplications": [{"sha1Fingerprint": "é:é"}]}}}),
        json!({"openapiDocuments": [{"document": {"contents": 7}}]}),
        json!({"accountId": "ééééééé"}),
        json!({"apiConfig": "projects/x/locations/global/apis/a/configs"}),
        json!({"labels": {"a": 1}}),
    ];
    for path in paths {
        for method in ["POST", "PATCH", "GET", "DELETE"] {
            for body in &bodies {
                let (status, v) = env.call(method, path, Some(body.clone())).await;
                assert!(
                    status == 200 || (400..500).contains(&status),
                    "{method} {path} {body} -> {status} {v}"
                );
                assert!(v.is_object(), "{method} {path} -> {v}");
            }
        }
    }
}

#[tokio::test]
async fn integer_enums_when_asked() {
    let env = Env::new().await;
    env.enable(
        "int-proj",
        &["run.googleapis.com", "apigateway.googleapis.com"],
    )
    .await;
    let body = json!({"template": {"containers": [{"image": "img"}]}});
    env.ok(
        "POST",
        "/v2/projects/int-proj/locations/us-central1/services?serviceId=s",
        Some(body),
    )
    .await;
    let path = "/v2/projects/int-proj/locations/us-central1/services/s";
    let ints = env
        .ok(
            "GET",
            &format!("{path}?%24alt=json%3Benum-encoding%3Dint"),
            None,
        )
        .await;
    assert_eq!(ints["ingress"], json!(1));
    assert_eq!(ints["launchStage"], json!(4));
    assert_eq!(ints["traffic"][0]["type"], json!(1));
    assert_eq!(ints["terminalCondition"]["state"], json!(4));
    assert_eq!(
        ints["terminalCondition"]["type"], "Ready",
        "plain strings are left alone"
    );
    let names = env.ok("GET", path, None).await;
    assert_eq!(names["ingress"], "INGRESS_TRAFFIC_ALL");
    let svc = env
        .ok(
            "GET",
            "/v1/projects/int-proj/services/run.googleapis.com?$alt=json;enum-encoding=int",
            None,
        )
        .await;
    assert_eq!(svc["state"], json!(2));
    let op = env
        .ok(
            "POST",
            "/v1/projects/int-proj/locations/global/apis?apiId=a&$alt=json;enum-encoding=int",
            Some(json!({})),
        )
        .await;
    assert_eq!(op["response"]["state"], json!(2));
}

/// Any bearer token is accepted, as is none; the answer does not depend on it.
#[tokio::test]
async fn any_bearer_token_or_none_is_accepted() {
    let env = Env::new().await;
    let url = format!(
        "{}/v1/projects/tok-proj/services/serviceusage.googleapis.com",
        env.base
    );
    let mut bodies = Vec::new();
    for auth in [
        None,
        Some("Bearer ya29.not-a-real-token"),
        Some("Bearer "),
        Some("Basic Zm9vOmJhcg=="),
    ] {
        let mut req = env.http.get(&url);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.expect("answered");
        assert_eq!(resp.status().as_u16(), 200, "{auth:?}");
        bodies.push(resp.json::<serde_json::Value>().await.expect("JSON"));
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(bodies[0]["state"], "ENABLED");
}

/// Every `*Time` field the APIs emit is RFC 3339 UTC (`2022-01-26T12:23:06.281029Z`).
#[tokio::test]
async fn times_are_rfc3339_utc() {
    fn collect(v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if let (true, Some(t)) = (k.ends_with("Time"), x.as_str()) {
                        out.push((k.clone(), t.to_string()));
                    }
                    collect(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    let env = Env::new().await;
    env.enable(
        "time-proj",
        &[
            "apikeys.googleapis.com",
            "run.googleapis.com",
            "apigateway.googleapis.com",
        ],
    )
    .await;
    let mut bodies = vec![env.ok("GET", "/v3/projects/time-proj", None).await];
    for (path, body) in [
        (
            "/v2/projects/time-proj/locations/global/keys?keyId=t",
            json!({}),
        ),
        (
            "/v2/projects/time-proj/locations/us-central1/services?serviceId=t",
            json!({"template": {"containers": [{"image": "img"}]}}),
        ),
        (
            "/v1/projects/time-proj/locations/global/apis?apiId=t",
            json!({}),
        ),
    ] {
        bodies.push(env.ok("POST", path, Some(body)).await);
    }
    let re =
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$").expect("regex");
    let mut times = Vec::new();
    for b in &bodies {
        collect(b, &mut times);
    }
    let names: Vec<&str> = times.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        names.contains(&"createTime") && names.contains(&"updateTime"),
        "{names:?}"
    );
    assert!(times.len() >= 6, "{times:?}");
    for (k, t) in &times {
        assert!(re.is_match(t), "{k}: {t}");
    }
}
