//! Switching a stack from Terraform: a folder Terraform applied (`tests/fixtures/adopt`, run
//! through Terraform itself when it is on PATH, else its recorded `terraform.tfstate`) is
//! refused by `plan` until `keyway init` adopts the state; after that the plan of the unchanged
//! folder is empty, and a change applies in place. Google objects are adopted the same way from
//! a Terraform-shaped state of objects on the emulator.

use std::process::Command;

use crate::support::{root, Run, Work};
use keyway::emulator::{Emulator, Options};

/// Applies the fixture with Terraform; false when Terraform is not installed.
fn terraform_apply(w: &Work) -> bool {
    let rc = w.path().join(".terraformrc");
    std::fs::write(&rc, "disable_checkpoint = true\n").expect("write rc");
    let run = |args: &[&str]| {
        Command::new("terraform")
            .args(args)
            .current_dir(w.path())
            .env("TF_CLI_CONFIG_FILE", &rc)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .output()
    };
    let Ok(out) = run(&["init", "-input=false", "-no-color"]) else {
        return false;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["apply", "-auto-approve", "-input=false", "-no-color"]).expect("terraform");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

#[test]
fn a_stack_terraform_applied_is_adopted_and_plans_clean() {
    let w = Work::copy_of(&root().join("tests/fixtures/adopt"));
    if !terraform_apply(&w) {
        eprintln!("terraform is not installed: using the state it recorded");
        std::fs::rename(
            w.path().join("terraform.tfstate.recorded"),
            w.path().join("terraform.tfstate"),
        )
        .expect("recorded state");
    }
    let refused = w.run(&["plan"]).code(1);
    assert!(
        refused
            .stderr
            .contains("has Terraform's state (terraform.tfstate, 5 managed resources)"),
        "{}",
        refused.stderr
    );
    // Without a terminal and without -force-copy, nothing is taken over.
    let asked = w.run(&["init"]).code(1);
    assert!(asked.stderr.contains("without a yes"), "{}", asked.stderr);
    assert!(!w.state_path().exists());

    let init = w.run(&["init", "-force-copy"]).ok().stdout;
    assert!(
        init.contains("keyway can take over these 5 objects:"),
        "{init}"
    );
    assert!(init.contains("  terraform_data.many[\"a\"]"), "{init}");
    let plan = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let tf: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.path().join("terraform.tfstate")).expect("tfstate"),
    )
    .expect("json");
    assert_eq!(
        w.state_json()["lineage"],
        tf["lineage"],
        "the lineage is kept"
    );

    w.edit("main.tf", "input = \"hello\"", "input = \"hi\"");
    let plan = w.run(&["plan"]).ok().stdout;
    assert!(
        plan.contains("terraform_data.one will be updated in-place"),
        "{plan}"
    );
    w.run(&["apply", "-auto-approve"]).ok();
    w.run(&["plan", "-detailed-exitcode"]).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn google_objects_in_a_terraform_state_are_adopted_without_changes() {
    let emu = Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(5),
    })
    .await
    .expect("emulator");
    let base = emu.base_url();
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    run(&["apply", "-auto-approve"]).ok();
    // The state as Terraform's google provider writes it: version 4, instances grouped by
    // resource, attributes keyway does not model, sensitive attributes as path steps.
    let ours = w.state_json();
    std::fs::write(w.path().join("terraform.tfstate"), to_terraform(&ours)).expect("write");
    std::fs::remove_file(w.state_path()).expect("rm state");
    let init = run(&["init", "-force-copy"]).ok().stdout;
    assert!(
        init.contains("keyway can take over these 14 objects:"),
        "{init}"
    );
    let plan = run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    run(&["destroy", "-auto-approve"]).ok();
    emu.shutdown().await;
}

/// keyway's state in Terraform's format, with what Terraform's provider adds.
fn to_terraform(state: &serde_json::Value) -> String {
    use serde_json::{json, Value as J};
    let mut groups: std::collections::BTreeMap<(String, String), Vec<J>> = Default::default();
    for r in state["resources"].as_array().expect("resources") {
        let addr = r["address"].as_str().expect("address");
        let (block, key) = match addr.find('[') {
            Some(i) => (&addr[..i], Some(&addr[i + 1..addr.len() - 1])),
            None => (addr, None),
        };
        let (ty, name) = block.split_once('.').expect("type.name");
        let mut attrs = r["attributes"].clone();
        attrs["timeouts"] = J::Null;
        attrs["terraform_labels"] = json!({});
        let sensitive: Vec<J> = r["sensitive_paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
            .map(|p| json!([{"type": "get_attr", "value": p.trim_start_matches('/')}]))
            .collect();
        let index_key = key.map(|k| serde_json::from_str::<J>(k).expect("key"));
        let mut inst = json!({
            "schema_version": 0,
            "attributes": attrs,
            "sensitive_attributes": sensitive,
            "dependencies": r["dependencies"],
        });
        if let Some(k) = index_key {
            inst["index_key"] = k;
        }
        groups
            .entry((ty.into(), name.into()))
            .or_default()
            .push(inst);
    }
    let resources: Vec<J> = groups
        .into_iter()
        .map(|((ty, name), instances)| {
            json!({"mode": "managed", "type": ty, "name": name,
                   "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
                   "instances": instances})
        })
        .collect();
    let outputs: serde_json::Map<String, J> = state["outputs"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, o)| {
            let out = json!({"value": o["value"], "type": "string", "sensitive": o["sensitive"]});
            (k.clone(), out)
        })
        .collect();
    json!({"version": 4, "terraform_version": "1.11.4", "serial": 3,
           "lineage": state["lineage"], "outputs": outputs, "resources": resources})
    .to_string()
}

/// Resources Terraform put inside modules (nested, `count` and `for_each` calls) are adopted
/// at the same addresses, and the next plan is clean. Where Terraform is missing, the state
/// it wrote for this folder (recorded in `tests/fixtures/adopt-modules`) stands in.
#[test]
fn module_resources_terraform_applied_are_adopted_and_plan_clean() {
    let w = Work::copy_of(&root().join("tests/equivalence/modules"));
    for f in [
        "expected_outputs.json",
        "expected_actions.json",
        "change.tfvars",
    ] {
        let _ = std::fs::remove_file(w.path().join(f));
    }
    if !terraform_apply(&w) {
        eprintln!("terraform is not installed: using the state it recorded");
        std::fs::copy(
            root().join("tests/fixtures/adopt-modules/terraform.tfstate.recorded"),
            w.path().join("terraform.tfstate"),
        )
        .expect("recorded state");
    }
    let init = w.run(&["init", "-force-copy"]).ok().stdout;
    assert!(
        init.contains("module.keys[\"acme\"].module.leaf.terraform_data.leaf"),
        "{init}"
    );
    let plan = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let list = w.run(&["state", "list"]).ok().stdout;
    assert_eq!(list.lines().count(), 11, "{list}");
}
