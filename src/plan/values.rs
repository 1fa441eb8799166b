//! Conversions between state's JSON objects (with sensitive paths) and marked [`Value`]s.

use crate::lang::Value;
use crate::schema::ResourceSchema;
use crate::state::ResourceInstance;

/// The instance's object, with its sensitive paths marked again.
pub fn from_state(inst: &ResourceInstance) -> Value {
    let mut v = Value::from_json(&inst.attributes);
    for path in &inst.sensitive_paths {
        mark_path(&mut v, path);
    }
    v
}

fn mark_path(v: &mut Value, pointer: &str) {
    let mut cur = v;
    for step in pointer.split('/').skip(1) {
        let step = step.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Value::Object(m) => match m.get_mut(&step) {
                Some(x) => x,
                None => return,
            },
            Value::List(items) => match step.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    let taken = std::mem::take(cur);
    *cur = taken.sensitive();
}

/// JSON pointers of every sensitive part of `v`, sorted.
pub fn sensitive_paths(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(v, &mut String::new(), &mut out);
    out.sort();
    out
}

fn walk(v: &Value, path: &mut String, out: &mut Vec<String>) {
    match v {
        Value::Sensitive(_) => out.push(path.clone()),
        Value::List(items) | Value::Set(items) => {
            for (i, x) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                walk(x, path, out);
                path.truncate(len);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let len = path.len();
                path.push('/');
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                walk(x, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Marks a data source's result: the configuration's sensitive paths again, every echoed copy
/// of a configured secret, the schema's sensitive attributes, and the attributes whose
/// `sensitive_with` arguments carry a mark (a response may echo what the request sent).
pub fn mark_read(schema: &ResourceSchema, config: &Value, result: Value) -> Value {
    let mut v = result;
    for path in sensitive_paths(config) {
        mark_path(&mut v, &path);
    }
    let mut secrets = Vec::new();
    secret_leaves(config, false, &mut secrets);
    let v = crate::plan::diff::mark(schema, mark_copies(v, &secrets));
    let Value::Object(mut m) = v else { return v };
    for (name, a) in &schema.attributes {
        let tainted = a.sensitive_with.iter().any(|arg| match config {
            Value::Object(c) => c.get(arg).is_some_and(Value::has_sensitive),
            _ => false,
        });
        if tainted {
            if let Some(x) = m.remove(name) {
                let x = if x.is_null() || matches!(x, Value::Sensitive(_)) {
                    x
                } else {
                    x.sensitive()
                };
                m.insert(name.clone(), x);
            }
        }
    }
    Value::Object(m)
}

/// Scalar values under a sensitive mark.
pub fn secret_leaves(v: &Value, under: bool, out: &mut Vec<Value>) {
    match v {
        Value::Sensitive(x) => secret_leaves(x, true, out),
        Value::List(items) | Value::Set(items) => {
            items.iter().for_each(|x| secret_leaves(x, under, out))
        }
        Value::Object(m) => m.values().for_each(|x| secret_leaves(x, under, out)),
        Value::String(_) | Value::Number(_) | Value::Bool(_) if under => out.push(v.clone()),
        _ => {}
    }
}

/// Marks every copy of a secret the provider echoed back (such as `terraform_data.output`
/// mirroring a sensitive `input`), so that it cannot leak through a computed attribute.
pub fn mark_copies(v: Value, secrets: &[Value]) -> Value {
    if secrets.is_empty() {
        return v;
    }
    match v {
        Value::Sensitive(_) => v,
        Value::List(items) => {
            Value::List(items.into_iter().map(|x| mark_copies(x, secrets)).collect())
        }
        Value::Set(items) => {
            Value::Set(items.into_iter().map(|x| mark_copies(x, secrets)).collect())
        }
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| (k, mark_copies(x, secrets)))
                .collect(),
        ),
        scalar if secrets.contains(&scalar) => scalar.sensitive(),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_paths_round_trip() {
        let mut m = std::collections::BTreeMap::new();
        m.insert("a/b".to_owned(), Value::string("s").sensitive());
        m.insert(
            "plain".to_owned(),
            Value::List(vec![Value::Null, Value::number(1.0).sensitive()]),
        );
        let v = Value::Object(m);
        let paths = sensitive_paths(&v);
        assert_eq!(paths, ["/a~1b", "/plain/1"]);
        let inst = ResourceInstance {
            attributes: v.to_json(),
            sensitive_paths: paths,
            ..Default::default()
        };
        assert_eq!(from_state(&inst), v);
    }
}
