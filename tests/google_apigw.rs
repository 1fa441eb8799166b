//! API Gateway resources on keyway's emulator (loopback only): the lifecycle of each type
//! through the `Provider` trait, with one list call per collection on refresh, and the real
//! binary swapping a changed config (new config, gateway switched, old config deleted) without
//! any `create_before_destroy` or ID prefix in the folder.

mod support;

use base64::Engine as _;
use keyway::emulator::{Emulator, Options};
use keyway::lang::Value;
use keyway::providers::google::{retry::Backoff, Endpoint, Google, Settings};
use keyway::providers::Provider;
use serde_json::{json, Value as Json};
use support::{root, Work};

async fn emulator() -> Emulator {
    Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(20),
    })
    .await
    .expect("emulator")
}

fn provider(emu: &Emulator) -> Google {
    Google::new(Settings {
        project: Some("keyway-demo".into()),
        region: Some("us-central1".into()),
        endpoint: Endpoint::Emulator(emu.base_url()),
        ..Settings::default()
    })
    .expect("provider")
    .with_backoff(Backoff::local())
}

fn v(j: Json) -> Value {
    Value::from_json(&j)
}

fn s(v: &Json, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

fn doc(title: &str) -> String {
    let yaml = format!(
        "swagger: \"2.0\"\ninfo:\n  title: {title}\n  version: \"1.0.0\"\npaths:\n  /hello:\n    get:\n      operationId: hello\n      responses:\n        \"200\":\n          description: OK\n"
    );
    base64::engine::general_purpose::STANDARD.encode(yaml)
}

fn config(api: &str, contents: &str, sa: &str) -> Json {
    json!({
        "api": api,
        "display_name": null,
        "labels": null,
        "api_config_id": null,
        "api_config_id_prefix": null,
        "project": null,
        "openapi_documents": [{"document": [{"path": "openapi.yaml", "contents": contents}]}],
        "gateway_config": [{"backend_config": [{"google_service_account": sa}]}],
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn api_config_and_gateway_lifecycle_through_the_provider() {
    let emu = emulator().await;
    let g = provider(&emu);
    for service in ["iam.googleapis.com", "apigateway.googleapis.com"] {
        g.create("google_project_service", &v(json!({"service": service})))
            .await
            .expect("enable");
    }
    let sa = g
        .create(
            "google_service_account",
            &v(json!({"account_id": "apigw-caller"})),
        )
        .await
        .expect("service account")
        .to_json();
    let email = s(&sa, "email");

    // The API: Google generates its managed service.
    let api = g
        .create(
            "google_api_gateway_api",
            &v(json!({"api_id": "hello", "display_name": "Hello", "labels": {"team": "a"}})),
        )
        .await
        .expect("api")
        .to_json();
    assert_eq!(
        s(&api, "id"),
        "projects/keyway-demo/locations/global/apis/hello"
    );
    assert!(
        s(&api, "managed_service").ends_with(".apigateway.keyway-demo.cloud.goog"),
        "{api}"
    );

    // A config without an ID gets one derived from its content.
    let c1 = g
        .create(
            "google_api_gateway_api_config",
            &v(config("hello", &doc("one"), &email)),
        )
        .await
        .expect("config")
        .to_json();
    let id1 = s(&c1, "api_config_id");
    assert!(id1.starts_with("hello-") && id1.len() == 14, "{c1}");
    assert!(!s(&c1, "service_config_id").is_empty(), "{c1}");
    assert_eq!(
        c1["gateway_config"][0]["backend_config"][0]["google_service_account"],
        json!(email)
    );

    let gw = g
        .create(
            "google_api_gateway_gateway",
            &v(json!({"gateway_id": "hello-gw", "api_config": s(&c1, "id")})),
        )
        .await
        .expect("gateway")
        .to_json();
    assert!(s(&gw, "default_hostname").ends_with(".gateway.dev"), "{gw}");
    assert_eq!(s(&gw, "region"), "us-central1");

    // Refresh: one list per collection, the documents kept though lists leave them out.
    let before = emu.request_log().len();
    let r_api = g
        .refresh("google_api_gateway_api", &[v(api.clone())])
        .await
        .expect("refresh api");
    let r_cfg = g
        .refresh("google_api_gateway_api_config", &[v(c1.clone())])
        .await
        .expect("refresh config");
    let r_gw = g
        .refresh("google_api_gateway_gateway", &[v(gw.clone())])
        .await
        .expect("refresh gateway");
    let methods: Vec<String> = emu
        .request_log()
        .into_iter()
        .skip(before)
        .map(|r| r.method)
        .collect();
    assert_eq!(methods.len(), 3, "{methods:?}");
    assert_eq!(r_api[0].as_ref().map(Value::to_json), Some(api.clone()));
    assert_eq!(r_cfg[0].as_ref().map(Value::to_json), Some(c1.clone()));
    assert_eq!(r_gw[0].as_ref().map(Value::to_json), Some(gw.clone()));

    // A changed document: new config (new ID), switch the gateway, delete the old one.
    let c2 = g
        .create(
            "google_api_gateway_api_config",
            &v(config("hello", &doc("two"), &email)),
        )
        .await
        .expect("config 2")
        .to_json();
    assert_ne!(s(&c2, "api_config_id"), id1);
    let in_use = g
        .delete("google_api_gateway_api_config", &v(c1.clone()))
        .await
        .expect_err("a config in use cannot be deleted");
    assert!(in_use.message.contains("gateway"), "{}", in_use.message);
    let mut planned = gw.clone();
    planned["api_config"] = json!(s(&c2, "id"));
    let gw2 = g
        .update("google_api_gateway_gateway", &v(gw.clone()), &v(planned))
        .await
        .expect("switch gateway")
        .to_json();
    assert_eq!(s(&gw2, "api_config"), s(&c2, "id"));
    assert_eq!(s(&gw2, "default_hostname"), s(&gw, "default_hostname"));
    g.delete("google_api_gateway_api_config", &v(c1.clone()))
        .await
        .expect("delete old config");

    // Labels and display names change in place.
    let mut planned = api.clone();
    planned["labels"] = json!({"team": "b"});
    let api2 = g
        .update("google_api_gateway_api", &v(api.clone()), &v(planned))
        .await
        .expect("update api")
        .to_json();
    assert_eq!(api2["labels"], json!({"team": "b"}));
    let mut planned = c2.clone();
    planned["display_name"] = json!("Second");
    let c2b = g
        .update("google_api_gateway_api_config", &v(c2.clone()), &v(planned))
        .await
        .expect("update config")
        .to_json();
    assert_eq!(s(&c2b, "display_name"), "Second");
    assert_eq!(c2b["openapi_documents"], c2["openapi_documents"]);

    // The API cannot go while it has configs; in order, everything goes.
    assert!(g
        .delete("google_api_gateway_api", &v(api2.clone()))
        .await
        .is_err());
    g.delete("google_api_gateway_gateway", &v(gw2.clone()))
        .await
        .expect("delete gateway");
    g.delete("google_api_gateway_api_config", &v(c2b.clone()))
        .await
        .expect("delete config");
    g.delete("google_api_gateway_api", &v(api2.clone()))
        .await
        .expect("delete api");
    // Deleting what is gone is not an error.
    g.delete("google_api_gateway_gateway", &v(gw2.clone()))
        .await
        .expect("delete again");
    let gone = g
        .refresh(
            "google_api_gateway_api_config",
            &[v(c1.clone()), v(c2b.clone())],
        )
        .await
        .expect("refresh configs of a deleted api");
    assert_eq!(gone, vec![None, None]);
    let gone = g
        .refresh("google_api_gateway_api", &[v(api2)])
        .await
        .expect("refresh");
    assert_eq!(gone, vec![None]);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_openapi_template_swaps_the_config_through_the_binary() {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("tests/fixtures/google-apigw"));
    let run = |args: &[&str]| {
        let out = w
            .command(args)
            .env("KEYWAY_EMULATOR", emu.base_url())
            .output()
            .expect("run keyway");
        support::Run::from(out)
    };

    let apply = run(&["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Apply complete! Resources: 9 added"),
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains(".gateway.dev"), "{}", apply.stdout);
    // The API's managed service, read from its output, is enabled (API keys need it).
    let ms = run(&["output", "-raw", "managed_service"]).ok().stdout;
    assert!(ms.ends_with(".apigateway.keyway-demo.cloud.goog"), "{ms}");
    let svc: Json = reqwest::get(format!(
        "{}/v1/projects/keyway-demo/services/{ms}",
        emu.base_url()
    ))
    .await
    .expect("get")
    .json()
    .await
    .expect("json");
    assert_eq!(svc["state"], "ENABLED", "{svc}");
    let before = emu.request_log().len();
    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    // Refresh of the three API Gateway resources: one list per collection, no gets.
    let apigw: Vec<String> = emu
        .request_log()
        .into_iter()
        .skip(before)
        .map(|r| r.method)
        .filter(|m| m.starts_with("apigateway."))
        .collect();
    assert_eq!(apigw.len(), 3, "{apigw:?}");
    assert!(apigw.iter().all(|m| m.ends_with(".list")), "{apigw:?}");

    // Change the template: the plan is a config swap, with no lifecycle block in the folder.
    let tpl = w.path().join("openapi.yaml.tftpl");
    let text = std::fs::read_to_string(&tpl).expect("template");
    let changed = text.replace("operationId: hello", "operationId: hello_v2");
    assert_ne!(text, changed);
    w.write("openapi.yaml.tftpl", &changed);
    let plan = run(&["plan", "-detailed-exitcode"]).code(2);
    assert!(plan.stdout.contains("+/-"), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("must be replaced (the new object is created first)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("google_api_gateway_gateway.gw will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("1 to add, 1 to change, 1 to destroy"),
        "{}",
        plan.stdout
    );

    let apply = run(&["apply", "-auto-approve"]).ok();
    assert!(
        apply
            .stdout
            .contains("Resources: 1 added, 1 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );
    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    // Only the new config is left, and the gateway serves it.
    let base = emu.base_url();
    let configs: Json = reqwest::get(format!(
        "{base}/v1/projects/keyway-demo/locations/global/apis/hello-api/configs"
    ))
    .await
    .expect("list")
    .json()
    .await
    .expect("json");
    let names: Vec<&str> = configs["apiConfigs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names.len(), 1, "{configs}");
    let gw: Json = reqwest::get(format!(
        "{base}/v1/projects/keyway-demo/locations/us-central1/gateways/hello-gw"
    ))
    .await
    .expect("get")
    .json()
    .await
    .expect("json");
    assert_eq!(gw["apiConfig"].as_str(), names.first().copied(), "{gw}");

    // Destroy in the order the service enforces: gateway, config, API.
    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");
    let apis: Json = reqwest::get(format!(
        "{base}/v1/projects/keyway-demo/locations/global/apis"
    ))
    .await
    .expect("list")
    .json()
    .await
    .expect("json");
    assert!(
        apis["apis"].as_array().is_none_or(|a| a.is_empty()),
        "{apis}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn terraform_style_prefix_and_create_before_destroy_still_work() {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("tests/fixtures/google-apigw"));
    // The workaround Terraform users write today must keep working unchanged.
    let main = std::fs::read_to_string(w.path().join("main.tf")).expect("main.tf");
    let tf_style = main.replace(
        "  display_name = \"Hello config\"\n",
        "  display_name = \"Hello config\"\n  api_config_id_prefix = \"hello-cfg-\"\n\n  lifecycle {\n    create_before_destroy = true\n  }\n",
    );
    assert_ne!(main, tf_style);
    w.write("main.tf", &tf_style);
    let run = |args: &[&str]| {
        let out = w
            .command(args)
            .env("KEYWAY_EMULATOR", emu.base_url())
            .output()
            .expect("run keyway");
        support::Run::from(out)
    };
    run(&["apply", "-auto-approve"]).ok();
    let id = || {
        let state = run(&["state", "show", "google_api_gateway_api_config.cfg"]).ok();
        state
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("api_config_id "))
            .unwrap_or_default()
            .to_owned()
    };
    let first = id();
    assert!(first.contains("\"hello-cfg-"), "{first}");
    run(&["plan", "-detailed-exitcode"]).code(0);
    let tpl = w.path().join("openapi.yaml.tftpl");
    let text = std::fs::read_to_string(&tpl).expect("template");
    w.write(
        "openapi.yaml.tftpl",
        &text.replace("version: \"1.0.0\"", "version: \"1.1.0\""),
    );
    let apply = run(&["apply", "-auto-approve"]).ok();
    assert!(
        apply
            .stdout
            .contains("Resources: 1 added, 1 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );
    let second = id();
    assert!(
        second.contains("\"hello-cfg-") && second != first,
        "{second}"
    );
    run(&["plan", "-detailed-exitcode"]).code(0);
    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_ids_collide_only_when_the_user_fixed_them() {
    let emu = emulator().await;
    let g = provider(&emu);
    g.create(
        "google_project_service",
        &v(json!({"service": "apigateway.googleapis.com"})),
    )
    .await
    .expect("enable");
    g.create("google_api_gateway_api", &v(json!({"api_id": "ids"})))
        .await
        .expect("api");
    let mut cfg = config("ids", &doc("same"), "");
    cfg["gateway_config"] = json!([]);
    // As apply does: the ID is chosen (and recorded) before the create is sent.
    let ty = "google_api_gateway_api_config";
    let create = |cfg: serde_json::Value| {
        let g = &g;
        async move {
            let prepared = g.prepare_create(ty, &v(cfg)).await?;
            g.create(ty, &prepared).await
        }
    };
    // A forced replacement of unchanged content: the derived ID is taken, so the next free
    // counter is chosen before anything is sent.
    let a = create(cfg.clone()).await.expect("first").to_json();
    let b = create(cfg.clone()).await.expect("second").to_json();
    assert_eq!(
        s(&b, "api_config_id"),
        format!("{}-1", s(&a, "api_config_id"))
    );
    // A fixed ID cannot be created first and then swapped: the error says what to do.
    cfg["api_config_id"] = json!("fixed");
    create(cfg.clone()).await.expect("fixed");
    cfg["openapi_documents"][0]["document"][0]["contents"] = json!(doc("other"));
    let e = create(cfg.clone()).await.expect_err("taken");
    assert!(e.already_exists, "a taken name is never adopted: {e:?}");
    assert!(e.message.contains("ALREADY_EXISTS"), "{}", e.message);
    assert!(e.message.contains("api_config_id_prefix"), "{}", e.message);
    cfg["api_config_id_prefix"] = json!("p-");
    let e = create(cfg).await.expect_err("conflict");
    assert!(e.message.contains("conflict"), "{}", e.message);
    emu.shutdown().await;
}
