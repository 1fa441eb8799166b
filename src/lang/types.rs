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
            Type::List(t) => format!("list of {}", t.friendly()),
            Type::Set(t) => format!("set of {}", t.friendly()),
            Type::Map(t) => format!("map of {}", t.friendly()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
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

/// The kind of a value for unification: which primitive, or "structural".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Bool,
    Number,
    String,
    Collection,
    Structural,
}

fn kind(value: &Value) -> Option<Kind> {
    match value.unmarked() {
        Value::Null | Value::Unknown | Value::Sensitive(_) => None,
        Value::Bool(_) => Some(Kind::Bool),
        Value::Number(_) => Some(Kind::Number),
        Value::String(_) => Some(Kind::String),
        Value::Set(_) => Some(Kind::Collection),
        Value::List(_) | Value::Object(_) => Some(Kind::Structural),
    }
}

/// Makes the elements of a collection of `any` share one type, as cty's unification does
/// for primitives: a mix of strings with numbers or bools becomes all strings.
fn unify(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut kinds: Vec<Kind> = items.iter().filter_map(kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    match kinds.as_slice() {
        [] | [_] => Ok(items),
        many if many.contains(&Kind::String) && many.iter().all(|k| *k <= Kind::String) => items
            .into_iter()
            .map(|item| convert(item, &Type::String))
            .collect(),
        _ => Err("all elements must have the same type".into()),
    }
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
