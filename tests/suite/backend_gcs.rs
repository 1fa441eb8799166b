//! keyway's `gcs` backend against the emulator's Cloud Storage objects: state shared between
//! folders, eight applies at once, a force-taken lock, a killed holder's lease running out,
//! and Terraform 1.11's own gcs state adopted in place with the locks excluding each other.

use std::process::Child;
use std::time::{Duration, Instant};

use crate::support::team::{self, finish};
use crate::support::{emulator, terraform, Work};
use keyway::emulator::Emulator;

async fn emulator_with_bucket() -> (Emulator, String) {
    let emu = emulator().await;
    let base = emu.base_url();
    let made = reqwest::Client::new()
        .post(format!("{base}/storage/v1/b?project=team-infra"))
        .json(&serde_json::json!({"name": "team-state"}))
        .send()
        .await
        .expect("bucket insert");
    assert_eq!(made.status(), 200);
    (emu, base)
}

fn config(base: &str, extra: &str) -> String {
    let backend = format!(
        r#"backend "gcs" {{
    bucket                  = "team-state"
    prefix                  = "api/${{var.env}}"
    storage_custom_endpoint = "{base}/storage/v1/"
  }}"#
    );
    team::folder(
        &backend,
        &format!("variable \"env\" {{\n  default = \"prod\"\n}}\n{extra}"),
    )
}

const STATE: &str = "api%2Fprod%2Fdefault.tfstate";
const LOCK: &str = "api%2Fprod%2Fdefault.tflock";

async fn object(base: &str, name: &str) -> Option<serde_json::Value> {
    let r = reqwest::get(format!("{base}/storage/v1/b/team-state/o/{name}?alt=media"))
        .await
        .expect("get");
    if r.status() == 404 {
        return None;
    }
    Some(r.json().await.expect("json"))
}

fn spawn(w: &Work, args: &[&str]) -> Child {
    let mut c = w.command(args);
    c.env("KEYWAY_LOCK_LEASE_SECONDS", "3");
    team::spawn(c)
}

async fn wait_for_lock(base: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some(doc) = object(base, LOCK).await {
            return doc["ID"].as_str().expect("lock id").to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no lock appeared"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Successful uploads of the state object the emulator saw.
fn state_writes(emu: &Emulator) -> u64 {
    emu.request_log()
        .iter()
        .filter(|r| r.status == 200 && r.path.starts_with("/upload/") && r.query.contains(STATE))
        .count() as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn state_in_a_bucket_is_shared_and_planned_clean() {
    let (emu, base) = emulator_with_bucket().await;
    let a = Work::new(&config(&base, ""));
    let r = a.run(&["plan"]).code(1);
    assert!(
        r.stderr.contains("Backend initialization required"),
        "{}",
        r.stderr
    );
    a.run(&["init"]).ok();
    a.run(&["apply", "-auto-approve"]).ok();
    assert!(
        !a.state_path().exists(),
        "no local state beside the backend"
    );
    let stored = object(&base, STATE).await.expect("state object");
    assert_eq!(stored["format"], "keyway-state");
    assert!(object(&base, LOCK).await.is_none(), "lock released");
    let b = Work::new(&config(&base, ""));
    b.run(&["init"]).ok();
    b.run(&["plan", "-detailed-exitcode"]).ok();
    b.run(&["workspace", "new", "staging"]).ok();
    let listed = b.run(&["workspace", "list"]).ok().stdout;
    assert!(
        listed.contains("default") && listed.contains("* staging"),
        "{listed}"
    );
    assert!(object(&base, "api%2Fprod%2Fstaging.tfstate")
        .await
        .is_some());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_applies_at_once_take_turns_and_lose_nothing() {
    let (emu, base) = emulator_with_bucket().await;
    let w = Work::new(&config(&base, ""));
    w.run(&["init"]).ok();
    w.run(&["apply", "-auto-approve"]).ok();
    let before = object(&base, STATE).await.expect("state");
    let writes_before = state_writes(&emu);
    let (w, took) = tokio::task::spawn_blocking(move || {
        let took = team::applies_at_once(8, |args| {
            let mut c = w.command(args);
            c.env("KEYWAY_LOCK_LEASE_SECONDS", "3");
            c
        });
        (w, took)
    })
    .await
    .expect("join");
    let after = object(&base, STATE).await.expect("state");
    let writes = state_writes(&emu) - writes_before;
    assert_eq!(after["lineage"], before["lineage"], "one lineage");
    let (s0, s1) = (
        before["serial"].as_u64().unwrap_or(0),
        after["serial"].as_u64().unwrap_or(0),
    );
    assert!(writes >= 8, "{writes} writes");
    assert_eq!(s1, s0 + writes, "serial = first + writes");
    team::assert_nothing_lost(&w.run(&["state", "list"]).ok().stdout);
    println!(
        "8 concurrent applies on gcs: serial {s0} -> {s1}, {writes} writes, {:.1}s",
        took.as_secs_f64()
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_writer_whose_lock_was_force_taken_cannot_overwrite_newer_state() {
    let (emu, base) = emulator_with_bucket().await;
    let w = Work::new(&config(&base, &team::slow(4)));
    w.run(&["init"]).ok();
    let a = spawn(&w, &["apply", "-auto-approve", "-var", "n=1"]);
    let id = wait_for_lock(&base).await;
    w.run(&["force-unlock", &id]).ok();
    let other = Work::new(&config(&base, ""));
    other.run(&["init"]).ok();
    other
        .run(&["apply", "-auto-approve", "-lock-timeout=30s", "-var", "n=2"])
        .ok();
    let (ok, text) = tokio::task::spawn_blocking(move || finish(a))
        .await
        .expect("join");
    assert!(!ok, "{text}");
    assert!(text.contains("refused to write state"), "{text}");
    assert!(!team::rescued(&w).is_empty(), "the refused state is kept");
    let stored = object(&base, STATE).await.expect("state");
    let x = stored["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["address"] == "terraform_data.x"))
        .map(|r| r["attributes"]["input"].clone());
    assert_eq!(x, Some(serde_json::json!("2")), "the newer state stands");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_holders_lease_runs_out_and_only_force_unlock_frees_it() {
    let (emu, base) = emulator_with_bucket().await;
    let w = Work::new(&config(&base, &team::slow(60)));
    w.run(&["init"]).ok();
    let mut a = spawn(&w, &["apply", "-auto-approve"]);
    let id = wait_for_lock(&base).await;
    a.kill().expect("kill -9");
    let _ = a.wait();
    let live = w.run(&["plan"]).code(1);
    assert!(
        live.stderr.contains("is locked"),
        "within its lease: {}",
        live.stderr
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let stale = w.run(&["plan"]).code(1);
    assert!(stale.stderr.contains("stale lock"), "{}", stale.stderr);
    assert!(
        stale.stderr.contains(&id) && stale.stderr.contains("ago"),
        "{}",
        stale.stderr
    );
    w.run(&["force-unlock", &id]).ok();
    w.run(&["plan"]).ok();
    emu.shutdown().await;
}

/// Terraform 1.11's own gcs backend writes state to the emulator; keyway refuses to plan over
/// it, adopts it in place (same lineage, next serial) and plans clean; keyway's lock then
/// blocks Terraform.
#[tokio::test(flavor = "multi_thread")]
async fn terraform_gcs_state_is_adopted_in_place_and_locks_exclude_each_other() {
    let (emu, base) = emulator_with_bucket().await;
    let folder = format!(
        r#"terraform {{
  backend "gcs" {{
    bucket                  = "team-state"
    prefix                  = "api/prod"
    storage_custom_endpoint = "{base}/storage/v1/"
    access_token            = "dummy-token"
  }}
}}

resource "terraform_data" "a" {{
  input = "one"
}}
"#
    );
    let t = Work::new(&folder);
    let tf = std::sync::Arc::new(t);
    let run_tf = |args: &'static [&'static str]| {
        let t = tf.clone();
        tokio::task::spawn_blocking(move || terraform(&t, args))
    };
    let out = run_tf(&["init", "-input=false", "-no-color"])
        .await
        .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_tf(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .await
        .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tf_state = object(&base, STATE).await.expect("terraform's state");
    let k = Work::new(&folder);
    let r = k.run(&["plan"]).code(1);
    assert!(
        r.stderr.contains("Backend initialization required"),
        "{}",
        r.stderr
    );
    let r = k.run(&["init"]);
    assert_ne!(r.code, 0, "adoption waits for a yes");
    let r = k.run(&["plan"]).code(1);
    assert!(r.stderr.contains("holds Terraform's state"), "{}", r.stderr);
    k.run(&["init", "-force-copy"]).ok();
    k.run(&["plan", "-detailed-exitcode"]).ok();
    let adopted = object(&base, STATE).await.expect("keyway's state");
    assert_eq!(adopted["lineage"], tf_state["lineage"]);
    assert_eq!(
        adopted["serial"].as_u64(),
        tf_state["serial"].as_u64().map(|s| s + 1)
    );

    let slow =
        format!("{folder}\nresource \"time_sleep\" \"hold\" {{\n  create_duration = \"5s\"\n}}\n");
    k.write("main.tf", &slow);
    let mut holder = spawn(&k, &["apply", "-auto-approve"]);
    wait_for_lock(&base).await;
    let out = run_tf(&["plan", "-lock-timeout=0s", "-input=false", "-no-color"])
        .await
        .expect("join");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success() && text.contains("Error acquiring the state lock"),
        "{text}"
    );
    let ok = tokio::task::spawn_blocking(move || holder.wait().expect("keyway apply"))
        .await
        .expect("join");
    assert!(ok.success());
    emu.shutdown().await;
}
