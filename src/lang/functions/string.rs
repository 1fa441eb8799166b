//! String functions: case, trimming, splitting and joining, regular expressions, `format`.

use regex::Regex;
use unicode_segmentation::UnicodeSegmentation;

use super::format::sprintf;
use super::{f, v, Args, Func};
use crate::lang::Value;

pub(super) const FUNCS: &[Func] = &[
    f("chomp", &["str"], |a| {
        Ok(a.str(0)?.trim_end_matches(['\r', '\n']).into())
    }),
    f("endswith", &["str", "suffix"], |a| {
        Ok(a.str(0)?.ends_with(&a.str(1)?).into())
    }),
    v("format", &["format"], "args", format),
    v("formatlist", &["format"], "args", formatlist),
    f("indent", &["spaces", "str"], indent),
    v("join", &["separator"], "lists", join),
    f("lower", &["str"], |a| {
        Ok(map_chars(&a.str(0)?, char::to_lowercase).into())
    }),
    f("regex", &["pattern", "string"], regex),
    f("regexall", &["pattern", "string"], regexall),
    f("replace", &["str", "substr", "replace"], replace),
    f("split", &["separator", "str"], split),
    f("startswith", &["str", "prefix"], |a| {
        Ok(a.str(0)?.starts_with(&a.str(1)?).into())
    }),
    f("strcontains", &["str", "substr"], |a| {
        Ok(a.str(0)?.contains(&a.str(1)?).into())
    }),
    f("strrev", &["str"], |a| {
        Ok(a.str(0)?.graphemes(true).rev().collect::<String>().into())
    }),
    f("substr", &["str", "offset", "length"], substr),
    f("title", &["str"], |a| Ok(title(&a.str(0)?).into())),
    f("trim", &["str", "cutset"], trim),
    f("trimprefix", &["str", "prefix"], trimprefix),
    f("trimspace", &["str"], |a| Ok(a.str(0)?.trim().into())),
    f("trimsuffix", &["str", "suffix"], trimsuffix),
    f("upper", &["str"], |a| {
        Ok(map_chars(&a.str(0)?, char::to_uppercase).into())
    }),
];

/// Changes case one character at a time, keeping characters whose other case is more than
/// one character (Go's ToUpper leaves "ß" alone where Rust would write "SS").
fn map_chars<I: Iterator<Item = char>>(s: &str, change: fn(char) -> I) -> String {
    s.chars()
        .map(|c| {
            let mut it = change(c);
            match (it.next(), it.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        })
        .collect()
}

fn format(a: &Args) -> Result<Value, String> {
    let spec = a.str(0)?;
    // cty returns an unknown result when an argument is null; we mirror it.
    if a.rest(1).iter().any(Value::is_null) {
        return Ok(Value::Unknown);
    }
    sprintf(&spec, a.rest(1))
        .map(Value::String)
        .map_err(|e| a.fail(e))
}

/// Applies the format to each element of the list arguments in turn; scalar arguments are
/// repeated for every element.
fn formatlist(a: &Args) -> Result<Value, String> {
    let spec = a.str(0)?;
    let rest = a.rest(1);
    let mut len: Option<(usize, usize)> = None;
    for (i, arg) in rest.iter().enumerate() {
        if let Value::List(items) | Value::Set(items) = arg {
            match len {
                Some((n, first)) if n != items.len() => {
                    return Err(a.err(1, format!(
                        "argument {} has length {}, which is inconsistent with argument {} of length {}",
                        i + 1, items.len(), first + 1, n
                    )))
                }
                None => len = Some((items.len(), i)),
                _ => {}
            }
        }
    }
    let count = len.map_or(1, |(n, _)| n);
    let mut out = Vec::with_capacity(count);
    let mut total = 0usize;
    for row in 0..count {
        let args: Vec<Value> = rest
            .iter()
            .map(|arg| match arg {
                Value::List(items) | Value::Set(items) => {
                    items.get(row).cloned().unwrap_or_default()
                }
                other => other.clone(),
            })
            .collect();
        let text = sprintf(&spec, &args).map_err(|e| a.fail(e))?;
        total += text.len();
        super::limit_string(total).map_err(|e| a.fail(e))?;
        out.push(Value::String(text));
    }
    Ok(Value::List(out))
}

fn indent(a: &Args) -> Result<Value, String> {
    let spaces = a.int(0)?;
    let pad = " ".repeat(usize::try_from(spaces).unwrap_or(0).min(1 << 16));
    let text = a.str(1)?;
    let lines = text.matches('\n').count();
    super::limit_string(text.len().saturating_add(lines.saturating_mul(pad.len())))
        .map_err(|e| a.fail(e))?;
    Ok(text.replace('\n', &format!("\n{pad}")).into())
}

fn join(a: &Args) -> Result<Value, String> {
    let sep = a.str(0)?;
    if a.len() < 2 {
        return Err(a.fail("at least one list is required"));
    }
    let mut parts = Vec::new();
    for i in 1..a.len() {
        parts.extend(a.str_list(i)?);
    }
    Ok(parts.join(&sep).into())
}

fn compile(a: &Args, pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| a.err(0, format!("invalid regexp pattern: {e}")))
}

/// What one match yields: the whole match, the list of captures, or an object of named
/// captures, depending on the pattern's groups.
fn captures_value(re: &Regex, caps: &regex::Captures) -> Value {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let text = |i: usize| Value::string(caps.get(i).map_or("", |m| m.as_str()));
    if names.is_empty() {
        return text(0);
    }
    if names.iter().all(Option::is_some) {
        let entries = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.unwrap_or_default().to_owned(), text(i + 1)));
        return Value::Object(entries.collect());
    }
    Value::List((1..=names.len()).map(text).collect())
}

fn regex(a: &Args) -> Result<Value, String> {
    let re = compile(a, &a.str(0)?)?;
    let s = a.str(1)?;
    match re.captures(&s) {
        Some(caps) => Ok(captures_value(&re, &caps)),
        None => Err(a.fail("pattern did not match any part of the given string")),
    }
}

fn regexall(a: &Args) -> Result<Value, String> {
    let re = compile(a, &a.str(0)?)?;
    let s = a.str(1)?;
    Ok(Value::List(
        re.captures_iter(&s)
            .map(|c| captures_value(&re, &c))
            .collect(),
    ))
}

/// A substring between slashes is a regular expression whose replacement may use `$1`.
fn replace(a: &Args) -> Result<Value, String> {
    let (s, substr, with) = (a.str(0)?, a.str(1)?, a.str(2)?);
    let pattern = substr.strip_prefix('/').and_then(|p| p.strip_suffix('/'));
    match pattern {
        Some(p) if substr.len() > 1 => {
            let re = Regex::new(p).map_err(|e| a.err(1, format!("invalid regexp pattern: {e}")))?;
            replace_all(&re, &s, &with)
                .map(Value::String)
                .map_err(|e| a.fail(e))
        }
        _ if substr.is_empty() => {
            let inserted = (s.chars().count() + 1).saturating_mul(with.len());
            super::limit_string(s.len().saturating_add(inserted)).map_err(|e| a.fail(e))?;
            Ok(go_replace_empty(&s, &with).into())
        }
        _ => Ok(s.replace(&substr, &with).into()),
    }
}

/// `Regex::replace_all`, stopping as soon as the result passes the string limit: a short
/// text with many matches and a long replacement (or `$0$0$0...`) grows without bound.
fn replace_all(re: &Regex, s: &str, with: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut last = 0;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        caps.expand(with, &mut out);
        last = m.end();
        super::limit_string(out.len())?;
    }
    out.push_str(&s[last..]);
    Ok(out)
}

/// Go's strings.Replace with an empty needle inserts the replacement around every character.
fn go_replace_empty(s: &str, with: &str) -> String {
    let mut out = String::from(with);
    for c in s.chars() {
        out.push(c);
        out.push_str(with);
    }
    out
}

fn split(a: &Args) -> Result<Value, String> {
    let (sep, s) = (a.str(0)?, a.str(1)?);
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::string).collect()
    };
    Ok(Value::List(parts))
}

/// Offsets and lengths count user-perceived characters (grapheme clusters); a negative offset counts from the end and a
/// length of -1 means "to the end". Out-of-range requests are clamped, as in Terraform.
fn substr(a: &Args) -> Result<Value, String> {
    let text = a.str(0)?;
    let chars: Vec<&str> = text.graphemes(true).collect();
    let (offset, length) = (a.int(1)?, a.int(2)?);
    let len = chars.len() as i64;
    let start = if offset < 0 {
        (len + offset).max(0)
    } else {
        offset.min(len)
    };
    let end = if length < 0 {
        len
    } else {
        start.saturating_add(length).min(len)
    };
    let slice = chars
        .get(start as usize..end.max(start) as usize)
        .unwrap_or(&[]);
    Ok(slice.concat().into())
}

/// Go's strings.Title: a letter starts a word when it follows a separator, which is
/// anything but a letter, digit, underscore or apostrophe-free ASCII word character.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.push_str(&map_chars(&c.to_string(), char::to_uppercase));
        } else {
            out.push(c);
        }
        prev_sep = !(c.is_alphanumeric() || c == '_');
    }
    out
}

fn trim(a: &Args) -> Result<Value, String> {
    let cutset: Vec<char> = a.str(1)?.chars().collect();
    Ok(a.str(0)?.trim_matches(cutset.as_slice()).into())
}

fn trimprefix(a: &Args) -> Result<Value, String> {
    let (s, prefix) = (a.str(0)?, a.str(1)?);
    Ok(s.strip_prefix(prefix.as_str()).unwrap_or(&s).into())
}

fn trimsuffix(a: &Args) -> Result<Value, String> {
    let (s, suffix) = (a.str(0)?, a.str(1)?);
    Ok(s.strip_suffix(suffix.as_str()).unwrap_or(&s).into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (r#"chomp("a\n\r\n")"#, r#""a""#),
            (r#"chomp("a\nb")"#, r#""a\nb""#),
            (r#"endswith("hello", "lo")"#, r#"true"#),
            (r#"startswith("hello", "lo")"#, r#"false"#),
            (r#"strcontains("hello", "ell")"#, r#"true"#),
            (r#"format("%s-%d", "a", 3)"#, r#""a-3""#),
            (
                r#"format("%05.2f|%q|%v", 3.14159, "hi", [1])"#,
                r#""03.14|\"hi\"|[1]""#,
            ),
            (
                r#"format("%5.1f|%-5s|%x|%o|%b|%e|%g|%+d|%t", 3.14159, "ab", 255, 8, 5, 1234.5678, 0.000012, 5, true)"#,
                r#""  3.1|ab   |ff|10|101|1.234568e+03|1.2e-05|+5|true""#,
            ),
            (r#"format("%q", "a\"b\n\tc☃")"#, r#""\"a\\\"b\\n\\tc☃\"""#),
            (
                r#"format("%v|%v|%#v|%v", 1.5, true, "s", {a=[1,"x"]})"#,
                r#""1.5|true|\"s\"|{\"a\":[1,\"x\"]}""#,
            ),
            (r#"format("%[2]s %[1]s %s", "a", "b")"#, r#""b a b""#),
            (
                r#"format("%.2s|%8.3f|%-8d|", "hello", -3.14159, 42)"#,
                r#""he|  -3.142|42      |""#,
            ),
            (
                r#"format("%g|%g|%g", 1e21, 100000, 1e-7)"#,
                r#""1e+21|100000|1e-07""#,
            ),
            (
                r#"format("%g|%g|%g", 1234567, 123456789012, 1e20)"#,
                r#""1.234567e+06|1.23456789012e+11|1e+20""#,
            ),
            (r#"format("%s|%d", true, "12")"#, r#""true|12""#),
            (
                r#"format("%e|%.2e|%E", 0, 123456, 1.5)"#,
                r#""0.000000e+00|1.23e+05|1.500000E+00""#,
            ),
            (
                r#"format("%f|%.0f|%.1f", 2.5, 2.5, 0.05)"#,
                r#""2.500000|2|0.1""#,
            ),
            (
                r#"format("%5t|%05d|% d|%x|%X|%%", true, -42, 7, -255, 255)"#,
                r#""true|-0042| 7|-ff|FF|%""#,
            ),
            (r#"format("%s", 1e21)"#, r#""1000000000000000000000""#),
            (
                r#"format("%d", 1.5)"#,
                r#"!unsupported value for "%d" at 0: an integer is required"#,
            ),
            (
                r#"format("%s %s", "a")"#,
                r#"!not enough arguments for "%s" at 3: need index 2 but have 1 total"#,
            ),
            (
                r#"format("%z", 1)"#,
                r#"!unsupported format verb 'z' in "%z" at offset 0"#,
            ),
            (
                r#"format("%s", [1])"#,
                r#"!unsupported value for "%s" at 0: string required"#,
            ),
            (
                r#"formatlist("%s-%s", ["a", "b"], "x")"#,
                r#"["a-x","b-x"]"#,
            ),
            (
                r#"formatlist("%s=%d", ["a", "b"], [1, 2])"#,
                r#"["a=1","b=2"]"#,
            ),
            (
                r#"formatlist("%s-%s", ["a"], ["b", "c"])"#,
                r#"!argument 2 has length 2, which is inconsistent with argument 1 of length 1"#,
            ),
            (r#"indent(2, "a\nb\n")"#, r#""a\n  b\n  ""#),
            (r#"join(",", ["a"], ["b", 1])"#, r#""a,b,1""#),
            (r#"join("-", [])"#, r#""""#),
            (r#"lower("ÀB")"#, r#""àb""#),
            (r#"upper("straße")"#, r#""STRAßE""#),
            (r#"regex("(\\d+)-(\\d+)", "x 10-20 y")"#, r#"["10","20"]"#),
            (r#"regex("(?P<a>\\d+)", "x10")"#, r#"{"a":"10"}"#),
            (r#"regex("[a-z]+", "123abc456")"#, r#""abc""#),
            (
                r#"regex("\\d+", "abc")"#,
                r#"!pattern did not match any part of the given string"#,
            ),
            (r#"regexall("\\d", "a1b2")"#, r#"["1","2"]"#),
            (
                r#"regexall("(\\w)=(\\d)", "a=1 b=2")"#,
                r#"[["a","1"],["b","2"]]"#,
            ),
            (
                r#"replace("hello world", "/o(.)/", "0$1$1")"#,
                r#""hell0  w0rrld""#,
            ),
            (r#"replace("a.b.c", ".", "-")"#, r#""a-b-c""#),
            (r#"split(",", "a,b,,c")"#, r#"["a","b","","c"]"#),
            (r#"split(",", "")"#, r#"[""]"#),
            (r#"strrev("héllo")"#, r#""olléh""#),
            (r#"strrev("g\u0308x👍🏽")"#, r#""👍🏽xg̈""#),
            (r#"substr("g\u0308xyz", 0, 2)"#, r#""g̈x""#),
            (r#"substr("hello", 1, 3)"#, r#""ell""#),
            (r#"substr("hello", -3, -1)"#, r#""llo""#),
            (r#"substr("hello", 7, 2)"#, r#""""#),
            (r#"substr("héllo wörld", 1, 10)"#, r#""éllo wörld""#),
            (
                r#"title("hello wORLD-foo_bar bAz.qux")"#,
                r#""Hello WORLD-Foo_bar BAz.Qux""#,
            ),
            (r#"trim("?!hello?!", "!?")"#, r#""hello""#),
            (r#"trimprefix("helloworld", "hello")"#, r#""world""#),
            (r#"trimsuffix("helloworld", "world")"#, r#""hello""#),
            (r#"trimspace("  \n hi \t")"#, r#""hi""#),
            (
                r#"upper(null)"#,
                r#"!Invalid value for "str" parameter: argument must not be null."#,
            ),
            (r#"upper(5)"#, r#""5""#),
            (
                r#"format("%s-%03d|%5.2f|%-4s|%x|%q|%v|%t|%%", "web", 7, 3.14159, "ab", 255, "hi", [1, "a"], true)"#,
                r#""web-007| 3.14|ab  |ff|\"hi\"|[1,\"a\"]|true|%""#,
            ),
            (
                r#"regex("(?P<key>\\w+)=(?P<val>\\w+)", "a=b")"#,
                r#"{"key":"a","val":"b"}"#,
            ),
            (r#"title("hello wORLD-foo")"#, r#""Hello WORLD-Foo""#),
            (
                r#"join(",", "a")"#,
                r#"!Invalid value for "lists" parameter: list of string required."#,
            ),
            (
                r#"upper(["a"])"#,
                r#"!Invalid value for "str" parameter: string required."#,
            ),
            (
                r#"regex("(", "x")"#,
                r#"!Invalid value for "pattern" parameter: invalid regexp pattern"#,
            ),
            (
                r#"format("%#x|%#o|%#X|%-05d|%+.2f|%08.3f|% 5d|%10.3e|%-8.2g|", 255, 8, 255, 42, 3.14159, -3.14159, 42, 12345.678, 0.000123)"#,
                r#""0xff|010|0XFF|42   |+3.14|-003.142|   42| 1.235e+04|0.00012 |""#,
            ),
            (
                r#"format("%6.2v|%-6v|%06v", 3.14159, true, 42)"#,
                r#""3.14159|true  |000042""#,
            ),
            (
                r#"format("%.3s|%5s|%-5s|", "héllo", "é", "é")"#,
                r#""hél|    é|é    |""#,
            ),
            (r#"format("%q|%v|%.f", 1, {}, 2.5)"#, r#""\"1\"|{}|2""#),
            (
                r#"format("%[3]s", "a")"#,
                r#"!not enough arguments for "%[3]s" at 0: need index 3 but have 1 total"#,
            ),
            (
                r#"format("%[0]s", "a")"#,
                r#"!unrecognized format character '0' at offset 2"#,
            ),
            (
                r#"format("%", 1)"#,
                r#"!invalid format string starting at offset 1"#,
            ),
            (
                r#"format("%c", 65)"#,
                r#"!unsupported format verb 'c' in "%c" at offset 0"#,
            ),
        ]);
    }
}
