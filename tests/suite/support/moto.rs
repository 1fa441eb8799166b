//! moto (the third-party AWS implementation, `moto_server` from the test venv) on 127.0.0.1
//! and a free port, with AWS's managed policies loaded; killed when dropped. moto is required:
//! a machine without the venv fails the test, never skips it (`scripts/test` installs it).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::root;

pub struct Moto {
    pub port: u16,
    child: Child,
    /// moto's request log (one line per answered request).
    log: std::path::PathBuf,
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
        let log = std::env::temp_dir().join(format!("keyway-moto-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("moto log file");
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start moto_server");
        let moto = Moto { port, child, log };
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
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
