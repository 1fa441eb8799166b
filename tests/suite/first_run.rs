//! Diagnostics a first run meets, located where Terraform locates them: checked through
//! `validate -json`, whose `range` is Terraform's (1-based line and column, 0-based byte).

use serde_json::Value as J;

use crate::support::Work;

fn validate_json(work: &Work) -> J {
    let run = work.run(&["validate", "-json"]).code(1);
    serde_json::from_str(&run.stdout).expect("validate -json prints JSON")
}

/// The only diagnostic of the document, after checking Terraform's envelope.
fn only_diagnostic(doc: &J) -> &J {
    assert_eq!(doc["format_version"], "1.0", "{doc:#}");
    assert_eq!(doc["valid"], false, "{doc:#}");
    assert_eq!(doc["error_count"], 1, "{doc:#}");
    assert_eq!(doc["warning_count"], 0, "{doc:#}");
    &doc["diagnostics"][0]
}

/// `(line, column, byte)` of a range end.
fn at(pos: &J) -> (u64, u64, u64) {
    let n = |k: &str| pos[k].as_u64().expect("number");
    (n("line"), n("column"), n("byte"))
}

#[test]
fn an_unknown_argument_with_an_aligned_equals_sign_is_underlined_at_its_name() {
    let work = Work::new(
        "resource \"terraform_data\" \"x\" {\n  input            = \"ok\"\n  inptu            = \"oops\"\n}\n",
    );
    let doc = validate_json(&work);
    let d = only_diagnostic(&doc);
    assert_eq!(d["severity"], "error");
    assert!(
        d["summary"].as_str().expect("summary").contains("`inptu`"),
        "{d:#}"
    );
    assert_eq!(d["range"]["filename"], "main.tf");
    assert_eq!(at(&d["range"]["start"]), (3, 3, 60));
    assert_eq!(at(&d["range"]["end"]), (3, 8, 65));
    assert_eq!(d["snippet"]["code"], "  inptu            = \"oops\"");
    assert_eq!(d["snippet"]["highlight_start_offset"], 2);
    assert_eq!(d["snippet"]["highlight_end_offset"], 7);
}

#[test]
fn an_unclosed_block_names_its_opening_brace_as_terraform_does() {
    // Terraform 1.x on this file: line 5, columns 31-32, bytes 62-63.
    let work = Work::new(
        "variable \"a\" {\n  default = 1\n}\n\nresource \"terraform_data\" \"x\" {\n  input = \"hi\"\n\noutput \"o\" {\n  value = 1\n}\n",
    );
    let doc = validate_json(&work);
    let d = only_diagnostic(&doc);
    assert_eq!(d["summary"], "Unclosed configuration block");
    assert_eq!(
        d["detail"],
        "There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file."
    );
    assert_eq!(at(&d["range"]["start"]), (5, 31, 62));
    assert_eq!(at(&d["range"]["end"]), (5, 32, 63));
}

#[test]
fn an_unclosed_block_is_shown_with_its_line_in_plan() {
    let work = Work::new("locals {\n  a = 1\n\nlocals {\n  b = 2\n}\n");
    let run = work.run(&["plan"]).code(1);
    assert!(
        run.stderr.contains("Unclosed configuration block"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("main.tf:1:8"), "{}", run.stderr);
}

#[test]
fn invalid_utf8_is_reported_with_its_file_line_and_column() {
    // Terraform on this file: "Invalid character encoding" at line 2, column 9, byte 17.
    let work = Work::new("");
    std::fs::write(
        work.path().join("main.tf"),
        b"locals {\n  a = \"h\xffi\"\n}\n",
    )
    .expect("write");
    let doc = validate_json(&work);
    let d = only_diagnostic(&doc);
    assert_eq!(d["summary"], "Invalid character encoding");
    assert_eq!(at(&d["range"]["start"]), (2, 9, 17));
    let run = work.run(&["plan"]).code(1);
    assert!(run.stderr.contains("main.tf:2:9"), "{}", run.stderr);
}

#[test]
fn a_cycle_of_locals_names_every_local_with_its_line() {
    let work = Work::new("locals {\n  a = local.b\n  b = local.c\n  c = local.a\n}\n");
    let doc = validate_json(&work);
    let d = only_diagnostic(&doc);
    assert_eq!(d["summary"], "Cycle: local.a, local.b, local.c");
    assert_eq!(at(&d["range"]["start"]), (2, 3, 11));
    let detail = d["detail"].as_str().expect("detail");
    for want in [
        "`local.a` (main.tf line 2)",
        "`local.b` (main.tf line 3)",
        "`local.c` (main.tf line 4)",
    ] {
        assert!(detail.contains(want), "want {want:?} in {detail}");
    }
    let run = work.run(&["plan"]).code(1);
    for want in [
        "part of the cycle",
        "`local.b`, part of the cycle",
        "`local.c`, part of the cycle",
    ] {
        assert!(
            run.stderr.contains(want),
            "want {want:?} in\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_valid_folder_gives_terraforms_envelope() {
    let work = Work::new("variable \"a\" {\n  default = 1\n}\n");
    let run = work.run(&["validate", "-json"]).ok();
    let doc: J = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        doc,
        serde_json::json!({"format_version": "1.0", "valid": true, "error_count": 0, "warning_count": 0, "diagnostics": []})
    );
}

#[test]
fn a_provider_keyway_does_not_have_is_named_as_such() {
    let work = Work::new(
        r#"terraform {
  required_providers {
    cloudflare = { source = "cloudflare/cloudflare", version = "~> 4.0" }
  }
}

resource "cloudflare_record" "api" {
  name = "api"
}
"#,
    );
    let doc = validate_json(&work);
    let d = only_diagnostic(&doc);
    assert_eq!(
        d["summary"],
        "Provider `cloudflare` is not supported by keyway: `cloudflare_record` needs it"
    );
    assert_eq!(at(&d["range"]["start"]), (7, 30, 145));
    let typo = Work::new("resource \"google_service_acount\" \"sa\" {}\n");
    let doc = validate_json(&typo);
    let d = only_diagnostic(&doc);
    assert_eq!(
        d["summary"],
        "Unknown resource type `google_service_acount`"
    );
    assert!(
        d["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("did you mean `google_service_account`?"),
        "{d:#}"
    );
}
