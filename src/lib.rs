//! keyway: declarative provisioning for API-key-protected APIs.
//!
//! See `ARCHITECTURE.md` for the codemap.

pub mod address;
pub mod apply;
pub mod aws;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod emulator;
pub mod graph;
pub mod lang;
pub mod limits;
pub mod plan;
pub mod providers;
pub mod schema;
pub mod state;
