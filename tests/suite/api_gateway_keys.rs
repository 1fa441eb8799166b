//! The tutorial's whole stack (`examples/api-gateway-keys`) on keyway's emulator through the
//! real binary: apply, a no-change re-plan that costs a handful of requests, a changed OpenAPI
//! template planned and applied as "new config, switch gateway, delete old config", and a
//! destroy that leaves nothing of the stack behind.

use crate::support::{root, Run, Work};
use keyway::emulator::{Emulator, Options};

async fn get_json(url: &str) -> serde_json::Value {
    reqwest::get(url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn whole_stack_apply_swap_config_destroy() {
    let emu = Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(10),
    })
    .await
    .expect("emulator");
    let base = emu.base_url();
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .output()
                .expect("run keyway"),
        )
    };

    let first = emu.request_log().len();
    let apply = run(&["apply", "-auto-approve"]).ok();
    assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
    assert!(
        apply
            .stdout
            .contains("gateway_url = \"https://hello-gateway-"),
        "{}",
        apply.stdout
    );
    let apply_requests = emu.request_log().len() - first;
    let key = run(&["output", "-raw", "api_key"]).ok().stdout;
    assert!(key.starts_with("AIza") && key.len() == 39, "{key}");
    assert!(
        !apply.stdout.contains(&key) && !apply.stderr.contains(&key),
        "the key reached the terminal"
    );

    let before = emu.request_log().len();
    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(!plan.stdout.contains(&key));
    let (traffic, refresh): (Vec<String>, Vec<String>) = emu
        .request_log()
        .into_iter()
        .skip(before)
        .map(|r| r.method)
        .partition(|m| m == "gateway.requests");
    // The example's three checks call the gateway once each.
    assert_eq!(traffic.len(), 3, "{traffic:?}");
    // One list per collection and one policy read per IAM-bearing resource.
    assert!(
        refresh.len() <= 10,
        "refresh sent {} requests: {refresh:?}",
        refresh.len()
    );
    assert!(
        !refresh
            .iter()
            .any(|m| m.ends_with(".get") && m.contains("services")),
        "{refresh:?}"
    );
    println!(
        "apply sent {apply_requests} requests; a no-change plan sent {}: {refresh:?}",
        refresh.len()
    );

    let tpl = w.path().join("openapi.yaml.tftpl");
    let text = std::fs::read_to_string(&tpl).expect("template");
    std::fs::write(&tpl, text.replace("  /hello:\n", "  /bye:\n    get:\n      operationId: getBye\n      responses:\n        \"200\":\n          description: Goodbye.\n  /hello:\n")).expect("write");
    let swap = run(&["plan"]).ok();
    assert!(
        swap.stdout
            .contains("+/- resource \"google_api_gateway_api_config\" \"config\""),
        "{}",
        swap.stdout
    );
    assert!(
        swap.stdout
            .contains("# google_api_gateway_gateway.gateway will be updated in-place"),
        "{}",
        swap.stdout
    );
    assert!(
        swap.stdout
            .contains("Plan: 1 to add, 1 to change, 1 to destroy."),
        "{}",
        swap.stdout
    );
    run(&["apply", "-auto-approve"]).ok();
    run(&["plan", "-detailed-exitcode"]).code(0);
    let configs = get_json(&format!(
        "{base}/v1/projects/keyway-demo/locations/global/apis/hello-api/configs"
    ))
    .await;
    assert_eq!(
        configs["apiConfigs"].as_array().map_or(0, Vec::len),
        1,
        "old config left behind: {configs}"
    );

    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");
    let apis = get_json(&format!(
        "{base}/v1/projects/keyway-demo/locations/global/apis"
    ))
    .await;
    assert!(
        apis.get("apis")
            .is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)),
        "{apis}"
    );
    let gws = get_json(&format!(
        "{base}/v1/projects/keyway-demo/locations/us-central1/gateways"
    ))
    .await;
    assert!(
        gws.get("gateways")
            .is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)),
        "{gws}"
    );
    let runs = get_json(&format!(
        "{base}/v2/projects/keyway-demo/locations/us-central1/services"
    ))
    .await;
    assert!(
        runs.get("services")
            .is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)),
        "{runs}"
    );
    let keys = get_json(&format!(
        "{base}/v2/projects/keyway-demo/locations/global/keys"
    ))
    .await;
    assert!(
        keys.get("keys")
            .is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)),
        "{keys}"
    );
    let sas = get_json(&format!("{base}/v1/projects/keyway-demo/serviceAccounts")).await;
    assert!(
        sas.get("accounts")
            .is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)),
        "{sas}"
    );
    emu.shutdown().await;
}

#[test]
fn validate_explains_the_missing_managed_service_and_key_target_enablements() {
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    let clean = w.run(&["validate"]).ok();
    assert!(
        !clean.stderr.contains("Warning") && !clean.stderr.contains("never enabled"),
        "the example enables everything it uses:\n{}",
        clean.stderr
    );

    // The step most guides leave out: drop the managed service's enablement, and restrict the
    // key to one more service nothing enables.
    w.remove_block("main.tf", "resource \"google_project_service\" \"managed\"");
    w.edit(
        "main.tf",
        "depends_on = [google_project_service.managed]",
        "",
    );
    w.edit(
        "main.tf",
        "  restrictions {\n",
        "  restrictions {\n    api_targets {\n      service = \"translate.googleapis.com\"\n    }\n",
    );

    let warned = w.run(&["validate"]).ok();
    assert!(
        warned
            .stderr
            .contains("The managed service of `google_api_gateway_api.api` is never enabled")
            && warned
                .stderr
                .contains("service    = google_api_gateway_api.api.managed_service")
            && warned
                .stderr
                .contains("depends_on = [google_api_gateway_api_config.config]"),
        "{}",
        warned.stderr
    );
    assert!(
        warned.stderr.contains(
            "`google_apikeys_key.key` is restricted to translate.googleapis.com, which no \
             google_project_service enables"
        ) && warned
            .stderr
            .contains("service = \"translate.googleapis.com\""),
        "{}",
        warned.stderr
    );
    let json: serde_json::Value =
        serde_json::from_str(&w.run(&["validate", "-json"]).ok().stdout).expect("json");
    assert_eq!(json["valid"], true);
    assert_eq!(json["warning_count"], 2, "{json}");
}
