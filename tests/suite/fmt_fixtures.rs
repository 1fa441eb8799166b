//! `keyway fmt` against `terraform fmt`: every `tests/fixtures/fmt/<case>/in.tf` must format to
//! the `out.tf` beside it, which was produced by running Terraform 1.11's `terraform fmt` on
//! the input; formatting must also be idempotent.

use std::path::{Path, PathBuf};

use keyway::config::format::format;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fmt");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("in.tf").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "expected at least 10 fmt cases");
    dirs
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn matches_terraform_fmt() {
    let mut failures = Vec::new();
    for dir in cases() {
        let input = read(&dir.join("in.tf"));
        let expected = read(&dir.join("out.tf"));
        match format(&input) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => {
                let diff = similar::TextDiff::from_lines(&expected, &actual)
                    .unified_diff()
                    .header("terraform fmt", "keyway fmt")
                    .to_string();
                failures.push(format!("{}:\n{diff}", dir.display()));
            }
            Err(e) => failures.push(format!("{}: {e}", dir.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn formatting_is_idempotent() {
    for dir in cases() {
        for file in ["in.tf", "out.tf"] {
            let once = format(&read(&dir.join(file))).expect("format");
            let twice = format(&once).expect("format again");
            assert_eq!(once, twice, "{}/{file}", dir.display());
        }
    }
}
