//! Rendering of engine values for people and machines. The only module that uses `similar`.

mod body;
pub mod diagnostic;
pub mod json;
mod jsonencode;
pub mod plan;
pub mod progress;
pub mod style;
pub mod tfjson;
pub mod value;
