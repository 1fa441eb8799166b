//! A Lambda function's nested configuration (`tracing_config`, `ephemeral_storage`,
//! `logging_config`, `vpc_config`, `timeouts`), `tests/fixtures/aws-lambda-config`: applied,
//! re-planned clean and destroyed on moto, and on the emulator, where changes are checked too.
//! moto 5.2.5 does not keep `LoggingConfig`, and its UpdateFunctionConfiguration ignores
//! `TracingConfig` and `EphemeralStorage` (the change plans right, but moto keeps the old
//! values): the block is left out on moto, and changes are checked on the emulator.

use crate::aws_moto::{plan_is_clean, run};
use crate::support::moto::Moto;
use crate::support::{root, Work};

const LOGGING: &str = "  logging_config {\n    log_format            = \"JSON\"\n    application_log_level = \"INFO\"\n    system_log_level      = \"WARN\"\n  }\n";

fn folder() -> Work {
    Work::copy_of(&root().join("tests/fixtures/aws-lambda-config"))
}

#[test]
fn nested_function_configuration_applies_and_changes_on_moto() {
    let moto = Moto::start();
    let w = folder();
    w.edit("main.tf", LOGGING, "");
    run(&moto, &w, &["apply", "-auto-approve"]).ok();
    plan_is_clean(&moto, &w);
    w.edit("main.tf", "size = 1024", "size = 2048");
    w.edit("main.tf", "mode = \"Active\"", "mode = \"PassThrough\"");
    let plan = run(&moto, &w, &["plan"]).ok();
    assert!(
        plan.stdout.contains("~ size = 1024 -> 2048")
            && plan
                .stdout
                .contains("~ mode = \"Active\" -> \"PassThrough\""),
        "{}",
        plan.stdout
    );
    run(&moto, &w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&moto, &w, &["state", "list"]).ok().stdout, "");
}

#[test]
fn nested_function_configuration_round_trips_on_the_emulator() {
    let w = folder();
    w.run(&["--emulator", "apply", "-auto-approve"]).ok();
    let plan = w.run(&["--emulator", "plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let state = w.state_json();
    let f = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == "aws_lambda_function.fn")
        .expect("function in state");
    let a = &f["attributes"];
    assert_eq!(a["logging_config"][0]["log_group"], "/aws/lambda/traced");
    assert_eq!(
        a["vpc_config"][0]["subnet_ids"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(a["vpc_config"][0]["vpc_id"]
        .as_str()
        .is_some_and(|v| v.starts_with("vpc-")));
    // Changed in place, and read back as changed.
    w.edit("main.tf", "size = 1024", "size = 2048");
    w.edit("main.tf", "mode = \"Active\"", "mode = \"PassThrough\"");
    let apply = w.run(&["--emulator", "apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("0 added, 1 changed"),
        "{}",
        apply.stdout
    );
    let plan = w.run(&["--emulator", "plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    // Log levels need the JSON format: the emulator refuses them with Text, as Lambda does.
    w.edit(
        "main.tf",
        "log_format            = \"JSON\"",
        "log_format            = \"Text\"",
    );
    let apply = w.run(&["--emulator", "apply", "-auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert!(
        apply.stderr.contains("only when LogFormat is JSON"),
        "{}",
        apply.stderr
    );
    w.run(&["--emulator", "destroy", "-auto-approve"]).ok();
}
