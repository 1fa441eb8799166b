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

/// The lines of the block that starts with `header` (its own line up to its closing brace at
/// the same indentation).
fn block_of(text: &str, header: &str) -> String {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(header));
    let Some(first) = lines.next() else {
        panic!("no `{header}` in:\n{text}");
    };
    let indent = first.len() - first.trim_start().len() + 2;
    let mut out = vec![first];
    for l in lines {
        out.push(l);
        if l.len() - l.trim_start().len() == indent && l.trim() == "}" {
            break;
        }
    }
    out.join("\n")
}

/// Nested blocks of the stack's own types render as blocks (`+ template {`), not as lists of
/// objects; a creation leaves out nulls and empty blocks; an update hides what is unchanged.
#[test]
fn nested_blocks_render_as_blocks() {
    let w = Work::copy_of(&crate::support::root().join("examples/api-gateway-keys"));
    let plan = w.run(&["--emulator", "plan"]).ok().stdout;
    insta::assert_snapshot!(
        "nested_create",
        block_of(&plan, "+ resource \"google_cloud_run_v2_service\"")
    );
    w.run(&["--emulator", "apply", "-auto-approve"]).ok();
    let plan = w
        .run(&["--emulator", "plan", "-var", "image=example.com/hello:v2"])
        .ok()
        .stdout;
    insta::assert_snapshot!("nested_update", block_of(&plan, "~ template {"));
}

/// An OpenAPI document held as base64 is diffed as the text it encodes, with unchanged lines
/// counted; a destroy plan summarises it instead of printing it as one long line.
#[test]
fn base64_documents_diff_as_text_and_are_summarised_when_destroyed() {
    let w = Work::copy_of(&crate::support::root().join("examples/api-gateway-keys"));
    w.run(&["--emulator", "apply", "-auto-approve"]).ok();
    w.edit(
        "openapi.yaml.tftpl",
        "title: ${title}",
        "title: ${title} (v2)",
    );
    let plan = w.run(&["--emulator", "plan"]).ok().stdout;
    insta::assert_snapshot!("base64_document_diff", block_of(&plan, "~ document {"));
    let destroy = w.run(&["--emulator", "plan", "-destroy"]).ok().stdout;
    let line = destroy
        .lines()
        .find(|l| l.contains("- contents"))
        .expect("contents line");
    assert!(
        line.ends_with("= (base64 of 736 bytes of text, not shown) -> null"),
        "{line}"
    );
}

/// "Changes to Outputs" lines up `=` like the outputs after apply, and a blank line parts the
/// plan from the first progress line.
#[test]
fn output_changes_are_aligned_and_progress_starts_after_a_blank_line() {
    let w = Work::new(
        "resource \"terraform_data\" \"a\" { input = \"x\" }\noutput \"short\" { value = 1 }\noutput \"a_much_longer_name\" { value = terraform_data.a.output }\n",
    );
    let out = w.run(&["apply", "-auto-approve"]).ok().stdout;
    assert!(
        out.contains(
            "  + a_much_longer_name = (known after apply)\n  + short              = 1\n\nterraform_data.a: Creating..."
        ),
        "{out}"
    );
}

const POLICY: &str = r#"
variable "actions" {
  type    = list(string)
  default = ["s3:GetObject"]
}
variable "paths" {
  type    = list(string)
  default = ["/items"]
}
resource "terraform_data" "policy" {
  input = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = var.actions
      Resource = "arn:aws:s3:::bucket/*"
    }]
  })
}
resource "terraform_data" "api" {
  input = jsonencode({
    openapi = "3.0.1"
    info    = { title = "items", version = "1" }
    paths   = { for p in var.paths : p => { get = { operationId = trimprefix(p, "/") } } }
  })
}
"#;

/// A string holding a JSON document renders as `jsonencode(...)`, created whole or changed
/// key by key (keys that are not identifiers quoted), as Terraform shows policies and
/// OpenAPI bodies.
#[test]
fn json_documents_render_as_jsonencode() {
    let w = Work::new(POLICY);
    let plan = w.run(&["plan"]).ok().stdout;
    insta::assert_snapshot!(
        "jsonencode_create",
        block_of(&plan, "+ resource \"terraform_data\" \"api\"")
    );
    w.run(&["apply", "-auto-approve"]).ok();
    let plan = w
        .run(&[
            "plan",
            "-var",
            "actions=[\"s3:GetObject\",\"s3:PutObject\"]",
            "-var",
            "paths=[\"/items\",\"/orders\"]",
        ])
        .ok()
        .stdout;
    insta::assert_snapshot!("jsonencode_update", stable(&plan));
}
