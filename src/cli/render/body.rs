//! One object's attributes and nested blocks in a plan, Terraform's way: nested blocks as
//! `+ template {` blocks rather than lists of objects, nulls and empty blocks left out of a
//! creation, unchanged attributes and blocks of an update counted in `# (N ... hidden)`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::cli::render::plan::{attr_line_at, Scope};
use crate::lang::Value;
use crate::plan::Action;
use crate::schema::{Attribute, BlockSchema};

/// The schema of one level: its attributes and its nested block types.
#[derive(Clone, Copy)]
pub struct Level<'a> {
    pub attributes: &'a BTreeMap<String, Attribute>,
    pub blocks: &'a BTreeMap<String, BlockSchema>,
}

/// Attributes an update shows even unchanged, as Terraform does: they say which object it is.
const IDENTIFYING: &[&str] = &["id", "name", "tags"];

/// Writes the inside of a block whose symbol sits at column `col`: attributes, then nested
/// blocks, then the hidden counts.
pub fn render_body(
    out: &mut String,
    level: Level<'_>,
    before: &Value,
    after: &Value,
    action: &Action,
    col: usize,
    scope: &Scope<'_>,
) {
    let (bo, ao) = (object(before), object(after));
    let keys: BTreeSet<&String> = bo
        .keys()
        .chain(ao.keys())
        .filter(|k| !level.blocks.contains_key(k.as_str()))
        .collect();
    let null = Value::Null;
    let pairs: Vec<(&String, Value, Value)> = keys
        .into_iter()
        .map(|k| {
            let b = bo.get(k).unwrap_or(&null).clone();
            let a = ao.get(k).unwrap_or(&null).clone();
            match level.attributes.get(k.as_str()) {
                Some(attr) if attr.sensitive => {
                    let changed = b != a;
                    (k, hide(b, false), hide(a, changed))
                }
                _ => (k, b, a),
            }
        })
        .collect();
    // Align `=` over the lines actually shown, as Terraform does.
    let shown =
        |k: &str, b: &Value, a: &Value| attr_line_at(k, 0, b, a, action, scope.st, col).is_some();
    let width = pairs
        .iter()
        .filter(|(k, b, a)| shown(k, b, a))
        .map(|(k, _, _)| k.len())
        .max()
        .unwrap_or(0);
    let updating = matches!(
        action,
        Action::Update | Action::Replace { .. } | Action::Forget
    );
    // Terraform keeps the attributes that say which object this is in view, changed or not.
    let identifying = |k: &str, a: &Value| {
        updating && IDENTIFYING.contains(&k) && !a.is_null() && a.as_str() != Some("")
    };
    let width = pairs
        .iter()
        .filter(|(k, b, a)| shown(k, b, a) || identifying(k, a))
        .map(|(k, _, _)| k.len())
        .max()
        .unwrap_or(width);
    let mut hidden_attrs = 0;
    for (k, b, a) in &pairs {
        match attr_line_at(k, width, b, a, action, scope.st, col) {
            Some(line) => {
                out.push_str(&line);
                scope.mark_forced(out, k);
                out.push('\n');
            }
            None if identifying(k, a) => {
                let key = format!("{k:width$}");
                let _ = writeln!(
                    out,
                    "{}  {key} = {}",
                    " ".repeat(col),
                    crate::cli::render::value::render(a, col + 2)
                );
            }
            // An unset attribute that stays unset is not worth counting.
            None if a.is_null() => {}
            None => hidden_attrs += 1,
        }
    }
    if hidden_attrs > 0 && updating {
        let _ = writeln!(
            out,
            "{}# ({hidden_attrs} unchanged {} hidden)",
            " ".repeat(col + 2),
            plural(hidden_attrs, "attribute")
        );
    }
    let mut hidden_blocks = 0;
    for (name, schema) in level.blocks {
        if let Some(a) = ao
            .get(name)
            .filter(|a| matches!(a.unmarked(), Value::Unknown))
        {
            // Blocks only apply will know: one line, as for an attribute.
            let b = bo.get(name).unwrap_or(&null);
            if let Some(line) = attr_line_at(name, 0, b, a, action, scope.st, col) {
                let _ = writeln!(out, "{line}");
            }
            continue;
        }
        let (bs, as_) = (items(bo.get(name)), items(ao.get(name)));
        for i in 0..bs.len().max(as_.len()) {
            let (b, a) = (bs.get(i), as_.get(i));
            let block_action = match (b, a) {
                (Some(x), Some(y)) if x == y && !y.has_unknown() => {
                    hidden_blocks += 1;
                    continue;
                }
                (Some(_), Some(_)) => match action {
                    Action::Create | Action::Delete { .. } => action.clone(),
                    _ => Action::Update,
                },
                (None, Some(_)) => Action::Create,
                (Some(_), None) => Action::Delete {
                    reason: String::new(),
                },
                (None, None) => continue,
            };
            block(out, name, schema, b, a, &block_action, col, scope);
        }
    }
    if hidden_blocks > 0 && updating {
        let _ = writeln!(
            out,
            "\n{}# ({hidden_blocks} unchanged {} hidden)",
            " ".repeat(col + 2),
            plural(hidden_blocks, "block")
        );
    }
}

/// One nested block: its header line, its body four columns in, its closing brace.
#[allow(clippy::too_many_arguments)]
fn block(
    out: &mut String,
    name: &str,
    schema: &BlockSchema,
    before: Option<&Value>,
    after: Option<&Value>,
    action: &Action,
    col: usize,
    scope: &Scope<'_>,
) {
    let sym = match action {
        Action::Create => scope.st.green("+"),
        Action::Delete { .. } => scope.st.red("-"),
        _ => scope.st.yellow("~"),
    };
    let _ = write!(out, "{}{sym} {name} {{", " ".repeat(col));
    scope.mark_forced(out, name);
    out.push('\n');
    let level = Level {
        attributes: &schema.attributes,
        blocks: &schema.blocks,
    };
    let null = Value::Null;
    let inner = Scope {
        st: scope.st,
        forces: None,
    };
    render_body(
        out,
        level,
        before.unwrap_or(&null),
        after.unwrap_or(&null),
        action,
        col + 4,
        &inner,
    );
    let _ = writeln!(out, "{}}}", " ".repeat(col + 2));
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// The elements of a nested block's value (a list or set of objects; nothing when null).
fn items(v: Option<&Value>) -> Vec<Value> {
    match v.map(Value::unmarked) {
        Some(Value::List(items)) | Some(Value::Set(items)) => items.clone(),
        Some(Value::Object(_)) => vec![v.cloned().unwrap_or(Value::Null)],
        _ => Vec::new(),
    }
}

fn object(v: &Value) -> BTreeMap<String, Value> {
    match v.unmarked() {
        Value::Object(m) => m.clone(),
        _ => BTreeMap::new(),
    }
}

/// A schema-sensitive attribute's value as the renderer may see it: a placeholder that is
/// never the value, shown as `(sensitive value)` as Terraform shows it (also when only apply
/// will know it), and different from the `before` placeholder only when the value changes.
fn hide(v: Value, changed: bool) -> Value {
    if v.is_null() {
        v
    } else {
        Value::Sensitive(Box::new(Value::Bool(changed)))
    }
}
