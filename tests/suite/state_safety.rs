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
    let mut text = String::from("resource \"terraform_data\" \"root\" { input = \"r\" }\n");
    for i in 0..n {
        text.push_str(&format!("resource \"terraform_data\" \"r{i}\" {{ input = \"${{terraform_data.root.output}}-{i}\" }}\n"));
    }
    let w = Work::new(&text);
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
}

#[test]
fn interrupted_apply_saves_state_and_the_next_run_finishes() {
    let n = 4000;
    let mut text = String::from("resource \"terraform_data\" \"root\" { input = \"r\" }\n");
    for i in 0..n {
        text.push_str(&format!("resource \"terraform_data\" \"r{i}\" {{ input = \"${{terraform_data.root.output}}-{i}\" }}\n"));
    }
    let w = Work::new(&text);
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
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
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
