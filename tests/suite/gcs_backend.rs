//! Terraform's own gcs backend against the emulator's Cloud Storage objects: `init` and
//! `apply` write `{prefix}/default.tfstate` through lock objects created with
//! `ifGenerationMatch=0`, and a lock object already there makes `plan` fail with 412
//! ("Error acquiring the state lock"). Needs `terraform` on PATH (offline: `terraform_data`
//! only); without it the test fails.

use std::process::{Command, Output};

use crate::support::Work;
use keyway::emulator::{Emulator, Options};

fn terraform(w: &Work, args: &[&str]) -> Option<Output> {
    let rc = w.path().join(".terraformrc");
    std::fs::write(&rc, "disable_checkpoint = true\n").expect("write rc");
    Command::new("terraform")
        .args(args)
        .current_dir(w.path())
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("HOME", w.path())
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env_remove("GOOGLE_CREDENTIALS")
        .output()
        .ok()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_gcs_backend_writes_state_and_honours_locks() {
    assert!(
        Command::new("terraform").arg("version").output().is_ok(),
        "`terraform` must be on PATH: this test runs Terraform's own gcs backend"
    );
    let emu = Emulator::start(Options::default())
        .await
        .expect("emulator starts");
    let base = emu.base_url();
    let http = reqwest::Client::new();
    let made = http
        .post(format!("{base}/storage/v1/b?project=tf-state"))
        .json(&serde_json::json!({"name": "tfgcs"}))
        .send()
        .await
        .expect("bucket insert");
    assert_eq!(made.status(), 200);
    let w = Work::new(&format!(
        r#"
terraform {{
  backend "gcs" {{
    bucket                  = "tfgcs"
    prefix                  = "env"
    storage_custom_endpoint = "{base}/storage/v1/"
    access_token            = "dummy-token"
  }}
}}

resource "terraform_data" "x" {{
  input = "hello"
}}
"#
    ));
    let w2 = std::sync::Arc::new(w);
    let run = |args: &'static [&'static str]| {
        let w = w2.clone();
        tokio::task::spawn_blocking(move || terraform(&w, args))
    };
    let init = run(&["init", "-input=false", "-no-color"])
        .await
        .expect("join");
    let init = init.expect("terraform runs");
    assert!(init.status.success(), "terraform init:\n{}", text(&init));
    let apply = run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .await
        .expect("join")
        .expect("terraform runs");
    assert!(apply.status.success(), "terraform apply:\n{}", text(&apply));

    // The state is an object, read back through the JSON API; the lock is gone.
    let state = http
        .get(format!(
            "{base}/storage/v1/b/tfgcs/o/env%2Fdefault.tfstate?alt=media"
        ))
        .send()
        .await
        .expect("download");
    assert_eq!(state.status(), 200);
    let state: serde_json::Value = state.json().await.expect("state JSON");
    assert_eq!(state["resources"][0]["type"], "terraform_data", "{state}");
    let lock = http
        .get(format!("{base}/storage/v1/b/tfgcs/o/env%2Fdefault.tflock"))
        .send()
        .await
        .expect("get lock");
    assert_eq!(lock.status(), 404, "the lock is released after apply");

    // A lock held by someone else: Terraform's create with ifGenerationMatch=0 gets 412.
    let planted = http
        .post(format!(
            "{base}/upload/storage/v1/b/tfgcs/o?uploadType=media&name=env%2Fdefault.tflock&ifGenerationMatch=0"
        ))
        .header("content-type", "application/json")
        .body(r#"{"ID":"1","Operation":"OperationTypeApply","Who":"someone@elsewhere","Version":"1.11.4","Created":"2026-01-01T00:00:00Z","Path":"tfgcs/env/default.tflock"}"#)
        .send()
        .await
        .expect("plant lock");
    assert_eq!(planted.status(), 200);
    let plan = run(&["plan", "-lock-timeout=0s", "-input=false", "-no-color"])
        .await
        .expect("join")
        .expect("terraform runs");
    let out = text(&plan);
    assert!(
        !plan.status.success(),
        "plan must fail on a held lock:\n{out}"
    );
    assert!(out.contains("Error acquiring the state lock"), "{out}");
    assert!(out.contains("412"), "{out}");
    assert!(
        out.contains("someone@elsewhere"),
        "the lock's info is shown:\n{out}"
    );
    // The planted lock is still there.
    let lock = http
        .get(format!("{base}/storage/v1/b/tfgcs/o/env%2Fdefault.tflock"))
        .send()
        .await
        .expect("get lock");
    assert_eq!(lock.status(), 200);
    // Terraform itself made the calls: its XML read, lock creates and the lock's delete.
    let counters = emu.counters();
    for method in [
        "storage.xml.get",
        "storage.objects.insert",
        "storage.objects.delete",
        "storage.objects.list",
    ] {
        assert!(
            counters.get(method).is_some_and(|n| *n > 0),
            "{method}: {counters:?}"
        );
    }
    emu.shutdown().await;
}

/// Twenty concurrent lock creates with `ifGenerationMatch=0`: exactly one wins; the object
/// (bytes and generation) survives a restart on the same data file; HEAD answers the XML path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_creates_are_atomic_and_objects_persist() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("world.json");
    let opts = || Options {
        data_file: Some(file.clone()),
        ..Options::default()
    };
    let emu = Emulator::start(opts()).await.expect("emulator starts");
    let base = emu.base_url();
    let http = reqwest::Client::new();
    let made = http
        .post(format!("{base}/storage/v1/b?project=tf-race"))
        .json(&serde_json::json!({"name": "race"}))
        .send()
        .await
        .expect("bucket insert");
    assert_eq!(made.status(), 200);
    let url = format!(
        "{base}/upload/storage/v1/b/race/o?uploadType=media&name=a%2Fb.tflock&ifGenerationMatch=0"
    );
    let tries = (0..20).map(|i| {
        let (http, url) = (http.clone(), url.clone());
        tokio::spawn(async move {
            let r = http.post(url).body(format!("lock {i}")).send().await;
            r.map(|r| r.status().as_u16()).unwrap_or(0)
        })
    });
    let mut codes = Vec::new();
    for t in tries {
        codes.push(t.await.expect("join"));
    }
    codes.sort();
    let mut want = vec![412; 19];
    want.insert(0, 200);
    assert_eq!(codes, want);
    let meta: serde_json::Value = http
        .get(format!("{base}/storage/v1/b/race/o/a%2Fb.tflock"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    emu.shutdown().await;

    let emu = Emulator::start(opts()).await.expect("emulator restarts");
    let base = emu.base_url();
    let again = http
        .head(format!("{base}/race/a/b.tflock"))
        .send()
        .await
        .expect("head");
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.headers()["x-goog-generation"].to_str().ok(),
        meta["generation"].as_str()
    );
    let body = http
        .get(format!("{base}/race/a/b.tflock"))
        .send()
        .await
        .expect("xml get")
        .text()
        .await
        .expect("text");
    assert!(body.starts_with("lock "), "{body}");
    let refused = http
        .delete(format!("{base}/storage/v1/b/race"))
        .send()
        .await
        .expect("delete bucket");
    assert_eq!(refused.status(), 409);
    emu.shutdown().await;
}
