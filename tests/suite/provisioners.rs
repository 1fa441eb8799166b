//! `local-exec` provisioners: output streamed with the address, `self`, environment,
//! interpreter and working directory, destroy-time commands run once, failures taint (or go on
//! with `on_failure = continue`), sensitive values withhold the output, and remote
//! provisioners are refused at their source.

use crate::support::Work;

const FOLDER: &str = r#"
variable "token" {
  default   = "hunter2-token"
  sensitive = true
}

resource "null_resource" "hello" {
  triggers = { v = "1" }

  provisioner "local-exec" {
    command     = "echo hello from $NAME; echo on stderr >&2; pwd"
    environment = { NAME = "keyway" }
    working_dir = "sub"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "echo destroyed ${self.id} >> destroyed.txt"
  }
}

resource "terraform_data" "secret" {
  provisioner "local-exec" {
    command = "echo the token is ${var.token}"
  }

  provisioner "local-exec" {
    command    = "exit 3"
    on_failure = continue
  }

  provisioner "local-exec" {
    interpreter = ["/bin/bash", "-c"]
    command     = "echo bash says $BASH_VERSINFO | cut -c1-9"
  }
}
"#;

#[test]
fn commands_run_after_create_and_before_destroy_with_their_output_streamed() {
    let w = Work::new(FOLDER);
    std::fs::create_dir(w.path().join("sub")).expect("mkdir");
    let out = w.run(&["apply", "-auto-approve"]).ok().stdout;
    assert!(
        out.contains("null_resource.hello: Provisioning with 'local-exec'..."),
        "{out}"
    );
    assert!(
        out.contains("null_resource.hello (local-exec): hello from keyway"),
        "{out}"
    );
    assert!(
        out.contains("null_resource.hello (local-exec): on stderr"),
        "{out}"
    );
    assert!(
        out.contains("/sub\n"),
        "working_dir is where it runs: {out}"
    );
    assert!(
        out.contains("terraform_data.secret (local-exec): bash says"),
        "{out}"
    );
    assert!(
        out.contains("exited with status 3 (on_failure = continue: going on)"),
        "{out}"
    );
    // A command reading a sensitive value keeps its output to itself.
    assert!(!out.contains("hunter2"), "{out}");
    assert!(
        out.contains("(output suppressed due to sensitive value in config)"),
        "{out}"
    );
    // Creation completes after the provisioners, as Terraform reports it.
    let provisioned = out.find("hello (local-exec): hello").expect("output");
    let complete = out
        .find("null_resource.hello: Creation complete")
        .expect("complete");
    assert!(provisioned < complete, "{out}");

    w.run(&["plan", "-detailed-exitcode"]).ok();
    w.run(&["destroy", "-auto-approve"]).ok();
    let log = std::fs::read_to_string(w.path().join("destroyed.txt")).expect("destroy ran");
    assert_eq!(
        log.lines().count(),
        1,
        "the destroy-time command runs once: {log}"
    );
    assert!(log.starts_with("destroyed "), "{log}");
}

#[test]
fn a_failed_command_taints_the_object_and_the_next_plan_replaces_it() {
    let w = Work::new(
        r#"
resource "terraform_data" "x" {
  input = "a"
  provisioner "local-exec" {
    command = "echo failing; exit 2"
  }
}
"#,
    );
    let r = w.run(&["apply", "-auto-approve"]).code(1);
    assert!(
        r.stdout.contains("terraform_data.x (local-exec): failing"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("the command exited with status 2"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("main.tf:4:3"),
        "points at the provisioner: {}",
        r.stderr
    );
    let plan = w.run(&["plan"]).ok().stdout;
    assert!(plan.contains("tainted"), "{plan}");
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{plan}"
    );
}

#[test]
fn remote_provisioners_connections_and_wide_destroy_references_are_refused() {
    let w = Work::new(
        r#"
variable "v" {
  default = "x"
}

resource "terraform_data" "a" {
  provisioner "remote-exec" {
    inline = ["echo hi"]
  }
}

resource "terraform_data" "b" {
  connection {
    host = "example.com"
  }
}

resource "terraform_data" "c" {
  provisioner "local-exec" {
    when    = destroy
    command = "echo ${var.v}"
  }
}

resource "terraform_data" "d" {
  provisioner "local-exec" {
    commnd = "echo typo"
  }
}
"#,
    );
    let r = w.run(&["validate"]).code(1);
    let err = r.stderr;
    assert!(
        err.contains("The `remote-exec` provisioner is not supported"),
        "{err}"
    );
    assert!(
        err.contains("`connection` blocks are not supported"),
        "{err}"
    );
    assert!(
        err.contains("Invalid reference from destroy provisioner"),
        "{err}"
    );
    assert!(err.contains("Unsupported argument `commnd`"), "{err}");
    assert!(
        err.contains("A local-exec provisioner needs `command`"),
        "{err}"
    );
}
