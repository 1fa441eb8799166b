//! What the team-backend tests share whatever the backend: the folder they apply (three fixed
//! objects and one that changes with `var.n`), eight applies started at once, a holder slow
//! enough to be caught holding the lock, waiting for something to appear, and the checks that
//! nothing was lost and a refused write was kept on disk.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Work;

/// A folder with `backend` (a whole `backend "..." { }` block) and `extra` configuration.
pub fn folder(backend: &str, extra: &str) -> String {
    format!(
        r#"terraform {{
  {backend}
}}

variable "n" {{
  default = 0
}}

resource "terraform_data" "fixed" {{
  count = 3
  input = "fixed-${{count.index}}"
}}

resource "terraform_data" "x" {{
  input = var.n
}}
{extra}"#
    )
}

/// A resource whose creation holds the lock for `secs` seconds.
pub fn slow(secs: u32) -> String {
    format!("resource \"time_sleep\" \"wait\" {{\n  create_duration = \"{secs}s\"\n}}\n")
}

/// Starts a command with its output captured.
pub fn spawn(mut c: Command) -> Child {
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keyway")
}

/// Waits for a started run: whether it succeeded, and its stdout and stderr together.
pub fn finish(c: Child) -> (bool, String) {
    let out = c.wait_with_output().expect("run finishes");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Starts `count` applies at once (`-var n=1..count`, each willing to wait two minutes for
/// the lock), waits for all of them and asserts each succeeded; answers how long they took.
pub fn applies_at_once(count: usize, keyway: impl Fn(&[&str]) -> Command) -> Duration {
    let start = Instant::now();
    let runs: Vec<Child> = (1..=count)
        .map(|i| {
            let n = format!("n={i}");
            spawn(keyway(&[
                "apply",
                "-auto-approve",
                "-lock-timeout=120s",
                "-var",
                &n,
            ]))
        })
        .collect();
    for r in runs {
        let (ok, text) = finish(r);
        assert!(ok, "{text}");
    }
    start.elapsed()
}

/// `state list` output still naming every object of [`folder`].
pub fn assert_nothing_lost(listed: &str) {
    for addr in [
        "terraform_data.fixed[0]",
        "terraform_data.fixed[1]",
        "terraform_data.fixed[2]",
        "terraform_data.x",
    ] {
        assert!(listed.contains(addr), "{addr} lost: {listed}");
    }
}

/// The `.keyway/errored-state-N.json` files a refused write left in the folder.
pub fn rescued(w: &Work) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(w.path().join(".keyway"))
        .expect(".keyway")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("errored-state-"))
        })
        .collect()
}

/// Polls `probe` until it answers something (30 s at most).
pub fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
