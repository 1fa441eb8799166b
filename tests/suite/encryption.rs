//! State and plan encryption with OpenTofu's `encryption` block: nothing secret in clear in
//! state, backups or saved plans; a wrong passphrase is a clear error; clear state is read
//! only while migrating; a rotated key reads what the old one wrote through `fallback`.

use crate::support::postgres::Postgres;
use crate::support::Work;

const SECRET_OUTPUT: &str =
    "output \"pw\" {\n  value     = random_password.p.result\n  sensitive = true\n}\n";

fn folder(state_block: &str, extra: &str) -> String {
    format!(
        r#"variable "passphrase" {{
  sensitive = true
}}

variable "old_passphrase" {{
  default   = "old passphrase for rotation"
  sensitive = true
}}

terraform {{
  {extra}
  encryption {{
    key_provider "pbkdf2" "main" {{
      passphrase = var.passphrase
    }}
    key_provider "pbkdf2" "old" {{
      passphrase = var.old_passphrase
    }}
    method "aes_gcm" "main" {{
      keys = key_provider.pbkdf2.main
    }}
    method "aes_gcm" "old" {{
      keys = key_provider.pbkdf2.old
    }}
    method "unencrypted" "migrate" {{}}
    {state_block}
    plan {{
      method = method.aes_gcm.main
    }}
  }}
}}

resource "random_password" "p" {{
  length = 24
}}
{SECRET_OUTPUT}"#
    )
}

const PASSPHRASE: &str = "correct horse battery staple";

/// Runs keyway with the passphrase in `TF_VAR_passphrase`.
fn keyed(w: &Work, args: &[&str]) -> std::process::Output {
    w.command(args)
        .env("TF_VAR_passphrase", PASSPHRASE)
        .output()
        .expect("keyway")
}

const STRICT: &str = "state {\n      method   = method.aes_gcm.main\n      enforced = true\n    }";

fn secret(w: &Work) -> String {
    w.run(&["output", "-raw", "pw"]).ok().stdout
}

fn clear_in(bytes: &[u8], secret: &str) -> bool {
    String::from_utf8_lossy(bytes).contains(secret)
}

#[test]
fn state_backups_and_saved_plans_hold_no_secret_in_clear() {
    let w = Work::new(&folder(STRICT, ""));
    let run = |args: &[&str]| keyed(&w, args);
    assert!(run(&["apply", "-auto-approve"]).status.success());
    let pw = {
        let out = run(&["output", "-raw", "pw"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(pw.len(), 24, "the output reads back through the key");
    assert!(run(&["plan", "-out", "p.plan"]).status.success());
    assert!(run(&["apply", "-auto-approve"]).status.success());
    for f in [".keyway/state.json", ".keyway/state.json.backup", "p.plan"] {
        let bytes = std::fs::read(w.path().join(f)).expect(f);
        assert!(!clear_in(&bytes, &pw), "{f} holds the password in clear");
        assert!(clear_in(&bytes, "encrypted_data"), "{f} is encrypted");
    }
    assert!(
        run(&["apply", "p.plan"]).status.success(),
        "an encrypted plan applies"
    );

    let wrong = w
        .command(&["plan"])
        .env("TF_VAR_passphrase", "not the passphrase at all")
        .output()
        .expect("keyway");
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "{err}");
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let plain = Work::new("resource \"terraform_data\" \"a\" {}\n");
    std::fs::create_dir_all(plain.path().join(".keyway")).expect("dir");
    std::fs::copy(w.path().join(".keyway/state.json"), plain.state_path()).expect("copy");
    let r = plain.run(&["plan"]).code(1);
    assert!(r.stderr.contains("no `encryption` block"), "{}", r.stderr);
}

#[test]
fn clear_state_is_encrypted_by_a_migrating_apply_and_refused_otherwise() {
    let w = Work::new(&format!(
        "resource \"random_password\" \"p\" {{\n  length = 24\n}}\n{SECRET_OUTPUT}"
    ));
    w.run(&["apply", "-auto-approve"]).ok();
    let pw = secret(&w);
    w.write("main.tf", &folder(STRICT, ""));
    let refused = keyed(&w, &["plan"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is not encrypted"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let migrating = "state {\n      method = method.aes_gcm.main\n      fallback {\n        method = method.unencrypted.migrate\n      }\n    }";
    w.write("main.tf", &folder(migrating, ""));
    let out = keyed(&w, &["apply", "-auto-approve"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing changed, so force a write with a refresh-only apply.
    let out = keyed(&w, &["apply", "-refresh-only", "-auto-approve"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(w.state_path()).expect("state");
    assert!(
        !clear_in(&bytes, &pw),
        "encrypted after the migrating apply"
    );
    w.write("main.tf", &folder(STRICT, ""));
    let out = keyed(&w, &["plan", "-detailed-exitcode"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_rotated_key_reads_what_the_old_one_wrote_through_fallback() {
    let old_only = "state {\n      method = method.aes_gcm.old\n    }";
    let w = Work::new(&folder(old_only, ""));
    let out = keyed(&w, &["apply", "-auto-approve"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotating = "state {\n      method = method.aes_gcm.main\n      fallback {\n        method = method.aes_gcm.old\n      }\n    }";
    w.write("main.tf", &folder(rotating, ""));
    let out = keyed(&w, &["apply", "-refresh-only", "-auto-approve"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w.write("main.tf", &folder(STRICT, ""));
    let out = keyed(&w, &["plan", "-detailed-exitcode"]);
    assert!(
        out.status.success(),
        "the new key alone reads it now: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn encrypted_state_in_postgres_holds_no_secret_in_clear() {
    let pg = Postgres::start();
    let backend = format!("backend \"pg\" {{\n    conn_str = \"{}\"\n  }}", pg.url());
    let w = Work::new(&folder(STRICT, &backend));
    for args in [&["init"][..], &["apply", "-auto-approve"][..]] {
        let out = keyed(&w, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = keyed(&w, &["output", "-raw", "pw"]);
    let pw = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(pw.len(), 24);
    let stored = pg.sql("SELECT data FROM terraform_remote_state.states");
    assert!(!stored.contains(&pw), "the row holds the password in clear");
    assert!(stored.contains("encrypted_data"));
}

/// `key_provider "aws_kms"` against moto's KMS: state and saved plans are sealed with a data
/// key KMS wraps, nothing secret is in clear, and a different KMS key cannot open them.
#[test]
fn an_aws_kms_key_provider_seals_state_and_plans() {
    let moto = crate::support::moto::Moto::start();
    let key_id = |description: &str| {
        let script = format!(
            "import boto3\nprint(boto3.client('kms', region_name='us-east-1').create_key(Description='{description}')['KeyMetadata']['KeyId'], end='')"
        );
        let mut c = std::process::Command::new(crate::support::root().join(".venv/bin/python"));
        c.args(["-c", &script]);
        moto.env(&mut c);
        let out = c.output().expect("python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let folder = |key: &str| {
        format!(
            r#"terraform {{
  encryption {{
    key_provider "aws_kms" "main" {{
      kms_key_id = "{key}"
      region     = "us-east-1"
      key_spec   = "AES_256"
    }}
    method "aes_gcm" "main" {{
      keys = key_provider.aws_kms.main
    }}
    state {{
      method   = method.aes_gcm.main
      enforced = true
    }}
    plan {{
      method = method.aes_gcm.main
    }}
  }}
}}

resource "random_password" "p" {{
  length = 24
}}
{SECRET_OUTPUT}"#
        )
    };
    let run = |w: &Work, args: &[&str]| {
        let mut c = w.command(args);
        moto.env(&mut c);
        crate::support::Run::from(c.output().expect("keyway"))
    };
    let w = Work::new(&folder(&key_id("state key")));
    run(&w, &["apply", "-auto-approve"]).ok();
    let password = run(&w, &["output", "-raw", "pw"]).ok().stdout;
    assert_eq!(password.len(), 24);
    let stored = std::fs::read_to_string(w.state_path()).expect("state");
    assert!(stored.contains("key_provider.aws_kms.main"), "{stored}");
    assert!(!stored.contains(&password), "the password is not in clear");
    run(&w, &["plan", "-out=p"]).ok();
    let plan = std::fs::read(w.path().join("p")).expect("plan");
    assert!(!String::from_utf8_lossy(&plan).contains(&password));
    assert!(run(&w, &["show", "-json", "p"])
        .ok()
        .stdout
        .contains("random_password.p"));
    // Another KMS key cannot open what this one sealed.
    w.write("main.tf", &folder(&key_id("another key")));
    let refused = run(&w, &["plan"]).code(1);
    assert!(
        refused.stderr.contains("key_provider.aws_kms.main"),
        "{}",
        refused.stderr
    );
}
