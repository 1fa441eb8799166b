//! The `time` provider (hashicorp/time): timestamps taken once, at apply, and kept in state
//! (`time_static`, `time_offset`, `time_rotating`), and `time_sleep`, which really waits
//! while it is created and destroyed. Built in; a `provider "time"` block is accepted.
//!
//! `time_rotating` is refreshed: once its rotation time has passed, refresh reports it gone
//! (as hashicorp/time's Read removes it from state), so the plan creates it anew.

use async_trait::async_trait;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime};

use crate::lang::functions::{parse_duration, rfc3339};
use crate::lang::Value;
use crate::providers::args::{number, Args};
use crate::providers::{Provider, ProviderError, Result};

/// The time provider.
pub struct Time;

type Computed = Vec<(&'static str, Value)>;

#[async_trait]
impl Provider for Time {
    async fn refresh(&self, ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        let now = OffsetDateTime::now_utc();
        Ok(priors
            .iter()
            .map(|p| (ty != "time_rotating" || !rotation_due(p, now)).then(|| p.clone()))
            .collect())
    }

    fn state_only(&self, ty: &str) -> bool {
        ty != "time_rotating"
    }

    async fn create(&self, ty: &str, planned: &Value) -> Result<Value> {
        let a = Args::new(ty, false, planned)?;
        let now = OffsetDateTime::now_utc();
        let computed = match ty {
            "time_static" => time_static(&a, now)?,
            "time_offset" => time_offset(&a, now)?,
            "time_rotating" => time_rotating(&a, now)?,
            "time_sleep" => {
                wait(&a, "create_duration").await?;
                vec![("id", Value::string(rfc3339(now)))]
            }
            _ => return Err(ProviderError::new(format!("unknown resource type `{ty}`"))),
        };
        Ok(a.finish(computed))
    }

    async fn update(&self, ty: &str, _prior: &Value, planned: &Value) -> Result<Value> {
        let a = Args::new(ty, false, planned)?;
        // The base timestamp is the prior one (a computed attribute the plan carries over);
        // only what is derived from the offsets or rotation arguments is worked out again.
        let computed = match ty {
            "time_offset" => time_offset(&a, OffsetDateTime::now_utc())?,
            "time_rotating" => time_rotating(&a, OffsetDateTime::now_utc())?,
            _ => Vec::new(),
        };
        Ok(a.finish(computed))
    }

    async fn delete(&self, ty: &str, prior: &Value) -> Result<()> {
        if ty == "time_sleep" {
            wait(&Args::new(ty, false, prior)?, "destroy_duration").await?;
        }
        Ok(())
    }
}

/// Sleeps for the Go duration in argument `name`, if set.
async fn wait(a: &Args, name: &str) -> Result<()> {
    let Some(text) = a.string(name)? else {
        return Ok(());
    };
    let d = parse_duration(&text).map_err(|e| a.error(name, format!("is invalid: {e}")))?;
    if d.is_negative() {
        return Err(a.error(name, "must not be negative"));
    }
    tokio::time::sleep(d.unsigned_abs()).await;
    Ok(())
}

/// An RFC 3339 argument, or `now` when unset.
fn timestamp(a: &Args, name: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
    match a.string(name)? {
        None => Ok(now),
        Some(s) => OffsetDateTime::parse(&s, &Rfc3339)
            .map_err(|e| a.error(name, format!("is not an RFC 3339 timestamp: {e}"))),
    }
}

/// `year` … `unix` of `t`.
fn parts(t: OffsetDateTime) -> Computed {
    vec![
        ("year", number(i64::from(t.year()))),
        ("month", number(i64::from(u8::from(t.month())))),
        ("day", number(i64::from(t.day()))),
        ("hour", number(i64::from(t.hour()))),
        ("minute", number(i64::from(t.minute()))),
        ("second", number(i64::from(t.second()))),
        ("unix", number(t.unix_timestamp())),
    ]
}

/// The timestamp as configured, or `now` in Go's RFC 3339 layout.
fn as_written(a: &Args, name: &str, t: OffsetDateTime) -> Result<String> {
    Ok(a.string(name)?.unwrap_or_else(|| rfc3339(t)))
}

fn time_static(a: &Args, now: OffsetDateTime) -> Result<Computed> {
    let t = timestamp(a, "rfc3339", now)?;
    let text = as_written(a, "rfc3339", t)?;
    let mut out = parts(t);
    out.push(("rfc3339", Value::string(text.clone())));
    out.push(("id", Value::string(text)));
    Ok(out)
}

/// Go's `Time.AddDate`: months and days beyond the calendar roll over (January 31 plus one
/// month is March 2 or 3), the time of day is kept.
fn add_date(t: OffsetDateTime, years: i64, months: i64, days: i64) -> Option<OffsetDateTime> {
    let total = i64::from(t.year()) * 12 + i64::from(u8::from(t.month())) - 1 + years * 12 + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let date = first.checked_add(Duration::days(i64::from(t.day()) - 1 + days))?;
    Some(t.replace_date(date))
}

/// `t` plus the `{prefix}_*` arguments present in `units`; errors when none is set.
fn shifted(a: &Args, prefix: &str, units: &[&str], t: OffsetDateTime) -> Result<OffsetDateTime> {
    let get = |unit: &str| a.int(&format!("{prefix}_{unit}"));
    let mut any = false;
    let mut n = |unit: &str| -> Result<i64> {
        let v = if units.contains(&unit) {
            get(unit)?
        } else {
            None
        };
        any |= v.is_some();
        Ok(v.unwrap_or(0))
    };
    let (y, mo, d) = (n("years")?, n("months")?, n("days")?);
    let (h, mi, s) = (n("hours")?, n("minutes")?, n("seconds")?);
    if !any {
        let names: Vec<String> = units.iter().map(|u| format!("{prefix}_{u}")).collect();
        return Err(a.error(
            &names[0],
            format!("or one of {} must be set", names[1..].join(", ")),
        ));
    }
    let clock = Duration::hours(h) + Duration::minutes(mi) + Duration::seconds(s);
    add_date(t, y, mo, d)
        .and_then(|t| t.checked_add(clock))
        .ok_or_else(|| a.error(&format!("{prefix}_years"), "moves the time out of range"))
}

const OFFSET_UNITS: &[&str] = &["years", "months", "days", "hours", "minutes", "seconds"];
const ROTATION_UNITS: &[&str] = &["years", "months", "days", "hours", "minutes"];

fn time_offset(a: &Args, now: OffsetDateTime) -> Result<Computed> {
    let base = timestamp(a, "base_rfc3339", now)?;
    let t = shifted(a, "offset", OFFSET_UNITS, base)?;
    let mut out = parts(t);
    out.push((
        "base_rfc3339",
        Value::string(as_written(a, "base_rfc3339", base)?),
    ));
    out.push(("rfc3339", Value::string(rfc3339(t))));
    out.push(("id", Value::string(rfc3339(t))));
    Ok(out)
}

fn time_rotating(a: &Args, now: OffsetDateTime) -> Result<Computed> {
    let base = timestamp(a, "rfc3339", now)?;
    let rotation = match a.string("rotation_rfc3339")? {
        Some(s) => s,
        None => rfc3339(shifted(a, "rotation", ROTATION_UNITS, base)?),
    };
    timestamp(a, "rotation_rfc3339", now)?;
    let text = as_written(a, "rfc3339", base)?;
    let mut out = parts(base);
    out.push(("rfc3339", Value::string(text.clone())));
    out.push(("rotation_rfc3339", Value::string(rotation)));
    out.push(("id", Value::string(text)));
    Ok(out)
}

/// True when the object's rotation time has passed (an unreadable one never rotates).
fn rotation_due(prior: &Value, now: OffsetDateTime) -> bool {
    let Value::Object(m) = prior.unmarked() else {
        return false;
    };
    m.get("rotation_rfc3339")
        .and_then(Value::as_str)
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
        .is_some_and(|t| now > t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).expect("timestamp")
    }

    #[test]
    fn add_date_rolls_over_like_go() {
        let t = at("2021-01-31T10:00:00Z");
        assert_eq!(
            rfc3339(add_date(t, 0, 1, 0).expect("t")),
            "2021-03-03T10:00:00Z"
        );
        assert_eq!(
            rfc3339(add_date(t, 1, -2, 1).expect("t")),
            "2021-12-02T10:00:00Z"
        );
        assert_eq!(
            rfc3339(add_date(t, 0, 0, -31).expect("t")),
            "2020-12-31T10:00:00Z"
        );
    }

    #[test]
    fn rotation_is_due_only_after_its_time() {
        let obj =
            |r: &str| Value::Object([("rotation_rfc3339".to_owned(), Value::string(r))].into());
        let now = at("2024-05-01T00:00:00Z");
        assert!(rotation_due(&obj("2024-04-30T23:59:59Z"), now));
        assert!(!rotation_due(&obj("2024-05-01T00:00:01Z"), now));
        assert!(!rotation_due(&obj("garbage"), now));
    }
}
