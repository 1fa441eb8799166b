//! Every `terraform_data` example runs plan → apply → plan (no changes) → destroy → plan
//! (nothing) through the real binary.

use crate::support::{root, Work};

fn builtin_examples() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter(|p| {
            // Examples for cloud providers run in their own end-to-end tests on the emulator.
            std::fs::read_dir(p)
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok())
                .all(|e| {
                    std::fs::read_to_string(e.path())
                        .map(|t| {
                            !t.contains("resource \"google_") && !t.contains("resource \"aws_")
                        })
                        .unwrap_or(true)
                })
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_builtin_example_converges_and_destroys() {
    let examples = builtin_examples();
    assert!(!examples.is_empty(), "no terraform_data examples found");
    for ex in examples {
        let w = Work::copy_of(&ex);
        let plan = w.run(&["plan", "-detailed-exitcode"]).code(2);
        assert!(
            plan.stdout.contains("to add"),
            "{}: {}",
            ex.display(),
            plan.stdout
        );
        w.run(&["apply", "-auto-approve"]).ok();
        let again = w.run(&["plan", "-detailed-exitcode"]).code(0);
        assert!(
            again.stdout.contains("No changes."),
            "{}: {}",
            ex.display(),
            again.stdout
        );
        w.run(&["destroy", "-auto-approve"]).ok();
        let after = w.run(&["plan", "-destroy", "-detailed-exitcode"]).code(0);
        assert!(after.stdout.contains("No changes."), "{}", after.stdout);
        assert_eq!(w.run(&["state", "list"]).ok().stdout, "");
    }
}

#[test]
fn basics_example_replaces_on_trigger_and_scales_count() {
    let w = Work::copy_of(&root().join("examples/terraform-data-basics"));
    w.run(&["apply", "-auto-approve"]).ok();
    let out = w.run(&["output", "-json", "replica_names"]).ok();
    assert_eq!(
        out.stdout.trim(),
        r#"["dev-app-00@dev-app-net","dev-app-01@dev-app-net","dev-app-02@dev-app-net"]"#
    );
    let plan = w
        .run(&["plan", "-var", "release=v2", "-var", "replicas=2"])
        .ok();
    assert!(
        plan.stdout
            .contains("# terraform_data.release must be replaced"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("# forces replacement"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("# terraform_data.replica[2] will be destroyed"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 2 to destroy."),
        "{}",
        plan.stdout
    );
    w.run(&[
        "apply",
        "-auto-approve",
        "-var",
        "release=v2",
        "-var",
        "replicas=2",
    ])
    .ok();
    assert_eq!(
        w.run(&["output", "-raw", "release"]).ok().stdout,
        "release v2"
    );
}

#[test]
fn validation_block_rejects_bad_variable() {
    let w = Work::copy_of(&root().join("examples/terraform-data-basics"));
    let r = w.run(&["plan", "-var", "environment=qa"]).code(1);
    assert!(
        r.stderr
            .contains("The environment must be dev, staging or prod."),
        "{}",
        r.stderr
    );
}
