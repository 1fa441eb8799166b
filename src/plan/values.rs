//! Conversions between state's JSON objects (with sensitive paths) and marked [`Value`]s.

use crate::lang::Value;
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
