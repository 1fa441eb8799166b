//! The schema's argument constraints (`min`, `one_of`, `exactly_one_of`, `at_least_one_of`)
//! checked against a configuration's evaluated values, so that a bad argument is an error at
//! plan time pointing at the source, not a failed apply. Unknown values are left for apply.

use crate::lang::Value;
use crate::schema::ResourceSchema;

/// A broken constraint: the argument to point at (when one is to blame) and the message.
#[derive(Debug, PartialEq)]
pub struct Violation {
    /// The argument whose value is wrong; `None` for a group of arguments.
    pub attr: Option<String>,
    /// What is wrong, naming the arguments, never quoting a value.
    pub message: String,
}

fn is_set(v: Option<&Value>) -> bool {
    match v.map(Value::unmarked) {
        None | Some(Value::Null) => false,
        Some(Value::List(items)) | Some(Value::Set(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

fn names(group: &[String]) -> String {
    group
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `s` against the attribute's `pattern` (a schema's own regex: one that fails to compile is
/// a build defect the schema tests catch, and is not applied).
fn pattern_violation(name: &str, a: &crate::schema::Attribute, s: &str) -> Option<String> {
    let pattern = a.pattern.as_ref()?;
    let re = regex::Regex::new(pattern).ok()?;
    if re.is_match(s) {
        return None;
    }
    let means = a.pattern_means.as_deref().unwrap_or(pattern);
    Some(format!(
        "`{name}` = \"{s}\" is not valid: it must be {means}"
    ))
}

/// Every violation in `config` (an object of the configuration's arguments).
pub fn check(schema: &ResourceSchema, config: &Value) -> Vec<Violation> {
    let Value::Object(m) = config.unmarked() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, a) in &schema.attributes {
        let Some(v) = m.get(name).map(Value::unmarked) else {
            continue;
        };
        let bad = |message: String| Violation {
            attr: Some(name.clone()),
            message,
        };
        match (v, a.min) {
            (Value::Number(n), Some(min)) if n.0 < min => {
                out.push(bad(format!("`{name}` must be at least {min}")))
            }
            _ => {}
        }
        match (v, a.max) {
            (Value::Number(n), Some(max)) if n.0 > max => {
                out.push(bad(format!("`{name}` must be at most {max}")))
            }
            _ => {}
        }
        if let Value::String(s) = v {
            if !a.one_of.is_empty() && !a.one_of.contains(s) {
                out.push(bad(format!("`{name}` must be one of {}", names(&a.one_of))));
            }
            if let Some(message) = pattern_violation(name, a, s) {
                out.push(bad(message));
            }
        }
    }
    for group in &schema.exactly_one_of {
        let set = group.iter().filter(|n| is_set(m.get(n.as_str()))).count();
        if set != 1 {
            out.push(Violation {
                attr: None,
                message: format!("exactly one of {} must be set ({set} are)", names(group)),
            });
        }
    }
    for group in &schema.at_least_one_of {
        if !group.iter().any(|n| is_set(m.get(n.as_str()))) {
            out.push(Violation {
                attr: None,
                message: format!("at least one of {} must be set", names(group)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn schema(ty: &str) -> &'static ResourceSchema {
        crate::schema::lookup_in(ty, false).expect("schema")
    }

    #[test]
    fn minimums_and_groups_are_checked() {
        let v = check(
            schema("random_string"),
            &config(&[("length", Value::number(0.0))]),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].attr.as_deref(), Some("length"));
        let two = config(&[
            ("filename", Value::string("f")),
            ("content", Value::string("a")),
            ("source", Value::string("b")),
        ]);
        assert_eq!(check(schema("local_file"), &two).len(), 1);
        assert_eq!(check(schema("time_offset"), &config(&[])).len(), 1);
    }

    #[test]
    fn unknown_values_wait_for_apply() {
        let v = config(&[
            ("filename", Value::string("f")),
            ("content", Value::Unknown),
        ]);
        assert!(check(schema("local_file"), &v).is_empty());
        let unknown_len = config(&[("length", Value::Unknown)]);
        assert!(check(schema("random_string"), &unknown_len).is_empty());
    }
}
