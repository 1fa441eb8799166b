//! APIs imported from an OpenAPI `body`: the REST API folder of the Terraform provider's
//! documentation (with its `triggers` and `create_before_destroy`) and an HTTP API whose
//! document is a `templatefile`. The document goes in after the create and again when it
//! changes; the configured name stays; unconfigured fields keep the document's values; a REST
//! API's new document reaches its stage with or without `triggers`. On moto first; moto 5.2.5
//! does not turn an operation's `security` into `apiKeyRequired`, fails (500) on a MOCK
//! integration in a document, and deletes an HTTP API's stages on ReimportApi, so key
//! enforcement, traffic and stages kept across a new document are tested on keyway's
//! emulator at the end.

use crate::aws_moto::{plan_is_clean, python, python_list, run};
use crate::support::moto::Moto;
use crate::support::{root, Work};

/// The REST API's name, resource paths and deployments as boto3 sees them.
fn rest_api(moto: &Moto) -> String {
    python(
        moto,
        "c = boto3.client('apigateway', region_name='us-east-1')\n\
         for a in c.get_rest_apis()['items']:\n\
         \x20   paths = sorted(r['path'] for r in c.get_resources(restApiId=a['id'])['items'])\n\
         \x20   deps = [d['id'] for d in c.get_deployments(restApiId=a['id'])['items']]\n\
         \x20   served = [s['deploymentId'] for s in c.get_stages(restApiId=a['id'])['item']]\n\
         \x20   print(a['name'], ' '.join(paths), f'deployments={len(deps)}', f'served={served == deps}', end='')\n",
    )
}

const STATUS_PATH: &str = r#"      "/health" = {"#;
const STATUS_PLUS: &str = r#"      "/status" = {
        get = {
          responses = { "200" = { description = "Status" } }
          x-amazon-apigateway-integration = merge(local.integration, { uri = "${var.backend_url}/status" })
        }
      }
      "/health" = {"#;

#[test]
fn a_rest_api_from_openapi_imports_redeploys_and_destroys_on_moto() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("tests/real_world_aws/rest-api-openapi"));
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Resources: 6 added"),
        "{}",
        apply.stdout
    );
    plan_is_clean(&moto, &w);
    // The configured name wins over the document's title.
    assert_eq!(
        rest_api(&moto),
        "catalog / /health /items deployments=1 served=True"
    );

    w.edit("main.tf", STATUS_PATH, STATUS_PLUS);
    let plan = run(&moto, &w, &["plan"]).ok();
    for line in [
        "# aws_api_gateway_rest_api.example will be updated in-place",
        "# aws_api_gateway_deployment.example must be replaced (the new object is created first)",
        "Plan: 1 to add, 2 to change, 1 to destroy.",
    ] {
        assert!(plan.stdout.contains(line), "{line}\n{}", plan.stdout);
    }
    run(&moto, &w, &["apply", "-auto-approve"]).ok();
    plan_is_clean(&moto, &w);
    assert_eq!(
        rest_api(&moto),
        "catalog / /health /items /status deployments=1 served=True"
    );

    run(&moto, &w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&moto, &w, &["state", "list"]).ok().stdout, "");
    assert_eq!(rest_api(&moto), "");
}

#[test]
fn a_rest_api_redeploys_a_new_document_without_triggers() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("tests/real_world_aws/rest-api-openapi"));
    w.edit(
        "main.tf",
        "  triggers = {\n    redeployment = sha1(jsonencode(aws_api_gateway_rest_api.example.body))\n  }\n\n  lifecycle {\n    create_before_destroy = true\n  }\n",
        "",
    );
    run(&moto, &w, &["apply", "-auto-approve"]).ok();
    w.edit("main.tf", STATUS_PATH, STATUS_PLUS);
    let plan = run(&moto, &w, &["plan"]).ok();
    assert!(
        plan.stdout.contains(
            "# (replacement forced by snapshot of its API: aws_api_gateway_rest_api.example.body changes)"
        ),
        "{}",
        plan.stdout
    );
    run(&moto, &w, &["apply", "-auto-approve"]).ok();
    plan_is_clean(&moto, &w);
    assert_eq!(
        rest_api(&moto),
        "catalog / /health /items /status deployments=1 served=True"
    );
    // A change that is not the document does not redeploy.
    w.edit("main.tf", "resource \"aws_api_gateway_rest_api\" \"example\" {\n  name = var.name\n", "resource \"aws_api_gateway_rest_api\" \"example\" {\n  name = var.name\n  description = \"Catalog\"\n");
    let plan = run(&moto, &w, &["plan"]).ok();
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
}

/// The HTTP API's name, version, CORS origins and route keys as boto3 sees them.
fn http_api(moto: &Moto) -> String {
    python(
        moto,
        "c = boto3.client('apigatewayv2', region_name='us-east-1')\n\
         for a in c.get_apis()['Items']:\n\
         \x20   routes = sorted(r['RouteKey'] for r in c.get_routes(ApiId=a['ApiId'])['Items'])\n\
         \x20   origins = a.get('CorsConfiguration', {}).get('AllowOrigins')\n\
         \x20   print(a['Name'], a.get('Version'), origins, routes, end='')\n",
    )
}

#[test]
fn an_http_api_from_a_templatefile_document_imports_its_routes_on_moto() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("tests/real_world_aws/http-api-openapi"));
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Resources: 5 added"),
        "{}",
        apply.stdout
    );
    plan_is_clean(&moto, &w);
    // The name is the configured one; version and CORS, left out of the folder, are the
    // document's and show no drift.
    assert_eq!(
        http_api(&moto),
        "notes-api 2024-01-01 ['https://notes.example.com'] ['GET /notes', 'POST /notes']"
    );

    w.edit(
        "openapi.yaml",
        "  /notes:\n",
        "  /notes/{id}:\n    get:\n      x-amazon-apigateway-integration:\n        type: aws_proxy\n        httpMethod: POST\n        uri: \"${invoke_arn}\"\n        payloadFormatVersion: \"2.0\"\n  /notes:\n",
    );
    let plan = run(&moto, &w, &["plan"]).ok();
    assert!(
        plan.stdout
            .contains("# aws_apigatewayv2_api.notes will be updated in-place")
            && plan
                .stdout
                .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    run(&moto, &w, &["apply", "-auto-approve"]).ok();
    // moto's ReimportApi also deletes the API's stages (its `clear()`; AWS keeps them, and
    // so does keyway's emulator: `aws_emulator`). keyway sees the stage gone and makes it
    // again.
    let plan = run(&moto, &w, &["plan"]).ok();
    assert!(
        plan.stdout.contains("Objects changed outside of keyway since the last apply: aws_apigatewayv2_stage.default")
            && plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    run(&moto, &w, &["apply", "-auto-approve"]).ok();
    plan_is_clean(&moto, &w);
    assert_eq!(
        http_api(&moto),
        "notes-api 2024-01-01 ['https://notes.example.com'] ['GET /notes', 'GET /notes/{id}', 'POST /notes']"
    );

    // A configured version wins over the document's.
    w.edit(
        "api.tf",
        "  protocol_type = \"HTTP\"\n",
        "  protocol_type = \"HTTP\"\n  version       = \"v2\"\n",
    );
    run(&moto, &w, &["apply", "-auto-approve"]).ok();
    plan_is_clean(&moto, &w);
    assert!(
        http_api(&moto).starts_with("notes-api v2 "),
        "{}",
        http_api(&moto)
    );

    run(&moto, &w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(python_list(&moto), "apis=0 functions=0 roles=0");
}

const REST_CHECKS: &str = r#"
check "a_call_without_a_key_is_refused" {
  data "http" "no_key" {
    url = "${aws_api_gateway_stage.example.invoke_url}/items"
  }
  assert {
    condition     = data.http.no_key.status_code == 403
    error_message = "GET /items without a key answered ${data.http.no_key.status_code}"
  }
}

check "a_call_with_the_key_is_proxied" {
  data "http" "with_key" {
    url             = "${aws_api_gateway_stage.example.invoke_url}/items"
    request_headers = { x-api-key = aws_api_gateway_api_key.client.value }
  }
  assert {
    condition     = data.http.with_key.status_code == 200
    error_message = "GET /items with the key answered ${data.http.with_key.status_code}"
  }
}

check "the_open_path_needs_no_key" {
  data "http" "health" {
    url = "${aws_api_gateway_stage.example.invoke_url}/health"
  }
  assert {
    condition     = data.http.health.status_code == 200
    error_message = "GET /health answered ${data.http.health.status_code}"
  }
}
"#;

/// What moto leaves out, on the emulator: the document's `security` makes the method need
/// the key, and a new document reaches the stage through the derived redeployment.
#[test]
fn an_imported_rest_api_enforces_its_keys_on_the_emulator() {
    let w = Work::copy_of(&root().join("tests/real_world_aws/rest-api-openapi"));
    w.write("checks.tf", REST_CHECKS);
    let apply = w.run(&["--emulator", "apply", "-auto-approve"]).ok().stdout;
    assert_eq!(apply.matches(": passed").count(), 3, "{apply}");
    w.edit("main.tf", STATUS_PATH, STATUS_PLUS);
    w.write(
        "status.tf",
        "check \"the_new_path_is_served\" {\n  data \"http\" \"status\" {\n    url = \"${aws_api_gateway_stage.example.invoke_url}/status\"\n  }\n  assert {\n    condition     = data.http.status.status_code == 200\n    error_message = \"GET /status answered ${data.http.status.status_code}\"\n  }\n}\n",
    );
    let apply = w.run(&["--emulator", "apply", "-auto-approve"]).ok().stdout;
    assert_eq!(apply.matches(": passed").count(), 4, "{apply}");
    let plan = w.run(&["--emulator", "plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    w.run(&["--emulator", "destroy", "-auto-approve"]).ok();
    assert_eq!(w.run(&["--emulator", "state", "list"]).ok().stdout, "");
}

const HTTP_CHECKS: &str = r#"
check "get_reaches_the_handler" {
  data "http" "get" {
    url = "${aws_apigatewayv2_api.notes.api_endpoint}/notes"
  }
  assert {
    condition     = data.http.get.status_code == 200 && try(jsondecode(data.http.get.response_body).path, "") == "/notes"
    error_message = "GET /notes answered ${data.http.get.status_code}"
  }
}
"#;

/// On the emulator, as on AWS, a new document keeps the API's stages: the plan after it is
/// clean, and the new route is served at once (the stage deploys automatically).
#[test]
fn an_imported_http_api_keeps_its_stage_and_serves_new_routes_on_the_emulator() {
    let w = Work::copy_of(&root().join("tests/real_world_aws/http-api-openapi"));
    w.write("checks.tf", HTTP_CHECKS);
    let apply = w.run(&["--emulator", "apply", "-auto-approve"]).ok().stdout;
    assert_eq!(apply.matches(": passed").count(), 1, "{apply}");
    w.edit(
        "openapi.yaml",
        "  /notes:\n",
        "  /notes/{id}:\n    get:\n      x-amazon-apigateway-integration:\n        type: aws_proxy\n        httpMethod: POST\n        uri: \"${invoke_arn}\"\n        payloadFormatVersion: \"2.0\"\n  /notes:\n",
    );
    w.write(
        "one.tf",
        "check \"one_note\" {\n  data \"http\" \"one\" {\n    url = \"${aws_apigatewayv2_api.notes.api_endpoint}/notes/7\"\n  }\n  assert {\n    condition     = data.http.one.status_code == 200\n    error_message = \"GET /notes/7 answered ${data.http.one.status_code}\"\n  }\n}\n",
    );
    let apply = w.run(&["--emulator", "apply", "-auto-approve"]).ok().stdout;
    assert!(
        apply.contains("Resources: 0 added, 1 changed, 0 destroyed."),
        "{apply}"
    );
    assert_eq!(apply.matches(": passed").count(), 2, "{apply}");
    let plan = w.run(&["--emulator", "plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    w.run(&["--emulator", "destroy", "-auto-approve"]).ok();
    assert_eq!(w.run(&["--emulator", "state", "list"]).ok().stdout, "");
}

/// A REST API whose create answer was lost (the emulator carries the request out and answers
/// 503): the run fails, the next finds the API by the name it was sent with, records it with
/// no document (whether it went in is unknown), imports the document and serves it; one API
/// only, never two.
#[tokio::test(flavor = "multi_thread")]
async fn a_rest_api_whose_create_answer_was_lost_gets_its_document_on_the_next_run() {
    use keyway::emulator::{Emulator, FaultConfig, Options};
    let faults = FaultConfig {
        lose_responses: [("apigateway.CreateRestApi".to_owned(), 1)].into(),
        ..FaultConfig::default()
    };
    let emu = Emulator::start(Options {
        port: 0,
        reset: true,
        faults,
        ..Options::default()
    })
    .await
    .expect("emulator");
    let w = Work::copy_of(&root().join("tests/real_world_aws/rest-api-openapi"));
    w.write("checks.tf", REST_CHECKS);
    let first = w.on(&emu, &["apply", "-auto-approve"]);
    assert_eq!(first.code, 1, "{}", first.stdout);
    let second = w.on(&emu, &["apply", "-auto-approve"]).ok();
    assert!(
        second.stderr.contains("aws_api_gateway_rest_api.example"),
        "the adoption is reported: {}",
        second.stderr
    );
    assert_eq!(
        second.stdout.matches(": passed").count(),
        3,
        "{}",
        second.stdout
    );
    let plan = w.on(&emu, &["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let counters = emu.counters();
    assert_eq!(
        counters.get("apigateway.CreateRestApi"),
        Some(&1),
        "{counters:?}"
    );
    assert_eq!(
        counters.get("apigateway.PutRestApi"),
        Some(&1),
        "{counters:?}"
    );
    emu.shutdown().await;
}
