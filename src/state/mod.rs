//! State: the in-memory model, its versioned on-disk format, and where it is kept: local
//! files written atomically under an advisory lock (`store`), or a team's remote backend
//! (`remote`: GCS, PostgreSQL), behind one interface (`backend`).
//!
//! The model (`model`) is what the engine works with; the file format (`file`) is a separate
//! set of serde DTOs so the on-disk shape can evolve (and be versioned) independently.

pub mod backend;
pub mod crypt;
mod error;
pub mod file;
pub mod model;
pub mod remote;
pub mod store;
pub mod terraform;

pub use backend::{BackendSettings, Lock, Store};
pub use error::{Error, LockInfo};
pub use model::{CheckResult, CheckStatus, Output, PendingCreate, ResourceInstance, State};
pub use store::{current_workspace, select_workspace, workspaces, LocalStore, DEFAULT_WORKSPACE};
