//! The AWS provider against moto (a third-party AWS implementation, started per test on
//! 127.0.0.1): the HTTP API example's whole lifecycle, an AWS error mid-apply, imports in the
//! Terraform provider's ID formats, and bad input refused at its source. moto is lenient
//! (`../shared/reference/test-peers.md` §2): it accepts duplicate route keys and CORS
//! max ages above AWS's limit, so those refusals are tested on keyway's emulator instead.

use crate::support::moto::Moto;
use crate::support::{root, Run, Work};

pub(crate) fn run(moto: &Moto, w: &Work, args: &[&str]) -> Run {
    let mut c = w.command(args);
    moto.env(&mut c);
    Run::from(c.output().expect("run keyway"))
}

pub(crate) fn plan_is_clean(moto: &Moto, w: &Work) {
    let plan = run(moto, w, &["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "not clean:\n{}\n{}", plan.stdout, plan.stderr);
}

#[test]
fn http_api_example_applies_changes_and_destroys_on_moto() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("examples/aws-http-api"));
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Resources: 10 added"),
        "{}",
        apply.stdout
    );
    let url = run(&moto, &w, &["output", "-raw", "url"]).ok().stdout;
    assert!(
        url.starts_with("https://") && url.ends_with(".execute-api.us-east-1.amazonaws.com/"),
        "{url}"
    );
    plan_is_clean(&moto, &w);

    // A route, an integration and the function's environment change in place.
    w.edit(
        "main.tf",
        "route_key = \"GET /items\"",
        "route_key = \"GET /items/{id}\"",
    );
    w.edit(
        "main.tf",
        "payload_format_version = \"2.0\"",
        "payload_format_version = \"2.0\"\n  timeout_milliseconds   = 12000",
    );
    w.edit("variables.tf", "default = \"hello\"", "default = \"hi\"");
    let change = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        change.stdout.contains("0 added, 3 changed, 0 destroyed"),
        "{}",
        change.stdout
    );
    plan_is_clean(&moto, &w);
    let state = w.state_json().to_string();
    assert!(
        state.contains("GET /items/{id}") && state.contains("12000"),
        "{state}"
    );

    run(&moto, &w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&moto, &w, &["state", "list"]).ok().stdout, "");
    let leftovers = python_list(&moto);
    assert_eq!(
        leftovers, "apis=0 functions=0 roles=0",
        "moto still holds objects"
    );
}

/// Runs a boto3 script against moto; its standard output.
pub(crate) fn python(moto: &Moto, body: &str) -> String {
    let mut c = std::process::Command::new(root().join(".venv/bin/python"));
    c.args(["-c", &format!("import boto3\n{body}")]);
    moto_env(moto, &mut c);
    let out = c.output().expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_name_someone_else_holds_is_refused_and_never_adopted() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("examples/aws-http-api"));
    // Someone else's role of the same name, made outside keyway.
    python(&moto, "boto3.client('iam', region_name='us-east-1').create_role(RoleName='keyway-items-lambda', AssumeRolePolicyDocument='{}')\n");
    let failed = run(&moto, &w, &["apply", "-auto-approve"]).code(1);
    assert!(
        failed.stderr.contains("EntityAlreadyExists"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("keyway import aws_iam_role.items"),
        "{}",
        failed.stderr
    );
    let listed = run(&moto, &w, &["state", "list"]).ok().stdout;
    assert!(
        !listed.contains("aws_iam_role.items"),
        "not recorded, not even as pending: {listed}"
    );
    let plan = run(&moto, &w, &["plan"]).ok();
    assert!(
        !plan.stderr.contains("recorded in state"),
        "never adopted: {}",
        plan.stderr
    );
}

/// What moto holds, through boto3 (not through keyway's own client).
pub(crate) fn python_list(moto: &Moto) -> String {
    python(
        moto,
        "kw = dict(region_name='us-east-1')\n\
        apis = boto3.client('apigatewayv2', **kw).get_apis()['Items']\n\
        fns = boto3.client('lambda', **kw).list_functions()['Functions']\n\
        roles = [r for r in boto3.client('iam', **kw).list_roles()['Roles'] if not r['Path'].startswith('/aws-')]\n\
        print(f'apis={len(apis)} functions={len(fns)} roles={len(roles)}', end='')\n",
    )
}

fn moto_env(moto: &Moto, c: &mut std::process::Command) {
    c.env("AWS_ENDPOINT_URL", moto.url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1");
}

#[test]
fn an_aws_error_mid_apply_keeps_what_was_made_and_the_next_apply_finishes() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("examples/aws-http-api"));
    let good = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
    let bad = "arn:aws:iam::aws:policy/NoSuchPolicy";
    w.edit("main.tf", good, bad);
    let failed = run(&moto, &w, &["apply", "-auto-approve"]).code(1);
    assert!(
        failed.stderr.contains("NoSuchEntity") && failed.stderr.contains("NoSuchPolicy"),
        "AWS's code and message, with the resource: {}",
        failed.stderr
    );
    let listed = run(&moto, &w, &["state", "list"]).ok().stdout;
    assert!(listed.contains("aws_iam_role.items") && listed.contains("aws_apigatewayv2_api.items"));
    // The failed create stays recorded as pending until a run has looked for its object.
    assert!(
        listed.contains("aws_iam_role_policy_attachment.logs (pending creation)"),
        "{listed}"
    );
    w.edit("main.tf", bad, good);
    let finish = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        finish.stdout.contains("Resources: 1 added, 0 changed"),
        "{}",
        finish.stdout
    );
    plan_is_clean(&moto, &w);
}

#[test]
fn every_http_api_type_imports_with_terraforms_id_formats() {
    let moto = Moto::start();
    let made = Work::copy_of(&root().join("examples/aws-http-api"));
    run(&moto, &made, &["apply", "-auto-approve"]).ok();
    let id = |addr: &str| attribute(&made, addr, "id");
    let api = id("aws_apigatewayv2_api.items");
    let imports = [
        ("aws_iam_role.items", id("aws_iam_role.items")),
        (
            "aws_iam_role_policy_attachment.logs",
            format!(
                "{}/arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                id("aws_iam_role.items")
            ),
        ),
        ("aws_lambda_function.items", id("aws_lambda_function.items")),
        (
            "aws_lambda_permission.api",
            format!("{}/AllowItemsApi", id("aws_lambda_function.items")),
        ),
        ("aws_apigatewayv2_api.items", api.clone()),
        (
            "aws_apigatewayv2_integration.items",
            format!("{api}/{}", id("aws_apigatewayv2_integration.items")),
        ),
        (
            "aws_apigatewayv2_authorizer.jwt",
            format!("{api}/{}", id("aws_apigatewayv2_authorizer.jwt")),
        ),
        (
            "aws_apigatewayv2_route.list",
            format!("{api}/{}", id("aws_apigatewayv2_route.list")),
        ),
        (
            "aws_apigatewayv2_route.create",
            format!("{api}/{}", id("aws_apigatewayv2_route.create")),
        ),
        ("aws_apigatewayv2_stage.default", format!("{api}/$default")),
    ];
    // A second copy of the folder with no state takes every object over by import.
    let fresh = Work::copy_of(&root().join("examples/aws-http-api"));
    for (addr, import_id) in &imports {
        run(&moto, &fresh, &["import", addr, import_id]).ok();
    }
    // Only the outputs, which no apply has recorded yet, are to change.
    let plan = run(&moto, &fresh, &["plan"]).ok();
    assert!(
        !plan.stdout.contains("# aws_") && plan.stdout.contains("Changes to Outputs"),
        "imported objects plan clean:\n{}",
        plan.stdout
    );
    run(
        &moto,
        &fresh,
        &["state", "rm", "aws_apigatewayv2_route.list"],
    )
    .ok();
    let wrong = run(
        &moto,
        &fresh,
        &["import", "aws_apigatewayv2_route.list", "nothing-here"],
    )
    .code(1);
    assert!(wrong.stderr.contains("{api_id}/{id}"), "{}", wrong.stderr);
}

/// An attribute of a resource instance in the folder's state.
fn attribute(w: &Work, addr: &str, name: &str) -> String {
    let state = w.state_json();
    state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == addr))
        .and_then(|r| r["attributes"][name].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{addr}.{name} in state: {state}"))
}

#[test]
fn every_rest_api_type_imports_with_terraforms_id_formats() {
    let moto = Moto::start();
    let made = Work::copy_of(&root().join("examples/aws-rest-api-keys"));
    run(&moto, &made, &["apply", "-auto-approve"]).ok();
    let id = |addr: &str| attribute(&made, addr, "id");
    let api = id("aws_api_gateway_rest_api.items");
    let resource = id("aws_api_gateway_resource.items");
    let plan_id = id("aws_api_gateway_usage_plan.standard");
    let key = id("aws_api_gateway_api_key.client");
    let function = id("aws_lambda_function.items");
    let imports = [
        ("aws_iam_role.items", id("aws_iam_role.items")),
        ("aws_lambda_function.items", function.clone()),
        (
            "aws_lambda_permission.api",
            format!("{function}/AllowItemsRestApi"),
        ),
        ("aws_api_gateway_rest_api.items", api.clone()),
        (
            "aws_api_gateway_resource.items",
            format!("{api}/{resource}"),
        ),
        (
            "aws_api_gateway_method.items[\"GET\"]",
            format!("{api}/{resource}/GET"),
        ),
        (
            "aws_api_gateway_method.items[\"POST\"]",
            format!("{api}/{resource}/POST"),
        ),
        (
            "aws_api_gateway_integration.items[\"GET\"]",
            format!("{api}/{resource}/GET"),
        ),
        (
            "aws_api_gateway_integration.items[\"POST\"]",
            format!("{api}/{resource}/POST"),
        ),
        (
            "aws_api_gateway_deployment.items",
            format!("{api}/{}", id("aws_api_gateway_deployment.items")),
        ),
        ("aws_api_gateway_stage.prod", format!("{api}/prod")),
        (
            "aws_api_gateway_method_settings.all",
            format!("{api}/prod/*/*"),
        ),
        ("aws_api_gateway_api_key.client", key.clone()),
        ("aws_api_gateway_usage_plan.standard", plan_id.clone()),
        (
            "aws_api_gateway_usage_plan_key.client",
            format!("{plan_id}/{key}"),
        ),
        (
            "aws_api_gateway_api_key.trial",
            id("aws_api_gateway_api_key.trial"),
        ),
        (
            "aws_api_gateway_usage_plan.trial",
            id("aws_api_gateway_usage_plan.trial"),
        ),
        (
            "aws_api_gateway_usage_plan_key.trial",
            format!(
                "{}/{}",
                id("aws_api_gateway_usage_plan.trial"),
                id("aws_api_gateway_api_key.trial")
            ),
        ),
    ];
    let fresh = Work::copy_of(&root().join("examples/aws-rest-api-keys"));
    for (addr, import_id) in &imports {
        run(&moto, &fresh, &["import", addr, import_id]).ok();
    }
    let plan = run(&moto, &fresh, &["plan"]).ok();
    assert!(
        !plan.stdout.contains("# aws_") && plan.stdout.contains("Changes to Outputs"),
        "imported objects plan clean:\n{}",
        plan.stdout
    );
    assert_eq!(
        attribute(&fresh, "aws_api_gateway_api_key.client", "value"),
        attribute(&made, "aws_api_gateway_api_key.client", "value"),
        "the key string is imported too"
    );
}

#[test]
fn bad_input_is_refused_at_its_source() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("examples/aws-http-api"));
    w.edit(
        "main.tf",
        "route_key = \"GET /items\"",
        "route_key = \"GET/items\"",
    );
    let plan = run(&moto, &w, &["plan"]).code(1);
    assert!(
        plan.stderr.contains("route_key")
            && plan.stderr.contains("GET/items")
            && plan.stderr.contains("main.tf"),
        "{}",
        plan.stderr
    );
    w.edit(
        "main.tf",
        "route_key = \"GET/items\"",
        "route_key = \"GET /items\"",
    );
    // A zip that is not there (no archive_file): named, before any function is created.
    w.edit(
        "main.tf",
        "filename         = data.archive_file.handler.output_path",
        "filename         = \"build/missing.zip\"",
    );
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).code(1);
    assert!(
        apply.stderr.contains("build/missing.zip") && apply.stderr.contains("missing"),
        "{}",
        apply.stderr
    );
}

#[test]
fn rest_api_example_applies_changes_and_destroys_on_moto() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("examples/aws-rest-api-keys"));
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Resources: 18 added"),
        "{}",
        apply.stdout
    );
    assert!(
        !apply.stdout.contains(&api_key_value(&w)),
        "the key string is never printed"
    );
    plan_is_clean(&moto, &w);
    // The usage plan's throttle and quota change in place, by patch operations. (moto 5.2.5
    // answers UpdateMethod and UpdateIntegration with 500 "not implemented": a method's and an
    // integration's changes are for keyway's emulator.)
    w.edit("variables.tf", "default = 2\n", "default = 4\n");
    w.edit("variables.tf", "default = 1000\n", "default = 500\n");
    let change = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        change.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        change.stdout
    );
    plan_is_clean(&moto, &w);
    run(&moto, &w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&moto, &w, &["state", "list"]).ok().stdout, "");
}

fn api_key_value(w: &Work) -> String {
    let state = w.state_json();
    state["resources"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["address"] == "aws_api_gateway_api_key.client")
        })
        .and_then(|r| r["attributes"]["value"].as_str())
        .map(str::to_owned)
        .filter(|v| v.len() >= 20)
        .expect("the key's value is in state")
}

/// The REST API's deployments (ids) and the stage's deployment, through boto3.
fn deployments(moto: &Moto) -> (Vec<String>, String) {
    let text = python(
        moto,
        "c = boto3.client('apigateway', region_name='us-east-1')\n\
        api = c.get_rest_apis()['items'][0]['id']\n\
        ids = sorted(d['id'] for d in c.get_deployments(restApiId=api)['items'])\n\
        stage = c.get_stages(restApiId=api)['item'][0]['deploymentId']\n\
        print(','.join(ids) + ' ' + stage, end='')\n",
    );
    let (ids, stage) = text.split_once(' ').expect("ids and stage");
    (
        ids.split(',').map(str::to_owned).collect(),
        stage.to_owned(),
    )
}

#[test]
fn a_rest_api_redeploys_itself_when_its_methods_change_without_triggers() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("examples/aws-rest-api-keys"));
    let main = std::fs::read_to_string(w.path().join("main.tf")).expect("main.tf");
    assert!(!main.contains("triggers =") && !main.contains("depends_on ="));
    run(&moto, &w, &["apply", "-auto-approve"]).ok();
    let (first, stage) = deployments(&moto);
    assert_eq!(first, std::slice::from_ref(&stage));

    w.edit(
        "main.tf",
        "toset([\"GET\", \"POST\"])",
        "toset([\"GET\", \"POST\", \"DELETE\"])",
    );
    let plan = run(&moto, &w, &["plan"]).ok().stdout;
    assert!(
        plan.contains(
            "aws_api_gateway_deployment.items must be replaced (the new object is created first)"
        ) && plan.contains("snapshot of its API: aws_api_gateway_method.items[\"DELETE\"] changes"),
        "{plan}"
    );
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).ok().stdout;
    // The new deployment waits for the new integration; the stage switches before the old
    // deployment goes (AWS refuses to delete a deployment a stage serves).
    let at = |line: &str| {
        apply
            .find(line)
            .unwrap_or_else(|| panic!("{line}\n{apply}"))
    };
    assert!(
        at("aws_api_gateway_integration.items[\"DELETE\"]: Creation complete")
            < at("aws_api_gateway_deployment.items: Creating...")
    );
    assert!(
        at("aws_api_gateway_stage.prod: Modifications complete")
            < at("aws_api_gateway_deployment.items (deposed): Destroying...")
    );
    let (now, stage_now) = deployments(&moto);
    assert_eq!(
        now,
        std::slice::from_ref(&stage_now),
        "one deployment left, the one the stage serves"
    );
    assert_ne!(stage_now, stage, "a new deployment");
    plan_is_clean(&moto, &w);
}

#[test]
fn a_terraform_style_rest_folder_applies_unchanged() {
    let moto = Moto::start();
    let w = Work::copy_of(&root().join("tests/real_world_aws/rest-api-terraform-style"));
    run(&moto, &w, &["validate"]).ok();
    let apply = run(&moto, &w, &["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Resources: 17 added"),
        "{}",
        apply.stdout
    );
    plan_is_clean(&moto, &w);
    let base = run(&moto, &w, &["output", "-raw", "base_url"]).ok().stdout;
    assert!(
        base.ends_with(".execute-api.us-east-1.amazonaws.com/v1"),
        "{base}"
    );
    assert_eq!(
        run(&moto, &w, &["output", "-raw", "account"]).ok().stdout,
        "123456789012"
    );
    run(&moto, &w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&moto, &w, &["state", "list"]).ok().stdout, "");
    assert_eq!(python_list(&moto), "apis=0 functions=0 roles=0");
}

/// Every AWS object the HTTP API example makes, counted through boto3.
fn http_objects(moto: &Moto) -> String {
    python(
        moto,
        "kw = dict(region_name='us-east-1')\n\
         v2 = boto3.client('apigatewayv2', **kw)\n\
         apis = v2.get_apis()['Items']\n\
         routes = sum(len(v2.get_routes(ApiId=a['ApiId'])['Items']) for a in apis)\n\
         ints = sum(len(v2.get_integrations(ApiId=a['ApiId'])['Items']) for a in apis)\n\
         stages = sum(len(v2.get_stages(ApiId=a['ApiId'])['Items']) for a in apis)\n\
         fns = boto3.client('lambda', **kw).list_functions()['Functions']\n\
         iam = boto3.client('iam', **kw)\n\
         roles = [r for r in iam.list_roles()['Roles'] if r['Path'] == '/']\n\
         att = sum(len(iam.list_attached_role_policies(RoleName=r['RoleName'])['AttachedPolicies']) for r in roles)\n\
         print(f'apis={len(apis)} routes={routes} integrations={ints} stages={stages} functions={len(fns)} roles={len(roles)} attachments={att}', end='')\n",
    )
}

/// keyway killed (SIGKILL) right after moto answered its Nth request of a first apply, for
/// every N: the next apply converges, re-plans clean, and AWS holds exactly one of each
/// object — none lost, none twice. Authorizers are not counted: moto 5.2.5 cannot list them
/// (GetAuthorizers answers 500), so an authorizer whose create answer was lost is found only
/// on AWS (or keyway's emulator). Ignored in the suite; CI runs it with the kill harness
/// (`cargo test --test suite kill_points -- --ignored`).
#[test]
#[ignore]
fn kill_points_of_an_aws_apply_converge_on_moto() {
    let moto = Moto::start();
    let whole = "apis=1 routes=2 integrations=1 stages=1 functions=1 roles=1 attachments=1";
    let mut orphans = 0;
    for n in 1..=12 {
        moto.reset();
        let w = Work::copy_of(&root().join("examples/aws-http-api"));
        let start = moto.requests();
        let mut c = w.command(&["apply", "-auto-approve"]);
        moto.env(&mut c);
        let mut child = c
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start keyway");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while moto.requests() < start + n && std::time::Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _ = child.kill();
        let _ = child.wait();
        let again = run(&moto, &w, &["apply", "-auto-approve"]);
        assert_eq!(
            again.code, 0,
            "round {n}: {}\n{}",
            again.stdout, again.stderr
        );
        plan_is_clean(&moto, &w);
        let held = http_objects(&moto);
        if held != whole {
            orphans += 1;
        }
        println!("kill after request {n}: {held}");
    }
    assert_eq!(orphans, 0, "rounds whose objects were lost or made twice");
}
