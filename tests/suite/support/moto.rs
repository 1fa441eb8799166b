//! moto (the third-party AWS implementation, `moto_server` from the test venv) on 127.0.0.1
//! and a free port, with AWS's managed policies loaded; killed when dropped. moto is required:
//! a machine without the venv fails the test, never skips it (`scripts/test` installs it).
//! The processes run against it (keyway, Terraform) get dummy credentials, a region and
//! `AWS_EC2_METADATA_DISABLED=true` in their own environment only: no request reaches AWS.
//! moto checks no signature but routes S3 requests by the signing scope, so the tests' own
//! S3 requests are signed too (keyway's `aws::sign`).

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{root, Run, Work};

pub const REGION: &str = "us-east-1";

pub struct Moto {
    pub port: u16,
    child: Child,
    /// moto's request log (one line per answered request).
    log: std::path::PathBuf,
    http: reqwest::Client,
    /// Runs the tests' own S3 requests: the helpers are synchronous, as the tests are.
    rt: tokio::runtime::Runtime,
}

/// A signed S3 answer.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl Moto {
    pub fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let server = root().join(".venv/bin/moto_server");
        assert!(
            server.is_file(),
            "{} is missing: run scripts/test, which installs moto into .venv",
            server.display()
        );
        let mut c = Command::new(server);
        c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        Moto::launch(c, port)
    }

    /// moto answering one request at a time. `moto_server` is threaded, and its S3 checks a
    /// condition (`If-None-Match: *`, `If-Match`) and then writes in two steps, so two racing
    /// lock creates can both succeed on a loaded machine (seen once in fourteen runs of eight
    /// applies at once, six runs in parallel: the loser's write was refused by `If-Match`, as
    /// designed, and its state kept). AWS makes each conditional write atomic; a moto that
    /// serves one request at a time does too.
    pub fn start_serial() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let python = root().join(".venv/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run scripts/test, which installs moto into .venv",
            python.display()
        );
        let mut c = Command::new(python);
        c.args([
            "-c",
            "import sys\n\
             from werkzeug.serving import run_simple\n\
             from moto.moto_server.werkzeug_app import (\n\
                 DomainDispatcherApplication, MotoRequestHandler, create_backend_app)\n\
             run_simple('127.0.0.1', int(sys.argv[1]),\n\
                 DomainDispatcherApplication(create_backend_app), threaded=False,\n\
                 request_handler=MotoRequestHandler)\n",
            &port.to_string(),
        ]);
        Moto::launch(c, port)
    }

    fn launch(mut c: Command, port: u16) -> Moto {
        let log = std::env::temp_dir().join(format!("keyway-moto-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("moto log file");
        let child = c
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start moto");
        let moto = Moto {
            port,
            child,
            log,
            http: reqwest::Client::new(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not listen within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// How many requests moto has answered so far.
    pub fn requests(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|t| t.lines().filter(|l| l.contains("HTTP/1.1")).count())
            .unwrap_or(0)
    }

    /// Wipes every object (moto's own reset call).
    pub fn reset(&self) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("moto");
        let request = "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).expect("send reset");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "moto reset: {answer}");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A keyway command pointed at moto for every AWS service, with test credentials and no
    /// instance-metadata probing.
    pub fn env(&self, c: &mut Command) {
        c.env("AWS_ENDPOINT_URL", self.url())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("KEYWAY_EMULATOR")
            // moto has no data plane and no test issuer: the AWS examples' traffic checks
            // (which mint a token from keyway's emulator) only warn here.
            .env("TF_VAR_mint_test_token", "false");
    }

    /// `keyway` in the folder with moto's credentials but no AWS_ENDPOINT_URL: the folder's
    /// own `endpoints` must lead it to moto (what the backend tests check).
    pub fn keyway(&self, w: &Work, args: &[&str]) -> Command {
        let mut c = w.command(args);
        self.env(&mut c);
        c.env_remove("AWS_ENDPOINT_URL");
        c
    }

    pub fn run(&self, w: &Work, args: &[&str]) -> Run {
        Run::from(self.keyway(w, args).output().expect("run keyway"))
    }

    /// Terraform in the folder, as [`Self::keyway`].
    pub fn terraform(&self, w: &Work, args: &[&str]) -> Output {
        let mut c = super::terraform_command(w, args);
        self.env(&mut c);
        c.env_remove("AWS_ENDPOINT_URL");
        c.output()
            .expect("terraform is installed (the interop tests run it)")
    }

    /// A signed request to `/{path}` (path-style: `bucket/key?query`).
    pub fn s3(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> Answer {
        self.rt.block_on(self.send(method, path, body))
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> Answer {
        let url = format!("{}/{path}", self.url());
        let mut req = self
            .http
            .request(method, &url)
            .body(body)
            .build()
            .expect("request");
        let auth = keyway::aws::Auth::fixed(REGION, "testing", "testing");
        keyway::aws::sign::sign_request(&auth, "s3", REGION, &mut req)
            .await
            .expect("sign");
        let r = self.http.execute(req).await.expect("moto answers");
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.bytes().await.expect("body").to_vec(),
        }
    }

    pub fn create_bucket(&self, bucket: &str) {
        let r = self.s3(reqwest::Method::PUT, bucket, Vec::new());
        assert_eq!(r.status, 200, "create bucket: {}", r.text());
    }

    /// Keeps every version of every object (each state write is one version).
    pub fn enable_versioning(&self, bucket: &str) {
        let body = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                    <Status>Enabled</Status></VersioningConfiguration>";
        let r = self.s3(
            reqwest::Method::PUT,
            &format!("{bucket}?versioning"),
            body.into(),
        );
        assert_eq!(r.status, 200, "versioning: {}", r.text());
    }

    /// How many versions of `key` the bucket holds (delete markers not counted).
    pub fn versions(&self, bucket: &str, key: &str) -> usize {
        let r = self.s3(
            reqwest::Method::GET,
            &format!("{bucket}?versions&prefix={}", enc(key)),
            Vec::new(),
        );
        assert_eq!(r.status, 200, "list versions: {}", r.text());
        r.text()
            .split("<Version>")
            .skip(1)
            .filter(|v| v.contains(&format!("<Key>{key}</Key>")))
            .count()
    }

    /// An object's bytes and headers, or `None`.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Answer> {
        let r = self.s3(
            reqwest::Method::GET,
            &format!("{bucket}/{}", enc_path(key)),
            Vec::new(),
        );
        match r.status {
            404 => None,
            200 => Some(r),
            s => panic!("get {key}: {s} {}", r.text()),
        }
    }

    /// An object parsed as JSON, or `None`.
    pub fn json(&self, bucket: &str, key: &str) -> Option<serde_json::Value> {
        self.object(bucket, key)
            .map(|a| serde_json::from_slice(&a.body).expect("JSON object"))
    }

    /// Writes an object unconditionally.
    pub fn put(&self, bucket: &str, key: &str, body: &str) {
        let r = self.s3(
            reqwest::Method::PUT,
            &format!("{bucket}/{}", enc_path(key)),
            body.into(),
        );
        assert_eq!(r.status, 200, "put {key}: {}", r.text());
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn enc_path(s: &str) -> String {
    s.split('/').map(enc).collect::<Vec<_>>().join("/")
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
