//! The Google provider driven through the `Provider` trait against keyway's in-process emulator
//! on 127.0.0.1: each resource's create / refresh / update / delete, the SERVICE_DISABLED and
//! new-account propagation paths, the stale-etag retry, and refresh request counts.

use std::collections::BTreeMap;
use std::time::Duration;

use keyway::emulator::{Emulator, FaultConfig, Options};
use keyway::lang::Value;
use keyway::providers::google::{Endpoint, Google, Settings};
use keyway::providers::Provider;
use serde_json::{json, Value as Json};

async fn emulator(faults: FaultConfig, operation_delay: Duration) -> Emulator {
    Emulator::start(Options {
        faults,
        operation_delay,
        ..Options::default()
    })
    .await
    .expect("emulator starts")
}

fn provider(emu: &Emulator) -> Google {
    Google::new(Settings {
        project: Some("kw-test".into()),
        region: Some("europe-west1".into()),
        endpoint: Endpoint::Emulator(emu.base_url()),
        access_token: None,
        billing_project: None,
    })
    .expect("provider builds")
}

fn v(j: Json) -> Value {
    Value::from_json(&j)
}

fn j(v: &Value) -> Json {
    v.to_json()
}

fn count(emu: &Emulator, method: &str) -> u64 {
    emu.counters().get(method).copied().unwrap_or(0)
}

async fn enable(g: &Google, service: &str) -> Value {
    g.create(
        "google_project_service",
        &v(json!({"service": service, "project": null, "id": null})),
    )
    .await
    .expect("service enables")
}

#[tokio::test]
async fn project_service_enables_refreshes_with_one_list_and_never_disables_unasked() {
    // Operations take a moment, so enable really polls.
    let emu = emulator(FaultConfig::default(), Duration::from_millis(60)).await;
    let g = provider(&emu);
    let mut states = Vec::new();
    for s in [
        "iam.googleapis.com",
        "run.googleapis.com",
        "apikeys.googleapis.com",
    ] {
        let st = enable(&g, s).await;
        assert_eq!(j(&st)["id"], json!(format!("kw-test/{s}")));
        assert_eq!(j(&st)["project"], json!("kw-test"));
        states.push(st);
    }
    assert!(
        count(&emu, "serviceusage.operations.get") >= 1,
        "{:?}",
        emu.counters()
    );
    // Enabling again is a no-op operation that must not be polled.
    let polls = count(&emu, "serviceusage.operations.get");
    enable(&g, "iam.googleapis.com").await;
    assert_eq!(count(&emu, "serviceusage.operations.get"), polls);

    let missing = v(json!({"service": "apigateway.googleapis.com", "project": "kw-test"}));
    let mut priors = states.clone();
    priors.push(missing);
    let lists = count(&emu, "serviceusage.services.list");
    let got = g
        .refresh("google_project_service", &priors)
        .await
        .expect("refresh");
    assert_eq!(count(&emu, "serviceusage.services.list"), lists + 1);
    assert_eq!(got.len(), 4);
    assert!(got[..3].iter().all(Option::is_some));
    assert!(got[3].is_none());

    // Flags change in place.
    let mut planned = j(&states[0]);
    planned["disable_on_destroy"] = json!(false);
    let updated = g
        .update("google_project_service", &states[0], &v(planned))
        .await
        .expect("update");
    assert_eq!(j(&updated)["disable_on_destroy"], json!(false));

    // Destroy without `disable_on_destroy = true` leaves the service enabled.
    g.delete("google_project_service", &updated)
        .await
        .expect("delete");
    let after = g
        .refresh("google_project_service", &states[..1])
        .await
        .expect("refresh");
    assert!(after[0].is_some(), "service must stay enabled");

    // With the flag set, destroy disables it.
    let mut flagged = j(&states[2]);
    flagged["disable_on_destroy"] = json!(true);
    g.delete("google_project_service", &v(flagged))
        .await
        .expect("disable");
    let after = g
        .refresh("google_project_service", &states[2..])
        .await
        .expect("refresh");
    assert!(after[0].is_none(), "service must be disabled");
}

#[tokio::test]
async fn calling_iam_before_enabling_it_names_the_service() {
    let emu = emulator(FaultConfig::default(), Duration::ZERO).await;
    let g = provider(&emu);
    let err = g
        .create(
            "google_service_account",
            &v(json!({"account_id": "gateway-sa"})),
        )
        .await
        .expect_err("IAM is not enabled");
    assert!(
        err.message.contains("iam.googleapis.com"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("google_project_service"),
        "{}",
        err.message
    );
    assert!(err.message.contains("not enabled"), "{}", err.message);
    // Not retried: keyway did not enable it.
    assert_eq!(count(&emu, "iam.projects.serviceAccounts.create"), 1);
}

#[tokio::test]
async fn service_disabled_right_after_keyway_enabled_it_is_waited_out() {
    let faults = FaultConfig {
        enable_propagation: Duration::from_millis(400),
        ..FaultConfig::default()
    };
    let emu = emulator(faults, Duration::ZERO).await;
    let g = provider(&emu);
    enable(&g, "iam.googleapis.com").await;
    let sa = g
        .create(
            "google_service_account",
            &v(json!({"account_id": "gateway-sa", "display_name": "Gateway"})),
        )
        .await
        .expect("retried until enablement propagated");
    assert_eq!(
        j(&sa)["email"],
        json!("gateway-sa@kw-test.iam.gserviceaccount.com")
    );
    assert!(count(&emu, "iam.projects.serviceAccounts.create") >= 2);
}

#[tokio::test]
async fn service_account_lifecycle_and_one_list_per_project() {
    let emu = emulator(FaultConfig::default(), Duration::ZERO).await;
    let g = provider(&emu);
    enable(&g, "iam.googleapis.com").await;
    let a = g
        .create(
            "google_service_account",
            &v(
                json!({"account_id": "gateway-sa", "display_name": "Gateway",
                      "description": "API Gateway backend identity"}),
            ),
        )
        .await
        .expect("create a");
    let b = g
        .create(
            "google_service_account",
            &v(json!({"account_id": "other-sa", "disabled": true})),
        )
        .await
        .expect("create b");
    let ja = j(&a);
    assert_eq!(
        ja["member"],
        json!("serviceAccount:gateway-sa@kw-test.iam.gserviceaccount.com")
    );
    assert_eq!(
        ja["id"],
        json!("projects/kw-test/serviceAccounts/gateway-sa@kw-test.iam.gserviceaccount.com")
    );
    assert!(ja["unique_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(ja["description"], json!("API Gateway backend identity"));
    assert_eq!(j(&b)["disabled"], json!(true));

    let lists = count(&emu, "iam.projects.serviceAccounts.list");
    let gets = count(&emu, "iam.projects.serviceAccounts.get");
    let got = g
        .refresh("google_service_account", &[a.clone(), b.clone()])
        .await
        .expect("refresh");
    assert_eq!(count(&emu, "iam.projects.serviceAccounts.list"), lists + 1);
    assert_eq!(count(&emu, "iam.projects.serviceAccounts.get"), gets);
    assert_eq!(got.iter().flatten().count(), 2);
    assert_eq!(
        j(got[1].as_ref().expect("b")).get("disabled"),
        Some(&json!(true))
    );

    // Update display name, description and enablement in place.
    let mut planned = ja.clone();
    planned["display_name"] = json!("Gateway v2");
    planned["description"] = json!("");
    planned["disabled"] = json!(true);
    let updated = g
        .update("google_service_account", &a, &v(planned))
        .await
        .expect("update");
    let got = g
        .refresh("google_service_account", std::slice::from_ref(&updated))
        .await
        .expect("refresh");
    let live = j(got[0].as_ref().expect("still there"));
    assert_eq!(live["display_name"], json!("Gateway v2"));
    assert_eq!(live["description"], json!(""));
    assert_eq!(live["disabled"], json!(true));

    g.delete("google_service_account", &updated)
        .await
        .expect("delete");
    // Deleting twice is fine (already gone).
    g.delete("google_service_account", &updated)
        .await
        .expect("delete again");
    let got = g
        .refresh("google_service_account", &[updated, b])
        .await
        .expect("refresh");
    assert!(got[0].is_none());
    assert!(got[1].is_some());
}

fn grant(member: &str) -> Value {
    v(json!({"project": "kw-test", "role": "roles/run.invoker", "member": member}))
}

#[tokio::test]
async fn project_iam_member_waits_for_new_accounts_and_refreshes_with_one_policy_read() {
    let faults = FaultConfig {
        service_account_propagation: Duration::from_millis(300),
        ..FaultConfig::default()
    };
    let emu = emulator(faults, Duration::ZERO).await;
    let g = provider(&emu);
    enable(&g, "iam.googleapis.com").await;
    let sa = g
        .create(
            "google_service_account",
            &v(json!({"account_id": "gateway-sa"})),
        )
        .await
        .expect("account");
    let member = j(&sa)["member"].as_str().expect("member").to_owned();
    let m1 = g
        .create("google_project_iam_member", &grant(&member))
        .await
        .expect("grant to a brand-new account is retried until visible");
    let invisible = emu
        .request_log()
        .iter()
        .filter(|r| r.method.ends_with("setIamPolicy") && r.status == 400)
        .count();
    assert!(
        invisible >= 1,
        "the account should have been invisible at first"
    );
    assert_eq!(
        j(&m1)["id"],
        json!(format!("kw-test/roles/run.invoker/{member}"))
    );
    assert!(j(&m1)["etag"].as_str().is_some_and(|e| !e.is_empty()));
    let m2 = g
        .create(
            "google_project_iam_member",
            &v(json!({"project": "kw-test", "role": "roles/viewer", "member": "user:ana@example.com",
                      "condition": [{"title": "until 2030", "description": null,
                                     "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")"}]})),
        )
        .await
        .expect("conditional grant");
    let absent = grant("user:nobody@example.com");

    let reads = count(&emu, "cloudresourcemanager.v3.projects.getIamPolicy");
    let got = g
        .refresh(
            "google_project_iam_member",
            &[m1.clone(), m2.clone(), absent],
        )
        .await
        .expect("refresh");
    assert_eq!(
        count(&emu, "cloudresourcemanager.v3.projects.getIamPolicy"),
        reads + 1
    );
    assert!(got[0].is_some() && got[1].is_some() && got[2].is_none());

    g.delete("google_project_iam_member", &m1)
        .await
        .expect("revoke");
    g.delete("google_project_iam_member", &m2)
        .await
        .expect("revoke conditional");
    let got = g
        .refresh("google_project_iam_member", &[m1, m2])
        .await
        .expect("refresh");
    assert!(got.iter().all(Option::is_none));
}

#[tokio::test]
async fn concurrent_policy_writers_retry_on_stale_etag() {
    // Latency on Resource Manager makes both writers read the same etag before either writes.
    let mut api_latency = BTreeMap::new();
    api_latency.insert("cloudresourcemanager".to_owned(), Duration::from_millis(80));
    let faults = FaultConfig {
        api_latency,
        ..FaultConfig::default()
    };
    let emu = emulator(faults, Duration::ZERO).await;
    // Two providers = two independent writers (one provider serialises its own writes).
    let (g1, g2) = (provider(&emu), provider(&emu));
    let (ga, gb) = (grant("user:a@example.com"), grant("user:b@example.com"));
    let (a, b) = tokio::join!(
        g1.create("google_project_iam_member", &ga),
        g2.create("google_project_iam_member", &gb),
    );
    let (a, b) = (a.expect("writer a"), b.expect("writer b"));
    let aborted = emu
        .request_log()
        .iter()
        .filter(|r| r.method.ends_with("setIamPolicy") && r.status == 409)
        .count();
    assert!(
        aborted >= 1,
        "expected a stale-etag conflict: {:?}",
        emu.counters()
    );
    let got = g1
        .refresh("google_project_iam_member", &[a, b])
        .await
        .expect("refresh");
    assert!(got.iter().all(Option::is_some), "both grants survive");
}

#[tokio::test]
async fn data_sources_read_project_and_client_config() {
    let emu = emulator(FaultConfig::default(), Duration::ZERO).await;
    let g = provider(&emu);
    let p = g
        .read_data("google_project", &v(json!({"project_id": null})))
        .await
        .expect("project");
    let p = j(&p);
    assert_eq!(p["project_id"], json!("kw-test"));
    assert!(p["number"]
        .as_str()
        .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty()));
    let c = j(&g
        .read_data("google_client_config", &v(json!({})))
        .await
        .expect("client config"));
    assert_eq!(c["project"], json!("kw-test"));
    assert_eq!(c["region"], json!("europe-west1"));
    assert_eq!(c["access_token"], json!(""));
}

#[tokio::test]
async fn custom_endpoints_with_an_explicit_token_reach_the_named_hosts() {
    let emu = emulator(FaultConfig::default(), Duration::ZERO).await;
    let mut map = BTreeMap::new();
    for api in ["serviceusage", "iam", "cloudresourcemanager"] {
        map.insert(api.to_owned(), emu.base_url());
    }
    let g = Google::new(Settings {
        project: Some("kw-custom".into()),
        region: None,
        endpoint: Endpoint::Custom(map),
        access_token: Some("ya29.test-token".into()),
        billing_project: Some("kw-custom".into()),
    })
    .expect("provider");
    enable(&g, "iam.googleapis.com").await;
    let c = j(&g
        .read_data("google_client_config", &v(json!({})))
        .await
        .expect("client config"));
    assert_eq!(c["access_token"], json!("ya29.test-token"));
}

#[tokio::test]
async fn injected_rate_limits_and_outages_are_retried_to_convergence() {
    let faults = FaultConfig {
        seed: 4,
        rate_429: 0.3,
        rate_503: 0.2,
        ..FaultConfig::default()
    };
    let emu = emulator(faults, Duration::ZERO).await;
    let g = provider(&emu);
    for s in ["iam.googleapis.com", "run.googleapis.com"] {
        enable(&g, s).await;
    }
    let sa = g
        .create(
            "google_service_account",
            &v(json!({"account_id": "flaky-sa"})),
        )
        .await
        .expect("account despite faults");
    let got = g
        .refresh("google_service_account", &[sa])
        .await
        .expect("refresh despite faults");
    assert!(got[0].is_some());
    let faulted = emu
        .request_log()
        .iter()
        .filter(|r| r.status == 429 || r.status == 503)
        .count();
    assert!(faulted >= 1, "faults should have been injected");
}

#[tokio::test]
async fn failed_operations_report_googles_message() {
    let faults = FaultConfig {
        operation_failure_rate: 1.0,
        ..FaultConfig::default()
    };
    let emu = emulator(faults, Duration::ZERO).await;
    let g = provider(&emu);
    let err = g
        .create(
            "google_project_service",
            &v(json!({"service": "run.googleapis.com"})),
        )
        .await
        .expect_err("the operation fails");
    assert!(
        err.message.contains("google_project_service"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("run.googleapis.com"),
        "{}",
        err.message
    );
    assert!(err.message.contains("Operation failed"), "{}", err.message);
}

#[tokio::test]
async fn operation_polling_gives_up_at_its_timeout() {
    use keyway::providers::google::{operation, Api};
    let emu = emulator(FaultConfig::default(), Duration::from_secs(5)).await;
    let g = provider(&emu);
    let op = g
        .client()
        .post(
            Api::ServiceUsage,
            "v1/projects/kw-test/services/run.googleapis.com:enable",
            &json!({}),
        )
        .await
        .expect("operation starts");
    assert!(!op.get("done").and_then(Json::as_bool).unwrap_or(false));
    let err = operation::wait(
        g.client(),
        Api::ServiceUsage,
        "v1",
        op,
        Duration::from_millis(150),
    )
    .await
    .expect_err("times out");
    assert_eq!(err.status, "DEADLINE_EXCEEDED");
    assert!(count(&emu, "serviceusage.operations.get") >= 1);
}

#[tokio::test]
async fn invalid_account_ids_fail_before_any_request() {
    let emu = emulator(FaultConfig::default(), Duration::ZERO).await;
    let g = provider(&emu);
    let err = g
        .create(
            "google_service_account",
            &v(json!({"account_id": "Bad_ID"})),
        )
        .await
        .expect_err("invalid");
    assert!(err.message.contains("account_id"), "{}", err.message);
    assert!(emu.counters().is_empty(), "{:?}", emu.counters());
}

#[tokio::test]
async fn missing_credentials_for_real_google_say_how_to_authenticate() {
    // A key file that does not exist: gcp_auth fails at once, without any network access.
    // (Set only here; every other test uses the emulator, which never reads credentials.)
    std::env::set_var(
        "GOOGLE_APPLICATION_CREDENTIALS",
        "/nonexistent/keyway-test-key.json",
    );
    let g = Google::new(Settings {
        project: Some("kw-test".into()),
        ..Settings::default()
    })
    .expect("building never needs credentials");
    let err = g.check_credentials().await.expect_err("no credentials");
    assert!(
        err.message
            .contains("gcloud auth application-default login"),
        "{}",
        err.message
    );
    assert!(err.message.contains("--emulator"), "{}", err.message);
    let err = g
        .create(
            "google_project_service",
            &v(json!({"service": "iam.googleapis.com"})),
        )
        .await
        .expect_err("no credentials");
    assert!(
        err.message.contains("no Google credentials"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn disabling_a_service_with_dependents_needs_the_flag() {
    let emu = emulator(FaultConfig::default(), Duration::ZERO).await;
    let g = provider(&emu);
    enable(&g, "apigateway.googleapis.com").await;
    let dep = json!({"service": "servicemanagement.googleapis.com", "project": "kw-test",
                     "disable_on_destroy": true});
    let err = g
        .delete("google_project_service", &v(dep.clone()))
        .await
        .expect_err("API Gateway depends on Service Management");
    assert!(
        err.message.contains("servicemanagement.googleapis.com"),
        "{}",
        err.message
    );
    let mut with_flag = dep;
    with_flag["disable_dependent_services"] = json!(true);
    g.delete("google_project_service", &v(with_flag.clone()))
        .await
        .expect("disables with its dependents");
    let after = g
        .refresh("google_project_service", &[v(with_flag)])
        .await
        .expect("refresh");
    assert!(after[0].is_none());
    // Disabling again finds it already disabled: nothing to do.
    let again = json!({"service": "servicemanagement.googleapis.com", "project": "kw-test",
                       "disable_on_destroy": true});
    g.delete("google_project_service", &v(again))
        .await
        .expect("already disabled is success");
}

#[tokio::test]
async fn refresh_costs_one_read_per_project_and_collection() {
    let emu = emulator(FaultConfig::default(), Duration::ZERO).await;
    let g = provider(&emu);
    let mut services = Vec::new();
    let mut grants = Vec::new();
    for project in ["kw-one", "kw-two"] {
        for s in ["iam.googleapis.com", "run.googleapis.com"] {
            services.push(
                g.create(
                    "google_project_service",
                    &v(json!({"service": s, "project": project})),
                )
                .await
                .expect("enable"),
            );
        }
        for who in ["a", "b", "c"] {
            grants.push(
                g.create(
                    "google_project_iam_member",
                    &v(json!({"project": project, "role": "roles/viewer",
                              "member": format!("user:{who}@example.com")})),
                )
                .await
                .expect("grant"),
            );
        }
    }
    let before = emu.counters();
    let got = g
        .refresh("google_project_service", &services)
        .await
        .expect("refresh services");
    assert!(got.iter().all(Option::is_some));
    let got = g
        .refresh("google_project_iam_member", &grants)
        .await
        .expect("refresh grants");
    assert!(got.iter().all(Option::is_some));
    let after = emu.counters();
    let delta = |m: &str| after.get(m).copied().unwrap_or(0) - before.get(m).copied().unwrap_or(0);
    assert_eq!(delta("serviceusage.services.list"), 2);
    assert_eq!(delta("cloudresourcemanager.v3.projects.getIamPolicy"), 2);
    let total: u64 = after.values().sum::<u64>() - before.values().sum::<u64>();
    assert_eq!(total, 4, "{after:?}");
}

#[tokio::test]
async fn grants_and_revocations_return_only_once_readers_see_them() {
    // The emulator keeps serving the previous policy for 400 ms after each write, as IAM does
    // while a change propagates.
    let faults = FaultConfig {
        iam_propagation: Duration::from_millis(400),
        ..FaultConfig::default()
    };
    let emu = emulator(faults, Duration::ZERO).await;
    let g = provider(&emu);
    enable(&g, "iam.googleapis.com").await;
    let member = "user:ana@example.com";
    let read = || async {
        reqwest::Client::new()
            .post(format!(
                "{}/v3/projects/kw-test:getIamPolicy",
                emu.base_url()
            ))
            .json(&json!({}))
            .send()
            .await
            .expect("read")
            .json::<Json>()
            .await
            .expect("json")
    };
    let holds = |p: &Json| p.to_string().contains(member);

    let m = g
        .create("google_project_iam_member", &grant(member))
        .await
        .expect("grant");
    assert!(
        holds(&read().await),
        "create returned before the grant was visible"
    );
    let reads = count(&emu, "cloudresourcemanager.v3.projects.getIamPolicy");
    assert!(
        reads >= 3,
        "one read to modify, then polling until visible: {reads}"
    );

    g.delete("google_project_iam_member", &m)
        .await
        .expect("revoke");
    assert!(
        !holds(&read().await),
        "delete returned before the revocation was visible"
    );
}

#[tokio::test]
async fn waiting_out_propagation_leaves_the_rate_limit_retries_intact() {
    // A new service answers SERVICE_DISABLED for 4 s while a third of all requests get 429: the
    // call waits out the enablement over many attempts and must still retry the 429s that come
    // after them.
    let faults = FaultConfig {
        seed: 1,
        rate_429: 0.3,
        enable_propagation: Duration::from_millis(4000),
        ..FaultConfig::default()
    };
    let emu = emulator(faults, Duration::ZERO).await;
    let g = provider(&emu);
    enable(&g, "iam.googleapis.com").await;
    for id in ["first-account", "second-account"] {
        g.create("google_service_account", &v(json!({ "account_id": id })))
            .await
            .expect("created despite propagation and rate limits");
    }
    let log = emu.request_log();
    assert!(log.iter().any(|r| r.status == 429), "no 429 was injected");
    assert!(
        log.iter().filter(|r| r.status == 403).count() > 8,
        "the enablement was not waited out over more attempts than the transient budget"
    );
}

/// A scripted stand-in for API Keys where the create operation fails with INTERNAL although
/// the key was made (Google gives no guarantee either way): the re-sent create is answered 409,
/// and the provider adopts the key, which holds what was asked, instead of failing.
#[tokio::test]
async fn a_create_re_sent_after_a_failed_operation_adopts_the_key_it_made() {
    use axum::routing::{get, post};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    let creates = Arc::new(AtomicU32::new(0));
    let seen = creates.clone();
    let keys = "/v2/projects/kw-test/locations/global/keys";
    let key = json!({"name": "projects/1/locations/global/keys/k", "uid": "u-1",
                     "displayName": "Demo"});
    let app = axum::Router::new()
        .route(
            keys,
            post(move || {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        let op = json!({"name": "operations/akmf.1", "done": false});
                        reply(200, op)
                    } else {
                        let e = json!({"error": {"code": 409, "status": "ALREADY_EXISTS",
                                                 "message": "Key already exists."}});
                        reply(409, e)
                    }
                }
            }),
        )
        .route(
            "/v2/operations/akmf.1",
            get(|| async {
                reply(
                    200,
                    json!({"name": "operations/akmf.1", "done": true,
                           "error": {"code": 13, "message": "Internal error."}}),
                )
            }),
        )
        .route(
            &format!("{keys}/k"),
            get(move || {
                let key = key.clone();
                async move { reply(200, key) }
            }),
        )
        .route(
            &format!("{keys}/k/keyString"),
            get(|| async { reply(200, json!({"keyString": "AIza-adopted"})) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let g = Google::new(Settings {
        project: Some("kw-test".into()),
        endpoint: Endpoint::Emulator(format!("http://{addr}")),
        ..Settings::default()
    })
    .expect("provider");
    let made = g
        .create(
            "google_apikeys_key",
            &v(json!({"name": "k", "display_name": "Demo"})),
        )
        .await
        .expect("adopted");
    let made = j(&made);
    assert_eq!(
        creates.load(Ordering::SeqCst),
        2,
        "the create was re-sent once"
    );
    assert_eq!(made["uid"], "u-1");
    assert_eq!(made["key_string"], "AIza-adopted");
    assert_eq!(made["id"], "projects/kw-test/locations/global/keys/k");
}

/// A JSON answer with a status, as the scripted stand-in sends it.
fn reply(status: u16, body: Json) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = axum::http::StatusCode::from_u16(status).expect("status");
    let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
    (status, json, body.to_string()).into_response()
}
