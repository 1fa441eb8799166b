//! Configuration: loading a folder of HCL, lowering it to a model, checking it statically,
//! resolving input variables, and canonical formatting (`keyway fmt`).

pub mod advice;
pub mod api_parts;
pub mod braces;
pub mod enablement;
pub mod expand;
pub mod fetch;
pub mod format;
pub mod load;
pub mod lower;
pub mod model;
pub mod modules;
pub mod snapshots;
pub mod validate;
pub mod vars;
pub mod version;

pub use load::{load, load_str, load_with_sources};
pub use model::*;
