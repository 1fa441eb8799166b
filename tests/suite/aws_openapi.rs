//! APIs imported from an OpenAPI `body` on moto: the REST API folder of the Terraform
//! provider's documentation (with its `triggers` and `create_before_destroy`) and an HTTP API
//! whose document is a `templatefile`. The document goes in after the create and again when
//! it changes; the configured name stays; unconfigured fields keep the document's values; a
//! REST API's new document reaches its stage with or without `triggers`. moto 5.2.5 does not
//! turn an operation's `security` into `apiKeyRequired`, fails (500) on a MOCK integration in
//! a document, and deletes an HTTP API's stages on ReimportApi: key enforcement, MOCK and
//! stages kept across a new document are tested on keyway's emulator (`aws_emulator`).

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
