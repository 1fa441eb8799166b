//! Terraform's built-in function library.

use std::collections::BTreeMap;
use std::path::Path;

use crate::lang::Value;

/// What a function may need from its caller besides its arguments.
pub struct FuncContext<'a> {
    /// `path.module`: the folder relative paths in `file()` and friends resolve against.
    pub base_dir: &'a Path,
    /// Renders a template source with the given variables (for `templatefile`); provided
    /// by the evaluator so that this module does not depend on it.
    pub render_template: &'a dyn Fn(&str, &BTreeMap<String, Value>) -> Result<Value, String>,
}

/// Calls the named function. Errors are one-sentence messages, shown at the call's span.
pub fn call(name: &str, args: Vec<Value>, ctx: &FuncContext<'_>) -> Result<Value, String> {
    let _ = (args, ctx);
    Err(format!("Call to unknown function `{name}`"))
}

/// Every function name, sorted (for "did you mean" suggestions).
pub fn names() -> &'static [&'static str] {
    &[]
}
