//! Long-running operations: poll `GET <root>/<version>/<name>` with backoff until `done`, then
//! return the operation's `response` or its `error` as a `GoogleError` (reference §1.4).

use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json};

use super::client::{Api, Client, GoogleError};

/// Default time an operation may take (Terraform's default `timeouts` for these resources).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The timeout for `action` (`create`, `update`, `delete`) from the resource's `timeouts`
/// block (Terraform's syntax: `"20m"`, `"1h30m"`, `"90s"`), else the default.
pub fn timeout_of(obj: &Map<String, Json>, action: &str) -> Duration {
    let block = match obj.get("timeouts") {
        Some(Json::Array(items)) => items.first().and_then(Json::as_object),
        Some(Json::Object(m)) => Some(m),
        _ => None,
    };
    block
        .and_then(|b| b.get(action))
        .and_then(Json::as_str)
        .and_then(parse_go_duration)
        .unwrap_or(DEFAULT_TIMEOUT)
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

/// Waits for `op` (as returned by the starting call) to finish. `version` is the API version
/// prefix of the poll URL (`v1`, `v2`).
pub async fn wait(
    client: &Client,
    api: Api,
    version: &str,
    op: Json,
    timeout: Duration,
) -> Result<Json, GoogleError> {
    let start = Instant::now();
    let mut op = op;
    let mut attempt = 0u32;
    loop {
        if let Some(result) = finished(&op) {
            return result;
        }
        let name = op
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        if name.is_empty() {
            return Err(GoogleError::local(
                500,
                "UNKNOWN",
                "the API returned an operation without a name and not done",
            ));
        }
        if name.ends_with("noop.DONE_OPERATION") {
            // Service Usage's "already in that state" pseudo-operation must not be polled
            // (operations.get on it fails, reference §1.4); it means success.
            return Ok(Json::Object(Default::default()));
        }
        if start.elapsed() >= timeout {
            return Err(GoogleError::local(
                504,
                "DEADLINE_EXCEEDED",
                format!(
                    "operation {name} did not finish within {}s",
                    timeout.as_secs()
                ),
            ));
        }
        // Operations poll less eagerly than request retries: start at the backoff's initial
        // delay and level off at a few seconds.
        let wait = client.backoff.delay(attempt.min(3), None);
        tokio::time::sleep(wait).await;
        attempt += 1;
        op = client.get(api, &format!("{version}/{name}")).await?;
    }
}

/// `Some` once the operation is done: its response (`{}` if absent) or its error.
fn finished(op: &Json) -> Option<Result<Json, GoogleError>> {
    if !op.get("done").and_then(Json::as_bool).unwrap_or(false) {
        return None;
    }
    if let Some(err) = op.get("error") {
        return Some(Err(GoogleError::from_status(err, None)));
    }
    Some(Ok(op
        .get("response")
        .cloned()
        .unwrap_or_else(|| Json::Object(Default::default()))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timeouts_blocks_use_go_durations() {
        assert_eq!(parse_go_duration("20m"), Some(Duration::from_secs(1200)));
        assert_eq!(parse_go_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("45s"), Some(Duration::from_secs(45)));
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("5d"), None);
        let obj = json!({"timeouts": [{"create": "2m", "delete": null}]});
        let obj = obj.as_object().cloned().unwrap_or_default();
        assert_eq!(timeout_of(&obj, "create"), Duration::from_secs(120));
        assert_eq!(timeout_of(&obj, "delete"), DEFAULT_TIMEOUT);
        assert_eq!(timeout_of(&Map::new(), "update"), DEFAULT_TIMEOUT);
    }

    #[test]
    fn done_operations_yield_response_or_error() {
        assert!(finished(&json!({"name": "operations/x"})).is_none());
        assert!(finished(&json!({"name": "operations/x", "done": false})).is_none());
        let ok = finished(&json!({"done": true, "response": {"a": 1}}));
        assert_eq!(ok, Some(Ok(json!({"a": 1}))));
        let noop = finished(&json!({"name": "operations/noop.DONE_OPERATION", "done": true}));
        assert_eq!(noop, Some(Ok(json!({}))));
        let err = finished(&json!({"done": true, "error": {"code": 9, "message": "no"}}));
        match err {
            Some(Err(e)) => assert_eq!(e.status, "FAILED_PRECONDITION"),
            other => panic!("expected an error, got {other:?}"),
        }
    }
}
