//! A utility provider's view of the object it is given: typed reads that fill the schema's
//! documented defaults and name the argument in every error, and the finished object the
//! provider returns (every schema attribute present, nothing unknown), which apply compares
//! with the plan.
//!
//! Errors never quote a value: it may be a secret (the provider sees unmarked values).

use std::collections::BTreeMap;

use crate::lang::Value;
use crate::providers::{ProviderError, Result};
use crate::schema::ResourceSchema;

/// The arguments of one object of type `ty`.
pub struct Args {
    ty: String,
    schema: Option<&'static ResourceSchema>,
    map: BTreeMap<String, Value>,
}

impl Args {
    /// The arguments in `v` (an object), for a data source or a managed resource type.
    pub fn new(ty: &str, data_source: bool, v: &Value) -> Result<Args> {
        let map = match v.unmarked() {
            Value::Object(m) => m.clone(),
            Value::Null => BTreeMap::new(),
            _ => return Err(ProviderError::new(format!("{ty}: expected an object"))),
        };
        Ok(Args {
            ty: ty.to_owned(),
            schema: crate::schema::lookup_in(ty, data_source),
            map,
        })
    }

    /// The type these arguments belong to.
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The argument's value, or its documented default; `None` when unset or unknown.
    pub fn get(&self, name: &str) -> Option<Value> {
        match self.map.get(name).map(Value::unmarked) {
            Some(v) if !v.is_null() && !matches!(v, Value::Unknown) => Some(v.clone()),
            _ => self.default(name),
        }
    }

    fn default(&self, name: &str) -> Option<Value> {
        let a = self.schema?.attributes.get(name)?;
        a.default.as_ref().map(Value::from_json)
    }

    fn wrong(&self, name: &str, want: &str, got: &Value) -> ProviderError {
        ProviderError::new(format!(
            "{}: `{name}` must be {want}, not a {}",
            self.ty,
            got.type_name()
        ))
    }

    /// An error about argument `name`.
    pub fn error(&self, name: &str, what: impl std::fmt::Display) -> ProviderError {
        ProviderError::new(format!("{}: `{name}` {what}", self.ty))
    }

    /// A string argument (numbers and bools converted, as Terraform converts them).
    pub fn string(&self, name: &str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(v) => Err(self.wrong(name, "a string", &v)),
        }
    }

    /// A string argument that must be set.
    pub fn required_string(&self, name: &str) -> Result<String> {
        self.string(name)?
            .ok_or_else(|| self.error(name, "is required"))
    }

    /// A bool argument; unset is false (unless the schema documents another default).
    pub fn bool(&self, name: &str) -> Result<bool> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(v) => Err(self.wrong(name, "a bool", &v)),
        }
    }

    /// A whole-number argument.
    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        let n = match self.get(name) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(v) => return Err(self.wrong(name, "a whole number", &v)),
        };
        n.map(Some)
            .ok_or_else(|| self.error(name, "must be a whole number"))
    }

    /// A whole-number argument that must be set.
    pub fn required_int(&self, name: &str) -> Result<i64> {
        self.int(name)?
            .ok_or_else(|| self.error(name, "is required"))
    }

    /// A list (or set) of strings; unset is empty.
    pub fn strings(&self, name: &str) -> Result<Vec<String>> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::List(items)) | Some(Value::Set(items)) => {
                items.iter().map(|v| self.element(name, v)).collect()
            }
            Some(v) => Err(self.wrong(name, "a list of strings", &v)),
        }
    }

    /// A map of strings; unset is empty.
    pub fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>> {
        match self.get(name) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.element(name, v)?)))
                .collect(),
            Some(v) => Err(self.wrong(name, "a map of strings", &v)),
        }
    }

    fn element(&self, name: &str, v: &Value) -> Result<String> {
        match v.unmarked() {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(self.wrong(name, "made of strings", other)),
        }
    }

    /// The nested blocks `name`, each as its own arguments.
    pub fn blocks(&self, name: &str) -> Vec<BTreeMap<String, Value>> {
        match self.map.get(name).map(Value::unmarked) {
            Some(Value::List(items)) | Some(Value::Set(items)) => items
                .iter()
                .filter_map(|b| match b.unmarked() {
                    Value::Object(m) => Some(m.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The object to return: the arguments (defaults filled), then `computed`, with every
    /// schema attribute present (null when unset) and nothing unknown left.
    pub fn finish<'n>(&self, computed: impl IntoIterator<Item = (&'n str, Value)>) -> Value {
        let mut out = BTreeMap::new();
        if let Some(schema) = self.schema {
            for name in schema.attributes.keys() {
                out.insert(name.clone(), self.get(name).unwrap_or(Value::Null));
            }
            for name in schema.blocks.keys() {
                let v = self
                    .map
                    .get(name)
                    .cloned()
                    .unwrap_or(Value::List(Vec::new()));
                out.insert(name.clone(), v);
            }
        }
        for (name, v) in computed {
            out.insert(name.to_owned(), v);
        }
        Value::Object(out)
    }
}

/// `n` as a [`Value`] number (exact below 2^53; the utility providers' integers all are).
pub fn number(n: i64) -> Value {
    Value::number(n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn defaults_come_from_the_schema() {
        let a = Args::new("random_string", false, &obj(&[])).expect("args");
        assert!(a.bool("special").expect("bool"));
        assert_eq!(a.int("min_upper").expect("int"), Some(0));
        assert_eq!(a.string("override_special").expect("str"), None);
    }

    #[test]
    fn wrong_types_are_errors_naming_the_argument_not_the_value() {
        let a = Args::new(
            "random_string",
            false,
            &obj(&[("length", Value::string("secret-ish"))]),
        )
        .expect("args");
        let e = a.int("length").expect_err("not a number");
        assert!(e.message.contains("`length`"), "{}", e.message);
        assert!(!e.message.contains("secret-ish"), "{}", e.message);
    }

    #[test]
    fn finish_fills_every_attribute_and_leaves_nothing_unknown() {
        let a = Args::new(
            "random_uuid",
            false,
            &obj(&[("result", Value::Unknown), ("keepers", Value::Null)]),
        )
        .expect("args");
        let Value::Object(m) = a.finish([("id", Value::string("x"))]) else {
            panic!("object")
        };
        assert_eq!(m.get("result"), Some(&Value::Null));
        assert_eq!(m.get("id"), Some(&Value::string("x")));
        assert!(m.contains_key("keepers"));
    }
}
