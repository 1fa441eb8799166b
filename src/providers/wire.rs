//! A schema-bound type's attributes ↔ the API's JSON, from the schema alone: `wire` paths,
//! value types (int64 as decimal strings, JSON-string arguments, base64 payloads) and nested
//! blocks as objects or arrays.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use crate::schema::{Attribute, BlockSchema};

/// The attributes and blocks of one level of a schema.
#[derive(Clone, Copy)]
pub struct Level<'a> {
    pub attributes: &'a BTreeMap<String, Attribute>,
    pub blocks: &'a BTreeMap<String, BlockSchema>,
}

impl<'a> Level<'a> {
    fn of(b: &'a BlockSchema) -> Level<'a> {
        Level {
            attributes: &b.attributes,
            blocks: &b.blocks,
        }
    }
}

/// The request body for `obj`: every argument the configuration sets, at its wire path.
pub fn to_wire(level: Level<'_>, obj: &Map<String, Json>) -> Map<String, Json> {
    let mut out = Map::new();
    // Blocks first: an attribute may sit inside a block's object (Knative's `metadata.name`
    // beside the `metadata` block), and setting it afterwards keeps the block's fields.
    for (name, b) in level.blocks {
        let Some(path) = &b.wire else { continue };
        if !settable(b) {
            // What the server reports (Knative's `status`) is never sent back.
            continue;
        }
        if let Some(key) = &b.wire_key {
            let keyed = keyed_to_wire(b, key, obj.get(name));
            if !keyed.is_empty() {
                set_path(&mut out, path, Json::Object(keyed));
            }
            continue;
        }
        let items: Vec<Json> = block_items(obj.get(name))
            .map(|item| Json::Object(to_wire(Level::of(b), item)))
            .collect();
        if items.is_empty() {
            continue;
        }
        let v = if b.max_items == Some(1) {
            items.into_iter().next().unwrap_or_default()
        } else {
            Json::Array(items)
        };
        set_path(&mut out, path, v);
    }
    for (name, a) in level.attributes {
        let Some(path) = &a.wire else { continue };
        if !(a.required || a.optional) {
            continue;
        }
        match obj.get(name) {
            None | Some(Json::Null) => {}
            Some(v) => set_path(&mut out, path, encode(a, v)),
        }
    }
    out
}

/// Blocks sent as one object keyed by an attribute of each (`route_settings` by `route_key`).
fn keyed_to_wire(b: &BlockSchema, key: &str, blocks: Option<&Json>) -> Map<String, Json> {
    block_items(blocks)
        .filter_map(|item| {
            let k = item.get(key)?.as_str()?.to_owned();
            let mut body = to_wire(Level::of(b), item);
            if let Some(wire) = b.attributes.get(key).and_then(|a| a.wire.as_ref()) {
                body.remove(wire);
            }
            Some((k, Json::Object(body)))
        })
        .collect()
}

/// The blocks of a keyed wire object, in key order, each with its key attribute set.
fn keyed_from_wire(b: &BlockSchema, key: &str, json: &Map<String, Json>) -> Json {
    let items = json
        .iter()
        .map(|(k, v)| {
            let mut item = match nested(b, v, None) {
                Json::Object(m) => m,
                _ => Map::new(),
            };
            item.insert(key.to_owned(), Json::String(k.clone()));
            Json::Object(item)
        })
        .collect();
    Json::Array(items)
}

/// True if a block holds anything a client sets (an argument, here or below), or is an empty
/// marker block (`auto {}`); false for what only the server reports.
fn settable(b: &BlockSchema) -> bool {
    (b.attributes.is_empty() && b.blocks.is_empty())
        || b.attributes.values().any(|a| a.required || a.optional)
        || b.blocks.values().any(settable)
}

/// The wire paths of the top-level arguments and blocks that differ between `prior` and
/// `planned`: an update's field mask.
pub fn changed_paths(
    level: Level<'_>,
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Vec<String> {
    // An unset argument and the API's empty value are the same, as the planner's diff holds.
    let differs = |name: &str| {
        let null = Json::Null;
        let (p, q) = (
            prior.get(name).unwrap_or(&null),
            planned.get(name).unwrap_or(&null),
        );
        p != q && !(q.is_null() && is_zero(p))
    };
    let attrs = level
        .attributes
        .iter()
        .filter(|(_, a)| a.required || a.optional)
        .filter_map(|(n, a)| a.wire.as_ref().filter(|_| differs(n)));
    let blocks = level
        .blocks
        .iter()
        .filter_map(|(n, b)| b.wire.as_ref().filter(|_| differs(n)));
    let mut out: Vec<String> = attrs.chain(blocks).cloned().collect();
    out.sort();
    out.dedup();
    out
}

/// The attributes of an object the API returned, with `base` (the configuration or prior
/// state) supplying what the API does not hold or leaves out.
pub fn from_wire(
    level: Level<'_>,
    json: &Map<String, Json>,
    base: &Map<String, Json>,
) -> Map<String, Json> {
    let mut out = Map::new();
    for (name, a) in level.attributes {
        let kept = base.get(name).cloned().unwrap_or(Json::Null);
        let v = match &a.wire {
            None => kept,
            Some(_) if a.write_only => kept,
            Some(path) => match get_path(json, path) {
                Some(v) if !v.is_null() => decode(name, a, v, &kept),
                _ if a.create_only => kept,
                // proto3 JSON leaves empty values out: an unset argument stays as configured.
                _ if is_zero(&kept) => kept,
                _ => Json::Null,
            },
        };
        out.insert(name.clone(), v);
    }
    for (name, b) in level.blocks {
        let bases: Vec<&Map<String, Json>> = block_items(base.get(name)).collect();
        let v = match b.wire.as_ref().and_then(|p| get_path(json, p)) {
            None if b.wire.is_none() => base.get(name).cloned().unwrap_or(Json::Array(vec![])),
            None | Some(Json::Null) => Json::Array(vec![]),
            Some(Json::Object(keyed)) if b.wire_key.is_some() => {
                keyed_from_wire(b, b.wire_key.as_deref().unwrap_or_default(), keyed)
            }
            Some(Json::Array(items)) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| nested(b, it, bases.get(i).copied()))
                    .collect(),
            ),
            Some(single) => Json::Array(vec![nested(b, single, bases.first().copied())]),
        };
        out.insert(name.clone(), v);
    }
    out
}

fn nested(b: &BlockSchema, json: &Json, base: Option<&Map<String, Json>>) -> Json {
    let empty = Map::new();
    let obj = json.as_object().unwrap_or(&empty);
    Json::Object(from_wire(Level::of(b), obj, base.unwrap_or(&empty)))
}

/// The objects of a block value (a list of objects; anything else is no blocks).
pub fn block_items(v: Option<&Json>) -> impl Iterator<Item = &Map<String, Json>> {
    let items = match v {
        Some(Json::Array(items)) => items.as_slice(),
        _ => &[],
    };
    items.iter().filter_map(Json::as_object)
}

fn encode(a: &Attribute, v: &Json) -> Json {
    match (a.ty.as_deref(), v) {
        (Some("int64"), Json::Number(n)) => {
            Json::String(n.as_i64().map_or_else(|| n.to_string(), |i| i.to_string()))
        }
        (Some("json_string"), Json::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| v.clone())
        }
        (_, Json::String(s)) if a.encoding.as_deref() == Some("base64") => {
            Json::String(base64::engine::general_purpose::STANDARD.encode(s))
        }
        _ => v.clone(),
    }
}

fn decode(name: &str, a: &Attribute, v: &Json, kept: &Json) -> Json {
    match (a.ty.as_deref(), v) {
        // A number answered as a string (moto echoes API Gateway's string-valued patch
        // operations back as strings) is still the number.
        (Some("integer" | "number"), Json::String(s)) => s
            .parse::<i64>()
            .map(Json::from)
            .ok()
            .or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Json::Number))
            })
            .unwrap_or_else(|| v.clone()),
        (Some("int64"), Json::String(s)) => s
            .parse::<i64>()
            .map(Json::from)
            .unwrap_or_else(|_| v.clone()),
        (Some("json_string"), _) if !v.is_string() => {
            // The configuration's spelling is kept when it means the same JSON.
            let same = kept
                .as_str()
                .and_then(|k| serde_json::from_str::<Json>(k).ok())
                .is_some_and(|k| &k == v);
            if same {
                kept.clone()
            } else {
                Json::String(serde_json::to_string(v).unwrap_or_default())
            }
        }
        (_, Json::String(s)) if a.encoding.as_deref() == Some("base64") => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(s);
            match bytes.ok().and_then(|b| String::from_utf8(b).ok()) {
                Some(text) => Json::String(text),
                None => v.clone(),
            }
        }
        // A full name read back for an argument given short (`topic = "t"`) keeps its form.
        (_, Json::String(full))
            if a.expand.is_some()
                && kept
                    .as_str()
                    .is_some_and(|k| !k.contains('/') && full.ends_with(&format!("/{k}"))) =>
        {
            kept.clone()
        }
        // (A data source's labels are not arguments: they show everything.)
        (_, Json::Object(m)) if user_map(name) && (a.optional || a.required) => match kept {
            // Google adds its own labels; the argument shows the configured ones (all of them
            // in `effective_labels`), as Terraform's provider does.
            Json::Object(k) => Json::Object(
                m.iter()
                    .filter(|(key, _)| k.contains_key(*key))
                    .map(|(key, val)| (key.clone(), val.clone()))
                    .collect(),
            ),
            _ => Json::Null,
        },
        _ => v.clone(),
    }
}

/// Maps the cloud adds to: Google's labels and annotations, AWS's tags (the provider's
/// `default_tags` are in `tags_all`, not in `tags`).
fn user_map(name: &str) -> bool {
    matches!(name, "labels" | "annotations" | "tags")
}

/// `null`, `""`, `false`, `0`, `[]`, `{}`.
fn is_zero(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::Array(x) => x.is_empty(),
        Json::Object(m) => m.is_empty(),
    }
}

/// The value at a dotted path. A segment may pick one element of an array: `items[0]` (by
/// position) or `items[type=PRIMARY]` (the first whose field holds that string), for
/// attributes Terraform derives from a list (an instance's `public_ip_address`).
pub fn get_path<'a>(json: &'a Map<String, Json>, path: &str) -> Option<&'a Json> {
    let mut cur: Option<&Json> = None;
    for part in path.split('.') {
        let (field, pick) = match part.split_once('[') {
            Some((f, rest)) => (f, Some(rest.strip_suffix(']')?)),
            None => (part, None),
        };
        let obj = match cur {
            None => json,
            Some(v) => v.as_object()?,
        };
        let mut v = obj.get(field)?;
        if let Some(pick) = pick {
            v = pick_item(v.as_array()?, pick)?;
        }
        cur = Some(v);
    }
    cur
}

fn pick_item<'a>(items: &'a [Json], pick: &str) -> Option<&'a Json> {
    match pick.split_once('=') {
        Some((k, want)) => items
            .iter()
            .find(|it| it.get(k).and_then(Json::as_str) == Some(want)),
        None => items.get(pick.parse::<usize>().ok()?),
    }
}

/// Sets the value at a dotted path, creating objects on the way.
pub fn set_path(json: &mut Map<String, Json>, path: &str, v: Json) {
    match path.split_once('.') {
        None => {
            json.insert(path.to_owned(), v);
        }
        Some((head, rest)) => {
            let slot = json
                .entry(head.to_owned())
                .or_insert_with(|| Json::Object(Map::new()));
            if !slot.is_object() {
                *slot = Json::Object(Map::new());
            }
            if let Json::Object(m) = slot {
                set_path(m, rest, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> crate::schema::ResourceSchema {
        serde_json::from_value(json!({
            "type": "t", "provider": "google",
            "attributes": {
                "size": {"optional": true, "type": "int64", "wire": "sizeBytes"},
                "data": {"optional": true, "type": "string", "wire": "payload.data", "encoding": "base64"},
                "policy": {"optional": true, "type": "json_string", "wire": "policy"},
                "labels": {"optional": true, "type": "map(string)", "wire": "labels"},
                "project": {"optional": true, "computed": true, "type": "string"},
                "uid": {"computed": true, "type": "string", "wire": "uid"},
                "note": {"optional": true, "type": "string", "wire": "note"}
            },
            "blocks": {
                "auto": {"max_items": 1, "wire": "replication.automatic"},
                "replicas": {"wire": "replicas", "attributes": {"location": {"required": true, "type": "string", "wire": "location"}}}
            }
        }))
        .expect("test schema")
    }

    fn level(s: &crate::schema::ResourceSchema) -> Level<'_> {
        Level {
            attributes: &s.attributes,
            blocks: &s.blocks,
        }
    }

    #[test]
    fn bodies_carry_arguments_at_their_wire_paths() {
        let s = schema();
        let obj = json!({
            "size": 5, "data": "hi", "policy": "{\"a\": 1}", "project": "p", "uid": "u",
            "auto": [{}], "replicas": [{"location": "x"}, {"location": "y"}]
        });
        let body = to_wire(level(&s), obj.as_object().expect("object"));
        assert_eq!(
            Json::Object(body),
            json!({
                "sizeBytes": "5", "payload": {"data": "aGk="}, "policy": {"a": 1},
                "replication": {"automatic": {}},
                "replicas": [{"location": "x"}, {"location": "y"}]
            })
        );
    }

    #[test]
    fn answers_become_attributes_keeping_what_the_api_does_not_hold() {
        let s = schema();
        let answer = json!({
            "sizeBytes": "5", "payload": {"data": "aGk="}, "policy": {"a": 1}, "uid": "u",
            "labels": {"team": "x", "goog-managed": "y"},
            "replication": {"automatic": {}}, "replicas": [{"location": "x"}]
        });
        let base =
            json!({"project": "p", "policy": "{\"a\": 1}", "labels": {"team": "x"}, "note": ""});
        let got = from_wire(
            level(&s),
            answer.as_object().expect("o"),
            base.as_object().expect("o"),
        );
        assert_eq!(got["size"], json!(5));
        assert_eq!(got["data"], json!("hi"));
        assert_eq!(
            got["policy"],
            json!("{\"a\": 1}"),
            "same JSON keeps the configured text"
        );
        assert_eq!(got["labels"], json!({"team": "x"}));
        assert_eq!(got["project"], json!("p"));
        assert_eq!(
            got["note"],
            json!(""),
            "an empty field left out stays as configured"
        );
        assert_eq!(got["auto"], json!([{}]));
        assert_eq!(got["replicas"], json!([{"location": "x"}]));
    }

    #[test]
    fn paths_pick_array_elements_by_position_or_field() {
        let j = json!({"ips": [{"type": "OUTGOING", "ip": "1"}, {"type": "PRIMARY", "ip": "2"}]});
        let j = j.as_object().expect("o");
        assert_eq!(get_path(j, "ips[0].ip"), Some(&json!("1")));
        assert_eq!(get_path(j, "ips[type=PRIMARY].ip"), Some(&json!("2")));
        assert_eq!(get_path(j, "ips[type=PRIVATE].ip"), None);
        assert_eq!(get_path(j, "ips[7].ip"), None);
        assert_eq!(get_path(j, "ips[x"), None, "a malformed pick finds nothing");
    }

    #[test]
    fn masks_name_the_changed_fields() {
        let s = schema();
        let prior = json!({"size": 1, "note": "a", "uid": "u1", "auto": [{}]});
        let planned = json!({"size": 2, "note": "a", "uid": "u2", "auto": []});
        let got = changed_paths(
            level(&s),
            prior.as_object().expect("o"),
            planned.as_object().expect("o"),
        );
        assert_eq!(
            got,
            vec!["replication.automatic".to_owned(), "sizeBytes".to_owned()]
        );
    }
}
