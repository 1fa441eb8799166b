//! The single error type of the state subsystem, as miette diagnostics with codes and help.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What a lock holder records in `.keyway/state.lock`, so a blocked run can say who holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Random id to pass to `keyway force-unlock`.
    pub id: String,
    /// The command holding the lock, e.g. `apply`.
    pub operation: String,
    /// `user@host`.
    pub who: String,
    pub pid: u32,
    /// RFC 3339 timestamp of when the lock was taken.
    pub created: String,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error("cannot {action} {}: {source}", path.display())]
    #[diagnostic(code(state::io))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("state file {} is corrupt: {problem}", path.display())]
    #[diagnostic(
        code(state::corrupt),
        help(
            "keyway will neither use nor overwrite this file. Restore it from the `.backup` file \
             next to it or from a `keyway state pull` copy, or repair it by hand."
        )
    )]
    Corrupt { path: PathBuf, problem: String },

    #[error(
        "state file {} has format version {found}, but this keyway supports version {supported} at most",
        path.display()
    )]
    #[diagnostic(
        code(state::unsupported_version),
        help("it was written by a newer keyway ({written_by}); upgrade keyway to use it")
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u64,
        supported: u64,
        written_by: String,
    },

    #[error(
        "state is locked: {} holds it for `{}` since {} (pid {}, lock id {})",
        info.who, info.operation, info.created, info.pid, info.id
    )]
    #[diagnostic(
        code(state::locked),
        help(
            "wait for that run to finish. If you are sure it is gone and the lock is stale, \
             run `keyway force-unlock {}`",
            info.id
        )
    )]
    Locked { path: PathBuf, info: Box<LockInfo> },

    #[error("state is locked by another process (lock file {} holds no readable details)", path.display())]
    #[diagnostic(
        code(state::locked),
        help("another keyway run is probably just starting or finishing; try again shortly")
    )]
    LockedUnknown { path: PathBuf },

    #[error(
        "the lock holder is still running: pid {} on this host ({}), `{}` since {}",
        info.pid, info.who, info.operation, info.created
    )]
    #[diagnostic(
        code(state::holder_alive),
        help(
            "removing the lock of a live run lets two runs overwrite each other's state. Wait \
             for it to finish, or stop it (`kill {}`). If it is hung, override with \
             `keyway force-unlock -force -holder={} {}`",
            info.pid, info.pid, info.id
        )
    )]
    HolderAlive { info: Box<LockInfo> },

    #[error("state is not locked (no lock recorded in {})", path.display())]
    #[diagnostic(code(state::not_locked))]
    NotLocked { path: PathBuf },

    #[error("lock id `{given}` does not match the current lock `{recorded}`")]
    #[diagnostic(
        code(state::lock_id_mismatch),
        help("the lock may have been released and taken again; check the current holder first")
    )]
    LockIdMismatch { given: String, recorded: String },

    #[error("pushed state has lineage {pushed}, but the current state has lineage {current}")]
    #[diagnostic(
        code(state::lineage_mismatch),
        help("this is a different state history; use -force only if you mean to replace it")
    )]
    LineageMismatch { current: String, pushed: String },

    #[error(
        "pushed state has serial {pushed}, which is not newer than the current serial {current}"
    )]
    #[diagnostic(
        code(state::serial_not_newer),
        help("the current state may contain changes the pushed one lacks; use -force to replace it anyway")
    )]
    SerialNotNewer { current: u64, pushed: u64 },

    #[error("cannot serialize state: {0}")]
    #[diagnostic(code(state::serialize))]
    Serialize(#[source] serde_json::Error),

    #[error("state backend {backend}: {message}")]
    #[diagnostic(code(state::backend))]
    Backend { backend: String, message: String },

    #[error("state backend settings: {0}")]
    #[diagnostic(
        code(state::backend_settings),
        help("run `keyway init` in this folder to set up its backend")
    )]
    Settings(String),

    #[error(
        "state in {location} is locked: {} holds it for `{}` since {} (lock id {})",
        info.who, info.operation, info.created, info.id
    )]
    #[diagnostic(
        code(state::locked),
        help(
            "wait for that run to finish (or pass -lock-timeout=DURATION to wait). If you are \
             sure it is gone, run `keyway force-unlock {}`",
            info.id
        )
    )]
    RemoteLocked {
        location: String,
        info: Box<LockInfo>,
    },

    #[error(
        "state in {location} has a stale lock: {} took it for `{}` at {} and its lease ran out \
         {age} ago (lock id {})",
        info.who, info.operation, info.created, info.id
    )]
    #[diagnostic(
        code(state::stale_lock),
        help(
            "the holder stopped renewing its lease, so it probably died mid-run. Nothing takes \
             a lock over on its own: check that run is gone, then `keyway force-unlock {}`",
            info.id
        )
    )]
    StaleLock {
        location: String,
        info: Box<LockInfo>,
        age: String,
    },

    #[error("{location} holds Terraform's state, which keyway has not adopted yet")]
    #[diagnostic(
        code(state::terraform_state),
        help(
            "run `keyway init`: it shows what keyway can take over and asks before writing \
             keyway's state in its place"
        )
    )]
    TerraformState { location: String },

    #[error("state encryption: {0}")]
    #[diagnostic(code(state::encryption))]
    Encryption(String),

    #[error(
        "{location} is encrypted, and this configuration has no `encryption` block to read it"
    )]
    #[diagnostic(
        code(state::encrypted),
        help("add the `encryption` block (and its passphrase) this state was written with")
    )]
    Encrypted { location: String },

    #[error("state in {location} is not locked")]
    #[diagnostic(code(state::not_locked))]
    RemoteNotLocked { location: String },

    #[error(
        "refused to write state to {location}: {reason}. This run's state (serial {serial}) is \
         kept in {} so nothing is lost",
        rescued.display()
    )]
    #[diagnostic(
        code(state::write_refused),
        help(
            "another run changed the state since this one read it. Look at both before \
             choosing: `keyway state pull` shows the stored one; `keyway state push FILE` \
             writes this one over it"
        )
    )]
    WriteRefused {
        location: String,
        reason: String,
        serial: u64,
        rescued: PathBuf,
    },
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
