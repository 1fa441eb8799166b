//! `precondition` and `postcondition` blocks, as Terraform 1.11 evaluates them: a resource's or
//! data source's preconditions before it is planned, applied or read, its postconditions on
//! the object just planned, applied or read (as `self`), an output's preconditions before its
//! value. A false condition is an error; a condition not known yet is left for apply. Pure:
//! the caller passes the scope (with `count`/`each` of the instance) and decides severity.

use std::path::Path;

use crate::config::{Config, Expr, Mode, Resource, Validation};
use crate::diagnostics::{Diagnostic, Severity};
use crate::lang::eval::{eval, to_bool, ResolveError, Scope};
use crate::lang::Value;
use crate::plan::scope::{EvalScope, Values};

/// Which conditions, for Terraform's headline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A resource's or data source's `precondition`.
    Precondition,
    /// A resource's or data source's `postcondition`.
    Postcondition,
    /// An output's `precondition`.
    OutputPrecondition,
}

impl Kind {
    fn headline(self) -> &'static str {
        match self {
            Kind::Precondition => "Resource precondition failed",
            Kind::Postcondition => "Resource postcondition failed",
            Kind::OutputPrecondition => "Module output value precondition failed",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Kind::Precondition => "plan::precondition",
            Kind::Postcondition => "plan::postcondition",
            Kind::OutputPrecondition => "plan::output_precondition",
        }
    }
}

/// The block the conditions belong to, as Terraform names it after `in`.
pub fn resource_block(res: &Resource) -> String {
    let kind = match res.mode {
        Mode::Managed => "resource",
        Mode::Data => "data",
    };
    format!("{kind} \"{}\" \"{}\"", res.ty, res.name)
}

/// The conditions of `kind` that `res` has.
pub fn of(res: &Resource, kind: Kind) -> &[Validation] {
    match kind {
        Kind::Postcondition => &res.lifecycle.postconditions,
        _ => &res.lifecycle.preconditions,
    }
}

/// One instance's failing `kind` conditions (postconditions judge `self_value`), evaluated
/// against `values` with the instance's `count.index` / `each`.
pub fn instance_failures(
    config: &Config,
    values: &Values,
    res: &Resource,
    instance: (Option<usize>, Option<(String, Value)>),
    self_value: Option<&Value>,
    severity: Severity,
) -> Vec<Diagnostic> {
    let kind = match self_value {
        None => Kind::Precondition,
        Some(_) => Kind::Postcondition,
    };
    let conds = of(res, kind);
    if conds.is_empty() {
        return Vec::new();
    }
    let (count_index, each) = instance;
    let scope = EvalScope {
        values,
        config,
        count_index,
        each,
        module: &res.module,
    };
    let within = resource_block(res);
    match self_value {
        Some(value) => {
            let scope = WithSelf {
                inner: &scope,
                value,
            };
            failures(&scope, conds, kind, &within, severity)
        }
        None => failures(&scope, conds, kind, &within, severity),
    }
}

/// Output `name`'s failing preconditions.
pub fn output_failures(
    config: &Config,
    values: &Values,
    name: &str,
    severity: Severity,
) -> Vec<Diagnostic> {
    let conds = &config.outputs[name].preconditions;
    if conds.is_empty() {
        return Vec::new();
    }
    let scope = EvalScope::new(values, config);
    let within = format!("output \"{name}\"");
    failures(&scope, conds, Kind::OutputPrecondition, &within, severity)
}

/// A scope that adds `self` (the object a postcondition judges) to another.
pub struct WithSelf<'a> {
    /// Everything else.
    pub inner: &'a dyn Scope,
    /// `self`.
    pub value: &'a Value,
}

impl Scope for WithSelf<'_> {
    fn resolve(&self, names: &[&str]) -> Result<(Value, usize), ResolveError> {
        match names[0] {
            "self" => Ok((self.value.clone(), 1)),
            _ => self.inner.resolve(names),
        }
    }

    fn base_dir(&self) -> &Path {
        self.inner.base_dir()
    }
}

/// One diagnostic per condition that is false (or cannot be evaluated); nothing for those that
/// hold or are not known yet. `within` is the block (`resource "t" "n"`, `output "o"`);
/// `severity` is an error except in refresh-only plans, where Terraform only warns.
pub fn failures(
    scope: &dyn Scope,
    conds: &[Validation],
    kind: Kind,
    within: &str,
    severity: Severity,
) -> Vec<Diagnostic> {
    let new = |msg: String| match severity {
        Severity::Error => Diagnostic::error(kind.code(), msg),
        Severity::Warning => Diagnostic::warning(kind.code(), msg),
    };
    conds
        .iter()
        .filter_map(|c| judge(scope, c, kind, &new))
        .map(|d| d.within(within))
        .collect()
}

/// One condition's failure, if it fails now.
fn judge(
    scope: &dyn Scope,
    c: &Validation,
    kind: Kind,
    new: &dyn Fn(String) -> Diagnostic,
) -> Option<Diagnostic> {
    let v = match eval(&c.condition.expr, scope) {
        Ok(v) => v,
        Err(e) => {
            return Some(
                new(e.message)
                    .at(c.condition.file, e.span)
                    .maybe_help(e.help),
            )
        }
    };
    if v.has_unknown() {
        return None;
    }
    let d = match to_bool(v.unmarked()) {
        Some(true) => return None,
        Some(false) => new(kind.headline().to_owned()).help(message(scope, &c.error_message)),
        None => new(format!(
            "Invalid condition result: a bool is required, got {}",
            v.unmarked().type_name()
        )),
    };
    Some(
        d.at(c.condition.file, c.condition.span())
            .with_values(expression_values(scope, &c.condition)),
    )
}

/// The condition's `error_message`, never revealing a secret.
fn message(scope: &dyn Scope, e: &Expr) -> String {
    match eval(&e.expr, scope) {
        Ok(v) if v.has_sensitive() => {
            "(the error message refers to sensitive values and is not shown)".to_owned()
        }
        Ok(v) => match v.as_str() {
            Some(s) => s.to_owned(),
            None if v.has_unknown() => "(error message known after apply)".to_owned(),
            None => v.to_json().to_string(),
        },
        Err(err) => format!(
            "(the error message could not be evaluated: {})",
            err.message
        ),
    }
}

/// `count.index is 1`, `self.output is "x"`: each distinct reference of the condition with its
/// value, sorted, as Terraform lists them under the source line.
fn expression_values(scope: &dyn Scope, e: &Expr) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::new();
    for r in crate::lang::refs::references(&e.expr) {
        if matches!(r.names[0].as_str(), "path" | "terraform") {
            continue;
        }
        let text = r.names.join(".");
        let Ok(parsed) = text.parse::<hcl_edit::expr::Expression>() else {
            continue;
        };
        if let Ok(v) = eval(&parsed, scope) {
            seen.insert(text, crate::plan::checks::describe(&v));
        }
    }
    seen.into_iter().map(|(k, d)| format!("{k} {d}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
resource "terraform_data" "a" {
  count = 2
  lifecycle {
    precondition {
      condition     = count.index == 0
      error_message = "index ${count.index}"
    }
    postcondition {
      condition     = self.output
      error_message = "no"
    }
  }
}
"#;

    fn judge(count: usize, self_value: Option<Value>) -> Vec<Diagnostic> {
        let config = crate::config::load_str(CONFIG).expect("config");
        let res = &config.resources["terraform_data.a"];
        let values = Values::default();
        let instance = (Some(count), None);
        let error = Severity::Error;
        instance_failures(&config, &values, res, instance, self_value.as_ref(), error)
    }

    fn with_output(v: Value) -> Value {
        Value::Object([("output".to_owned(), v)].into())
    }

    #[test]
    fn a_false_precondition_fails_with_its_message_and_values() {
        assert!(judge(0, None).is_empty());
        let d = judge(1, None);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "Resource precondition failed");
        assert_eq!(d[0].help.as_deref(), Some("index 1"));
        assert_eq!(d[0].expression_values, vec!["count.index is 1"]);
        assert_eq!(
            d[0].within.as_deref(),
            Some("resource \"terraform_data\" \"a\"")
        );
    }

    #[test]
    fn a_postcondition_judges_self_and_waits_when_it_is_unknown() {
        assert!(judge(0, Some(with_output(Value::Bool(true)))).is_empty());
        assert!(judge(0, Some(with_output(Value::Unknown))).is_empty());
        let d = judge(0, Some(with_output(Value::Bool(false))));
        assert_eq!(d[0].message, "Resource postcondition failed");
    }

    #[test]
    fn a_condition_that_is_not_a_bool_is_an_error() {
        let d = judge(0, Some(with_output(Value::string("yes please"))));
        assert!(
            d[0].message.starts_with("Invalid condition result"),
            "{d:?}"
        );
    }
}
