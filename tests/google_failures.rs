//! The tutorial's stack (`examples/api-gateway-keys`) through the real binary while the emulator
//! misbehaves the way Google does: an operation failing in the middle of an apply, rate limits,
//! outages and every propagation delay at once, and a config another gateway still uses.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use keyway::emulator::{Emulator, FaultConfig, Options};
use serde_json::{json, Value as Json};
use support::{root, Run, Work};

async fn emulator(faults: FaultConfig) -> Emulator {
    Emulator::start(Options {
        faults,
        operation_delay: Duration::from_millis(10),
        ..Options::default()
    })
    .await
    .expect("emulator")
}

/// A copy of the example and a runner pointing the binary at `emu`.
fn stack(emu: &Emulator) -> (Work, impl Fn(&Work, &[&str]) -> Run) {
    let base = emu.base_url();
    let run = move |w: &Work, args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .output()
                .expect("run keyway"),
        )
    };
    (
        Work::copy_of(&root().join("examples/api-gateway-keys")),
        run,
    )
}

fn statuses(emu: &Emulator) -> BTreeMap<u16, usize> {
    let mut out = BTreeMap::new();
    for r in emu.request_log() {
        *out.entry(r.status).or_insert(0) += 1;
    }
    out
}

async fn list(url: String, field: &str) -> Vec<Json> {
    let body: Json = reqwest::get(url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    body.get(field)
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operation_failing_mid_apply_keeps_what_was_made_and_the_next_apply_finishes() {
    let faults = FaultConfig {
        fail_operations: BTreeMap::from([("apigateway.gateways.create".to_owned(), 1)]),
        ..FaultConfig::default()
    };
    let emu = emulator(faults).await;
    let (w, run) = stack(&emu);

    let failed = run(&w, &["apply", "-auto-approve"]).code(1);
    assert!(
        failed.stderr.contains("google_api_gateway_gateway.gateway")
            && failed.stderr.contains("Operation failed (injected"),
        "the error names the resource and carries Google's message:\n{}",
        failed.stderr
    );
    let listed = run(&w, &["state", "list"]).ok().stdout;
    assert!(
        listed.contains("google_api_gateway_api_config.config")
            && listed.contains("google_cloud_run_v2_service.backend"),
        "what was created is in state:\n{listed}"
    );
    assert!(!listed.contains("google_api_gateway_gateway.gateway"));

    let second = run(&w, &["apply", "-auto-approve"]).ok();
    assert!(
        second
            .stdout
            .contains("Resources: 1 added, 0 changed, 0 destroyed."),
        "only the gateway was left to make:\n{}",
        second.stdout
    );
    run(&w, &["plan", "-detailed-exitcode"]).code(0);
    run(&w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&w, &["state", "list"]).ok().stdout, "");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stack_converges_through_rate_limits_outages_and_propagation_delays() {
    let faults = FaultConfig {
        seed: 7,
        rate_429: 0.08,
        rate_503: 0.08,
        // Long enough that the first use of a new service or account falls inside the window
        // even on a busy machine.
        enable_propagation: Duration::from_millis(1500),
        service_account_propagation: Duration::from_millis(3000),
        iam_propagation: Duration::from_millis(300),
        ..FaultConfig::default()
    };
    let emu = emulator(faults).await;
    let (w, run) = stack(&emu);

    let apply = run(&w, &["apply", "-auto-approve"]).ok();
    assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
    let seen = statuses(&emu);
    for code in [429, 503] {
        assert!(
            seen.get(&code).copied().unwrap_or(0) >= 1,
            "no {code} was injected: {seen:?}"
        );
    }
    let log = emu.request_log();
    assert!(
        log.iter()
            .any(|r| r.status == 400 && r.method.ends_with("setIamPolicy")),
        "the new service account was never refused as not yet visible"
    );
    assert!(
        log.iter().any(|r| r.status == 403),
        "no SERVICE_DISABLED was answered right after an enable"
    );
    run(&w, &["plan", "-detailed-exitcode"]).code(0);
    run(&w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&w, &["state", "list"]).ok().stdout, "");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_another_gateway_uses_is_reported_kept_and_deleted_once_free() {
    let emu = emulator(FaultConfig::default()).await;
    let base = emu.base_url();
    let (w, run) = stack(&emu);
    run(&w, &["apply", "-auto-approve"]).ok();

    // Someone else's gateway, made outside keyway, serves the same config.
    let configs = list(
        format!("{base}/v1/projects/keyway-demo/locations/global/apis/hello-api/configs"),
        "apiConfigs",
    )
    .await;
    let config = configs[0]["name"].as_str().expect("config name").to_owned();
    let http = reqwest::Client::new();
    let foreign = format!("{base}/v1/projects/keyway-demo/locations/us-central1/gateways");
    let made = http
        .post(format!("{foreign}?gatewayId=foreign"))
        .json(&json!({ "apiConfig": config }))
        .send()
        .await
        .expect("create");
    assert!(made.status().is_success());
    tokio::time::sleep(Duration::from_millis(100)).await;

    let destroy = run(&w, &["destroy", "-auto-approve"]).code(1);
    assert!(
        destroy
            .stderr
            .contains("google_api_gateway_api_config.config")
            && destroy.stderr.contains("is in use by gateway"),
        "{}",
        destroy.stderr
    );
    let left = run(&w, &["state", "list"]).ok().stdout;
    assert!(
        left.contains("google_api_gateway_api_config.config")
            && left.contains("google_api_gateway_api.api"),
        "the config and the API it belongs to stay in state:\n{left}"
    );
    assert!(
        !left.contains("google_api_gateway_gateway.gateway"),
        "keyway's own gateway was deleted:\n{left}"
    );

    let gone = http
        .delete(format!("{foreign}/foreign"))
        .send()
        .await
        .expect("delete");
    assert!(gone.status().is_success());
    tokio::time::sleep(Duration::from_millis(100)).await;
    run(&w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&w, &["state", "list"]).ok().stdout, "");
    emu.shutdown().await;
}

/// Killed (here: failed) after the new config exists but before the gateway switched to it:
/// the next apply switches the gateway first and only then deletes the deposed config.
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_config_swap_switches_the_gateway_before_deleting_the_old_config() {
    let faults = FaultConfig {
        fail_operations: BTreeMap::from([("apigateway.gateways.patch".to_owned(), 1)]),
        ..FaultConfig::default()
    };
    let emu = emulator(faults).await;
    let (w, run) = stack(&emu);
    run(&w, &["apply", "-auto-approve"]).ok();
    w.edit(
        "openapi.yaml.tftpl",
        "  /hello:\n",
        "  /bye:\n    get:\n      operationId: getBye\n      responses:\n        \"200\":\n          description: Goodbye.\n  /hello:\n",
    );
    run(&w, &["apply", "-auto-approve"]).code(1);
    let listed = run(&w, &["state", "list"]).ok().stdout;
    assert!(
        listed.contains("google_api_gateway_api_config.config (deposed)"),
        "{listed}"
    );

    let again = run(&w, &["apply", "-auto-approve"]).ok();
    let switched = again
        .stdout
        .find("google_api_gateway_gateway.gateway: Modifications complete")
        .expect("gateway switched");
    let deleted = again
        .stdout
        .find("google_api_gateway_api_config.config (deposed): Destruction complete")
        .expect("old config deleted");
    assert!(switched < deleted, "{}", again.stdout);
    assert!(!run(&w, &["state", "list"])
        .ok()
        .stdout
        .contains("(deposed)"));
    let api = w.state_json()["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == "google_api_gateway_api.api")
        .map(|r| {
            r["attributes"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .expect("api in state");
    let configs = list(format!("{}/v1/{api}/configs", emu.base_url()), "apiConfigs").await;
    assert_eq!(configs.len(), 1, "{configs:?}");
    run(&w, &["plan", "-detailed-exitcode"]).code(0);
}

/// An undeleted key whose update then fails is recorded as a pending creation: the next
/// apply finds it, updates it, and `destroy` deletes it (it is never left live and unknown).
#[tokio::test(flavor = "multi_thread")]
async fn an_undeleted_key_whose_update_failed_is_finished_by_the_next_apply() {
    let faults = FaultConfig {
        fail_operations: BTreeMap::from([("apikeys.keys.patch".to_owned(), 1)]),
        ..FaultConfig::default()
    };
    let emu = emulator(faults).await;
    let (w, run) = stack(&emu);
    run(&w, &["apply", "-auto-approve"]).ok();
    run(&w, &["destroy", "-auto-approve"]).ok();
    let failed = run(&w, &["apply", "-auto-approve"]).code(1);
    assert!(
        failed.stderr.contains("google_apikeys_key.key"),
        "{}",
        failed.stderr
    );
    let pending = &w.state_json()["pending_creates"];
    assert!(
        pending.to_string().contains("google_apikeys_key.key"),
        "the undeleted key is recorded: {pending}"
    );

    let again = run(&w, &["apply", "-auto-approve"]).ok();
    assert!(
        again.stderr.contains("now recorded in state"),
        "{}",
        again.stderr
    );
    run(&w, &["plan", "-detailed-exitcode"]).code(0);
    let project = w.state_json()["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == "google_apikeys_key.key")
        .map(|r| {
            r["attributes"]["project"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .expect("key in state");
    run(&w, &["destroy", "-auto-approve"]).ok();
    let keys = list(
        format!(
            "{}/v2/projects/{project}/locations/global/keys",
            emu.base_url()
        ),
        "keys",
    )
    .await;
    assert!(keys.is_empty(), "no live key is left: {keys:?}");
}
