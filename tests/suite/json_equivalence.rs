//! keyway's `show -json` (plan and state) and `plan -json` (the streamed UI) against
//! Terraform's, field by field, for every folder under `tests/equivalence/` whose name starts
//! with `json_`. Each folder is run the same way by both tools:
//!
//! 1. `plan -out` on an empty state, then `show -json` of that plan;
//! 2. `apply`, then `show -json` of the state;
//! 3. `plan -var-file=change.tfvars -out`, then `show -json` of that plan;
//! 4. `plan -json -var-file=change.tfvars` (one object per line).
//!
//! Terraform's four results are committed beside the folder (`expected_show_json.json`,
//! normalized) so the comparison runs where Terraform is missing; where it is installed,
//! it is run again and must still give the committed file (`KEYWAY_BLESS=1` rewrites it).
//!
//! Normalized on both sides, as volatile: `timestamp`, `terraform_version`, `@timestamp`,
//! the version line's `@message` and `terraform`, every UUID (`terraform_data` ids) as
//! `<uuid>`; the order of `relevant_attributes` and of the streamed lines (Terraform emits
//! them as its walk finishes them; keyway sorted). Also dropped: `snippet.values` of streamed
//! diagnostics (Terraform lists the values of the references in the snippet; keyway does not).
//!
//! The only differences allowed after that are keyway's stricter rule on secrets, applied to
//! Terraform's document before the equality check:
//! - wherever keyway's `sensitive_values`/`before_sensitive`/`after_sensitive` says `true`,
//!   keyway may mark more than Terraform (a `terraform_data` output copying a secret input),
//!   never less, and the value there is `null` instead of the secret;
//! - a sensitive output's value, a sensitive variable's `value`, and a sensitive variable's
//!   `default` in `configuration` are `null` / left out;
//! - where Terraform writes `{}` or `[]` in a `*_sensitive` object for a value that is not
//!   known yet (the type of an unknown collection), keyway, which does not type unknown
//!   values, writes nothing.
//!
//! Everything else must be equal: addresses, modes, types, names, indices, provider names,
//! actions, action reasons, replace paths, before/after values, `after_unknown` shapes,
//! prior state (with Terraform's transitive `depends_on`), configuration expressions
//! (`constant_value`, `references`), variables, outputs and their types, checks, `applyable`,
//! `complete`, `errored`.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Map, Value as J};

use crate::equivalence::{read_json, terraform};
use crate::support::{root, Work};

fn parse(text: &str) -> J {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn lines(text: &str) -> J {
    J::Array(text.lines().filter(|l| !l.is_empty()).map(parse).collect())
}

fn keyway_run(dir: &Path) -> J {
    let w = Work::copy_of(dir);
    w.run(&["plan", "-out=p1"]).ok();
    let plan_create = parse(&w.run(&["show", "-json", "p1"]).ok().stdout);
    w.run(&["apply", "-auto-approve"]).ok();
    let state = parse(&w.run(&["show", "-json"]).ok().stdout);
    w.run(&["plan", "-var-file=change.tfvars", "-out=p2"]).ok();
    let plan_change = parse(&w.run(&["show", "-json", "p2"]).ok().stdout);
    let stream = lines(
        &w.run(&["plan", "-json", "-var-file=change.tfvars"])
            .ok()
            .stdout,
    );
    json!({ "plan_create": plan_create, "state": state, "plan_change": plan_change, "stream": stream })
}

fn terraform_run(dir: &Path) -> Option<J> {
    let w = Work::copy_of(dir);
    let p = w.path();
    terraform(p, &["init", "-input=false", "-no-color"])?;
    terraform(p, &["plan", "-input=false", "-no-color", "-out=p1"])?;
    let plan_create = parse(&terraform(p, &["show", "-json", "p1"])?);
    terraform(p, &["apply", "-auto-approve", "-input=false", "-no-color"])?;
    let state = parse(&terraform(p, &["show", "-json"])?);
    terraform(
        p,
        &[
            "plan",
            "-input=false",
            "-no-color",
            "-var-file=change.tfvars",
            "-out=p2",
        ],
    )?;
    let plan_change = parse(&terraform(p, &["show", "-json", "p2"])?);
    let stream = lines(&terraform(
        p,
        &["plan", "-json", "-input=false", "-var-file=change.tfvars"],
    )?);
    Some(
        json!({ "plan_create": plan_create, "state": state, "plan_change": plan_change, "stream": stream }),
    )
}

/// Volatile fields out, UUIDs replaced, unordered lists sorted.
fn normalize(v: &mut J) {
    let uuid = regex::Regex::new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("regex");
    fn walk(v: &mut J, uuid: &regex::Regex) {
        match v {
            J::String(s) => *s = uuid.replace_all(s, "<uuid>").into_owned(),
            J::Array(items) => items.iter_mut().for_each(|x| walk(x, uuid)),
            J::Object(m) => {
                for k in ["timestamp", "terraform_version", "@timestamp"] {
                    m.remove(k);
                }
                if m.get("type") == Some(&json!("version")) {
                    m.remove("terraform");
                    m.remove("@message");
                }
                if let Some(J::Object(snippet)) = m.get_mut("snippet") {
                    snippet.remove("values");
                }
                if let Some(J::Array(r)) = m.get_mut("relevant_attributes") {
                    r.sort_by_key(J::to_string);
                }
                m.values_mut().for_each(|x| walk(x, uuid));
            }
            _ => {}
        }
    }
    walk(v, &uuid);
    if let Some(J::Array(stream)) = v.get_mut("stream") {
        stream.sort_by_key(J::to_string);
    }
}

/// A `*_sensitive` entry Terraform writes for the type of a value not known yet: empty
/// objects (possibly nested) or an empty array.
fn empty_shape(v: &J) -> bool {
    match v {
        J::Object(m) => m.values().all(empty_shape),
        J::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// keyway's sensitivity marks against Terraform's: at least as much marked, or Terraform's
/// empty shape of an unknown value where keyway has nothing.
fn sensitive_ok(tf: &J, kw: Option<&J>) -> bool {
    match (tf, kw) {
        (_, Some(J::Bool(true))) => true,
        (t, None) => empty_shape(t) || *t == J::Bool(false),
        (J::Object(a), Some(J::Object(b))) => {
            b.iter()
                .all(|(k, x)| a.contains_key(k) || *x == J::Bool(true))
                && a.iter().all(|(k, x)| sensitive_ok(x, b.get(k)))
        }
        (J::Array(a), Some(J::Array(b))) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| sensitive_ok(x, Some(y)))
        }
        (t, Some(k)) => t == k,
    }
}

/// Sets the parts of `value` that `marks` says are sensitive to `null`.
fn null_marked(value: &mut J, marks: &J) {
    match (value, marks) {
        (v, J::Bool(true)) => *v = J::Null,
        (J::Object(v), J::Object(m)) => {
            for (k, mark) in m {
                if let Some(x) = v.get_mut(k) {
                    null_marked(x, mark);
                }
            }
        }
        (J::Array(v), J::Array(m)) => {
            for (x, mark) in v.iter_mut().zip(m) {
                null_marked(x, mark);
            }
        }
        _ => {}
    }
}

/// Applies keyway's rule on secrets to Terraform's document (see the module doc); a marking
/// that keyway lacks is a failure.
fn apply_secret_rule(tf: &mut J, kw: &J, path: &str, errors: &mut Vec<String>) {
    match (tf, kw) {
        (J::Object(t), J::Object(k)) => {
            for (value, marks) in [
                ("values", "sensitive_values"),
                ("before", "before_sensitive"),
                ("after", "after_sensitive"),
            ] {
                if let (Some(tm), Some(km)) = (t.get(marks), k.get(marks)) {
                    if !sensitive_ok(tm, Some(km)) {
                        errors.push(format!("{path}/{marks}: terraform {tm}, keyway {km}"));
                        continue;
                    }
                    let km = km.clone();
                    t.insert(marks.into(), km.clone());
                    if let Some(v) = t.get_mut(value) {
                        null_marked(v, &km);
                    }
                }
            }
            if t.get("sensitive") == Some(&J::Bool(true)) {
                if let Some(v) = t.get_mut("value") {
                    *v = J::Null;
                }
            }
            for (key, x) in t.iter_mut() {
                if let Some(y) = k.get(key) {
                    apply_secret_rule(x, y, &format!("{path}/{key}"), errors);
                }
            }
        }
        (J::Array(t), J::Array(k)) => {
            for (i, (x, y)) in t.iter_mut().zip(k).enumerate() {
                apply_secret_rule(x, y, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

/// Sensitive variables: no value, no default.
fn hide_sensitive_variables(plan: &mut J) {
    let names: Vec<String> = plan["configuration"]["root_module"]["variables"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v["sensitive"] == json!(true))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    for n in names {
        plan["variables"][&n]["value"] = J::Null;
        if let Some(v) = plan["configuration"]["root_module"]["variables"][&n].as_object_mut() {
            v.remove("default");
        }
    }
}

/// The paths where two documents differ, for the failure message.
fn differences(a: &J, b: &J, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => differences(u, v, &format!("{path}/{k}"), out),
                    (Some(u), None) => out.push(format!("{path}/{k}: only terraform: {u}")),
                    (None, Some(v)) => out.push(format!("{path}/{k}: only keyway: {v}")),
                    (None, None) => {}
                }
            }
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                differences(u, v, &format!("{path}[{i}]"), out);
            }
        }
        (u, v) if u != v => out.push(format!("{path}: terraform {u}, keyway {v}")),
        _ => {}
    }
}

#[test]
fn show_json_and_plan_json_match_terraform() {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("tests/equivalence"))
        .expect("folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("json_"))
        })
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
        let recorded_path = dir.join("expected_show_json.json");
        let recorded: Option<J> = read_json(&recorded_path);
        let mut expected = if have_terraform {
            let mut tf = terraform_run(&dir).expect("terraform ran");
            normalize(&mut tf);
            if std::env::var_os("KEYWAY_BLESS").is_some() {
                std::fs::write(
                    &recorded_path,
                    serde_json::to_string_pretty(&tf).expect("json") + "\n",
                )
                .expect("write");
            } else {
                assert_eq!(
                    recorded.as_ref(),
                    Some(&tf),
                    "{name}: expected_show_json.json is stale; rerun with KEYWAY_BLESS=1"
                );
            }
            tf
        } else {
            recorded
                .unwrap_or_else(|| panic!("{name}: no expected_show_json.json and no terraform"))
        };
        let mut kw = keyway_run(&dir);
        normalize(&mut kw);
        for doc in ["plan_create", "plan_change"] {
            hide_sensitive_variables(&mut expected[doc]);
        }
        let mut errors = Vec::new();
        apply_secret_rule(&mut expected, &kw, "", &mut errors);
        assert!(
            errors.is_empty(),
            "{name}: keyway marks less as sensitive than Terraform:\n{}",
            errors.join("\n")
        );
        let mut diffs = Vec::new();
        differences(&expected, &kw, "", &mut diffs);
        assert!(
            diffs.is_empty(),
            "{name}: keyway's JSON differs from Terraform's:\n{}",
            diffs.join("\n")
        );
    }
}

/// The secret of `json_basic` reaches none of the JSON outputs, which Terraform's would hold
/// in clear.
#[test]
fn json_outputs_never_hold_a_secret() {
    let w = Work::copy_of(&root().join("tests/equivalence/json_basic"));
    let stream = w.run(&["plan", "-json"]).ok();
    w.run(&["plan", "-out=p1"]).ok();
    let shown = w.run(&["show", "-json", "p1"]).ok();
    w.run(&["apply", "-auto-approve"]).ok();
    let state = w.run(&["show", "-json"]).ok();
    for r in [&stream, &shown, &state] {
        assert!(!r.stdout.contains("s3cr3t"), "{}", r.stdout);
    }
    let doc = parse(&shown.stdout);
    let sec = doc["resource_changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["address"] == "terraform_data.sec")
        .expect("sec");
    assert_eq!(sec["change"]["after"]["input"], J::Null);
    assert_eq!(sec["change"]["after_sensitive"]["input"], json!(true));
    let _: Map<String, J> = doc["variables"].as_object().cloned().expect("variables");
    assert_eq!(doc["variables"]["secret"]["value"], J::Null);
}
