//! Module sources `keyway init` fetches: a git repository (a local `file://` one, with a
//! `//subdir` and `?ref=` tag) and a module registry served by this test on 127.0.0.1
//! (Terraform's protocol: discovery, versions, download with `X-Terraform-Get`), whose version
//! constraint picks the newest allowed release. Each applies, re-plans clean and destroys.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use crate::support::Work;

pub(crate) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository with `modules/greeting` tagged `v1.0.0` (says "hello") and `v1.1.0` (says
/// "hi"), and `v2.0.0` (says "hey").
fn repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("temp");
    let module = repo.path().join("modules/greeting");
    std::fs::create_dir_all(&module).expect("mkdir");
    git(repo.path(), &["init", "-q"]);
    for (tag, word) in [("v1.0.0", "hello"), ("v1.1.0", "hi"), ("v2.0.0", "hey")] {
        std::fs::write(
            module.join("main.tf"),
            format!(
                "variable \"name\" {{}}\n\nresource \"terraform_data\" \"this\" {{\n  input = \"{word} ${{var.name}}\"\n}}\n\noutput \"text\" {{\n  value = terraform_data.this.output\n}}\n"
            ),
        )
        .expect("write");
        git(repo.path(), &["add", "-A"]);
        git(repo.path(), &["commit", "-qm", tag]);
        git(repo.path(), &["tag", tag]);
    }
    repo
}

fn root_calling(source: &str, version: Option<&str>) -> Work {
    let version = version
        .map(|v| format!("  version = \"{v}\"\n"))
        .unwrap_or_default();
    Work::new(&format!(
        "module \"greet\" {{\n  source  = \"{source}\"\n{version}  name    = \"world\"\n}}\n\noutput \"text\" {{\n  value = module.greet.text\n}}\n"
    ))
}

fn converges(w: &Work, want: &str) {
    w.run(&["apply", "-auto-approve"]).ok();
    let out = w.run(&["output", "-raw", "text"]).ok().stdout;
    assert_eq!(out, want);
    w.run(&["plan", "-detailed-exitcode"]).code(0);
    w.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn a_git_source_with_subdir_and_ref_is_fetched_by_init() {
    let repo = repository();
    let url = format!(
        "git::file://{}//modules/greeting?ref=v1.0.0",
        repo.path().display()
    );
    let w = root_calling(&url, None);
    let before = w.run(&["plan"]).code(1).stderr;
    assert!(before.contains("run `keyway init`"), "{before}");
    let init = w.run(&["init"]).ok().stdout;
    assert!(init.contains("- greet: downloaded git::file://"), "{init}");
    let again = w.run(&["init"]).ok().stdout;
    assert!(again.contains("- greet: already installed"), "{again}");
    converges(&w, "hello world");

    // A new ref is a new source: init fetches it.
    w.edit("main.tf", "ref=v1.0.0", "ref=v1.1.0");
    assert!(w.run(&["init"]).ok().stdout.contains("downloaded"));
    converges(&w, "hi world");
}

/// Serves Terraform's module registry protocol for `acme/NAME/google` (versions 1.0.0,
/// 1.1.0 and 2.0.0, each the repository's `modules/FOLDER` at tag `vVERSION`) for three
/// requests: discovery, versions, download.
pub(crate) fn registry(
    repo: &Path,
    name: &str,
    folder: &str,
) -> (String, std::thread::JoinHandle<()>) {
    let (name, folder) = (name.to_owned(), folder.to_owned());
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let host = format!("127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let repo = repo.display().to_string();
    let handle = std::thread::spawn(move || {
        // Three requests per init: discovery, versions, download.
        for stream in listener.incoming().take(3) {
            let Ok(mut stream) = stream else { return };
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let (status, headers, body) = if path == "/.well-known/terraform.json" {
                (
                    "200 OK",
                    String::new(),
                    r#"{"modules.v1":"/v1/modules/"}"#.to_owned(),
                )
            } else if path == format!("/v1/modules/acme/{name}/google/versions") {
                (
                    "200 OK",
                    String::new(),
                    r#"{"modules":[{"versions":[{"version":"1.0.0"},{"version":"1.1.0"},{"version":"2.0.0"}]}]}"#.to_owned(),
                )
            } else if let Some(v) = path
                .strip_prefix(&format!("/v1/modules/acme/{name}/google/"))
                .and_then(|p| p.strip_suffix("/download"))
            {
                (
                    "204 No Content",
                    format!("X-Terraform-Get: git::file://{repo}//modules/{folder}?ref=v{v}\r\n"),
                    String::new(),
                )
            } else {
                ("404 Not Found", String::new(), String::new())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (host, handle)
}

#[test]
fn a_registry_module_is_resolved_by_its_version_constraint() {
    let repo = repository();
    let (host, server) = registry(repo.path(), "greeting", "greeting");
    let w = root_calling(&format!("{host}/acme/greeting/google"), Some("~> 1.0"));
    let init = w.run(&["init"]).ok().stdout;
    assert!(
        init.contains(&format!(
            "- greet: downloaded {host}/acme/greeting/google 1.1.0"
        )),
        "{init}"
    );
    server.join().expect("registry thread");
    converges(&w, "hi world");
}
