//! `backend "local" { path, workspace_dir }`: the default workspace's state in the file `path`
//! names (backup and lock beside it, the user's folder otherwise untouched), the others under
//! `workspace_dir`; migration from `.keyway/` and back keeping lineage and serial; Terraform's
//! state at `path` adopted in place.

use crate::support::team;
use crate::support::Work;

const BLOCK: &str =
    "backend \"local\" {\n    path          = \"state/prod.tfstate\"\n    workspace_dir = \"state/ws\"\n  }";

#[test]
fn state_lives_at_path_and_workspaces_under_workspace_dir() {
    let w = Work::new(&team::folder(BLOCK, ""));
    let r = w.run(&["plan"]).code(1);
    assert!(
        r.stderr.contains("Backend initialization required"),
        "{}",
        r.stderr
    );
    w.run(&["init"]).ok();
    w.run(&["apply", "-auto-approve"]).ok();
    let file = w.path().join("state/prod.tfstate");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("state at path"))
            .expect("JSON");
    assert_eq!(json["format"], "keyway-state");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only");
    }
    assert!(!w.state_path().exists(), "nothing in .keyway/state.json");
    assert!(
        !w.path().join("state/.gitignore").exists(),
        "the user's folder is left alone"
    );
    w.run(&["apply", "-auto-approve", "-var", "n=1"]).ok();
    assert!(w.path().join("state/prod.tfstate.backup").exists());
    w.run(&["plan", "-detailed-exitcode", "-var", "n=1"]).ok();

    w.run(&["workspace", "new", "blue"]).ok();
    w.run(&["apply", "-auto-approve"]).ok();
    assert!(w.path().join("state/ws/blue/state.json").exists());
    let listed = w.run(&["workspace", "list"]).ok().stdout;
    assert!(
        listed.contains("default") && listed.contains("* blue"),
        "{listed}"
    );
    w.run(&["workspace", "select", "default"]).ok();
    w.run(&["workspace", "delete", "-force", "blue"]).ok();
    assert!(!w.path().join("state/ws/blue").exists());
    assert!(file.exists(), "the default state stays");

    let bad = Work::new(&team::folder(
        "backend \"local\" {\n    pathh = \"x\"\n  }",
        "",
    ));
    let r = bad.run(&["init"]).code(1);
    assert!(r.stderr.contains("`pathh`"), "{}", r.stderr);
}

#[test]
fn state_migrates_to_path_and_back_keeping_lineage_and_serial() {
    let plain = team::folder("", "");
    let w = Work::new(&plain);
    w.run(&["apply", "-auto-approve"]).ok();
    let local = w.state_json();
    w.write("main.tf", &team::folder(BLOCK, ""));
    let r = w.run(&["init"]).code(1);
    assert!(r.stderr.contains("-migrate-state"), "{}", r.stderr);
    w.run(&["init", "-migrate-state"]).ok();
    let at_path = |w: &Work| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(w.path().join("state/prod.tfstate")).expect("state"),
        )
        .expect("JSON")
    };
    let moved = at_path(&w);
    assert_eq!(moved["serial"], local["serial"]);
    assert_eq!(moved["lineage"], local["lineage"]);
    w.run(&["apply", "-auto-approve", "-var", "n=3"]).ok();
    let newer = at_path(&w);
    w.write("main.tf", &plain);
    w.run(&["init", "-migrate-state", "-force-copy"]).ok();
    let back = w.state_json();
    assert_eq!(back["serial"], newer["serial"]);
    assert_eq!(back["lineage"], local["lineage"]);
    w.run(&["plan", "-detailed-exitcode", "-var", "n=3"]).ok();
}

/// A folder Terraform applied with its local backend (`terraform.tfstate`), given
/// `backend "local" { path = "terraform.tfstate" }`: keyway refuses to plan over Terraform's
/// state, adopts it in place (same lineage, next serial; Terraform's file kept as the backup)
/// and plans empty.
#[test]
fn terraform_state_at_path_is_adopted_in_place() {
    let folder = "terraform {\n  backend \"local\" {\n    path = \"terraform.tfstate\"\n  }\n}\n\nresource \"terraform_data\" \"a\" {\n  input = \"one\"\n}\n";
    let w = Work::new(folder);
    for args in [
        &["init", "-input=false", "-no-color"][..],
        &["apply", "-auto-approve", "-input=false", "-no-color"][..],
    ] {
        let out = crate::support::terraform(&w, args);
        assert!(
            out.status.success(),
            "terraform {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tf: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.path().join("terraform.tfstate")).expect("Terraform's state"),
    )
    .expect("JSON");
    assert_eq!(tf["version"], 4);
    w.run(&["init", "-force-copy"]).ok();
    let adopted: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.path().join("terraform.tfstate")).expect("keyway's state"),
    )
    .expect("JSON");
    assert_eq!(adopted["format"], "keyway-state");
    assert_eq!(adopted["lineage"], tf["lineage"]);
    assert_eq!(
        adopted["serial"].as_u64(),
        tf["serial"].as_u64().map(|s| s + 1)
    );
    let backup = std::fs::read_to_string(w.path().join("terraform.tfstate.backup"))
        .expect("Terraform's file kept");
    assert!(backup.contains("\"terraform_version\""), "{backup}");
    w.run(&["plan", "-detailed-exitcode"]).ok();
}
