//! keyway: declarative provisioning for API-key-protected APIs.
//!
//! See `ARCHITECTURE.md` for the codemap.

pub mod apply;
pub mod config;
pub mod diagnostics;
pub mod lang;
pub mod schema;
pub mod graph;
pub mod plan;
pub mod providers;
pub mod state;
