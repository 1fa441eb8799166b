//! API Gateway v1's updates: a list of JSON-patch operations (`{"op": "replace", "path":
//! "/description", "value": "..."}`) with every value a string, maps and string lists
//! changed key by key, single blocks field by field.

use serde_json::{json, Map, Value as Json};

use crate::providers::wire::{block_items, Level};
use crate::schema::Attribute;

type Obj = Map<String, Json>;

/// The operations turning `prior` into `planned`, for the changed top-level wire paths.
pub fn operations(level: Level<'_>, prior: &Obj, planned: &Obj, changed: &[String]) -> Json {
    let mut ops = Vec::new();
    for (name, a) in level.attributes {
        let Some(wire) = a.wire.as_ref().filter(|w| changed.contains(w)) else {
            continue;
        };
        attribute_ops(
            &mut ops,
            &pointer(wire),
            a,
            prior.get(name),
            planned.get(name),
        );
    }
    for (name, b) in level.blocks {
        let Some(wire) = b.wire.as_ref().filter(|w| changed.contains(w)) else {
            continue;
        };
        if b.max_items != Some(1) {
            list_block_ops(&mut ops, wire, b, prior.get(name), planned.get(name));
            continue;
        }
        let empty = Obj::new();
        let before = block_items(prior.get(name)).next().unwrap_or(&empty);
        let after = block_items(planned.get(name)).next().unwrap_or(&empty);
        for (field, fa) in &b.attributes {
            let Some(fw) = &fa.wire else { continue };
            let path = format!("{}/{}", pointer(wire), escape(fw));
            attribute_ops(&mut ops, &path, fa, before.get(field), after.get(field));
        }
    }
    Json::Object(Map::from_iter([(
        "patchOperations".to_owned(),
        Json::Array(ops),
    )]))
}

fn attribute_ops(
    ops: &mut Vec<Json>,
    path: &str,
    a: &Attribute,
    before: Option<&Json>,
    after: Option<&Json>,
) {
    let null = Json::Null;
    let (before, after) = (before.unwrap_or(&null), after.unwrap_or(&null));
    if before == after {
        return;
    }
    match a.ty.as_deref() {
        Some(t) if t.starts_with("map(") => {
            let (b, n) = (as_map(before), as_map(after));
            for (k, v) in &n {
                let op = if b.contains_key(k) { "replace" } else { "add" };
                if b.get(k) != Some(v) {
                    ops.push(json!({"op": op, "path": format!("{path}/{}", escape(k)), "value": text(v)}));
                }
            }
            for k in b.keys().filter(|k| !n.contains_key(*k)) {
                ops.push(json!({"op": "remove", "path": format!("{path}/{}", escape(k))}));
            }
        }
        Some(t) if t.starts_with("list(") || t.starts_with("set(") => {
            let (b, n) = (as_list(before), as_list(after));
            for v in n.iter().filter(|v| !b.contains(v)) {
                ops.push(json!({"op": "add", "path": format!("{path}/{}", escape(&text(v)))}));
            }
            for v in b.iter().filter(|v| !n.contains(v)) {
                ops.push(json!({"op": "remove", "path": format!("{path}/{}", escape(&text(v)))}));
            }
        }
        _ if after.is_null() => ops.push(json!({"op": "remove", "path": path})),
        _ => ops.push(json!({"op": "replace", "path": path, "value": text(after)})),
    }
}

/// A list of blocks is changed item by item, each named by its fields' values joined with
/// `:` (a usage plan's `apiStages`: `{"op": "add", "path": "/apiStages", "value":
/// "abc123:prod"}`).
fn list_block_ops(
    ops: &mut Vec<Json>,
    wire: &str,
    b: &crate::schema::BlockSchema,
    before: Option<&Json>,
    after: Option<&Json>,
) {
    let name = |item: &Obj| -> String {
        b.attributes
            .iter()
            .filter(|(_, a)| a.wire.is_some())
            .filter_map(|(field, _)| item.get(field).map(text))
            .collect::<Vec<_>>()
            .join(":")
    };
    let old: Vec<String> = block_items(before).map(name).collect();
    let new: Vec<String> = block_items(after).map(name).collect();
    for v in old.iter().filter(|v| !new.contains(v)) {
        ops.push(json!({"op": "remove", "path": pointer(wire), "value": v}));
    }
    for v in new.iter().filter(|v| !old.contains(v)) {
        ops.push(json!({"op": "add", "path": pointer(wire), "value": v}));
    }
}

fn as_map(v: &Json) -> Obj {
    v.as_object().cloned().unwrap_or_default()
}

fn as_list(v: &Json) -> Vec<Json> {
    v.as_array().cloned().unwrap_or_default()
}

/// Patch values are strings: `"true"`, `"5"`.
fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A dotted wire path as a JSON pointer.
fn pointer(wire: &str) -> String {
    wire.split('.').map(|s| format!("/{}", escape(s))).collect()
}

/// JSON-pointer escaping (`application/json` → `application~1json`).
pub fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn scalars_maps_lists_and_single_blocks() {
        let attr = |ty: &str, wire: &str| Attribute {
            optional: true,
            ty: Some(ty.to_owned()),
            wire: Some(wire.to_owned()),
            ..Default::default()
        };
        let attributes = BTreeMap::from([
            ("description".to_owned(), attr("string", "description")),
            ("variables".to_owned(), attr("map(string)", "variables")),
            (
                "binary_media_types".to_owned(),
                attr("list(string)", "binaryMediaTypes"),
            ),
        ]);
        let mut throttle = crate::schema::BlockSchema {
            max_items: Some(1),
            wire: Some("throttle".to_owned()),
            ..Default::default()
        };
        throttle
            .attributes
            .insert("rate_limit".to_owned(), attr("number", "rateLimit"));
        let blocks = BTreeMap::from([("throttle_settings".to_owned(), throttle)]);
        let level = Level {
            attributes: &attributes,
            blocks: &blocks,
        };
        let prior = json!({"description": "a", "variables": {"x": "1", "y": "2"},
            "binary_media_types": ["image/png"], "throttle_settings": [{"rate_limit": 5}]});
        let planned = json!({"description": "b", "variables": {"x": "1", "z": "3"},
            "binary_media_types": ["*/*"], "throttle_settings": [{"rate_limit": 10}]});
        let changed: Vec<String> = ["description", "variables", "binaryMediaTypes", "throttle"]
            .map(String::from)
            .to_vec();
        let ops = operations(
            level,
            prior.as_object().expect("object"),
            planned.as_object().expect("object"),
            &changed,
        );
        assert_eq!(
            ops["patchOperations"],
            json!([
                {"op": "add", "path": "/binaryMediaTypes/*~1*"},
                {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
                {"op": "replace", "path": "/description", "value": "b"},
                {"op": "add", "path": "/variables/z", "value": "3"},
                {"op": "remove", "path": "/variables/y"},
                {"op": "replace", "path": "/throttle/rateLimit", "value": "10"}
            ])
        );
    }
}
