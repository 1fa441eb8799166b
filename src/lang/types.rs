//! Type constraints (`string`, `list(number)`, `object({...})`, ...) and conversion to them.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey, UnaryOperator};

use crate::lang::Value;

/// A type constraint as written in a `variable` block's `type` argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// `any`
    Any,
    /// `string`
    String,
    /// `number`
    Number,
    /// `bool`
    Bool,
    /// `list(T)`
    List(Box<Type>),
    /// `set(T)`
    Set(Box<Type>),
    /// `map(T)`
    Map(Box<Type>),
    /// `tuple([T, ...])`
    Tuple(Vec<Type>),
    /// `object({name = T, opt = optional(T, default)})`
    Object(BTreeMap<String, Attr>),
}

/// One attribute of an object type constraint.
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    /// The attribute's type.
    pub ty: Type,
    /// `optional(...)`.
    pub optional: bool,
    /// The default of `optional(T, default)`.
    pub default: Option<Value>,
}

impl Type {
    /// Parses a type constraint expression.
    pub fn from_expr(expr: &Expression) -> Result<Type, String> {
        match expr {
            Expression::Variable(ident) => keyword_type(ident.as_str()),
            Expression::Parenthesis(p) => Type::from_expr(p.inner()),
            Expression::FuncCall(call) => {
                let args: Vec<&Expression> = call.args.iter().collect();
                constructor_type(call.name.name.as_str(), &args)
            }
            _ => Err(
                "A type specification is either a primitive type keyword (bool, number, \
                      string) or a complex type constructor call, like list(string)."
                    .into(),
            ),
        }
    }

    /// How Terraform writes this type, for messages.
    pub fn friendly(&self) -> String {
        match self {
            Type::Any => "any".into(),
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::List(t) => format!("list of {}", t.element_friendly()),
            Type::Set(t) => format!("set of {}", t.element_friendly()),
            Type::Map(t) => format!("map of {}", t.element_friendly()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
        }
    }
}

impl Type {
    /// As an element type: `any` there means "any single type".
    fn element_friendly(&self) -> String {
        match self {
            Type::Any => "any single type".into(),
            other => other.friendly(),
        }
    }
}

fn keyword_type(word: &str) -> Result<Type, String> {
    Ok(match word {
        "any" => Type::Any,
        "string" => Type::String,
        "number" => Type::Number,
        "bool" => Type::Bool,
        // Legacy bare collection keywords mean a collection of any element type.
        "list" => Type::List(Box::new(Type::Any)),
        "set" => Type::Set(Box::new(Type::Any)),
        "map" => Type::Map(Box::new(Type::Any)),
        other => {
            return Err(format!(
                "The keyword \"{other}\" is not a valid type specification."
            ))
        }
    })
}

fn constructor_type(name: &str, args: &[&Expression]) -> Result<Type, String> {
    let [arg] = args else {
        return Err(format!(
            "The {name} type constructor requires one argument."
        ));
    };
    match name {
        "list" => Ok(Type::List(Box::new(Type::from_expr(arg)?))),
        "set" => Ok(Type::Set(Box::new(Type::from_expr(arg)?))),
        "map" => Ok(Type::Map(Box::new(Type::from_expr(arg)?))),
        "tuple" => match arg {
            Expression::Array(items) => Ok(Type::Tuple(
                items
                    .iter()
                    .map(Type::from_expr)
                    .collect::<Result<_, _>>()?,
            )),
            _ => Err("The tuple type constructor requires a list of element types.".into()),
        },
        "object" => object_type(arg),
        "optional" => Err(
            "Keyword \"optional\" is valid only as a modifier for object type attributes.".into(),
        ),
        other => Err(format!(
            "Keyword \"{other}\" is not a valid type constructor."
        )),
    }
}

fn object_type(arg: &Expression) -> Result<Type, String> {
    let Expression::Object(obj) = arg else {
        return Err("The object type constructor requires an object of attribute types.".into());
    };
    let mut attrs = BTreeMap::new();
    for (key, value) in obj.iter() {
        let name = match key {
            ObjectKey::Ident(ident) => ident.as_str().to_owned(),
            ObjectKey::Expression(Expression::String(s)) => s.as_str().to_owned(),
            ObjectKey::Expression(_) => {
                return Err("Object constructor map keys must be attribute names.".into())
            }
        };
        attrs.insert(name, attr(value.expr())?);
    }
    Ok(Type::Object(attrs))
}

fn attr(expr: &Expression) -> Result<Attr, String> {
    let Expression::FuncCall(call) = expr else {
        return Ok(Attr {
            ty: Type::from_expr(expr)?,
            optional: false,
            default: None,
        });
    };
    if call.name.name.as_str() != "optional" {
        return Ok(Attr {
            ty: Type::from_expr(expr)?,
            optional: false,
            default: None,
        });
    }
    let args: Vec<&Expression> = call.args.iter().collect();
    match args.as_slice() {
        [ty] => Ok(Attr {
            ty: Type::from_expr(ty)?,
            optional: true,
            default: None,
        }),
        [ty, default] => {
            let ty = Type::from_expr(ty)?;
            let default = convert(literal(default)?, &ty)
                .map_err(|e| format!("Invalid default value for optional attribute: {e}."))?;
            Ok(Attr {
                ty,
                optional: true,
                default: Some(default),
            })
        }
        _ => Err("The optional modifier takes a type and, optionally, a default value.".into()),
    }
}

/// Evaluates a literal expression (what an `optional` default may be without an evaluator).
pub fn literal(expr: &Expression) -> Result<Value, String> {
    Ok(match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => Value::number(n.value().as_f64().unwrap_or(0.0)),
        Expression::String(s) => Value::String(s.value().clone()),
        Expression::Parenthesis(p) => literal(p.inner())?,
        Expression::Array(items) => {
            Value::List(items.iter().map(literal).collect::<Result<_, _>>()?)
        }
        Expression::Object(obj) => {
            let mut map = BTreeMap::new();
            for (key, value) in obj.iter() {
                let name = match key {
                    ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                    ObjectKey::Expression(e) => match literal(e)? {
                        Value::String(s) => s,
                        other => {
                            return Err(format!(
                                "Object key must be a string, not {}.",
                                other.type_name()
                            ))
                        }
                    },
                };
                map.insert(name, literal(value.expr())?);
            }
            Value::Object(map)
        }
        Expression::UnaryOp(op) if *op.operator.value() == UnaryOperator::Neg => {
            match literal(&op.expr)? {
                Value::Number(n) => Value::number(-n.0),
                _ => return Err("Only numbers can be negated.".into()),
            }
        }
        _ => return Err("Only literal values are allowed here.".into()),
    })
}

/// Converts a value to a type, as Terraform does for variables and `to*` functions.
pub fn convert(value: Value, ty: &Type) -> Result<Value, String> {
    match value {
        Value::Sensitive(inner) => Ok(convert(*inner, ty)?.sensitive()),
        // Null and unknown values belong to every type.
        Value::Null => Ok(Value::Null),
        Value::Unknown => Ok(Value::Unknown),
        value => convert_known(value, ty),
    }
}

fn convert_known(value: Value, ty: &Type) -> Result<Value, String> {
    match ty {
        Type::Any => Ok(value),
        Type::String => to_string(value),
        Type::Number => to_number(value),
        Type::Bool => to_bool(value),
        Type::List(elem) => match value {
            Value::List(items) | Value::Set(items) => Ok(Value::List(elements(items, elem)?)),
            other => Err(required(ty, &other)),
        },
        Type::Set(elem) => match value {
            Value::List(items) | Value::Set(items) => Ok(Value::set(elements(items, elem)?)),
            other => Err(required(ty, &other)),
        },
        Type::Map(elem) => match value {
            Value::Object(map) => map_values(map, elem),
            other => Err(required(ty, &other)),
        },
        Type::Tuple(types) => match value {
            Value::List(items) if items.len() == types.len() => items
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, t))| convert(item, t).map_err(|e| format!("element {i}: {e}")))
                .collect::<Result<_, _>>()
                .map(Value::List),
            Value::List(items) => Err(format!(
                "tuple required with {} elements, got {}",
                types.len(),
                items.len()
            )),
            other => Err(required(ty, &other)),
        },
        Type::Object(attrs) => match value {
            Value::Object(map) => object(map, attrs),
            other => Err(required(ty, &other)),
        },
    }
}

fn required(ty: &Type, got: &Value) -> String {
    let article = match ty {
        Type::Object(_) | Type::Any => "an",
        _ => "a",
    };
    format!(
        "{article} {} is required, got {}",
        ty.friendly(),
        got.type_name()
    )
}

fn to_string(value: Value) -> Result<Value, String> {
    match value {
        Value::String(_) => Ok(value),
        Value::Number(n) => Ok(Value::String(number_text(n.0))),
        Value::Bool(b) => Ok(Value::String(b.to_string())),
        other => Err(required(&Type::String, &other)),
    }
}

fn to_number(value: Value) -> Result<Value, String> {
    match value {
        Value::Number(_) => Ok(value),
        Value::String(s) => parse_number(&s)
            .map(Value::number)
            .ok_or_else(|| "a number is required".to_string()),
        other => Err(required(&Type::Number, &other)),
    }
}

/// Parses a decimal number the way cty does: digits, an optional fraction and exponent,
/// an optional sign; no spaces, no hexadecimal, no infinities.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let ok = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    let n: f64 = if ok { s.parse().ok()? } else { return None };
    n.is_finite().then_some(n)
}

fn to_bool(value: Value) -> Result<Value, String> {
    match value {
        Value::Bool(_) => Ok(value),
        Value::String(s) if s == "true" => Ok(Value::Bool(true)),
        Value::String(s) if s == "false" => Ok(Value::Bool(false)),
        Value::String(_) => Err("a bool is required".into()),
        other => Err(required(&Type::Bool, &other)),
    }
}

fn elements(items: Vec<Value>, elem: &Type) -> Result<Vec<Value>, String> {
    let items = if *elem == Type::Any {
        unify(items)?
    } else {
        items
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| convert(item, elem).map_err(|e| format!("element {i}: {e}")))
        .collect()
}

fn map_values(map: BTreeMap<String, Value>, elem: &Type) -> Result<Value, String> {
    let (keys, values): (Vec<String>, Vec<Value>) = map.into_iter().unzip();
    let values = if *elem == Type::Any {
        unify(values)?
    } else {
        values
    };
    let mut out = BTreeMap::new();
    for (key, value) in keys.into_iter().zip(values) {
        let value = convert(value, elem).map_err(|e| format!("element {key:?}: {e}"))?;
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// The type a value has on its own, as cty infers it: lists are tuples, objects are
/// objects; null and unknown values fit any type.
fn infer(value: &Value) -> Type {
    match value {
        Value::Null | Value::Unknown => Type::Any,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::Tuple(items.iter().map(infer).collect()),
        Value::Set(items) => {
            let types: Vec<Type> = items.iter().map(infer).collect();
            Type::Set(Box::new(unify_types(&types).unwrap_or(Type::Any)))
        }
        Value::Object(map) => Type::Object(
            map.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Attr {
                            ty: infer(v),
                            optional: false,
                            default: None,
                        },
                    )
                })
                .collect(),
        ),
        Value::Sensitive(inner) => infer(inner),
    }
}

/// The one type all of `types` convert to, following cty's unification: strings absorb
/// numbers and bools, tuples of one length unify element-wise (else become lists), objects
/// with the same attributes unify attribute-wise (else become maps).
fn unify_types(types: &[Type]) -> Option<Type> {
    let known: Vec<&Type> = types.iter().filter(|t| **t != Type::Any).collect();
    let Some(first) = known.first() else {
        return Some(Type::Any);
    };
    if known.iter().all(|t| t == first) {
        return Some((*first).clone());
    }
    let primitive = |t: &&Type| matches!(t, Type::String | Type::Number | Type::Bool);
    if known.iter().all(primitive) {
        return known.contains(&&Type::String).then_some(Type::String);
    }
    if known
        .iter()
        .all(|t| matches!(t, Type::Tuple(_) | Type::List(_)))
    {
        return unify_sequences(&known);
    }
    if known
        .iter()
        .all(|t| matches!(t, Type::Object(_) | Type::Map(_)))
    {
        return unify_objects(&known);
    }
    if known.iter().all(|t| matches!(t, Type::Set(_))) {
        let inner: Vec<Type> = known.iter().filter_map(|t| element_type(t)).collect();
        return Some(Type::Set(Box::new(unify_types(&inner)?)));
    }
    None
}

fn element_type(t: &Type) -> Option<Type> {
    match t {
        Type::List(e) | Type::Set(e) | Type::Map(e) => Some((**e).clone()),
        _ => None,
    }
}

fn unify_sequences(known: &[&Type]) -> Option<Type> {
    let tuples: Vec<&Vec<Type>> = known
        .iter()
        .filter_map(|t| {
            if let Type::Tuple(ts) = t {
                Some(ts)
            } else {
                None
            }
        })
        .collect();
    if tuples.len() == known.len() && tuples.iter().all(|t| t.len() == tuples[0].len()) {
        let columns = (0..tuples[0].len())
            .map(|i| unify_types(&tuples.iter().map(|t| t[i].clone()).collect::<Vec<_>>()))
            .collect::<Option<Vec<_>>>()?;
        return Some(Type::Tuple(columns));
    }
    let mut all = Vec::new();
    for t in known {
        match t {
            Type::Tuple(ts) => all.extend(ts.iter().cloned()),
            other => all.extend(element_type(other)),
        }
    }
    Some(Type::List(Box::new(unify_types(&all)?)))
}

fn unify_objects(known: &[&Type]) -> Option<Type> {
    let objects: Vec<&BTreeMap<String, Attr>> = known
        .iter()
        .filter_map(|t| {
            if let Type::Object(a) = t {
                Some(a)
            } else {
                None
            }
        })
        .collect();
    let same_keys =
        objects.len() == known.len() && objects.iter().all(|o| o.keys().eq(objects[0].keys()));
    if same_keys {
        let mut attrs = BTreeMap::new();
        for name in objects[0].keys() {
            let column: Vec<Type> = objects
                .iter()
                .filter_map(|o| o.get(name))
                .map(|a| a.ty.clone())
                .collect();
            let ty = unify_types(&column)?;
            attrs.insert(
                name.clone(),
                Attr {
                    ty,
                    optional: false,
                    default: None,
                },
            );
        }
        return Some(Type::Object(attrs));
    }
    let mut all = Vec::new();
    for t in known {
        match t {
            Type::Object(attrs) => all.extend(attrs.values().map(|a| a.ty.clone())),
            other => all.extend(element_type(other)),
        }
    }
    Some(Type::Map(Box::new(unify_types(&all)?)))
}

/// Makes the elements of a collection of `any` share one type.
fn unify(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let types: Vec<Type> = items.iter().map(infer).collect();
    let ty = unify_types(&types).ok_or("all elements must have the same type")?;
    items.into_iter().map(|item| convert(item, &ty)).collect()
}

fn object(
    mut map: BTreeMap<String, Value>,
    attrs: &BTreeMap<String, Attr>,
) -> Result<Value, String> {
    let mut out = BTreeMap::new();
    for (name, attr) in attrs {
        let value = match map.remove(name) {
            // An optional attribute left out or set to null takes its default.
            None | Some(Value::Null) if attr.optional => {
                attr.default.clone().unwrap_or(Value::Null)
            }
            None => return Err(format!("attribute {name:?} is required")),
            Some(v) => convert(v, &attr.ty).map_err(|e| format!("attribute {name:?}: {e}"))?,
        };
        out.insert(name.clone(), value);
    }
    // Attributes the type does not declare are dropped, as Terraform does.
    Ok(Value::Object(out))
}

/// A number as Terraform prints it when the value came from float64 arithmetic: the
/// 15-digit rounding of `Number`'s Display when that yields a short decimal (so 0.1 + 0.2
/// is "0.3"), otherwise the shortest text that reads back as the same f64 (so `pow(2, 0.5)`
/// keeps all its digits).
pub(crate) fn number_text(n: f64) -> String {
    let rounded = crate::lang::Number(n).to_string();
    let significant = rounded
        .trim_start_matches(['-', '0', '.'])
        .replace('.', "")
        .trim_end_matches('0')
        .len();
    if significant <= 12 || !n.is_finite() {
        rounded
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Type, String> {
        let expr = hcl_edit::parser::parse_expr(src).map_err(|e| e.to_string())?;
        Type::from_expr(&expr)
    }

    fn value(src: &str) -> Value {
        let expr = hcl_edit::parser::parse_expr(src).expect("value parses");
        literal(&expr).expect("value is a literal")
    }

    #[test]
    fn parses_type_expressions() {
        let list_str = Type::List(Box::new(Type::String));
        let cases: Vec<(&str, Type)> = vec![
            ("string", Type::String),
            ("number", Type::Number),
            ("bool", Type::Bool),
            ("any", Type::Any),
            ("list(string)", list_str.clone()),
            ("set(number)", Type::Set(Box::new(Type::Number))),
            ("map(list(string))", Type::Map(Box::new(list_str.clone()))),
            (
                "tuple([string, number])",
                Type::Tuple(vec![Type::String, Type::Number]),
            ),
            (
                "object({a = string, b = optional(number, 3), c = optional(bool)})",
                Type::Object(BTreeMap::from([
                    (
                        "a".into(),
                        Attr {
                            ty: Type::String,
                            optional: false,
                            default: None,
                        },
                    ),
                    (
                        "b".into(),
                        Attr {
                            ty: Type::Number,
                            optional: true,
                            default: Some(Value::number(3.0)),
                        },
                    ),
                    (
                        "c".into(),
                        Attr {
                            ty: Type::Bool,
                            optional: true,
                            default: None,
                        },
                    ),
                ])),
            ),
        ];
        for (src, want) in cases {
            assert_eq!(parse(src), Ok(want), "{src}");
        }
    }

    #[test]
    fn rejects_bad_type_expressions() {
        for (src, fragment) in [
            ("strin", "not a valid type specification"),
            ("list(string, number)", "requires one argument"),
            ("optional(string)", "only as a modifier"),
            ("frob(string)", "not a valid type constructor"),
            ("\"string\"", "primitive type keyword"),
            (
                "object({a = optional(number, \"x\")})",
                "Invalid default value",
            ),
        ] {
            let err = parse(src).expect_err(src);
            assert!(err.contains(fragment), "{src}: {err}");
        }
    }

    /// Expected values were checked with Terraform 1.11 (variables with these types and
    /// defaults, printed through `jsonencode`).
    #[test]
    fn converts_like_terraform() {
        let cases = [
            (
                "object({name = string, port = optional(number, 80), tags = optional(map(string)), extra = optional(object({x = optional(bool, true)}), {})})",
                r#"{name = "n", port = null, drop = 1}"#,
                r#"{"extra":{"x":true},"name":"n","port":80,"tags":null}"#,
            ),
            ("list(string)", r#"[1, true, "x"]"#, r#"["1","true","x"]"#),
            ("set(number)", r#"["3", 1, 3]"#, "[1,3]"),
            ("map(any)", r#"{a = 1, b = "x"}"#, r#"{"a":"1","b":"x"}"#),
            ("tuple([string, number, bool])", r#"[1, "2", "false"]"#, r#"["1",2,false]"#),
            ("list(any)", r#"[[1], ["a"]]"#, r#"[["1"],["a"]]"#),
            ("any", r#"{a = [1, "x"]}"#, r#"{"a":[1,"x"]}"#),
            ("string", "null", "null"),
            ("number", r#""-1.5""#, "-1.5"),
            ("bool", r#""false""#, "false"),
        ];
        for (ty, v, want) in cases {
            let ty = parse(ty).expect("type parses");
            let got = convert(value(v), &ty).map(|v| v.to_json().to_string());
            assert_eq!(got.as_deref(), Ok(want), "{v}");
        }
    }

    #[test]
    fn reports_conversion_errors() {
        for (ty, v, fragment) in [
            (
                "object({a = string})",
                "{b = 1}",
                r#"attribute "a" is required"#,
            ),
            ("number", r#""x""#, "a number is required"),
            ("bool", r#""yes""#, "a bool is required"),
            ("string", "[1]", "string is required"),
            (
                "list(number)",
                r#"["a"]"#,
                "element 0: a number is required",
            ),
            (
                "tuple([string])",
                "[1, 2]",
                "tuple required with 1 elements",
            ),
            ("map(string)", "[1]", "map of string is required"),
            ("list(any)", r#"[1, {a = 1}]"#, "same type"),
        ] {
            let ty = parse(ty).expect("type parses");
            let err = convert(value(v), &ty).expect_err(v);
            assert!(err.contains(fragment), "{v}: {err}");
        }
    }

    #[test]
    fn keeps_marks_and_unknowns() {
        let secret = Value::string("5").sensitive();
        assert_eq!(
            convert(secret, &Type::Number),
            Ok(Value::number(5.0).sensitive())
        );
        assert_eq!(convert(Value::Unknown, &Type::String), Ok(Value::Unknown));
        let list = Value::List(vec![Value::Unknown, Value::number(1.0)]);
        let want = Value::List(vec![Value::Unknown, Value::string("1")]);
        assert_eq!(convert(list, &Type::List(Box::new(Type::String))), Ok(want));
    }

    #[test]
    fn prints_numbers_like_terraform() {
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(2f64.sqrt()), "1.4142135623730951");
        assert_eq!(number_text(1e21), "1000000000000000000000");
    }
}
