//! Local state (placeholder until the store lands).

pub mod model;
pub use model::{Output, ResourceInstance, State};
