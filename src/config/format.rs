//! Canonical formatting of HCL sources, as `terraform fmt` does it (`keyway fmt`).
