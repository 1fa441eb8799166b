//! Where a folder's state lives: the backend `keyway init` settled (recorded in
//! `.keyway/backend.json`: its kind, its resolved settings and a digest of the configuration
//! block they came from), and [`Store`], the one interface plan, apply and the state
//! commands use whatever the backend: local files, GCS or PostgreSQL.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::{Error, LockInfo};
use super::model::State;
use super::remote::{self, RemoteLock, RemoteStore};
use super::store::{self as local, LocalStore};

const FILE: &str = "backend.json";

/// A settled backend.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendSettings {
    /// `local`, `gcs`, `s3`, `pg`.
    pub kind: String,
    /// Its arguments, evaluated (variables allowed) and merged with `-backend-config`.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Digest of the configuration's backend block when it was settled (empty: none).
    #[serde(default)]
    pub digest: String,
}

impl BackendSettings {
    /// The default: local state in `.keyway/`.
    pub fn local() -> BackendSettings {
        BackendSettings {
            kind: "local".into(),
            ..BackendSettings::default()
        }
    }

    pub fn is_local(&self) -> bool {
        self.kind == "local"
    }

    /// What `keyway init` recorded for the folder, or local state when it recorded nothing.
    pub fn recorded(working_dir: &Path) -> Result<BackendSettings, Error> {
        let path = working_dir.join(".keyway").join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| Error::Corrupt {
                path,
                problem: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BackendSettings::local()),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// Records these settings (owner-only: they may hold credentials, as Terraform's
    /// `.terraform/terraform.tfstate` does).
    pub fn record(&self, working_dir: &Path) -> Result<(), Error> {
        let store = LocalStore::new(working_dir);
        let dir = working_dir.join(".keyway");
        store.ensure_dir()?;
        let path = dir.join(FILE);
        let mut text = serde_json::to_string_pretty(self).map_err(Error::Serialize)?;
        text.push('\n');
        remote::write_private(&path, text.as_bytes()).map_err(|e| Error::io("write", &path, e))
    }

    /// A short description for messages: `gcs bucket "tf-state", prefix "app"`.
    pub fn describe(&self) -> String {
        let s = |k: &str| self.settings.get(k).cloned().unwrap_or_default();
        match self.kind.as_str() {
            "gcs" => format!("gcs bucket \"{}\", prefix \"{}\"", s("bucket"), s("prefix")),
            "s3" => format!("s3 bucket \"{}\", key \"{}\"", s("bucket"), s("key")),
            "pg" => format!(
                "pg schema \"{}\"",
                self.settings
                    .get("schema_name")
                    .cloned()
                    .unwrap_or_else(|| "terraform_remote_state".into())
            ),
            "local" => match self.settings.get("path") {
                Some(path) => format!("local state in {path}"),
                None => "local state in .keyway/".into(),
            },
            other => other.to_owned(),
        }
    }
}

/// The backends keyway can store state in.
pub const SUPPORTED: &[&str] = &["local", "gcs", "s3", "pg"];

/// Opens the objects of a remote backend.
fn objects(b: &BackendSettings) -> Result<Arc<dyn remote::Objects>, Error> {
    match b.kind.as_str() {
        "gcs" => Ok(Arc::new(remote::gcs::Gcs::open(&b.settings)?)),
        "pg" => Ok(Arc::new(remote::pg::Pg::open(&b.settings)?)),
        "s3" => Ok(Arc::new(remote::s3::S3::open(&b.settings)?)),
        other => Err(Error::Settings(format!(
            "state backend `{other}` is not supported yet (keyway stores state in: {})",
            SUPPORTED.join(", ")
        ))),
    }
}

/// A workspace's state and lock keys in a remote backend.
fn keys(b: &BackendSettings, workspace: &str) -> (String, String) {
    match b.kind.as_str() {
        "pg" => remote::pg::keys(workspace),
        "s3" => remote::s3::keys(&s3_key(b), &s3_prefix(b), workspace),
        _ => remote::gcs::keys(
            b.settings.get("prefix").map_or("", String::as_str),
            workspace,
        ),
    }
}

/// A workspace's local store: `backend "local"`'s `path` for `default` and
/// `{workspace_dir}/{name}/` for the others (relative to the folder, as in Terraform), else
/// keyway's own `.keyway/`.
fn local_store(b: &BackendSettings, working_dir: &Path, name: &str) -> LocalStore {
    let setting = |k: &str| b.settings.get(k).filter(|v| !v.is_empty());
    match (
        name == local::DEFAULT_WORKSPACE,
        setting("path"),
        setting("workspace_dir"),
    ) {
        (true, Some(path), _) => LocalStore::at_path(&working_dir.join(path)),
        (false, _, Some(dir)) => LocalStore::in_dir(working_dir.join(dir).join(name)),
        _ => LocalStore::for_workspace(working_dir, name),
    }
}

/// The s3 backend's `key`.
fn s3_key(b: &BackendSettings) -> String {
    b.settings.get("key").cloned().unwrap_or_default()
}

/// The s3 backend's `workspace_key_prefix` (Terraform's default `env:`).
fn s3_prefix(b: &BackendSettings) -> String {
    b.settings
        .get("workspace_key_prefix")
        .cloned()
        .unwrap_or_else(|| remote::s3::DEFAULT_PREFIX.to_owned())
}

/// One workspace's state, wherever the backend keeps it.
#[derive(Debug)]
pub enum Store {
    Local(LocalStore),
    Remote(RemoteStore),
}

/// A held state lock.
#[derive(Debug)]
pub enum Lock {
    Local(local::Lock),
    Remote(RemoteLock),
}

impl Lock {
    pub fn info(&self) -> LockInfo {
        match self {
            Lock::Local(l) => l.info().clone(),
            Lock::Remote(l) => l.info(),
        }
    }
}

impl Store {
    /// The store of the current workspace, in the backend `keyway init` recorded.
    pub fn open(working_dir: &Path) -> Result<Store, Error> {
        let workspace = local::current_workspace(working_dir);
        Store::for_workspace(working_dir, &workspace)
    }

    /// The store of workspace `name` in the recorded backend.
    pub fn for_workspace(working_dir: &Path, name: &str) -> Result<Store, Error> {
        let b = BackendSettings::recorded(working_dir)?;
        Store::with(&b, working_dir, name)
    }

    /// The store of workspace `name` in backend `b`.
    pub fn with(b: &BackendSettings, working_dir: &Path, name: &str) -> Result<Store, Error> {
        if b.is_local() {
            return Ok(Store::Local(local_store(b, working_dir, name)));
        }
        let (state, lock) = keys(b, name);
        Ok(Store::Remote(RemoteStore::new(
            objects(b)?,
            state,
            lock,
            &working_dir.join(".keyway"),
        )))
    }

    /// The workspaces with state in backend `b`, `default` first.
    pub fn workspaces(b: &BackendSettings, working_dir: &Path) -> Result<Vec<String>, Error> {
        if b.is_local() {
            let Some(dir) = b.settings.get("workspace_dir") else {
                return Ok(local::workspaces(working_dir));
            };
            let mut names: Vec<String> = std::fs::read_dir(working_dir.join(dir))
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect();
            names.sort();
            names.insert(0, local::DEFAULT_WORKSPACE.to_owned());
            return Ok(names);
        }
        let objects = objects(b)?;
        let prefix = b.settings.get("prefix").cloned().unwrap_or_default();
        let mut names: Vec<String> = match b.kind.as_str() {
            "pg" => objects.list("")?,
            "s3" => {
                let (key, prefix) = (s3_key(b), s3_prefix(b));
                objects
                    .list(&remote::s3::list_prefix(&prefix))?
                    .iter()
                    .filter_map(|k| remote::s3::workspace_of(&key, &prefix, k))
                    .collect()
            }
            _ => objects
                .list(prefix.trim_matches('/'))?
                .iter()
                .filter_map(|k| remote::gcs::workspace_of(&prefix, k))
                .collect(),
        };
        names.retain(|n| n != local::DEFAULT_WORKSPACE);
        names.sort();
        names.insert(0, local::DEFAULT_WORKSPACE.to_owned());
        Ok(names)
    }

    /// Encrypts and decrypts this store's state from now on (the `encryption` block).
    pub fn set_codec(&self, codec: Arc<super::crypt::Codec>) {
        match self {
            Store::Local(s) => s.set_codec(codec),
            Store::Remote(s) => s.set_codec(codec),
        }
    }

    /// Where the state is, for messages.
    pub fn location(&self) -> String {
        match self {
            Store::Local(s) => s.state_path().display().to_string(),
            Store::Remote(s) => s.location(),
        }
    }

    /// The local folder of a local store.
    pub fn local(&self) -> Option<&LocalStore> {
        match self {
            Store::Local(s) => Some(s),
            Store::Remote(_) => None,
        }
    }

    pub fn read(&self) -> Result<Option<State>, Error> {
        match self {
            Store::Local(s) => s.read(),
            Store::Remote(s) => s.read(),
        }
    }

    pub fn read_raw(&self) -> Result<Option<String>, Error> {
        match self {
            Store::Local(s) => s.read_raw(),
            Store::Remote(s) => s.read_raw(),
        }
    }

    pub fn write(&self, state: &mut State) -> Result<(), Error> {
        match self {
            Store::Local(s) => s.write(state),
            Store::Remote(s) => s.write(state),
        }
    }

    pub fn encode_next(&self, state: &mut State) -> Result<Vec<u8>, Error> {
        match self {
            Store::Local(s) => s.encode_next(state),
            Store::Remote(s) => s.encode_next(state),
        }
    }

    pub fn commit(&self, bytes: &[u8]) -> Result<(), Error> {
        match self {
            Store::Local(s) => s.commit(bytes),
            Store::Remote(s) => s.commit(bytes),
        }
    }

    pub fn write_raw(&self, json: &str, force: bool) -> Result<(), Error> {
        match self {
            Store::Local(s) => s.write_raw(json, force),
            Store::Remote(s) => s.write_raw(json, force),
        }
    }

    /// Makes sure `.keyway/` exists (local state, saved plans and module copies live there
    /// whatever the backend).
    pub fn ensure_dir(&self) -> Result<(), Error> {
        match self {
            Store::Local(s) => s.ensure_dir().and_then(|()| {
                LocalStore::for_workspace(Path::new("."), local::DEFAULT_WORKSPACE).ensure_dir()
            }),
            Store::Remote(s) => s.ensure_dir(),
        }
    }

    pub fn lock(&self, operation: &str) -> Result<Lock, Error> {
        match self {
            Store::Local(s) => s.lock(operation).map(Lock::Local),
            Store::Remote(s) => s.lock(operation).map(Lock::Remote),
        }
    }

    /// Deletes this workspace's state (its folder, for local state).
    pub fn delete_state(&self) -> Result<(), Error> {
        match self {
            Store::Local(s) => s.delete(),
            Store::Remote(s) => s.delete_state(),
        }
    }

    /// Removes a lock by its ID (`holder`: the pid override for a live local holder).
    pub fn force_unlock(&self, id: &str, holder: Option<u32>) -> Result<(), Error> {
        match self {
            Store::Local(s) => s.force_unlock(id, holder),
            Store::Remote(s) => s.force_unlock(id),
        }
    }
}

/// Where a folder's recorded backend file is.
pub fn recorded_path(working_dir: &Path) -> PathBuf {
    working_dir.join(".keyway").join(FILE)
}
