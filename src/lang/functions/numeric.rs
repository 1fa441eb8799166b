//! Numeric functions: abs, ceil, floor, log, max, min, parseint, pow, signum.

use super::{f, v, Args, Func};
use crate::lang::Value;

pub(super) const FUNCS: &[Func] = &[
    f("abs", &["num"], |a| Ok(Value::number(a.num(0)?.abs()))),
    f("ceil", &["num"], |a| Ok(Value::number(a.num(0)?.ceil()))),
    f("floor", &["num"], |a| Ok(Value::number(a.num(0)?.floor()))),
    f("log", &["num", "base"], log),
    v("max", &[], "numbers", |a| extreme(a, f64::max)),
    v("min", &[], "numbers", |a| extreme(a, f64::min)),
    f("parseint", &["number", "base"], parseint),
    f("pow", &["num", "power"], |a| {
        finite(a, a.num(0)?.powf(a.num(1)?))
    }),
    f("signum", &["num"], signum),
];

/// Terraform's numbers are arbitrary precision, so an f64 overflow is our limit, not theirs.
fn finite(a: &Args, n: f64) -> Result<Value, String> {
    if n.is_finite() {
        Ok(Value::number(n))
    } else {
        Err(a.fail("result is not a finite number"))
    }
}

fn log(a: &Args) -> Result<Value, String> {
    let (num, base) = (a.num(0)?, a.num(1)?);
    finite(a, num.ln() / base.ln())
}

fn extreme(a: &Args, pick: fn(f64, f64) -> f64) -> Result<Value, String> {
    if a.len() == 0 {
        return Err(a.fail("must pass at least one number"));
    }
    let mut best = a.num(0)?;
    for i in 1..a.len() {
        best = pick(best, a.num(i)?);
    }
    Ok(Value::number(best))
}

fn signum(a: &Args) -> Result<Value, String> {
    let n = a.num(0)?;
    if n.fract() != 0.0 {
        return Err(a.fail(
            "value must be a whole number, between -9223372036854775808 and 9223372036854775807",
        ));
    }
    Ok(Value::number(if n > 0.0 {
        1.0
    } else if n < 0.0 {
        -1.0
    } else {
        0.0
    }))
}

/// Parses digits in bases 2 to 62 like Go's big.Int: letters are case-insensitive up to
/// base 36; above it lowercase letters are 10-35 and uppercase 36-61.
fn parseint(a: &Args) -> Result<Value, String> {
    let text = a.str(0)?;
    let base = a
        .int(1)
        .ok()
        .filter(|b| (2..=62).contains(b))
        .ok_or_else(|| a.err(1, "base must be a whole number between 2 and 62 inclusive"))?;
    let bad = || a.err(0, format!("cannot parse {text:?} as a base {base} integer"));
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    for c in digits.chars() {
        let d = digit_value(c, base).ok_or_else(bad)?;
        total = total * base as f64 + d as f64;
    }
    if !total.is_finite() {
        return Err(bad());
    }
    Ok(Value::number(if negative { -total } else { total }))
}

fn digit_value(c: char, base: i64) -> Option<i64> {
    let d = match c {
        '0'..='9' => c as i64 - '0' as i64,
        'a'..='z' => c as i64 - 'a' as i64 + 10,
        'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
        'A'..='Z' => c as i64 - 'A' as i64 + 36,
        _ => return None,
    };
    (d < base).then_some(d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (r#"abs(-12.5)"#, r#"12.5"#),
            (r#"abs("3")"#, r#"3"#),
            (
                r#"abs("x")"#,
                r#"!Invalid value for "num" parameter: a number is required."#,
            ),
            (r#"ceil(1.2)"#, r#"2"#),
            (r#"ceil(-1.2)"#, r#"-1"#),
            (r#"floor(-1.5)"#, r#"-2"#),
            (r#"floor(3)"#, r#"3"#),
            (r#"log(16, 2)"#, r#"4"#),
            (r#"log(100, 10)"#, r#"2"#),
            (r#"max(3, 7.5, -1)"#, r#"7.5"#),
            (r#"min(3, 7.5, -1)"#, r#"-1"#),
            (r#"max()"#, r#"!must pass at least one number"#),
            (r#"parseint("FF", 16)"#, r#"255"#),
            (r#"parseint("-1010", 2)"#, r#"-10"#),
            (r#"parseint("zZ", 62)"#, r#"2231"#),
            (
                r#"parseint("0x1f", 16)"#,
                r#"!cannot parse "0x1f" as a base 16 integer"#,
            ),
            (
                r#"parseint("12", 1)"#,
                r#"!base must be a whole number between 2 and 62 inclusive"#,
            ),
            (r#"pow(2, 10)"#, r#"1024"#),
            (r#"pow(2, 0.5)"#, r#"1.4142135623730951"#),
            (r#"signum(-7)"#, r#"-1"#),
            (r#"signum(0)"#, r#"0"#),
            (r#"signum(3)"#, r#"1"#),
            (r#"signum(-0.5)"#, r#"!value must be a whole number"#),
            (
                r#"upper()"#,
                r#"!Function "upper" expects 1 argument(s). Missing value for "str"."#,
            ),
            (
                r#"upper("a", "b")"#,
                r#"!Function "upper" expects only 1 argument(s)."#,
            ),
        ]);
    }
}
