//! Long-running operations: poll `GET <root>/<version>/<name>` with backoff until `done`, then
//! return the operation's `response` or its `error` as a `GoogleError` (reference §1.4).

use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::client::{Api, Client, GoogleError};

/// Default time an operation may take (Terraform's default `timeouts` for these resources).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

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
