//! Values of the configuration language: Terraform's cty model reduced to what keyway needs,
//! including unknown values ("known after apply") and the sensitive mark.

use std::collections::BTreeMap;
use std::fmt;

/// A number. Terraform uses arbitrary precision; keyway uses f64, which covers every value
/// these configurations hold, and prints integers without a fraction.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Number(pub f64);

impl Number {
    /// The value as an integer, if it is one that fits in i64 exactly.
    pub fn as_i64(self) -> Option<i64> {
        let f = self.0;
        if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.007_199_254_740_992e15 {
            Some(f as i64)
        } else {
            None
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(i) = self.as_i64() {
            return write!(f, "{i}");
        }
        // Round to 15 significant digits first so that 0.1 + 0.2 prints as Terraform's
        // big-float arithmetic prints it ("0.3"), then use the shortest round-trip form.
        let rounded: f64 = format!("{:.14e}", self.0).parse().unwrap_or(self.0);
        write!(f, "{rounded}")
    }
}

/// A configuration value.
///
/// Lists and tuples share `List`; maps and objects share `Object` (keys always sorted, as cty
/// iterates them). Sets are kept sorted and free of duplicates, so they print and persist
/// deterministically.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list or tuple.
    List(Vec<Value>),
    /// A set: sorted by [`Value::sort_key`], no duplicates.
    Set(Vec<Value>),
    /// A map or object.
    Object(BTreeMap<String, Value>),
    /// A value that will only be known once some resource has been applied.
    Unknown,
    /// A value marked sensitive; it never reaches the terminal, logs or plan files in clear.
    Sensitive(Box<Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A number value.
    pub fn number(n: f64) -> Value {
        Value::Number(Number(n))
    }

    /// A set value: sorts and removes duplicates.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort_by_key(Value::sort_key);
        items.dedup();
        Value::Set(items)
    }

    /// Marks a value sensitive (idempotent).
    pub fn sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            v => Value::Sensitive(Box::new(v)),
        }
    }

    /// True if this is `null` (through a sensitive mark).
    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }

    /// How deeply collections nest in this value: 0 for a scalar, 1 for a list of scalars.
    pub fn depth(&self) -> usize {
        match self {
            Value::List(v) | Value::Set(v) => 1 + v.iter().map(Value::depth).max().unwrap_or(0),
            Value::Object(m) => 1 + m.values().map(Value::depth).max().unwrap_or(0),
            Value::Sensitive(v) => v.depth(),
            _ => 0,
        }
    }

    /// True if this value, or anything inside it, is unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(v) | Value::Set(v) => v.iter().any(Value::has_unknown),
            Value::Object(m) => m.values().any(Value::has_unknown),
            Value::Sensitive(v) => v.has_unknown(),
            _ => false,
        }
    }

    /// True if this value, or anything inside it, is marked sensitive.
    pub fn has_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(v) | Value::Set(v) => v.iter().any(Value::has_sensitive),
            Value::Object(m) => m.values().any(Value::has_sensitive),
            _ => false,
        }
    }

    /// The value under a top-level sensitive mark.
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(v) => v.unmarked(),
            v => v,
        }
    }

    /// Removes every sensitive mark, deeply; the caller is responsible for re-marking results.
    pub fn deep_unmark(self) -> Value {
        match self {
            Value::Sensitive(v) => v.deep_unmark(),
            Value::List(v) => Value::List(v.into_iter().map(Value::deep_unmark).collect()),
            Value::Set(v) => Value::set(v.into_iter().map(Value::deep_unmark).collect()),
            Value::Object(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (k, v.deep_unmark())).collect())
            }
            v => v,
        }
    }

    /// The name of this value's kind, as Terraform's messages say it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Object(_) => "object",
            Value::Unknown => "unknown",
            Value::Sensitive(v) => v.type_name(),
        }
    }

    /// A string that orders values the way cty orders set elements (strings lexically,
    /// numbers numerically before them).
    pub fn sort_key(&self) -> String {
        match self.unmarked() {
            Value::String(s) => format!("s{s}"),
            Value::Number(n) => format!("n{:+030.10}", n.0),
            Value::Bool(b) => format!("b{b}"),
            other => format!("x{}", other.to_json()),
        }
    }

    /// The value as a string if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Converts to JSON. Unknown values become `null`; sensitive marks are dropped, so only
    /// call this where the result is stored (state) or already redacted.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => J::from(i),
                None => serde_json::Number::from_f64(n.0).map_or(J::Null, J::Number),
            },
            Value::String(s) => J::String(s.clone()),
            Value::List(v) | Value::Set(v) => J::Array(v.iter().map(Value::to_json).collect()),
            Value::Object(m) => {
                J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Value::Sensitive(v) => v.to_json(),
        }
    }

    /// Converts from JSON: arrays become lists, objects become objects.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::number(n.as_f64().unwrap_or(0.0)),
            J::String(s) => Value::String(s.clone()),
            J::Array(v) => Value::List(v.iter().map(Value::from_json).collect()),
            J::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::number(n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_terraform() {
        assert_eq!(Number(3.0).to_string(), "3");
        assert_eq!(Number(1.5).to_string(), "1.5");
        assert_eq!(Number(0.1 + 0.2).to_string(), "0.3");
    }

    #[test]
    fn sets_sort_and_dedup() {
        let s = Value::set(vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(s, Value::Set(vec!["a".into(), "b".into()]));
    }
}
