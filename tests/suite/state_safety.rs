//! State safety through the real binary: corrupt and newer state files are refused and left
//! untouched, a held lock stops a second run, and a process killed mid-apply loses nothing.

use std::time::{Duration, Instant};

use crate::support::Work;

const SMALL: &str = "resource \"terraform_data\" \"a\" { input = 1 }\n";

#[test]
fn corrupt_state_is_refused_and_never_overwritten() {
    let w = Work::new(SMALL);
    std::fs::create_dir_all(w.path().join(".keyway")).expect("dir");
    std::fs::write(w.state_path(), "{ not json").expect("write");
    for cmd in [&["plan"][..], &["apply", "-auto-approve"][..]] {
        let r = w.run(cmd).code(1);
        assert!(r.stderr.contains("state"), "{}", r.stderr);
        assert!(r.stderr.contains("state.json"), "{}", r.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(w.state_path()).expect("read"),
        "{ not json"
    );
}

#[test]
fn newer_state_version_is_refused() {
    let w = Work::new(SMALL);
    w.run(&["apply", "-auto-approve"]).ok();
    let mut s = w.state_json();
    s["version"] = serde_json::json!(99);
    let text = serde_json::to_string(&s).expect("json");
    std::fs::write(w.state_path(), &text).expect("write");
    let r = w.run(&["apply", "-auto-approve"]).code(1);
    assert!(r.stderr.contains("version"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(w.state_path()).expect("read"), text);
}

#[test]
fn a_held_lock_stops_a_second_run_and_names_the_holder() {
    let w = Work::new(SMALL);
    let store = keyway::state::LocalStore::new(w.path());
    let lock = store.lock("apply").expect("lock");
    let r = w.run(&["apply", "-auto-approve"]).code(1);
    assert!(r.stderr.contains("force-unlock"), "{}", r.stderr);
    assert!(r.stderr.contains(&lock.info().id), "{}", r.stderr);
    drop(lock);
    w.run(&["apply", "-auto-approve"]).ok();
}

#[test]
fn state_file_is_private_and_backed_up() {
    let w = Work::new(SMALL);
    w.run(&["apply", "-auto-approve"]).ok();
    w.run(&["apply", "-auto-approve", "-replace=terraform_data.a"])
        .ok();
    assert!(w.path().join(".keyway/state.json.backup").is_file());
    assert_eq!(
        std::fs::read_to_string(w.path().join(".keyway/.gitignore"))
            .expect("gitignore")
            .trim(),
        "*"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(w.state_path())
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn killed_apply_converges_on_the_next_run() {
    let n = 4000;
    let w = Work::new(&many(n));
    let mut child = w
        .command(&["apply", "-auto-approve"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    // Kill as soon as the first state write lands: the run is then mid-way.
    while !w.state_path().exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let partial = w.state_json()["resources"].as_array().map_or(0, Vec::len);
    assert!(
        partial < n + 1,
        "the kill came too late to test anything ({partial} resources)"
    );
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(
        w.state_json()["resources"].as_array().map_or(0, Vec::len),
        n + 1
    );
    w.run(&["plan", "-detailed-exitcode"]).code(0);
    // Whatever temp file the kill left (a whole state) is gone.
    let leftovers: Vec<_> = std::fs::read_dir(w.path().join(".keyway"))
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn interrupted_apply_saves_state_and_the_next_run_finishes() {
    let n = 4000;
    let w = Work::new(&many(n));
    let child = w
        .command(&["apply", "-auto-approve", "-parallelism=2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while !w.state_path().exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    interrupt(&child);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let saved = w.state_json()["resources"].as_array().map_or(0, Vec::len);
    assert!(
        saved < n + 1,
        "the interrupt came too late to test anything"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Interrupted"), "{stderr}");
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(
        w.state_json()["resources"].as_array().map_or(0, Vec::len),
        n + 1
    );
}

/// A folder of `n` terraform_data resources hanging off one root, so an apply or destroy takes
/// long enough to interrupt.
fn many(n: usize) -> String {
    let mut text = String::from("resource \"terraform_data\" \"root\" { input = \"r\" }\n");
    for i in 0..n {
        text.push_str(&format!("resource \"terraform_data\" \"r{i}\" {{ input = \"${{terraform_data.root.output}}-{i}\" }}\n"));
    }
    text
}

fn interrupt(child: &std::process::Child) {
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
}

#[test]
fn interrupted_destroy_says_to_run_destroy_again() {
    let n = 4000;
    let w = Work::new(&many(n));
    w.run(&["apply", "-auto-approve"]).ok();
    let serial = w.state_json()["serial"].as_u64();
    let child = w
        .command(&["destroy", "-auto-approve", "-parallelism=2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    // Interrupt once the first deletion is saved: the destroy is then mid-way.
    while w.state_json()["serial"].as_u64() == serial && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    interrupt(&child);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let left = w.state_json()["resources"].as_array().map_or(0, Vec::len);
    assert!(left > 0, "the interrupt came too late to test anything");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Interrupted"), "{stderr}");
    assert!(stderr.contains("run `keyway destroy` again"), "{stderr}");
    assert!(!stderr.contains("keyway apply"), "{stderr}");
    w.run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(
        w.state_json()["resources"].as_array().map_or(1, Vec::len),
        0
    );
}

/// A second Ctrl-C does not wait for an operation in flight (here a Google service enablement
/// the emulator keeps running for a minute): keyway exits at once, says so, names what it
/// abandoned and keeps in state what completed before.
#[test]
fn a_second_interrupt_exits_at_once_and_keeps_what_completed() {
    use keyway::emulator::{Emulator, FaultConfig, Options};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let emu = rt
        .block_on(Emulator::start(Options {
            faults: FaultConfig {
                api_operation_delay: [("serviceusage".to_owned(), Duration::from_secs(120))].into(),
                ..FaultConfig::default()
            },
            ..Options::default()
        }))
        .expect("emulator");
    let w = Work::new(
        r#"provider "google" { project = "kw-interrupt" }
resource "terraform_data" "quick" { input = 1 }
resource "google_project_service" "slow" { service = "iam.googleapis.com" }
"#,
    );
    let child = w
        .command(&["apply", "-auto-approve"])
        .env("KEYWAY_EMULATOR", emu.base_url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    let enabling = || {
        emu.request_log()
            .iter()
            .any(|r| r.method == "serviceusage.services.enable")
    };
    while !(enabling() && w.state_path().exists()) && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(enabling(), "the enablement never started");
    interrupt(&child);
    // The first interrupt waits for the enablement; give it time to be received.
    std::thread::sleep(Duration::from_millis(500));
    interrupt(&child);
    let sent = Instant::now();
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        sent.elapsed() < Duration::from_secs(30),
        "took {:?}: {stderr}",
        sent.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    assert!(
        stderr.contains("Two interrupts received. Exiting immediately..."),
        "{stderr}"
    );
    assert!(
        stderr.contains("in flight: google_project_service.slow"),
        "{stderr}"
    );
    assert!(stderr.contains("run `keyway apply` again"), "{stderr}");
    let state = w.state_json();
    let addrs: Vec<&str> = state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert!(addrs.contains(&"terraform_data.quick"), "{state}");
    // The abandoned creation was recorded before it was sent: the next run will look for it.
    let pending = state["pending_creates"]
        .as_array()
        .expect("pending creations");
    assert_eq!(
        pending[0]["address"], "google_project_service.slow",
        "{state}"
    );
    rt.block_on(emu.shutdown());
}

/// `force-unlock` refuses to break the lock of a run still alive on this host (the test
/// process holds it here), naming the holder, unless `-force` names its pid.
#[test]
fn force_unlock_refuses_a_live_holder_unless_forced_by_pid() {
    let w = Work::new(SMALL);
    let store = keyway::state::LocalStore::new(w.path());
    let lock = store.lock("apply").expect("lock");
    let info = lock.info().clone();
    let r = w.run(&["force-unlock", &info.id]).code(1);
    for part in [
        format!("pid {}", info.pid),
        info.who.clone(),
        "`apply`".to_owned(),
        info.created.clone(),
        format!("-holder={}", info.pid),
    ] {
        assert!(r.stderr.contains(&part), "{part} in\n{}", r.stderr);
    }
    assert!(w.path().join(".keyway/state.lock").exists());
    // `-force` alone, or naming another process, is not enough.
    let r = w.run(&["force-unlock", "-force", &info.id]).code(1);
    assert!(r.stderr.contains("still running"), "{}", r.stderr);
    let r = w.run(&["force-unlock", &format!("-holder={}", info.pid), &info.id]);
    assert!(r.code(1).stderr.contains("--force"));
    let other = format!("-holder={}", info.pid + 1);
    w.run(&["force-unlock", "-force", &other, &info.id]).code(1);
    let named = format!("-holder={}", info.pid);
    w.run(&["force-unlock", "-force", &named, &info.id]).ok();
    drop(lock);
}

/// A lock recorded by a process that is gone (the OS lock went with it) is removed without
/// `-force`.
#[test]
fn force_unlock_removes_the_lock_of_a_dead_holder() {
    let w = Work::new(SMALL);
    let mut gone = std::process::Command::new("true").spawn().expect("spawn");
    let pid = gone.id();
    gone.wait().expect("wait");
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    std::fs::create_dir_all(w.path().join(".keyway")).expect("dir");
    let info = serde_json::json!({"id": "dead-1", "operation": "apply", "who": format!("u@{host}"),
        "pid": pid, "created": "2026-01-01T00:00:00Z"});
    std::fs::write(w.path().join(".keyway/state.lock"), info.to_string()).expect("write");
    w.run(&["force-unlock", "dead-1"]).ok();
    assert!(!w.path().join(".keyway/state.lock").exists());
}

/// A process killed between writing a state temp file and renaming it leaves a whole state
/// (secrets included) behind: the next run, once it holds the lock, removes it. A temp file
/// of a process still alive (this test) is left alone.
#[test]
fn temp_files_of_killed_writers_are_removed_at_the_next_start() {
    let w = Work::new(SMALL);
    w.run(&["apply", "-auto-approve"]).ok();
    let mut gone = std::process::Command::new("true").spawn().expect("spawn");
    let dead = gone.id();
    gone.wait().expect("wait");
    let dir = w.path().join(".keyway");
    let stale = [
        dir.join(format!(".state.json.tmp-{dead}-0123abcd")),
        dir.join(format!(".state.json.backup.tmp-{dead}-0123abcd")),
    ];
    let live = dir.join(format!(".state.json.tmp-{}-0123abcd", std::process::id()));
    for f in stale.iter().chain([&live]) {
        std::fs::write(f, "{\"secret\": \"s3cr3t\"}").expect("write");
    }
    w.run(&["plan"]).ok();
    for f in &stale {
        assert!(!f.exists(), "{} is still there", f.display());
    }
    assert!(live.exists());
}

/// A pending creation the next run cannot settle would block every run: `state list` shows
/// it and `state rm` removes it, like any recorded object.
#[test]
fn pending_creations_are_listed_and_removable() {
    let w = Work::new(SMALL);
    w.run(&["apply", "-auto-approve"]).ok();
    let mut s = w.state_json();
    s["pending_creates"] = serde_json::json!([{
        "address": "google_service_account.sa",
        "type": "google_service_account",
        "provider": "google",
        "attributes": {"account_id": "sa", "project": "p"}
    }]);
    std::fs::write(w.state_path(), serde_json::to_string(&s).expect("json")).expect("write");
    let listed = w.run(&["state", "list"]).ok();
    assert!(
        listed
            .stdout
            .contains("google_service_account.sa (pending creation)"),
        "{}",
        listed.stdout
    );
    let removed = w.run(&["state", "rm", "google_service_account.sa"]).ok();
    assert!(
        removed
            .stdout
            .contains("Removed google_service_account.sa (pending creation)"),
        "{}",
        removed.stdout
    );
    assert!(w.state_json().get("pending_creates").is_none());
}
