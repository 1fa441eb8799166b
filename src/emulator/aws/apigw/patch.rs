//! API Gateway v1's updates: `{"patchOperations": [{"op", "path", "value"}]}`, JSON-Patch-like
//! operations on the documented paths of each resource (`~1` is `/` inside a segment). Every
//! value arrives as a string and is converted to the member's type; an unknown path or an
//! unconvertible value is a 400, as API Gateway answers.

use serde_json::{json, Map, Value};

use super::super::wire::{AwsError, Req};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    Int,
    Num,
    /// `/{member}/{key}`: an entry of a map of strings.
    StrMap,
    /// `/{member}/{key}`: an entry of a map of booleans.
    BoolMap,
    /// `/{member}/{item}`: membership of a list of strings.
    StrSet,
}

/// One operation, its path split into decoded segments.
#[derive(Debug, Clone)]
pub struct Op {
    pub op: String,
    pub path: String,
    pub segs: Vec<String>,
    pub value: Option<String>,
}

/// The operations of a PATCH body.
pub fn ops(req: &Req) -> Result<Vec<Op>, AwsError> {
    let body = req.obj()?;
    let list = match body.get("patchOperations") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(AwsError::bad("patchOperations must be a list")),
    };
    let mut out = Vec::new();
    for o in list {
        let get = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        let op = get("op").unwrap_or_default();
        if !["add", "remove", "replace", "move", "copy", "test"].contains(&op.as_str()) {
            return Err(AwsError::bad(format!(
                "Invalid patch operation specified: {op:?}"
            )));
        }
        let path = get("path").unwrap_or_default();
        if !path.starts_with('/') {
            return Err(AwsError::bad(format!(
                "Invalid patch path {path:?}: it must start with '/'"
            )));
        }
        let segs = path[1..]
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        out.push(Op {
            op,
            path,
            segs,
            value: get("value"),
        });
    }
    Ok(out)
}

fn invalid_path(op: &Op, rules: &[(&str, Kind)]) -> AwsError {
    let allowed: Vec<String> = rules.iter().map(|(p, _)| format!("/{p}")).collect();
    AwsError::bad(format!(
        "Invalid patch path '{}' specified for op '{}'. Must be one of: [{}]",
        op.path,
        op.op,
        allowed.join(", ")
    ))
}

/// The value of `op` converted to `kind`'s scalar type.
pub fn typed(op: &Op, kind: Kind) -> Result<Value, AwsError> {
    let v = op.value.clone().ok_or_else(|| {
        AwsError::bad(format!(
            "A value is required for op '{}' on '{}'",
            op.op, op.path
        ))
    })?;
    let bad = || AwsError::bad(format!("Invalid value {v:?} for '{}'", op.path));
    Ok(match kind {
        Kind::Bool | Kind::BoolMap => match v.as_str() {
            "true" => json!(true),
            "false" => json!(false),
            _ => return Err(bad()),
        },
        Kind::Int => json!(v.parse::<i64>().map_err(|_| bad())?),
        Kind::Num => {
            let n = v.parse::<f64>().map_err(|_| bad())?;
            if !n.is_finite() {
                return Err(bad());
            }
            json!(n)
        }
        Kind::Str | Kind::StrMap | Kind::StrSet => json!(v),
    })
}

/// Applies `ops` to `target` under `rules` (patterns of member paths, `*` for a map key or
/// list item).
pub fn apply(
    target: &mut Map<String, Value>,
    ops: &[Op],
    rules: &[(&str, Kind)],
) -> Result<(), AwsError> {
    for op in ops {
        let rule = rules.iter().find(|(p, _)| {
            let pat: Vec<&str> = p.split('/').collect();
            pat.len() == op.segs.len() && pat.iter().zip(&op.segs).all(|(a, b)| *a == "*" || a == b)
        });
        let Some((_, kind)) = rule else {
            return Err(invalid_path(op, rules));
        };
        let kind = *kind;
        if !["add", "remove", "replace"].contains(&op.op.as_str()) {
            return Err(AwsError::bad(format!(
                "Invalid patch operation '{}' for '{}'",
                op.op, op.path
            )));
        }
        match kind {
            Kind::StrMap | Kind::BoolMap | Kind::StrSet => {
                let member = op.segs[0].clone();
                let key = op.segs[1].clone();
                if kind == Kind::StrSet {
                    let list = target.entry(member).or_insert_with(|| json!([]));
                    let items = list.as_array_mut().ok_or_else(|| invalid_path(op, rules))?;
                    items.retain(|i| i != &json!(key));
                    match op.op.as_str() {
                        "add" => items.push(json!(key)),
                        "replace" => items.push(typed(op, kind)?),
                        _ => {}
                    }
                    continue;
                }
                let map = target.entry(member).or_insert_with(|| json!({}));
                let map = map.as_object_mut().ok_or_else(|| invalid_path(op, rules))?;
                if op.op == "remove" {
                    map.remove(&key);
                } else {
                    map.insert(key, typed(op, kind)?);
                }
            }
            _ => {
                // A scalar at a nested path (`/throttle/rateLimit`): intermediate objects are
                // created on write and the member dropped on remove.
                let (last, parents) = op
                    .segs
                    .split_last()
                    .ok_or_else(|| invalid_path(op, rules))?;
                let mut at = &mut *target;
                for p in parents {
                    let next = at.entry(p.clone()).or_insert_with(|| json!({}));
                    if !next.is_object() {
                        *next = json!({});
                    }
                    at = next
                        .as_object_mut()
                        .ok_or_else(|| invalid_path(op, rules))?;
                }
                if op.op == "remove" {
                    at.remove(last);
                } else {
                    at.insert(last.clone(), typed(op, kind)?);
                }
            }
        }
    }
    Ok(())
}
