//! `check` blocks, as Terraform 1.5+ evaluates them: read each check's scoped data sources,
//! then its assertions, against the values of the whole module. Nothing here stops a run:
//! failures (a false assertion, a scoped read that fails) are warnings and a `Fail` result.
//! Pure: the caller passes the values and a reader for the data sources.

use crate::config::{Check, Config, Expr};
use crate::diagnostics::Diagnostic;
use crate::lang::eval::{eval, eval_bound, to_bool};
use crate::lang::Value;
use crate::plan::body::body_value;
use crate::plan::scope::{EvalScope, Instances, Values};
use crate::state::{CheckResult, CheckStatus};

/// Reads one data source: (provider, type, configuration without marks) to its attributes.
pub type Reader<'a> = dyn FnMut(&str, &str, &Value) -> Result<Value, String> + 'a;

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
    // Warnings in source order, as Terraform reports them; results stay in name order.
    diags.sort_by_key(|d| d.location.as_ref().map(|(f, s)| (*f, s.start)));
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

fn eval_in(
    config: &Config,
    values: &Values,
    e: &Expr,
    bound: &crate::plan::body::Bound,
) -> Result<Value, Diagnostic> {
    let scope = EvalScope {
        module: &e.module,
        ..EvalScope::new(values, config)
    };
    eval_bound(&e.expr, &scope, bound).map_err(|err| {
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
    let mut read_failed = false;
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
                read_failed = true;
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
    // After a failed read the assertions would only say "known after apply" about a value
    // that will never come: the read's warning is the check's whole story.
    if !read_failed {
        for a in &check.asserts {
            let (s, problem) = assertion(config, values, a, &within, diags);
            status = combine(status, s);
            problems.extend(problem);
        }
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
    let schema = crate::schema::lookup_in(&res.ty, true).ok_or_else(|| {
        Diagnostic::warning(
            "check::data_source",
            format!("Unknown data source type `{}`", res.ty),
        )
        .at(res.file, res.span.clone())
    })?;
    let cfg = body_value(&res.body, &mut |e, bound| eval_in(config, values, e, bound))?;
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
    let cond = match eval_in(config, values, &a.condition, &[]) {
        Ok(v) => v,
        Err(d) => {
            let msg = d.message.clone();
            diags.push(d.within(within));
            return (CheckStatus::Fail, Some(msg));
        }
    };
    let at = |d: Diagnostic| {
        d.at(a.condition.file, a.condition.span())
            .within(within)
            .with_values(expression_values(config, values, &a.condition))
    };
    if cond.has_unknown() {
        diags.push(at(Diagnostic::warning(
            "check::known_after_apply",
            "Check block assertion known after apply",
        )
        .help(KNOWN_AFTER_APPLY)));
        return (CheckStatus::Unknown, None);
    }
    match to_bool(cond.unmarked()) {
        Some(true) => (CheckStatus::Pass, None),
        Some(false) => {
            let failed =
                Diagnostic::warning("check::assertion_failed", "Check block assertion failed");
            match message(config, values, &a.error_message) {
                Message::Text(msg) => {
                    diags.push(at(failed.help(msg.clone())));
                    (CheckStatus::Fail, Some(msg))
                }
                Message::Sensitive => {
                    // No values under the line: the message is withheld for a secret.
                    let failed = failed.at(a.condition.file, a.condition.span());
                    diags.push(failed.within(within).help(INVALID_MESSAGE));
                    diags.push(
                        Diagnostic::warning(
                            "check::sensitive_message",
                            "Error message refers to sensitive values",
                        )
                        .at(a.error_message.file, a.error_message.span())
                        .within(within)
                        .help(SENSITIVE_MESSAGE),
                    );
                    (CheckStatus::Fail, None)
                }
            }
        }
        None => {
            let msg = format!(
                "Invalid condition result: a bool is required, got {}",
                cond.unmarked().type_name()
            );
            diags.push(at(Diagnostic::warning(
                "check::condition_type",
                msg.clone(),
            )));
            (CheckStatus::Fail, Some(msg))
        }
    }
}

/// An evaluated `error_message`.
enum Message {
    Text(String),
    /// It would reveal a secret: not shown.
    Sensitive,
}

/// The assertion's `error_message`, never revealing a secret.
fn message(config: &Config, values: &Values, e: &Expr) -> Message {
    match eval_in(config, values, e, &[]) {
        Ok(v) if v.has_sensitive() => Message::Sensitive,
        Ok(v) => Message::Text(match v.as_str() {
            Some(s) => s.to_owned(),
            None if v.has_unknown() => "(error message known after apply)".to_owned(),
            None => v.to_json().to_string(),
        }),
        Err(d) => Message::Text(format!(
            "(the error message could not be evaluated: {})",
            d.message
        )),
    }
}

/// `var.want is "blue"` for each distinct reference of the condition, sorted, as Terraform
/// lists them under the source line. Secrets show as `has a sensitive value`.
fn expression_values(config: &Config, values: &Values, e: &Expr) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::new();
    for r in crate::lang::refs::references(&e.expr) {
        if matches!(
            r.names[0].as_str(),
            "count" | "each" | "path" | "terraform" | "self"
        ) {
            continue;
        }
        let text = r.names.join(".");
        let Ok(parsed) = text.parse::<hcl_edit::expr::Expression>() else {
            continue;
        };
        let scope = EvalScope {
            module: &e.module,
            ..EvalScope::new(values, config)
        };
        if let Ok(v) = eval(&parsed, &scope) {
            seen.insert(text, describe(&v));
        }
    }
    seen.into_iter().map(|(k, d)| format!("{k} {d}")).collect()
}

/// How Terraform describes a value under a diagnostic's source line.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Sensitive(_) => "has a sensitive value".to_owned(),
        Value::Unknown => "will be known only after apply".to_owned(),
        Value::Null => "is null".to_owned(),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => format!("is {}", v.to_json()),
        Value::List(items) => format!("is tuple with {} elements", items.len()),
        Value::Set(items) => format!("is set with {} elements", items.len()),
        Value::Object(m) => format!("is object with {} attributes", m.len()),
    }
}

const KNOWN_AFTER_APPLY: &str = "The condition could not be evaluated at this time, a result will be known when this plan is applied.";

const INVALID_MESSAGE: &str = "This check failed, but has an invalid error message as described in the other accompanying messages.";

const SENSITIVE_MESSAGE: &str = "The error expression used to explain this condition refers to sensitive values, so keyway will not display the resulting message.\n\nYou can correct this by removing references to sensitive values, or by carefully using the nonsensitive() function if the expression will not reveal the sensitive data.";
