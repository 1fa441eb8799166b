//! The `format` verb engine shared by `format` and `formatlist`: Go's fmt verbs as cty
//! applies them to configuration values.

use super::encoding::json_encode;
use crate::lang::types::{convert, Type};
use crate::lang::Value;

/// One parsed `%...` directive.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Formats `args` according to `format`.
pub(super) fn sprintf(format: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut chars = format.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&(_, flag)) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        if let Some(&(_, '[')) = chars.peek() {
            chars.next();
            let index_at = chars.peek().map_or(format.len(), |(i, _)| *i);
            let n = digits(&mut chars);
            match (n, chars.next()) {
                (Some(0), _) => {
                    return Err(format!(
                        "unrecognized format character '0' at offset {index_at}"
                    ))
                }
                (Some(n), Some((_, ']'))) => next_arg = n - 1,
                (_, Some((at, c))) => {
                    return Err(format!(
                        "unrecognized format character '{c}' at offset {at}"
                    ))
                }
                (_, None) => {
                    return Err(format!(
                        "invalid format string starting at offset {}",
                        format.len()
                    ))
                }
            }
        }
        spec.width = digits(&mut chars);
        if let Some(&(_, '.')) = chars.peek() {
            chars.next();
            spec.precision = Some(digits(&mut chars).unwrap_or(0));
        }
        let Some((end, verb)) = chars.next() else {
            return Err(format!(
                "invalid format string starting at offset {}",
                start + 1
            ));
        };
        let directive = &format[start..end + verb.len_utf8()];
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            return Err(format!(
                "not enough arguments for \"{directive}\" at {start}: need index {} but have {} total",
                next_arg + 1,
                args.len()
            ));
        };
        next_arg += 1;
        let text = verb_text(verb, &spec, arg, directive, start)?;
        // Zero padding applies to numbers, including numbers printed by %v.
        let numeric = matches!(
            verb,
            'd' | 'b' | 'o' | 'x' | 'X' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G'
        ) || (verb == 'v' && matches!(arg, Value::Number(_)));
        out.push_str(&pad(text, &spec, verb, numeric));
        // Each directive may pad to 65536 characters; many of them must not exhaust memory.
        crate::lang::functions::limit_string(out.len())?;
    }
    Ok(out)
}

/// A width or precision, capped at [`crate::limits::MAX_FORMAT_WIDTH`]: Rust's formatter
/// panics on a precision above it (`format("%.65536f", 1)` did).
fn digits(chars: &mut std::iter::Peekable<std::str::CharIndices>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(&(_, c)) = chars.peek() {
        let Some(d) = c.to_digit(10) else { break };
        n = Some(
            n.unwrap_or(0)
                .saturating_mul(10)
                .saturating_add(d as usize)
                .min(crate::limits::MAX_FORMAT_WIDTH),
        );
        chars.next();
    }
    n
}

fn verb_text(
    verb: char,
    spec: &Spec,
    arg: &Value,
    directive: &str,
    at: usize,
) -> Result<String, String> {
    let unsupported = |why: &str| format!("unsupported value for \"{directive}\" at {at}: {why}");
    let number = || match convert(arg.clone(), &Type::Number) {
        Ok(Value::Number(n)) => Ok(n.0),
        _ => Err(unsupported("a number is required")),
    };
    let integer = || {
        let n = number()?;
        if n.fract() == 0.0 && n.is_finite() {
            Ok(n)
        } else {
            Err(unsupported("an integer is required"))
        }
    };
    Ok(match verb {
        'v' if spec.sharp => json_encode(arg),
        'v' => match arg {
            Value::String(s) => s.clone(),
            Value::Number(n) => crate::lang::types::number_text(n.0),
            Value::Bool(b) => b.to_string(),
            other => json_encode(other),
        },
        's' => match convert(arg.clone(), &Type::String) {
            Ok(Value::String(s)) => match spec.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            },
            _ => return Err(unsupported("string required")),
        },
        'q' => match convert(arg.clone(), &Type::String) {
            Ok(Value::String(s)) => go_quote(&s),
            _ => return Err(unsupported("string required")),
        },
        't' => match convert(arg.clone(), &Type::Bool) {
            Ok(Value::Bool(b)) => b.to_string(),
            _ => return Err(unsupported("bool required")),
        },
        'd' => signed(integer()?, spec, |n| format!("{n:.0}")),
        'b' => signed(integer()?, spec, |n| radix(n, 2, false)),
        // `#` adds Go's alternate-form prefixes.
        'o' => signed(integer()?, spec, |n| alt(spec, "0", radix(n, 8, false))),
        'x' => signed(integer()?, spec, |n| alt(spec, "0x", radix(n, 16, false))),
        'X' => signed(integer()?, spec, |n| alt(spec, "0X", radix(n, 16, true))),
        'f' | 'F' => signed(number()?, spec, |n| {
            format!("{n:.*}", spec.precision.unwrap_or(6))
        }),
        'e' | 'E' => {
            let s = signed(number()?, spec, |n| exp(n, spec.precision.unwrap_or(6)));
            if verb == 'E' {
                s.to_uppercase()
            } else {
                s
            }
        }
        'g' | 'G' => {
            let s = signed(number()?, spec, |n| general(n, spec.precision));
            if verb == 'G' {
                s.to_uppercase()
            } else {
                s
            }
        }
        other => {
            return Err(format!(
                "unsupported format verb '{other}' in \"{directive}\" at offset {at}"
            ))
        }
    })
}

fn alt(spec: &Spec, prefix: &str, digits: String) -> String {
    if spec.sharp {
        format!("{prefix}{digits}")
    } else {
        digits
    }
}

/// Formats the magnitude and puts the sign (or `+`/space flag) in front.
fn signed(n: f64, spec: &Spec, body: impl Fn(f64) -> String) -> String {
    let text = body(n.abs());
    if n.is_sign_negative() && n != 0.0 {
        format!("-{text}")
    } else if spec.plus {
        format!("+{text}")
    } else if spec.space {
        format!(" {text}")
    } else {
        text
    }
}

fn radix(n: f64, base: u32, upper: bool) -> String {
    let mut v = n as u128;
    if v == 0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    while v > 0 {
        let d = (v % base as u128) as u32;
        digits.push(std::char::from_digit(d, base).unwrap_or('0'));
        v /= base as u128;
    }
    let s: String = digits.iter().rev().collect();
    if upper {
        s.to_uppercase()
    } else {
        s
    }
}

/// Go's `%e`: mantissa with `prec` decimals and an exponent of at least two digits.
fn exp(n: f64, prec: usize) -> String {
    go_exponent(&format!("{n:.prec$e}"))
}

/// Rewrites Rust's exponent suffix (`e-7`) the Go way (`e-07`).
fn go_exponent(s: &str) -> String {
    let (mantissa, e) = s.split_once('e').unwrap_or((s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let sign = if e < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", e.abs())
}

/// Go's `%g`: the shortest representation, switching to exponent form for large or tiny
/// magnitudes (exponent < -4, or >= 6 without a precision).
fn general(n: f64, precision: Option<usize>) -> String {
    if n == 0.0 {
        return "0".into();
    }
    let e = n.abs().log10().floor() as i32;
    let limit = precision.map_or(6, |p| p.max(1) as i32);
    if e < -4 || e >= limit {
        match precision {
            Some(p) => trim_mantissa(&exp(n, p.max(1) - 1)),
            None => go_exponent(&format!("{n:e}")),
        }
    } else {
        match precision {
            Some(p) => {
                let decimals = (p.max(1) as i32 - 1 - e).max(0) as usize;
                let s = format!("{n:.decimals$}");
                if s.contains('.') {
                    s.trim_end_matches('0').trim_end_matches('.').into()
                } else {
                    s
                }
            }
            None => format!("{n}"),
        }
    }
}

/// Removes trailing zeros of an exponent form's mantissa, keeping shortest round-trip.
fn trim_mantissa(s: &str) -> String {
    let (mantissa, e) = s.split_once('e').unwrap_or((s, ""));
    let m = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{m}e{e}")
}

/// Go's strconv.Quote: printable characters kept, the usual escapes, others as \x / \u.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Pads to the width: left-aligned with `-`, zeros after the sign for numbers with `0`.
fn pad(text: String, spec: &Spec, verb: char, numeric: bool) -> String {
    // cty ignores the width of %t.
    let Some(width) = spec.width.filter(|_| verb != 't') else {
        return text;
    };
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = width - len;
    if spec.minus {
        return format!("{text}{}", " ".repeat(fill));
    }
    if spec.zero && numeric {
        let split = usize::from(text.starts_with(['-', '+', ' ']));
        let (sign, digits) = text.split_at(split);
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    format!("{}{text}", " ".repeat(fill))
}
