//! A resource body evaluated into its object: arguments by name, nested blocks as lists of
//! objects under their block type (as Terraform's state holds them), `dynamic` blocks expanded
//! in place. The planner, apply and check blocks all evaluate bodies through here, each with
//! its own expression evaluator.

use std::collections::BTreeMap;

use crate::config::{Body, Dynamic, Expr, NestedBlock};
use crate::diagnostics::Diagnostic;
use crate::lang::Value;

/// Names bound while evaluating a `dynamic` block's content: each iterator, innermost last.
pub type Bound = [(String, Value)];

/// Evaluates `body`; `eval` evaluates one expression with the iterators bound so far.
/// A `dynamic` block's bad `for_each` is an error at that expression.
pub fn body_value<E: From<Diagnostic>>(
    body: &Body,
    eval: &mut impl FnMut(&Expr, &Bound) -> Result<Value, E>,
) -> Result<Value, E> {
    let mut bound = Vec::new();
    value_in(body, eval, &mut bound)
}

fn value_in<E: From<Diagnostic>>(
    body: &Body,
    eval: &mut impl FnMut(&Expr, &Bound) -> Result<Value, E>,
    bound: &mut Vec<(String, Value)>,
) -> Result<Value, E> {
    let mut m = BTreeMap::new();
    for (k, e) in &body.attrs {
        m.insert(k.clone(), eval(e, bound)?);
    }
    for b in &body.blocks {
        let generated = match &b.dynamic {
            None => Some(vec![value_in(&b.body, eval, bound)?]),
            Some(d) => expand(b, d, eval, bound)?,
        };
        let slot = m
            .entry(b.ty.clone())
            .or_insert_with(|| Value::List(Vec::new()));
        match (generated, slot) {
            (Some(items), Value::List(list)) => list.extend(items),
            // An unknown `for_each` makes the whole list of blocks of this type unknown.
            (None, slot) => *slot = Value::Unknown,
            (Some(_), _) => {}
        }
    }
    Ok(Value::Object(m))
}

/// The blocks one `dynamic` block generates, in `for_each` order; `None` when `for_each` is
/// not known yet.
fn expand<E: From<Diagnostic>>(
    b: &NestedBlock,
    d: &Dynamic,
    eval: &mut impl FnMut(&Expr, &Bound) -> Result<Value, E>,
    bound: &mut Vec<(String, Value)>,
) -> Result<Option<Vec<Value>>, E> {
    let coll = eval(&d.for_each, bound)?;
    let Some(pairs) = pairs(&coll).map_err(|detail| invalid(&d.for_each, detail))? else {
        return Ok(None);
    };
    // Terraform (HCL's dynblock) accepts a sensitive `for_each` and carries the mark into the
    // generated blocks: here every read of the iterator is sensitive.
    let marked = coll.has_sensitive();
    let mark = |v: Value| if marked { v.sensitive() } else { v };
    let mut out = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        let iter = BTreeMap::from([
            ("key".to_owned(), mark(key)),
            ("value".to_owned(), mark(value)),
        ]);
        bound.push((d.iterator.clone(), Value::Object(iter)));
        let v = value_in(&b.body, eval, bound);
        bound.pop();
        out.push(v?);
    }
    Ok(Some(out))
}

/// `(key, value)` per element: index for lists, the element for sets, key for maps and
/// objects. `Ok(None)` when not known yet.
fn pairs(coll: &Value) -> Result<Option<Vec<(Value, Value)>>, String> {
    if coll.has_unknown() && !matches!(coll.unmarked(), Value::List(_) | Value::Object(_)) {
        return Ok(None);
    }
    Ok(Some(match coll.unmarked().clone() {
        Value::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::number(i as f64), v))
            .collect(),
        Value::Set(items) => items.into_iter().map(|v| (v.clone(), v)).collect(),
        Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        Value::Null => return Err("Cannot use a null value in for_each.".into()),
        other => {
            return Err(format!(
                "Cannot use a {} value in for_each. An iterable collection is required.",
                other.type_name()
            ))
        }
    }))
}

fn invalid<E: From<Diagnostic>>(e: &Expr, detail: String) -> E {
    Diagnostic::error(
        "plan::dynamic_for_each",
        format!("Invalid dynamic for_each value: {detail}"),
    )
    .at(e.file, e.span())
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lower::lower_file;
    use crate::config::Config;
    use crate::lang::eval::{eval_bound, VarScope};
    use serde_json::json;

    /// The body of `resource "t" "r"` in `text`, evaluated with `var` bound to `vars`.
    fn expand_text(text: &str, vars: serde_json::Value) -> Result<Value, Diagnostic> {
        let mut config = Config::default();
        let id = config
            .sources
            .add("main.tf".into(), "main.tf".into(), text.to_owned());
        let mut body = hcl_edit::parser::parse_body(text).expect("parses");
        let mut diags = Vec::new();
        lower_file(&mut config, id, &mut body, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let vars = BTreeMap::from([("var".to_owned(), Value::from_json(&vars))]);
        let scope = VarScope {
            vars: &vars,
            base_dir: std::path::Path::new("."),
        };
        body_value(&config.resources["t.r"].body, &mut |e, bound| {
            eval_bound(&e.expr, &scope, bound)
                .map_err(|err| Diagnostic::error("test", err.message).at(e.file, err.span))
        })
    }

    fn json_of(v: Value) -> serde_json::Value {
        v.to_json()
    }

    #[test]
    fn maps_lists_and_sets_give_key_and_value_in_order_among_static_blocks() {
        let text = r#"
resource "t" "r" {
  env { name = "FIRST" }
  dynamic "env" {
    for_each = var.m
    content {
      name  = env.key
      value = env.value
    }
  }
  env { name = "LAST" }
  dynamic "item" {
    for_each = var.l
    iterator = it
    content {
      at = it.key
      v  = it.value
    }
  }
  dynamic "tag" {
    for_each = toset(var.l)
    content { k = tag.key }
  }
}
"#;
        let v = expand_text(text, json!({"m": {"B": "2", "A": "1"}, "l": ["y", "x"]}));
        assert_eq!(
            json_of(v.expect("expands")),
            json!({
                "env": [
                    {"name": "FIRST"},
                    {"name": "A", "value": "1"},
                    {"name": "B", "value": "2"},
                    {"name": "LAST"}
                ],
                "item": [{"at": 0, "v": "y"}, {"at": 1, "v": "x"}],
                "tag": [{"k": "x"}, {"k": "y"}]
            })
        );
    }

    #[test]
    fn nested_dynamic_blocks_see_the_outer_iterator() {
        let text = r#"
resource "t" "r" {
  dynamic "containers" {
    for_each = var.cs
    iterator = c
    content {
      image = c.value.image
      dynamic "env" {
        for_each = c.value.env
        content { name = "${c.key}-${env.key}" }
      }
    }
  }
}
"#;
        let v = expand_text(
            text,
            json!({"cs": [{"image": "a", "env": {"X": 1}}, {"image": "b", "env": {}}]}),
        );
        assert_eq!(
            json_of(v.expect("expands")),
            json!({"containers": [
                {"image": "a", "env": [{"name": "0-X"}]},
                {"image": "b", "env": []}
            ]})
        );
    }

    #[test]
    fn unknown_for_each_makes_the_block_list_unknown() {
        let text = r#"
resource "t" "r" {
  env { name = "STATIC" }
  dynamic "env" {
    for_each = var.m
    content { name = env.key }
  }
}
"#;
        let v = expand_text(text, json!({"m": null}));
        assert!(v.is_err(), "null for_each is an error");
        let unknown = {
            let mut body = hcl_edit::parser::parse_body(text).expect("parses");
            let mut config = Config::default();
            let id = config
                .sources
                .add("main.tf".into(), "main.tf".into(), text.into());
            lower_file(&mut config, id, &mut body, &mut Vec::new());
            body_value(&config.resources["t.r"].body, &mut |e, _| {
                Ok::<_, Diagnostic>(if crate::lang::refs::references(&e.expr).is_empty() {
                    Value::string("STATIC")
                } else {
                    Value::Unknown
                })
            })
        };
        let Value::Object(m) = unknown.expect("evaluates") else {
            panic!("an object")
        };
        assert_eq!(m["env"], Value::Unknown);
    }

    #[test]
    fn bad_for_each_values_are_errors_at_the_expression() {
        let text = "resource \"t\" \"r\" {\n  dynamic \"env\" {\n    for_each = var.x\n    content {}\n  }\n}\n";
        let at = text.find("var.x").expect("in text");
        for (x, words) in [
            (json!(null), "null value"),
            (json!("text"), "string value"),
            (json!(3), "number value"),
        ] {
            let err = expand_text(text, json!({ "x": x })).expect_err("refused");
            assert!(
                err.message.contains("Invalid dynamic for_each value"),
                "{}",
                err.message
            );
            assert!(err.message.contains(words), "{}", err.message);
            assert_eq!(err.location.map(|l| l.1), Some(at..at + 5));
        }
    }

    #[test]
    fn a_sensitive_for_each_marks_what_reads_the_iterator() {
        let text = r#"
resource "t" "r" {
  dynamic "env" {
    for_each = sensitive(var.m)
    content {
      name  = env.key
      fixed = "plain"
    }
  }
}
"#;
        let Value::Object(m) = expand_text(text, json!({"m": {"A": "1"}})).expect("expands") else {
            panic!("an object")
        };
        let Value::List(envs) = &m["env"] else {
            panic!("a list")
        };
        let Value::Object(env) = &envs[0] else {
            panic!("an object")
        };
        assert!(env["name"].has_sensitive());
        assert!(!env["fixed"].has_sensitive());
    }
}
