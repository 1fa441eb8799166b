//! One module per command family; each is short and calls library functions.

pub mod adopt;
pub mod backend;
pub mod emulator;
pub mod encryption;
pub mod import;
pub mod misc;
pub mod output;
pub mod plan;
pub mod state;
pub mod workspaces;
