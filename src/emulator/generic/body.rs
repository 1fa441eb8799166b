//! Request bodies checked against a discovery schema as Google's JSON parser checks them
//! (unknown fields, wrong JSON types, values outside an enum), output-only fields dropped from
//! what a client sent, and answers limited to the schema's fields.

use serde_json::{Map, Value};

use super::doc::Doc;
use crate::emulator::errors::{ApiError, ApiResult};

/// True for a field the server fills (`readOnly`, or documented "Output only").
pub fn output_only(prop: &Value) -> bool {
    prop["readOnly"].as_bool().unwrap_or(false)
        || prop["description"]
            .as_str()
            .is_some_and(|d| d.trim_start().starts_with("Output only"))
}

/// The request's top-level name in Google's messages: `Secret` → `secret`.
pub fn field_name(schema_id: &str) -> String {
    let mut c = schema_id.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Checks `v` against `schema` and returns it without output-only fields.
pub fn check(doc: &Doc, schema: &Value, v: &Value, at: &str) -> ApiResult<Value> {
    let Some(obj) = v.as_object() else {
        return Err(invalid(at, v, schema["id"].as_str().unwrap_or("object")));
    };
    let props = &schema["properties"];
    let mut out = Map::new();
    for (k, val) in obj {
        let Some(prop) = props.get(k) else {
            return Err(ApiError::invalid(format!(
                "Invalid JSON payload received. Unknown name \"{k}\" at '{at}': Cannot find field."
            )));
        };
        if output_only(prop) {
            continue;
        }
        let at = format!("{at}.{k}");
        out.insert(k.clone(), check_value(doc, prop, val, &at)?);
    }
    Ok(Value::Object(out))
}

fn check_value(doc: &Doc, prop: &Value, v: &Value, at: &str) -> ApiResult<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    if let Some(r) = prop["$ref"].as_str() {
        return check(doc, &doc.schemas[r], v, at);
    }
    let ty = prop["type"].as_str().unwrap_or("any");
    let ok = match ty {
        "string" => match v {
            Value::String(s) => enum_ok(prop, s),
            // Google's parser takes numbers for int64/uint64 fields, which are strings in JSON.
            Value::Number(_) => matches!(prop["format"].as_str(), Some("int64" | "uint64")),
            _ => false,
        },
        "integer" => {
            v.is_i64() || v.is_u64() || v.as_str().is_some_and(|s| s.parse::<i64>().is_ok())
        }
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => {
            let Some(items) = v.as_array() else {
                return Err(invalid(at, v, "array"));
            };
            let checked = items
                .iter()
                .enumerate()
                .map(|(i, item)| check_value(doc, &prop["items"], item, &format!("{at}[{i}]")))
                .collect::<ApiResult<Vec<_>>>()?;
            return Ok(Value::Array(checked));
        }
        "object" => {
            let Some(m) = v.as_object() else {
                return Err(invalid(at, v, "object"));
            };
            if prop.get("additionalProperties").is_some() {
                let mut out = Map::new();
                for (k, val) in m {
                    let inner = format!("{at}[{k}]");
                    out.insert(
                        k.clone(),
                        check_value(doc, &prop["additionalProperties"], val, &inner)?,
                    );
                }
                return Ok(Value::Object(out));
            }
            return check(doc, prop, v, at);
        }
        _ => true,
    };
    if ok {
        Ok(v.clone())
    } else {
        Err(invalid(at, v, ty))
    }
}

fn enum_ok(prop: &Value, s: &str) -> bool {
    match prop["enum"].as_array() {
        Some(values) => values.iter().any(|e| e.as_str() == Some(s)),
        None => true,
    }
}

fn invalid(at: &str, v: &Value, ty: &str) -> ApiError {
    ApiError::field(at, format!("Invalid value at '{at}' ({ty}), {v}"))
}

/// `v` with only the fields `schema` declares (the store keeps a few of its own, such as a
/// secret version's payload, which reads never return).
pub fn visible(schema: &Value, v: &Value) -> Value {
    match (v, schema["properties"].as_object()) {
        (Value::Object(m), Some(props)) => Value::Object(
            m.iter()
                .filter(|(k, _)| props.contains_key(*k))
                .map(|(k, val)| (k.clone(), val.clone()))
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// Sets or removes the field at a dotted camelCase path.
pub fn set_path(obj: &mut Map<String, Value>, path: &str, v: Option<Value>) {
    match path.split_once('.') {
        None => match v {
            Some(v) => {
                obj.insert(path.to_owned(), v);
            }
            None => {
                obj.remove(path);
            }
        },
        Some((head, rest)) => {
            let slot = obj
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = slot {
                set_path(m, rest, v);
            }
        }
    }
}

/// The field at a dotted path.
pub fn get_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(obj, |cur, p| cur.get(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret_doc() -> &'static Doc {
        super::super::doc::methods()
            .iter()
            .find(|m| m.id == "secretmanager.projects.secrets.create")
            .expect("method")
            .doc
    }

    #[test]
    fn bodies_are_checked_as_google_parses_them() {
        let doc = secret_doc();
        let secret = &doc.schemas["Secret"];
        let ok = check(
            doc,
            secret,
            &json!({"replication": {"automatic": {}}, "createTime": "x"}),
            "secret",
        );
        assert_eq!(
            ok.ok(),
            Some(json!({"replication": {"automatic": {}}})),
            "output-only dropped"
        );
        let unknown = check(doc, secret, &json!({"replicaton": {}}), "secret");
        assert!(unknown.err().is_some_and(|e| e
            .message
            .contains("Unknown name \"replicaton\" at 'secret'")));
        let wrong = check(doc, secret, &json!({"labels": {"a": 1}}), "secret");
        assert!(wrong.is_err());
    }
}
