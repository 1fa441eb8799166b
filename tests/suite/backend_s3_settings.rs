//! The `s3` backend's settings and addressing against moto (`backend_s3` has the team
//! scenarios): what keyway refuses or warns about, `-backend-config`, SSE-KMS, credentials
//! from the files and profile the block names, virtual-hosted addressing, and (against a
//! scripted server, since moto never fails) a conditional write whose answer was lost.

use crate::backend_s3::{with_bucket, BUCKET, STATE};
use crate::support::team;
use crate::support::Work;

const KMS: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// Without `use_path_style` the bucket is addressed by host name (`team-state.s3.moto.test`):
/// keyway's process is given moto as its HTTP proxy, so the name needs no DNS and moto takes
/// the bucket from the `Host` header, as S3 does.
#[test]
fn virtual_hosted_addressing_names_the_bucket_in_the_host() {
    let moto = with_bucket();
    let block = format!(
        "backend \"s3\" {{\n    bucket = \"{BUCKET}\"\n    key = \"{STATE}\"\n    region = \"us-east-1\"\n    use_lockfile = true\n    endpoints {{\n      s3 = \"http://s3.moto.test\"\n    }}\n  }}"
    );
    let w = Work::new(&team::folder(&block, ""));
    let run = |args: &[&str]| {
        let mut c = moto.keyway(&w, args);
        c.env("HTTP_PROXY", moto.url())
            .env("http_proxy", moto.url())
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        crate::support::Run::from(c.output().expect("keyway"))
    };
    run(&["init"]).ok();
    run(&["apply", "-auto-approve"]).ok();
    run(&["workspace", "new", "blue"]).ok();
    let listed = run(&["workspace", "list"]).ok().stdout;
    assert!(listed.contains("* blue"), "{listed}");
    assert!(moto.json(BUCKET, STATE).is_some(), "written by host name");
    assert!(moto
        .json(BUCKET, "env:/blue/api/prod/terraform.tfstate")
        .is_some());
}

/// What keyway refuses or warns about in a `backend "s3"` block, and `-backend-config`
/// (KEY=VALUE and a file, `endpoints` as Terraform's object) completing a partial block.
#[test]
fn settings_are_checked_and_backend_config_completes_the_block() {
    let moto = with_bucket();
    let dynamo = Work::new(&team::folder(
        "backend \"s3\" {\n    bucket = \"b\"\n    key = \"k\"\n    region = \"us-east-1\"\n    dynamodb_table = \"locks\"\n  }",
        "",
    ));
    let r = moto.run(&dynamo, &["init"]).code(1);
    assert!(
        r.stderr.contains("dynamodb_table") && r.stderr.contains("use_lockfile"),
        "{}",
        r.stderr
    );
    let typo = Work::new(&team::folder(
        "backend \"s3\" {\n    bucket = \"b\"\n    key = \"k\"\n    regoin = \"us-east-1\"\n  }",
        "",
    ));
    let r = moto.run(&typo, &["init"]).code(1);
    assert!(r.stderr.contains("`regoin`"), "{}", r.stderr);

    let w = Work::new(&team::folder("backend \"s3\" {}", ""));
    w.write(
        "s3.hcl",
        &format!(
            "key = \"teams/terraform.tfstate\"\nuse_path_style = true\nkms_key_id = \"{KMS}\"\nendpoints = {{\n  s3 = \"{}\"\n}}\n",
            moto.url()
        ),
    );
    let r = moto
        .run(
            &w,
            &[
                "init",
                "-backend-config=bucket=no-such-bucket",
                "-backend-config=s3.hcl",
            ],
        )
        .code(1);
    assert!(
        r.stderr.contains("NoSuchBucket") && r.stderr.contains("s3://no-such-bucket/"),
        "{}",
        r.stderr
    );
    let r = moto
        .run(
            &w,
            &[
                "init",
                &format!("-backend-config=bucket={BUCKET}"),
                "-backend-config=s3.hcl",
            ],
        )
        .ok();
    assert!(
        r.stderr.contains("`use_lockfile` is not true"),
        "warned once: {}",
        r.stderr
    );
    moto.run(&w, &["apply", "-auto-approve"]).ok();
    let stored = moto
        .object(BUCKET, "teams/terraform.tfstate")
        .expect("state");
    assert_eq!(
        stored.header("x-amz-server-side-encryption").as_deref(),
        Some("aws:kms")
    );
    assert_eq!(
        stored
            .header("x-amz-server-side-encryption-aws-kms-key-id")
            .as_deref(),
        Some(KMS)
    );
    let again = moto.run(&w, &["plan"]).ok();
    assert!(!again.stderr.contains("use_lockfile"), "{}", again.stderr);
}

/// S3 answering 503 to a lock create it nevertheless made (the answer lost on the way):
/// keyway re-sends it, is refused (412, the object exists), reads the object back, finds
/// exactly the bytes it sent and takes the lock as its own rather than as someone else's.
/// A scripted server, since moto never answers 503.
#[test]
fn a_write_whose_answer_was_lost_is_recognised_as_landed() {
    use keyway::state::remote::{s3::S3, Cond, Objects};
    use std::io::{BufRead, BufReader, Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let sent = br#"{"ID":"mine"}"#.to_vec();
    let stored = sent.clone();
    let server = std::thread::spawn(move || {
        let error = |code: &str| format!("<Error><Code>{code}</Code></Error>").into_bytes();
        let answers = [
            (503, error("SlowDown")),
            (412, error("PreconditionFailed")),
            (200, stored),
        ];
        let mut seen = Vec::new();
        for (status, body) in answers {
            let (conn, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(conn);
            let mut line = String::new();
            reader.read_line(&mut line).expect("request line");
            seen.push(line.trim().to_owned());
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).expect("header");
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().expect("length");
                }
            }
            let mut request_body = vec![0; length];
            reader.read_exact(&mut request_body).expect("body");
            let mut conn = reader.into_inner();
            write!(
                conn,
                "HTTP/1.1 {status} X\r\nETag: \"e1\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .expect("answer");
            conn.write_all(&body).expect("body");
        }
        seen
    });
    let settings = [
        ("bucket", "b".to_owned()),
        ("region", "us-east-1".to_owned()),
        ("access_key", "testing".to_owned()),
        ("secret_key", "testing".to_owned()),
        ("use_path_style", "true".to_owned()),
        ("endpoints.s3", format!("http://127.0.0.1:{port}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let s3 = S3::open(&settings).expect("open");
    let version = s3.put("k.tflock", &sent, Cond::Absent);
    assert_eq!(version.ok().as_deref(), Some("\"e1\""), "the lock is ours");
    let seen = server.join().expect("server");
    assert_eq!(
        seen,
        [
            "PUT /b/k.tflock HTTP/1.1",
            "PUT /b/k.tflock HTTP/1.1",
            "GET /b/k.tflock HTTP/1.1"
        ]
    );
}

/// Credentials from the block's `shared_credentials_files` and `profile` (no AWS key in the
/// environment); a profile those files do not have is a clear error, not a hang.
#[test]
fn credentials_come_from_the_shared_files_and_profile_the_block_names() {
    let moto = with_bucket();
    let block = |profile: &str| {
        format!(
            "backend \"s3\" {{\n    bucket = \"{BUCKET}\"\n    key = \"creds/terraform.tfstate\"\n    region = \"us-east-1\"\n    use_lockfile = true\n    use_path_style = true\n    profile = \"{profile}\"\n    shared_credentials_files = [\"aws/credentials\"]\n    shared_config_files = [\"aws/config\"]\n    endpoints {{\n      s3 = \"{}\"\n    }}\n  }}",
            moto.url()
        )
    };
    let w = Work::new(&team::folder(&block("team"), ""));
    std::fs::create_dir_all(w.path().join("aws")).expect("mkdir");
    w.write(
        "aws/credentials",
        "[team]\naws_access_key_id = from-the-file\naws_secret_access_key = secret\n",
    );
    w.write("aws/config", "[profile team]\nregion = us-east-1\n");
    let run = |args: &[&str]| {
        let mut c = moto.keyway(&w, args);
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("HOME", w.path());
        crate::support::Run::from(c.output().expect("keyway"))
    };
    run(&["init"]).ok();
    run(&["apply", "-auto-approve"]).ok();
    assert!(moto.json(BUCKET, "creds/terraform.tfstate").is_some());
    w.write("main.tf", &team::folder(&block("nobody"), ""));
    let r = run(&["init", "-reconfigure"]).code(1);
    assert!(
        r.stderr.contains("no AWS credentials") && r.stderr.contains("profile `nobody`"),
        "{}",
        r.stderr
    );
}
