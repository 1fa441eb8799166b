//! Long-running operations: poll `GET <root>/<version>/<name>` with backoff until `done`, then
//! return the operation's `response` or its `error` as a `GoogleError` (reference §1.4).

use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json};

use super::client::{Api, Client, GoogleError};
use super::retry;

/// Default time an operation may take (Terraform's default `timeouts` for these resources).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The timeout for `action` (`create`, `update`, `delete`) from the resource's `timeouts`
/// block, else the default.
pub fn timeout_of(obj: &Map<String, Json>, action: &str) -> Duration {
    crate::providers::timeouts::of(obj, action, DEFAULT_TIMEOUT)
}

/// One request that answers with a long-running operation, as [`call_and_wait`] sends it.
pub struct Request<'a> {
    pub api: Api,
    /// API version prefix of the poll URL (`v1`, `v2`).
    pub version: &'a str,
    pub method: reqwest::Method,
    pub path: &'a str,
    pub body: Option<&'a Json>,
    /// For all attempts together.
    pub timeout: Duration,
}

/// Sends the request and waits for its operation; an operation that fails transiently
/// (`retry::is_transient_operation_failure`) is sent again with backoff, at most
/// `Backoff::max_retries` times. A create re-sent that way and answered 409 adopts the object
/// its failed operation may have made (see [`adopt`]).
pub async fn call_and_wait(client: &Client, r: Request<'_>) -> Result<Json, GoogleError> {
    let start = Instant::now();
    let mut failures = 0u32;
    loop {
        let op = match client.call(r.api, r.method.clone(), r.path, r.body).await {
            Ok(op) => op,
            Err(e) if failures > 0 && e.code == 409 && e.status != "ABORTED" => {
                return adopt(client, &r, e).await
            }
            Err(e) => return Err(e),
        };
        let left = r.timeout.saturating_sub(start.elapsed());
        match poll(client, r.api, r.version, op, left).await? {
            Err(e)
                if retry::is_transient_operation_failure(&e)
                    && failures < client.backoff.max_retries =>
            {
                tokio::time::sleep(client.backoff.delay(failures, e.retry_delay)).await;
                failures += 1;
            }
            done => return done,
        }
    }
}

/// A create re-sent after its operation failed met a conflict: the failed operation may have
/// created the object after all, under the ID keyway chose for this very call. The object is
/// adopted when it is live and holds everything the request asked for; otherwise the conflict
/// stands and the resource module reports it as usual.
async fn adopt(
    client: &Client,
    r: &Request<'_>,
    conflict: GoogleError,
) -> Result<Json, GoogleError> {
    let conflict = GoogleError {
        resent: true,
        ..conflict
    };
    let Some(name) = created_name(r.path) else {
        return Err(conflict);
    };
    let Ok(found) = client.get(r.api, &full_view(&name)).await else {
        return Err(conflict);
    };
    let asked = r.body.cloned().unwrap_or_default();
    if found.get("deleteTime").is_none() && holds(&found, &asked) {
        Ok(found)
    } else {
        Err(conflict)
    }
}

/// The GET path that returns everything a create could have asked for: API Gateway
/// configs leave their documents out unless `view=FULL` is asked.
fn full_view(name: &str) -> String {
    if name.contains("/configs/") {
        format!("{name}?view=FULL")
    } else {
        name.to_owned()
    }
}

/// The path of the object a create names: `v2/{parent}/keys?keyId=k` → `v2/{parent}/keys/k`
/// (Google's create calls take the new ID as a `...Id` query parameter).
fn created_name(path: &str) -> Option<String> {
    let (collection, query) = path.split_once('?')?;
    let id = query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.ends_with("Id") && !v.is_empty()).then_some(v)
    })?;
    Some(format!("{collection}/{id}"))
}

/// True if `got` has every field of `asked` with the same value (objects recursively, lists
/// element by element); fields the server added are ignored.
pub(crate) fn holds(got: &Json, asked: &Json) -> bool {
    match (got, asked) {
        (Json::Object(g), Json::Object(a)) => a
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|gv| holds(gv, v))),
        (Json::Array(g), Json::Array(a)) => {
            g.len() == a.len() && g.iter().zip(a).all(|(gv, av)| holds(gv, av))
        }
        _ => got == asked,
    }
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
    poll(client, api, version, op, timeout).await?
}

/// Polls `op` until done. The outer error is the waiting's own (a failed poll, the timeout);
/// the inner result is the operation's, so only the latter is a failed operation to retry.
async fn poll(
    client: &Client,
    api: Api,
    version: &str,
    op: Json,
    timeout: Duration,
) -> Result<Result<Json, GoogleError>, GoogleError> {
    let start = Instant::now();
    let mut op = op;
    let mut attempt = 0u32;
    loop {
        if let Some(result) = finished(&op) {
            return Ok(result);
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
            return Ok(Ok(Json::Object(Default::default())));
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
        let obj = json!({"timeouts": [{"create": "2m", "delete": null}]});
        let obj = obj.as_object().cloned().unwrap_or_default();
        assert_eq!(timeout_of(&obj, "create"), Duration::from_secs(120));
        assert_eq!(timeout_of(&obj, "delete"), DEFAULT_TIMEOUT);
        assert_eq!(timeout_of(&Map::new(), "update"), DEFAULT_TIMEOUT);
    }

    #[test]
    fn creates_name_their_object_and_adoption_needs_what_was_asked() {
        assert_eq!(
            created_name("v2/projects/p/locations/global/keys?keyId=k1").as_deref(),
            Some("v2/projects/p/locations/global/keys/k1")
        );
        assert_eq!(
            created_name("v1/projects/p/locations/global/apis/a/configs?apiConfigId=c").as_deref(),
            Some("v1/projects/p/locations/global/apis/a/configs/c")
        );
        assert_eq!(created_name("v2/projects/p/locations/global/keys"), None);
        let got = json!({"name": "n", "displayName": "d", "restrictions": {"apiTargets": [
            {"service": "s", "methods": []}]}, "uid": "u"});
        assert!(holds(
            &got,
            &json!({"displayName": "d",
            "restrictions": {"apiTargets": [{"service": "s"}]}})
        ));
        assert!(!holds(&got, &json!({"displayName": "other"})));
        assert!(!holds(&got, &json!({"labels": {"a": "b"}})));
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
