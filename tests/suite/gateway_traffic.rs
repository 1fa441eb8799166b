//! The tutorial's last step through keyway itself: `examples/api-gateway-keys` applied on the
//! embedded emulator, whose gateway serves HTTP, with the example's `check` blocks calling it.
//! The happy path passes every check; each mistake the tutorial warns about (no `run.invoker`
//! grant, no managed-service enablement, a key restricted to another service) turns into a
//! failed check naming the gateway's answer, while the apply itself succeeds.

use crate::support::{root, Run, Work};

fn example() -> Work {
    Work::copy_of(&root().join("examples/api-gateway-keys"))
}

fn apply(w: &Work) -> Run {
    w.run(&["--emulator", "apply", "-auto-approve"]).ok()
}

/// Everything a run printed (warnings go to stdout, as Terraform's do).
fn said(run: &Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

fn assert_checks(run: &Run, get: &str, post: &str, anonymous: &str) {
    let all = said(run);
    for (name, want) in [
        ("get_with_key", get),
        ("post_with_key", post),
        ("refused_without_key", anonymous),
    ] {
        assert!(
            all.contains(&format!("Check \"{name}\": {want}")),
            "check {name} should have {want}:\n{all}"
        );
    }
}

#[test]
fn the_tutorials_calls_pass_after_apply_and_on_the_next_plan() {
    let w = example();
    let first = apply(&w);
    assert_checks(&first, "passed", "passed", "passed");
    let key = w.run(&["output", "-raw", "api_key"]).ok().stdout;
    assert!(key.starts_with("AIza"), "{key}");
    assert!(
        !first.stdout.contains(&key) && !first.stderr.contains(&key),
        "the key reached the terminal"
    );

    // With everything known, the plan runs the checks too: no warnings, no changes.
    let plan = w.run(&["--emulator", "plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    let said = format!("{}{}", plan.stdout, plan.stderr);
    assert!(!said.contains("Warning"), "{said}");
    w.run(&["--emulator", "plan", "-out=checked.plan"]).ok();
    let json = w
        .run(&["--emulator", "show", "-json", "checked.plan"])
        .ok()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(&json).expect("plan json");
    let statuses: Vec<&str> = v["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert_eq!(statuses, ["pass", "pass", "pass"], "{json}");
    assert!(!json.contains(&key), "the key reached the plan's JSON");

    w.run(&["--emulator", "destroy", "-auto-approve"]).ok();
    assert_eq!(w.run(&["state", "list"]).ok().stdout, "");
}

#[test]
fn without_the_invoker_grant_the_backend_answers_403() {
    let w = example();
    apply(&w);
    w.remove_block(
        "main.tf",
        "resource \"google_cloud_run_v2_service_iam_member\" \"gateway_invoker\"",
    );
    let run = apply(&w);
    assert!(
        run.stdout.contains("0 added, 0 changed, 1 destroyed"),
        "{}",
        run.stdout
    );
    assert_checks(&run, "failed", "failed", "passed");
    assert!(
        said(&run).contains("GET /hello with the key answered 403; expected 200"),
        "{}",
        said(&run)
    );
}

#[test]
fn without_the_managed_service_every_key_is_refused_with_403() {
    let w = example();
    w.remove_block("main.tf", "resource \"google_project_service\" \"managed\"");
    w.edit(
        "main.tf",
        "depends_on = [google_project_service.managed]",
        "",
    );
    let validate = w.run(&["validate"]).ok();
    assert!(
        said(&validate)
            .contains("The managed service of `google_api_gateway_api.api` is never enabled"),
        "validate explains the missing step:\n{}",
        said(&validate)
    );
    let run = apply(&w);
    assert_checks(&run, "failed", "failed", "passed");
    assert!(
        said(&run).contains("POST /hello with the key answered 403; expected 200"),
        "{}",
        said(&run)
    );
}

#[test]
fn a_key_restricted_to_another_service_is_refused_with_403() {
    let w = example();
    apply(&w);
    w.edit(
        "main.tf",
        "    api_targets {\n      service = google_api_gateway_api.api.managed_service\n    }",
        "    api_targets {\n      service = \"translate.googleapis.com\"\n    }",
    );
    let run = apply(&w);
    assert!(
        run.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "the key is updated in place:\n{}",
        run.stdout
    );
    assert_checks(&run, "failed", "failed", "passed");
    assert!(
        said(&run).contains("GET /hello with the key answered 403; expected 200"),
        "{}",
        said(&run)
    );
}
