//! Engine behaviour through the real binary: diagnostics, saved plans, targeting, lifecycle
//! settings and state safety.

use crate::support::Work;

#[test]
fn all_configuration_errors_are_reported_together_with_locations() {
    let w = Work::new(
        r#"
variable "region" {}
resource "terraform_data" "a" {
  inptu = "x"
}
resource "terraform_data" "b" {
  input = var.regoin
}
resource "terraform_data" "c" {
  input = terraform_data.missing.output
}
resource "terraform_dat" "d" {}
"#,
    );
    let r = w.run(&["validate"]).code(1);
    for needle in [
        "An argument named `inptu` is not expected",
        "did you mean `input`?",
        "Reference to undeclared input variable `regoin`",
        "did you mean `region`?",
        "Reference to undeclared resource `terraform_data.missing`",
        "Unknown resource type `terraform_dat`",
        "main.tf:4:",
    ] {
        assert!(
            r.stderr.contains(needle),
            "missing {needle:?} in\n{}",
            r.stderr
        );
    }
}

#[test]
fn syntax_errors_point_at_the_file_and_line() {
    let w = Work::new("resource \"terraform_data\" \"a\" {\n  input = [1, 2\n}\n");
    let r = w.run(&["plan"]).code(1);
    assert!(r.stderr.contains("config::syntax"), "{}", r.stderr);
    assert!(r.stderr.contains("main.tf:"), "{}", r.stderr);
}

#[test]
fn cycles_name_every_member() {
    let w = Work::new(
        r#"
resource "terraform_data" "a" { input = terraform_data.c.output }
resource "terraform_data" "b" { input = terraform_data.a.output }
resource "terraform_data" "c" { input = local.x }
locals { x = terraform_data.b.output }
"#,
    );
    let r = w.run(&["plan"]).code(1);
    assert!(
        r.stderr
            .contains("Cycle: local.x, terraform_data.a, terraform_data.b, terraform_data.c"),
        "{}",
        r.stderr
    );
}

const CHAIN: &str = r#"
variable "v" {
  default = "one"
}
variable "token" {
  default   = "s3cr3t-token-value"
  sensitive = true
}
resource "terraform_data" "a" { input = var.v }
resource "terraform_data" "b" { input = "${terraform_data.a.output}-b" }
resource "terraform_data" "c" { input = "independent" }
resource "terraform_data" "secret" { input = var.token }
output "b" { value = terraform_data.b.output }
output "token" {
  value     = terraform_data.secret.output
  sensitive = true
}
"#;

#[test]
fn secrets_never_reach_terminal_or_plan_files() {
    let w = Work::new(CHAIN);
    let plan = w.run(&["plan", "-out=tfplan"]).ok();
    assert!(!plan.stdout.contains("s3cr3t"), "{}", plan.stdout);
    assert!(plan.stdout.contains("(sensitive value)"), "{}", plan.stdout);
    let file = std::fs::read_to_string(w.path().join("tfplan")).expect("plan file");
    assert!(!file.contains("s3cr3t"), "{file}");
    let json = w.run(&["plan", "-json"]).ok();
    assert!(!json.stdout.contains("s3cr3t"), "{}", json.stdout);
    let apply = w.run(&["apply", "tfplan"]).ok();
    assert!(!apply.stdout.contains("s3cr3t"), "{}", apply.stdout);
    assert!(!w.run(&["show"]).ok().stdout.contains("s3cr3t"));
    assert!(!w.run(&["output"]).ok().stdout.contains("s3cr3t"));
    assert_eq!(
        w.run(&["output", "-raw", "token"]).ok().stdout,
        "s3cr3t-token-value"
    );
}

#[test]
fn saved_plan_applies_exactly_and_refuses_when_stale() {
    let w = Work::new(CHAIN);
    w.run(&["plan", "-out=p1"]).ok();
    w.run(&["plan", "-out=p2"]).ok();
    let r = w.run(&["apply", "p1"]).ok();
    assert!(
        r.stdout.contains("Apply complete! Resources: 4 added"),
        "{}",
        r.stdout
    );
    let stale = w.run(&["apply", "p2"]).code(1);
    assert!(
        stale.stderr.contains("Saved plan is stale"),
        "{}",
        stale.stderr
    );
    w.run(&["plan", "-var", "v=two", "-out=p3"]).ok();
    w.write("extra.tf", "resource \"terraform_data\" \"z\" {}\n");
    let changed = w.run(&["apply", "p3"]).code(1);
    assert!(
        changed.stderr.contains("files changed"),
        "{}",
        changed.stderr
    );
}

#[test]
fn sensitive_variable_must_be_given_again_for_a_saved_plan() {
    let w = Work::new(CHAIN);
    w.run(&["plan", "-var", "token=other-secret", "-out=p"])
        .ok();
    let r = w.run(&["apply", "p"]).code(1);
    assert!(
        r.stderr.contains("sensitive variable `token`"),
        "{}",
        r.stderr
    );
    w.run(&["apply", "-var", "token=other-secret", "p"]).ok();
}

#[test]
fn target_brings_dependencies_and_exclude_drops_dependents() {
    let w = Work::new(CHAIN);
    let t = w.run(&["plan", "-target=terraform_data.b"]).ok();
    assert!(
        t.stdout.contains("terraform_data.a will be created"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("terraform_data.b will be created"));
    assert!(!t.stdout.contains("terraform_data.c will"), "{}", t.stdout);
    let e = w.run(&["plan", "-exclude=terraform_data.a"]).ok();
    assert!(!e.stdout.contains("terraform_data.a will"), "{}", e.stdout);
    assert!(!e.stdout.contains("terraform_data.b will"), "{}", e.stdout);
    assert!(e.stdout.contains("terraform_data.c will be created"));
}

#[test]
fn destroy_target_takes_dependents_and_exclude_keeps_dependencies() {
    let w = Work::new(
        r#"
resource "terraform_data" "a" { input = "a" }
resource "terraform_data" "b" { input = "${terraform_data.a.output}-b" }
resource "terraform_data" "c" { input = "${terraform_data.b.output}-c" }
"#,
    );
    w.run(&["apply", "-auto-approve"]).ok();
    // Destroying b must take c (which depends on it) first, and may leave a.
    let t = w
        .run(&["destroy", "-target=terraform_data.b", "-auto-approve"])
        .ok();
    assert!(t.stdout.contains("2 destroyed"), "{}", t.stdout);
    assert_eq!(w.run(&["state", "list"]).ok().stdout, "terraform_data.a\n");
    w.run(&["apply", "-auto-approve"]).ok();
    // Keeping b keeps a, which b needs; only c goes.
    let e = w
        .run(&["destroy", "-exclude=terraform_data.b", "-auto-approve"])
        .ok();
    assert!(e.stdout.contains("1 destroyed"), "{}", e.stdout);
    assert_eq!(
        w.run(&["state", "list"]).ok().stdout,
        "terraform_data.a\nterraform_data.b\n"
    );
}

#[test]
fn replace_flag_and_detailed_exitcode() {
    let w = Work::new(CHAIN);
    w.run(&["apply", "-auto-approve"]).ok();
    w.run(&["plan", "-detailed-exitcode"]).code(0);
    let r = w
        .run(&["plan", "-replace=terraform_data.c", "-detailed-exitcode"])
        .code(2);
    assert!(
        r.stdout.contains("terraform_data.c must be replaced"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        r.stdout
    );
}

#[test]
fn update_in_place_shows_known_after_apply() {
    let w = Work::new(CHAIN);
    w.run(&["apply", "-auto-approve"]).ok();
    let r = w.run(&["plan", "-var", "v=two"]).ok();
    assert!(
        r.stdout
            .contains("# terraform_data.a will be updated in-place"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(r#"~ input  = "one" -> "two""#),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(r#"~ output = "one" -> (known after apply)"#),
        "{}",
        r.stdout
    );
    w.run(&["apply", "-auto-approve", "-var", "v=two"]).ok();
    assert_eq!(w.run(&["output", "-raw", "b"]).ok().stdout, "two-b");
}

#[test]
fn prevent_destroy_may_use_a_variable() {
    let w = Work::new(
        r#"
variable "protect" {
  type    = bool
  default = true
}
resource "terraform_data" "db" {
  input = "data"
  lifecycle {
    prevent_destroy = var.protect
  }
}
"#,
    );
    w.run(&["apply", "-auto-approve"]).ok();
    let r = w.run(&["destroy", "-auto-approve"]).code(1);
    assert!(
        r.stderr.contains("lifecycle.prevent_destroy"),
        "{}",
        r.stderr
    );
    w.run(&["destroy", "-auto-approve", "-var", "protect=false"])
        .ok();
}

#[test]
fn create_before_destroy_creates_first() {
    let w = Work::new(
        r#"
variable "v" {
  default = "1"
}
resource "terraform_data" "cfg" {
  triggers_replace = var.v
  lifecycle {
    create_before_destroy = true
  }
}
resource "terraform_data" "user" { input = terraform_data.cfg.id }
"#,
    );
    w.run(&["apply", "-auto-approve"]).ok();
    let plan = w.run(&["plan", "-var", "v=2"]).ok();
    assert!(
        plan.stdout
            .contains("+/- resource \"terraform_data\" \"cfg\""),
        "{}",
        plan.stdout
    );
    let r = w
        .run(&["apply", "-auto-approve", "-var", "v=2", "-parallelism=1"])
        .ok();
    let created = r
        .stdout
        .find("terraform_data.cfg: Creation complete")
        .expect("created");
    let user = r
        .stdout
        .find("terraform_data.user: Modifications complete")
        .expect("user updated");
    let destroyed = r
        .stdout
        .find("terraform_data.cfg (deposed): Destruction complete")
        .expect("destroyed");
    assert!(created < user && user < destroyed, "{}", r.stdout);
    w.run(&["plan", "-var", "v=2", "-detailed-exitcode"])
        .code(0);
}

const CREATE_FIRST: &str = r#"
variable "v" {
  default = "1"
}
resource "terraform_data" "cfg" {
  triggers_replace = var.v
  lifecycle {
    create_before_destroy = true
  }
}
"#;

/// Leaves in state an object deposed by an interrupted create-first replacement of
/// `terraform_data.cfg`, as a run killed between its creation and the deletion would.
fn with_leftover_deposed(w: &Work) {
    w.run(&["apply", "-auto-approve"]).ok();
    let mut s = w.state_json();
    let resources = s["resources"].as_array_mut().expect("resources");
    let mut old = resources[0].clone();
    old["address"] = serde_json::json!("terraform_data.cfg (deposed)");
    old["attributes"]["id"] = serde_json::json!("left-over");
    resources.insert(0, old);
    std::fs::write(w.state_path(), serde_json::to_string(&s).expect("json")).expect("write");
}

#[test]
fn a_second_create_first_replacement_keeps_the_first_deposed_object() {
    let w = Work::new(CREATE_FIRST);
    with_leftover_deposed(&w);
    let r = w
        .run(&["apply", "-auto-approve", "-var", "v=2", "-parallelism=1"])
        .ok();
    // Both old objects are deleted, each under its own address; before, the second
    // replacement overwrote the first deposed entry and that object was forgotten.
    for gone in [
        "terraform_data.cfg (deposed)",
        "terraform_data.cfg (deposed 2)",
    ] {
        assert!(
            r.stdout.contains(&format!("{gone}: Destruction complete")),
            "{gone}\n{}",
            r.stdout
        );
    }
    let left: Vec<String> = w.state_json()["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["address"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(left, ["terraform_data.cfg"]);
    w.run(&["plan", "-var", "v=2", "-detailed-exitcode"])
        .code(0);
}

#[test]
fn excluding_a_block_excludes_its_deposed_objects() {
    let w = Work::new(CREATE_FIRST);
    with_leftover_deposed(&w);
    let r = w
        .run(&["apply", "-auto-approve", "-exclude=terraform_data.cfg"])
        .ok();
    assert!(!r.stdout.contains("Destruction complete"), "{}", r.stdout);
    let listed = w.run(&["state", "list"]).ok();
    assert!(
        listed.stdout.contains("terraform_data.cfg (deposed)"),
        "{}",
        listed.stdout
    );
    let r = w
        .run(&["apply", "-auto-approve", "-target=terraform_data.cfg"])
        .ok();
    assert!(
        r.stdout
            .contains("terraform_data.cfg (deposed): Destruction complete"),
        "{}",
        r.stdout
    );
}

#[test]
fn ignore_changes_keeps_prior_value() {
    let w = Work::new("variable \"v\" {\n  default = \"a\"\n}\nresource \"terraform_data\" \"x\" {\n  input = var.v\n  lifecycle {\n    ignore_changes = [input]\n  }\n}\n");
    w.run(&["apply", "-auto-approve"]).ok();
    w.run(&["plan", "-var", "v=b", "-detailed-exitcode"])
        .code(0);
}

#[test]
fn replace_triggered_by_follows_the_referenced_change() {
    let w = Work::new(
        r#"
variable "v" {
  default = "a"
}
resource "terraform_data" "src" { input = var.v }
resource "terraform_data" "dep" {
  input = "fixed"
  lifecycle {
    replace_triggered_by = [terraform_data.src]
  }
}
"#,
    );
    w.run(&["apply", "-auto-approve"]).ok();
    let r = w.run(&["plan", "-var", "v=b"]).ok();
    assert!(
        r.stdout.contains("terraform_data.dep must be replaced"),
        "{}",
        r.stdout
    );
}

#[test]
fn state_commands_list_show_mv_rm() {
    let w = Work::new(CHAIN);
    w.run(&["apply", "-auto-approve"]).ok();
    let list = w.run(&["state", "list"]).ok();
    assert_eq!(
        list.stdout,
        "terraform_data.a\nterraform_data.b\nterraform_data.c\nterraform_data.secret\n"
    );
    let show = w.run(&["state", "show", "terraform_data.secret"]).ok();
    assert!(
        show.stdout.contains("(sensitive value)") && !show.stdout.contains("s3cr3t"),
        "{}",
        show.stdout
    );
    w.run(&["state", "mv", "terraform_data.c", "terraform_data.c2"])
        .ok();
    w.run(&["state", "rm", "terraform_data.c2"]).ok();
    assert!(!w
        .run(&["state", "list"])
        .ok()
        .stdout
        .contains("terraform_data.c"));
    let pulled = w.run(&["state", "pull"]).ok();
    assert!(
        pulled.stdout.contains("\"format\": \"keyway-state\""),
        "{}",
        pulled.stdout
    );
}

#[test]
fn graph_prints_dot_with_edges() {
    let w = Work::new(CHAIN);
    let r = w.run(&["graph"]).ok();
    assert!(r.stdout.starts_with("digraph {"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("\"terraform_data.b\" -> \"terraform_data.a\""),
        "{}",
        r.stdout
    );
}

#[test]
fn single_dash_and_chdir_flags_work() {
    let w = Work::new(CHAIN);
    let dir = w.path().to_string_lossy().into_owned();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_keyway"));
    let out = c
        .args([
            &format!("-chdir={dir}"),
            "plan",
            "-refresh=false",
            "-no-color",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Plan: 4 to add"));
}

#[test]
fn moved_blocks_rename_state_without_replacing() {
    let w = Work::new("resource \"terraform_data\" \"old\" { input = \"x\" }\n");
    w.run(&["apply", "-auto-approve"]).ok();
    w.write("main.tf", "resource \"terraform_data\" \"new\" { input = \"x\" }\nmoved {\n  from = terraform_data.old\n  to   = terraform_data.new\n}\n");
    let plan = w.run(&["plan"]).ok();
    assert!(
        plan.stdout
            .contains("# terraform_data.old has moved to terraform_data.new"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("will be created"), "{}", plan.stdout);
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(
        w.run(&["state", "list"]).ok().stdout,
        "terraform_data.new\n"
    );
}

#[test]
fn multi_line_strings_show_as_line_diffs() {
    let w = Work::new("variable \"doc\" {\n  default = \"a\\nb\\nc\\n\"\n}\nresource \"terraform_data\" \"d\" { input = var.doc }\n");
    w.run(&["apply", "-auto-approve"]).ok();
    let r = w.run(&["plan", "-var", "doc=a\nB\nc\n"]).ok();
    assert!(
        r.stdout.contains("- b") && r.stdout.contains("+ B"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("<<-EOT"), "{}", r.stdout);
}

#[test]
fn fmt_check_reports_files_that_would_change() {
    let w = Work::new("resource \"terraform_data\" \"a\" {\ninput=1\n  triggers_replace = 2\n}\n");
    let r = w.run(&["fmt", "-check"]).code(3);
    assert!(r.stdout.contains("main.tf"), "{}", r.stdout);
    w.run(&["fmt"]).ok();
    let text = std::fs::read_to_string(w.path().join("main.tf")).expect("read");
    assert_eq!(
        text,
        "resource \"terraform_data\" \"a\" {\n  input            = 1\n  triggers_replace = 2\n}\n"
    );
    w.run(&["fmt", "-check"]).ok();
}

#[test]
fn plan_json_is_machine_readable_and_redacted() {
    let w = Work::new(CHAIN);
    // `plan -json`: Terraform's streamed UI, one object per line.
    let r = w.run(&["plan", "-json"]).ok();
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines[0]["type"], "version");
    let planned: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["type"] == "planned_change")
        .collect();
    assert_eq!(planned.len(), 4);
    assert!(planned
        .iter()
        .all(|l| l["change"]["action"] == "create" && l["@module"] == "terraform.ui"));
    let summary = lines
        .iter()
        .find(|l| l["type"] == "change_summary")
        .expect("summary");
    assert_eq!(summary["changes"]["add"], 4);
    assert_eq!(
        summary["@message"],
        "Plan: 4 to add, 0 to change, 0 to destroy."
    );
    // `show -json PLANFILE`: Terraform's plan representation, secrets as null.
    w.run(&["plan", "-out=p"]).ok();
    let v: serde_json::Value =
        serde_json::from_str(&w.run(&["show", "-json", "p"]).ok().stdout).expect("json");
    assert_eq!(v["format_version"], "1.2");
    let changes = v["resource_changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 4);
    let secret = changes
        .iter()
        .find(|c| c["address"] == "terraform_data.secret")
        .expect("secret");
    assert_eq!(secret["change"]["actions"], serde_json::json!(["create"]));
    assert_eq!(secret["provider_name"], "terraform.io/builtin/terraform");
    assert_eq!(secret["change"]["after"]["input"], serde_json::Value::Null);
    assert_eq!(
        secret["change"]["after_sensitive"]["input"],
        serde_json::json!(true)
    );
}

/// Preconditions are judged before planning each instance, with `count.index` in scope, and an
/// output's before its value: a false one fails the plan (exit 1) in Terraform's layout, and
/// apply creates nothing.
#[test]
fn false_preconditions_fail_the_plan_in_terraforms_layout() {
    let w = Work::new(
        r#"variable "n" {
  default = 2
}
resource "terraform_data" "a" {
  count = var.n
  input = "x${count.index}"
  lifecycle {
    precondition {
      condition     = count.index < 1
      error_message = "Index ${count.index} too big."
    }
  }
}
output "o" {
  value = var.n
  precondition {
    condition     = var.n > 5
    error_message = "n too small."
  }
}
"#,
    );
    let r = w.run(&["plan"]).code(1);
    let resource = r#"
Error: Resource precondition failed

  on main.tf line 9, in resource "terraform_data" "a":
   9:       condition     = count.index < 1
    ├────────────────
    │ count.index is 1

Index 1 too big.
"#;
    let output = r#"
Error: Module output value precondition failed

  on main.tf line 17, in output "o":
  17:     condition     = var.n > 5
    ├────────────────
    │ var.n is 2

n too small.
"#;
    assert!(r.stderr.contains(resource), "{}", r.stderr);
    assert!(r.stderr.contains(output), "{}", r.stderr);
    assert_eq!(r.stderr.matches("Error:").count(), 2, "{}", r.stderr);
    w.run(&["apply", "-auto-approve"]).code(1);
    assert!(!w.state_path().exists() || w.state_json()["resources"] == serde_json::json!([]));
    // Conditions hold: the same folder plans and applies.
    w.run(&["apply", "-auto-approve", "-var", "n=1"]).code(1);
    w.edit("main.tf", "var.n > 5", "var.n > 0");
    w.run(&["apply", "-auto-approve", "-var", "n=1"]).ok();
}

/// A precondition that depends on what apply will make is not known at plan time: the plan
/// succeeds and apply judges it before the instance is made (which then is not).
#[test]
fn a_precondition_unknown_at_plan_is_judged_at_apply() {
    let w = Work::new(
        r#"resource "terraform_data" "a" {
  input = "x"
}
resource "terraform_data" "b" {
  input = "y"
  lifecycle {
    precondition {
      condition     = terraform_data.a.output == "y"
      error_message = "a says ${terraform_data.a.output}."
    }
  }
}
"#,
    );
    w.run(&["plan"]).ok();
    let r = w.run(&["apply", "-auto-approve"]).code(1);
    assert!(
        r.stderr.contains("Error: Resource precondition failed")
            && r.stderr.contains("terraform_data.a.output is \"x\"")
            && r.stderr.contains("\na says x.\n"),
        "{}",
        r.stderr
    );
    let state = w.run(&["state", "list"]).ok().stdout;
    assert_eq!(state.trim(), "terraform_data.a");
}

/// A postcondition judges the object applied (`self`): when it fails, the object stays in state
/// (it exists), what depends on it is skipped, the run fails, and so does the next plan, which
/// judges the object it would keep.
#[test]
fn a_failed_postcondition_keeps_the_object_and_fails_the_next_plan() {
    let w = Work::new(
        r#"resource "terraform_data" "b" {
  input = "hello"
  lifecycle {
    postcondition {
      condition     = self.output == "nope"
      error_message = "Output is ${self.output}."
    }
  }
}
resource "terraform_data" "after" {
  input = terraform_data.b.output
}
"#,
    );
    // `self.output` is known only after apply: the plan cannot judge it.
    w.run(&["plan"]).ok();
    let r = w.run(&["apply", "-auto-approve"]).code(1);
    let failure = r#"
Error: Resource postcondition failed

  on main.tf line 5, in resource "terraform_data" "b":
   5:       condition     = self.output == "nope"
    ├────────────────
    │ self.output is "hello"

Output is hello.
"#;
    assert!(r.stderr.contains(failure), "{}", r.stderr);
    assert_eq!(
        w.run(&["state", "list"]).ok().stdout.trim(),
        "terraform_data.b"
    );
    let r = w.run(&["plan"]).code(1);
    assert!(r.stderr.contains(failure), "{}", r.stderr);
    // Destroying judges no condition.
    w.run(&["destroy", "-auto-approve"]).ok();
}

/// Conditions that hold change nothing; `each.key`/`each.value` and `self` are in scope.
#[test]
fn conditions_that_hold_pass_with_for_each() {
    let w = Work::new(
        r#"resource "terraform_data" "m" {
  for_each = { a = "1", b = "2" }
  input    = each.value
  lifecycle {
    precondition {
      condition     = length(each.key) == 1
      error_message = "bad key ${each.key}"
    }
    postcondition {
      condition     = self.output == each.value
      error_message = "bad output"
    }
  }
}
output "keys" {
  value = keys(terraform_data.m)
  precondition {
    condition     = length(terraform_data.m) == 2
    error_message = "two expected"
  }
}
"#,
    );
    w.run(&["apply", "-auto-approve"]).ok();
    w.run(&["plan", "-detailed-exitcode"]).code(0);
}

/// `self` is the object a postcondition judges: a precondition cannot use it.
#[test]
fn self_in_a_precondition_is_refused() {
    let w = Work::new(
        r#"resource "terraform_data" "a" {
  input = "x"
  lifecycle {
    precondition {
      condition     = self.input == "x"
      error_message = "bad"
    }
  }
}
"#,
    );
    let r = w.run(&["validate"]).code(1);
    assert!(
        r.stderr.contains("Invalid \"self\" reference")
            && r.stderr
                .contains("only in resource provisioner, connection, and postcondition blocks"),
        "{}",
        r.stderr
    );
}

/// A refresh-only plan reports what it found: a failing condition is a warning there, as in
/// Terraform.
#[test]
fn refresh_only_warns_about_a_failing_condition() {
    let w = Work::new(
        r#"variable "v" {
  default = "a"
}
resource "terraform_data" "a" {
  input = "a"
  lifecycle {
    precondition {
      condition     = var.v != "b"
      error_message = "v is b"
    }
  }
}
"#,
    );
    w.run(&["apply", "-auto-approve"]).ok();
    let r = w.run(&["plan", "-refresh-only", "-var", "v=b"]).ok();
    assert!(
        r.stdout.contains("Warning: Resource precondition failed") && r.stdout.contains("v is b"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    w.run(&["plan", "-var", "v=b"]).code(1);
}

/// A folder whose state lives in a backend must never be planned against an empty local
/// state (that plan would create everything a second time): until `keyway init` has settled
/// the backend, plan and apply stop and say so; a backend keyway cannot use is refused by
/// init, and Terraform Cloud's `cloud` block by validate.
#[test]
fn a_remote_backend_is_used_or_refused_never_replaced_by_local_state() {
    for (block, name) in [
        ("backend \"gcs\" {\n    bucket = \"tf-state\"\n  }", "gcs"),
        (
            "backend \"s3\" {\n    bucket = \"b\"\n    key = \"k\"\n  }",
            "s3",
        ),
        (
            "backend \"local\" {\n    path = \"other.tfstate\"\n  }",
            "local",
        ),
    ] {
        let w = Work::new(&format!(
            "terraform {{\n  {block}\n}}\nresource \"terraform_data\" \"a\" {{}}\n"
        ));
        w.run(&["validate"]).ok();
        for cmd in [&["plan"][..], &["apply", "-auto-approve"][..]] {
            let r = w.run(cmd).code(1);
            assert!(
                r.stderr
                    .contains("Backend initialization required: run `keyway init`"),
                "{cmd:?} {name}: {}",
                r.stderr
            );
        }
        assert!(!w.state_path().exists(), "{name}: no local state written");
    }
    let w = Work::new("terraform {\n  cloud {\n    organization = \"o\"\n  }\n}\n");
    let r = w.run(&["validate"]).code(1);
    assert!(r.stderr.contains("Terraform Cloud"), "{}", r.stderr);
    let w = Work::new(
        "terraform {\n  required_version = \">= 1.5\"\n  backend \"local\" {}\n}\nresource \"terraform_data\" \"a\" {}\n",
    );
    w.run(&["apply", "-auto-approve"]).ok();
}

/// `removed` blocks (Terraform 1.7): with `destroy = false` the objects are forgotten (state
/// only), in a plan, a saved plan and a destroy alike; with `destroy = true`, or without the
/// block, they are destroyed; a block still declared is an error.
#[test]
fn removed_blocks_forget_objects_without_destroying_them() {
    let w = Work::new(
        "resource \"terraform_data\" \"keep\" {}\nresource \"terraform_data\" \"old\" {\n  count = 2\n}\nresource \"terraform_data\" \"gone\" {}\n",
    );
    w.run(&["apply", "-auto-approve"]).ok();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"keep\" {}\nremoved {\n  from = terraform_data.old\n  lifecycle {\n    destroy = false\n  }\n}\nremoved {\n  from = terraform_data.gone\n}\n",
    );
    let plan = w.run(&["plan", "-out", "p.plan"]).ok().stdout;
    assert!(
        plan.contains("# terraform_data.old[0] will no longer be managed by keyway"),
        "{plan}"
    );
    assert!(
        plan.contains("# (because terraform_data.gone is not in configuration)"),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 0 to add, 0 to change, 1 to destroy, 2 to forget."),
        "{plan}"
    );
    assert!(plan.contains(" - terraform_data.old[1]"), "{plan}");
    let applied = w.run(&["apply", "p.plan"]).ok().stdout;
    assert!(applied.contains("1 destroyed, 2 forgotten."), "{applied}");
    assert_eq!(
        w.run(&["state", "list"]).ok().stdout,
        "terraform_data.keep\n"
    );
    w.run(&["plan", "-detailed-exitcode"]).ok();

    let still = Work::new(
        "resource \"terraform_data\" \"old\" {}\nremoved {\n  from = terraform_data.old\n}\n",
    );
    let r = still.run(&["validate"]).code(1);
    assert!(
        r.stderr.contains("Removed resource block still exists"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_destroy_forgets_what_removed_blocks_let_go_of() {
    let w =
        Work::new("resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {}\n");
    w.run(&["apply", "-auto-approve"]).ok();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {}\nremoved {\n  from = terraform_data.b\n  lifecycle {\n    destroy = false\n  }\n}\n",
    );
    let out = w.run(&["destroy", "-auto-approve"]).ok().stdout;
    assert!(
        out.contains("Resources: 1 destroyed, 1 forgotten."),
        "{out}"
    );
    assert_eq!(w.run(&["state", "list"]).ok().stdout, "");
}
