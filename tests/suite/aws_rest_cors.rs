//! The browser-CORS set-up people write for a REST API in Terraform
//! (`tests/real_world_aws/rest-api-cors-mock`): a MOCK integration answering OPTIONS with
//! `Access-Control-*` headers from method and integration response parameters, a declared
//! query parameter, TLS settings and stage access logs (which CreateStage does not take:
//! keyway sets them by an update right after). On moto it applies, re-plans clean and
//! destroys; on the emulator the preflight answers with the configured headers.

use crate::aws_moto::{plan_is_clean, run};
use crate::support::moto::Moto;
use crate::support::{root, Work};

fn folder() -> Work {
    Work::copy_of(&root().join("tests/real_world_aws/rest-api-cors-mock"))
}

#[test]
fn a_cors_rest_api_applies_replans_clean_and_destroys_on_moto() {
    let moto = Moto::start();
    let w = folder();
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Resources: 10 added"),
        "{}",
        apply.stdout
    );
    plan_is_clean(&moto, &w);
    run(&moto, &w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&moto, &w, &["state", "list"]).ok().stdout, "");
}

const PREFLIGHT: &str = r#"
check "the_preflight_allows_the_origin" {
  data "http" "preflight" {
    url    = "${aws_api_gateway_stage.live.invoke_url}/products"
    method = "OPTIONS"
  }
  assert {
    condition = (
      data.http.preflight.status_code == 200
      && lookup(data.http.preflight.response_headers, "Access-Control-Allow-Origin", "") == var.allowed_origin
      && lookup(data.http.preflight.response_headers, "Access-Control-Allow-Methods", "") == "GET,OPTIONS"
    )
    error_message = "OPTIONS answered ${data.http.preflight.status_code} with ${jsonencode(data.http.preflight.response_headers)}"
  }
}
"#;

const RENDERED: &str = r#"
check "the_mock_template_is_rendered" {
  data "http" "rendered" {
    url    = "${aws_api_gateway_stage.live.invoke_url}/products?page=3"
    method = "OPTIONS"
  }
  assert {
    condition     = try(jsondecode(data.http.rendered.response_body), null) == { method = "OPTIONS", stage = "live", page = "3" }
    error_message = "OPTIONS answered ${data.http.rendered.response_body}"
  }
}
"#;

#[test]
fn the_preflight_answers_with_the_configured_headers_on_the_emulator() {
    let w = folder();
    w.write("checks.tf", PREFLIGHT);
    // A response template with `$context` and `$input` references, rendered per request.
    w.write("rendered.tf", RENDERED);
    w.edit(
        "main.tf",
        "  depends_on = [aws_api_gateway_integration.options]",
        "  response_templates = {\n    \"application/json\" = \"{\\\"method\\\": \\\"$context.httpMethod\\\", \\\"stage\\\": \\\"$context.stage\\\", \\\"page\\\": \\\"$input.params('page')\\\"}\"\n  }\n\n  depends_on = [aws_api_gateway_integration.options]",
    );
    let apply = w.run(&["--emulator", "apply", "-auto-approve"]).ok().stdout;
    assert!(
        apply.contains("\"the_mock_template_is_rendered\": passed"),
        "{apply}"
    );
    assert!(
        apply.contains("\"the_preflight_allows_the_origin\": passed"),
        "{apply}"
    );
    let plan = w.run(&["--emulator", "plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let state = w.state_json();
    let stage = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == "aws_api_gateway_stage.live")
        .expect("stage in state");
    assert_eq!(
        stage["attributes"]["access_log_settings"][0]["destination_arn"],
        "arn:aws:logs:us-east-1:123456789012:log-group:catalog-access"
    );
    w.run(&["--emulator", "destroy", "-auto-approve"]).ok();
}
