//! Request-body checking: the proto3 JSON rules Google front ends apply on input. Unknown field
//! names are rejected with "Invalid JSON payload received. Unknown name ...", snake_case names
//! are accepted and rewritten to camelCase, and enums given as integers (the Python clients send
//! `$alt=json;enum-encoding=int`) are rewritten to their names.

use serde_json::{Map, Value};

use super::errors::ApiError;

/// The shape of one field's value.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str,
    /// int32/double: a JSON number (or a numeric string, which proto3 JSON also accepts).
    Num,
    /// int64: emitted as a string; numbers and strings both accepted on input.
    Int64,
    Bool,
    /// Base64 bytes.
    Bytes,
    Enum(&'static [(&'static str, i64)]),
    Obj(&'static [Field]),
    /// map<string, string>
    StrMap,
    List(&'static Ty),
    /// A message this emulator does not model field by field; accepted as given.
    Any,
}

#[derive(Debug, Clone, Copy)]
pub struct Field(pub &'static str, pub Ty);

pub const STRS: Ty = Ty::List(&Ty::Str);

fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Turns a field-mask path (`display_name`, `scaling.min_instance_count`) into camelCase.
pub fn camel_path(path: &str) -> String {
    path.split('.').map(camel).collect::<Vec<_>>().join(".")
}

fn unknown(name: &str, at: &str) -> ApiError {
    let msg = if at.is_empty() {
        format!("Invalid JSON payload received. Unknown name \"{name}\": Cannot find field.")
    } else {
        format!(
            "Invalid JSON payload received. Unknown name \"{name}\" at '{at}': Cannot find field."
        )
    };
    ApiError::field(at, msg)
}

fn bad_value(at: &str, what: &str, v: &Value) -> ApiError {
    ApiError::field(at, format!("Invalid value at '{at}' ({what}), {v}"))
}

/// Checks `v` against the message `fields`, returning the normalised value. `at` is the
/// request-relative path used in error messages (e.g. `key.restrictions`).
pub fn check(fields: &'static [Field], v: &Value, at: &str) -> Result<Value, ApiError> {
    check_ty(&Ty::Obj(fields), v, at)
}

fn check_ty(ty: &Ty, v: &Value, at: &str) -> Result<Value, ApiError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Ty::Any => Ok(v.clone()),
        Ty::Str => match v {
            Value::String(_) => Ok(v.clone()),
            _ => Err(bad_value(at, "TYPE_STRING", v)),
        },
        Ty::Bytes => match v {
            Value::String(s) => {
                use base64::Engine;
                let e = base64::engine::general_purpose::STANDARD;
                let u = base64::engine::general_purpose::URL_SAFE;
                if e.decode(s).is_ok() || u.decode(s).is_ok() {
                    Ok(v.clone())
                } else {
                    Err(bad_value(at, "TYPE_BYTES", v))
                }
            }
            _ => Err(bad_value(at, "TYPE_BYTES", v)),
        },
        Ty::Num => match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) => s
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(|n| {
                    if s.parse::<i64>().is_ok() {
                        Value::from(s.parse::<i64>().unwrap_or_default())
                    } else {
                        Value::Number(n)
                    }
                })
                .ok_or_else(|| bad_value(at, "TYPE_INT32", v)),
            _ => Err(bad_value(at, "TYPE_INT32", v)),
        },
        Ty::Int64 => match v {
            Value::Number(n) if n.is_i64() => Ok(Value::String(n.to_string())),
            Value::String(s) if s.parse::<i64>().is_ok() => Ok(v.clone()),
            _ => Err(bad_value(at, "TYPE_INT64", v)),
        },
        Ty::Bool => match v {
            Value::Bool(_) => Ok(v.clone()),
            _ => Err(bad_value(at, "TYPE_BOOL", v)),
        },
        Ty::Enum(values) => match v {
            Value::String(s) if values.iter().any(|(n, _)| n == s) => Ok(v.clone()),
            Value::Number(n) => n
                .as_i64()
                .and_then(|i| values.iter().find(|(_, num)| *num == i))
                .map(|(name, _)| Value::String((*name).to_string()))
                .ok_or_else(|| bad_value(at, "TYPE_ENUM", v)),
            _ => Err(bad_value(at, "TYPE_ENUM", v)),
        },
        Ty::StrMap => match v {
            Value::Object(m) => {
                for (k, val) in m {
                    if !val.is_string() {
                        return Err(bad_value(&format!("{at}[{k}]"), "TYPE_STRING", val));
                    }
                }
                Ok(v.clone())
            }
            _ => Err(bad_value(at, "TYPE_MESSAGE", v)),
        },
        Ty::List(inner) => match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| check_ty(inner, item, &format!("{at}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Err(bad_value(at, "TYPE_MESSAGE", v)),
        },
        Ty::Obj(fields) => {
            let Value::Object(m) = v else {
                return Err(bad_value(at, "TYPE_MESSAGE", v));
            };
            let mut out = Map::new();
            for (k, val) in m {
                let name = camel(k);
                let Some(f) = fields.iter().find(|f| f.0 == name) else {
                    return Err(unknown(k, at));
                };
                let sub = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                let checked = check_ty(&f.1, val, &sub)?;
                if !checked.is_null() {
                    out.insert(name, checked);
                }
            }
            Ok(Value::Object(out))
        }
    }
}

/// Drops proto3 default values (empty strings/lists/maps, false, 0) so stored resources emit
/// only what is set, as Google's JSON does.
pub fn prune(v: &mut Value) {
    if let Value::Object(m) = v {
        for val in m.values_mut() {
            prune(val);
        }
        m.retain(|_, val| !is_default(val));
    } else if let Value::Array(items) = v {
        for item in items.iter_mut() {
            prune(item);
        }
    }
}

fn is_default(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(a) => a.is_empty(),
        // An empty message can be meaningful (`emptyDir: {}` selects a volume kind), so only
        // scalars and lists are dropped.
        Value::Object(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INNER: &[Field] = &[
        Field("count", Ty::Int64),
        Field("kind", Ty::Enum(&[("K_UNSPECIFIED", 0), ("A", 1)])),
    ];
    const OUTER: &[Field] = &[
        Field("displayName", Ty::Str),
        Field("inner", Ty::Obj(INNER)),
    ];

    #[test]
    fn normalises_snake_case_int_enums_and_int64() {
        let got = check(
            OUTER,
            &json!({"display_name": "x", "inner": {"count": 5, "kind": 1}}),
            "",
        )
        .expect("valid");
        assert_eq!(
            got,
            json!({"displayName": "x", "inner": {"count": "5", "kind": "A"}})
        );
    }

    #[test]
    fn rejects_unknown_fields_with_googles_message() {
        let err = check(OUTER, &json!({"inner": {"nope": 1}}), "req").expect_err("unknown");
        assert_eq!(err.message, "Invalid JSON payload received. Unknown name \"nope\" at 'req.inner': Cannot find field.");
        assert_eq!(err.status, "INVALID_ARGUMENT");
        assert!(check(OUTER, &json!({"inner": {"kind": 9}}), "").is_err());
        assert!(check(OUTER, &json!({"displayName": 3}), "").is_err());
    }
}
