//! Terraform's state representation: `show -json` of the state, and `prior_state` in a plan.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as J};

use super::{known_json, local_provider, output_value, resource_head, sensitive_as_bool};
use crate::config::Config;
use crate::lang::Value;
use crate::plan::values::from_state;
use crate::state::{ResourceInstance, State};

/// The provider's local name for a resource: from its block's `provider` argument when the
/// configuration still has the block, else from its type.
pub fn provider_of(address: &str, ty: &str, config: Option<&Config>) -> String {
    let block = super::addr(address).block;
    let meta = config
        .and_then(|c| c.resources.get(block))
        .and_then(|r| r.provider.as_deref());
    local_provider(ty, meta)
}

/// One resource in a values representation.
pub fn resource(address: &str, ty: &str, value: &Value, config: Option<&Config>) -> Map<String, J> {
    let mut m = resource_head(address, &provider_of(address, ty, config));
    m.insert("schema_version".into(), json!(0));
    m.insert("values".into(), known_json(value));
    m.insert("sensitive_values".into(), sensitive_object(value));
    m
}

/// `sensitive_values` of an object: always an object.
pub fn sensitive_object(v: &Value) -> J {
    match sensitive_as_bool(v) {
        J::Object(m) => J::Object(m),
        _ => json!({}),
    }
}

/// Every resource `inst` depends on, directly or through the objects in state it depends on,
/// as Terraform records `depends_on` in state.
fn all_dependencies(inst: &ResourceInstance, state: &State) -> Vec<String> {
    let mut by_block: BTreeMap<&str, Vec<&ResourceInstance>> = BTreeMap::new();
    for (a, i) in &state.resources {
        by_block.entry(super::addr(a).block).or_default().push(i);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut queue: Vec<&str> = inst.dependencies.iter().map(String::as_str).collect();
    while let Some(d) = queue.pop() {
        if seen.insert(d.to_owned()) {
            for i in by_block.get(d).into_iter().flatten() {
                queue.extend(i.dependencies.iter().map(String::as_str));
            }
        }
    }
    seen.into_iter().collect()
}

fn state_resource(
    address: &str,
    inst: &ResourceInstance,
    state: &State,
    config: Option<&Config>,
) -> J {
    let mut m = resource(address, &inst.resource_type, &from_state(inst), config);
    let deps = all_dependencies(inst, state);
    if !deps.is_empty() {
        m.insert("depends_on".into(), json!(deps));
    }
    if inst.tainted {
        m.insert("tainted".into(), json!(true));
    }
    J::Object(m)
}

/// A `values` object: `outputs` (when any) and `root_module` with its `resources` (when any).
pub fn values(resources: Vec<J>, outputs: Map<String, J>) -> J {
    // Resources inside modules go to `child_modules`, nested as the modules are.
    let mut by_module: BTreeMap<String, Vec<J>> = BTreeMap::new();
    for r in resources {
        let m = r["module_address"].as_str().unwrap_or_default().to_owned();
        let mut at = m.clone();
        while !at.is_empty() {
            let parent = crate::address::module_of(&at).to_owned();
            by_module.entry(at).or_default();
            at = parent;
        }
        by_module.entry(m).or_default().push(r);
    }
    let root = module_values("", &mut by_module);
    let mut v = Map::new();
    if !outputs.is_empty() {
        v.insert("outputs".into(), J::Object(outputs));
    }
    v.insert("root_module".into(), J::Object(root));
    J::Object(v)
}

/// One module's `resources` and `child_modules` (Terraform's `address` for all but the root).
fn module_values(address: &str, by_module: &mut BTreeMap<String, Vec<J>>) -> Map<String, J> {
    let mut m = Map::new();
    if !address.is_empty() {
        m.insert("address".into(), J::String(address.to_owned()));
    }
    let mut resources = by_module.remove(address).unwrap_or_default();
    // The nesting says the module here; only `resource_changes` entries carry it.
    for r in &mut resources {
        if let Some(o) = r.as_object_mut() {
            o.remove("module_address");
        }
    }
    if !resources.is_empty() {
        m.insert("resources".into(), J::Array(resources));
    }
    let children: Vec<String> = by_module
        .keys()
        .filter(|k| crate::address::module_of(k) == address)
        .cloned()
        .collect();
    let nested: Vec<J> = children
        .iter()
        .map(|c| J::Object(module_values(c, by_module)))
        .collect();
    if !nested.is_empty() {
        m.insert("child_modules".into(), J::Array(nested));
    }
    m
}

/// The state's resources (sorted by address), plus `extra` resource entries (data sources
/// read while planning), sorted together.
pub fn resources(state: &State, config: Option<&Config>, extra: Vec<J>) -> Vec<J> {
    let mut all: BTreeMap<String, J> = state
        .resources
        .iter()
        .map(|(a, i)| (a.clone(), state_resource(a, i, state, config)))
        .collect();
    for e in extra {
        let a = e["address"].as_str().unwrap_or_default().to_owned();
        all.insert(a, e);
    }
    all.into_values().collect()
}

/// The state's outputs as a values representation writes them.
pub fn outputs(state: &State) -> Map<String, J> {
    state
        .outputs
        .iter()
        .map(|(k, o)| {
            let v = Value::from_json(&o.value);
            (k.clone(), output_value(Some(&v), o.sensitive))
        })
        .collect()
}

/// `show -json` of the state: `{"format_version": "1.0"}` alone when it is empty, as
/// Terraform writes it.
pub fn document(state: &State, config: Option<&Config>) -> J {
    let mut doc = json!({ "format_version": super::STATE_FORMAT });
    if state.resources.is_empty() && state.outputs.is_empty() {
        return doc;
    }
    doc["terraform_version"] = json!(super::version());
    doc["values"] = values(resources(state, config, Vec::new()), outputs(state));
    if !state.checks.is_empty() {
        doc["checks"] = crate::cli::render::json::checks_json(&state.checks);
    }
    doc
}
