//! YAML for `yamlencode` and `yamldecode`. Encoding is written here to reproduce the layout
//! of Terraform's go-yaml emitter (double-quoted keys and strings, literal blocks for
//! multi-line text, sequences not indented under their key); decoding uses yaml-rust2's
//! event parser with go-yaml's scalar resolution.

use std::collections::{BTreeMap, HashMap};

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

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

fn write_map(map: &BTreeMap<String, Value>, indent: usize, inline_first: bool, out: &mut String) {
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

/// Decodes one YAML document, resolving plain scalars the way Terraform's go-yaml fork
/// does (YAML 1.1 booleans such as `yes`/`on`, `0x`/`0o` integers, timestamps as RFC 3339
/// strings), so only the event parser of yaml-rust2 is used, not its YAML 1.2 resolver.
pub(crate) fn decode(src: &str) -> Result<Value, String> {
    let mut loader = Loader {
        parser: Parser::new_from_str(src),
        anchors: HashMap::new(),
        nodes: 0,
        depth: 0,
    };
    if loader.next()? != Event::StreamStart {
        return Err("on line 1, column 1: missing start of document".into());
    }
    match loader.next()? {
        Event::DocumentStart => {}
        _ => return Err("on line 1, column 1: missing start of document".into()),
    }
    let first = loader.next()?;
    let value = loader.node(first)?;
    match (loader.next()?, loader.next()?) {
        (Event::DocumentEnd, Event::StreamEnd) => Ok(value),
        _ => Err("on line 1, column 1: unexpected extra content after value".into()),
    }
}

/// Most nodes a document may expand to through aliases: a few lines of nested anchors can
/// otherwise stand for billions of nodes ("billion laughs"). go-yaml refuses such documents
/// with "document contains excessive aliasing"; keyway does the same past this count.
const MAX_NODES: usize = 1_000_000;

struct Loader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    /// Anchored values and how many nodes each stands for.
    anchors: HashMap<usize, (Value, usize)>,
    /// Nodes produced so far, aliases counted at their expanded size.
    nodes: usize,
    /// Sequences and mappings open around the current node; bounded because `node`
    /// recurses once per level.
    depth: usize,
}

impl Loader<'_> {
    fn next(&mut self) -> Result<Event, String> {
        self.parser.next_token().map(|(ev, _)| ev).map_err(|e| {
            format!(
                "on line {}, column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            )
        })
    }

    /// Records an anchored value; `first` is the node count when the value began.
    fn remember(&mut self, anchor: usize, value: &Value, first: usize) {
        if anchor > 0 {
            self.anchors
                .insert(anchor, (value.clone(), self.nodes - first));
        }
    }

    fn count(&mut self, n: usize) -> Result<(), String> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err("document contains excessive aliasing".into());
        }
        Ok(())
    }

    fn node(&mut self, ev: Event) -> Result<Value, String> {
        let first = self.nodes;
        if !matches!(ev, Event::Alias(_)) {
            self.count(1)?;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_ref())?;
                self.remember(anchor, &value, first);
                Ok(value)
            }
            Event::SequenceStart(anchor, tag) => {
                check_tag(tag.as_ref(), "seq")?;
                let value = Value::List(self.nested(Self::sequence)?);
                self.remember(anchor, &value, first);
                Ok(value)
            }
            Event::MappingStart(anchor, tag) => {
                check_tag(tag.as_ref(), "map")?;
                let value = Value::Object(self.nested(Self::mapping)?);
                self.remember(anchor, &value, first);
                Ok(value)
            }
            Event::Alias(id) => {
                let (value, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| "unknown anchor".to_string())?;
                self.count(size)?;
                Ok(value)
            }
            _ => Err("unexpected YAML event".into()),
        }
    }

    /// Reads a collection one level deeper, within [`crate::limits::MAX_DEPTH`].
    fn nested<T>(&mut self, read: fn(&mut Self) -> Result<T, String>) -> Result<T, String> {
        self.depth += 1;
        crate::limits::check_depth(self.depth, "the document's sequences and mappings")?;
        let result = read(self);
        self.depth -= 1;
        result
    }

    fn sequence(&mut self) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        loop {
            match self.next()? {
                Event::SequenceEnd => return Ok(items),
                ev => items.push(self.node(ev)?),
            }
        }
    }

    /// A mapping's entries; `<<` merges the entries of another mapping (or a list of them)
    /// without overriding keys given explicitly.
    fn mapping(&mut self) -> Result<BTreeMap<String, Value>, String> {
        let mut map = BTreeMap::new();
        let mut merged = BTreeMap::new();
        loop {
            let key_event = self.next()?;
            if key_event == Event::MappingEnd {
                break;
            }
            let is_merge =
                matches!(&key_event, Event::Scalar(k, TScalarStyle::Plain, _, None) if k == "<<");
            let key = self.node(key_event)?;
            let value_event = self.next()?;
            let value = self.node(value_event)?;
            if is_merge {
                merge_into(&mut merged, value)?;
                continue;
            }
            let key = match key {
                Value::String(s) => s,
                Value::Number(n) => crate::lang::types::number_text(n.0),
                Value::Bool(b) => b.to_string(),
                Value::Null => return Err("mapping key cannot be null".into()),
                _ => return Err("only strings are allowed as mapping keys".into()),
            };
            map.insert(key, value);
        }
        for (k, v) in merged {
            map.entry(k).or_insert(v);
        }
        Ok(map)
    }
}

fn merge_into(merged: &mut BTreeMap<String, Value>, value: Value) -> Result<(), String> {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                merged.entry(k).or_insert(v);
            }
            Ok(())
        }
        Value::List(items) => items
            .into_iter()
            .try_for_each(|item| merge_into(merged, item)),
        _ => Err("map merge requires map or sequence of maps as the value".into()),
    }
}

fn check_tag(tag: Option<&Tag>, expected: &str) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(t) if t.handle == "!!" && t.suffix == expected => Ok(()),
        Some(t) if t.handle == "tag:yaml.org,2002:" && t.suffix == expected => Ok(()),
        Some(t) => Err(format!("unsupported tag \"{}{}\"", t.handle, t.suffix)),
    }
}

/// Resolves one scalar: quoted and block scalars are strings; plain ones may be null,
/// booleans, numbers or timestamps; an explicit `!!str`/`!!int`/... tag decides itself.
fn scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        let known = tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:";
        return match (known, tag.suffix.as_str()) {
            // Terraform keeps quoted scalars as strings whatever their tag says.
            (true, "str") => Ok(Value::string(text)),
            (true, _) if style != TScalarStyle::Plain => Ok(Value::string(text)),
            (true, "int" | "float") => plain_number(text)
                .map(Value::number)
                .ok_or_else(|| format!("cannot decode {text:?} as {}", tag.suffix)),
            (true, "bool") => plain_bool(text)
                .map(Value::Bool)
                .ok_or_else(|| format!("cannot decode {text:?} as bool")),
            (true, "null") => Ok(Value::Null),
            (true, "timestamp") => Ok(Value::String(
                timestamp(text).unwrap_or_else(|| text.into()),
            )),
            _ => Err(format!("unsupported tag \"{}{}\"", tag.handle, tag.suffix)),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::string(text));
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = plain_bool(text) {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = plain_number(text) {
        return Ok(Value::number(n));
    }
    if matches!(
        text,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | ".nan" | ".NaN" | ".NAN"
    ) {
        return Err(format!("cannot represent {text:?} as a number"));
    }
    Ok(Value::String(
        timestamp(text).unwrap_or_else(|| text.into()),
    ))
}

/// YAML 1.1 booleans, as go-yaml v2 resolves them.
fn plain_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Decimal (leading zeros stay decimal), `0x` hexadecimal, `0o` octal, and floats.
fn plain_number(text: &str) -> Option<f64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let radix = |prefix: &str, base: u32| {
        digits
            .strip_prefix(prefix)
            .and_then(|d| u64::from_str_radix(d, base).ok())
            .map(|n| n as f64)
    };
    let magnitude = radix("0x", 16).or_else(|| radix("0o", 8)).or_else(|| {
        let float_like = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && digits.chars().any(|c| c.is_ascii_digit())
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
        if float_like {
            digits.parse::<f64>().ok().filter(|n| n.is_finite())
        } else {
            None
        }
    })?;
    Some(if negative { -magnitude } else { magnitude })
}

/// `2002-12-14` or `2001-12-14t21:59:43.10-05:00` (and the space-separated form) as
/// Go's RFC 3339 text: whole seconds, `Z` for UTC.
fn timestamp(text: &str) -> Option<String> {
    let date = text.get(..10)?;
    let b = date.as_bytes();
    let date_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && date
            .chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !date_ok {
        return None;
    }
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let rest = rest.strip_prefix(['T', 't', ' ']).unwrap_or("");
    let time = rest.get(..8).filter(|t| {
        let t = t.as_bytes();
        t[2] == b':'
            && t[5] == b':'
            && t.iter()
                .enumerate()
                .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit())
    })?;
    let mut zone = rest[8..].trim_start();
    if let Some(frac) = zone.strip_prefix('.') {
        zone = frac
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
    }
    let zone = match zone {
        "" | "Z" | "z" => "Z".to_string(),
        z if (z.starts_with('+') || z.starts_with('-'))
            && z.len() == 6
            && z.as_bytes()[3] == b':' =>
        {
            z.to_string()
        }
        _ => return None,
    };
    Some(format!("{date}T{time}{zone}"))
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn aliases_expand_but_a_billion_laughs_is_refused() {
        let ok = decode("a: &x [1, 2]\nb: *x\n").expect("aliases work");
        assert_eq!(
            crate::lang::functions::encoding::json_encode(&ok),
            r#"{"a":[1,2],"b":[1,2]}"#
        );
        let mut bomb = String::from("l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
        for i in 1..9 {
            let p = i - 1;
            bomb.push_str(&format!(
                "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
            ));
        }
        let err = decode(&bomb).expect_err("refused");
        assert!(err.contains("excessive aliasing"), "{err}");
    }
}
