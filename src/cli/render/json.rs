//! JSON pieces shared by the `-json` outputs: diagnostics as `validate -json` writes them,
//! Terraform's `checks` array, and the plan's digest form (keyway's own shape, never printed:
//! saved plans are checked against its digest, so it stays stable while the printed formats
//! follow Terraform's, in `tfjson`). Sensitive values are never written in clear.

use serde_json::{json, Map, Value as J};

use crate::diagnostics::{Diagnostic, FileId, Severity, Sources};
use crate::lang::Value;
use crate::plan::values::sensitive_paths;
use crate::plan::{Action, Plan};

/// Redacted JSON of a value: sensitive and unknown parts are `null`.
pub fn redacted(v: &Value) -> J {
    match v {
        Value::Sensitive(_) | Value::Unknown => J::Null,
        Value::List(items) | Value::Set(items) => J::Array(items.iter().map(redacted).collect()),
        Value::Object(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), redacted(v))).collect()),
        other => other.to_json(),
    }
}

fn unknown_paths(v: &Value, path: &mut String, out: &mut Vec<String>) {
    match v {
        Value::Unknown => out.push(path.clone()),
        Value::List(items) | Value::Set(items) => {
            for (i, x) in items.iter().enumerate() {
                let n = path.len();
                path.push_str(&format!("/{i}"));
                unknown_paths(x, path, out);
                path.truncate(n);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let n = path.len();
                path.push('/');
                path.push_str(k);
                unknown_paths(x, path, out);
                path.truncate(n);
            }
        }
        Value::Sensitive(x) => unknown_paths(x, path, out),
        _ => {}
    }
}

fn actions(a: &Action) -> J {
    match a {
        Action::NoOp => json!(["no-op"]),
        Action::Create => json!(["create"]),
        Action::Update => json!(["update"]),
        Action::Read => json!(["read"]),
        Action::Forget => json!(["forget"]),
        Action::Delete { .. } => json!(["delete"]),
        Action::Replace {
            create_first: false,
            ..
        } => json!(["delete", "create"]),
        Action::Replace {
            create_first: true, ..
        } => json!(["create", "delete"]),
    }
}

/// The plan in the form its saved-plan digest covers: every change with its actions and
/// redacted values, outputs, drift and counts. Never printed.
pub fn digest_json(plan: &Plan) -> J {
    let mut changes = Vec::new();
    for c in &plan.changes {
        let mut unknown = Vec::new();
        if let Some(a) = c.planned() {
            unknown_paths(a, &mut String::new(), &mut unknown);
        }
        let mut ch = Map::new();
        ch.insert("actions".into(), actions(&c.action));
        ch.insert("before".into(), c.before.as_ref().map_or(J::Null, redacted));
        ch.insert("after".into(), c.planned().map_or(J::Null, redacted));
        ch.insert("after_unknown".into(), json!(unknown));
        ch.insert(
            "before_sensitive".into(),
            json!(c.before.as_ref().map(sensitive_paths).unwrap_or_default()),
        );
        ch.insert(
            "after_sensitive".into(),
            json!(c.planned().map(sensitive_paths).unwrap_or_default()),
        );
        if let Action::Replace { reasons, .. } = &c.action {
            ch.insert("replace_paths".into(), json!(reasons));
        }
        if let Action::Delete { reason } = &c.action {
            ch.insert("reason".into(), json!(reason));
        }
        let mut entry = json!({
            "address": c.addr,
            "resource": c.resource,
            "mode": if c.resource.starts_with("data.") { "data" } else { "managed" },
            "type": c.ty,
            "provider_name": c.provider,
            "change": J::Object(ch),
        });
        // keyway's own field: Terraform has no "undelete" action, so `actions` stays
        // ["create"] and this says what the create will really do.
        if let Some(note) = &c.note {
            entry["keyway_note"] = json!(note);
        }
        changes.push(entry);
    }
    let mut outputs = Map::new();
    for (name, o) in &plan.outputs {
        let show = |v: &Option<Value>| match v {
            Some(v) if o.sensitive => {
                let _ = v;
                J::Null
            }
            Some(v) => redacted(v),
            None => J::Null,
        };
        outputs.insert(
            name.clone(),
            json!({
                "before": show(&o.before),
                "after": show(&o.after),
                "after_unknown": o.after.as_ref().is_some_and(Value::has_unknown),
                "sensitive": o.sensitive,
            }),
        );
    }
    let (add, change, destroy) = plan.counts();
    let mut out = json!({
        "format_version": "1.2",
        "keyway_version": env!("CARGO_PKG_VERSION"),
        "mode": plan.mode,
        "resource_changes": changes,
        "output_changes": J::Object(outputs),
        "resource_drift": plan.drift,
        "summary": { "add": add, "change": change, "destroy": destroy },
        "errored": false,
    });
    if !plan.checks.is_empty() {
        out["checks"] = checks_json(&plan.checks);
    }
    out
}

/// Terraform's `checks` array: one entry per `check` block with its status and problems.
pub fn checks_json(checks: &[crate::state::CheckResult]) -> J {
    J::Array(
        checks
            .iter()
            .map(|c| {
                let display = format!("check.{}", c.name);
                let problems: Vec<J> = c.problems.iter().map(|m| json!({ "message": m })).collect();
                let mut instance = json!({
                    "address": { "to_display": display },
                    "status": c.status.name(),
                });
                // Terraform leaves `problems` out when there are none.
                if !problems.is_empty() {
                    instance["problems"] = J::Array(problems);
                }
                json!({
                    "address": { "kind": "check", "name": c.name, "to_display": display },
                    "status": c.status.name(),
                    "instances": [instance],
                })
            })
            .collect(),
    )
}

/// A diagnostic as `terraform validate -json` writes it: `range` (1-based line and column,
/// 0-based byte) and `snippet` when it has a place.
pub fn diagnostic(d: &Diagnostic, sources: &Sources) -> J {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = json!({
        "severity": severity,
        "summary": d.message,
        "detail": d.help.clone().unwrap_or_default(),
    });
    if let Some((file, span)) = &d.location {
        out["range"] = range(sources, *file, span);
        out["snippet"] = snippet(sources, *file, span);
    }
    out
}

fn position(sources: &Sources, file: FileId, byte: usize) -> J {
    let byte = byte.min(sources.get(file).text.len());
    let (line, column) = sources.line_col(file, byte);
    json!({ "line": line, "column": column, "byte": byte })
}

fn range(sources: &Sources, file: FileId, span: &std::ops::Range<usize>) -> J {
    json!({
        "filename": sources.get(file).name,
        "start": position(sources, file, span.start),
        "end": position(sources, file, span.end),
    })
}

/// The source lines the span covers, and where in them it is.
fn snippet(sources: &Sources, file: FileId, span: &std::ops::Range<usize>) -> J {
    let text = &sources.get(file).text;
    let start = floor_boundary(text, span.start.min(text.len()));
    let end = floor_boundary(text, span.end.clamp(start, text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let code = &text[line_start..line_end];
    json!({
        "context": context(&text[..line_end]),
        "code": code,
        "start_line": sources.line_col(file, start).0,
        "highlight_start_offset": start - line_start,
        "highlight_end_offset": end - line_start,
        "values": [],
    })
}

/// The header of the top-level block the text before a span ends in, as Terraform's
/// `context` names it (`resource "terraform_data" "x"`): the last line starting in the first
/// column and ending with `{`.
fn context(before: &str) -> J {
    before
        .lines()
        .rev()
        .find(|l| !l.starts_with([' ', '\t', '}', '#', '/']) && l.trim_end().ends_with('{'))
        .map_or(J::Null, |l| {
            J::String(l.trim_end().trim_end_matches('{').trim_end().to_owned())
        })
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
