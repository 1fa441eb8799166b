//! A PostgreSQL server of the test's own, on 127.0.0.1 and a free port, in a temporary data
//! folder; stopped (immediately) and removed when dropped. PostgreSQL refuses to run as root,
//! so as root it runs as the `postgres` user (`runuser`), as the distribution's packages set
//! it up. The binaries are required: a machine without them fails the test, never skips it.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Postgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL binaries under /usr/lib/postgresql (the tests need a PostgreSQL server)",
        )
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    found.sort();
    found
        .pop()
        .expect("an initdb under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL program as a user it accepts.
fn pg(bin: &Path, program: &str, args: &[&str]) -> std::process::Output {
    let exe = bin.join(program);
    let mut c = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    c.args(args).output().expect("run a PostgreSQL program")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!("keyway-pg-{}", uuid_like()));
        std::fs::create_dir_all(&dir).expect("data folder");
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown the data folder to postgres");
        }
        let data = dir.join("data");
        let data_s = data.to_string_lossy().into_owned();
        let out = pg(
            &bin,
            "initdb",
            &["-D", &data_s, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for attempt in 0..5 {
            let port = free_port();
            let opts = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                dir.display()
            );
            let log = dir.join("log").to_string_lossy().into_owned();
            let out = pg(
                &bin,
                "pg_ctl",
                &["-D", &data_s, "-o", &opts, "-l", &log, "-w", "start"],
            );
            if out.status.success() {
                return Postgres { port, dir, bin };
            }
            assert!(
                attempt < 4,
                "pg_ctl start: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        unreachable!()
    }

    /// A connection string for the `postgres` database.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// Runs SQL with psql; returns its unaligned output.
    pub fn sql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-At",
                "-c",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let _ = pg(
            &self.bin,
            "pg_ctl",
            &["-D", &data, "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
