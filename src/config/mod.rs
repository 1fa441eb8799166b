<<<<<<< HEAD
//! Configuration: loading a folder of HCL, lowering it to a model, and checking it statically.

pub mod load;
pub mod lower;
pub mod model;
pub mod validate;
pub mod vars;

pub use load::{load, load_str};
pub use model::*;
=======
//! Configuration handling: for now, canonical formatting of HCL sources (`keyway fmt`).

pub mod format;
>>>>>>> state
