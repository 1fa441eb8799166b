//! Machine-readable plan and state output (`-json`). Sensitive values are never written in
//! clear: they become `null` with their paths listed under `*_sensitive`; unknown values
//! become `null` with `after_unknown` paths.

use serde_json::{json, Map, Value as J};

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

/// The plan as JSON.
pub fn plan_json(plan: &Plan) -> J {
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
