//! Local state: the in-memory model, its versioned on-disk format, and the store that
//! persists it atomically under an advisory lock.
//!
//! The model (`model`) is what the engine works with; the file format (`file`) is a separate
//! set of serde DTOs so the on-disk shape can evolve (and be versioned) independently.

mod error;
pub mod file;
pub mod model;
pub mod store;
pub mod terraform;

pub use error::{Error, LockInfo};
pub use model::{CheckResult, CheckStatus, Output, PendingCreate, ResourceInstance, State};
pub use store::{
    current_workspace, select_workspace, workspaces, LocalStore, Lock, DEFAULT_WORKSPACE,
};
