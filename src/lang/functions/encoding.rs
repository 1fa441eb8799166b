//! Encoding functions: JSON, YAML, CSV, base64 (plain, gzipped, other text encodings) and
//! URL query escaping, producing byte-for-byte what Terraform produces.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{f, Args, Func};
use crate::lang::types::number_text;
use crate::lang::Value;

pub(super) const FUNCS: &[Func] = &[
    f("base64decode", &["str"], base64decode),
    f("base64encode", &["str"], |a| {
        Ok(STANDARD.encode(a.str(0)?).into())
    }),
    f("base64gzip", &["str"], base64gzip),
    f("csvdecode", &["str"], csvdecode),
    f("jsondecode", &["str"], jsondecode),
    f("jsonencode", &["val"], |a| Ok(json_encode(a.raw(0)).into())),
    f(
        "textdecodebase64",
        &["source", "encoding"],
        textdecodebase64,
    ),
    f(
        "textencodebase64",
        &["string", "encoding"],
        textencodebase64,
    ),
    f("urlencode", &["str"], |a| Ok(urlencode(&a.str(0)?).into())),
    f("yamldecode", &["src"], yamldecode),
    f("yamlencode", &["value"], |a| {
        Ok(super::yaml::encode(a.raw(0)).into())
    }),
];

/// JSON as Go's encoding/json writes it: object keys sorted, no spaces, and `<`, `>`, `&`,
/// U+2028 and U+2029 escaped so the result is safe inside HTML.
pub(super) fn json_encode(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n.0)),
        Value::String(s) => write_json_string(s, out),
        Value::List(items) | Value::Set(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
        Value::Sensitive(inner) => write_json(inner, out),
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn jsondecode(a: &Args) -> Result<Value, String> {
    let text = a.str(0)?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        if e.is_syntax() && e.to_string().contains("trailing characters") {
            a.fail("extraneous data after JSON object")
        } else {
            a.fail(format!("invalid JSON: {e}"))
        }
    })?;
    Ok(Value::from_json(&json))
}

fn decode_base64(a: &Args, text: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text)
        .map_err(|_| a.fail(format!("failed to decode base64 data {text:?}")))
}

fn base64decode(a: &Args) -> Result<Value, String> {
    let text = a.str(0)?;
    let bytes = decode_base64(a, &text)?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| a.fail("the result of decoding the provided string is not valid UTF-8"))
}

/// Gzip framed the way Terraform's Go code writes it: a 10-byte header (mtime 0, OS
/// "unknown"), the deflate stream flushed with a sync flush, then the empty final stored
/// block Go's Close adds, then CRC-32 and length. The deflate body comes from miniz, so long
/// repetitive inputs may compress differently from Go, but always decompress the same.
fn base64gzip(a: &Args) -> Result<Value, String> {
    let text = a.str(0)?;
    let data = text.as_bytes();
    let mut deflate = flate2::Compress::new(flate2::Compression::default(), false);
    let mut body = Vec::with_capacity(data.len() + 64);
    let mut input = data;
    loop {
        body.reserve(data.len() / 2 + 64);
        let before = deflate.total_in();
        deflate
            .compress_vec(input, &mut body, flate2::FlushCompress::Sync)
            .map_err(|e| a.fail(format!("failed to write gzip raw data: {e}")))?;
        let used = usize::try_from(deflate.total_in() - before).unwrap_or(input.len());
        input = input.get(used..).unwrap_or_default();
        if input.is_empty() && body.len() < body.capacity() {
            break;
        }
    }
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&body);
    out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(STANDARD.encode(out).into())
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The encodings supported by the text*base64 functions, by the names Terraform accepts.
enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Latin1,
}

fn text_encoding(a: &Args, i: usize) -> Result<TextEncoding, String> {
    let name = a.str(i)?;
    match name.to_ascii_uppercase().replace('_', "-").as_str() {
        "UTF-8" | "UTF8" => Ok(TextEncoding::Utf8),
        "UTF-16LE" => Ok(TextEncoding::Utf16Le),
        "UTF-16BE" => Ok(TextEncoding::Utf16Be),
        "ISO-8859-1" | "LATIN1" | "L1" | "ISO8859-1" => Ok(TextEncoding::Latin1),
        _ => Err(a.err(i, format!("\"{name}\" is not a supported IANA encoding name or alias in this Terraform version"))),
    }
}

fn textencodebase64(a: &Args) -> Result<Value, String> {
    let text = a.str(0)?;
    let bytes: Vec<u8> = match text_encoding(a, 1)? {
        TextEncoding::Utf8 => text.into_bytes(),
        TextEncoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Latin1 => latin1(a, &text)?,
    };
    Ok(STANDARD.encode(bytes).into())
}

/// ISO-8859-1 holds exactly the first 256 code points.
fn latin1(a: &Args, text: &str) -> Result<Vec<u8>, String> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| {
            a.fail("the given string contains characters that cannot be represented in ISO-8859-1")
        })
}

fn textdecodebase64(a: &Args) -> Result<Value, String> {
    let bytes = decode_base64(a, &a.str(0)?)?;
    let units = |to: fn([u8; 2]) -> u16| -> Vec<u16> {
        bytes
            .chunks_exact(2)
            .map(|c| to([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect()
    };
    let text = match text_encoding(a, 1)? {
        TextEncoding::Utf8 => String::from_utf8_lossy(&bytes).into_owned(),
        TextEncoding::Utf16Le => String::from_utf16_lossy(&units(u16::from_le_bytes)),
        TextEncoding::Utf16Be => String::from_utf16_lossy(&units(u16::from_be_bytes)),
        TextEncoding::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
    };
    Ok(text.into())
}

/// RFC 4180 CSV: the first row names the columns; every row becomes an object of strings.
fn csvdecode(a: &Args) -> Result<Value, String> {
    let text = a.str(0)?;
    let rows = parse_csv(&text).map_err(|e| a.fail(e))?;
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Err(a.fail("missing header line"));
    };
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        if row.len() != header.len() {
            return Err(a.fail(format!(
                "CSV parse error on line {}: wrong number of fields",
                n + 2
            )));
        }
        let obj: BTreeMap<String, Value> = header
            .iter()
            .cloned()
            .zip(row.into_iter().map(Value::String))
            .collect();
        out.push(Value::Object(obj));
    }
    Ok(Value::List(out))
}

fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    let mut quoted_field = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if field.is_empty() && !quoted_field => {
                quoted_field = true;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            line += usize::from(c == '\n');
                            field.push(c);
                        }
                        None => return Err(format!("CSV parse error on line {line}: extraneous or missing \" in quoted-field")),
                    }
                }
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                quoted_field = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                quoted_field = false;
                line += 1;
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() || quoted_field {
        row.push(field);
        rows.push(row);
    }
    // Go's reader skips empty lines.
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    Ok(rows)
}

fn yamldecode(a: &Args) -> Result<Value, String> {
    super::yaml::decode(&a.str(0)?).map_err(|e| a.fail(e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (
                r#"base64encode("Hello, wörld!")"#,
                r#""SGVsbG8sIHfDtnJsZCE=""#,
            ),
            (
                r#"base64decode("SGVsbG8sIHfDtnJsZCE=")"#,
                r#""Hello, wörld!""#,
            ),
            (r#"base64decode("aGk")"#, r#"!failed to decode base64 data"#),
            (
                r#"csvdecode("a,b\n1,\"x,\"\"y\"\n3,4")"#,
                r#"[{"a":"1","b":"x,\"y"},{"a":"3","b":"4"}]"#,
            ),
            (r#"csvdecode("a,b\n1\n")"#, r#"!wrong number of fields"#),
            (
                r#"jsonencode({b = [1, "x", true, null], a = 1.5})"#,
                r#""{\"a\":1.5,\"b\":[1,\"x\",true,null]}""#,
            ),
            (
                r#"jsonencode("a<b>&\u2028\u0001\t/é")"#,
                r#""\"a\\u003cb\\u003e\\u0026\\u2028\\u0001\\t/é\"""#,
            ),
            (r#"jsonencode(1e21)"#, r#""1000000000000000000000""#),
            (r#"jsonencode({})"#, r#""{}""#),
            (
                r#"jsondecode("{\"a\":[1,2.5,\"x\",null,true],\"b\":{}}")"#,
                r#"{"a":[1,2.5,"x",null,true],"b":{}}"#,
            ),
            (
                r#"jsondecode("1 2")"#,
                r#"!extraneous data after JSON object"#,
            ),
            (r#"textencodebase64("hé", "UTF-16LE")"#, r#""aADpAA==""#),
            (r#"textdecodebase64("aADpAA==", "UTF-16LE")"#, r#""hé""#),
            (r#"textencodebase64("hé", "UTF-8")"#, r#""aMOp""#),
            (
                r#"urlencode("a b&c/d?é~_.-")"#,
                r#""a+b%26c%2Fd%3F%C3%A9~_.-""#,
            ),
            (
                r#"yamlencode({a = {b = {c = 1}}, e = [], f = {}, g = null, h = 1.5, i = "multi\nline\n", j = [[1, 2], []], k = [{x = 1, y = [2]}], l = "", n = 1e21, o = -3, p = "  lead", q = "a\n b", r = true})"#,
                r#""\"a\":\n  \"b\":\n    \"c\": 1\n\"e\": []\n\"f\": {}\n\"g\": null\n\"h\": 1.5\n\"i\": |\n  multi\n  line\n\"j\":\n- - 1\n  - 2\n- []\n\"k\":\n- \"x\": 1\n  \"y\":\n  - 2\n\"l\": \"\"\n\"n\": 1000000000000000000000\n\"o\": -3\n\"p\": \"  lead\"\n\"q\": |-\n  a\n   b\n\"r\": true\n""#,
            ),
            (
                r#"yamlencode(["a\tb", "x:y", "ünï", "\u0001", "a\n\n", "x\r\ny", "a \nb"])"#,
                r#""- \"a\\tb\"\n- \"x:y\"\n- \"ünï\"\n- \"\\x01\"\n- |+\n  a\n\n- \"x\\r\\ny\"\n- \"a \\nb\"\n""#,
            ),
            (
                r#"yamlencode({a = "  x\ny", "a b" = "x", "é" = 1, "1" = 2})"#,
                r#""\"1\": 2\n\"a\": |2-\n    x\n  y\n\"a b\": \"x\"\n\"é\": 1\n""#,
            ),
            (r#"yamlencode("x")"#, r#""\"x\"\n""#),
            (r#"yamlencode(1)"#, r#""1\n...\n""#),
            (r#"yamlencode(null)"#, r#""null\n...\n""#),
            (r#"yamlencode("a\nb")"#, r#""|-\n  a\n  b\n""#),
            (
                r#"yamldecode("a: 1\nb: [x, 2, true, null, 1.5]\nc: {d: e}\n")"#,
                r#"{"a":1,"b":["x",2,true,null,1.5],"c":{"d":"e"}}"#,
            ),
            (
                r#"yamldecode("- a\n- b: |\n    text\n")"#,
                r#"["a",{"b":"text\n"}]"#,
            ),
            (r#"yamldecode("a: &x 1\nb: *x\n")"#, r#"{"a":1,"b":1}"#),
            (r#"yamldecode("")"#, r#"!missing start of document"#),
            (
                r#"yamlencode({name = "api", ports = [80, 443], tags = {env = "prod", team = "platform"}, html = "<a href=\"x\">&</a>", multi = "line one\nline two\n", empty = [], nested = [{a = 1}, [2, 3]]})"#,
                r#""\"empty\": []\n\"html\": \"\u003ca href=\\\"x\\\"\u003e\u0026\u003c/a\u003e\"\n\"multi\": |\n  line one\n  line two\n\"name\": \"api\"\n\"nested\":\n- \"a\": 1\n- - 2\n  - 3\n\"ports\":\n- 80\n- 443\n\"tags\":\n  \"env\": \"prod\"\n  \"team\": \"platform\"\n""#,
            ),
            (
                r#"jsonencode({name = "api", ports = [80, 443], tags = {env = "prod", team = "platform"}, html = "<a href=\"x\">&</a>"})"#,
                r#""{\"html\":\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\u003c/a\\u003e\",\"name\":\"api\",\"ports\":[80,443],\"tags\":{\"env\":\"prod\",\"team\":\"platform\"}}""#,
            ),
            (
                r#"csvdecode("name,port\nweb,80\napi,\"8,080\"\n")"#,
                r#"[{"name":"web","port":"80"},{"name":"api","port":"8,080"}]"#,
            ),
            (r#"base64encode("héllo")"#, r#""aMOpbGxv""#),
            (
                r#"base64gzip("hello")"#,
                r#""H4sIAAAAAAAA/8pIzcnJBwAAAP//AQAA//+GphA2BQAAAA==""#,
            ),
            (
                r#"yamldecode("[y, Y, n, on, off, yes, No, True, ~, Null, 0x1F, 0o17, 017, 0b101, 1_000, +12, -1.5e3, .5, 1., 2001-12-14t21:59:43.10-05:00, 2002-12-14, 12:30, \"yes\", !!str 12, !!int \"7\", 1e3, 0.1]")"#,
                r#"[true,true,false,true,false,true,false,true,null,null,31,15,17,"0b101","1_000",12,-1500,0.5,1,"2001-12-14T21:59:43-05:00","2002-12-14T00:00:00Z","12:30","yes","12","7",1000,0.1]"#,
            ),
            (
                r#"yamldecode("a: &a {x: 1}\nb:\n  <<: *a\n  y: 2\n")"#,
                r#"{"a":{"x":1},"b":{"true":2,"x":1}}"#,
            ),
            (
                r#"yamldecode("{1: a, true: b}")"#,
                r#"{"1":"a","true":"b"}"#,
            ),
            (
                r#"yamldecode("text: >\n  folded\n  lines\nlit: |\n  keep\n")"#,
                r#"{"lit":"keep\n","text":"folded lines\n"}"#,
            ),
            (
                r#"yamldecode("? [1]\n: x\n")"#,
                r#"!only strings are allowed as mapping keys"#,
            ),
            (
                r#"yamldecode("a: 1\n---\nb: 2\n")"#,
                r#"!unexpected extra content after value"#,
            ),
            (
                r#"yamldecode("{null: c}")"#,
                r#"!mapping key cannot be null"#,
            ),
            (
                r#"yamldecode("key: !custom val")"#,
                r#"!unsupported tag "!custom""#,
            ),
            (r#"textencodebase64("é", "ISO-8859-1")"#, r#""6Q==""#),
            (r#"textdecodebase64("6Q==", "ISO-8859-1")"#, r#""é""#),
            (
                r#"textencodebase64("x", "latin9")"#,
                r#"!"latin9" is not a supported IANA encoding name or alias in this Terraform version"#,
            ),
            (
                r#"base64decode("/w==")"#,
                r#"!the result of decoding the provided string is not valid UTF-8"#,
            ),
            (r#"csvdecode("")"#, r#"!missing header line"#),
            (r#"csvdecode("a,b\r\n1,2\r\n")"#, r#"[{"a":"1","b":"2"}]"#),
            (r#"jsondecode("{\"a\":1,\"a\":2}")"#, r#"{"a":2}"#),
            (r#"urlencode("*!()'")"#, r#""%2A%21%28%29%27""#),
            (r#"yamlencode({a = "x: y"})"#, r#""\"a\": \"x: y\"\n""#),
            (r#"jsonencode(0.000001)"#, r#""0.000001""#),
            (r#"jsonencode(123456789012345)"#, r#""123456789012345""#),
        ]);
    }

    /// Longer inputs may compress differently from Go's encoder (see `base64gzip`), so
    /// check that the result is a gzip stream of the input.
    #[test]
    fn base64gzip_round_trips() {
        use base64::Engine;
        use std::io::Read;
        let text = "The quick brown fox jumps over the lazy dog. The quick brown fox!".repeat(50);
        let ctx = super::super::FuncContext {
            base_dir: std::path::Path::new("."),
            render_template: &|_, _| Ok(crate::lang::Value::Null),
        };
        let got = super::super::call("base64gzip", vec![text.as_str().into()], &ctx);
        let encoded = got.expect("gzip works");
        let bytes = super::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("base64");
        let mut plain = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut plain)
            .expect("gunzip");
        assert_eq!(plain, text);
    }
}
