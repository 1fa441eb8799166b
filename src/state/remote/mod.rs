//! State kept in a shared object store (GCS, S3) or a database (PostgreSQL), for teams:
//! [`RemoteStore`] reads and writes one workspace's state as a whole object, every write a
//! compare-and-swap against the version it read (a writer that lost the race, or its lock,
//! cannot overwrite newer state: it fails and keeps its copy on local disk), and takes the
//! state lock as a lock object created only if absent, with a lease its holder renews. A lock
//! whose lease ran out is reported as stale with its age and is only removed by
//! `force-unlock`. Each backend supplies the primitives ([`Objects`]).

pub mod gcs;
#[cfg(test)]
mod memory;
pub mod pg;
pub mod s3;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::{Error, LockInfo};
use super::file;
use super::model::State;

/// One stored object and the version that names exactly these bytes (a GCS generation, an S3
/// ETag, a database row's serial).
#[derive(Clone, Debug)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub version: String,
}

/// The condition a change is made under.
#[derive(Clone, Copy, Debug)]
pub enum Cond<'a> {
    /// Only if there is no such object.
    Absent,
    /// Only if the object is at this version.
    Matches(&'a str),
}

/// What a change under a condition that did not hold reports: nothing was changed.
#[derive(Debug)]
pub enum Failed {
    /// The condition did not hold (someone else changed or took the object).
    Conflict,
    /// Anything else: the backend's own error.
    Other(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed::Other(e)
    }
}

/// The primitives a backend provides. Every call is synchronous (backends run their own
/// I/O), and a conditional change is atomic on the backend's side.
pub trait Objects: Send + Sync + std::fmt::Debug {
    /// Where `key` lives, for messages (`gs://bucket/prefix/default.tfstate`).
    fn describe(&self, key: &str) -> String;
    fn get(&self, key: &str) -> Result<Option<Object>, Error>;
    /// Writes the whole object under `cond`; returns its new version.
    fn put(&self, key: &str, bytes: &[u8], cond: Cond<'_>) -> Result<String, Failed>;
    fn delete(&self, key: &str, cond: Cond<'_>) -> Result<(), Failed>;
    /// The keys starting with `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>, Error>;
    /// Takes the lock a backend ties to its holder's session (PostgreSQL's advisory lock),
    /// before the lock object is made; most backends have none.
    fn session_lock(&self, _key: &str) -> Result<Session, Error> {
        Ok(Session::Unsupported)
    }
    /// Ends whatever session holds that lock (`force-unlock` of a live holder).
    fn break_session(&self, _key: &str) -> Result<(), Error> {
        Ok(())
    }
}

/// A lock that lives as long as its holder's connection: it dies with a killed holder.
pub enum Session {
    /// The backend has no such lock.
    Unsupported,
    /// Held until the guard is dropped.
    Held(Box<dyn std::any::Any + Send>),
    /// Someone else holds it (keyway or Terraform).
    Busy,
}

/// How long a lock holds without renewal (30 s; `KEYWAY_LOCK_LEASE_SECONDS` changes it, for
/// slow links or tests), renewed every third of that.
fn lease() -> Duration {
    let secs = std::env::var("KEYWAY_LOCK_LEASE_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s >= 1)
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// The lock object's contents: Terraform's lock-info keys (so each tool can name the
/// other's holder), plus the holder's pid and lease.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LockDoc {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Operation", default)]
    operation: String,
    #[serde(rename = "Info", default)]
    info: String,
    #[serde(rename = "Who", default)]
    who: String,
    #[serde(rename = "Version", default)]
    version: String,
    #[serde(rename = "Created", default)]
    created: String,
    #[serde(rename = "Path", default)]
    path: String,
    #[serde(rename = "Pid", default, skip_serializing_if = "Option::is_none")]
    pid: Option<u32>,
    /// When the lock lapses unless renewed (keyway's; Terraform's locks have none).
    #[serde(rename = "Lease", default, skip_serializing_if = "Option::is_none")]
    lease: Option<String>,
}

impl LockDoc {
    fn info(&self) -> LockInfo {
        LockInfo {
            id: self.id.clone(),
            operation: self.operation.clone(),
            who: self.who.clone(),
            pid: self.pid.unwrap_or(0),
            created: self.created.clone(),
        }
    }
}

/// What a held lock shares with the store and its renewing thread.
#[derive(Debug)]
struct Held {
    objects: Arc<dyn Objects>,
    key: String,
    doc: Mutex<(LockDoc, String)>,
    /// Set when a renewal found the lock object changed: someone force-unlocked it.
    lost: AtomicBool,
    stop: (Mutex<bool>, Condvar),
}

/// A held remote lock: renewed in the background, released when dropped.
pub struct RemoteLock {
    held: Arc<Held>,
    renewer: Option<std::thread::JoinHandle<()>>,
    /// The backend's session lock, released after the lock object is gone.
    session: Option<Box<dyn std::any::Any + Send>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Session::Unsupported => "unsupported",
            Session::Held(_) => "held",
            Session::Busy => "busy",
        })
    }
}

impl std::fmt::Debug for RemoteLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteLock")
            .field("key", &self.held.key)
            .finish()
    }
}

impl RemoteLock {
    pub fn info(&self) -> LockInfo {
        lock_or_recover(&self.held.doc).0.info()
    }
}

impl Drop for RemoteLock {
    fn drop(&mut self) {
        {
            let (flag, cv) = &self.held.stop;
            *lock_or_recover(flag) = true;
            cv.notify_all();
        }
        if let Some(t) = self.renewer.take() {
            let _ = t.join();
        }
        if !self.held.lost.load(Ordering::SeqCst) {
            let version = lock_or_recover(&self.held.doc).1.clone();
            // Only the object this run made: a lock someone else took meanwhile stays.
            let _ = self
                .held
                .objects
                .delete(&self.held.key, Cond::Matches(&version));
        }
        drop(self.session.take());
    }
}

fn lock_or_recover<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One workspace's state in a remote backend.
#[derive(Debug)]
pub struct RemoteStore {
    objects: Arc<dyn Objects>,
    state_key: String,
    lock_key: String,
    /// Where a refused write keeps its state (`.keyway/`).
    rescue_dir: PathBuf,
    /// The version of the state object this run last read or wrote (`None`: there was none).
    seen: Mutex<Option<Option<String>>>,
    /// The lock this store's run holds, if any.
    held: Mutex<Option<Arc<Held>>>,
    /// How the state is encrypted, once the configuration said.
    codec: std::sync::OnceLock<Arc<super::crypt::Codec>>,
}

impl RemoteStore {
    pub fn new(
        objects: Arc<dyn Objects>,
        state_key: String,
        lock_key: String,
        rescue_dir: &Path,
    ) -> RemoteStore {
        RemoteStore {
            objects,
            state_key,
            lock_key,
            rescue_dir: rescue_dir.to_path_buf(),
            seen: Mutex::new(None),
            held: Mutex::new(None),
            codec: std::sync::OnceLock::new(),
        }
    }

    /// Encrypts and decrypts the state from now on.
    pub fn set_codec(&self, codec: Arc<super::crypt::Codec>) {
        let _ = self.codec.set(codec);
    }

    fn codec(&self) -> Option<&super::crypt::Codec> {
        self.codec.get().map(|c| &**c)
    }

    /// Makes sure the folder's `.keyway/` exists (with its `.gitignore`): saved plans,
    /// module copies and rescued state live there whatever the backend.
    pub fn ensure_dir(&self) -> Result<(), Error> {
        let working_dir = self.rescue_dir.parent().unwrap_or(Path::new("."));
        super::store::LocalStore::new(working_dir).ensure_dir()
    }

    /// Where the state lives, for messages.
    pub fn location(&self) -> String {
        self.objects.describe(&self.state_key)
    }

    /// Reads the state's bytes, remembering their version for the next write.
    pub fn read_raw(&self) -> Result<Option<String>, Error> {
        let got = self.objects.get(&self.state_key)?;
        *lock_or_recover(&self.seen) = Some(got.as_ref().map(|o| o.version.clone()));
        match got {
            None => Ok(None),
            Some(o) => super::crypt::open_text(self.codec(), o.bytes, &self.location()).map(Some),
        }
    }

    /// Reads and validates the state, or `None` if there is none yet.
    pub fn read(&self) -> Result<Option<State>, Error> {
        match self.read_raw()? {
            None => Ok(None),
            Some(text) if super::terraform::is_terraform_state(&text) => {
                Err(Error::TerraformState {
                    location: self.location(),
                })
            }
            Some(text) => file::parse(Path::new(&self.location()), &text).map(Some),
        }
    }

    /// Increments the serial and writes the state (see [`Self::commit`]).
    pub fn write(&self, state: &mut State) -> Result<(), Error> {
        let bytes = self.encode_next(state)?;
        self.commit(&bytes).inspect_err(|_| state.serial -= 1)
    }

    pub fn encode_next(&self, state: &mut State) -> Result<Vec<u8>, Error> {
        state.serial += 1;
        file::to_bytes(state)
            .and_then(|bytes| super::crypt::seal(self.codec(), bytes))
            .inspect_err(|_| state.serial -= 1)
    }

    /// Writes the bytes over exactly the version this run read or last wrote; refused (and
    /// kept on local disk) when the state changed meanwhile or this run's lock was taken.
    pub fn commit(&self, bytes: &[u8]) -> Result<(), Error> {
        if let Some(held) = lock_or_recover(&self.held).as_ref() {
            if held.lost.load(Ordering::SeqCst) {
                return Err(self.rescue(bytes, "this run's lock was taken over (force-unlock)"));
            }
        }
        let seen = lock_or_recover(&self.seen).clone();
        let seen = match seen {
            Some(s) => s,
            // Never read: whatever is there must be read first.
            None => {
                self.read_raw()?;
                lock_or_recover(&self.seen).clone().flatten()
            }
        };
        let cond = match &seen {
            Some(v) => Cond::Matches(v),
            None => Cond::Absent,
        };
        match self.objects.put(&self.state_key, bytes, cond) {
            Ok(version) => {
                *lock_or_recover(&self.seen) = Some(Some(version));
                Ok(())
            }
            Err(Failed::Conflict) => {
                Err(self.rescue(bytes, "the stored state changed since this run read it"))
            }
            Err(Failed::Other(e)) => Err(e),
        }
    }

    /// Keeps refused bytes as `.keyway/errored-state-<serial>.json` (owner-only).
    fn rescue(&self, bytes: &[u8], reason: &str) -> Error {
        let serial = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| v["serial"].as_u64())
            .unwrap_or(0);
        let path = self.rescue_dir.join(format!("errored-state-{serial}.json"));
        let _ = std::fs::create_dir_all(&self.rescue_dir);
        if let Err(e) = write_private(&path, bytes) {
            return Error::io("keep a copy of the refused state in", &path, e);
        }
        Error::WriteRefused {
            location: self.location(),
            reason: reason.to_owned(),
            serial,
            rescued: path,
        }
    }

    /// Replaces the state with `json` (`keyway state push`): unless `force`, same lineage and a
    /// higher serial than the stored state.
    pub fn write_raw(&self, json: &str, force: bool) -> Result<(), Error> {
        let pushed = file::parse(Path::new("<pushed state>"), json)?;
        match self.read() {
            Ok(Some(current)) if !force => {
                if current.lineage != pushed.lineage {
                    return Err(Error::LineageMismatch {
                        current: current.lineage,
                        pushed: pushed.lineage,
                    });
                }
                if pushed.serial <= current.serial {
                    return Err(Error::SerialNotNewer {
                        current: current.serial,
                        pushed: pushed.serial,
                    });
                }
            }
            Ok(_) => {}
            Err(Error::Corrupt { .. } | Error::UnsupportedVersion { .. }) if force => {}
            Err(e) => return Err(e),
        }
        self.commit(&super::crypt::seal(self.codec(), file::to_bytes(&pushed)?)?)
    }

    /// Deletes the workspace's state (`keyway workspace delete`): only the version read.
    pub fn delete_state(&self) -> Result<(), Error> {
        let Some(o) = self.objects.get(&self.state_key)? else {
            return Ok(());
        };
        match self
            .objects
            .delete(&self.state_key, Cond::Matches(&o.version))
        {
            Ok(()) => Ok(()),
            Err(Failed::Conflict) => Err(Error::Backend {
                backend: self.location(),
                message: "the state changed while it was being deleted; look again".into(),
            }),
            Err(Failed::Other(e)) => Err(e),
        }
    }

    /// Takes the lock: a lock object made only if there is none, renewed in the background.
    pub fn lock(&self, operation: &str) -> Result<RemoteLock, Error> {
        let doc = LockDoc {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_owned(),
            info: String::new(),
            who: super::store::who(),
            version: format!("keyway {}", env!("CARGO_PKG_VERSION")),
            created: rfc3339(time::OffsetDateTime::now_utc()),
            path: self.objects.describe(&self.lock_key),
            pid: Some(std::process::id()),
            lease: Some(rfc3339(time::OffsetDateTime::now_utc() + lease())),
        };
        let bytes = serde_json::to_vec(&doc).map_err(Error::Serialize)?;
        let session = match self.objects.session_lock(&self.lock_key)? {
            Session::Busy => return Err(self.blocked(false)),
            Session::Held(guard) => Some(guard),
            Session::Unsupported => None,
        };
        match self.objects.put(&self.lock_key, &bytes, Cond::Absent) {
            Ok(version) => {
                let held = Arc::new(Held {
                    objects: self.objects.clone(),
                    key: self.lock_key.clone(),
                    doc: Mutex::new((doc, version)),
                    lost: AtomicBool::new(false),
                    stop: (Mutex::new(false), Condvar::new()),
                });
                *lock_or_recover(&self.held) = Some(held.clone());
                let renewer = {
                    let held = held.clone();
                    std::thread::Builder::new()
                        .name("keyway-lock-lease".into())
                        .spawn(move || renew(&held))
                        .ok()
                };
                Ok(RemoteLock {
                    held,
                    renewer,
                    session,
                })
            }
            // With the session lock ours, the holder of the lock object is gone.
            Err(Failed::Conflict) => Err(self.blocked(session.is_some())),
            Err(Failed::Other(e)) => Err(e),
        }
    }

    /// Why a lock could not be taken: who holds it, and whether its lease ran out (or, with
    /// `holder_gone`, its holder's session ended: it died).
    fn blocked(&self, holder_gone: bool) -> Error {
        let location = self.location();
        let doc = match self.objects.get(&self.lock_key) {
            Ok(Some(o)) => serde_json::from_slice::<LockDoc>(&o.bytes)
                .ok()
                .map(|mut d| {
                    if d.id.is_empty() {
                        d.id = o.version.clone();
                    }
                    d
                }),
            // Released between the two calls: the caller's retry will get it.
            Ok(None) => None,
            Err(e) => return e,
        };
        let Some(doc) = doc else {
            return Error::RemoteLocked {
                location,
                info: Box::new(LockInfo {
                    id: "?".into(),
                    operation: "?".into(),
                    who: "another run (Terraform, or a keyway starting up) that records no \
                          readable details"
                        .into(),
                    pid: 0,
                    created: "?".into(),
                }),
            };
        };
        let now = time::OffsetDateTime::now_utc();
        let since = |t: Option<&str>| t.and_then(parse_rfc3339).map(|t| now - t);
        let lapsed = since(doc.lease.as_deref())
            .filter(|d| d.is_positive())
            .or_else(|| {
                holder_gone.then(|| since(Some(&doc.created)).unwrap_or(time::Duration::ZERO))
            });
        match lapsed {
            Some(age) => Error::StaleLock {
                location,
                info: Box::new(doc.info()),
                age: human(age),
            },
            None => Error::RemoteLocked {
                location,
                info: Box::new(doc.info()),
            },
        }
    }

    /// Removes the lock `id` names (its ID, or for Terraform's GCS locks the object's
    /// generation), whatever its lease says.
    pub fn force_unlock(&self, id: &str) -> Result<(), Error> {
        let location = self.objects.describe(&self.lock_key);
        let Some(o) = self.objects.get(&self.lock_key)? else {
            return Err(Error::RemoteNotLocked { location });
        };
        let recorded = serde_json::from_slice::<LockDoc>(&o.bytes)
            .map(|d| d.id)
            .unwrap_or_default();
        if id != recorded && id != o.version {
            return Err(Error::LockIdMismatch {
                given: id.to_owned(),
                recorded: if recorded.is_empty() {
                    o.version
                } else {
                    recorded
                },
            });
        }
        match self
            .objects
            .delete(&self.lock_key, Cond::Matches(&o.version))
        {
            Ok(()) => self.objects.break_session(&self.lock_key),
            Err(Failed::Conflict) => Err(Error::Backend {
                backend: location,
                message: "the lock changed while it was being removed; look again".into(),
            }),
            Err(Failed::Other(e)) => Err(e),
        }
    }
}

/// Extends the lease every few seconds until told to stop; a renewal refused because the
/// lock object changed means someone force-unlocked it: the lock is lost.
fn renew(held: &Held) {
    let (flag, cv) = &held.stop;
    loop {
        let stopped = lock_or_recover(flag);
        let (stopped, _) = cv
            .wait_timeout_while(stopped, lease() / 3, |s| !*s)
            .unwrap_or_else(|e| e.into_inner());
        if *stopped {
            return;
        }
        drop(stopped);
        let (mut doc, version) = lock_or_recover(&held.doc).clone();
        doc.lease = Some(rfc3339(time::OffsetDateTime::now_utc() + lease()));
        let Ok(bytes) = serde_json::to_vec(&doc) else {
            continue;
        };
        match held.objects.put(&held.key, &bytes, Cond::Matches(&version)) {
            Ok(v) => *lock_or_recover(&held.doc) = (doc, v),
            Err(Failed::Conflict) => {
                held.lost.store(true, Ordering::SeqCst);
                return;
            }
            // A transient failure: the lease has time left; try again next round.
            Err(Failed::Other(_)) => {}
        }
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn parse_rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// `3m12s`, `45s`, `2h5m`.
fn human(d: time::Duration) -> String {
    let s = d.whole_seconds().max(0);
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec}s"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

/// Writes a file readable by its owner only.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests;
