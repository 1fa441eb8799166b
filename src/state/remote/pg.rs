//! The `pg` backend: Terraform's layout (`{schema}.states(id, name, data)`, one row per
//! workspace, ids from `public.global_states_id_seq`), so either tool reads the other's
//! state. A write replaces a row only if its data is still what this run read (compared by
//! MD5 inside the UPDATE: a transaction on the row). The lock is two things: Terraform's
//! advisory lock on the workspace's row id (or `-1` while the workspace has no row), held by
//! a session of its own that dies with its holder, and a row of `{schema}.keyway_locks`
//! naming the holder, with its lease.

use std::collections::BTreeMap;
use std::sync::Arc;

use md5::{Digest, Md5};
use tokio_postgres::{Client, NoTls};

use super::{Cond, Failed, Object, Objects, Session};
use crate::state::error::Error;

const LOCKS_PREFIX: &str = "lock:";

/// A connection string and schema, and the runtime the driver runs on.
pub struct Pg {
    conn_str: String,
    schema: String,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// The connection for reads and writes, opened on first use.
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the connection string: it may hold a password.
        f.debug_struct("Pg").field("schema", &self.schema).finish()
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn fail(message: impl Into<String>) -> Error {
    Error::Backend {
        backend: "pg".into(),
        message: message.into(),
    }
}

fn db(e: tokio_postgres::Error) -> Error {
    // The driver's messages name the server's reason, never the password.
    fail(e.to_string())
}

/// The key of a workspace's state and of its lock.
pub fn keys(workspace: &str) -> (String, String) {
    (workspace.to_owned(), format!("{LOCKS_PREFIX}{workspace}"))
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// A schema name as a quoted identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Pg {
    pub fn open(settings: &BTreeMap<String, String>) -> Result<Pg, Error> {
        let conn_str = settings
            .get("conn_str")
            .cloned()
            .or_else(|| std::env::var("PG_CONN_STR").ok())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                Error::Settings(
                    "the pg backend needs `conn_str` (or PG_CONN_STR in the environment)".into(),
                )
            })?;
        let schema = settings
            .get("schema_name")
            .cloned()
            .or_else(|| std::env::var("PG_SCHEMA_NAME").ok())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "terraform_remote_state".to_owned());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("keyway-pg")
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start an I/O runtime: {e}")))?;
        Ok(Pg {
            conn_str,
            schema,
            runtime: Some(runtime),
            client: tokio::sync::Mutex::new(None),
        })
    }

    /// Runs a future on the driver's runtime from any thread (the caller may be inside
    /// another runtime).
    fn run<T: Send>(
        &self,
        f: impl std::future::Future<Output = Result<T, Error>> + Send,
    ) -> Result<T, Error> {
        let Some(rt) = &self.runtime else {
            return Err(fail("the database client is closed"));
        };
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(f))
                .join()
                .unwrap_or_else(|_| Err(fail("a database request thread failed")))
        })
    }

    /// A new session, its connection driven by the runtime.
    async fn connect(&self) -> Result<Client, Error> {
        let config: tokio_postgres::Config = self
            .conn_str
            .parse()
            .map_err(|e| Error::Settings(format!("the pg backend's conn_str: {e}")))?;
        let (client, connection) = config.connect(NoTls).await.map_err(|e| {
            fail(format!(
                "cannot connect ({e}); keyway's pg backend speaks plain TCP: use \
                 `sslmode=disable` on a trusted network or a local socket"
            ))
        })?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// The shared session, with the tables made on first use.
    async fn client(&self) -> Result<Arc<Client>, Error> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        let c = Arc::new(self.connect().await?);
        let s = ident(&self.schema);
        // Terraform's own statements (its pg backend), then keyway's lock table.
        let setup = format!(
            "CREATE SCHEMA IF NOT EXISTS {s};
             CREATE SEQUENCE IF NOT EXISTS public.global_states_id_seq AS bigint;
             CREATE TABLE IF NOT EXISTS {s}.states (
                 id bigint NOT NULL DEFAULT nextval('public.global_states_id_seq') PRIMARY KEY,
                 name text UNIQUE, data text);
             CREATE UNIQUE INDEX IF NOT EXISTS states_by_name ON {s}.states (name);
             CREATE TABLE IF NOT EXISTS {s}.keyway_locks (
                 name text PRIMARY KEY, info text NOT NULL, version bigint NOT NULL);"
        );
        // Two first runs may race to create the same objects: the loser retries once.
        if let Err(e) = c.batch_execute(&setup).await {
            c.batch_execute(&setup).await.map_err(|_| db(e))?;
        }
        *slot = Some(c.clone());
        Ok(c)
    }

    fn table(&self) -> String {
        format!("{}.states", ident(&self.schema))
    }

    /// The advisory lock's key: the workspace row's id, or `-1` while it has none.
    async fn lock_id(&self, session: &Client, ws: &str) -> Result<i64, Error> {
        let q = format!("SELECT id FROM {} WHERE name = $1", self.table());
        Ok(match session.query_opt(&q, &[&ws]).await.map_err(db)? {
            Some(r) => r.get(0),
            None => -1,
        })
    }

    fn locks(&self) -> String {
        format!("{}.keyway_locks", ident(&self.schema))
    }
}

/// The advisory lock's session: unlocked when its connection closes.
struct AdvisoryLock {
    _client: Client,
}

impl Objects for Pg {
    fn describe(&self, key: &str) -> String {
        match key.strip_prefix(LOCKS_PREFIX) {
            Some(ws) => format!("the lock of workspace `{ws}` (pg schema {})", self.schema),
            None => format!("workspace `{key}` (pg schema {})", self.schema),
        }
    }

    fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        self.run(async {
            let c = self.client().await?;
            if let Some(ws) = key.strip_prefix(LOCKS_PREFIX) {
                let q = format!("SELECT info, version FROM {} WHERE name = $1", self.locks());
                let row = c.query_opt(&q, &[&ws]).await.map_err(db)?;
                return Ok(row.map(|r| Object {
                    bytes: r.get::<_, String>(0).into_bytes(),
                    version: r.get::<_, i64>(1).to_string(),
                }));
            }
            let q = format!("SELECT data FROM {} WHERE name = $1", self.table());
            let row = c.query_opt(&q, &[&key]).await.map_err(db)?;
            // A row without data is a workspace Terraform made and never wrote.
            Ok(row
                .and_then(|r| r.get::<_, Option<String>>(0))
                .map(|d| Object {
                    version: md5_hex(d.as_bytes()),
                    bytes: d.into_bytes(),
                }))
        })
    }

    fn put(&self, key: &str, bytes: &[u8], cond: Cond<'_>) -> Result<String, Failed> {
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| Failed::Other(fail("state is not UTF-8 text")))?;
        let changed = self.run(async {
            let c = self.client().await?;
            if let Some(ws) = key.strip_prefix(LOCKS_PREFIX) {
                let n = match cond {
                    Cond::Absent => {
                        let q = format!(
                            "INSERT INTO {} (name, info, version) VALUES ($1, $2, 1) \
                             ON CONFLICT (name) DO NOTHING",
                            self.locks()
                        );
                        c.execute(&q, &[&ws, &text]).await.map_err(db)?
                    }
                    Cond::Matches(v) => {
                        let v: i64 = v.parse().unwrap_or(-1);
                        let q = format!(
                            "UPDATE {} SET info = $2, version = version + 1 \
                             WHERE name = $1 AND version = $3",
                            self.locks()
                        );
                        c.execute(&q, &[&ws, &text, &v]).await.map_err(db)?
                    }
                };
                let version = match cond {
                    Cond::Absent => 1,
                    Cond::Matches(v) => v.parse::<i64>().unwrap_or(-1) + 1,
                };
                return Ok((n, version.to_string()));
            }
            let n = match cond {
                Cond::Absent => {
                    // A row Terraform made without data counts as absent.
                    let q = format!(
                        "INSERT INTO {t} (name, data) VALUES ($1, $2) \
                         ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data \
                         WHERE {t}.data IS NULL",
                        t = self.table()
                    );
                    c.execute(&q, &[&key, &text]).await.map_err(db)?
                }
                Cond::Matches(v) => {
                    let q = format!(
                        "UPDATE {} SET data = $2 WHERE name = $1 AND md5(data) = $3",
                        self.table()
                    );
                    c.execute(&q, &[&key, &text, &v]).await.map_err(db)?
                }
            };
            Ok((n, md5_hex(bytes)))
        })?;
        match changed {
            (1, version) => Ok(version),
            _ => Err(Failed::Conflict),
        }
    }

    fn delete(&self, key: &str, cond: Cond<'_>) -> Result<(), Failed> {
        let n = self.run(async {
            let c = self.client().await?;
            let (q, v) = match (key.strip_prefix(LOCKS_PREFIX), cond) {
                (Some(_), Cond::Matches(v)) => (
                    format!(
                        "DELETE FROM {} WHERE name = $1 AND version::text = $2",
                        self.locks()
                    ),
                    v.to_owned(),
                ),
                (None, Cond::Matches(v)) => (
                    format!(
                        "DELETE FROM {} WHERE name = $1 AND md5(data) = $2",
                        self.table()
                    ),
                    v.to_owned(),
                ),
                (_, Cond::Absent) => return Ok(0),
            };
            let name = key.strip_prefix(LOCKS_PREFIX).unwrap_or(key);
            c.execute(&q, &[&name, &v]).await.map_err(db)
        })?;
        if n == 1 {
            Ok(())
        } else {
            Err(Failed::Conflict)
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        self.run(async {
            let c = self.client().await?;
            let q = format!(
                "SELECT name FROM {} WHERE data IS NOT NULL ORDER BY name",
                self.table()
            );
            let rows = c.query(&q, &[]).await.map_err(db)?;
            Ok(rows
                .iter()
                .map(|r| r.get::<_, String>(0))
                .filter(|n| n.starts_with(prefix))
                .collect())
        })
    }

    /// Terraform's advisory lock: on the workspace row's id, or `-1` (its "creating a
    /// workspace" lock) while there is no row, in a session of its own.
    fn session_lock(&self, key: &str) -> Result<Session, Error> {
        let ws = key.strip_prefix(LOCKS_PREFIX).unwrap_or(key).to_owned();
        self.run(async {
            self.client().await?;
            let session = self.connect().await?;
            let id = self.lock_id(&session, &ws).await?;
            let got: bool = session
                .query_one("SELECT pg_try_advisory_lock($1)", &[&id])
                .await
                .map_err(db)?
                .get(0);
            Ok(if got {
                Session::Held(Box::new(AdvisoryLock { _client: session }))
            } else {
                Session::Busy
            })
        })
    }

    /// Ends the session holding the workspace's advisory lock (a force-unlocked holder that
    /// still runs): its later writes then meet a changed state and are refused.
    fn break_session(&self, key: &str) -> Result<(), Error> {
        let ws = key.strip_prefix(LOCKS_PREFIX).unwrap_or(key).to_owned();
        self.run(async {
            let c = self.client().await?;
            let id = self.lock_id(&c, &ws).await?;
            // A bigint advisory key is kept as two oids: its high and low 32 bits.
            let bits = id as u64;
            let (hi, lo) = ((bits >> 32) as u32, bits as u32);
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
                 AND classid = $1 AND objid = $2 AND objsubid = 1 AND granted \
                 AND pid <> pg_backend_pid()",
                &[&hi, &lo],
            )
            .await
            .map_err(db)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_versions_are_content_hashes() {
        assert_eq!(
            ident("terraform_remote_state"),
            "\"terraform_remote_state\""
        );
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(keys("default"), ("default".into(), "lock:default".into()));
    }
}
