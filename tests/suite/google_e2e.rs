//! The Google provider end to end: the real binary applies `examples/google-project-basics`
//! against keyway's emulator (started here, reached through `KEYWAY_EMULATOR`), re-plans with
//! no changes at the cost of a handful of list calls, and destroys without disabling services.

use std::collections::BTreeMap;

use crate::support::{root, Work};
use keyway::emulator::{Emulator, Options};

fn methods(emu: &Emulator, from: usize) -> Vec<String> {
    emu.request_log()
        .into_iter()
        .skip(from)
        .map(|r| r.method)
        .collect()
}

fn count(list: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for x in list {
        *m.entry(x.clone()).or_insert(0) += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread")]
async fn project_basics_apply_replan_destroy_on_the_emulator() {
    let emu = Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(20),
    })
    .await
    .expect("emulator");
    let w = Work::copy_of(&root().join("examples/google-project-basics"));
    let run = |args: &[&str]| {
        let out = w
            .command(args)
            .env("KEYWAY_EMULATOR", emu.base_url())
            .output()
            .expect("run keyway");
        crate::support::Run::from(out)
    };

    let apply = run(&["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Apply complete! Resources: 6 added"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("gateway_account = \"api-gateway@keyway-demo.iam.gserviceaccount.com\""),
        "{}",
        apply.stdout
    );

    let before = emu.request_log().len();
    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    let refresh = methods(&emu, before);
    let per_method = count(&refresh);
    // One list per collection and one policy read per project, not one read per resource.
    assert!(
        refresh.len() <= 5,
        "a no-change plan sent {} requests: {per_method:?}",
        refresh.len()
    );
    assert!(
        !per_method.contains_key("serviceusage.services.get"),
        "{per_method:?}"
    );

    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");
    let url = format!(
        "{}/v1/projects/keyway-demo/services/iam.googleapis.com",
        emu.base_url()
    );
    let body: serde_json::Value = reqwest::get(&url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["state"], "ENABLED",
        "destroy must not disable services unless asked: {body}"
    );
    let sa = format!("{}/v1/projects/keyway-demo/serviceAccounts/api-gateway@keyway-demo.iam.gserviceaccount.com", emu.base_url());
    assert_eq!(reqwest::get(&sa).await.expect("get").status().as_u16(), 404);
    emu.shutdown().await;
}

#[test]
fn no_credentials_and_no_emulator_is_a_clear_error() {
    let w = Work::copy_of(&root().join("examples/google-project-basics"));
    let out = w
        .command(&["plan"])
        .env_remove("KEYWAY_EMULATOR")
        .env(
            "GOOGLE_APPLICATION_CREDENTIALS",
            w.path().join("missing.json"),
        )
        .env("HOME", w.path())
        .env("NO_GCE_CHECK", "true")
        .output()
        .expect("run");
    let r = crate::support::Run::from(out);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("--emulator") || r.stderr.contains("credentials"),
        "{}",
        r.stderr
    );
}

/// Without credentials, `plan` of a Google folder stops before planning with one clear error
/// and its help. HOME is an empty folder (no gcloud ADC file) and GOOGLE_APPLICATION_CREDENTIALS
/// names a missing file in it, so gcp_auth fails at once, before any network access (it would
/// otherwise probe the metadata server); PATH holds no `gcloud`.
#[test]
fn plan_without_credentials_fails_once_before_planning() {
    let w = Work::copy_of(&root().join("tests/fixtures/google-apikeys"));
    let home = tempfile::tempdir().expect("temp dir");
    let mut cmd = w.command(&["plan"]);
    for (k, _) in std::env::vars() {
        if k.starts_with("GOOGLE_") || k.starts_with("CLOUDSDK_") || k == "KEYWAY_EMULATOR" {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home.path())
        .env("PATH", home.path())
        .env(
            "GOOGLE_APPLICATION_CREDENTIALS",
            home.path().join("missing-key.json"),
        )
        .env("GOOGLE_CLOUD_PROJECT", "keyway-demo");
    let started = std::time::Instant::now();
    let run = crate::support::Run::from(cmd.output().expect("run keyway")).code(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(
        all.matches("no Google credentials found").count(),
        1,
        "{all}"
    );
    assert_eq!(
        all.matches("gcloud auth application-default login").count(),
        1,
        "{all}"
    );
    assert!(all.contains("GOOGLE_APPLICATION_CREDENTIALS"), "{all}");
    assert!(all.contains("--emulator"), "{all}");
    assert!(!all.contains("will be created"), "no plan is shown: {all}");
}

/// Services, a service account and a key declared side by side with no `depends_on`: each
/// waits for the enablement of the API it calls (read through a local and a `for_each`), so
/// the first apply succeeds on the embedded emulator, which refuses calls to disabled APIs.
#[test]
fn resources_wait_for_the_enablement_of_their_api_without_depends_on() {
    let w = Work::new(
        r#"
variable "project" {
  default = "order-demo"
}

locals {
  apis = ["iam.googleapis.com", "apikeys.googleapis.com"]
}

resource "google_project_service" "apis" {
  for_each           = toset(local.apis)
  project            = var.project
  service            = each.value
  disable_on_destroy = false
}

resource "google_service_account" "sa" {
  project    = var.project
  account_id = "order-sa"
}

resource "google_apikeys_key" "key" {
  project = var.project
  name    = "order-key"
}
"#,
    );
    let graph = w.run(&["graph"]).ok().stdout;
    assert!(
        graph.contains("\"google_service_account.sa\" -> \"google_project_service.apis\"")
            || graph.contains("\"google_project_service.apis\" -> \"google_service_account.sa\""),
        "{graph}"
    );
    w.run(&["--emulator", "apply", "-auto-approve"]).ok();
    w.run(&["--emulator", "plan", "-detailed-exitcode"]).code(0);
    w.run(&["--emulator", "destroy", "-auto-approve"]).ok();
}

/// A user must never be unsure whether they touched real Google: the plan's first line and
/// the apply summary name the embedded emulator, or the address `KEYWAY_EMULATOR` gave.
#[tokio::test(flavor = "multi_thread")]
async fn plans_and_applies_say_which_emulator_they_talk_to() {
    let w = Work::copy_of(&root().join("examples/google-project-basics"));
    let embedded = w.run(&["--emulator", "plan"]).ok().stdout;
    assert!(
        embedded
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("Google Cloud here is keyway's embedded emulator")),
        "{embedded}"
    );
    let applied = w.run(&["--emulator", "apply", "-auto-approve"]).ok().stdout;
    assert!(
        applied.contains("(Applied to keyway's embedded emulator, its cloud saved in .keyway/emulator.json, not to Google Cloud.)"),
        "{applied}"
    );

    let emu = Emulator::start(Options::default()).await.expect("emulator");
    let other = Work::copy_of(&root().join("examples/google-project-basics"));
    let out = other
        .command(&["plan"])
        .env("KEYWAY_EMULATOR", emu.base_url())
        .output()
        .expect("run keyway");
    let plan = crate::support::Run::from(out).ok().stdout;
    let first = plan.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "Google Cloud here is the keyway emulator at {}.",
            emu.base_url()
        ),
        "{plan}"
    );
    emu.shutdown().await;
}
