//! The `pg` backend against a real PostgreSQL server the test starts on 127.0.0.1: shared
//! state between folders, eight applies at once, a force-taken lock, a killed holder, state
//! migration both ways, and a saved plan made stale by someone else's apply.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::postgres::Postgres;
use crate::support::team::{self, finish, spawn, wait_for};
use crate::support::{terraform, terraform_command, Work};

fn config(pg: &Postgres, extra: &str) -> String {
    let backend = format!("backend \"pg\" {{\n    conn_str = \"{}\"\n  }}", pg.url());
    team::folder(&backend, extra)
}

fn serial_and_lineage(pg: &Postgres) -> (u64, String) {
    let row = pg.sql(
        "SELECT (data::json->>'serial') || ' ' || (data::json->>'lineage') \
         FROM terraform_remote_state.states WHERE name = 'default'",
    );
    let (s, l) = row.split_once(' ').expect("serial and lineage");
    (s.parse().expect("serial"), l.to_owned())
}

fn wait_for_lock(pg: &Postgres) -> String {
    wait_for("lock", || {
        let id = pg.sql("SELECT info::json->>'ID' FROM terraform_remote_state.keyway_locks");
        (!id.is_empty()).then_some(id)
    })
}

#[test]
fn state_in_postgres_is_shared_by_every_folder_that_points_at_it() {
    let pg = Postgres::start();
    let a = Work::new(&config(&pg, ""));
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
    let b = Work::new(&config(&pg, ""));
    b.run(&["init"]).ok();
    b.run(&["plan", "-detailed-exitcode"]).ok();
    let listed = b.run(&["state", "list"]).ok().stdout;
    assert!(listed.contains("terraform_data.x"), "{listed}");
    let stored = pg.sql("SELECT name FROM terraform_remote_state.states");
    assert_eq!(stored, "default");
}

/// Eight applies started at once on one state run one at a time: each exits 0, the final
/// serial is the first plus every write the database saw, the lineage never changes, and
/// nothing is lost.
#[test]
fn eight_applies_at_once_take_turns_and_lose_nothing() {
    let pg = Postgres::start();
    let w = Work::new(&config(&pg, ""));
    w.run(&["init"]).ok();
    w.run(&["apply", "-auto-approve"]).ok();
    let (before, lineage) = serial_and_lineage(&pg);
    pg.sql(
        "CREATE TABLE writes (n int);
         CREATE FUNCTION count_write() RETURNS trigger AS $$
           BEGIN INSERT INTO writes VALUES (1); RETURN NEW; END $$ LANGUAGE plpgsql;
         CREATE TRIGGER count AFTER INSERT OR UPDATE ON terraform_remote_state.states
           FOR EACH ROW EXECUTE FUNCTION count_write();",
    );
    let took = team::applies_at_once(8, |args| w.command(args));
    let writes: u64 = pg
        .sql("SELECT count(*) FROM writes")
        .parse()
        .expect("count");
    let (after, same) = serial_and_lineage(&pg);
    assert_eq!(same, lineage, "one lineage");
    assert!(writes >= 8, "every apply changed x: {writes} writes");
    assert_eq!(after, before + writes, "serial = first + writes");
    team::assert_nothing_lost(&w.run(&["state", "list"]).ok().stdout);
    println!(
        "8 concurrent applies: serial {before} -> {after}, {writes} writes, {:.1}s",
        took.as_secs_f64()
    );
}

/// A holder whose lock was force-unlocked (its database session ended) cannot overwrite the
/// newer state written after it: its write is refused and its state kept on local disk.
#[test]
fn a_writer_whose_lock_was_force_taken_cannot_overwrite_newer_state() {
    let pg = Postgres::start();
    let w = Work::new(&config(&pg, &team::slow(4)));
    w.run(&["init"]).ok();
    let a = spawn(w.command(&["apply", "-auto-approve", "-var", "n=1"]));
    let id = wait_for_lock(&pg);
    w.run(&["force-unlock", &id]).ok();
    let other = Work::new(&config(&pg, ""));
    other.run(&["init"]).ok();
    other
        .run(&["apply", "-auto-approve", "-lock-timeout=30s", "-var", "n=2"])
        .ok();
    let (ok, text) = finish(a);
    assert!(!ok, "{text}");
    assert!(text.contains("refused to write state"), "{text}");
    assert!(
        !team::rescued(&w).is_empty(),
        "the refused state is kept on disk"
    );
    let x = other
        .run(&["state", "show", "terraform_data.x"])
        .ok()
        .stdout;
    assert!(
        x.contains("\"2\"") || x.contains("= 2"),
        "the newer state stands: {x}"
    );
}

/// kill -9 of a lock holder: the next run reports the stale lock with its age, and only
/// `force-unlock` frees it.
#[test]
fn a_killed_holder_leaves_a_stale_lock_until_force_unlock() {
    let pg = Postgres::start();
    let w = Work::new(&config(&pg, &team::slow(60)));
    w.run(&["init"]).ok();
    let mut a = spawn(w.command(&["apply", "-auto-approve"]));
    let id = wait_for_lock(&pg);
    a.kill().expect("kill -9");
    let _ = a.wait();
    let r = w.run(&["plan"]).code(1);
    assert!(r.stderr.contains("stale lock"), "{}", r.stderr);
    assert!(r.stderr.contains(&id), "names the lock: {}", r.stderr);
    assert!(r.stderr.contains("ago"), "says its age: {}", r.stderr);
    w.run(&["force-unlock", &id]).ok();
    w.run(&["plan"]).ok();
}

#[test]
fn state_migrates_from_local_to_postgres_and_back_keeping_lineage_and_serial() {
    let pg = Postgres::start();
    let plain = team::folder("", "");
    let w = Work::new(&plain);
    w.run(&["apply", "-auto-approve"]).ok();
    let local = w.state_json();
    w.write("main.tf", &config(&pg, ""));
    let r = w.run(&["init"]).code(1);
    assert!(r.stderr.contains("-migrate-state"), "{}", r.stderr);
    w.run(&["init", "-migrate-state"]).ok();
    let (serial, lineage) = serial_and_lineage(&pg);
    assert_eq!(serial, local["serial"].as_u64().expect("serial"));
    assert_eq!(lineage, local["lineage"].as_str().expect("lineage"));
    w.run(&["plan", "-detailed-exitcode"]).ok();
    w.run(&["apply", "-auto-approve", "-var", "n=5"]).ok();
    let (moved_serial, _) = serial_and_lineage(&pg);
    w.write("main.tf", &plain);
    w.run(&["init", "-migrate-state", "-force-copy"]).ok();
    let back = w.state_json();
    assert_eq!(back["serial"].as_u64(), Some(moved_serial));
    assert_eq!(back["lineage"].as_str(), Some(lineage.as_str()));
    w.run(&["plan", "-detailed-exitcode", "-var", "n=5"]).ok();
}

#[test]
fn a_saved_plan_is_refused_after_someone_else_applied() {
    let pg = Postgres::start();
    let w = Work::new(&config(&pg, ""));
    w.run(&["init"]).ok();
    w.run(&["apply", "-auto-approve"]).ok();
    w.run(&["plan", "-var", "n=1", "-out", "p.plan"]).ok();
    let other = Work::new(&config(&pg, ""));
    other.run(&["init"]).ok();
    other.run(&["apply", "-auto-approve", "-var", "n=2"]).ok();
    let r = w.run(&["apply", "p.plan"]).code(1);
    assert!(r.stderr.to_lowercase().contains("stale"), "{}", r.stderr);
}

/// Switching a team from Terraform: the state Terraform 1.11 keeps in PostgreSQL is adopted
/// in place by `keyway init` (same lineage, next serial) and the unchanged folder plans
/// empty; each tool's lock blocks the other (Terraform's advisory lock is the one keyway
/// takes too).
#[test]
fn terraform_pg_state_is_adopted_in_place_and_locks_exclude_each_other() {
    let pg = Postgres::start();
    let folder = format!(
        r#"terraform {{
  backend "pg" {{
    conn_str = "{}"
  }}
}}

resource "terraform_data" "a" {{
  input = "one"
}}

resource "terraform_data" "b" {{
  input = terraform_data.a.output
}}
"#,
        pg.url()
    );
    let w = Work::new(&folder);
    let out = terraform(&w, &["init", "-input=false", "-no-color"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = terraform(&w, &["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Terraform's lock blocks keyway.
    let t2 = Work::new(&format!(
        "{folder}\nresource \"terraform_data\" \"slow\" {{\n  provisioner \"local-exec\" {{\n    command = \"sleep 5\"\n  }}\n}}\n"
    ));
    let out = terraform(&t2, &["init", "-input=false", "-no-color"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let probe = Work::new(&folder);
    // Settles the backend; the adoption it then offers waits for a yes (not given here).
    probe.run(&["init"]).code(1);
    // Terraform waits for the lock: each of the probe's plans below takes it for a moment,
    // and Terraform's first attempt may fall in one ("Workspace is already locked").
    let mut tf_holder = terraform_command(
        &t2,
        &[
            "apply",
            "-auto-approve",
            "-lock-timeout=60s",
            "-input=false",
            "-no-color",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("terraform apply");
    let start = Instant::now();
    let blocked = loop {
        let r = probe.run(&["plan", "-lock-timeout=0s"]);
        if r.stderr.contains("is locked") {
            break r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never blocked: {}",
            r.stderr
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(blocked.stderr.contains("Terraform"), "{}", blocked.stderr);
    assert!(tf_holder.wait().expect("terraform apply").success());
    let tf_serial: u64 = pg
        .sql("SELECT data::json->>'serial' FROM terraform_remote_state.states")
        .parse()
        .expect("serial");

    // keyway's lock blocks Terraform.
    let slow =
        format!("{folder}\nresource \"time_sleep\" \"hold\" {{\n  create_duration = \"5s\"\n}}\n");
    let k = Work::new(&slow);
    k.run(&["init", "-force-copy"]).ok();
    let refused = k.run(&["plan"]);
    assert_eq!(refused.code, 0, "adopted: {}", refused.stderr);
    let lineage_tf = pg.sql("SELECT data::json->>'lineage' FROM terraform_remote_state.states");
    let keyway_serial: u64 = pg
        .sql("SELECT data::json->>'serial' FROM terraform_remote_state.states")
        .parse()
        .expect("serial");
    assert_eq!(
        keyway_serial,
        tf_serial + 1,
        "the next serial of the same history"
    );
    let holder = spawn(k.command(&["apply", "-auto-approve"]));
    wait_for_lock(&pg);
    let out = terraform(
        &w,
        &["plan", "-lock-timeout=0s", "-input=false", "-no-color"],
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && text.contains("Error acquiring the state lock"),
        "{text}"
    );
    let (ok, text) = finish(holder);
    assert!(ok, "{text}");
    let same = pg.sql("SELECT data::json->>'lineage' FROM terraform_remote_state.states");
    assert_eq!(same, lineage_tf, "one lineage across both tools");
}

/// A folder Terraform applied to PostgreSQL plans empty in keyway once adopted, and plan
/// before adoption is refused with the way forward.
#[test]
fn a_terraform_state_in_postgres_is_never_planned_over() {
    let pg = Postgres::start();
    let folder = format!(
        "terraform {{\n  backend \"pg\" {{\n    conn_str = \"{}\"\n  }}\n}}\n\nresource \"terraform_data\" \"a\" {{\n  input = \"one\"\n}}\n",
        pg.url()
    );
    let w = Work::new(&folder);
    let out = terraform(&w, &["init", "-input=false", "-no-color"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = terraform(&w, &["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let k = Work::new(&folder);
    let init = k.run(&["init"]);
    assert_ne!(init.code, 0, "adoption needs a yes: {}", init.stdout);
    assert!(
        init.stdout.contains("keyway can take over these 1 objects"),
        "{}",
        init.stdout
    );
    let r = k.run(&["plan"]).code(1);
    assert!(r.stderr.contains("holds Terraform's state"), "{}", r.stderr);
    k.run(&["init", "-force-copy"]).ok();
    k.run(&["plan", "-detailed-exitcode"]).ok();
}

/// `data "terraform_remote_state"` reads another stack's outputs from its backend (here pg,
/// and a local state file), sensitive ones staying sensitive, `defaults` filling the rest.
#[test]
fn remote_state_reads_another_stacks_outputs() {
    let pg = Postgres::start();
    let producer = Work::new(&format!(
        "{}\noutput \"endpoint\" {{\n  value = \"https://api.example.com/${{var.n}}\"\n}}\noutput \"token\" {{\n  value     = \"s3cr3t-token-value\"\n  sensitive = true\n}}\n",
        config(&pg, "")
    ));
    producer.run(&["init"]).ok();
    producer
        .run(&["apply", "-auto-approve", "-var", "n=7"])
        .ok();
    let consumer = Work::new(&format!(
        r#"data "terraform_remote_state" "api" {{
  backend = "pg"
  config = {{
    conn_str = "{}"
  }}
  defaults = {{
    region = "us-central1"
  }}
}}

data "terraform_remote_state" "local" {{
  backend = "local"
  config = {{
    path = "{}"
  }}
}}

output "endpoint" {{
  value = data.terraform_remote_state.api.outputs.endpoint
}}

output "region" {{
  value = data.terraform_remote_state.api.outputs.region
}}

output "token" {{
  value     = data.terraform_remote_state.api.outputs.token
  sensitive = true
}}

output "fixed" {{
  value = data.terraform_remote_state.local.outputs.greeting
}}
"#,
        pg.url(),
        producer.path().join("other.json").display()
    ));
    let local = Work::new("output \"greeting\" {\n  value = \"hello\"\n}\n");
    local.run(&["apply", "-auto-approve"]).ok();
    std::fs::copy(local.state_path(), producer.path().join("other.json")).expect("copy state");
    let out = consumer.run(&["apply", "-auto-approve"]).ok().stdout;
    assert!(
        out.contains("endpoint = \"https://api.example.com/7\""),
        "{out}"
    );
    assert!(out.contains("region   = \"us-central1\""), "{out}");
    assert!(out.contains("token    = <sensitive>"), "{out}");
    assert!(out.contains("fixed    = \"hello\""), "{out}");
    assert!(!out.contains("s3cr3t-token-value"), "{out}");
}

/// `-backend-config` (a KEY=VALUE and a file) completes a partial backend block, and the state
/// commands work on the remote state: `state pull` prints it, `state push` of an older copy
/// is refused, `state rm` writes back.
#[test]
fn backend_config_completes_the_block_and_state_commands_use_the_backend() {
    let pg = Postgres::start();
    let w = Work::new(
        "terraform {\n  backend \"pg\" {}\n}\n\nresource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {}\n",
    );
    w.write("pg.hcl", "schema_name = \"team_states\"\n");
    let conn = format!("conn_str={}", pg.url());
    w.run(&[
        "init",
        "-backend-config",
        &conn,
        "-backend-config",
        "pg.hcl",
    ])
    .ok();
    w.run(&["apply", "-auto-approve"]).ok();
    let names = pg.sql("SELECT name FROM team_states.states");
    assert_eq!(names, "default", "the file's schema_name is used");
    let pulled = w.run(&["state", "pull"]).ok().stdout;
    assert!(pulled.contains("\"format\": \"keyway-state\""), "{pulled}");
    w.write("old.json", &pulled);
    w.run(&["state", "rm", "terraform_data.b"]).ok();
    let listed = w.run(&["state", "list"]).ok().stdout;
    assert_eq!(listed.trim(), "terraform_data.a");
    let r = w.run(&["state", "push", "old.json"]).code(1);
    assert!(r.stderr.contains("not newer"), "{}", r.stderr);
    assert!(
        pg.sql("SELECT data FROM team_states.states")
            .contains("terraform_data.a"),
        "the row holds the state rm wrote"
    );
}
