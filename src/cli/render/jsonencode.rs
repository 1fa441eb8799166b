//! A string holding a JSON document (an IAM policy, an OpenAPI `body`, a `jsonencode`d
//! value) shown as Terraform shows it: `jsonencode(...)` around the document, with a change
//! diffed inside it key by key instead of two unreadable one-line strings.

use crate::lang::Value;
use crate::plan::Action;

use super::plan::{list_diff, object_diff};
use super::style::Style;
use super::value::render_marked;

/// Both sides as documents, when either side is a JSON object or array in a string and the
/// other is one too, or null, or unknown.
pub fn documents(b: &Value, a: &Value) -> Option<(Value, Value)> {
    let doc = |v: &Value| match v {
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
            serde_json::from_str::<serde_json::Value>(s)
                .ok()
                .map(|j| Value::from_json(&j))
        }
        _ => None,
    };
    let other = |v: &Value| matches!(v, Value::Null | Value::Unknown);
    match (doc(b), doc(a)) {
        (Some(x), Some(y)) => Some((x, y)),
        (Some(x), None) if other(a) => Some((x, a.clone())),
        (None, Some(y)) if other(b) => Some((b.clone(), y)),
        _ => None,
    }
}

/// The attribute line for documents `b` → `a` (from [`documents`]), the key at column `col`.
pub fn line(key: &str, b: &Value, a: &Value, action: &Action, st: &Style, col: usize) -> String {
    let pad = " ".repeat(col);
    let (plus, minus, tilde) = (st.green("+"), st.red("-"), st.yellow("~"));
    let inner = col + 4;
    let (mark, body) = match (action, b, a) {
        (Action::Create, _, a) | (_, Value::Null, a) => (
            plus.clone(),
            format!("  {}", render_marked(a, inner + 2, &plus)),
        ),
        (_, b, Value::Unknown) => {
            let shown = render_marked(b, inner + 2, " ");
            return format!(
                "{pad}{tilde} {key} = jsonencode(\n{pad}      {shown}\n{pad}  ) -> (known after apply)"
            );
        }
        (Action::Delete { .. }, b, _) | (_, b, Value::Null) => {
            let shown = format!("  {}", render_marked(b, inner + 2, &minus));
            return format!("{pad}{minus} {key} = jsonencode(\n{pad}    {shown}\n{pad}  ) -> null");
        }
        (_, Value::Object(x), Value::Object(y)) => (
            tilde.clone(),
            format!("{tilde} {}", object_diff(x, y, st, inner)),
        ),
        (_, Value::List(x), Value::List(y)) => (
            tilde.clone(),
            format!("{tilde} {}", list_diff(x, y, st, inner + 2)),
        ),
        (_, b, a) => {
            let text = format!(
                "{tilde} {} -> {}",
                render_marked(b, inner + 2, &minus),
                render_marked(a, inner + 2, &plus)
            );
            (tilde.clone(), text)
        }
    };
    format!("{pad}{mark} {key} = jsonencode(\n{pad}    {body}\n{pad}  )")
}
