//! The language features real folders for this stack use, together in one folder
//! (`tests/fixtures/everyday`): a `dynamic` env block, `random_password` feeding a Secret
//! Manager version that the service reads, `time_sleep`, and a `null_resource` with create-
//! and destroy-time `local-exec` provisioners. Applies on the emulator, re-plans clean,
//! destroys; the destroy-time command runs exactly once and no output shows the password.

use crate::support::{emulator, root, Work};

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_blocks_provisioners_random_and_time_apply_together() {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("tests/fixtures/everyday"));
    let run = |args: &[&str]| w.on(&emu, args);
    let applied = run(&["apply", "-auto-approve"]).ok().stdout;
    assert!(applied.contains("Resources: 8 added"), "{applied}");
    let state = w.state_json();
    let find = |addr: &str| {
        state["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == addr))
            .map(|r| r["attributes"].clone())
            .unwrap_or_else(|| panic!("{addr} in state"))
    };
    let password = find("random_password.db")["result"]
        .as_str()
        .expect("password")
        .to_owned();
    assert!(!applied.contains(&password), "{applied}");
    let env =
        find("google_cloud_run_v2_service.app")["template"][0]["containers"][0]["env"].clone();
    let names: Vec<&str> = env
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["LOG_LEVEL", "MODE", "DB_PASSWORD"], "{env}");

    let again = run(&["plan", "-detailed-exitcode"]).code(0).stdout;
    assert!(again.contains("No changes."), "{again}");
    let destroyed = run(&["destroy", "-auto-approve"]).ok().stdout;
    assert!(destroyed.contains("Resources: 8 destroyed."), "{destroyed}");
    let log = std::fs::read_to_string(w.path().join("provisioned.log")).expect("log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(lines[0].starts_with("deployed https://app-"), "{log}");
    assert!(lines[1].starts_with("destroyed https://app-"), "{log}");
}
