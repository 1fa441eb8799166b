//! `dynamic` blocks through the real binary on the emulator: a Cloud Run service whose env
//! comes from a map variable (apply, no drift, an in-place update when the map changes,
//! destroy), nested dynamic blocks with a renamed iterator, ordering after a resource the
//! `for_each` reads, and validation errors at their source.

use std::time::Duration;

use crate::support::{Run, Work};
use keyway::emulator::{Emulator, Options};

async fn emulator() -> Emulator {
    Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: Duration::from_millis(5),
    })
    .await
    .expect("emulator")
}

fn run(w: &Work, emu: &Emulator, args: &[&str]) -> Run {
    let out = w
        .command(args)
        .env("KEYWAY_EMULATOR", emu.base_url())
        .output()
        .expect("run keyway");
    Run::from(out)
}

/// A Cloud Run service whose containers' `env` blocks are `extra` then `var.env`'s entries.
fn env_service(env: &str) -> String {
    format!(
        r#"
provider "google" {{
  project = "keyway-demo"
  region  = "us-central1"
}}

variable "env" {{
  type    = map(string)
  default = {env}
}}

resource "google_project_service" "run" {{
  service = "run.googleapis.com"
}}

resource "google_cloud_run_v2_service" "app" {{
  name                = "app"
  location            = "us-central1"
  deletion_protection = false
  template {{
    containers {{
      image = "gcr.io/p/app:v1"
      env {{
        name  = "STATIC"
        value = "first"
      }}
      dynamic "env" {{
        for_each = var.env
        content {{
          name  = env.key
          value = env.value
        }}
      }}
    }}
  }}
  depends_on = [google_project_service.run]
}}
"#
    )
}

/// The `env` blocks of the first container in state, as `NAME=value`.
fn env_in_state(w: &Work) -> Vec<String> {
    let state = w.state_json();
    let text = state.to_string();
    let at = text
        .find("google_cloud_run_v2_service")
        .expect("service in state");
    let mut out = Vec::new();
    let mut rest = &text[at..];
    while let Some(i) = rest.find(r#""name":""#) {
        rest = &rest[i + 8..];
        let name = &rest[..rest.find('"').expect("end")];
        let Some(v) = rest.find(r#""value":""#) else {
            break;
        };
        let value = &rest[v + 9..];
        let value = &value[..value.find('"').expect("end")];
        if name.chars().all(|c| c.is_ascii_uppercase()) {
            out.push(format!("{name}={value}"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn env_from_a_map_applies_replans_clean_updates_in_place_and_destroys() {
    let emu = emulator().await;
    let w = Work::new(&env_service(r#"{ B = "2", A = "1" }"#));
    run(&w, &emu, &["validate"]).ok();
    let plan = run(&w, &emu, &["plan"]).ok();
    assert!(plan.stdout.contains(r#"name  = "A""#), "{}", plan.stdout);
    run(&w, &emu, &["apply", "-auto-approve"]).ok();
    assert_eq!(env_in_state(&w), ["STATIC=first", "A=1", "B=2"]);
    run(&w, &emu, &["plan", "-detailed-exitcode"]).code(0);

    w.write("main.tf", &env_service(r#"{ A = "1", B = "two" }"#));
    let plan = run(&w, &emu, &["plan", "-detailed-exitcode"]).code(2);
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains(r#""2" -> "two""#), "{}", plan.stdout);
    run(&w, &emu, &["apply", "-auto-approve"]).ok();
    assert_eq!(env_in_state(&w), ["STATIC=first", "A=1", "B=two"]);
    run(&w, &emu, &["plan", "-detailed-exitcode"]).code(0);

    run(&w, &emu, &["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&w, &emu, &["state", "list"]).ok().stdout, "");
    emu.shutdown().await;
}

const NESTED: &str = r#"
provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}

variable "containers" {
  default = [
    { image = "gcr.io/p/app:v1", env = { MODE = "api", LEVEL = "debug" } },
  ]
}

resource "google_project_service" "run" {
  service = "run.googleapis.com"
}

resource "google_project_service" "iam" {
  service = "iam.googleapis.com"
}

resource "google_service_account" "runner" {
  account_id = "runner"
}

resource "google_cloud_run_v2_service" "app" {
  name                = "app"
  location            = "us-central1"
  deletion_protection = false
  template {
    dynamic "containers" {
      for_each = var.containers
      iterator = c
      content {
        image = c.value.image
        dynamic "env" {
          for_each = merge(c.value.env, { RUNNER = google_service_account.runner.email })
          content {
            name  = env.key
            value = env.value
          }
        }
      }
    }
  }
  depends_on = [google_project_service.run]
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn nested_dynamic_blocks_with_a_renamed_iterator_wait_for_what_they_read() {
    let emu = emulator().await;
    let w = Work::new(NESTED);
    run(&w, &emu, &["validate"]).ok();
    run(&w, &emu, &["apply", "-auto-approve"]).ok();
    let email = "runner@keyway-demo.iam.gserviceaccount.com";
    assert_eq!(
        env_in_state(&w),
        ["LEVEL=debug", "MODE=api", &format!("RUNNER={email}")]
    );
    run(&w, &emu, &["plan", "-detailed-exitcode"]).code(0);
    run(&w, &emu, &["destroy", "-auto-approve"]).ok();
    emu.shutdown().await;
}

/// `keyway validate` on `main.tf` = the service with `containers` replaced by `containers`.
fn validate_errors(containers: &str) -> (String, String) {
    let text = format!(
        r#"
resource "google_cloud_run_v2_service" "app" {{
  name     = "app"
  location = "us-central1"
  template {{
    containers {{
      image = "gcr.io/p/app:v1"
{containers}
    }}
  }}
}}
"#
    );
    let w = Work::new(&text);
    let out = w.run(&["validate"]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    (text, format!("{}{}", out.stdout, out.stderr))
}

#[test]
fn validate_reports_unknown_arguments_in_content_and_unknown_block_types_at_their_source() {
    let (_, err) = validate_errors(
        r#"      dynamic "env" {
        for_each = { A = "1" }
        content {
          nmae = env.key
        }
      }"#,
    );
    assert!(
        err.contains("An argument named `nmae` is not expected"),
        "{err}"
    );
    assert!(err.contains("did you mean `name`?"), "{err}");
    assert!(err.contains("main.tf:11:"), "{err}");

    let (_, err) = validate_errors(
        r#"      dynamic "evn" {
        for_each = { A = "1" }
        content {
          name = evn.key
        }
      }"#,
    );
    assert!(
        err.contains("Blocks of type `evn` are not expected"),
        "{err}"
    );
    assert!(err.contains("did you mean `env`?"), "{err}");
    assert!(err.contains("main.tf:8:"), "{err}");
    assert!(
        !err.contains("undeclared"),
        "the iterator is declared: {err}"
    );
}

#[test]
fn validate_reports_iterator_misuse_and_malformed_dynamic_blocks() {
    let (_, err) = validate_errors(
        r#"      dynamic "env" {
        for_each = { A = "1" }
        iterator = e
        content {
          name  = e.name
          value = env.value
        }
      }"#,
    );
    assert!(
        err.contains("The iterator `e` has no attribute `name`"),
        "{err}"
    );
    assert!(
        err.contains("Unknown name `env`") || err.contains("undeclared resource `env.value`"),
        "{err}"
    );

    let (_, err) = validate_errors(
        r#"      dynamic "env" {
        content {
          name = env.key
        }
      }"#,
    );
    assert!(
        err.contains("A `dynamic` block needs a `for_each` argument"),
        "{err}"
    );
}

#[test]
fn a_for_each_that_is_not_a_collection_fails_the_plan_at_its_source() {
    let w = Work::new(
        r#"
variable "env" {
  default = "A=1"
}

resource "google_cloud_run_v2_service" "app" {
  name     = "app"
  location = "us-central1"
  template {
    containers {
      image = "gcr.io/p/app:v1"
      dynamic "env" {
        for_each = var.env
        content {
          name = env.key
        }
      }
    }
  }
}
"#,
    );
    // A token, so that the plan gets past the credentials check without any request.
    let out = Run::from(
        w.command(&["plan", "-refresh=false"])
            .env("GOOGLE_OAUTH_ACCESS_TOKEN", "test-token")
            .output()
            .expect("run keyway"),
    );
    assert_ne!(out.code, 0, "{}", out.stdout);
    let err = format!("{}{}", out.stdout, out.stderr);
    assert!(
        err.contains("Invalid dynamic for_each value: Cannot use a string value in for_each"),
        "{err}"
    );
    assert!(err.contains("main.tf:13:"), "{err}");
}
