//! Every generated Google type through its whole life on the emulator, from data: each folder
//! of `tests/google_types/` holds `main.tf` (created, then re-planned clean), `update.tf` (an
//! in-place change), `replace.tf` (a change that forces replacement) and `expect.txt` (what
//! those plans must say, and the IDs that import the objects back after `state rm` with a
//! clean plan after). Each case ends with destroy, and prints the requests its no-change
//! refresh cost.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{root, Run, Work};
use keyway::emulator::{Emulator, Options};

/// A case's `expect.txt`: `step: summary` lines and `import: ADDR ID` lines.
struct Expect {
    summaries: BTreeMap<String, String>,
    imports: Vec<(String, String)>,
}

fn expect_of(dir: &Path) -> Expect {
    let text = std::fs::read_to_string(dir.join("expect.txt")).expect("expect.txt");
    let mut e = Expect {
        summaries: BTreeMap::new(),
        imports: Vec::new(),
    };
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (key, rest) = line.split_once(':').expect("`key: value` lines");
        let rest = rest.trim();
        if key == "import" {
            let (addr, id) = rest.split_once(' ').expect("import: ADDR ID");
            e.imports.push((addr.to_owned(), id.to_owned()));
        } else {
            e.summaries.insert(key.to_owned(), rest.to_owned());
        }
    }
    e
}

async fn emulator() -> Emulator {
    Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(5),
    })
    .await
    .expect("emulator")
}

fn requests(emu: &Emulator) -> u64 {
    emu.counters().values().sum()
}

async fn run_case(name: &str) {
    let dir = root().join("tests/google_types").join(name);
    let expect = expect_of(&dir);
    let emu = emulator().await;
    let base = emu.base_url();
    let w = Work::new("");
    std::fs::copy(dir.join("main.tf"), w.path().join("main.tf")).expect("copy main.tf");
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    let clean = |step: &str| {
        let r = run(&["plan", "-detailed-exitcode"]);
        assert_eq!(
            r.code, 0,
            "{name}: plan after {step} is not clean\n{}\n{}",
            r.stdout, r.stderr
        );
    };
    run(&["apply", "-auto-approve"]).ok();
    let before = requests(&emu);
    clean("create");
    let refresh_cost = requests(&emu) - before;
    for step in ["update", "replace"] {
        let Some(want) = expect.summaries.get(step) else {
            continue;
        };
        std::fs::copy(dir.join(format!("{step}.tf")), w.path().join("main.tf")).expect("copy");
        let plan = run(&["plan"]).ok();
        assert!(
            plan.stdout.contains(&format!("Plan: {want}.")),
            "{name}: {step} plan should say {want}\n{}",
            plan.stdout
        );
        run(&["apply", "-auto-approve"]).ok();
        clean(step);
    }
    for (addr, id) in &expect.imports {
        run(&["state", "rm", addr]).ok();
        run(&["import", addr, id]).ok();
    }
    clean("import");
    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(
        run(&["state", "list"]).ok().stdout,
        "",
        "{name}: destroy left state"
    );
    println!("{name}: no-change refresh cost {refresh_cost} requests");
    emu.shutdown().await;
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                run_case(stringify!($name)).await;
            }
        )*
    };
}

cases!(
    artifact_registry_repository,
    cloud_run_service,
    cloud_run_v2_job,
    cloud_scheduler_job,
    cloud_tasks_queue,
    compute_network,
    compute_subnetwork,
    eventarc_trigger,
    firestore_database,
    iam_bindings,
    iap,
    pubsub,
    pubsub_subscription,
    secret_manager_secret,
    secret_version,
    service_account_iam,
    service_account_key,
    sql,
    sql_private_ip,
    storage_bucket,
    vpc_access_connector,
);

/// Every folder of tests/google_types has its test above.
#[test]
fn every_case_folder_is_run() {
    let mut folders: Vec<String> = std::fs::read_dir(root().join("tests/google_types"))
        .expect("cases")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let listed = [
        "artifact_registry_repository",
        "cloud_run_service",
        "cloud_run_v2_job",
        "cloud_scheduler_job",
        "cloud_tasks_queue",
        "compute_network",
        "compute_subnetwork",
        "eventarc_trigger",
        "firestore_database",
        "iam_bindings",
        "iap",
        "pubsub",
        "pubsub_subscription",
        "secret_manager_secret",
        "secret_version",
        "service_account_iam",
        "service_account_key",
        "sql",
        "sql_private_ip",
        "storage_bucket",
        "vpc_access_connector",
    ];
    assert_eq!(folders, listed);
}

/// The committed generated types are what the generator writes from the vendored documents
/// and the overlay.
#[test]
fn generated_types_are_current() {
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/generate-google"))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// examples/api-gateway-secrets: the API behind the gateway, its backend reading a generated
/// password from Secret Manager through its own identity, its image in Artifact Registry, and a
/// Cloud Scheduler job calling it with a key in a header: applied, re-planned clean, checked on
/// the emulator's side, and destroyed.
#[tokio::test(flavor = "multi_thread")]
async fn secrets_example_applies_and_destroys() {
    let emu = emulator().await;
    let base = emu.base_url();
    let w = Work::copy_of(&root().join("examples/api-gateway-secrets"));
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    let applied = run(&["apply", "-auto-approve"]).ok().stdout;
    assert!(
        applied.contains("Apply complete! Resources: 24 added"),
        "{applied}"
    );
    run(&["plan", "-detailed-exitcode"]).ok();

    let get = |path: String| {
        let url = format!("{base}/{path}");
        async move {
            reqwest::get(url)
                .await
                .expect("get")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    // The secret holds the password keyway generated, which no output printed.
    let state = w.state_json();
    let password = state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "random_password.db"))
        .and_then(|r| r["attributes"]["result"].as_str())
        .expect("password in state")
        .to_owned();
    assert!(
        !applied.contains(&password),
        "the password is never printed"
    );
    let access =
        get("v1/projects/keyway-demo/secrets/hello-db-password/versions/latest:access".into())
            .await;
    let data = access["payload"]["data"].as_str().expect("payload");
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    assert_eq!(String::from_utf8_lossy(&decoded), password);
    // The job calls the gateway with the key in its header.
    let job =
        get("v1/projects/keyway-demo/locations/us-central1/jobs/hello-every-morning".into()).await;
    let key = run(&["output", "-raw", "gateway_url"]).ok().stdout;
    assert!(
        job["httpTarget"]["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with(&key)),
        "{job}"
    );
    assert!(
        job["httpTarget"]["headers"]["x-api-key"]
            .as_str()
            .is_some_and(|k| k.starts_with("AIza")),
        "{job}"
    );

    let destroyed = run(&["destroy", "-auto-approve"]).ok().stdout;
    assert!(
        destroyed.contains("Resources: 24 destroyed."),
        "{destroyed}"
    );
    let repos = get("v1/projects/keyway-demo/locations/us-central1/repositories".into()).await;
    assert!(repos.get("repositories").is_none(), "{repos}");
    emu.shutdown().await;
}

/// `data "google_secret_manager_secret_version"` reads a payload (the latest version by
/// default), sensitive, through the same generic read.
#[tokio::test(flavor = "multi_thread")]
async fn a_secret_payload_is_read_by_a_data_source() {
    let emu = emulator().await;
    let base = emu.base_url();
    let w = Work::new(
        r#"
provider "google" {
  project = "keyway-demo"
}

resource "google_project_service" "secretmanager" {
  service = "secretmanager.googleapis.com"
}

resource "google_secret_manager_secret" "s" {
  secret_id = "token"
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "v" {
  secret      = google_secret_manager_secret.s.id
  secret_data = "s3cr3t-value"
}

data "google_secret_manager_secret_version" "latest" {
  secret     = google_secret_manager_secret.s.secret_id
  depends_on = [google_secret_manager_secret_version.v]
}

output "token" {
  value     = data.google_secret_manager_secret_version.latest.secret_data
  sensitive = true
}
"#,
    );
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    let applied = run(&["apply", "-auto-approve"]).ok().stdout;
    assert!(!applied.contains("s3cr3t-value"), "{applied}");
    assert_eq!(
        run(&["output", "-raw", "token"]).ok().stdout,
        "s3cr3t-value"
    );
    let plan = run(&["plan", "-detailed-exitcode"]).ok().stdout;
    assert!(!plan.contains("s3cr3t-value"), "{plan}");
    run(&["destroy", "-auto-approve"]).ok();
    emu.shutdown().await;
}

/// A service account key's private key comes only with the create answer: state keeps it
/// (reads never show it), no output prints it, and a `keepers` change rotates the key: a
/// new private key, the old key deleted.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_account_key_keeps_its_private_key_and_rotates() {
    let emu = emulator().await;
    let base = emu.base_url();
    let case = root().join("tests/google_types/service_account_key");
    let w = Work::new(&std::fs::read_to_string(case.join("main.tf")).expect("main.tf"));
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    let private_key = |w: &Work| {
        w.state_json()["resources"]
            .as_array()
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r["address"] == "google_service_account_key.ci")
            })
            .and_then(|r| r["attributes"]["private_key"].as_str())
            .map(str::to_owned)
            .expect("private key in state")
    };
    let applied = run(&["apply", "-auto-approve"]).ok().stdout;
    let first = private_key(&w);
    assert!(!applied.contains(&first), "{applied}");
    let file: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &first)
            .expect("base64"),
    )
    .expect("a credentials file");
    assert_eq!(
        file["client_email"],
        "ci-deployer@keyway-demo.iam.gserviceaccount.com"
    );
    run(&["plan", "-detailed-exitcode"]).code(0);
    assert_eq!(private_key(&w), first, "a refresh keeps the private key");

    std::fs::copy(case.join("replace.tf"), w.path().join("main.tf")).expect("copy");
    run(&["apply", "-auto-approve"]).ok();
    let second = private_key(&w);
    assert_ne!(second, first, "rotation makes a new key");
    let keys: serde_json::Value = reqwest::get(format!(
        "{base}/v1/projects/keyway-demo/serviceAccounts/ci-deployer@keyway-demo.iam.gserviceaccount.com/keys"
    ))
    .await
    .expect("list")
    .json()
    .await
    .expect("json");
    assert_eq!(keys["keys"].as_array().map(Vec::len), Some(1), "{keys}");
}

/// A Firestore database left to its default `deletion_policy` (`ABANDON`, Terraform's) is
/// forgotten by destroy and stays in the cloud; with `DELETE` it goes (the case folder).
#[tokio::test(flavor = "multi_thread")]
async fn a_firestore_database_is_abandoned_by_default() {
    let emu = emulator().await;
    let base = emu.base_url();
    let case = root().join("tests/google_types/firestore_database/main.tf");
    let text = std::fs::read_to_string(case).expect("main.tf");
    let w = Work::new(&text.replace("  deletion_policy                   = \"DELETE\"\n", ""));
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    run(&["apply", "-auto-approve"]).ok();
    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");
    let db = reqwest::get(format!("{base}/v1/projects/keyway-demo/databases/app-data"))
        .await
        .expect("get");
    assert_eq!(db.status(), 200, "an abandoned database stays");
}

/// Cloud SQL as Terraform's users meet it: an instance is protected by default (destroy
/// refuses and keeps it in state until `deletion_protection = false` is applied), and a
/// deleted instance's name cannot be used again for a week, so re-creating it under the same
/// name fails with Google's message instead of appearing to work.
#[tokio::test(flavor = "multi_thread")]
async fn sql_instance_protection_and_name_reuse() {
    let emu = emulator().await;
    let main =
        std::fs::read_to_string(root().join("tests/google_types/sql/main.tf")).expect("sql case");
    let protected = main.replace("  deletion_protection = false\n", "");
    assert_ne!(protected, main, "the case sets deletion_protection");
    let w = Work::new(&protected);
    w.on(&emu, &["apply", "-auto-approve"]).ok();
    let refused = w.on(&emu, &["destroy", "-auto-approve"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(
        refused.stdout.contains("while deletion_protection is true"),
        "{}",
        refused.stdout
    );
    let left = w.on(&emu, &["state", "list"]).ok().stdout;
    assert!(left.contains("google_sql_database_instance.db"), "{left}");

    w.write("main.tf", &main);
    w.on(&emu, &["apply", "-auto-approve"]).ok();
    w.on(&emu, &["destroy", "-auto-approve"]).ok();
    let again = w.on(&emu, &["apply", "-auto-approve"]);
    assert_ne!(again.code, 0, "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains("you can't reuse the name of the deleted instance until one week"),
        "{}",
        again.stdout
    );
    emu.shutdown().await;
}

/// Data sources generated from the resource types (`data = [...]` in the overlay) read what
/// the resources made, all attributes included (labels Google keeps beside the configured
/// ones, nested blocks, derived addresses), and re-plan clean.
#[tokio::test(flavor = "multi_thread")]
async fn generated_data_sources_read_objects() {
    let emu = emulator().await;
    let w = Work::new(
        r#"
provider "google" {
  project = "keyway-demo"
  region  = "us-central1"
}
resource "google_project_service" "apis" {
  for_each = toset(["secretmanager.googleapis.com", "sqladmin.googleapis.com", "pubsub.googleapis.com", "iam.googleapis.com"])
  service  = each.value
}
resource "google_secret_manager_secret" "s" {
  secret_id = "db-password"
  labels    = { team = "api" }
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}
resource "google_sql_database_instance" "db" {
  name                = "app-db"
  database_version    = "MYSQL_8_0"
  deletion_protection = false
  settings {
    tier = "db-f1-micro"
  }
  depends_on = [google_project_service.apis]
}
resource "google_pubsub_topic" "t" {
  name       = "events"
  depends_on = [google_project_service.apis]
}
data "google_secret_manager_secret" "s" {
  secret_id = google_secret_manager_secret.s.secret_id
}
data "google_sql_database_instance" "db" {
  name = google_sql_database_instance.db.name
}
data "google_sql_database" "mysql" {
  name     = "mysql"
  instance = google_sql_database_instance.db.name
}
data "google_pubsub_topic" "t" {
  name = google_pubsub_topic.t.name
}
resource "google_service_account" "sa" {
  account_id = "reader"
  depends_on = [google_project_service.apis]
}
data "google_service_account" "by_id" {
  account_id = google_service_account.sa.account_id
}
data "google_service_account" "by_email" {
  account_id = google_service_account.sa.email
}
output "sa" {
  value = "${data.google_service_account.by_id.email} ${data.google_service_account.by_email.member}"
}
output "secret" {
  value = "${data.google_secret_manager_secret.s.name} ${data.google_secret_manager_secret.s.labels.team}"
}
output "db" {
  value = "${data.google_sql_database_instance.db.connection_name} ${data.google_sql_database_instance.db.settings[0].tier} ${data.google_sql_database_instance.db.public_ip_address == google_sql_database_instance.db.public_ip_address}"
}
output "charset" {
  value = data.google_sql_database.mysql.charset
}
output "topic" {
  value = data.google_pubsub_topic.t.id
}
"#,
    );
    let out = w.on(&emu, &["apply", "-auto-approve"]).ok().stdout;
    for want in [
        r#""projects/keyway-demo/secrets/db-password api""#,
        r#""keyway-demo:us-central1:app-db db-f1-micro true""#,
        r#"charset = "utf8mb4""#,
        r#"topic   = "projects/keyway-demo/topics/events""#,
        r#""reader@keyway-demo.iam.gserviceaccount.com serviceAccount:reader@keyway-demo.iam.gserviceaccount.com""#,
    ] {
        assert!(out.contains(want), "missing {want}\n{out}");
    }
    w.on(&emu, &["plan", "-detailed-exitcode"]).ok();
    w.write(
        "more.tf",
        "data \"google_pubsub_topic\" \"gone\" {\n  name = \"nope\"\n}\n",
    );
    let gone = w.on(&emu, &["plan"]);
    assert_ne!(gone.code, 0);
    assert!(gone.stderr.contains("no such object"), "{}", gone.stderr);
    emu.shutdown().await;
}

/// An IAP brand cannot be deleted through the API: the destroy plan says it is only removed
/// from state, and after destroy the brand is still there (a second one in the project would
/// be refused); the client's secret is in state but never printed.
#[tokio::test(flavor = "multi_thread")]
async fn an_iap_brand_is_only_forgotten() {
    let emu = emulator().await;
    let base = emu.base_url();
    let main = std::fs::read_to_string(root().join("tests/google_types/iap/main.tf")).expect("iap");
    let w = Work::new(&main);
    let applied = w.on(&emu, &["apply", "-auto-approve"]).ok().stdout;
    let state = w.state_json();
    let secret = state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "google_iap_client.web"))
        .and_then(|r| r["attributes"]["secret"].as_str())
        .expect("secret in state")
        .to_owned();
    assert!(
        !secret.is_empty() && !applied.contains(&secret),
        "{applied}"
    );
    let plan = w.on(&emu, &["plan", "-destroy"]).ok().stdout;
    assert!(!plan.contains(&secret), "{plan}");
    assert!(
        plan.contains(
            "google_iap_brand.consent will be destroyed\n  # (the API cannot delete it: it is only removed from state"
        ),
        "{plan}"
    );
    w.on(&emu, &["destroy", "-auto-approve"]).ok();
    assert_eq!(w.on(&emu, &["state", "list"]).ok().stdout, "");
    let brands: serde_json::Value = reqwest::get(format!("{base}/v1/projects/keyway-demo/brands"))
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(
        brands["brands"].as_array().map(Vec::len),
        Some(1),
        "{brands}"
    );
    // Applying again asks for a second brand, which Google refuses.
    let again = w.on(&emu, &["apply", "-auto-approve"]);
    assert_ne!(again.code, 0, "{}", again.stdout);
    assert!(again.stdout.contains("already exists"), "{}", again.stdout);
    emu.shutdown().await;
}
