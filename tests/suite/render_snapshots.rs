//! Snapshots of rendered plans (insta): the human plan for creates, in-place updates,
//! replacements and deletions, with sensitive values and unknowns.

use crate::support::Work;

const CONFIG: &str = r#"
variable "v" {
  default = "one"
}
variable "trigger" {
  default = "a"
}
variable "keep" {
  default = true
}
variable "token" {
  default   = "hidden-token"
  sensitive = true
}
resource "terraform_data" "a" {
  input = { name = var.v, tags = ["x", "y"] }
}
resource "terraform_data" "b" {
  input            = "${terraform_data.a.output.name}-b"
  triggers_replace = [var.trigger]
}
resource "terraform_data" "gone" {
  count = var.keep ? 1 : 0
  input = "temporary"
}
resource "terraform_data" "secret" {
  input = var.token
}
output "b" {
  value = terraform_data.b.output
}
"#;

/// Replaces the random ids in a plan with a placeholder.
fn stable(text: &str) -> String {
    let re = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("regex");
    re.replace_all(text, "<uuid>").into_owned()
}

#[test]
fn plan_for_creation() {
    let w = Work::new(CONFIG);
    insta::assert_snapshot!("create", w.run(&["plan"]).ok().stdout);
}

#[test]
fn plan_for_update_replace_and_delete() {
    let w = Work::new(CONFIG);
    w.run(&["apply", "-auto-approve"]).ok();
    let r = w
        .run(&[
            "plan",
            "-var",
            "v=two",
            "-var",
            "trigger=b",
            "-var",
            "keep=false",
            "-var",
            "token=other",
        ])
        .ok();
    insta::assert_snapshot!("update_replace_delete", stable(&r.stdout));
}
