//! The built-in utility providers (random, null, time, local, archive, external) through the
//! real binary: the example folder applies, re-plans clean, replaces on a keepers change and
//! destroys its files; secrets never show; files changed outside are planned back; plus the
//! schemas' argument names against the providers' documentation.

use std::collections::BTreeSet;

use crate::support::{root, Work};

/// Every argument and attribute name each type has in the providers' docs (the "Schema"
/// sections of hashicorp/terraform-provider-{random,null,time,local,archive,external}).
const DOCUMENTED: &[(&str, bool, &[&str])] = &[
    ("null_resource", false, &["id", "triggers"]),
    (
        "null_data_source",
        true,
        &["has_computed_default", "id", "inputs", "outputs", "random"],
    ),
    (
        "random_id",
        false,
        &[
            "b64_std",
            "b64_url",
            "byte_length",
            "dec",
            "hex",
            "id",
            "keepers",
            "prefix",
        ],
    ),
    (
        "random_integer",
        false,
        &["id", "keepers", "max", "min", "result", "seed"],
    ),
    (
        "random_pet",
        false,
        &["id", "keepers", "length", "prefix", "separator"],
    ),
    (
        "random_shuffle",
        false,
        &["id", "input", "keepers", "result", "result_count", "seed"],
    ),
    ("random_uuid", false, &["id", "keepers", "result"]),
    (
        "random_string",
        false,
        &[
            "id",
            "keepers",
            "length",
            "lower",
            "min_lower",
            "min_numeric",
            "min_special",
            "min_upper",
            "number",
            "numeric",
            "override_special",
            "result",
            "special",
            "upper",
        ],
    ),
    (
        "random_password",
        false,
        &[
            "bcrypt_hash",
            "id",
            "keepers",
            "length",
            "lower",
            "min_lower",
            "min_numeric",
            "min_special",
            "min_upper",
            "number",
            "numeric",
            "override_special",
            "result",
            "special",
            "upper",
        ],
    ),
    (
        "time_static",
        false,
        &[
            "day", "hour", "id", "minute", "month", "rfc3339", "second", "triggers", "unix", "year",
        ],
    ),
    (
        "time_offset",
        false,
        &[
            "base_rfc3339",
            "day",
            "hour",
            "id",
            "minute",
            "month",
            "offset_days",
            "offset_hours",
            "offset_minutes",
            "offset_months",
            "offset_seconds",
            "offset_years",
            "rfc3339",
            "second",
            "triggers",
            "unix",
            "year",
        ],
    ),
    (
        "time_rotating",
        false,
        &[
            "day",
            "hour",
            "id",
            "minute",
            "month",
            "rfc3339",
            "rotation_days",
            "rotation_hours",
            "rotation_minutes",
            "rotation_months",
            "rotation_rfc3339",
            "rotation_years",
            "second",
            "triggers",
            "unix",
            "year",
        ],
    ),
    (
        "time_sleep",
        false,
        &["create_duration", "destroy_duration", "id", "triggers"],
    ),
    (
        "local_file",
        false,
        &[
            "content",
            "content_base64",
            "content_base64sha256",
            "content_base64sha512",
            "content_md5",
            "content_sha1",
            "content_sha256",
            "content_sha512",
            "directory_permission",
            "file_permission",
            "filename",
            "id",
            "sensitive_content",
            "source",
        ],
    ),
    (
        "local_sensitive_file",
        false,
        &[
            "content",
            "content_base64",
            "content_base64sha256",
            "content_base64sha512",
            "content_md5",
            "content_sha1",
            "content_sha256",
            "content_sha512",
            "directory_permission",
            "file_permission",
            "filename",
            "id",
            "source",
        ],
    ),
    (
        "local_file",
        true,
        &[
            "content",
            "content_base64",
            "content_base64sha256",
            "content_base64sha512",
            "content_md5",
            "content_sha1",
            "content_sha256",
            "content_sha512",
            "filename",
            "id",
        ],
    ),
    (
        "archive_file",
        true,
        &[
            "exclude_symlink_directories",
            "excludes",
            "id",
            "output_base64sha256",
            "output_base64sha512",
            "output_file_mode",
            "output_md5",
            "output_path",
            "output_sha",
            "output_sha256",
            "output_sha512",
            "output_size",
            "source",
            "source_content",
            "source_content_filename",
            "source_dir",
            "source_file",
            "type",
        ],
    ),
    (
        "external",
        true,
        &["id", "program", "query", "result", "working_dir"],
    ),
];

/// Attributes documented as sensitive.
const SENSITIVE: &[(&str, &str)] = &[
    ("random_password", "result"),
    ("random_password", "bcrypt_hash"),
    ("local_file", "sensitive_content"),
    ("local_sensitive_file", "content"),
    ("local_sensitive_file", "content_base64"),
];

#[test]
fn schema_names_match_the_provider_docs() {
    for (ty, data, names) in DOCUMENTED {
        let schema = keyway::schema::lookup_in(ty, *data)
            .unwrap_or_else(|| panic!("no schema for {ty} (data source: {data})"));
        let have: BTreeSet<&str> = schema
            .attributes
            .keys()
            .chain(schema.blocks.keys())
            .map(String::as_str)
            .collect();
        let want: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(have, want, "{ty} (data source: {data})");
    }
    for (ty, attr) in SENSITIVE {
        let schema = keyway::schema::lookup_in(ty, false).expect("schema");
        assert!(
            schema.attributes[*attr].sensitive,
            "{ty}.{attr} must be sensitive"
        );
    }
}

fn example() -> Work {
    Work::copy_of(&root().join("examples/utility-providers"))
}

/// A resource's attributes in state.
fn attrs(w: &Work, addr: &str) -> serde_json::Value {
    let state = w.state_json();
    state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == addr))
        .map(|r| r["attributes"].clone())
        .unwrap_or_else(|| panic!("{addr} not in state: {state}"))
}

fn text(v: &serde_json::Value) -> String {
    v.as_str().expect("a string").to_owned()
}

#[test]
fn example_applies_replans_clean_and_keeps_secrets() {
    let w = example();
    let plan = w.run(&["plan"]).ok();
    assert!(
        plan.stdout.contains("(known after apply)"),
        "{}",
        plan.stdout
    );
    // Sensitive attributes are announced, as Terraform announces them, never shown.
    for attr in ["result", "bcrypt_hash", "content"] {
        assert!(
            plan.stdout.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with(&format!("+ {attr} ")) && l.ends_with("= (sensitive value)")
            }),
            "{attr}: {}",
            plan.stdout
        );
    }
    let apply = w.run(&["apply", "-auto-approve"]).ok();

    let password = text(&attrs(&w, "random_password.db")["result"]);
    assert_eq!(password.chars().count(), 24);
    let hash = text(&attrs(&w, "random_password.db")["bcrypt_hash"]);
    for out in [&plan.stdout, &plan.stderr, &apply.stdout, &apply.stderr] {
        assert!(!out.contains(&password), "password printed:\n{out}");
        assert!(!out.contains(&hash), "bcrypt hash printed:\n{out}");
    }

    let suffix = text(&attrs(&w, "random_id.suffix")["hex"]);
    let config = std::fs::read_to_string(w.path().join("build/config.json")).expect("config");
    assert!(config.contains(&format!("\"orders-{suffix}\"")), "{config}");
    let creds = std::fs::read_to_string(w.path().join("build/credentials.env")).expect("creds");
    assert_eq!(creds, format!("DB_PASSWORD={password}\n"));
    let zip = std::fs::read(w.path().join("build/bundle.zip")).expect("zip");
    assert_eq!(&zip[..4], b"PK\x03\x04");
    let out = w.run(&["output", "-json"]).ok();
    assert!(out.stdout.contains("orders-artifacts"), "{}", out.stdout);

    let again = w.run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    assert_eq!(
        std::fs::read(w.path().join("build/bundle.zip")).expect("zip"),
        zip
    );
}

#[test]
fn keepers_change_replaces_and_destroy_removes_files() {
    let w = example();
    w.run(&["apply", "-auto-approve"]).ok();
    let before = text(&attrs(&w, "random_id.suffix")["hex"]);
    let pet = text(&attrs(&w, "random_pet.release")["id"]);

    let plan = w.run(&["plan", "-var", "app=billing"]).ok();
    assert!(
        plan.stdout.contains("random_id.suffix must be replaced"),
        "{}",
        plan.stdout
    );
    w.run(&["apply", "-auto-approve", "-var", "app=billing"])
        .ok();
    let after = text(&attrs(&w, "random_id.suffix")["hex"]);
    assert_ne!(before, after);
    assert!(text(&attrs(&w, "random_pet.release")["id"]).starts_with("billing-"));
    assert_ne!(pet, text(&attrs(&w, "random_pet.release")["id"]));
    let config = std::fs::read_to_string(w.path().join("build/config.json")).expect("config");
    assert!(config.contains(&format!("billing-{after}")), "{config}");

    w.run(&["destroy", "-auto-approve", "-var", "app=billing"])
        .ok();
    assert!(!w.path().join("build/config.json").exists());
    assert!(!w.path().join("build/credentials.env").exists());
}

#[test]
fn files_changed_or_deleted_outside_are_planned_back() {
    let w = example();
    w.run(&["apply", "-auto-approve"]).ok();
    let creds = w.path().join("build/credentials.env");
    std::fs::write(&creds, "DB_PASSWORD=tampered-secret\n").expect("write");
    std::fs::remove_file(w.path().join("build/config.json")).expect("rm");

    let plan = w.run(&["plan", "-detailed-exitcode"]).code(2);
    assert!(
        plan.stdout
            .contains("local_sensitive_file.credentials must be replaced"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("local_file.config will be created"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("tampered-secret"), "{}", plan.stdout);

    w.run(&["apply", "-auto-approve"]).ok();
    let password = text(&attrs(&w, "random_password.db")["result"]);
    assert_eq!(
        std::fs::read_to_string(&creds).expect("creds"),
        format!("DB_PASSWORD={password}\n")
    );
    w.run(&["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn random_values_follow_their_arguments() {
    let w = Work::new(
        r#"
resource "random_string" "s" {
  length      = 16
  special     = false
  min_numeric = 4
}

resource "random_integer" "seeded" {
  min  = 1
  max  = 1000000
  seed = "same"
}

resource "random_integer" "seeded_too" {
  min  = 1
  max  = 1000000
  seed = "same"
}

resource "random_shuffle" "az" {
  input        = ["a", "b", "c"]
  result_count = 5
}

resource "random_uuid" "u" {}

output "s" {
  value = random_string.s.result
}
"#,
    );
    let plan = w.run(&["plan"]).ok();
    // Documented defaults show in the plan; set arguments keep their value.
    let shows = |name: &str, value: &str| {
        plan.stdout.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with(&format!("+ {name} ")) && l.ends_with(&format!("= {value}"))
        })
    };
    assert!(shows("special", "false"), "{}", plan.stdout);
    assert!(shows("upper", "true"), "{}", plan.stdout);
    assert!(shows("min_upper", "0"), "{}", plan.stdout);
    w.run(&["apply", "-auto-approve"]).ok();
    let s = text(&attrs(&w, "random_string.s")["result"]);
    assert_eq!(s.len(), 16);
    assert!(s.chars().all(|c| c.is_ascii_alphanumeric()), "{s}");
    assert!(s.chars().filter(char::is_ascii_digit).count() >= 4, "{s}");
    assert_eq!(
        attrs(&w, "random_integer.seeded")["result"],
        attrs(&w, "random_integer.seeded_too")["result"]
    );
    let shuffled = attrs(&w, "random_shuffle.az")["result"].clone();
    assert_eq!(shuffled.as_array().map(Vec::len), Some(5));
    let uuid = text(&attrs(&w, "random_uuid.u")["result"]);
    assert_eq!(uuid.len(), 36);
    w.run(&["plan", "-detailed-exitcode"]).code(0);
    assert_eq!(text(&attrs(&w, "random_string.s")["result"]), s);
}

#[test]
fn time_sleep_waits_on_create_and_destroy() {
    let w = Work::new(
        r#"
resource "time_sleep" "wait" {
  create_duration  = "1s"
  destroy_duration = "1s"
}
"#,
    );
    let start = std::time::Instant::now();
    w.run(&["apply", "-auto-approve"]).ok();
    assert!(start.elapsed() >= std::time::Duration::from_secs(1));
    let start = std::time::Instant::now();
    w.run(&["destroy", "-auto-approve"]).ok();
    assert!(start.elapsed() >= std::time::Duration::from_secs(1));
}

#[test]
fn time_rotating_is_created_anew_once_its_time_has_passed() {
    let w = Work::new(
        r#"
resource "time_rotating" "key" {
  rfc3339          = "2020-01-01T00:00:00Z"
  rotation_minutes = 1
}
"#,
    );
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(
        text(&attrs(&w, "time_rotating.key")["rotation_rfc3339"]),
        "2020-01-01T00:01:00Z"
    );
    let plan = w.run(&["plan", "-detailed-exitcode"]).code(2);
    assert!(
        plan.stdout.contains("time_rotating.key will be created"),
        "{}",
        plan.stdout
    );
}

#[test]
fn external_program_gets_the_query_and_runs_in_working_dir() {
    let w = Work::new(
        r#"
data "external" "echo" {
  program = ["sh", "-c", "cat"]
  query = {
    greeting = "hi"
  }
}

data "external" "where" {
  program     = ["sh", "-c", "cat >/dev/null; printf '{\"dir\":\"%s\"}' \"$(basename \"$PWD\")\""]
  working_dir = "sub"
}

output "greeting" {
  value = data.external.echo.result.greeting
}

output "dir" {
  value = data.external.where.result.dir
}
"#,
    );
    std::fs::create_dir(w.path().join("sub")).expect("mkdir");
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(w.run(&["output", "-raw", "greeting"]).ok().stdout, "hi");
    assert_eq!(w.run(&["output", "-raw", "dir"]).ok().stdout, "sub");
}

#[test]
fn external_program_errors_carry_its_stderr() {
    let w = Work::new(
        r#"
data "external" "bad" {
  program = ["sh", "-c", "echo 'no credentials for the vault' >&2; exit 3"]
}
"#,
    );
    let plan = w.run(&["plan"]).code(1);
    assert!(
        plan.stderr.contains("no credentials for the vault"),
        "{}",
        plan.stderr
    );

    w.write(
        "main.tf",
        r#"
data "external" "not_strings" {
  program = ["sh", "-c", "echo '{\"n\": 1}'"]
}
"#,
    );
    let plan = w.run(&["plan"]).code(1);
    assert!(plan.stderr.contains("is not a string"), "{}", plan.stderr);
}

#[test]
fn archive_of_a_folder_is_deterministic_and_honours_excludes() {
    let w = Work::new(
        r#"
data "archive_file" "site" {
  type        = "zip"
  source_dir  = "${path.module}/site"
  excludes    = ["**/*.tmp"]
  output_path = "${path.module}/out/site.zip"
}

output "sha" {
  value = data.archive_file.site.output_sha
}
"#,
    );
    std::fs::create_dir_all(w.path().join("site/css")).expect("mkdir");
    w.write("site/index.html", "<h1>hi</h1>\n");
    w.write("site/css/a.css", "h1 {}\n");
    w.write("site/css/scratch.tmp", "junk\n");
    w.run(&["apply", "-auto-approve"]).ok();
    let first = w.run(&["output", "-raw", "sha"]).ok().stdout;
    // New modification times alone change nothing.
    w.write("site/index.html", "<h1>hi</h1>\n");
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(w.run(&["output", "-raw", "sha"]).ok().stdout, first);
    let listing = std::process::Command::new("unzip")
        .args(["-Z1", "out/site.zip"])
        .current_dir(w.path())
        .output();
    if let Ok(l) = listing {
        assert_eq!(
            String::from_utf8_lossy(&l.stdout),
            "css/a.css\nindex.html\n"
        );
    }
}

#[test]
fn bad_arguments_fail_the_plan_at_their_source() {
    let w = Work::new(
        r#"
resource "random_password" "short" {
  length = 0
}

resource "local_file" "both" {
  filename = "out.txt"
  content  = "a"
  source   = "b.txt"
}

data "archive_file" "tarball" {
  type        = "tar.gz"
  source_file = "main.tf"
  output_path = "out.tgz"
}
"#,
    );
    let plan = w.run(&["plan"]).code(1);
    let err = &plan.stderr;
    assert!(err.contains("`length` must be at least 1"), "{err}");
    assert!(err.contains("main.tf:3:12"), "{err}");
    assert!(
        err.contains("exactly one of `content`, `sensitive_content`, `content_base64`, `source`"),
        "{err}"
    );
    assert!(err.contains("`type` must be one of `zip`"), "{err}");
    assert!(!w.path().join("out.tgz").exists());
}

#[test]
fn a_data_source_reads_after_the_resource_it_depends_on_is_applied() {
    let w = Work::new(
        r#"
resource "local_file" "note" {
  filename = "${path.module}/note.txt"
  content  = "written by apply"
}

data "local_file" "note" {
  filename = local_file.note.filename
}

output "read_back" {
  value = data.local_file.note.content
}
"#,
    );
    // Read at plan time, the file would not exist yet: the read waits for apply.
    let plan = w.run(&["plan"]).ok();
    assert!(
        plan.stdout.contains(
            "# data.local_file.note will be read during apply\n  \
             # (depends on a resource or a module with changes pending)\n \
             <= data \"local_file\" \"note\" {"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("read_back = (known after apply)"),
        "{}",
        plan.stdout
    );
    w.run(&["apply", "-auto-approve"]).ok();
    let out = w.run(&["output", "-raw", "read_back"]).ok();
    assert_eq!(out.stdout, "written by apply");
    w.run(&["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn archives_of_content_and_ids_in_every_encoding() {
    let w = Work::new(
        r#"
data "archive_file" "blocks" {
  type        = "zip"
  output_path = "blocks.zip"
  source {
    filename = "b.txt"
    content  = "second"
  }
  source {
    filename = "a.txt"
    content  = "first"
  }
}

data "archive_file" "one" {
  type                    = "zip"
  output_path             = "one.zip"
  source_content          = "hello"
  source_content_filename = "hello.txt"
}

resource "random_id" "x" {
  byte_length = 8
  prefix      = "p-"
}

data "null_data_source" "n" {
  inputs = {
    size = data.archive_file.one.output_size
  }
}

output "size" {
  value = data.null_data_source.n.outputs.size
}
"#,
    );
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(
        w.run(&["output", "-raw", "size"]).ok().stdout,
        std::fs::metadata(w.path().join("one.zip"))
            .expect("zip")
            .len()
            .to_string()
    );
    if let Ok(l) = std::process::Command::new("unzip")
        .args(["-Z1", "blocks.zip"])
        .current_dir(w.path())
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&l.stdout), "a.txt\nb.txt\n");
    }
    let id = attrs(&w, "random_id.x");
    let hex = text(&id["hex"]);
    let bytes: Vec<u8> = (0..8)
        .map(|i| u8::from_str_radix(&hex[2 + 2 * i..4 + 2 * i], 16).expect("hex"))
        .collect();
    assert!(hex.starts_with("p-") && hex.len() == 18, "{hex}");
    let dec = u64::from_be_bytes(bytes.clone().try_into().expect("8 bytes"));
    assert_eq!(text(&id["dec"]), format!("p-{dec}"));
    assert!(text(&id["b64_url"]).starts_with("p-"));
    assert_eq!(format!("p-{}", text(&id["id"])), text(&id["b64_url"]));
    w.run(&["plan", "-detailed-exitcode"]).code(0);
}
