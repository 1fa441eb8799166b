//! Date and time functions on RFC 3339 timestamps: formatdate, timeadd, timecmp,
//! timestamp and plantimestamp.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::{f, Args, Func};
use crate::lang::Value;

pub(super) const FUNCS: &[Func] = &[
    f("formatdate", &["format", "time"], formatdate),
    f("plantimestamp", &[], |_| {
        Ok(rfc3339(OffsetDateTime::now_utc()).into())
    }),
    f("timeadd", &["timestamp", "duration"], timeadd),
    f("timecmp", &["timestamp_a", "timestamp_b"], timecmp),
    f("timestamp", &[], |_| {
        Ok(rfc3339(OffsetDateTime::now_utc()).into())
    }),
];

/// Parses argument `i` as RFC 3339 with an upper-case `T` separator, as Terraform requires.
fn parse(a: &Args, i: usize) -> Result<OffsetDateTime, String> {
    let s = a.str(i)?;
    if s.as_bytes().get(10) != Some(&b'T') {
        return Err(a.err(
            i,
            "not a valid RFC3339 timestamp: missing required time introducer 'T'",
        ));
    }
    OffsetDateTime::parse(&s, &Rfc3339)
        .map_err(|e| a.err(i, format!("not a valid RFC3339 timestamp: {e}")))
}

/// Go's RFC 3339 layout: whole seconds, `Z` for UTC, otherwise `+hh:mm`.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        offset(t.offset(), true, true)
    )
}

/// `Z` (when allowed) or the offset with or without a colon.
fn offset(off: UtcOffset, colon: bool, z: bool) -> String {
    if off.is_utc() && z {
        return "Z".into();
    }
    let secs = off.whole_seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() / 60 % 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

fn timeadd(a: &Args) -> Result<Value, String> {
    let t = parse(a, 0)?;
    let text = a.str(1)?;
    let d = parse_duration(&text).map_err(|e| a.fail(e))?;
    let sum = t
        .checked_add(d)
        .ok_or_else(|| a.fail("resulting time is out of range"))?;
    Ok(rfc3339(sum).into())
}

fn timecmp(a: &Args) -> Result<Value, String> {
    let (x, y) = (parse(a, 0)?, parse(a, 1)?);
    Ok(Value::number(match x.cmp(&y) {
        std::cmp::Ordering::Less => -1.0,
        std::cmp::Ordering::Equal => 0.0,
        std::cmp::Ordering::Greater => 1.0,
    }))
}

/// Go's time.ParseDuration: a signed sequence of decimal numbers with units
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("time: invalid duration {text:?}");
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let nanos = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {text:?}")),
            other => return Err(format!("time: unknown unit {other:?} in duration {text:?}")),
        };
        total += number * nanos;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total.abs() > i64::MAX as f64 {
        return Err(bad());
    }
    let nanos = if negative { -total } else { total };
    Ok(Duration::nanoseconds(nanos as i64))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn formatdate(a: &Args) -> Result<Value, String> {
    let spec = a.str(0)?;
    let t = parse(a, 1)?;
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i = literal(a, &chars, i + 1, &mut out)?;
            continue;
        }
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        i += run;
        if !c.is_ascii_alphabetic() {
            out.extend(std::iter::repeat_n(c, run));
            continue;
        }
        out.push_str(&verb(a, c, run, t)?);
    }
    Ok(out.into())
}

/// Copies a quoted literal (where `''` is a quote) and returns the index after it.
fn literal(a: &Args, chars: &[char], mut i: usize, out: &mut String) -> Result<usize, String> {
    if chars.get(i) == Some(&'\'') {
        out.push('\'');
        return Ok(i + 1);
    }
    loop {
        match (chars.get(i), chars.get(i + 1)) {
            (None, _) => return Err(a.err(0, "unterminated literal '")),
            (Some('\''), Some('\'')) => {
                out.push('\'');
                i += 2;
            }
            (Some('\''), _) => return Ok(i + 1),
            (Some(c), _) => {
                out.push(*c);
                i += 1;
            }
        }
    }
}

fn verb(a: &Args, c: char, run: usize, t: OffsetDateTime) -> Result<String, String> {
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let month = u8::from(t.month());
    let weekday = t.weekday().to_string();
    Ok(match (c, run) {
        ('Y', 4) => format!("{:04}", t.year()),
        ('Y', 2) => format!("{:02}", t.year().rem_euclid(100)),
        ('Y', _) => {
            return Err(a.err(
                0,
                format!(
                    "invalid date format verb {:?}: year must either be \"YY\" or \"YYYY\"",
                    "Y".repeat(run)
                ),
            ))
        }
        ('M', 4) => MONTHS[usize::from(month - 1)].into(),
        ('M', 3) => MONTHS[usize::from(month - 1)][..3].into(),
        ('M', 2) => format!("{month:02}"),
        ('M', 1) => month.to_string(),
        ('D', 2) => format!("{:02}", t.day()),
        ('D', 1) => t.day().to_string(),
        ('E', 4) => weekday,
        ('E', 3) => weekday[..3].into(),
        ('h', 2) => format!("{:02}", t.hour()),
        ('h', 1) => t.hour().to_string(),
        ('H', 2) => format!("{hour12:02}"),
        ('H', 1) => hour12.to_string(),
        ('A', 2) => if t.hour() < 12 { "AM" } else { "PM" }.into(),
        ('a', 2) => if t.hour() < 12 { "am" } else { "pm" }.into(),
        ('m', 2) => format!("{:02}", t.minute()),
        ('m', 1) => t.minute().to_string(),
        ('s', 2) => format!("{:02}", t.second()),
        ('s', 1) => t.second().to_string(),
        ('Z', 5) => offset(t.offset(), true, false),
        ('Z', 4) => offset(t.offset(), false, false),
        ('Z', 3) if t.offset().is_utc() => "UTC".into(),
        ('Z', 3) => offset(t.offset(), false, false),
        ('Z', 1) => offset(t.offset(), true, true),
        _ => {
            return Err(a.err(
                0,
                format!("invalid date format verb {:?}", c.to_string().repeat(run)),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (
                r#"formatdate("YYYY YY MMMM MMM MM M DD D EEEE EEE hh h HH H AA aa mm m ss s ZZZZZ ZZZZ ZZZ Z", "2024-03-05T07:08:09+02:00")"#,
                r#""2024 24 March Mar 03 3 05 5 Tuesday Tue 07 7 07 7 AM am 08 8 09 9 +02:00 +0200 +0200 +02:00""#,
            ),
            (
                r#"formatdate("'it''s' hh, -/:", "2024-03-05T00:08:09Z")"#,
                r#""it's 00, -/:""#,
            ),
            (
                r#"formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01-08:00")"#,
                r#""02 Jan 2018 23:12 -0800""#,
            ),
            (
                r#"formatdate("h H AA Z ZZZ", "2024-03-05T00:08:09Z")"#,
                r#""0 12 AM Z UTC""#,
            ),
            (
                r#"formatdate("X", "2024-03-05T17:08:09Z")"#,
                r#"!invalid date format verb "X""#,
            ),
            (
                r#"formatdate("YYY", "2024-03-05T17:08:09Z")"#,
                r#"!year must either be "YY" or "YYYY""#,
            ),
            (
                r#"formatdate("YYYY", "2024-03-05")"#,
                r#"!not a valid RFC3339 timestamp"#,
            ),
            (
                r#"timeadd("2024-03-05T17:08:09.5Z", "1h30m")"#,
                r#""2024-03-05T18:38:09Z""#,
            ),
            (
                r#"timeadd("2024-03-05T17:08:09+01:00", "-1.5h")"#,
                r#""2024-03-05T15:38:09+01:00""#,
            ),
            (
                r#"timeadd("2024-12-31T23:59:59Z", "1s")"#,
                r#""2025-01-01T00:00:00Z""#,
            ),
            (
                r#"timeadd("2024-03-05T17:08:09Z", "1d")"#,
                r#"!unknown unit"#,
            ),
            (
                r#"timecmp("2024-03-05T17:08:09+01:00", "2024-03-05T16:08:09Z")"#,
                r#"0"#,
            ),
            (
                r#"timecmp("2024-03-05T17:08:09Z", "2024-03-05T16:08:09Z")"#,
                r#"1"#,
            ),
            (
                r#"timecmp("2023-03-05T17:08:09Z", "2024-03-05T16:08:09Z")"#,
                r#"-1"#,
            ),
            (
                r#"formatdate("EEEE, MMMM D, YYYY h:mm aa", "2024-03-05T15:04:05Z")"#,
                r#""Tuesday, March 5, 2024 15:04 pm""#,
            ),
            (
                r#"timeadd("2024-01-01T00:00:00Z", "0")"#,
                r#""2024-01-01T00:00:00Z""#,
            ),
            (
                r#"timeadd("2024-01-01T00:00:00Z", "1h-30m")"#,
                r#"!unknown unit "h-" in duration "1h-30m""#,
            ),
            (
                r#"timeadd("2024-01-01T00:00:00.123Z", "1ms")"#,
                r#""2024-01-01T00:00:00Z""#,
            ),
        ]);
    }
}
