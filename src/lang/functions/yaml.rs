//! YAML for `yamlencode` and `yamldecode`. Encoding is written here to reproduce the layout
//! of Terraform's go-yaml emitter (double-quoted keys and strings, literal blocks for
//! multi-line text, sequences not indented under their key); decoding uses yaml-rust2.

use yaml_rust2::{Yaml, YamlLoader};

use crate::lang::Value;

/// Encodes a value as one YAML document.
pub(super) fn encode(value: &Value) -> String {
    let mut out = String::new();
    match value.unmarked() {
        Value::Object(map) if !map.is_empty() => write_map(map, 0, false, &mut out),
        Value::List(items) | Value::Set(items) if !items.is_empty() => {
            write_seq(items, 0, false, &mut out)
        }
        scalar => {
            write_scalar(scalar, 2, &mut out);
            // go-yaml ends a document that is a single plain scalar with an explicit marker.
            if matches!(
                scalar,
                Value::Null | Value::Unknown | Value::Bool(_) | Value::Number(_)
            ) {
                out.push_str("...\n");
            }
        }
    }
    out
}

fn write_map(
    map: &std::collections::BTreeMap<String, Value>,
    indent: usize,
    inline_first: bool,
    out: &mut String,
) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        quote(key, out);
        out.push(':');
        match value.unmarked() {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                write_map(m, indent + 2, false, out);
            }
            Value::List(items) | Value::Set(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(items, indent, false, out);
            }
            scalar => {
                out.push(' ');
                write_scalar(scalar, indent + 2, out);
            }
        }
    }
}

fn write_seq(items: &[Value], indent: usize, inline_first: bool, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item.unmarked() {
            Value::Object(m) if !m.is_empty() => write_map(m, indent + 2, true, out),
            Value::List(inner) | Value::Set(inner) if !inner.is_empty() => {
                write_seq(inner, indent + 2, true, out)
            }
            scalar => write_scalar(scalar, indent + 2, out),
        }
    }
}

/// Writes a scalar (or empty collection) followed by a newline; `indent` is where the lines
/// of a literal block go.
fn write_scalar(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&crate::lang::types::number_text(n.0)),
        Value::String(s) if block_allowed(s) => return write_block(s, indent, out),
        Value::String(s) => quote(s, out),
        Value::List(_) | Value::Set(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
        Value::Sensitive(inner) => return write_scalar(inner, indent, out),
    }
    out.push('\n');
}

/// Characters go-yaml can print as they are; anything else forces double quotes.
fn printable(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

/// go-yaml uses a literal block for multi-line text unless some line ends in a space or
/// the text holds characters that need escaping.
fn block_allowed(s: &str) -> bool {
    s.contains('\n') && s.chars().all(printable) && !s.contains(" \n")
}

fn write_block(s: &str, indent: usize, out: &mut String) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    if !s.ends_with('\n') {
        out.push('-');
    } else if s.len() == 1 || s.ends_with("\n\n") {
        out.push('+');
    }
    out.push('\n');
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out.push('"');
}

/// Decodes one YAML document; an empty source is an error, as in Terraform.
pub(super) fn decode(src: &str) -> Result<Value, String> {
    let docs = YamlLoader::load_from_str(src).map_err(|e| {
        format!(
            "on line {}, column {}: {}",
            e.marker().line(),
            e.marker().col() + 1,
            e.info()
        )
    })?;
    match docs.as_slice() {
        [] => Err("on line 1, column 1: missing start of document".into()),
        [doc] => from_yaml(doc),
        _ => Err("unexpected extra content after value".into()),
    }
}

fn from_yaml(y: &Yaml) -> Result<Value, String> {
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::number(*i as f64),
        Yaml::Real(text) => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Value::number(n),
            _ => return Err(format!("cannot represent {text:?} as a number")),
        },
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => Value::List(items.iter().map(from_yaml).collect::<Result<_, _>>()?),
        Yaml::Hash(hash) => {
            let mut map = std::collections::BTreeMap::new();
            for (k, v) in hash {
                let key = match from_yaml(k)? {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => "null".into(),
                    _ => return Err("only scalar mapping keys are supported".into()),
                };
                map.insert(key, from_yaml(v)?);
            }
            Value::Object(map)
        }
        Yaml::Alias(_) | Yaml::BadValue => return Err("unsupported YAML construct".into()),
    })
}
