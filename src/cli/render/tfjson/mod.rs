//! Terraform's documented JSON formats, for the tools teams already run on them (policy and
//! cost checkers): `show -json` of a plan (`plan.rs`) and of the state (`state.rs`), with the
//! configuration representation (`config.rs`), and the streamed machine-readable UI of
//! `plan -json` (`stream.rs`).
//!
//! One deliberate difference: Terraform writes sensitive values in clear inside `values`,
//! `before` and `after` and only flags them in `*_sensitive`; keyway never writes a secret in
//! clear, so a sensitive leaf is `null` there and `true` in the matching `*_sensitive`
//! structure (a sensitive variable's value and default, and a sensitive output's value, are
//! `null` too).

pub mod config;
pub mod plan;
pub mod state;
pub mod stream;

use serde_json::{json, Map, Value as J};

use crate::lang::Value;
use crate::plan::InstanceKey;

/// The `format_version` of `show -json` for plans; state documents are `1.0`.
pub const PLAN_FORMAT: &str = "1.2";
/// The `format_version` of state documents.
pub const STATE_FORMAT: &str = "1.0";

/// What `terraform_version` says: keyway's own version, so a reader can tell who wrote it.
pub fn version() -> String {
    format!("keyway {}", env!("CARGO_PKG_VERSION"))
}

/// The current time as Terraform writes `timestamp` (RFC 3339, whole seconds, UTC).
pub fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Terraform's local name of a resource's provider: the `provider` meta-argument's name, else
/// the type's prefix (`terraform` for `terraform_data`).
pub fn local_provider(ty: &str, meta: Option<&str>) -> String {
    match meta {
        Some(m) => m.split('.').next().unwrap_or(m).to_owned(),
        None => ty.split('_').next().unwrap_or(ty).to_owned(),
    }
}

/// The provider's full address as Terraform writes `provider_name`.
pub fn full_provider(local: &str) -> String {
    if local == "terraform" {
        "terraform.io/builtin/terraform".to_owned()
    } else {
        format!("registry.terraform.io/hashicorp/{local}")
    }
}

/// The parts of an instance address: (block address, mode, type, name, key, deposed tag).
pub struct Addr<'a> {
    /// `terraform_data.a` or `data.http.x`.
    pub block: &'a str,
    /// The instance address without a deposed suffix.
    pub instance: &'a str,
    /// `managed` or `data`.
    pub mode: &'static str,
    /// Resource type.
    pub ty: &'a str,
    /// Resource name.
    pub name: &'a str,
    /// `count` index or `for_each` key.
    pub key: InstanceKey,
    /// The deposed object's tag (`deposed`, `deposed 2`), when it is one.
    pub deposed: Option<&'a str>,
    /// The module instance it is in (`module.keys["a"]`), empty at the root.
    pub module: &'a str,
}

/// Splits an instance address.
pub fn addr(address: &str) -> Addr<'_> {
    let (instance, deposed) = match crate::plan::scope::deposed_instance(address) {
        Some(i) => (
            i,
            Some(
                address[i.len()..]
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')'),
            ),
        ),
        None => (address, None),
    };
    let (block, key) = InstanceKey::split(instance);
    let module = crate::address::module_of(block);
    let local = block[module.len()..].trim_start_matches('.');
    let (mode, rest) = match local.strip_prefix("data.") {
        Some(r) => ("data", r),
        None => ("managed", local),
    };
    let (ty, name) = rest.split_once('.').unwrap_or((rest, ""));
    Addr {
        block,
        instance,
        mode,
        ty,
        name,
        key,
        deposed,
        module,
    }
}

/// The identifying fields every resource entry starts with: `address`, `mode`, `type`,
/// `name`, `index` (when keyed), `provider_name`.
pub fn resource_head(address: &str, provider: &str) -> Map<String, J> {
    let a = addr(address);
    let mut m = Map::new();
    m.insert("address".into(), json!(a.instance));
    if !a.module.is_empty() {
        m.insert("module_address".into(), json!(a.module));
    }
    m.insert("mode".into(), json!(a.mode));
    m.insert("type".into(), json!(a.ty));
    m.insert("name".into(), json!(a.name));
    match &a.key {
        InstanceKey::None => {}
        InstanceKey::Int(i) => {
            m.insert("index".into(), json!(i));
        }
        InstanceKey::Str(s) => {
            m.insert("index".into(), json!(s));
        }
    }
    m.insert("provider_name".into(), json!(full_provider(provider)));
    if let Some(tag) = a.deposed {
        m.insert("deposed".into(), json!(tag));
    }
    m
}

/// A value as Terraform writes `values`/`before`/`after`: unknown attributes of objects left
/// out, unknown elements of sequences `null`; sensitive parts `null` (keyway's rule).
pub fn known_json(v: &Value) -> J {
    omit_unknowns(v).unwrap_or(J::Null)
}

fn omit_unknowns(v: &Value) -> Option<J> {
    Some(match v {
        Value::Unknown => return None,
        Value::Sensitive(_) => J::Null,
        Value::List(items) | Value::Set(items) => J::Array(
            items
                .iter()
                .map(|x| omit_unknowns(x).unwrap_or(J::Null))
                .collect(),
        ),
        Value::Object(m) => J::Object(
            m.iter()
                .filter_map(|(k, x)| omit_unknowns(x).map(|j| (k.clone(), j)))
                .collect(),
        ),
        other => other.to_json(),
    })
}

/// Terraform's `after_unknown` shape: `true` at unknown leaves, objects and arrays around
/// them, known leaves `false` (left out of objects).
pub fn unknown_as_bool(v: &Value) -> J {
    match v {
        Value::Unknown => J::Bool(true),
        Value::Sensitive(x) => unknown_as_bool(x),
        Value::List(items) | Value::Set(items) => {
            J::Array(items.iter().map(unknown_as_bool).collect())
        }
        Value::Object(m) => J::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), unknown_as_bool(x)))
                .filter(|(_, j)| *j != J::Bool(false))
                .collect(),
        ),
        _ => J::Bool(false),
    }
}

/// A resource's `after_unknown`: `{}` when the object is wholly known, as Terraform writes it.
pub fn resource_unknown(v: Option<&Value>) -> J {
    match v {
        Some(v) if v.has_unknown() => unknown_as_bool(v),
        _ => json!({}),
    }
}

/// Terraform's `*_sensitive` shape: `true` at sensitive parts, objects and arrays around
/// them, other leaves `false` (left out of objects).
pub fn sensitive_as_bool(v: &Value) -> J {
    match v {
        Value::Sensitive(_) => J::Bool(true),
        Value::List(items) | Value::Set(items) => {
            J::Array(items.iter().map(sensitive_as_bool).collect())
        }
        Value::Object(m) => J::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), sensitive_as_bool(x)))
                .filter(|(_, j)| *j != J::Bool(false))
                .collect(),
        ),
        _ => J::Bool(false),
    }
}

/// The type of a known value as Terraform's JSON writes a cty type. keyway does not keep
/// declared types, so sequences are tuples and mappings objects (a `tolist` result or a
/// `list(string)` variable is a `list` in Terraform).
pub fn type_json(v: &Value) -> J {
    match v {
        Value::Null | Value::Unknown => json!("dynamic"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Sensitive(x) => type_json(x),
        Value::List(items) => json!(["tuple", items.iter().map(type_json).collect::<Vec<_>>()]),
        Value::Set(items) => json!([
            "set",
            items.first().map_or_else(|| json!("dynamic"), type_json)
        ]),
        Value::Object(m) => json!([
            "object",
            m.iter()
                .map(|(k, x)| (k.clone(), type_json(x)))
                .collect::<Map<_, _>>()
        ]),
    }
}

/// One output in a values representation: `sensitive`, and `value` and `type` once known
/// (a sensitive output's `value` is `null`).
pub fn output_value(v: Option<&Value>, sensitive: bool) -> J {
    let mut o = json!({ "sensitive": sensitive });
    if let Some(v) = v.filter(|v| !v.has_unknown()) {
        o["type"] = type_json(v);
        o["value"] = if sensitive { J::Null } else { known_json(v) };
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn obj(items: &[(&str, Value)]) -> Value {
        Value::Object(
            items
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn shapes_follow_terraform() {
        let v = obj(&[
            ("id", Value::Unknown),
            ("tags", obj(&[("a", "x".into())])),
            ("list", Value::List(vec![Value::Unknown, 2.0.into()])),
            ("secret", Value::from("s").sensitive()),
        ]);
        assert_eq!(
            known_json(&v),
            json!({"tags": {"a": "x"}, "list": [null, 2], "secret": null})
        );
        assert_eq!(
            unknown_as_bool(&v),
            json!({"id": true, "tags": {}, "list": [true, false]})
        );
        assert_eq!(
            sensitive_as_bool(&v),
            json!({"tags": {}, "list": [false, false], "secret": true})
        );
        assert_eq!(
            resource_unknown(Some(&obj(&[("a", 1.0.into())]))),
            json!({})
        );
    }

    #[test]
    fn addresses_split() {
        let a = addr("data.http.x[\"k\"]");
        assert_eq!((a.mode, a.ty, a.name), ("data", "http", "x"));
        assert_eq!(a.key, InstanceKey::Str("k".into()));
        let d = addr("terraform_data.a[0] (deposed 2)");
        assert_eq!(
            (d.instance, d.deposed),
            ("terraform_data.a[0]", Some("deposed 2"))
        );
        assert_eq!(local_provider("google_project_service", None), "google");
        assert_eq!(local_provider("x", Some("google-beta.west")), "google-beta");
        assert_eq!(full_provider("terraform"), "terraform.io/builtin/terraform");
    }
}
