//! keyway beside Terraform 1.11 with the real hashicorp/aws provider (5.100.0, installed
//! offline in `/opt/tf-plugins`), both against moto on 127.0.0.1, on
//! `tests/terraform_aws/http-api` and `rest-api` (the two AWS examples with a prebuilt zip,
//! the REST one with the `depends_on` Terraform needs) and `policies-cors-openapi` (IAM
//! policies, the REST CORS set-up with access logs, an API imported from an OpenAPI body):
//!
//! - the state Terraform's provider writes is adopted by `keyway init` with an empty plan:
//!   keyway's AWS types have Terraform's names, attributes and ID formats;
//! - checkov (`.venv-checkov`) finds the same on keyway's `show -json` of a plan as on
//!   Terraform's, check by check and resource by resource.
//!
//! Both need that provider: a machine without it fails these tests, never skips them.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value as J;

use crate::support::moto::Moto;
use crate::support::{root, Run, Work};

const MIRROR: &str = "/opt/tf-plugins";

fn terraform(w: &Work, moto: &Moto, args: &[&str]) -> Output {
    assert!(
        Path::new(MIRROR)
            .join("registry.terraform.io/hashicorp/aws")
            .is_dir(),
        "hashicorp/aws is not installed in {MIRROR}: these tests run Terraform's own AWS provider"
    );
    let rc = w.path().join(".terraformrc");
    let config = format!(
        "disable_checkpoint = true\nprovider_installation {{\n  filesystem_mirror {{\n    path    = \"{MIRROR}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n"
    );
    std::fs::write(&rc, config).expect("terraform rc");
    let out = Command::new("terraform")
        .args(args)
        .current_dir(w.path())
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_VAR_endpoint", moto.url())
        .output()
        .expect("terraform is installed");
    assert!(
        out.status.success(),
        "terraform {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn keyway(w: &Work, moto: &Moto, args: &[&str]) -> Run {
    let mut c = w.command(args);
    moto.env(&mut c);
    c.env("TF_VAR_endpoint", moto.url());
    Run::from(c.output().expect("run keyway"))
}

const FOLDERS: [(&str, usize); 3] = [
    ("http-api", 10),
    ("rest-api", 15),
    ("policies-cors-openapi", 20),
];

fn folder(name: &str) -> Work {
    Work::copy_of(&root().join("tests/terraform_aws").join(name))
}

#[test]
fn terraforms_aws_state_is_adopted_with_an_empty_plan() {
    let moto = Moto::start();
    for (name, objects) in FOLDERS {
        moto.reset();
        let w = folder(name);
        terraform(&w, &moto, &["init", "-input=false", "-no-color"]);
        terraform(&w, &moto, &["apply", "-auto-approve", "-no-color"]);
        let init = keyway(&w, &moto, &["init", "-force-copy"]).ok();
        let offer = format!("keyway can take over these {objects} objects");
        assert!(init.stdout.contains(&offer), "{name}: {}", init.stdout);
        let plan = keyway(&w, &moto, &["plan", "-detailed-exitcode"]);
        assert_eq!(
            plan.code, 0,
            "{name}: adopted, nothing to change:\n{}\n{}",
            plan.stdout, plan.stderr
        );
        keyway(&w, &moto, &["destroy", "-auto-approve"]).ok();
        assert_eq!(
            keyway(&w, &moto, &["state", "list"]).ok().stdout,
            "",
            "{name}"
        );
    }
}

/// checkov's findings on a plan JSON file: `passed|failed CHECK RESOURCE`, sorted.
fn checkov(dir: &Path, file: &str) -> Vec<String> {
    let bin = root().join(".venv-checkov/bin/checkov");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test",
        bin.display()
    );
    let out = Command::new(&bin)
        .args([
            "-f",
            file,
            "--framework",
            "terraform_plan",
            "-o",
            "json",
            "--skip-download",
        ])
        .current_dir(dir)
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .expect("checkov runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: J = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("checkov printed no JSON ({e}):\n{stdout}"));
    assert_eq!(report["summary"]["parsing_errors"], 0, "{stdout}");
    let mut findings = Vec::new();
    for (key, word) in [("passed_checks", "passed"), ("failed_checks", "failed")] {
        for c in report["results"][key].as_array().into_iter().flatten() {
            findings.push(format!(
                "{word} {} {}",
                c["check_id"].as_str().unwrap_or_default(),
                c["resource"].as_str().unwrap_or_default()
            ));
        }
    }
    findings.sort();
    findings
}

#[test]
fn checkov_finds_the_same_on_keyways_plan_as_on_terraforms() {
    let moto = Moto::start();
    for (name, _) in FOLDERS {
        same_findings(&moto, name);
    }
}

fn same_findings(moto: &Moto, name: &str) {
    let tf = folder(name);
    terraform(&tf, moto, &["init", "-input=false", "-no-color"]);
    terraform(&tf, moto, &["plan", "-out=tfplan", "-no-color"]);
    let shown = terraform(&tf, moto, &["show", "-json", "tfplan"]);
    std::fs::write(tf.path().join("plan.json"), &shown.stdout).expect("write");
    let theirs = checkov(tf.path(), "plan.json");

    let kw = folder(name);
    keyway(&kw, moto, &["plan", "-out=kwplan"]).ok();
    let shown = keyway(&kw, moto, &["show", "-json", "kwplan"]).ok().stdout;
    std::fs::write(kw.path().join("plan.json"), shown).expect("write");
    let ours = checkov(kw.path(), "plan.json");

    assert!(theirs.len() >= 10, "checkov checked little: {theirs:?}");
    assert!(theirs.iter().any(|f| f.starts_with("failed")), "{theirs:?}");
    assert_eq!(
        ours, theirs,
        "keyway's plan JSON must read to checkov as Terraform's does"
    );
}

/// `output -json` values by name.
fn outputs(text: &str) -> serde_json::Map<String, J> {
    let all: J = serde_json::from_str(text).expect("output -json");
    all.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v["value"].clone()))
        .collect()
}

#[test]
fn data_sources_read_as_terraforms_provider_reads_them() {
    let moto = Moto::start();
    let tf = folder("data-sources");
    terraform(&tf, &moto, &["init", "-input=false"]);
    terraform(&tf, &moto, &["apply", "-auto-approve", "-input=false"]);
    let theirs = outputs(&String::from_utf8_lossy(
        &terraform(&tf, &moto, &["output", "-json"]).stdout,
    ));
    let kw = folder("data-sources");
    keyway(&kw, &moto, &["apply", "-auto-approve"]).ok();
    let mut ours = outputs(&keyway(&kw, &moto, &["output", "-json"]).ok().stdout);
    // keyway's aws_region also has provider v6's `region` argument (the same name); v5 has not.
    for name in ["region", "named", "by_endpoint"] {
        if let Some(J::Object(m)) = ours.get_mut(name) {
            assert_eq!(m.remove("region"), m.get("name").cloned(), "{name}");
        }
    }
    assert_eq!(theirs.len(), 6);
    for (name, value) in &theirs {
        assert_eq!(Some(value), ours.get(name), "output {name}");
    }
}
