//! Workspaces: separate states of one folder, `terraform.workspace` in expressions, the
//! selection kept in `.keyway/environment` and overridden by `TF_WORKSPACE`, and the refusals
//! Terraform has (deleting the current or default workspace, or one still tracking objects).

use crate::support::Work;

const FOLDER: &str = r#"
resource "terraform_data" "env" {
  input = "stack-${terraform.workspace}"
}

output "name" {
  value = terraform_data.env.output
}
"#;

#[test]
fn each_workspace_has_its_own_state_and_name() {
    let w = Work::new(FOLDER);
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(
        w.run(&["output", "-raw", "name"]).ok().stdout,
        "stack-default"
    );

    let new = w.run(&["workspace", "new", "dev"]).ok().stdout;
    assert!(
        new.contains("Created and switched to workspace \"dev\"!"),
        "{new}"
    );
    assert_eq!(w.run(&["workspace", "show"]).ok().stdout, "dev\n");
    let plan = w.run(&["plan"]).ok().stdout;
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    assert!(plan.contains("\"stack-dev\""), "{plan}");
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(w.run(&["output", "-raw", "name"]).ok().stdout, "stack-dev");
    assert!(w.path().join(".keyway/workspaces/dev/state.json").exists());
    assert_eq!(
        w.run(&["workspace", "list"]).ok().stdout,
        "  default\n* dev\n"
    );

    let back = w.run(&["workspace", "select", "default"]).ok().stdout;
    assert!(
        back.contains("Switched to workspace \"default\"."),
        "{back}"
    );
    assert_eq!(
        w.run(&["output", "-raw", "name"]).ok().stdout,
        "stack-default"
    );
    w.run(&["plan", "-detailed-exitcode"]).ok();

    // TF_WORKSPACE wins over the selection, and forbids selecting another.
    let dev = w
        .command(&["output", "-raw", "name"])
        .env("TF_WORKSPACE", "dev")
        .output();
    assert_eq!(
        String::from_utf8_lossy(&dev.expect("run").stdout),
        "stack-dev"
    );
    let sel = w
        .command(&["workspace", "select", "dev"])
        .env("TF_WORKSPACE", "dev")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&sel.stderr).contains("overridden using the TF_WORKSPACE"));

    let tracked = w.run(&["workspace", "delete", "dev"]).code(1).stderr;
    assert!(
        tracked.contains("is currently tracking the following resource instances"),
        "{tracked}"
    );
    assert!(tracked.contains("- terraform_data.env"), "{tracked}");
    w.run(&["workspace", "delete", "-force", "dev"]).ok();
    assert_eq!(w.run(&["workspace", "list"]).ok().stdout, "* default\n");
}

#[test]
fn what_terraform_refuses_is_refused() {
    let w = Work::new(FOLDER);
    let missing = w.run(&["workspace", "select", "prod"]).code(1).stderr;
    assert!(
        missing.contains("Workspace \"prod\" doesn't exist."),
        "{missing}"
    );
    w.run(&["workspace", "select", "-or-create", "prod"]).ok();
    let current = w.run(&["workspace", "delete", "prod"]).code(1).stderr;
    assert!(current.contains("is your active workspace"), "{current}");
    let default = w.run(&["workspace", "delete", "default"]).code(1).stderr;
    assert!(default.contains("cannot be deleted"), "{default}");
    let again = w.run(&["workspace", "new", "prod"]).code(1).stderr;
    assert!(again.contains("already exists"), "{again}");
    let bad = w.run(&["workspace", "new", "../x"]).code(1).stderr;
    assert!(bad.contains("is not allowed"), "{bad}");
}
