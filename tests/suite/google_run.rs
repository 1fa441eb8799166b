//! Cloud Run through the Google provider, offline against the in-process emulator:
//! `google_cloud_run_v2_service` create → refresh without drift → update (new revision) →
//! deletion protection → delete, `google_cloud_run_v2_service_iam_member` grants, the request
//! counts of refresh, and the real binary on `tests/fixtures/google-run`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::{root, Work};
use keyway::config::IgnoreChanges;
use keyway::emulator::{Emulator, Options};
use keyway::lang::Value;
use keyway::plan::diff::{diff, DiffInput};
use keyway::plan::Action;
use keyway::providers::google::{Endpoint, Google, Settings};
use keyway::providers::Provider;
use serde_json::{json, Value as Json};

const SVC: &str = "google_cloud_run_v2_service";
const IAM: &str = "google_cloud_run_v2_service_iam_member";

async fn emulator() -> Emulator {
    Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        // Long enough that services are seen reconciling and operations must be polled.
        operation_delay: Duration::from_millis(30),
    })
    .await
    .expect("emulator")
}

/// A provider pointed at the emulator, with Cloud Run enabled in the project.
async fn provider(emu: &Emulator) -> Google {
    let g = Google::new(Settings {
        project: Some("keyway-demo".into()),
        region: Some("us-central1".into()),
        endpoint: Endpoint::Emulator(emu.base_url()),
        ..Settings::default()
    })
    .expect("provider");
    for service in ["run.googleapis.com", "iam.googleapis.com"] {
        g.create(
            "google_project_service",
            &Value::from_json(&json!({"service": service})),
        )
        .await
        .expect("enable");
    }
    g
}

/// What the engine would plan for `config` against `prior`.
fn plan(ty: &str, config: &Json, prior: Option<&Value>) -> (Action, Value) {
    let schema = keyway::schema::lookup(ty).expect("schema");
    let out = diff(DiffInput {
        schema,
        prior,
        config: Value::from_json(config),
        ignore: &IgnoreChanges::None,
        forced: Vec::new(),
    });
    (out.action, out.planned)
}

fn methods_since(emu: &Emulator, from: usize) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in emu.request_log().into_iter().skip(from) {
        *m.entry(r.method).or_insert(0) += 1;
    }
    m
}

fn service_config(name: &str, image: &str, env: &str, protect: Option<bool>) -> Json {
    let mut c = json!({
        "name": name,
        "location": "us-central1",
        "labels": {"team": "api"},
        "template": [{
            "containers": [{
                "image": image,
                "env": [{"name": "GREETING", "value": env}],
            }],
        }],
    });
    if let Some(p) = protect {
        c["deletion_protection"] = json!(p);
    }
    c
}

fn attr(v: &Value, path: &str) -> Json {
    v.to_json().pointer(path).cloned().unwrap_or(Json::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn service_create_refresh_update_protect_delete() {
    let emu = emulator().await;
    let g = provider(&emu).await;
    let image = "us-docker.pkg.dev/cloudrun/container/hello";

    // Create.
    let config = service_config("hello", image, "hi", None);
    let (action, planned) = plan(SVC, &config, None);
    assert_eq!(action, Action::Create);
    let created = g.create(SVC, &planned).await.expect("create");
    assert_eq!(attr(&created, "/reconciling"), json!(false));
    assert_eq!(attr(&created, "/generation"), json!("1"));
    assert_eq!(
        attr(&created, "/terminal_condition/0/state"),
        json!("CONDITION_SUCCEEDED")
    );
    let uri = attr(&created, "/uri");
    assert!(
        uri.as_str().is_some_and(|u| u.starts_with("https://")),
        "{uri}"
    );
    assert_eq!(
        attr(&created, "/id"),
        json!("projects/keyway-demo/locations/us-central1/services/hello")
    );
    // Server-filled defaults are recorded...
    assert_eq!(attr(&created, "/ingress"), json!("INGRESS_TRAFFIC_ALL"));
    assert_eq!(attr(&created, "/template/0/timeout"), json!("300s"));
    assert_eq!(
        attr(&created, "/template/0/max_instance_request_concurrency"),
        json!(80)
    );
    assert!(attr(&created, "/template/0/service_account")
        .as_str()
        .is_some_and(|s| s.ends_with("-compute@developer.gserviceaccount.com")));

    // ...and refresh reads the same object, with one list call, and plans no change.
    let before = emu.request_log().len();
    let refreshed = g
        .refresh(SVC, std::slice::from_ref(&created))
        .await
        .expect("refresh");
    assert_eq!(
        methods_since(&emu, before),
        BTreeMap::from([("run.projects.locations.services.list".to_string(), 1)])
    );
    let refreshed = refreshed.into_iter().next().flatten().expect("exists");
    assert_eq!(refreshed, created);
    let (action, _) = plan(SVC, &config, Some(&refreshed));
    assert_eq!(action, Action::NoOp);

    // Deletion protection defaults to on: destroy refuses and the service stays.
    let err = g.delete(SVC, &refreshed).await.expect_err("protected");
    assert!(err.message.contains("deletion_protection"), "{err}");
    let still = g
        .refresh(SVC, std::slice::from_ref(&refreshed))
        .await
        .expect("refresh");
    assert!(still[0].is_some());

    // Update the image and the environment, and turn protection off: a new revision.
    let config2 = service_config("hello", &format!("{image}:v2"), "hello", Some(false));
    let (action, planned) = plan(SVC, &config2, Some(&refreshed));
    assert_eq!(action, Action::Update);
    let updated = g.update(SVC, &refreshed, &planned).await.expect("update");
    assert_eq!(attr(&updated, "/generation"), json!("2"));
    assert_eq!(attr(&updated, "/uri"), uri, "the URL survives updates");
    assert_ne!(
        attr(&updated, "/latest_ready_revision"),
        attr(&created, "/latest_ready_revision")
    );
    assert_eq!(
        attr(&updated, "/template/0/containers/0/env/0/value"),
        json!("hello")
    );
    let refreshed = g
        .refresh(SVC, std::slice::from_ref(&updated))
        .await
        .expect("refresh")
        .remove(0)
        .expect("exists");
    assert_eq!(plan(SVC, &config2, Some(&refreshed)).0, Action::NoOp);

    // A change of deletion_protection alone sends nothing to Cloud Run.
    let config3 = service_config("hello", &format!("{image}:v2"), "hello", Some(true));
    let (action, planned) = plan(SVC, &config3, Some(&refreshed));
    assert_eq!(action, Action::Update);
    let before = emu.request_log().len();
    let protected = g.update(SVC, &refreshed, &planned).await.expect("update");
    assert_eq!(emu.request_log().len(), before);
    assert_eq!(attr(&protected, "/deletion_protection"), json!(true));
    assert_eq!(attr(&protected, "/generation"), json!("2"));

    // Delete once protection is off.
    g.delete(SVC, &refreshed).await.expect("delete");
    let gone = g
        .refresh(SVC, std::slice::from_ref(&refreshed))
        .await
        .expect("refresh");
    assert_eq!(gone, vec![None]);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn declared_server_defaulted_blocks_round_trip_without_drift() {
    let emu = emulator().await;
    let g = provider(&emu).await;
    let config = json!({
        "name": "tuned",
        "location": "europe-west1",
        "ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY",
        "deletion_protection": false,
        "template": [{
            "timeout": "60s",
            "scaling": [{"max_instance_count": 3}],
            "containers": [{
                "image": "gcr.io/p/app",
                "args": ["--serve"],
                "ports": [{"container_port": 9090}],
                "resources": [{"limits": {"cpu": "1", "memory": "1Gi"}, "cpu_idle": true}],
            }],
        }],
        "traffic": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
    });
    let (_, planned) = plan(SVC, &config, None);
    let created = g.create(SVC, &planned).await.expect("create");
    assert_eq!(
        attr(&created, "/template/0/scaling/0/max_instance_count"),
        json!(3)
    );
    assert_eq!(
        attr(&created, "/template/0/containers/0/ports/0/container_port"),
        json!(9090)
    );
    let refreshed = g
        .refresh(SVC, std::slice::from_ref(&created))
        .await
        .expect("refresh")
        .remove(0)
        .expect("exists");
    assert_eq!(plan(SVC, &config, Some(&refreshed)).0, Action::NoOp);
    g.delete(SVC, &refreshed).await.expect("delete");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_lists_once_per_project_and_location() {
    let emu = emulator().await;
    let g = provider(&emu).await;
    let mut objs = Vec::new();
    for (name, loc) in [
        ("a", "us-central1"),
        ("b", "us-central1"),
        ("c", "europe-west1"),
    ] {
        let mut c = service_config(name, "gcr.io/p/app", "x", Some(false));
        c["location"] = json!(loc);
        let (_, planned) = plan(SVC, &c, None);
        objs.push(g.create(SVC, &planned).await.expect("create"));
    }
    let before = emu.request_log().len();
    let got = g.refresh(SVC, &objs).await.expect("refresh");
    assert_eq!(got.iter().filter(|o| o.is_some()).count(), 3);
    assert_eq!(
        methods_since(&emu, before),
        BTreeMap::from([("run.projects.locations.services.list".to_string(), 2)])
    );
    for o in &objs {
        g.delete(SVC, o).await.expect("delete");
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_members_are_granted_refreshed_per_service_and_revoked() {
    let emu = emulator().await;
    let g = provider(&emu).await;
    let (_, planned) = plan(
        SVC,
        &service_config("private", "gcr.io/p/app", "x", Some(false)),
        None,
    );
    let svc = g.create(SVC, &planned).await.expect("create");
    let sa = g
        .create(
            "google_service_account",
            &Value::from_json(&json!({"account_id": "api-gateway"})),
        )
        .await
        .expect("service account");
    let sa_member = format!(
        "serviceAccount:{}",
        attr(&sa, "/email").as_str().unwrap_or("")
    );
    let mut grants = Vec::new();
    for (name, member) in [
        ("private", sa_member.as_str()),
        (
            "projects/keyway-demo/locations/us-central1/services/private",
            "user:ops@example.com",
        ),
    ] {
        let config = json!({"name": name, "location": "us-central1",
                            "role": "roles/run.invoker", "member": member});
        let (action, planned) = plan(IAM, &config, None);
        assert_eq!(action, Action::Create);
        let created = g.create(IAM, &planned).await.expect("grant");
        assert!(attr(&created, "/etag")
            .as_str()
            .is_some_and(|e| !e.is_empty()));
        grants.push((config, created));
    }
    let policy_url = format!(
        "{}/v2/projects/keyway-demo/locations/us-central1/services/private:getIamPolicy",
        emu.base_url()
    );
    let policy: Json = reqwest::get(&policy_url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let members = &policy["bindings"][0]["members"];
    assert_eq!(
        members,
        &json!([sa_member, "user:ops@example.com"]),
        "{policy}"
    );

    // One policy read for both members of the service; no drift.
    let priors: Vec<Value> = grants.iter().map(|(_, c)| c.clone()).collect();
    let before = emu.request_log().len();
    let got = g.refresh(IAM, &priors).await.expect("refresh");
    assert_eq!(
        methods_since(&emu, before),
        BTreeMap::from([(
            "run.projects.locations.services.getIamPolicy".to_string(),
            1
        )])
    );
    for ((config, _), r) in grants.iter().zip(&got) {
        let r = r.as_ref().expect("granted");
        assert_eq!(plan(IAM, config, Some(r)).0, Action::NoOp);
    }

    // Revoke one; the other stays.
    g.delete(IAM, &priors[1]).await.expect("revoke");
    let got = g.refresh(IAM, &priors).await.expect("refresh");
    assert!(got[0].is_some());
    assert!(got[1].is_none());

    // Deleting the service takes its policy with it: the grant reads as gone, and revoking
    // it then is not an error.
    g.delete(SVC, &svc).await.expect("delete service");
    let got = g.refresh(IAM, &priors).await.expect("refresh");
    assert_eq!(got, vec![None, None]);
    g.delete(IAM, &priors[0])
        .await
        .expect("revoke from gone service");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fixture_apply_replan_destroy_through_the_binary() {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("tests/fixtures/google-run"));
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
        apply.stdout.contains("Apply complete! Resources: 5 added"),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stdout.contains("service_url = \"https://"),
        "{}",
        apply.stdout
    );

    let before = emu.request_log().len();
    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    let per_method = methods_since(&emu, before);
    assert_eq!(
        per_method.get("run.projects.locations.services.list"),
        Some(&1),
        "{per_method:?}"
    );
    assert_eq!(
        per_method.get("run.projects.locations.services.getIamPolicy"),
        Some(&1),
        "{per_method:?}"
    );
    assert!(
        !per_method.contains_key("run.projects.locations.services.get"),
        "{per_method:?}"
    );

    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");
    let svc = format!(
        "{}/v2/projects/keyway-demo/locations/us-central1/services/backend",
        emu.base_url()
    );
    assert_eq!(
        reqwest::get(&svc).await.expect("get").status().as_u16(),
        404
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn labels_google_adds_are_not_drift_and_survive_updates() {
    let emu = emulator().await;
    let g = provider(&emu).await;
    let config = service_config("labelled", "gcr.io/p/app", "x", Some(false));
    let (_, planned) = plan(SVC, &config, None);
    let created = g.create(SVC, &planned).await.expect("create");
    // Google's own tooling stamps `goog-*` labels; do it behind keyway's back.
    let url = format!(
        "{}/v2/projects/keyway-demo/locations/us-central1/services/labelled?updateMask=labels",
        emu.base_url()
    );
    let resp = reqwest::Client::new()
        .patch(&url)
        .json(&json!({"labels": {"team": "api", "goog-managed-by": "cloudfunctions"}}))
        .send()
        .await
        .expect("patch");
    assert!(
        resp.status().is_success(),
        "{}",
        resp.text().await.unwrap_or_default()
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    let refreshed = g
        .refresh(SVC, std::slice::from_ref(&created))
        .await
        .expect("refresh")
        .remove(0)
        .expect("exists");
    assert_eq!(attr(&refreshed, "/labels"), json!({"team": "api"}));
    assert_eq!(
        attr(&refreshed, "/effective_labels/goog-managed-by"),
        json!("cloudfunctions")
    );
    assert_eq!(plan(SVC, &config, Some(&refreshed)).0, Action::NoOp);

    // An update of the user's labels keeps Google's.
    let mut config2 = config.clone();
    config2["labels"] = json!({"team": "platform"});
    let (action, planned) = plan(SVC, &config2, Some(&refreshed));
    assert_eq!(action, Action::Update);
    let updated = g.update(SVC, &refreshed, &planned).await.expect("update");
    assert_eq!(attr(&updated, "/labels"), json!({"team": "platform"}));
    assert_eq!(
        attr(&updated, "/effective_labels/goog-managed-by"),
        json!("cloudfunctions")
    );
    g.delete(SVC, &updated).await.expect("delete");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_grants_from_separate_runs_retry_the_etag_conflict() {
    // Latency on Cloud Run calls widens the window between each writer's read and write.
    let mut faults = keyway::emulator::FaultConfig::default();
    faults
        .api_latency
        .insert("run".into(), Duration::from_millis(40));
    let emu = Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults,
        operation_delay: Duration::from_millis(10),
    })
    .await
    .expect("emulator");
    let g = provider(&emu).await;
    let (_, planned) = plan(
        SVC,
        &service_config("shared", "gcr.io/p/app", "x", Some(false)),
        None,
    );
    g.create(SVC, &planned).await.expect("create");
    // Separate providers do not share keyway's in-process policy lock, as two keyway runs
    // would not: their read-modify-writes race and one meets 409 ABORTED.
    let mut others = Vec::new();
    for _ in 0..4 {
        others.push(provider(&emu).await);
    }
    let mut tasks = Vec::new();
    for (i, other) in others.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let config = json!({"name": "shared", "role": "roles/run.invoker",
                                "member": format!("user:u{i}@example.com")});
            let (_, planned) = plan(IAM, &config, None);
            other.create(IAM, &planned).await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("grant");
    }
    let policy_url = format!(
        "{}/v2/projects/keyway-demo/locations/us-central1/services/shared:getIamPolicy",
        emu.base_url()
    );
    let policy: Json = reqwest::get(&policy_url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let n = policy["bindings"][0]["members"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(n, 4, "every grant survives the race: {policy}");
    let conflicts = emu
        .request_log()
        .iter()
        .filter(|r| r.method.ends_with("setIamPolicy") && r.status == 409)
        .count();
    // The race is likely with 40 ms of latency but not certain on a loaded machine; the
    // deterministic stale-etag retry is covered in tests/google_provider.rs. What must hold
    // either way is that no grant is lost.
    if conflicts == 0 {
        eprintln!("note: the four writers did not collide this time");
    }
    emu.shutdown().await;
}

fn protected_config(image: &str, protection: &str) -> String {
    format!(
        r#"
provider "google" {{
  project = "keyway-demo"
  region  = "us-central1"
}}

resource "google_project_service" "run" {{
  service = "run.googleapis.com"
}}

resource "google_cloud_run_v2_service" "app" {{
  name = "app"
  {protection}
  template {{
    containers {{
      image = "{image}"
    }}
  }}
  depends_on = [google_project_service.run]
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_plans_image_changes_as_updates_and_destroy_honours_deletion_protection() {
    let emu = emulator().await;
    let w = Work::new(&protected_config("gcr.io/p/app:v1", ""));
    let run = |args: &[&str]| {
        let out = w
            .command(args)
            .env("KEYWAY_EMULATOR", emu.base_url())
            .output()
            .expect("run keyway");
        crate::support::Run::from(out)
    };
    run(&["apply", "-auto-approve"]).ok();
    run(&["plan", "-detailed-exitcode"]).code(0);

    // A new image is an in-place update (a new revision), not a replacement.
    w.write("main.tf", &protected_config("gcr.io/p/app:v2", ""));
    let plan = run(&["plan", "-detailed-exitcode"]).code(2);
    assert!(
        plan.stdout
            .contains("~ resource \"google_cloud_run_v2_service\" \"app\"")
            || plan.stdout.contains("will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    run(&["apply", "-auto-approve"]).ok();
    run(&["plan", "-detailed-exitcode"]).code(0);

    // Protection is on by default: destroy fails and the service stays in state and cloud.
    let destroy = run(&["destroy", "-auto-approve"]);
    assert_ne!(destroy.code, 0, "{}\n{}", destroy.stdout, destroy.stderr);
    let text = format!("{}{}", destroy.stdout, destroy.stderr);
    assert!(text.contains("deletion_protection"), "{text}");
    assert!(run(&["state", "list"])
        .ok()
        .stdout
        .contains("google_cloud_run_v2_service.app"));

    // Turning it off is an apply that sends nothing to Cloud Run; then destroy works.
    w.write(
        "main.tf",
        &protected_config("gcr.io/p/app:v2", "deletion_protection = false"),
    );
    run(&["apply", "-auto-approve"]).ok();
    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_deployment_operation_is_reported_and_leaves_nothing() {
    // Enable Cloud Run on a clean emulator, then restart it from its saved world with every
    // long-running operation failing.
    let dir = Work::new("");
    let data = dir.path().join("emulator.json");
    let opts = |faults| Options {
        port: 0,
        data_file: Some(data.clone()),
        reset: false,
        faults,
        operation_delay: Duration::from_millis(10),
    };
    let emu = Emulator::start(opts(Default::default()))
        .await
        .expect("emulator");
    provider(&emu).await;
    emu.shutdown().await;
    let faults = keyway::emulator::FaultConfig {
        operation_failure_rate: 1.0,
        ..Default::default()
    };
    let emu = Emulator::start(opts(faults)).await.expect("emulator");
    let g = Google::new(Settings {
        project: Some("keyway-demo".into()),
        region: Some("us-central1".into()),
        endpoint: Endpoint::Emulator(emu.base_url()),
        ..Settings::default()
    })
    .expect("provider");
    let (_, planned) = plan(
        SVC,
        &service_config("doomed", "gcr.io/p/app", "x", Some(false)),
        None,
    );
    let err = g.create(SVC, &planned).await.expect_err("operation fails");
    assert!(
        err.message
            .contains("google_cloud_run_v2_service: create projects/keyway-demo/locations/us-central1/services/doomed"),
        "{err}"
    );
    let url = format!(
        "{}/v2/projects/keyway-demo/locations/us-central1/services/doomed",
        emu.base_url()
    );
    assert_eq!(
        reqwest::get(&url).await.expect("get").status().as_u16(),
        404
    );
    emu.shutdown().await;
}
