//! `check` blocks, as Terraform 1.5+ evaluates them: read each check's scoped data sources,
//! then its assertions, against the values of the whole module. Nothing here stops a run:
//! failures (a false assertion, a scoped read that fails) are warnings and a `Fail` result.
//! Pure: the caller passes the values and a reader for the data sources.

use crate::config::{Check, Config, Expr};
use crate::diagnostics::Diagnostic;
use crate::lang::eval::{eval, to_bool};
use crate::lang::Value;
use crate::plan::scope::{body_value, EvalScope, Instances, Values};
use crate::state::{CheckResult, CheckStatus};

/// Reads one data source: (provider, type, configuration without marks) to its attributes.
pub type Reader<'a> = dyn FnMut(&str, &str, &Value) -> Result<Value, String> + 'a;

/// Shown instead of an assertion message that would reveal a secret.
const SENSITIVE_MESSAGE: &str =
    "The error message included a sensitive value, so it will not be displayed.";

/// Evaluates every check, in name order. `values` gains each check's scoped data sources only
/// while that check runs (they are visible inside it alone).
pub fn evaluate(
    config: &Config,
    values: &mut Values,
    read: &mut Reader<'_>,
) -> (Vec<CheckResult>, Vec<Diagnostic>) {
    let mut results = Vec::new();
    let mut diags = Vec::new();
    for check in config.checks.values() {
        results.push(one(config, check, values, read, &mut diags));
    }
    (results, diags)
}

/// Combines statuses: any failure fails; otherwise anything unknown is unknown.
fn combine(a: CheckStatus, b: CheckStatus) -> CheckStatus {
    match (a, b) {
        (CheckStatus::Fail, _) | (_, CheckStatus::Fail) => CheckStatus::Fail,
        (CheckStatus::Unknown, _) | (_, CheckStatus::Unknown) => CheckStatus::Unknown,
        _ => CheckStatus::Pass,
    }
}

fn eval_in(config: &Config, values: &Values, e: &Expr) -> Result<Value, Diagnostic> {
    let scope = EvalScope::new(values, config);
    eval(&e.expr, &scope).map_err(|err| {
        Diagnostic::warning("check::eval", err.message)
            .at(e.file, err.span)
            .maybe_help(err.help)
    })
}

fn one(
    config: &Config,
    check: &Check,
    values: &mut Values,
    read: &mut Reader<'_>,
    diags: &mut Vec<Diagnostic>,
) -> CheckResult {
    let within = format!("check \"{}\"", check.name);
    let mut status = CheckStatus::Pass;
    let mut problems = Vec::new();
    let mut scoped = Vec::new();
    for res in &check.data {
        let addr = res.address();
        let value = match scoped_read(config, values, res, read) {
            Ok(v) => {
                if v.has_unknown() {
                    status = combine(status, CheckStatus::Unknown);
                }
                v
            }
            Err(d) => {
                status = CheckStatus::Fail;
                problems.push(d.message.clone());
                diags.push(d.within(within.clone()));
                Value::Unknown
            }
        };
        values
            .resources
            .insert(addr.clone(), Instances::Single(value));
        scoped.push(addr);
    }
    for a in &check.asserts {
        let (s, problem) = assertion(config, values, a, &within, diags);
        status = combine(status, s);
        problems.extend(problem);
    }
    for addr in scoped {
        values.resources.remove(&addr);
    }
    CheckResult {
        name: check.name.clone(),
        status,
        problems,
    }
}

/// A scoped data source's value: read now when its configuration is known, unknown otherwise.
fn scoped_read(
    config: &Config,
    values: &Values,
    res: &crate::config::Resource,
    read: &mut Reader<'_>,
) -> Result<Value, Diagnostic> {
    let addr = res.address();
    let schema = crate::schema::lookup(&res.ty).ok_or_else(|| {
        Diagnostic::warning(
            "check::data_source",
            format!("Unknown data source type `{}`", res.ty),
        )
        .at(res.file, res.span.clone())
    })?;
    let cfg = body_value(&res.body, &mut |e| eval_in(config, values, e))?;
    if cfg.has_unknown() {
        return Ok(Value::Unknown);
    }
    let got = read(&schema.provider, &res.ty, &cfg.clone().deep_unmark()).map_err(|e| {
        Diagnostic::warning(
            "check::data_source",
            format!("Reading `{addr}` failed: {e}"),
        )
        .at(res.file, res.span.clone())
        .help("a data source inside a check block only warns when it cannot be read")
    })?;
    Ok(crate::plan::values::mark_read(schema, &cfg, got))
}

fn assertion(
    config: &Config,
    values: &Values,
    a: &crate::config::Validation,
    within: &str,
    diags: &mut Vec<Diagnostic>,
) -> (CheckStatus, Option<String>) {
    let cond = match eval_in(config, values, &a.condition) {
        Ok(v) => v,
        Err(d) => {
            let msg = d.message.clone();
            diags.push(d.within(within));
            return (CheckStatus::Fail, Some(msg));
        }
    };
    if cond.has_unknown() {
        return (CheckStatus::Unknown, None);
    }
    match to_bool(cond.unmarked()) {
        Some(true) => (CheckStatus::Pass, None),
        Some(false) => {
            let msg = message(config, values, &a.error_message);
            diags.push(
                Diagnostic::warning("check::assertion_failed", "Check block assertion failed")
                    .at(a.condition.file, a.condition.span())
                    .help(msg.clone())
                    .within(within),
            );
            (CheckStatus::Fail, Some(msg))
        }
        None => {
            let msg = format!(
                "Invalid condition result: a bool is required, got {}",
                cond.unmarked().type_name()
            );
            diags.push(
                Diagnostic::warning("check::condition_type", msg.clone())
                    .at(a.condition.file, a.condition.span())
                    .within(within),
            );
            (CheckStatus::Fail, Some(msg))
        }
    }
}

/// The assertion's `error_message`, never revealing a secret.
fn message(config: &Config, values: &Values, e: &Expr) -> String {
    match eval_in(config, values, e) {
        Ok(v) if v.has_sensitive() => SENSITIVE_MESSAGE.to_owned(),
        Ok(v) => match v.as_str() {
            Some(s) => s.to_owned(),
            None if v.has_unknown() => "(error message known after apply)".to_owned(),
            None => v.to_json().to_string(),
        },
        Err(d) => format!("(the error message could not be evaluated: {})", d.message),
    }
}
