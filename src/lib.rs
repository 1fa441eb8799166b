//! keyway: declarative provisioning for API-key-protected APIs.
//!
//! See `ARCHITECTURE.md` for the codemap.

pub mod emulator;
pub mod lang;
