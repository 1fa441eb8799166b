//! Test support: run the real `keyway` binary in a temporary working folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod moto;
pub mod postgres;
pub mod team;

/// A temporary working folder with a configuration in it.
pub struct Work {
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
}

impl Work {
    /// A folder holding `main.tf` with `text`.
    pub fn new(text: &str) -> Work {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("main.tf"), text).expect("write main.tf");
        Work { dir }
    }

    /// A copy of a folder, with its sub-folders, but without what a user's runs left there
    /// (`.keyway/` state and emulator data, `.terraform/`): a test never depends on them.
    pub fn copy_of(src: &Path) -> Work {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(src, dir.path());
        Work { dir }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces `main.tf`.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).expect("write");
    }

    /// Replaces the first `from` in file `name` with `to`; the test fails if `from` is gone.
    pub fn edit(&self, name: &str, from: &str, to: &str) {
        let path = self.path().join(name);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{name} no longer contains {from:?}");
        std::fs::write(path, text.replacen(from, to, 1)).expect("write");
    }

    /// Removes the top-level block of file `name` that starts with `header` (top-level blocks
    /// end with a `}` alone on its line).
    pub fn remove_block(&self, name: &str, header: &str) {
        let path = self.path().join(name);
        let text = std::fs::read_to_string(&path).expect("read");
        let start = text.find(header).expect("block");
        let end = start + text[start..].find("\n}\n").expect("block end") + 3;
        std::fs::write(path, format!("{}{}", &text[..start], &text[end..])).expect("write");
    }

    /// Runs keyway with `args` in the folder.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("run keyway");
        Run::from(out)
    }

    /// Runs `keyway` in the folder against the emulator at `emu`, never real Google.
    pub fn on(&self, emu: &keyway::emulator::Emulator, args: &[&str]) -> Run {
        let out = self
            .command(args)
            .env("KEYWAY_EMULATOR", emu.base_url())
            .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
            .output()
            .expect("run keyway");
        Run::from(out)
    }

    /// The command, not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_keyway"));
        c.args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("TF_VAR_replicas");
        c
    }

    /// `.keyway/state.json`.
    pub fn state_path(&self) -> PathBuf {
        self.path().join(".keyway/state.json")
    }

    /// The state file parsed as JSON.
    pub fn state_json(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.state_path()).expect("state exists"))
            .expect("state is JSON")
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing the output on failure.
    pub fn code(self, want: i32) -> Run {
        assert_eq!(
            self.code, want,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts success.
    pub fn ok(self) -> Run {
        self.code(0)
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_tree(src: &Path, dst: &Path) {
    for e in std::fs::read_dir(src).expect("read folder") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name");
        if [".keyway", ".terraform", "terraform.tfstate"].contains(&name.to_str().unwrap_or("")) {
            continue;
        }
        let target = dst.join(name);
        if p.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy");
        }
    }
}

/// An emulator on a free loopback port, fresh, with short operations.
pub async fn emulator() -> keyway::emulator::Emulator {
    keyway::emulator::Emulator::start(keyway::emulator::Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(5),
    })
    .await
    .expect("emulator")
}

/// Terraform itself, offline, in the folder (no checkpoint calls, its home the folder), not
/// started: for the interop tests, which need `terraform` on PATH.
pub fn terraform_command(w: &Work, args: &[&str]) -> Command {
    let rc = w.path().join(".terraformrc");
    std::fs::write(&rc, "disable_checkpoint = true\n").expect("write rc");
    let mut c = Command::new("terraform");
    c.args(args)
        .current_dir(w.path())
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("HOME", w.path());
    c
}

/// Runs Terraform to completion (see [`terraform_command`]).
pub fn terraform(w: &Work, args: &[&str]) -> Output {
    terraform_command(w, args)
        .output()
        .expect("terraform is installed (the interop tests run it)")
}
