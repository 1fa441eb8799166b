//! Type conversion functions (`tostring`, `tolist`, ...) and the sensitivity functions.

use super::{f, raw, Args, Func};
use crate::lang::types::{convert, Type};
use crate::lang::Value;

pub(super) const FUNCS: &[Func] = &[
    raw("issensitive", &["value"], issensitive),
    raw("nonsensitive", &["value"], |a| {
        Ok(a.raw(0).clone().deep_unmark())
    }),
    raw("sensitive", &["value"], |a| {
        Ok(a.raw(0).clone().sensitive())
    }),
    f("tobool", &["v"], |a| to(a, &Type::Bool)),
    f("tolist", &["v"], |a| {
        to(a, &Type::List(Box::new(Type::Any)))
    })
    .unknown_elements(),
    f("tomap", &["v"], |a| to(a, &Type::Map(Box::new(Type::Any)))).unknown_elements(),
    f("tonumber", &["v"], |a| to(a, &Type::Number)),
    f("toset", &["v"], |a| to(a, &Type::Set(Box::new(Type::Any)))),
    f("tostring", &["v"], |a| to(a, &Type::String)),
];

/// Null converts to null of any type; failures use Terraform's wording for each target.
fn to(a: &Args, ty: &Type) -> Result<Value, String> {
    let value = a.raw(0).clone();
    let described = describe(&value);
    convert(value, ty).map_err(|e| {
        let why = match (ty, a.raw(0)) {
            (Type::Number, Value::String(_)) => format!(
                "cannot convert {described} to number; given string must be a decimal representation of a number"
            ),
            (Type::Bool, Value::String(_)) => format!(
                "cannot convert {described} to bool; only the strings \"true\" or \"false\" are allowed"
            ),
            // Errors inside elements or attributes already say where they are.
            _ if e.starts_with("element") || e.starts_with("attribute") => e,
            _ => format!("cannot convert {described} to {}", ty.friendly()),
        };
        a.err(0, why)
    })
}

/// How Terraform names a value in a conversion error: strings quoted, others by kind.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::List(_) => "tuple".into(),
        Value::Set(_) => "set".into(),
        Value::Object(_) => "object".into(),
        other => other.type_name().into(),
    }
}

fn issensitive(a: &Args) -> Result<Value, String> {
    match a.raw(0) {
        Value::Sensitive(_) => Ok(Value::Bool(true)),
        v if v.has_unknown() => Ok(Value::Unknown),
        _ => Ok(Value::Bool(false)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (r#"tobool("true")"#, r#"true"#),
            (r#"tobool(null)"#, r#"null"#),
            (
                r#"tobool("yes")"#,
                r#"!cannot convert "yes" to bool; only the strings "true" or "false" are allowed"#,
            ),
            (r#"tolist(["a", 1, true])"#, r#"["a","1","true"]"#),
            (r#"tomap({a = 1, b = "x"})"#, r#"{"a":"1","b":"x"}"#),
            (r#"tonumber("1e3")"#, r#"1000"#),
            (r#"tonumber("+5")"#, r#"5"#),
            (
                r#"tonumber(" 5")"#,
                r#"!cannot convert " 5" to number; given string must be a decimal representation of a number"#,
            ),
            (r#"toset(["b", "a", "b"])"#, r#"["a","b"]"#),
            (r#"tostring(1.5)"#, r#""1.5""#),
            (r#"tostring(true)"#, r#""true""#),
            (r#"tostring(null)"#, r#"null"#),
            (r#"tostring([1])"#, r#"!cannot convert tuple to string"#),
            (r#"nonsensitive(sensitive("x"))"#, r#""x""#),
            (r#"issensitive(sensitive("x"))"#, r#"true"#),
            (r#"issensitive("x")"#, r#"false"#),
            (
                r#"tomap(["a"])"#,
                r#"!cannot convert tuple to map of any single type"#,
            ),
            (
                r#"tolist({a = 1})"#,
                r#"!cannot convert object to list of any single type"#,
            ),
            (r#"toset([[1], [1]])"#, r#"[[1]]"#),
            (
                r#"tomap({a = {x = 1}, b = {y = "s"}})"#,
                r#"{"a":{"x":"1"},"b":{"y":"s"}}"#,
            ),
            (
                r#"tolist([{a = 1}, {a = "x", b = 2}])"#,
                r#"[{"a":"1"},{"a":"x","b":"2"}]"#,
            ),
            (r#"tolist([[1, "a"], [2, "b"]])"#, r#"[[1,"a"],[2,"b"]]"#),
            (r#"tolist([[1], [2, 3]])"#, r#"[[1],[2,3]]"#),
            (r#"toset([1, "a", true])"#, r#"["1","a","true"]"#),
            (r#"tolist([null, 1])"#, r#"[null,1]"#),
            (r#"tomap({a = [1], b = ["x"]})"#, r#"{"a":["1"],"b":["x"]}"#),
            (
                r#"tolist([1, true])"#,
                r#"!cannot convert tuple to list of any single type"#,
            ),
            (
                r#"tonumber("0x10")"#,
                r#"!given string must be a decimal representation of a number"#,
            ),
        ]);
    }
}
