//! Behaviour of the local state store: file layout, atomic writes and backup, refusal of
//! corrupt or newer files, state push rules, and locking across handles and processes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use keyway::state::{Error, LocalStore, Output, ResourceInstance, State};
use serde_json::json;

fn sample_state() -> State {
    let mut s = State::new();
    s.resources.insert(
        "terraform_data.web[0]".into(),
        ResourceInstance {
            resource_type: "terraform_data".into(),
            provider: "builtin".into(),
            attributes: json!({"id": "abc", "key_string": "s3cr3t"}),
            sensitive_paths: vec!["/key_string".into()],
            dependencies: vec!["terraform_data.base".into()],
            ..Default::default()
        },
    );
    s.outputs.insert(
        "id".into(),
        Output {
            value: json!("abc"),
            sensitive: false,
        },
    );
    s
}

#[test]
fn read_without_state_is_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    assert_eq!(store.read().expect("read"), None);
    assert_eq!(store.read_raw().expect("read_raw"), None);
    assert_eq!(store.state_path(), dir.path().join(".keyway/state.json"));
}

#[test]
fn first_write_creates_dir_with_gitignore_and_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    let mut s = sample_state();
    store.write(&mut s).expect("write");
    assert_eq!(s.serial, 1);
    let gitignore =
        std::fs::read_to_string(dir.path().join(".keyway/.gitignore")).expect("gitignore");
    assert_eq!(gitignore.trim(), "*");
    assert_eq!(store.read().expect("read"), Some(s.clone()));
    // A new store (a new run) reads the same thing.
    assert_eq!(LocalStore::new(dir.path()).read().expect("read"), Some(s));
}

#[test]
fn write_increments_serial_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    let mut s = sample_state();
    for expected in 1..=5 {
        store.write(&mut s).expect("write");
        assert_eq!(s.serial, expected);
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join(".keyway"))
        .expect("readdir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec![".gitignore", "state.json", "state.json.backup"]);
}

#[cfg(unix)]
#[test]
fn state_and_backup_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = sample_state();
    LocalStore::new(dir.path()).write(&mut s).expect("write");
    LocalStore::new(dir.path()).write(&mut s).expect("write");
    for f in ["state.json", "state.json.backup"] {
        let mode = std::fs::metadata(dir.path().join(".keyway").join(f))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
}

#[test]
fn backup_holds_the_previous_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    let mut s = sample_state();
    store.write(&mut s).expect("write 1");
    assert!(
        !store.backup_path().exists(),
        "nothing to back up on the first write"
    );
    store.write(&mut s).expect("write 2");
    store.write(&mut s).expect("write 3");
    let backup = std::fs::read_to_string(store.backup_path()).expect("backup");
    assert!(backup.contains("\"serial\": 2,"), "{backup}");
    assert_eq!(store.read().expect("read").expect("some").serial, 3);
}

#[test]
fn corrupt_file_is_refused_and_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    std::fs::create_dir_all(dir.path().join(".keyway")).expect("mkdir");
    let garbage = "{\"format\": \"keyway-state\", \"version\": 1, \"lin";
    std::fs::write(store.state_path(), garbage).expect("write garbage");

    let err = store.read().expect_err("corrupt read");
    assert!(matches!(err, Error::Corrupt { .. }));
    assert!(err.to_string().contains("state.json"));

    let mut s = sample_state();
    let err = store.write(&mut s).expect_err("corrupt write");
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert_eq!(s.serial, 0, "serial untouched on refusal");
    assert_eq!(
        std::fs::read_to_string(store.state_path()).expect("read"),
        garbage
    );
}

#[test]
fn file_replaced_behind_our_back_is_rechecked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    let mut s = sample_state();
    store.write(&mut s).expect("write");
    std::fs::write(store.state_path(), "oops").expect("clobber");
    assert!(matches!(store.write(&mut s), Err(Error::Corrupt { .. })));
    assert_eq!(
        std::fs::read_to_string(store.state_path()).expect("read"),
        "oops"
    );
}

#[test]
fn newer_version_is_refused_with_supported_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    std::fs::create_dir_all(dir.path().join(".keyway")).expect("mkdir");
    let newer = r#"{"format":"keyway-state","version":3,"keyway_version":"7.0.0"}"#;
    std::fs::write(store.state_path(), newer).expect("write");
    let err = store.read().expect_err("newer");
    assert!(
        matches!(
            err,
            Error::UnsupportedVersion {
                found: 3,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let mut s = sample_state();
    assert!(store.write(&mut s).is_err());
    assert_eq!(
        std::fs::read_to_string(store.state_path()).expect("read"),
        newer
    );
}

#[test]
fn push_checks_lineage_and_serial_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    let mut s = sample_state();
    store.write(&mut s).expect("write"); // serial 1
    store.write(&mut s).expect("write"); // serial 2
    let pulled = store.read_raw().expect("pull").expect("some");

    // Same serial: refused.
    assert!(matches!(
        store.write_raw(&pulled, false),
        Err(Error::SerialNotNewer {
            current: 2,
            pushed: 2
        })
    ));
    // Newer serial: accepted.
    let newer = pulled.replace("\"serial\": 2,", "\"serial\": 5,");
    store.write_raw(&newer, false).expect("push newer");
    assert_eq!(store.read().expect("read").expect("some").serial, 5);

    // Other lineage: refused, then forced.
    let mut other = sample_state();
    other.serial = 99;
    let other_store_dir = tempfile::tempdir().expect("tempdir");
    let other_store = LocalStore::new(other_store_dir.path());
    other_store.write(&mut other).expect("write other");
    let other_json = other_store.read_raw().expect("pull").expect("some");
    assert!(matches!(
        store.write_raw(&other_json, false),
        Err(Error::LineageMismatch { .. })
    ));
    store.write_raw(&other_json, true).expect("forced");
    assert_eq!(
        store.read().expect("read").expect("some").lineage,
        other.lineage
    );

    // Invalid documents are refused even when forced.
    assert!(matches!(
        store.write_raw("{}", true),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn push_into_empty_dir_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = tempfile::tempdir().expect("tempdir");
    let mut s = sample_state();
    LocalStore::new(src.path()).write(&mut s).expect("write");
    let json = LocalStore::new(src.path())
        .read_raw()
        .expect("pull")
        .expect("some");
    let store = LocalStore::new(dir.path());
    store.write_raw(&json, false).expect("push");
    assert_eq!(store.read().expect("read"), Some(s));
}

#[test]
fn second_lock_in_same_process_fails_with_holder_details() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    let lock = store.lock("apply").expect("first lock");
    let err = LocalStore::new(dir.path())
        .lock("plan")
        .expect_err("second lock must fail");
    match &err {
        Error::Locked { info, .. } => {
            assert_eq!(**info, *lock.info());
            assert_eq!(info.operation, "apply");
            assert_eq!(info.pid, std::process::id());
            assert!(info.who.contains('@'));
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("apply") && msg.contains(&lock.info().created),
        "{msg}"
    );
    let help = miette::Diagnostic::help(&err).expect("help").to_string();
    assert!(
        help.contains(&format!("keyway force-unlock {}", lock.info().id)),
        "{help}"
    );
    drop(lock);
    let again = store.lock("plan").expect("lock after release");
    assert_eq!(again.info().operation, "plan");
}

#[test]
fn force_unlock_checks_the_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::new(dir.path());
    assert!(matches!(
        store.force_unlock("nope", None),
        Err(Error::NotLocked { .. })
    ));
    let lock = store.lock("apply").expect("lock");
    let id = lock.info().id.clone();
    assert!(matches!(
        store.force_unlock("wrong", None),
        Err(Error::LockIdMismatch { .. })
    ));
    // The holder (this process) is alive: refused unless it is named.
    assert!(matches!(
        store.force_unlock(&id, None),
        Err(Error::HolderAlive { .. })
    ));
    assert!(matches!(
        store.force_unlock(&id, Some(lock.info().pid + 1)),
        Err(Error::HolderAlive { .. })
    ));
    store
        .force_unlock(&id, Some(lock.info().pid))
        .expect("force unlock");
    // The orphaned holder no longer excludes a new run.
    let newer = store.lock("apply").expect("lock after force-unlock");
    assert_ne!(newer.info().id, id);
    drop(lock); // the old holder finishing must not disturb the new lock
    assert!(matches!(store.lock("plan"), Err(Error::Locked { .. })));
    drop(newer);
}

const CHILD_DIR_ENV: &str = "KEYWAY_TEST_LOCK_CHILD_DIR";

/// Not a real test: the body of the child process used by `lock_held_by_child_process`.
#[test]
#[ignore]
fn lock_child_holder() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let store = LocalStore::new(std::path::Path::new(&dir));
    let _lock = store.lock("child-apply").expect("child lock");
    println!("LOCKED");
    // Hold the lock until the parent kills us (or closes stdin).
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    std::thread::sleep(std::time::Duration::from_secs(60));
}

#[test]
fn lock_held_by_child_process_and_released_when_it_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "state_store::lock_child_holder",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_DIR_ENV, dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut saw_locked = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if line.contains("LOCKED") {
            saw_locked = true;
            break;
        }
    }
    assert!(saw_locked, "child never took the lock");

    let store = LocalStore::new(dir.path());
    let err = store.lock("apply").expect_err("child holds the lock");
    match err {
        Error::Locked { info, .. } => {
            assert_eq!(info.pid, child.id());
            assert_eq!(info.operation, "child-apply");
        }
        other => panic!("unexpected {other:?}"),
    }

    // A killed holder leaves no stale lock: the OS releases it.
    child.kill().expect("kill");
    child.wait().expect("wait");
    store.lock("apply").expect("lock after child died");
}
