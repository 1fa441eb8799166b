//! The pure per-instance diff: from the prior object, the configuration's object and the
//! resource schema, decide the action and the planned object. No per-type branches: every
//! decision comes from the schema's flags.

use std::collections::BTreeMap;

use crate::config::IgnoreChanges;
use crate::lang::Value;
use crate::plan::Action;
use crate::schema::{Attribute, BlockSchema, ResourceSchema};

/// What the diff needs besides the values.
pub struct DiffInput<'a> {
    /// The resource type's schema.
    pub schema: &'a ResourceSchema,
    /// The refreshed prior object, if the instance exists.
    pub prior: Option<&'a Value>,
    /// The configuration's object.
    pub config: Value,
    /// `lifecycle.ignore_changes`.
    pub ignore: &'a IgnoreChanges,
    /// Reasons to replace regardless of the diff (tainted, `-replace`, `replace_triggered_by`).
    pub forced: Vec<String>,
}

/// The decided action and the planned object (unknown where only apply can tell).
pub struct DiffOutput {
    /// Create, NoOp, Update or Replace (the caller sets the order of a replacement).
    pub action: Action,
    /// The planned object.
    pub planned: Value,
}

fn obj(v: Option<&Value>) -> BTreeMap<String, Value> {
    match v.map(Value::unmarked) {
        Some(Value::Object(m)) => m.clone(),
        _ => BTreeMap::new(),
    }
}

/// Diffs one instance.
pub fn diff(input: DiffInput<'_>) -> DiffOutput {
    let schema = input.schema;
    let mut config = obj(Some(&input.config));
    let Some(prior_v) = input.prior else {
        let planned = propose(&schema.attributes, &schema.blocks, &config, None, false);
        return DiffOutput {
            action: Action::Create,
            planned: mark(schema, planned),
        };
    };
    let prior = obj(Some(prior_v));
    match input.ignore {
        IgnoreChanges::All => config = prior.clone(),
        IgnoreChanges::Attrs(names) => {
            for n in names {
                if let Some(p) = prior.get(n) {
                    config.insert(n.clone(), p.clone());
                }
            }
        }
        IgnoreChanges::None => {}
    }
    let planned = propose(
        &schema.attributes,
        &schema.blocks,
        &config,
        Some(&prior),
        false,
    );
    let changed = changed_attrs(schema, &planned, &prior);
    let mut reasons: Vec<String> = changed
        .iter()
        .filter(|(_, forces)| *forces)
        .map(|(n, _)| n.clone())
        .collect();
    reasons.extend(input.forced);
    if !reasons.is_empty() {
        let planned = propose(&schema.attributes, &schema.blocks, &config, None, false);
        reasons.sort();
        reasons.dedup();
        return DiffOutput {
            action: Action::Replace {
                reasons,
                create_first: false,
            },
            planned: mark(schema, planned),
        };
    }
    if changed.is_empty() {
        return DiffOutput {
            action: Action::NoOp,
            planned: mark(schema, Value::Object(prior)),
        };
    }
    let planned = propose(
        &schema.attributes,
        &schema.blocks,
        &config,
        Some(&prior),
        true,
    );
    DiffOutput {
        action: Action::Update,
        planned: mark(schema, planned),
    }
}

/// The planned object: configuration values, with computed attributes taken from the prior
/// object (server-filled defaults are not drift) or unknown when there is none.
fn propose(
    attrs: &BTreeMap<String, Attribute>,
    blocks: &BTreeMap<String, BlockSchema>,
    config: &BTreeMap<String, Value>,
    prior: Option<&BTreeMap<String, Value>>,
    updating: bool,
) -> Value {
    let mut out = BTreeMap::new();
    for (name, a) in attrs {
        let c = match config.get(name) {
            Some(v) if !v.is_null() => v.clone(),
            // A documented default is what the provider will use: the plan shows it.
            _ => a
                .default
                .as_ref()
                .map(Value::from_json)
                .unwrap_or(Value::Null),
        };
        let p = prior.and_then(|p| p.get(name));
        let v = if a.case_insensitive && same_text_any_case(&c, p)
            || a.resource_link && same_resource(&c, p)
            || a.json && same_json(&c, p)
            || is_set(a) && same_elements(&c, p)
        {
            p.cloned().unwrap_or(c)
        } else if (a.computed || filled(a.filled_by.as_deref(), config)) && c.is_null() {
            match p {
                Some(_) if updating && a.recomputed_on_update => Value::Unknown,
                Some(p) => p.clone(),
                None => Value::Unknown,
            }
        } else if c.is_null() && p.is_some_and(is_zero) {
            // An unset optional argument and the API's empty value mean the same thing
            // (proto3 leaves defaults out; Terraform's providers treat them alike).
            p.cloned().unwrap_or(Value::Null)
        } else {
            c
        };
        out.insert(name.clone(), v);
    }
    for (name, b) in blocks {
        // Blocks generated by a `dynamic` block whose `for_each` is not known yet.
        if config
            .get(name)
            .is_some_and(|v| v.unmarked() == &Value::Unknown)
        {
            out.insert(name.clone(), Value::Unknown);
            continue;
        }
        let cs = list(config.get(name));
        let ps = list(prior.and_then(|p| p.get(name)));
        if cs.is_empty() && (b.computed || filled(b.filled_by.as_deref(), config)) {
            // A block the server fills when the configuration leaves it out is not drift.
            let kept = prior.and_then(|p| p.get(name)).cloned();
            out.insert(
                name.clone(),
                kept.unwrap_or_else(|| {
                    if prior.is_some() {
                        Value::List(ps)
                    } else {
                        Value::Unknown
                    }
                }),
            );
            continue;
        }
        let items = cs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let p = ps.get(i).map(|p| obj(Some(p)));
                propose(
                    &b.attributes,
                    &b.blocks,
                    &obj(Some(c)),
                    p.as_ref(),
                    updating,
                )
            })
            .collect();
        out.insert(name.clone(), Value::List(items));
    }
    Value::Object(out)
}

/// True when `by` names an argument the configuration sets: the document it holds fills the
/// attribute (schema `filled_by`).
fn filled(by: Option<&str>, config: &BTreeMap<String, Value>) -> bool {
    by.and_then(|f| config.get(f)).is_some_and(|v| !v.is_null())
}

/// A set-typed attribute (`set(string)`): order means nothing.
fn is_set(a: &Attribute) -> bool {
    a.ty.as_deref().is_some_and(|t| t.starts_with("set("))
}

/// True when both are lists holding the same elements, in any order.
fn same_elements(c: &Value, p: Option<&Value>) -> bool {
    let (Value::List(a) | Value::Set(a), Some(Value::List(b) | Value::Set(b))) =
        (c.unmarked(), p.map(Value::unmarked))
    else {
        return false;
    };
    let key = |items: &[Value]| {
        let mut keys: Vec<String> = items.iter().map(Value::sort_key).collect();
        keys.sort();
        keys
    };
    a.len() == b.len() && key(a) == key(b)
}

/// True when both are strings holding equal JSON documents.
fn same_json(c: &Value, p: Option<&Value>) -> bool {
    let parse = |v: &Value| {
        v.unmarked()
            .as_str()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    };
    match (parse(c), p.and_then(parse)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// True when both are strings that differ only in case.
fn same_text_any_case(c: &Value, p: Option<&Value>) -> bool {
    match (c.unmarked(), p.map(Value::unmarked)) {
        (Value::String(a), Some(Value::String(b))) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// True when both name the same object: equal from `projects/` on, or, where one is a bare
/// name, equal last segments.
fn same_resource(c: &Value, p: Option<&Value>) -> bool {
    let (Value::String(a), Some(Value::String(b))) = (c.unmarked(), p.map(Value::unmarked)) else {
        return false;
    };
    let rel = |s: &str| s.find("projects/").map(|i| s[i..].to_owned());
    match (rel(a), rel(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.rsplit('/').next() == b.rsplit('/').next(),
    }
}

/// `""`, `false`, `0`, `[]` and `{}`: what an API returns for a field nobody set.
fn is_zero(v: &Value) -> bool {
    match v.unmarked() {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.0 == 0.0,
        Value::List(x) | Value::Set(x) => x.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn list(v: Option<&Value>) -> Vec<Value> {
    match v.map(Value::unmarked) {
        Some(Value::List(items)) | Some(Value::Set(items)) => items.clone(),
        _ => Vec::new(),
    }
}

/// Top-level attributes and blocks whose planned value differs from the prior, with whether
/// the difference forces replacement.
fn changed_attrs(
    schema: &ResourceSchema,
    planned: &Value,
    prior: &BTreeMap<String, Value>,
) -> Vec<(String, bool)> {
    let planned = obj(Some(planned));
    let mut out = Vec::new();
    for (name, a) in &schema.attributes {
        if differs(planned.get(name), prior.get(name)) {
            out.push((name.clone(), a.forces_replacement));
        }
    }
    for (name, b) in &schema.blocks {
        let (pl, pr) = (planned.get(name), prior.get(name));
        if differs(pl, pr) {
            let forces = b.forces_replacement || block_forces(b, &list(pl), &list(pr));
            out.push((name.clone(), forces));
        }
    }
    out
}

fn block_forces(b: &BlockSchema, planned: &[Value], prior: &[Value]) -> bool {
    if planned.len() != prior.len() {
        return b
            .attributes
            .values()
            .any(|a| a.forces_replacement && a.required);
    }
    planned.iter().zip(prior).any(|(pl, pr)| {
        let (pl, pr) = (obj(Some(pl)), obj(Some(pr)));
        b.attributes
            .iter()
            .any(|(n, a)| a.forces_replacement && differs(pl.get(n), pr.get(n)))
            || b.blocks
                .iter()
                .any(|(n, nb)| block_forces(nb, &list(pl.get(n)), &list(pr.get(n))))
    })
}

fn differs(a: Option<&Value>, b: Option<&Value>) -> bool {
    let (a, b) = (a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null));
    a.has_unknown() || b.has_unknown() || !same_ignoring_marks(a, b)
}

/// Equality that looks through sensitive marks, without copying.
fn same_ignoring_marks(a: &Value, b: &Value) -> bool {
    match (a.unmarked(), b.unmarked()) {
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_ignoring_marks(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same_ignoring_marks(v1, v2))
        }
        (x, y) => x == y,
    }
}

/// Applies the schema's sensitive flags to a planned object's top-level attributes.
pub fn mark(schema: &ResourceSchema, v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            for (name, a) in &schema.attributes {
                if a.sensitive {
                    if let Some(x) = m.remove(name) {
                        let x = if x.is_null() { x } else { x.sensitive() };
                        m.insert(name.clone(), x);
                    }
                }
            }
            Value::Object(m)
        }
        other => other,
    }
}
