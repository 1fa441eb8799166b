//! The `s3` backend against moto 5.2.5 (started by each test on 127.0.0.1): shared state and
//! workspaces at Terraform's object names, eight applies at once, a force-taken lock, a killed
//! holder's lease running out, migration both ways, a stale saved plan, encrypted state,
//! `terraform_remote_state` reading it, and Terraform 1.11's own s3 backend (`use_lockfile`)
//! adopted in place with each tool's lock object blocking the other (`backend_s3_settings`
//! has the settings, credentials and addressing).
//!
//! moto enforces what these tests rely on: `If-None-Match: *` and `If-Match` on PutObject and
//! `If-Match` on DeleteObject (412 PreconditionFailed). It is lenient where AWS is not: it
//! checks no signature (it routes by the signing scope), and its threaded server checks a
//! condition and writes in two steps, so under load two racing lock creates both succeeded
//! (once in fourteen runs of the eight-applies test, six in parallel; the second holder's
//! state write was refused by If-Match and kept on disk, as designed). These tests therefore
//! run moto one request at a time (`Moto::start_serial`), where each conditional write is
//! atomic as on AWS.

use crate::support::moto::Moto;
use crate::support::team::{self, finish, spawn, wait_for};
use crate::support::Work;

pub const BUCKET: &str = "team-state";
pub const STATE: &str = "api/prod/terraform.tfstate";
const LOCK: &str = "api/prod/terraform.tfstate.tflock";

/// The backend block (variables allowed in keyway), with `endpoints` as a block.
fn backend(moto: &Moto) -> String {
    format!(
        r#"backend "s3" {{
    bucket         = "{BUCKET}"
    key            = "api/${{var.env}}/terraform.tfstate"
    region         = "us-east-1"
    use_lockfile   = true
    use_path_style = true
    encrypt        = true
    endpoints {{
      s3 = "{}"
    }}
  }}"#,
        moto.url()
    )
}

fn config(moto: &Moto, extra: &str) -> String {
    let env = "variable \"env\" {\n  default = \"prod\"\n}\n";
    team::folder(&backend(moto), &format!("{env}{extra}"))
}

pub fn with_bucket() -> Moto {
    let moto = Moto::start_serial();
    moto.create_bucket(BUCKET);
    moto
}

fn lock_id(moto: &Moto) -> Option<String> {
    let doc = moto.json(BUCKET, LOCK)?;
    Some(doc["ID"].as_str().expect("lock ID").to_owned())
}

#[test]
fn state_in_a_bucket_is_shared_and_workspaces_use_terraforms_names() {
    let moto = with_bucket();
    let a = Work::new(&config(&moto, ""));
    let r = moto.run(&a, &["plan"]).code(1);
    assert!(
        r.stderr.contains("Backend initialization required"),
        "{}",
        r.stderr
    );
    moto.run(&a, &["init"]).ok();
    moto.run(&a, &["apply", "-auto-approve"]).ok();
    assert!(!a.state_path().exists(), "no local state beside the bucket");
    let stored = moto.object(BUCKET, STATE).expect("state object");
    let json: serde_json::Value = serde_json::from_slice(&stored.body).expect("JSON");
    assert_eq!(json["format"], "keyway-state");
    assert_eq!(
        stored.header("x-amz-server-side-encryption").as_deref(),
        Some("AES256"),
        "`encrypt = true` asks S3 to encrypt"
    );
    assert!(moto.object(BUCKET, LOCK).is_none(), "lock released");

    let b = Work::new(&config(&moto, ""));
    moto.run(&b, &["init"]).ok();
    moto.run(&b, &["plan", "-detailed-exitcode"]).ok();
    moto.run(&b, &["workspace", "new", "staging"]).ok();
    moto.run(&b, &["apply", "-auto-approve"]).ok();
    let staging = moto
        .json(BUCKET, "env:/staging/api/prod/terraform.tfstate")
        .expect("the workspace's state at Terraform's name");
    assert_ne!(staging["lineage"], json["lineage"], "a state of its own");
    let listed = moto.run(&a, &["workspace", "list"]).ok().stdout;
    assert!(
        listed.contains("* default") && listed.contains("staging"),
        "{listed}"
    );
    moto.run(&a, &["workspace", "select", "staging"]).ok();
    moto.run(&a, &["plan", "-detailed-exitcode"]).ok();
    moto.run(&b, &["workspace", "select", "default"]).ok();
    moto.run(&b, &["workspace", "delete", "-force", "staging"])
        .ok();
    assert!(moto
        .object(BUCKET, "env:/staging/api/prod/terraform.tfstate")
        .is_none());
}

/// `data "terraform_remote_state"` reads another stack's outputs from its s3 state, with
/// `endpoints` as Terraform's object in `config`.
#[test]
fn remote_state_reads_outputs_from_s3() {
    let moto = with_bucket();
    let producer = Work::new(&config(
        &moto,
        "output \"endpoint\" {\n  value = \"https://api.example.com/${var.n}\"\n}\n",
    ));
    moto.run(&producer, &["init"]).ok();
    moto.run(&producer, &["apply", "-auto-approve", "-var", "n=7"])
        .ok();
    let consumer = Work::new(&format!(
        r#"data "terraform_remote_state" "api" {{
  backend = "s3"
  config = {{
    bucket         = "{BUCKET}"
    key            = "{STATE}"
    region         = "us-east-1"
    use_path_style = true
    endpoints      = {{ s3 = "{}" }}
  }}
}}

output "endpoint" {{
  value = data.terraform_remote_state.api.outputs.endpoint
}}
"#,
        moto.url()
    ));
    let out = moto.run(&consumer, &["apply", "-auto-approve"]).ok().stdout;
    assert!(
        out.contains("endpoint = \"https://api.example.com/7\""),
        "{out}"
    );
}

/// Eight applies started at once on one state run one at a time: each exits 0, the final
/// serial is the first plus every state write (versions of the object in a versioned
/// bucket), the lineage never changes, and nothing is lost.
#[test]
fn eight_applies_at_once_take_turns_and_lose_nothing() {
    let moto = with_bucket();
    moto.enable_versioning(BUCKET);
    let w = Work::new(&config(&moto, ""));
    moto.run(&w, &["init"]).ok();
    moto.run(&w, &["apply", "-auto-approve"]).ok();
    let before = moto.json(BUCKET, STATE).expect("state");
    let versions_before = moto.versions(BUCKET, STATE);
    let took = team::applies_at_once(8, |args| moto.keyway(&w, args));
    let after = moto.json(BUCKET, STATE).expect("state");
    let writes = (moto.versions(BUCKET, STATE) - versions_before) as u64;
    assert_eq!(after["lineage"], before["lineage"], "one lineage");
    let (s0, s1) = (
        before["serial"].as_u64().unwrap_or(0),
        after["serial"].as_u64().unwrap_or(0),
    );
    assert!(writes >= 8, "every apply changed x: {writes} writes");
    assert_eq!(s1, s0 + writes, "serial = first + writes");
    team::assert_nothing_lost(&moto.run(&w, &["state", "list"]).ok().stdout);
    println!(
        "8 concurrent applies on s3 (moto): serial {s0} -> {s1}, {writes} writes, {:.1}s",
        took.as_secs_f64()
    );
}

/// A holder whose lock was force-unlocked cannot overwrite the newer state written after it:
/// its If-Match write is refused and its state kept on local disk.
#[test]
fn a_writer_whose_lock_was_force_taken_cannot_overwrite_newer_state() {
    let moto = with_bucket();
    let w = Work::new(&config(&moto, &team::slow(4)));
    moto.run(&w, &["init"]).ok();
    let a = spawn(moto.keyway(&w, &["apply", "-auto-approve", "-var", "n=1"]));
    let id = wait_for("lock", || lock_id(&moto));
    moto.run(&w, &["force-unlock", &id]).ok();
    let other = Work::new(&config(&moto, ""));
    moto.run(&other, &["init"]).ok();
    moto.run(
        &other,
        &["apply", "-auto-approve", "-lock-timeout=30s", "-var", "n=2"],
    )
    .ok();
    let (ok, text) = finish(a);
    assert!(!ok, "{text}");
    assert!(text.contains("refused to write state"), "{text}");
    assert!(!team::rescued(&w).is_empty(), "the refused state is kept");
    let stored = moto.json(BUCKET, STATE).expect("state");
    let x = stored["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["address"] == "terraform_data.x"))
        .map(|r| r["attributes"]["input"].clone());
    assert_eq!(x, Some(serde_json::json!("2")), "the newer state stands");
}

/// kill -9 of a lock holder: within its lease the state is locked; after it, the next run
/// reports a stale lock with its age, and only `force-unlock` frees it.
#[test]
fn a_killed_holders_lease_runs_out_and_only_force_unlock_frees_it() {
    let moto = with_bucket();
    let w = Work::new(&config(&moto, &team::slow(60)));
    moto.run(&w, &["init"]).ok();
    let mut a = spawn({
        let mut c = moto.keyway(&w, &["apply", "-auto-approve"]);
        c.env("KEYWAY_LOCK_LEASE_SECONDS", "3");
        c
    });
    let id = wait_for("lock", || lock_id(&moto));
    a.kill().expect("kill -9");
    let _ = a.wait();
    let live = moto.run(&w, &["plan"]).code(1);
    assert!(live.stderr.contains("is locked"), "{}", live.stderr);
    std::thread::sleep(std::time::Duration::from_secs(4));
    let stale = moto.run(&w, &["plan"]).code(1);
    assert!(stale.stderr.contains("stale lock"), "{}", stale.stderr);
    assert!(
        stale.stderr.contains(&id) && stale.stderr.contains("ago"),
        "names the lock and its age: {}",
        stale.stderr
    );
    moto.run(&w, &["force-unlock", &id]).ok();
    assert!(moto.object(BUCKET, LOCK).is_none());
    moto.run(&w, &["plan"]).ok();
}

#[test]
fn state_migrates_from_local_to_s3_and_back_keeping_lineage_and_serial() {
    let moto = with_bucket();
    let plain = team::folder("", "variable \"env\" {\n  default = \"prod\"\n}\n");
    let w = Work::new(&plain);
    moto.run(&w, &["apply", "-auto-approve"]).ok();
    let local = w.state_json();
    w.write("main.tf", &config(&moto, ""));
    let r = moto.run(&w, &["init"]).code(1);
    assert!(r.stderr.contains("-migrate-state"), "{}", r.stderr);
    moto.run(&w, &["init", "-migrate-state"]).ok();
    let stored = moto.json(BUCKET, STATE).expect("migrated");
    assert_eq!(stored["serial"], local["serial"]);
    assert_eq!(stored["lineage"], local["lineage"]);
    moto.run(&w, &["plan", "-detailed-exitcode"]).ok();
    moto.run(&w, &["apply", "-auto-approve", "-var", "n=5"])
        .ok();
    let moved = moto.json(BUCKET, STATE).expect("state");
    w.write("main.tf", &plain);
    moto.run(&w, &["init", "-migrate-state", "-force-copy"])
        .ok();
    let back = w.state_json();
    assert_eq!(back["serial"], moved["serial"]);
    assert_eq!(back["lineage"], local["lineage"]);
    moto.run(&w, &["plan", "-detailed-exitcode", "-var", "n=5"])
        .ok();
}

#[test]
fn a_saved_plan_is_refused_after_someone_else_applied() {
    let moto = with_bucket();
    let w = Work::new(&config(&moto, ""));
    moto.run(&w, &["init"]).ok();
    moto.run(&w, &["apply", "-auto-approve"]).ok();
    moto.run(&w, &["plan", "-var", "n=1", "-out", "p.plan"])
        .ok();
    let other = Work::new(&config(&moto, ""));
    moto.run(&other, &["init"]).ok();
    moto.run(&other, &["apply", "-auto-approve", "-var", "n=2"])
        .ok();
    let r = moto.run(&w, &["apply", "p.plan"]).code(1);
    assert!(r.stderr.to_lowercase().contains("stale"), "{}", r.stderr);
}

/// With an `encryption` block the object holds no secret in clear (searched in its bytes);
/// a wrong passphrase is a clear error.
#[test]
fn encrypted_state_in_s3_holds_no_secret_bytes() {
    let moto = with_bucket();
    let encryption = r#"variable "passphrase" {
  sensitive = true
}

terraform {
  encryption {
    key_provider "pbkdf2" "main" {
      passphrase = var.passphrase
    }
    method "aes_gcm" "main" {
      keys = key_provider.pbkdf2.main
    }
    state {
      method   = method.aes_gcm.main
      enforced = true
    }
  }
}

resource "random_password" "p" {
  length = 24
}

output "pw" {
  value     = random_password.p.result
  sensitive = true
}
"#;
    let w = Work::new(&config(&moto, encryption));
    let keyed = |pass: &str, args: &[&str]| {
        let mut c = moto.keyway(&w, args);
        crate::support::Run::from(c.env("TF_VAR_passphrase", pass).output().expect("keyway"))
    };
    let pass = "correct horse battery staple";
    keyed(pass, &["init"]).ok();
    keyed(pass, &["apply", "-auto-approve"]).ok();
    let pw = keyed(pass, &["output", "-raw", "pw"]).ok().stdout;
    assert_eq!(pw.len(), 24);
    let stored = moto.object(BUCKET, STATE).expect("state").text();
    assert!(
        !stored.contains(&pw),
        "the object holds the password in clear"
    );
    assert!(stored.contains("encrypted_data"), "{stored}");
    let wrong = keyed("not the passphrase", &["plan"]);
    assert_ne!(wrong.code, 0);
    assert!(!wrong.stderr.contains("panicked"), "{}", wrong.stderr);
    assert!(wrong.stderr.contains("decrypt"), "{}", wrong.stderr);
}

/// Switching a team from Terraform: Terraform 1.11 applies a folder through its own s3
/// backend (`use_lockfile = true`) against moto; `keyway init` adopts the state in place
/// (same lineage, next serial) and plans empty; Terraform's lock object blocks keyway and
/// keyway's blocks Terraform.
#[test]
fn terraform_s3_state_is_adopted_in_place_and_locks_exclude_each_other() {
    let moto = with_bucket();
    let folder = format!(
        r#"terraform {{
  backend "s3" {{
    bucket                      = "{BUCKET}"
    key                         = "{STATE}"
    region                      = "us-east-1"
    use_lockfile                = true
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    endpoints = {{
      s3 = "{}"
    }}
  }}
}}

resource "terraform_data" "a" {{
  input = "one"
}}

resource "terraform_data" "b" {{
  input = terraform_data.a.output
}}
"#,
        moto.url()
    );
    let tf_ok = |w: &Work, args: &[&str]| {
        let out = moto.terraform(w, args);
        assert!(
            out.status.success(),
            "terraform {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let t = Work::new(&folder);
    tf_ok(&t, &["init", "-input=false", "-no-color"]);
    tf_ok(&t, &["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(moto.json(BUCKET, STATE).expect("state")["version"], 4);

    // Terraform's lock object blocks keyway, which names Terraform's holder.
    let held = format!(
        "{folder}\nresource \"terraform_data\" \"slow\" {{\n  provisioner \"local-exec\" {{\n    command = \"sleep 5\"\n  }}\n}}\n"
    );
    let hold = Work::new(&held);
    tf_ok(&hold, &["init", "-input=false", "-no-color"]);
    let k = Work::new(&held);
    moto.run(&k, &["init"]).code(1); // settles the backend; adoption waits for a yes
    let tf_holder = spawn({
        let mut c = crate::support::terraform_command(
            &hold,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        );
        moto.env(&mut c);
        c.env_remove("AWS_ENDPOINT_URL");
        c
    });
    let tf_lock = wait_for("Terraform's lock", || moto.json(BUCKET, LOCK));
    assert!(
        tf_lock["Version"]
            .as_str()
            .is_some_and(|v| v.starts_with("1.11")),
        "{tf_lock}"
    );
    let blocked = moto.run(&k, &["plan", "-lock-timeout=0s"]).code(1);
    assert!(blocked.stderr.contains("is locked"), "{}", blocked.stderr);
    let id = tf_lock["ID"].as_str().expect("ID");
    assert!(blocked.stderr.contains(id), "{}", blocked.stderr);
    let (ok, text) = finish(tf_holder);
    assert!(ok, "{text}");
    assert!(moto.object(BUCKET, LOCK).is_none(), "Terraform unlocked");
    let tf_state = moto.json(BUCKET, STATE).expect("state");
    let tf_serial = tf_state["serial"].as_u64().expect("serial");

    // keyway adopts the state in place and plans empty.
    let r = moto.run(&k, &["plan"]).code(1);
    assert!(r.stderr.contains("holds Terraform's state"), "{}", r.stderr);
    moto.run(&k, &["init", "-force-copy"]).ok();
    let adopted = moto.json(BUCKET, STATE).expect("keyway's state");
    assert_eq!(adopted["format"], "keyway-state");
    assert_eq!(adopted["lineage"], tf_state["lineage"]);
    assert_eq!(adopted["serial"].as_u64(), Some(tf_serial + 1));
    moto.run(&k, &["plan", "-detailed-exitcode"]).ok();

    // keyway's lock object blocks Terraform.
    let slow = format!("{held}\n{}", team::slow(5));
    k.write("main.tf", &slow);
    let holder = spawn(moto.keyway(&k, &["apply", "-auto-approve"]));
    wait_for("keyway's lock", || lock_id(&moto));
    let out = moto.terraform(
        &t,
        &["plan", "-lock-timeout=0s", "-input=false", "-no-color"],
    );
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success() && text.contains("Error acquiring the state lock"),
        "{text}"
    );
    assert!(
        text.contains("keyway "),
        "Terraform shows keyway's lock info: {text}"
    );
    let (ok, text) = finish(holder);
    assert!(ok, "{text}");
}
