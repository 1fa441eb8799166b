//! Terraform's built-in function library: the dispatcher that checks arity, handles
//! unknown and sensitive arguments once for every function, and the table of functions.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use crate::lang::types::{convert, Type};
use crate::lang::Value;

mod collection;
mod conversion;
mod datetime;
mod encoding;
mod filesystem;
mod format;
mod hashing;
mod network;
mod numeric;
mod string;
#[cfg(test)]
mod tests;
mod yaml;

// Go duration and RFC 3339 rules, shared with the `time` provider's resources.
pub(crate) use datetime::{parse_duration, rfc3339};
// `yamldecode`'s reader (YAML or JSON, bounded): the AWS provider reads OpenAPI documents.
pub(crate) use yaml::decode as yaml_decode;

/// What a function may need from its caller besides its arguments.
pub struct FuncContext<'a> {
    /// `path.module`: the folder relative paths in `file()` and friends resolve against.
    pub base_dir: &'a Path,
    /// Renders a template source with the given variables (for `templatefile`); provided
    /// by the evaluator so that this module does not depend on it.
    // The signature is the evaluator's contract; spelled out so callers see it in full.
    #[allow(clippy::type_complexity)]
    pub render_template: &'a dyn Fn(&str, &BTreeMap<String, Value>) -> Result<Value, String>,
}

/// A function's implementation: receives arguments checked for arity and prepared as its
/// `Mode` says.
type Impl = fn(&Args<'_, '_>) -> Result<Value, String>;

/// One entry of the function table.
struct Func {
    name: &'static str,
    /// Names of the fixed parameters, used in error messages.
    params: &'static [&'static str],
    /// Name of the variadic parameter, if the function takes any number of further arguments.
    variadic: Option<&'static str>,
    mode: Mode,
    imp: Impl,
}

/// How the dispatcher prepares arguments.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Unmarked, and the call's result is unknown if anything in them is unknown.
    Known,
    /// Unmarked; unknown values inside collections are passed on, because the function
    /// only moves elements around (`length`, `merge`, `concat`, ...). An argument that is
    /// itself unknown still makes the result unknown.
    UnknownElements,
    /// Untouched, marks and unknowns included: the function itself is about marks.
    Raw,
}

impl Func {
    /// Declares that the function handles unknown elements itself (see `Mode`).
    const fn unknown_elements(self) -> Func {
        Func {
            mode: Mode::UnknownElements,
            ..self
        }
    }
}

const fn f(name: &'static str, params: &'static [&'static str], imp: Impl) -> Func {
    Func {
        name,
        params,
        variadic: None,
        mode: Mode::Known,
        imp,
    }
}

const fn v(
    name: &'static str,
    params: &'static [&'static str],
    variadic: &'static str,
    imp: Impl,
) -> Func {
    Func {
        name,
        params,
        variadic: Some(variadic),
        mode: Mode::Known,
        imp,
    }
}

const fn raw(name: &'static str, params: &'static [&'static str], imp: Impl) -> Func {
    Func {
        name,
        params,
        variadic: None,
        mode: Mode::Raw,
        imp,
    }
}

/// Every family contributes its entries; kept in one place so `names()` sees them all.
fn table() -> impl Iterator<Item = &'static Func> {
    [
        numeric::FUNCS,
        string::FUNCS,
        collection::FUNCS,
        encoding::FUNCS,
        filesystem::FUNCS,
        datetime::FUNCS,
        hashing::FUNCS,
        network::FUNCS,
        conversion::FUNCS,
    ]
    .into_iter()
    .flatten()
}

/// Calls the named function. Errors are one-sentence messages, shown at the call's span.
pub fn call(name: &str, args: Vec<Value>, ctx: &FuncContext<'_>) -> Result<Value, String> {
    let Some(func) = table().find(|func| func.name == name) else {
        return Err(format!("Call to unknown function `{name}`"));
    };
    check_arity(func, args.len())?;
    if func.mode == Mode::Raw {
        return (func.imp)(&Args {
            func,
            vals: args,
            ctx,
        });
    }
    let sensitive = args.iter().any(Value::has_sensitive);
    let unknown = match func.mode {
        Mode::UnknownElements => args.iter().any(|a| matches!(a.unmarked(), Value::Unknown)),
        _ => args.iter().any(Value::has_unknown),
    };
    if unknown {
        // Conservative: without knowing every input we cannot know the output.
        return Ok(mark(Value::Unknown, sensitive));
    }
    let vals = args.into_iter().map(Value::deep_unmark).collect();
    let result = (func.imp)(&Args { func, vals, ctx })?;
    // A backstop: the functions that can build long strings check before building them.
    if let Value::String(s) = &result {
        limit_string(s.len()).map_err(|e| format!("Call to function \"{name}\" failed: {e}."))?;
    }
    Ok(mark(result, sensitive))
}

/// [`crate::limits::check_string_bytes`], for the functions of this module.
pub(crate) fn limit_string(bytes: usize) -> Result<(), String> {
    crate::limits::check_string_bytes(bytes)
}

fn mark(value: Value, sensitive: bool) -> Value {
    if sensitive {
        value.sensitive()
    } else {
        value
    }
}

fn check_arity(func: &Func, given: usize) -> Result<(), String> {
    let want = func.params.len();
    if given < want {
        return Err(format!(
            "Function \"{}\" expects {} argument(s). Missing value for \"{}\".",
            func.name, want, func.params[given]
        ));
    }
    if given > want && func.variadic.is_none() {
        return Err(format!(
            "Function \"{}\" expects only {} argument(s).",
            func.name, want
        ));
    }
    Ok(())
}

/// Every function name, sorted (for "did you mean" suggestions).
pub fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<_> = table().map(|func| func.name).collect();
        names.sort_unstable();
        names
    })
}

/// The arguments of one call, with typed accessors that convert like Terraform does
/// (a number passed for a string parameter becomes its decimal string, and so on).
pub(crate) struct Args<'a, 'c> {
    func: &'a Func,
    vals: Vec<Value>,
    ctx: &'a FuncContext<'c>,
}

impl Args<'_, '_> {
    fn len(&self) -> usize {
        self.vals.len()
    }

    fn param_name(&self, i: usize) -> &'static str {
        self.func
            .params
            .get(i)
            .copied()
            .or(self.func.variadic)
            .unwrap_or("argument")
    }

    /// An error about argument `i`, phrased as Terraform phrases it.
    fn err(&self, i: usize, msg: impl std::fmt::Display) -> String {
        format!(
            "Invalid value for \"{}\" parameter: {msg}.",
            self.param_name(i)
        )
    }

    /// Argument `i` as given (may be null).
    fn raw(&self, i: usize) -> &Value {
        self.vals.get(i).unwrap_or(&Value::Null)
    }

    /// Argument `i`, which must not be null.
    fn get(&self, i: usize) -> Result<&Value, String> {
        match self.raw(i) {
            Value::Null => Err(self.err(i, "argument must not be null")),
            v => Ok(v),
        }
    }

    fn typed(&self, i: usize, ty: &Type) -> Result<Value, String> {
        convert(self.get(i)?.clone(), ty).map_err(|e| self.err(i, e))
    }

    fn str(&self, i: usize) -> Result<String, String> {
        let converted = convert(self.get(i)?.clone(), &Type::String);
        match converted.map_err(|_| self.err(i, "string required"))? {
            Value::String(s) => Ok(s),
            _ => Err(self.err(i, "string required")),
        }
    }

    fn num(&self, i: usize) -> Result<f64, String> {
        let converted = convert(self.get(i)?.clone(), &Type::Number);
        let converted = converted.map_err(|e| match self.raw(i) {
            Value::String(_) => self.err(i, e),
            _ => self.err(i, "number required"),
        })?;
        match converted {
            Value::Number(n) => Ok(n.0),
            _ => Err(self.err(i, "number required")),
        }
    }

    /// A number that must be a whole number fitting in i64.
    fn int(&self, i: usize) -> Result<i64, String> {
        let n = self.num(i)?;
        crate::lang::Number(n)
            .as_i64()
            .ok_or_else(|| self.err(i, "value must be a whole number"))
    }

    /// A list, set or tuple argument's elements.
    fn seq(&self, i: usize) -> Result<Vec<Value>, String> {
        match self.get(i)? {
            Value::List(v) | Value::Set(v) => Ok(v.clone()),
            _ => Err(self.err(i, "list of any single type required")),
        }
    }

    /// A map or object argument's entries.
    fn map(&self, i: usize) -> Result<BTreeMap<String, Value>, String> {
        match self.get(i)? {
            Value::Object(m) => Ok(m.clone()),
            _ => Err(self.err(i, "must have map or object type")),
        }
    }

    /// A list whose elements are all converted to strings.
    fn str_list(&self, i: usize) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let items = self
            .seq(i)
            .map_err(|_| self.err(i, "list of string required"))?;
        for item in items {
            match convert(item, &Type::String) {
                Ok(Value::String(s)) => out.push(s),
                Ok(Value::Null) => return Err(self.err(i, "element must not be null")),
                _ => return Err(self.err(i, "list of string required")),
            }
        }
        Ok(out)
    }

    /// All arguments from `start` on (the variadic ones).
    fn rest(&self, start: usize) -> &[Value] {
        self.vals.get(start..).unwrap_or(&[])
    }
}

impl Args<'_, '_> {
    /// A failure of the call itself (not tied to one argument).
    fn fail(&self, msg: impl std::fmt::Display) -> String {
        format!("Call to function \"{}\" failed: {msg}.", self.func.name)
    }
}

impl Args<'_, '_> {
    /// A list of strings whose null elements are kept as `None`.
    fn str_list_nullable(&self, i: usize) -> Result<Vec<Option<String>>, String> {
        let mut out = Vec::new();
        for item in self.seq(i)? {
            match convert(item, &Type::String) {
                Ok(Value::String(s)) => out.push(Some(s)),
                Ok(Value::Null) => out.push(None),
                _ => return Err(self.err(i, "list of string required")),
            }
        }
        Ok(out)
    }
}
