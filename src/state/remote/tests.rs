use std::sync::Arc;

use super::memory::Memory;
use super::*;
use crate::state::model::State;

fn store(objects: &Arc<Memory>, dir: &Path) -> RemoteStore {
    RemoteStore::new(
        objects.clone(),
        "env/default.tfstate".into(),
        "env/default.tflock".into(),
        dir,
    )
}

#[test]
fn writes_compare_and_swap_against_the_version_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let objects = Arc::new(Memory::default());
    let a = store(&objects, dir.path());
    let b = store(&objects, dir.path());
    assert!(a.read().expect("read").is_none());
    let mut s = State::new();
    a.write(&mut s).expect("first write");
    let mut seen_by_b = b.read().expect("read").expect("state");
    a.write(&mut s)
        .expect("a writes again over its own version");
    let refused = b
        .write(&mut seen_by_b)
        .expect_err("b read an older version");
    match refused {
        Error::WriteRefused {
            rescued, serial, ..
        } => {
            assert_eq!(serial, 2);
            let kept = std::fs::read_to_string(&rescued).expect("copy kept");
            assert!(kept.contains("\"serial\": 2"), "{kept}");
        }
        other => panic!("expected WriteRefused, got {other}"),
    }
    assert_eq!(
        seen_by_b.serial, 1,
        "the refused write's serial is restored"
    );
    let stored = a.read().expect("read").expect("state");
    assert_eq!(stored.serial, 2);
}

#[test]
fn a_first_write_never_replaces_state_it_did_not_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let objects = Arc::new(Memory::default());
    let a = store(&objects, dir.path());
    let b = store(&objects, dir.path());
    a.read().expect("read");
    b.read().expect("read");
    a.write(&mut State::new()).expect("a creates it");
    assert!(matches!(
        b.write(&mut State::new()),
        Err(Error::WriteRefused { .. })
    ));
}

#[test]
fn locks_exclude_and_name_their_holder_and_release_on_drop() {
    let dir = tempfile::tempdir().expect("tmp");
    let objects = Arc::new(Memory::default());
    let a = store(&objects, dir.path());
    let b = store(&objects, dir.path());
    let held = a.lock("apply").expect("a locks");
    match b.lock("plan") {
        Err(Error::RemoteLocked { info, .. }) => {
            assert_eq!(info.operation, "apply");
            assert_eq!(info.id, held.info().id);
        }
        other => panic!("expected RemoteLocked, got {other:?}"),
    }
    drop(held);
    b.lock("plan").expect("free again");
}

#[test]
fn a_lapsed_lease_is_stale_until_force_unlocked() {
    let dir = tempfile::tempdir().expect("tmp");
    let objects = Arc::new(Memory::default());
    let doc = LockDoc {
        id: "dead-run".into(),
        operation: "apply".into(),
        info: String::new(),
        who: "ci@runner".into(),
        version: "keyway".into(),
        created: "2026-01-01T00:00:00Z".into(),
        path: String::new(),
        pid: Some(1),
        lease: Some("2026-01-01T00:00:30Z".into()),
    };
    let bytes = serde_json::to_vec(&doc).expect("json");
    objects
        .put("env/default.tflock", &bytes, Cond::Absent)
        .map_err(|_| "put")
        .expect("planted");
    let s = store(&objects, dir.path());
    match s.lock("apply") {
        Err(Error::StaleLock { info, age, .. }) => {
            assert_eq!(info.id, "dead-run");
            assert!(!age.is_empty());
        }
        other => panic!("expected StaleLock, got {other:?}"),
    }
    assert!(matches!(
        s.force_unlock("other-id"),
        Err(Error::LockIdMismatch { .. })
    ));
    s.force_unlock("dead-run").expect("freed");
    s.lock("apply").expect("taken after force-unlock");
}

#[test]
fn a_holder_whose_lock_was_taken_over_cannot_write() {
    let dir = tempfile::tempdir().expect("tmp");
    let objects = Arc::new(Memory::default());
    let a = store(&objects, dir.path());
    let held = a.lock("apply").expect("a locks");
    let mut state = a.read().expect("read").unwrap_or_default();
    let b = store(&objects, dir.path());
    b.force_unlock(&held.info().id).expect("force-unlocked");
    let _b_lock = b.lock("apply").expect("b takes it");
    // a's renewal would notice; the write must not wait for it.
    held.held
        .lost
        .store(renew_once(&held.held), std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(
        a.write(&mut state),
        Err(Error::WriteRefused { .. })
    ));
}

/// One renewal, as the lease thread makes it: true when the lock object changed under it.
fn renew_once(held: &Held) -> bool {
    let (doc, version) = lock_or_recover(&held.doc).clone();
    let bytes = serde_json::to_vec(&doc).expect("json");
    matches!(
        held.objects.put(&held.key, &bytes, Cond::Matches(&version)),
        Err(Failed::Conflict)
    )
}
