//! `show -json PLANFILE`: Terraform's plan representation (format 1.2).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as J};

use super::state::{provider_of, resource as values_resource};
use super::{known_json, output_value, resource_head, resource_unknown, sensitive_as_bool};
use crate::config::Config;
use crate::lang::Value;
use crate::plan::{Action, OutputChange, Plan, ResourceChange};

/// Terraform's `actions` list.
pub fn actions(a: &Action) -> J {
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

/// keyway's causes of a replacement that are not attributes.
fn is_cause(reason: &str) -> bool {
    reason == "tainted"
        || reason == "-replace"
        || reason.starts_with("replace_triggered_by")
        || reason.starts_with("snapshot of")
}

/// A data source read during planning: its result is known, so it is prior state, not a change.
pub fn read_now(c: &ResourceChange) -> bool {
    c.action == Action::Read && !c.planned().is_some_and(Value::has_unknown)
}

/// Terraform's `action_reason` for a change, when it gives one.
pub fn action_reason(c: &ResourceChange) -> Option<&'static str> {
    match &c.action {
        Action::Replace { reasons, .. } => Some(if reasons.iter().any(|r| r == "tainted") {
            "replace_because_tainted"
        } else if reasons.iter().any(|r| r == "-replace") {
            "replace_by_request"
        } else if reasons
            .iter()
            .any(|r| r.starts_with("replace_triggered_by") || r.starts_with("snapshot of"))
        {
            "replace_by_triggers"
        } else {
            "replace_because_cannot_update"
        }),
        // The planner words its reasons as Terraform's plan text does.
        Action::Delete { reason } => {
            let r = reason.as_str();
            if r.ends_with("is not in configuration") {
                Some("delete_because_no_resource_config")
            } else if r.ends_with("is out of range for count") {
                Some("delete_because_count_index")
            } else if r.ends_with("is not in for_each map") {
                Some("delete_because_each_key")
            } else if r.starts_with("resource uses") || r.starts_with("resource does not use") {
                Some("delete_because_wrong_repetition")
            } else {
                None
            }
        }
        Action::Read => {
            let schema = crate::schema::lookup_in(&c.ty, true);
            let configured_unknown = match (c.planned(), schema) {
                (Some(Value::Object(m)), Some(s)) => m.iter().any(|(k, v)| {
                    s.attributes
                        .get(k)
                        .is_some_and(|a| a.required || a.optional)
                        && v.has_unknown()
                }),
                _ => false,
            };
            Some(if configured_unknown {
                "read_because_config_unknown"
            } else {
                "read_because_dependency_pending"
            })
        }
        _ => None,
    }
}

fn change_entry(
    c: &ResourceChange,
    config: &Config,
    moved: &BTreeMap<&str, &str>,
    imported: &BTreeMap<String, String>,
) -> J {
    let mut m = resource_head(&c.addr, &provider_of(&c.addr, &c.ty, Some(config)));
    if let Some(from) = moved.get(c.addr.as_str()) {
        m.insert("previous_address".into(), json!(from));
    }
    let after = match c.action {
        Action::Delete { .. } => None,
        _ => c.planned(),
    };
    let mut ch = Map::new();
    ch.insert("actions".into(), actions(&c.action));
    ch.insert(
        "before".into(),
        c.before.as_ref().map_or(J::Null, known_json),
    );
    ch.insert("after".into(), after.map_or(J::Null, known_json));
    ch.insert("after_unknown".into(), resource_unknown(after));
    ch.insert(
        "before_sensitive".into(),
        c.before.as_ref().map_or(J::Bool(false), sensitive_as_bool),
    );
    ch.insert(
        "after_sensitive".into(),
        after.map_or(J::Bool(false), sensitive_as_bool),
    );
    if let Action::Replace { reasons, .. } = &c.action {
        let paths: Vec<J> = reasons
            .iter()
            .filter(|r| !is_cause(r))
            .map(|r| json!([r]))
            .collect();
        if !paths.is_empty() {
            ch.insert("replace_paths".into(), J::Array(paths));
        }
    }
    if let Some(id) = imported.get(&c.addr) {
        ch.insert("importing".into(), json!({ "id": id }));
    }
    m.insert("change".into(), J::Object(ch));
    if let Some(r) = action_reason(c) {
        m.insert("action_reason".into(), json!(r));
    }
    // keyway's own field: Terraform has no "undelete" action, so `actions` stays ["create"]
    // and this says what the create will really do.
    if let Some(note) = &c.note {
        m.insert("keyway_note".into(), json!(note));
    }
    J::Object(m)
}

/// What happens to an output: Terraform's action name.
pub fn output_action(o: &OutputChange) -> &'static str {
    match (&o.before, &o.after) {
        (None, Some(_)) => "create",
        (Some(_), None) => "delete",
        (Some(b), Some(a)) if !a.has_unknown() && b.to_json() == a.to_json() => "no-op",
        _ => "update",
    }
}

fn output_change(o: &OutputChange) -> J {
    let shown = |v: &Option<Value>| match v {
        Some(_) if o.sensitive => J::Null,
        Some(v) => known_json(v),
        None => J::Null,
    };
    json!({
        "actions": [output_action(o)],
        "before": shown(&o.before),
        "after": shown(&o.after),
        // `false` once wholly known, else the value's shape.
        "after_unknown": o.after.as_ref().filter(|v| v.has_unknown()).map_or(J::Bool(false), super::unknown_as_bool),
        "before_sensitive": o.sensitive,
        "after_sensitive": o.sensitive,
    })
}

/// The whole document.
pub fn document(plan: &Plan, config: &Config, vars: &BTreeMap<String, Value>) -> J {
    let moved: BTreeMap<&str, &str> = plan
        .moved
        .iter()
        .map(|(from, to)| (to.as_str(), from.as_str()))
        .collect();
    let variables: Map<String, J> = vars
        .iter()
        .map(|(k, v)| {
            let shown = if v.has_sensitive() {
                J::Null
            } else {
                known_json(v)
            };
            (k.clone(), json!({ "value": shown }))
        })
        .collect();

    let mut planned = Vec::new();
    let mut read_now_entries = Vec::new();
    let mut changes = Vec::new();
    for c in &plan.changes {
        let after = match c.action {
            Action::Delete { .. } => None,
            _ => c.planned(),
        };
        if let Some(v) = after {
            let r = values_resource(&c.addr, &c.ty, v, Some(config));
            // As Terraform 1.11 writes it: a data source read while planning is prior state
            // only, not a planned value (checked against hashicorp/aws's plan in
            // `tests/suite/aws_terraform.rs`).
            if read_now(c) {
                read_now_entries.push(J::Object(r));
            } else {
                planned.push(J::Object(r));
            }
        }
        if !read_now(c) {
            changes.push(change_entry(c, config, &moved, &plan.imported));
        }
    }
    let planned_outputs: Map<String, J> = plan
        .outputs
        .iter()
        .filter(|(_, o)| o.after.is_some())
        .map(|(k, o)| (k.clone(), output_value(o.after.as_ref(), o.sensitive)))
        .collect();
    // Terraform's prior state carries the outputs in state, updated with those planning
    // evaluated to known values; it is left out when it holds nothing.
    let mut prior_outputs = super::state::outputs(&plan.prior);
    for (k, o) in &plan.outputs {
        if let Some(v) = o.after.as_ref().filter(|v| !v.has_unknown()) {
            prior_outputs.insert(k.clone(), output_value(Some(v), o.sensitive));
        }
    }
    let prior_resources = super::state::resources(&plan.prior, Some(config), read_now_entries);
    let prior = (!prior_resources.is_empty() || !prior_outputs.is_empty()).then(|| {
        json!({
            "format_version": super::STATE_FORMAT,
            "terraform_version": super::version(),
            "values": super::state::values(prior_resources, prior_outputs),
        })
    });
    let output_changes: Map<String, J> = plan
        .outputs
        .iter()
        .map(|(k, o)| (k.clone(), output_change(o)))
        .collect();

    let mut doc = json!({
        "format_version": super::PLAN_FORMAT,
        "terraform_version": super::version(),
        "variables": variables,
        "planned_values": super::state::values(planned, planned_outputs),
        "resource_changes": changes,
        "output_changes": output_changes,
        "configuration": super::config::configuration(config),
        "relevant_attributes": super::config::relevant_attributes(plan, config),
        "timestamp": super::timestamp(),
        "applyable": plan.has_changes(),
        "complete": true,
        "errored": false,
    });
    if let Some(p) = prior {
        doc["prior_state"] = p;
    }
    let drift = resource_drift(plan, config);
    if !drift.is_empty() {
        doc["resource_drift"] = J::Array(drift);
    }
    if changes_empty(&doc) {
        doc.as_object_mut().map(|m| m.remove("resource_changes"));
    }
    if !plan.checks.is_empty() {
        doc["checks"] = crate::cli::render::json::checks_json(&plan.checks);
    }
    doc
}

/// What the refresh found changed or gone outside keyway: each instance as state held it
/// (`before`) and as it is now (`after`, null when gone), Terraform's `resource_drift`.
fn resource_drift(plan: &Plan, config: &Config) -> Vec<J> {
    plan.drifted_from
        .iter()
        .map(|(addr, old)| {
            let before = crate::plan::values::from_state(old);
            let after = plan
                .prior
                .resources
                .get(addr)
                .map(crate::plan::values::from_state);
            let mut m = resource_head(addr, &provider_of(addr, &old.resource_type, Some(config)));
            let action = if after.is_some() { "update" } else { "delete" };
            m.insert(
                "change".into(),
                json!({
                    "actions": [action],
                    "before": known_json(&before),
                    "after": after.as_ref().map_or(J::Null, known_json),
                    "after_unknown": {},
                    "before_sensitive": sensitive_as_bool(&before),
                    "after_sensitive": after.as_ref().map_or(J::Bool(false), sensitive_as_bool),
                }),
            );
            J::Object(m)
        })
        .collect()
}

fn changes_empty(doc: &J) -> bool {
    doc["resource_changes"]
        .as_array()
        .is_some_and(Vec::is_empty)
}
