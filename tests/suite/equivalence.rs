//! Equivalence with Terraform: each folder under `tests/equivalence/` runs through keyway and
//! Terraform (when `terraform` is on PATH); the `output -json` values and, for folders with a
//! `change.tfvars`, the set of planned actions after changing variables must match.
//!
//! Terraform's results are also committed beside each folder (`expected_outputs.json`,
//! `expected_actions.json`), so the comparison still runs where Terraform is missing, and a
//! run with Terraform checks that those files are current.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::{root, Work};
use serde_json::Value as J;

pub(crate) fn terraform(dir: &Path, args: &[&str]) -> Option<String> {
    let rc = dir.join(".terraformrc");
    std::fs::write(&rc, "disable_checkpoint = true\n").ok()?;
    let out = Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "terraform {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn output_values(json: &str) -> BTreeMap<String, J> {
    let v: BTreeMap<String, J> = serde_json::from_str(json).expect("output -json");
    v.into_iter()
        .map(|(k, o)| (k, o["value"].clone()))
        .collect()
}

fn actions(plan_json: &str) -> BTreeMap<String, J> {
    let v: J = serde_json::from_str(plan_json).expect("plan json");
    v["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["change"]["actions"] != serde_json::json!(["no-op"]))
        .map(|c| {
            (
                c["address"].as_str().unwrap_or_default().to_owned(),
                c["change"]["actions"].clone(),
            )
        })
        .collect()
}

/// Output values, and planned actions after `change.tfvars` when the folder has one.
type Results = (BTreeMap<String, J>, Option<BTreeMap<String, J>>);

fn keyway_results(dir: &Path) -> Results {
    let w = Work::copy_of(dir);
    w.run(&["apply", "-auto-approve"]).ok();
    let outputs = output_values(&w.run(&["output", "-json"]).ok().stdout);
    let acts = dir.join("change.tfvars").is_file().then(|| {
        w.run(&["plan", "-var-file=change.tfvars", "-out=changed.plan"])
            .ok();
        actions(&w.run(&["show", "-json", "changed.plan"]).ok().stdout)
    });
    (outputs, acts)
}

fn terraform_results(dir: &Path) -> Option<Results> {
    let w = Work::copy_of(dir);
    terraform(w.path(), &["init", "-input=false", "-no-color"])?;
    terraform(
        w.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    )?;
    let outputs = output_values(&terraform(w.path(), &["output", "-json"])?);
    let acts = if dir.join("change.tfvars").is_file() {
        terraform(
            w.path(),
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-var-file=change.tfvars",
                "-out=tfplan",
            ],
        )?;
        Some(actions(&terraform(w.path(), &["show", "-json", "tfplan"])?))
    } else {
        None
    };
    Some((outputs, acts))
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(p: &Path) -> Option<T> {
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

#[test]
fn keyway_matches_terraform_on_every_equivalence_folder() {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("tests/equivalence"))
        .expect("folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    let have_terraform = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (outputs, acts) = keyway_results(&dir);
        let expected_outputs: Option<BTreeMap<String, J>> =
            read_json(&dir.join("expected_outputs.json"));
        let expected_actions: Option<BTreeMap<String, J>> =
            read_json(&dir.join("expected_actions.json"));
        if have_terraform {
            let (tf_outputs, tf_acts) = terraform_results(&dir).expect("terraform ran");
            if std::env::var_os("KEYWAY_BLESS").is_some() {
                std::fs::write(
                    dir.join("expected_outputs.json"),
                    serde_json::to_string_pretty(&tf_outputs).expect("json") + "\n",
                )
                .expect("write");
                if let Some(a) = &tf_acts {
                    std::fs::write(
                        dir.join("expected_actions.json"),
                        serde_json::to_string_pretty(a).expect("json") + "\n",
                    )
                    .expect("write");
                }
            } else {
                assert_eq!(
                    expected_outputs.as_ref(),
                    Some(&tf_outputs),
                    "{name}: expected_outputs.json is stale; rerun with KEYWAY_BLESS=1"
                );
                assert_eq!(
                    expected_actions, tf_acts,
                    "{name}: expected_actions.json is stale; rerun with KEYWAY_BLESS=1"
                );
            }
            for (k, v) in &tf_outputs {
                assert_eq!(
                    outputs.get(k),
                    Some(v),
                    "{name}: output `{k}` differs from Terraform's"
                );
            }
            assert_eq!(
                outputs.len(),
                tf_outputs.len(),
                "{name}: output sets differ"
            );
            assert_eq!(
                acts, tf_acts,
                "{name}: planned actions differ from Terraform's"
            );
        } else {
            let expected = expected_outputs
                .unwrap_or_else(|| panic!("{name}: no expected_outputs.json and no terraform"));
            assert_eq!(
                outputs, expected,
                "{name}: outputs differ from Terraform's recorded results"
            );
            assert_eq!(
                acts, expected_actions,
                "{name}: actions differ from Terraform's recorded results"
            );
        }
    }
}

/// What a run says about checks: the `checks` JSON and the warnings' headline lines.
type CheckRun = (J, Vec<String>);

fn headlines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("Warning:") || l.starts_with("  on "))
        .map(str::to_owned)
        .collect()
}

fn checks_of(show_json: &str) -> J {
    let v: J = serde_json::from_str(show_json).expect("show -json");
    v["checks"].clone()
}

/// Plan (saved, then shown) and apply, as keyway sees them.
fn keyway_checks(dir: &Path) -> (CheckRun, CheckRun) {
    let w = Work::copy_of(dir);
    let plan = w.run(&["plan", "-out=p.json"]).ok().stdout;
    let planned = checks_of(&w.run(&["show", "-json", "p.json"]).ok().stdout);
    let apply = w.run(&["apply", "-auto-approve"]).ok().stdout;
    let applied = checks_of(&w.run(&["show", "-json"]).ok().stdout);
    ((planned, headlines(&plan)), (applied, headlines(&apply)))
}

fn terraform_checks(dir: &Path) -> Option<(CheckRun, CheckRun)> {
    let w = Work::copy_of(dir);
    terraform(w.path(), &["init", "-input=false", "-no-color"])?;
    let plan = terraform(
        w.path(),
        &["plan", "-input=false", "-no-color", "-out=tfplan"],
    )?;
    let planned = checks_of(&terraform(w.path(), &["show", "-json", "tfplan"])?);
    let apply = terraform(
        w.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    )?;
    let applied = checks_of(&terraform(w.path(), &["show", "-json"])?);
    Some(((planned, headlines(&plan)), (applied, headlines(&apply))))
}

/// `check` blocks (pass, fail, known after apply, a message withheld for a secret) give the
/// same `checks` JSON and the same warnings as Terraform, at plan time and after apply.
#[test]
fn checks_match_terraform() {
    let dir = root().join("tests/fixtures/checks");
    let expected_path = dir.join("expected_terraform.json");
    let have_terraform = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let expected: (CheckRun, CheckRun) = if have_terraform {
        let tf = terraform_checks(&dir).expect("terraform ran");
        if std::env::var_os("KEYWAY_BLESS").is_some() {
            std::fs::write(
                &expected_path,
                serde_json::to_string_pretty(&tf).expect("json") + "\n",
            )
            .expect("write");
        } else {
            assert_eq!(
                read_json::<(CheckRun, CheckRun)>(&expected_path).as_ref(),
                Some(&tf),
                "expected_terraform.json is stale; rerun with KEYWAY_BLESS=1"
            );
        }
        tf
    } else {
        read_json(&expected_path).expect("expected_terraform.json")
    };
    let ours = keyway_checks(&dir);
    assert_eq!(
        ours.0, expected.0,
        "checks at plan time differ from Terraform's"
    );
    assert_eq!(
        ours.1, expected.1,
        "checks after apply differ from Terraform's"
    );
}

/// Terraform's run expected to fail: its stderr.
fn terraform_failing(dir: &Path, args: &[&str]) -> String {
    let rc = dir.join(".terraformrc");
    std::fs::write(&rc, "disable_checkpoint = true\n").expect("terraformrc");
    let out = Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .expect("terraform");
    assert_eq!(out.status.code(), Some(1), "terraform {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Each `Error:` block of a run's stderr (headline, location, source line, values, message),
/// without the lines a tool adds around them.
fn error_blocks(text: &str) -> Vec<String> {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("Error:") {
            blocks.push(Vec::new());
        } else if line.starts_with("  x ") || line.starts_with("Planning failed") {
            break;
        }
        if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    blocks
        .into_iter()
        .map(|b| b.join("\n").trim_end().to_owned())
        .collect()
}

/// The failing runs of the conditions fixture: plan (preconditions, one with `count.index`, one
/// of an output), apply (a postcondition on the object made), plan again (the same
/// postcondition, judged on the object kept).
fn conditions_runs(run: &dyn Fn(&[&str]) -> String) -> Vec<Vec<String>> {
    vec![
        error_blocks(&run(&["plan", "-no-color"])),
        error_blocks(&run(&["apply", "-auto-approve", "-no-color", "-var=n=1"])),
        error_blocks(&run(&["plan", "-no-color", "-var=n=1"])),
    ]
}

/// Failed `precondition`/`postcondition` blocks fail the same runs as in Terraform, with the
/// same diagnostics (headline, location, values, message).
#[test]
fn conditions_match_terraform() {
    let dir = root().join("tests/fixtures/conditions");
    let expected_path = dir.join("expected_terraform.json");
    let have_terraform = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let expected: Vec<Vec<String>> = if have_terraform {
        let w = Work::copy_of(&dir);
        terraform(w.path(), &["init", "-input=false", "-no-color"]).expect("init");
        let tf = conditions_runs(&|args| {
            let args: Vec<&str> = args.iter().copied().chain(["-input=false"]).collect();
            terraform_failing(w.path(), &args)
        });
        if std::env::var_os("KEYWAY_BLESS").is_some() {
            let text = serde_json::to_string_pretty(&tf).expect("json") + "\n";
            std::fs::write(&expected_path, text).expect("write");
        } else {
            assert_eq!(
                read_json::<Vec<Vec<String>>>(&expected_path).as_ref(),
                Some(&tf),
                "expected_terraform.json is stale; rerun with KEYWAY_BLESS=1"
            );
        }
        tf
    } else {
        read_json(&expected_path).expect("expected_terraform.json")
    };
    let w = Work::copy_of(&dir);
    let ours = conditions_runs(&|args| w.run(args).code(1).stderr);
    assert_eq!(ours, expected, "condition failures differ from Terraform's");
}
