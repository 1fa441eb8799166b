//! checkov (pinned in `tests/checkov/requirements.txt`, installed by `scripts/test` in
//! `.venv-checkov`: its pins conflict with the conformance suite's) reads keyway's
//! `show -json` of a plan as the Terraform plan it is meant to be, and its Google IAM checks
//! find what they should in `tests/checkov/iam`: each check ID passed or failed per resource,
//! recorded in `expected_findings.json` (`KEYWAY_BLESS=1` rewrites it) and reviewed against
//! the checks' definitions.
//!
//! What this does not show: that checkov finds the same on Terraform's own plan of that
//! folder. Terraform cannot plan `google_*` resources here (the provider would have to be
//! downloaded); the field-by-field equality with Terraform's format is
//! `json_equivalence`'s, on `terraform_data` folders.

use std::process::Command;

use serde_json::Value as J;

use crate::support::{root, Work};

#[test]
fn checkov_reads_keyways_plan_json_and_finds_the_iam_problems() {
    let checkov = root().join(".venv-checkov/bin/checkov");
    assert!(
        checkov.exists(),
        "{} is missing: run scripts/test once to create the virtualenv with the pinned checkov",
        checkov.display()
    );
    let dir = root().join("tests/checkov/iam");
    let w = Work::copy_of(&dir);
    w.run(&["--emulator", "plan", "-out=p"]).ok();
    let shown = w.run(&["--emulator", "show", "-json", "p"]).ok().stdout;
    std::fs::write(w.path().join("plan.json"), &shown).expect("write");
    let out = Command::new(&checkov)
        .args([
            "-f",
            "plan.json",
            "--framework",
            "terraform_plan",
            "-o",
            "json",
            "--skip-download",
        ])
        .current_dir(w.path())
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .expect("checkov runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: J = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(report["summary"]["parsing_errors"], 0, "{stdout}");
    let mut findings: Vec<String> = Vec::new();
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
    let expected_path = dir.join("expected_findings.json");
    if std::env::var_os("KEYWAY_BLESS").is_some() {
        std::fs::write(
            &expected_path,
            serde_json::to_string_pretty(&findings).expect("json") + "\n",
        )
        .expect("write");
    }
    let expected: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(&expected_path).expect("expected"))
            .expect("json");
    assert_eq!(findings, expected, "checkov's findings changed");
    // The problems the folder was written to show.
    for f in [
        "failed CKV_GCP_42 google_project_iam_member.owner",
        "failed CKV_GCP_117 google_project_iam_member.owner",
        "failed CKV_GCP_41 google_project_iam_member.sa_user",
        "failed CKV_GCP_49 google_project_iam_member.sa_user",
        "failed CKV_GCP_46 google_project_iam_member.default_sa",
        "passed CKV_GCP_117 google_project_iam_member.invoker",
        "passed CKV_GCP_42 google_project_iam_member.invoker",
    ] {
        assert!(
            findings.iter().any(|x| x == f),
            "{f} missing: {findings:#?}"
        );
    }
}
