//! Terraform's `timeouts` blocks (`create = "20m"`): how long a provider may wait for an
//! action, in Go's duration syntax, shared by the Google and AWS providers.

use std::time::Duration;

use serde_json::{Map, Value as Json};

/// The block's value for `action` (`create`, `update`, `delete`), else `default`.
pub fn of(obj: &Map<String, Json>, action: &str, default: Duration) -> Duration {
    let block = match obj.get("timeouts") {
        Some(Json::Array(items)) => items.first().and_then(Json::as_object),
        Some(Json::Object(m)) => Some(m),
        _ => None,
    };
    block
        .and_then(|b| b.get(action))
        .and_then(Json::as_str)
        .and_then(parse_go_duration)
        .unwrap_or(default)
}

/// A Go-style duration of hours, minutes and seconds (`1h30m`, `20m`, `45s`, `1.5h`).
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += num.parse::<f64>().ok()? * unit;
        num.clear();
    }
    if !num.is_empty() {
        return None;
    }
    (total.is_finite() && total > 0.0).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("20m"), Some(Duration::from_secs(1200)));
        assert_eq!(parse_go_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("45s"), Some(Duration::from_secs(45)));
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("5d"), None);
    }
}
