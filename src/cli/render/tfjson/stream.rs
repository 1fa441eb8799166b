//! `plan -json`: Terraform's streamed machine-readable UI, one JSON object per line, each with
//! `@level`, `@message`, `@module` (`terraform.ui`), `@timestamp` and `type`: `version`,
//! `refresh_start`/`refresh_complete` for each object refresh read, `resource_drift`,
//! `planned_change` for each change (sorted by address, so the stream is the same every run
//! but for its timestamps), `change_summary`, `outputs`, then one `diagnostic` per warning or
//! error.

use serde_json::{json, Value as J};

use super::plan::{action_reason, read_now};
use crate::diagnostics::{Diagnostic, Severity, Sources};
use crate::plan::{Action, InstanceKey, Mode, Plan};

/// `@timestamp`: RFC 3339 with microseconds, UTC.
fn now() -> String {
    let Ok(format) = time::format_description::parse_borrowed::<1>(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z",
    ) else {
        return String::new();
    };
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

fn message(level: &str, text: &str, ty: &str, extra: J) -> String {
    let mut m = json!({
        "@level": level,
        "@message": text,
        "@module": "terraform.ui",
        "@timestamp": now(),
        "type": ty,
    });
    if let (Some(m), J::Object(e)) = (m.as_object_mut(), extra) {
        m.extend(e);
    }
    m.to_string()
}

/// The `version` line.
pub fn version() -> String {
    let v = env!("CARGO_PKG_VERSION");
    message(
        "info",
        &format!("keyway {v}"),
        "version",
        json!({ "terraform": v, "ui": "1.2" }),
    )
}

/// Terraform's resource object in hooks and changes.
fn resource(addr: &str, provider: &str) -> J {
    let a = super::addr(addr);
    let key = match &a.key {
        InstanceKey::None => J::Null,
        InstanceKey::Int(i) => json!(i),
        InstanceKey::Str(s) => json!(s),
    };
    json!({
        "addr": a.instance,
        "module": "",
        "resource": a.instance,
        "implied_provider": provider,
        "resource_type": a.ty,
        "resource_name": a.name,
        "resource_key": key,
    })
}

/// Terraform's streamed action and reason names.
fn change_action(c: &crate::plan::ResourceChange) -> (&'static str, Option<&'static str>) {
    let reason = action_reason(c).map(|r| match r {
        "replace_because_tainted" => "tainted",
        "replace_by_request" => "requested",
        "replace_because_cannot_update" => "cannot_update",
        "replace_by_triggers" => "replace_triggered_by",
        other => other,
    });
    let action = match c.action {
        Action::NoOp => "noop",
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace { .. } => "replace",
        Action::Delete { .. } => "delete",
        Action::Read => "read",
        Action::Forget => "forget",
    };
    (action, reason)
}

fn diagnostic(d: &Diagnostic, sources: &Sources) -> String {
    let (level, word) = match d.severity {
        Severity::Error => ("error", "Error"),
        Severity::Warning => ("warn", "Warning"),
    };
    message(
        level,
        &format!("{word}: {}", d.message),
        "diagnostic",
        json!({ "diagnostic": crate::cli::render::json::diagnostic(d, sources) }),
    )
}

/// An error that stopped the run, as a `diagnostic` line (no source range).
pub fn error(text: &str) -> String {
    let summary = text.lines().next().unwrap_or_default().trim();
    let detail: String = text.lines().skip(1).collect::<Vec<_>>().join("\n");
    message(
        "error",
        &format!("Error: {summary}"),
        "diagnostic",
        json!({ "diagnostic": { "severity": "error", "summary": summary, "detail": detail.trim() } }),
    )
}

/// Every line after `version` for a finished plan. `refreshed`: refresh read the objects
/// in state.
pub fn lines(
    plan: &Plan,
    config: &crate::config::Config,
    sources: &Sources,
    refreshed: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let provider = |addr: &str, ty: &str| super::state::provider_of(addr, ty, Some(config));
    if refreshed {
        for (addr, inst) in &plan.prior.resources {
            let p = provider(addr, &inst.resource_type);
            let id = inst.attributes.get("id").and_then(J::as_str);
            let suffix = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
            let mut hook = json!({ "resource": resource(addr, &p) });
            if let Some(i) = id {
                hook["id_key"] = json!("id");
                hook["id_value"] = json!(i);
            }
            out.push(message(
                "info",
                &format!("{addr}: Refreshing state...{suffix}"),
                "refresh_start",
                json!({ "hook": hook.clone() }),
            ));
            out.push(message(
                "info",
                &format!("{addr}: Refresh complete{suffix}"),
                "refresh_complete",
                json!({ "hook": hook }),
            ));
        }
    }
    for addr in &plan.drift {
        let (ty, action) = match plan.prior.resources.get(addr) {
            Some(i) => (i.resource_type.clone(), "update"),
            None => (super::addr(addr).ty.to_owned(), "delete"),
        };
        out.push(message(
            "info",
            &format!("{addr}: Drift detected ({action})"),
            "resource_drift",
            json!({ "change": { "resource": resource(addr, &provider(addr, &ty)), "action": action } }),
        ));
    }
    let moved: std::collections::BTreeMap<&str, &str> = plan
        .moved
        .iter()
        .map(|(f, t)| (t.as_str(), f.as_str()))
        .collect();
    for c in &plan.changes {
        let from = moved.get(c.addr.as_str());
        if (c.action == Action::NoOp && from.is_none()) || read_now(c) {
            continue;
        }
        let (action, reason) = change_action(c);
        let action = if action == "noop" { "move" } else { action };
        let mut change = json!({
            "resource": resource(&c.addr, &provider(&c.addr, &c.ty)),
            "action": action,
        });
        if let Some(f) = from {
            change["previous_resource"] = resource(f, &provider(f, &c.ty));
        }
        if let Some(r) = reason {
            change["reason"] = json!(r);
        }
        out.push(message(
            "info",
            &format!("{}: Plan to {action}", c.addr),
            "planned_change",
            json!({ "change": change }),
        ));
    }
    let (add, change, remove) = plan.counts();
    let summary = if plan.mode == Mode::RefreshOnly {
        "Refresh-only plan".to_owned()
    } else {
        format!("Plan: {add} to add, {change} to change, {remove} to destroy.")
    };
    out.push(message(
        "info",
        &summary,
        "change_summary",
        json!({ "changes": {
            "add": add, "change": change, "import": 0, "remove": remove, "operation": "plan",
        } }),
    ));
    if !plan.outputs.is_empty() {
        let outputs: serde_json::Map<String, J> = plan
            .outputs
            .iter()
            .map(|(k, o)| {
                let action = match super::plan::output_action(o) {
                    "no-op" => "noop",
                    a => a,
                };
                (
                    k.clone(),
                    json!({ "sensitive": o.sensitive, "action": action }),
                )
            })
            .collect();
        out.push(message(
            "info",
            &format!("Outputs: {}", outputs.len()),
            "outputs",
            json!({ "outputs": outputs }),
        ));
    }
    for w in &plan.warnings {
        out.push(diagnostic(w, sources));
    }
    out
}
