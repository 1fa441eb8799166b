//! The configuration language: values, type constraints, expression evaluation and the
//! function library. Pure: no IO except the filesystem functions' reads.

pub mod eval;
pub mod functions;
pub mod refs;
pub mod template;
pub mod types;
pub mod value;
pub mod withhold;

pub use value::{Number, Value};
