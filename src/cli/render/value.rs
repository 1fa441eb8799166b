//! Renders values the way Terraform's plan shows them: HCL-like literals, `(sensitive value)`,
//! `(known after apply)`, multi-line strings as heredocs.

use std::fmt::Write;

use crate::lang::Value;

/// Renders `v` for a line whose key starts at column `indent`: nested items go four columns
/// further in, after a two-column marker column (blank here), and the closing bracket lines up
/// with the key, as Terraform prints them.
pub fn render(v: &Value, indent: usize) -> String {
    render_marked(v, indent, " ")
}

/// [`render`] with every nested item marked (`+` in a creation, `-` in a deletion), as
/// Terraform marks the elements of a collection that appears or disappears whole.
pub fn render_marked(v: &Value, indent: usize, mark: &str) -> String {
    let mut s = String::new();
    write_value(&mut s, v, indent, mark);
    s
}

fn write_value(out: &mut String, v: &Value, indent: usize, mark: &str) {
    let pad = " ".repeat(indent);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) if s.contains('\n') => {
            out.push_str("<<-EOT\n");
            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                let _ = writeln!(out, "{pad}    {line}");
            }
            let _ = write!(out, "{pad}EOT");
        }
        Value::String(s) => out.push_str(&quote(s)),
        Value::Unknown => out.push_str("(known after apply)"),
        Value::Sensitive(_) => out.push_str("(sensitive value)"),
        Value::List(items) | Value::Set(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for item in items {
                let _ = write!(out, "{pad}  {mark} ");
                write_value(out, item, indent + 4, mark);
                out.push_str(",\n");
            }
            let _ = write!(out, "{pad}]");
        }
        Value::Object(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{\n");
            let width = m.keys().map(|k| key(k).len()).max().unwrap_or(0);
            for (k, item) in m {
                let _ = write!(out, "{pad}  {mark} {:width$} = ", key(k));
                write_value(out, item, indent + 4, mark);
                out.push('\n');
            }
            let _ = write!(out, "{pad}}}");
        }
    }
}

pub(super) fn key(k: &str) -> String {
    let ident = !k.is_empty()
        && k.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_owned()
    } else {
        quote(k)
    }
}

/// A string literal as HCL writes it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_terraform() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(
            "a".to_owned(),
            Value::List(vec![Value::number(1.0), Value::Unknown]),
        );
        m.insert("secret".to_owned(), Value::string("x").sensitive());
        assert_eq!(
            render(&Value::Object(m), 0),
            "{\n    a      = [\n        1,\n        (known after apply),\n    ]\n    secret = (sensitive value)\n}"
        );
        let list = Value::List(vec![Value::string("x")]);
        assert_eq!(
            render_marked(&list, 8, "+"),
            "[\n          + \"x\",\n        ]"
        );
    }
}
