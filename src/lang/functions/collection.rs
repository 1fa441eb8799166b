//! Collection functions: lists, sets and maps (`length`, `merge`, `lookup`, `flatten`, ...).

use std::collections::BTreeMap;

use super::{f, v, Args, Func};
use crate::lang::types::{convert, Type};
use crate::lang::Value;

pub(super) const FUNCS: &[Func] = &[
    f("alltrue", &["list"], |a| {
        Ok(bools(a)?.iter().all(|b| *b).into())
    }),
    f("anytrue", &["list"], |a| {
        Ok(bools(a)?.iter().any(|b| *b).into())
    }),
    f("chunklist", &["list", "size"], chunklist),
    v("coalesce", &[], "vals", coalesce),
    v("coalescelist", &[], "vals", coalescelist),
    f("compact", &["list"], compact),
    v("concat", &[], "seqs", concat).unknown_elements(),
    f("contains", &["list", "value"], |a| {
        Ok(a.seq(0)?.contains(a.raw(1)).into())
    }),
    f("distinct", &["list"], distinct),
    f("element", &["list", "index"], element).unknown_elements(),
    f("flatten", &["list"], |a| {
        Ok(Value::List(flatten(a.seq(0)?)))
    }),
    f("index", &["list", "value"], index),
    f("keys", &["inputMap"], |a| {
        Ok(Value::List(
            a.map(0)?.into_keys().map(Value::String).collect(),
        ))
    })
    .unknown_elements(),
    f("length", &["value"], length).unknown_elements(),
    v("lookup", &["inputMap", "key"], "default", lookup).unknown_elements(),
    f("matchkeys", &["values", "keys", "searchset"], matchkeys),
    v("merge", &[], "maps", merge).unknown_elements(),
    f("one", &["list"], one).unknown_elements(),
    v("range", &[], "params", range),
    f("reverse", &["list"], |a| {
        Ok(Value::List(a.seq(0)?.into_iter().rev().collect()))
    })
    .unknown_elements(),
    v(
        "setintersection",
        &["first_set"],
        "other_sets",
        setintersection,
    ),
    v("setproduct", &[], "sets", setproduct),
    f("setsubtract", &["a", "b"], setsubtract),
    v("setunion", &["first_set"], "other_sets", setunion),
    f("slice", &["list", "start_index", "end_index"], slice).unknown_elements(),
    f("sort", &["list"], sort),
    f("sum", &["list"], sum),
    f("transpose", &["values"], transpose),
    f("values", &["mapping"], |a| {
        Ok(Value::List(a.map(0)?.into_values().collect()))
    })
    .unknown_elements(),
    f("zipmap", &["keys", "values"], zipmap),
];

fn bools(a: &Args) -> Result<Vec<bool>, String> {
    a.seq(0)?
        .into_iter()
        .map(|v| match convert(v, &Type::Bool) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(_) => Ok(false),
            Err(_) => Err(a.err(0, "list of bool required")),
        })
        .collect()
}

/// A non-negative whole number argument, as an index or size.
fn index_arg(a: &Args, i: usize, what: &str) -> Result<usize, String> {
    let n = a.int(i)?;
    usize::try_from(n).map_err(|_| a.err(i, format!("{what} must not be negative")))
}

fn chunklist(a: &Args) -> Result<Value, String> {
    let items = a.seq(0)?;
    let size = index_arg(a, 1, "the size argument")?;
    if size == 0 || items.is_empty() {
        return Ok(Value::List(if items.is_empty() {
            vec![]
        } else {
            vec![Value::List(items)]
        }));
    }
    Ok(Value::List(
        items
            .chunks(size)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

/// Unifies the arguments to one type (so `coalesce(1, "a")` yields a string), then picks
/// the first that is neither null nor an empty string.
fn coalesce(a: &Args) -> Result<Value, String> {
    let unified = convert(
        Value::List(a.rest(0).to_vec()),
        &Type::List(Box::new(Type::Any)),
    )
    .map_err(|_| a.err(0, "all arguments must have the same type"))?;
    let Value::List(items) = unified else {
        return Err(a.fail("unexpected argument"));
    };
    items
        .into_iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .ok_or_else(|| a.fail("no non-null, non-empty-string arguments"))
}

fn coalescelist(a: &Args) -> Result<Value, String> {
    for arg in a.rest(0) {
        match arg {
            Value::List(items) | Value::Set(items) if items.is_empty() => {}
            Value::List(_) | Value::Set(_) => return Ok(arg.clone()),
            _ => return Err(a.fail("coalescelist arguments must be lists or tuples")),
        }
    }
    Err(a.fail("no non-null arguments"))
}

fn compact(a: &Args) -> Result<Value, String> {
    let items = a.str_list_nullable(0)?;
    Ok(Value::List(
        items
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .map(Value::String)
            .collect(),
    ))
}

fn concat(a: &Args) -> Result<Value, String> {
    let mut out = Vec::new();
    for i in 0..a.len() {
        let items = a.seq(i).map_err(|_| {
            let got = type_word(a.raw(i));
            a.err(
                i,
                format!("all arguments must be lists or tuples; got {got}"),
            )
        })?;
        out.extend(items);
    }
    Ok(Value::List(out))
}

/// The list is unified to one element type first, so `["1", 1]` holds one element.
fn distinct(a: &Args) -> Result<Value, String> {
    let mut out: Vec<Value> = Vec::new();
    let list = a.typed(0, &Type::List(Box::new(Type::Any)))?;
    let Value::List(items) = list else {
        return Err(a.err(0, "list required"));
    };
    let mut seen = Members::new(Vec::new());
    for item in items {
        if seen.insert(&item) {
            out.push(item);
        }
    }
    Ok(Value::List(out))
}

/// The index wraps around the list's length, as in Terraform.
fn element(a: &Args) -> Result<Value, String> {
    let items = a.seq(0)?;
    let i = index_arg(a, 1, "the index")?;
    if items.is_empty() {
        return Err(a.fail("cannot use element function with an empty list"));
    }
    Ok(items[i % items.len()].clone())
}

fn flatten(items: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::List(inner) | Value::Set(inner) => out.extend(flatten(inner)),
            other => out.push(other),
        }
    }
    out
}

fn index(a: &Args) -> Result<Value, String> {
    let items = a.seq(0)?;
    let wanted = a.raw(1);
    items
        .iter()
        .position(|item| item == wanted)
        .map(|i| Value::number(i as f64))
        .ok_or_else(|| a.fail("item not found"))
}

fn length(a: &Args) -> Result<Value, String> {
    let n = match a.get(0)? {
        // Terraform counts grapheme clusters: "é" written as e + U+0301 is one.
        Value::String(s) => {
            unicode_segmentation::UnicodeSegmentation::graphemes(s.as_str(), true).count()
        }
        Value::List(items) | Value::Set(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => {
            return Err(a.fail("argument must be a string, a collection type, or a structural type"))
        }
    };
    Ok(Value::number(n as f64))
}

fn lookup(a: &Args) -> Result<Value, String> {
    if a.len() > 3 {
        return Err(a.fail(format!(
            "lookup() takes two or three arguments, got {}",
            a.len()
        )));
    }
    let map = a.map(0)?;
    let key = a.str(1)?;
    match (map.get(&key), a.len()) {
        (Some(v), _) => Ok(v.clone()),
        (None, 3) => Ok(a.raw(2).clone()),
        (None, _) => Err(a.err(0, format!("the given object has no attribute {key:?}"))),
    }
}

fn matchkeys(a: &Args) -> Result<Value, String> {
    let (values, keys, search) = (a.seq(0)?, a.seq(1)?, a.seq(2)?);
    if values.len() != keys.len() {
        return Err(a.fail("length of keys and values should be equal"));
    }
    // Keys and search set are compared after unifying their element types.
    let mut both = unified(vec![keys, search])
        .ok_or_else(|| a.err(2, "searchset must be of the same type as keys"))?
        .into_iter();
    let (keys, search) = (
        both.next().unwrap_or_default(),
        both.next().unwrap_or_default(),
    );
    let search = Members::new(search);
    let kept = values
        .into_iter()
        .zip(keys)
        .filter(|(_, k)| search.contains(k))
        .map(|(v, _)| v);
    Ok(Value::List(kept.collect()))
}

fn merge(a: &Args) -> Result<Value, String> {
    let mut out = BTreeMap::new();
    for arg in a.rest(0) {
        match arg {
            Value::Null => {}
            Value::Object(map) => out.extend(map.clone()),
            other => {
                return Err(a.fail(format!(
                    "arguments must be maps or objects, got {:?}",
                    type_word(other)
                )))
            }
        }
    }
    Ok(Value::Object(out))
}

fn one(a: &Args) -> Result<Value, String> {
    let items = a.seq(0)?;
    match items.as_slice() {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        _ => Err(a.err(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

const TOO_MANY_VALUES: &str = "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step";

/// `range(limit)`, `range(start, limit)` or `range(start, limit, step)`; capped at 1024
/// elements like Terraform.
fn range(a: &Args) -> Result<Value, String> {
    let (start, limit, step) = match a.len() {
        1 => (0.0, a.num(0)?, 1.0),
        2 => {
            let (s, l) = (a.num(0)?, a.num(1)?);
            (s, l, if l < s { -1.0 } else { 1.0 })
        }
        3 => (a.num(0)?, a.num(1)?, a.num(2)?),
        _ => return Err(a.fail("must have one, two, or three arguments")),
    };
    // A zero step never reaches the limit: Terraform reports it as too many values.
    if step == 0.0 && start != limit {
        return Err(a.fail(TOO_MANY_VALUES));
    }
    if (step > 0.0 && limit < start) || (step < 0.0 && limit > start) {
        return Err(a.fail(if step > 0.0 {
            "start must be less than or equal to limit when step is positive"
        } else {
            "start must be greater than or equal to limit when step is negative"
        }));
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < limit) || (step < 0.0 && x > limit) {
        if out.len() >= 1024 {
            return Err(a.fail(TOO_MANY_VALUES));
        }
        out.push(Value::number(x));
        x += step;
    }
    Ok(Value::List(out))
}

fn sets(a: &Args) -> Result<Vec<Vec<Value>>, String> {
    (0..a.len()).map(|i| a.seq(i)).collect()
}

/// The given sequences with their elements converted to one common type, so that
/// `1` and `"1"` compare equal, as when Terraform unifies set arguments.
fn unified(seqs: Vec<Vec<Value>>) -> Option<Vec<Vec<Value>>> {
    let lens: Vec<usize> = seqs.iter().map(Vec::len).collect();
    let all = Value::List(seqs.into_iter().flatten().collect());
    let Ok(Value::List(mut flat)) = convert(all, &Type::List(Box::new(Type::Any))) else {
        return None;
    };
    let mut out = Vec::with_capacity(lens.len());
    for len in lens {
        let rest = flat.split_off(len.min(flat.len()));
        out.push(std::mem::replace(&mut flat, rest));
    }
    Some(out)
}

fn unified_sets(a: &Args) -> Result<Vec<Vec<Value>>, String> {
    unified(sets(a)?).ok_or_else(|| a.fail("given sets must all have compatible element types"))
}

fn setintersection(a: &Args) -> Result<Value, String> {
    let mut all = unified_sets(a)?.into_iter();
    let first = all.next().unwrap_or_default();
    // Membership by sort key, so that large sets are not compared pairwise.
    let rest: Vec<Members> = all.map(Members::new).collect();
    Ok(Value::set(
        first
            .into_iter()
            .filter(|v| rest.iter().all(|s| s.contains(v)))
            .collect(),
    ))
}

fn setsubtract(a: &Args) -> Result<Value, String> {
    let mut all = unified_sets(a)?.into_iter();
    let (first, second) = (
        all.next().unwrap_or_default(),
        all.next().unwrap_or_default(),
    );
    let second = Members::new(second);
    Ok(Value::set(
        first.into_iter().filter(|v| !second.contains(v)).collect(),
    ))
}

/// A set's elements bucketed by sort key, so that membership of large sets is not a
/// pairwise comparison. Equal values have equal keys; a key may be shared by unequal
/// numbers (it keeps ten decimals), hence the buckets.
struct Members(BTreeMap<String, Vec<Value>>);

impl Members {
    fn new(items: Vec<Value>) -> Members {
        let mut buckets: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for item in items {
            buckets.entry(item.sort_key()).or_default().push(item);
        }
        Members(buckets)
    }

    fn contains(&self, v: &Value) -> bool {
        self.0.get(&v.sort_key()).is_some_and(|b| b.contains(v))
    }

    /// Adds `v`; false if it was there already.
    fn insert(&mut self, v: &Value) -> bool {
        let bucket = self.0.entry(v.sort_key()).or_default();
        if bucket.contains(v) {
            return false;
        }
        bucket.push(v.clone());
        true
    }
}

fn setunion(a: &Args) -> Result<Value, String> {
    let all: Vec<Value> = sets(a)?.into_iter().flatten().collect();
    let unified = convert(Value::List(all), &Type::Set(Box::new(Type::Any)))
        .map_err(|_| a.fail("given sets must all have compatible element types"))?;
    Ok(unified)
}

/// Every combination of one element from each argument; a list if any argument is a list.
fn setproduct(a: &Args) -> Result<Value, String> {
    if a.len() < 2 {
        return Err(a.fail("at least two arguments are required"));
    }
    let inputs = sets(a)?;
    let rows = inputs
        .iter()
        .try_fold(1usize, |n, input| n.checked_mul(input.len()))
        .unwrap_or(usize::MAX);
    crate::limits::check_elements(rows).map_err(|e| a.fail(e))?;
    let mut combos: Vec<Vec<Value>> = vec![vec![]];
    for input in &inputs {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                input
                    .iter()
                    .map(move |item| [prefix.clone(), vec![item.clone()]].concat())
            })
            .collect();
    }
    let rows = combos.into_iter().map(Value::List).collect();
    let any_list = a.rest(0).iter().any(|v| matches!(v, Value::List(_)));
    Ok(if any_list {
        Value::List(rows)
    } else {
        Value::set(rows)
    })
}

fn slice(a: &Args) -> Result<Value, String> {
    let items = a.seq(0)?;
    let start = index_arg(a, 1, "start index")?;
    let end = index_arg(a, 2, "end index")?;
    if end > items.len() {
        return Err(a.err(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(a.err(1, "start index must not be greater than end index"));
    }
    Ok(Value::List(items[start..end].to_vec()))
}

fn sort(a: &Args) -> Result<Value, String> {
    let mut items = a.str_list(0)?;
    items.sort();
    Ok(Value::List(items.into_iter().map(Value::String).collect()))
}

fn sum(a: &Args) -> Result<Value, String> {
    let items = a.seq(0)?;
    if items.is_empty() {
        return Err(a.fail("cannot sum an empty list"));
    }
    let mut total = 0.0;
    for item in items {
        match convert(item, &Type::Number) {
            Ok(Value::Number(n)) => total += n.0,
            _ => return Err(a.fail("argument must be list, set, or tuple of number values")),
        }
    }
    Ok(Value::number(total))
}

fn transpose(a: &Args) -> Result<Value, String> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, list) in a.map(0)? {
        let (Value::List(items) | Value::Set(items)) = list else {
            return Err(a.err(0, "map of list of string required"));
        };
        for item in items {
            let Ok(Value::String(s)) = convert(item, &Type::String) else {
                return Err(a.err(0, "map of list of string required"));
            };
            out.entry(s).or_default().push(key.clone());
        }
    }
    let entries = out.into_iter().map(|(k, mut v)| {
        v.sort();
        (k, Value::List(v.into_iter().map(Value::String).collect()))
    });
    Ok(Value::Object(entries.collect()))
}

fn zipmap(a: &Args) -> Result<Value, String> {
    let (keys, values) = (a.str_list(0)?, a.seq(1)?);
    if keys.len() != values.len() {
        return Err(a.fail(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        )));
    }
    Ok(Value::Object(keys.into_iter().zip(values).collect()))
}

/// How cty names a value's type in messages.
fn type_word(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "tuple",
        Value::Object(_) => "object",
        other => other.type_name(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (r#"alltrue([true, "true"])"#, r#"true"#),
            (r#"alltrue([])"#, r#"true"#),
            (r#"anytrue([false, "true"])"#, r#"true"#),
            (r#"anytrue([])"#, r#"false"#),
            (r#"chunklist([1, 2, 3, 4, 5], 2)"#, r#"[[1,2],[3,4],[5]]"#),
            (r#"chunklist([], 2)"#, r#"[]"#),
            (r#"coalesce("", "a", "b")"#, r#""a""#),
            (r#"coalesce(null, 1, "a")"#, r#""1""#),
            (
                r#"coalesce("", null)"#,
                r#"!no non-null, non-empty-string arguments"#,
            ),
            (r#"coalescelist([], ["a"], ["b"])"#, r#"["a"]"#),
            (r#"compact(["a", "", null, "b"])"#, r#"["a","b"]"#),
            (r#"concat([1], ["a", true], [])"#, r#"[1,"a",true]"#),
            (r#"contains(["a", "b"], "b")"#, r#"true"#),
            (r#"contains([1, 2], "1")"#, r#"false"#),
            (r#"distinct([1, 2, 1, 3, 2])"#, r#"[1,2,3]"#),
            (r#"element(["a", "b", "c"], 4)"#, r#""b""#),
            (
                r#"element([], 0)"#,
                r#"!cannot use element function with an empty list"#,
            ),
            (r#"flatten([[1, [2]], 3, [], [[["x"]]]])"#, r#"[1,2,3,"x"]"#),
            (r#"index(["a", "b"], "b")"#, r#"1"#),
            (r#"index(["a", "b"], "c")"#, r#"!item not found"#),
            (r#"keys({b = 1, a = 2})"#, r#"["a","b"]"#),
            (r#"values({b = 1, a = 2})"#, r#"[2,1]"#),
            (r#"length({a = 1, b = 2})"#, r#"2"#),
            (r#"length("héllo")"#, r#"5"#),
            (r#"length("g\u0308x")"#, r#"2"#),
            (r#"length("👍🏽!")"#, r#"2"#),
            (r#"length([1, 2, 3])"#, r#"3"#),
            (r#"lookup({a = 1}, "a")"#, r#"1"#),
            (r#"lookup({a = 1}, "b", "dflt")"#, r#""dflt""#),
            (
                r#"lookup({a = 1}, "b")"#,
                r#"!the given object has no attribute "b""#,
            ),
            (
                r#"matchkeys(["a", "b", "c"], [1, 2, 3], [3, 1])"#,
                r#"["a","c"]"#,
            ),
            (
                r#"merge({a = 1, b = 2}, null, {a = 3, c = {d = 4}})"#,
                r#"{"a":3,"b":2,"c":{"d":4}}"#,
            ),
            (r#"one([])"#, r#"null"#),
            (r#"one(["x"])"#, r#""x""#),
            (
                r#"one([1, 2])"#,
                r#"!must be a list, set, or tuple value with either zero or one elements"#,
            ),
            (r#"range(3)"#, r#"[0,1,2]"#),
            (r#"range(1, 4)"#, r#"[1,2,3]"#),
            (r#"range(1, 0, -0.5)"#, r#"[1,0.5]"#),
            (r#"range(0, 10, 3)"#, r#"[0,3,6,9]"#),
            (r#"reverse([1, 2, 3])"#, r#"[3,2,1]"#),
            (
                r#"setintersection(["a", "b", "c"], ["b", "c", "d"], ["c", "b"])"#,
                r#"["b","c"]"#,
            ),
            (
                r#"setproduct(["a", "b"], [1, 2])"#,
                r#"[["a",1],["a",2],["b",1],["b",2]]"#,
            ),
            (r#"setsubtract(["a", "b", "c"], ["b"])"#, r#"["a","c"]"#),
            (r#"setunion(["b"], ["a", "b"], ["c"])"#, r#"["a","b","c"]"#),
            (r#"slice(["a", "b", "c", "d"], 1, 3)"#, r#"["b","c"]"#),
            (
                r#"slice([1, 2, 3], 2, 1)"#,
                r#"!start index must not be greater than end index"#,
            ),
            (r#"sort(["b", "a", "10", "B"])"#, r#"["10","B","a","b"]"#),
            (r#"sort([3, 1, 20])"#, r#"["1","20","3"]"#),
            (r#"sum([1, 2.5, "3"])"#, r#"6.5"#),
            (r#"sum([])"#, r#"!cannot sum an empty list"#),
            (
                r#"transpose({a = ["1", "2"], b = ["2", "3"]})"#,
                r#"{"1":["a"],"2":["a","b"],"3":["b"]}"#,
            ),
            (
                r#"zipmap(["a", "b"], [1, {c = 2}])"#,
                r#"{"a":1,"b":{"c":2}}"#,
            ),
            (
                r#"setproduct(["a", "b"], ["1", "2"])"#,
                r#"[["a","1"],["a","2"],["b","1"],["b","2"]]"#,
            ),
            (r#"range(1, 10, 3)"#, r#"[1,4,7]"#),
            (
                r#"length(5)"#,
                r#"!argument must be a string, a collection type, or a structural type"#,
            ),
            (
                r#"length(null)"#,
                r#"!Invalid value for "value" parameter: argument must not be null."#,
            ),
            (
                r#"keys([1])"#,
                r#"!Invalid value for "inputMap" parameter: must have map or object type."#,
            ),
            (
                r#"merge([1])"#,
                r#"!arguments must be maps or objects, got "tuple""#,
            ),
            (
                r#"lookup({a = 1}, "a", 1, 2)"#,
                r#"!lookup() takes two or three arguments, got 4"#,
            ),
            (r#"flatten(toset([1]))"#, r#"[1]"#),
            (r#"contains(toset(["a"]), "a")"#, r#"true"#),
            (r#"distinct(["a", 1, "1"])"#, r#"["a","1"]"#),
            (
                r#"concat(["a"], "b")"#,
                r#"!all arguments must be lists or tuples; got string"#,
            ),
            (r#"range(0)"#, r#"[]"#),
            (r#"range(5, 1)"#, r#"[5,4,3,2]"#),
            (
                r#"range(1, 2, 0)"#,
                r#"!more than 1024 values were generated"#,
            ),
            (
                r#"setproduct(["a"])"#,
                r#"!at least two arguments are required"#,
            ),
            (r#"chunklist([1, 2], 0)"#, r#"[[1,2]]"#),
            (
                r#"zipmap(["a"], [1, 2])"#,
                r#"!number of keys (1) does not match number of values (2)"#,
            ),
            (r#"setunion([1], ["a"])"#, r#"["1","a"]"#),
            (r#"setintersection([1, 2], ["1"])"#, r#"["1"]"#),
            (r#"setsubtract(["1", "2"], [1])"#, r#"["2"]"#),
            (r#"matchkeys(["a"], ["1"], [1])"#, r#"["a"]"#),
            (r#"index(["1"], 1)"#, r#"!item not found"#),
            (r#"contains(["1"], 1)"#, r#"false"#),
            (r#"compact([1, "", "x"])"#, r#"["1","x"]"#),
            (r#"sort([1, "b"])"#, r#"["1","b"]"#),
            (r#"reverse(toset(["b", "a"]))"#, r#"["b","a"]"#),
            (r#"flatten([{a = 1}, [2]])"#, r#"[{"a":1},2]"#),
            (r#"merge({a = 1}, {a = {b = 2}})"#, r#"{"a":{"b":2}}"#),
            (
                r#"coalescelist(null, [1])"#,
                r#"!coalescelist arguments must be lists or tuples"#,
            ),
            (r#"alltrue([null])"#, r#"false"#),
            (r#"sum([0.1, 0.2])"#, r#"0.3"#),
            (r#"zipmap([], [])"#, r#"{}"#),
            (r#"transpose({})"#, r#"{}"#),
        ]);
    }
}
