//! Configuration handling: for now, canonical formatting of HCL sources (`keyway fmt`).

pub mod format;
