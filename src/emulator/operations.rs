//! Long-running operations: created finished-in-the-future (after the configured delay), read
//! back as pending or done, for all four APIs that use them (Service Usage, Cloud Run, API
//! Gateway, API Keys). Each API names and types its operations differently (reference §1.4).

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::request::{handler, list_body, Call, Route};
use super::schema::{Field, Ty};
use super::world::{rfc3339, Operation, World};

/// Service Usage's pseudo-operation for an enable that changed nothing [Obs].
pub const NOOP: &str = "operations/noop.DONE_OPERATION";

/// Records a new operation and returns it as the creating call answers it.
pub fn start(
    w: &mut World,
    c: &Call,
    name: String,
    metadata: Option<Value>,
    outcome: ApiResult,
) -> Value {
    let outcome = match outcome {
        Ok(response) => json!({ "response": response }),
        Err(e) => json!({ "error": e.operation_status() }),
    };
    let op = Operation {
        name: name.clone(),
        metadata,
        outcome,
        done_ms: c.now_ms + c.op_delay_ms,
        create_time: rfc3339(c.now_ms),
    };
    let view = render(&op, c.now_ms);
    w.operations.insert(name, op);
    view
}

/// An operation that is done already and is not stored (Service Usage no-op, validateOnly).
pub fn done_now(name: &str, metadata: Option<Value>, response: Value) -> Value {
    let mut v = json!({"name": name, "done": true, "response": response});
    if let Some(m) = metadata {
        v["metadata"] = m;
    }
    v
}

pub fn render(op: &Operation, now_ms: u64) -> Value {
    let mut v = json!({ "name": op.name });
    let done = now_ms >= op.done_ms;
    if let Some(m) = &op.metadata {
        let mut m = m.clone();
        if !done {
            // API Gateway metadata carries `endTime` only once finished.
            if let Some(o) = m.as_object_mut() {
                o.remove("endTime");
            }
        }
        v["metadata"] = m;
    }
    if done {
        v["done"] = Value::Bool(true);
        if let Some(o) = op.outcome.as_object() {
            for (k, val) in o {
                v[k] = val.clone();
            }
        }
    }
    v
}

/// Routes `operations.get` for every API, and list / delete / cancel for Service Usage, Run and
/// API Gateway (Run without cancel), and Run's `:wait`. API Keys defines get only.
pub fn route_call(c: &Call) -> Option<Route> {
    let segs = c.segs();
    let (api, version_ok) = match (c.version.as_str(), segs.as_slice()) {
        ("v1", ["operations"] | ["operations", _]) => ("serviceusage", true),
        ("v2", ["operations", _]) => ("apikeys", true),
        ("v1", ["projects", _, "locations", _, "operations", ..]) => ("apigateway", true),
        ("v2", ["projects", _, "locations", _, "operations", ..]) => ("run", true),
        ("v1", ["projects", _, "databases", _, "operations", ..]) => ("firestore", true),
        _ => ("", false),
    };
    if !version_ok {
        return None;
    }
    let name = segs.join("/");
    let is_list = segs.last() == Some(&"operations");
    match (c.http.as_str(), c.verb(), is_list) {
        ("GET", None, false) => handler(method(api, "get"), move |c, w| get(c, w, &name)),
        ("GET", None, true) if api == "serviceusage" => {
            // Service Usage lists its own operations (`acf.` / `acat.`), not API Keys' ones,
            // which share the `operations/` collection name on another host.
            handler("serviceusage.operations.list", move |c, w| {
                list(c, w, &["operations/acf.", "operations/acat."])
            })
        }
        ("GET", None, true) if api == "run" || api == "apigateway" => {
            handler(method(api, "list"), move |c, w| {
                list(c, w, &[format!("{name}/").as_str()])
            })
        }
        ("POST", Some("wait"), false) if api == "run" => {
            // The waiting itself happens in the server before this runs (see `wait_until`),
            // without holding the world.
            handler("run.operations.wait", move |c, w| {
                c.allow_query(&[])?;
                wait_timeout_ms(c)?;
                get(c, w, &name)
            })
        }
        ("POST", Some("cancel"), false) if api == "apigateway" || api == "serviceusage" => {
            // Operations here finish on their own; cancelling one that is done is a no-op.
            handler(method(api, "cancel"), move |c, w| {
                c.allow_query(&[])?;
                get(c, w, &name).map(|_| json!({}))
            })
        }
        ("DELETE", None, false) if api != "apikeys" => {
            handler(method(api, "delete"), move |_c, w| {
                match w.operations.remove(&name) {
                    Some(_) => Ok(json!({})),
                    None => Err(ApiError::not_found("operation", &name)),
                }
            })
        }
        _ => None,
    }
}

fn method(api: &str, verb: &str) -> &'static str {
    match (api, verb) {
        ("serviceusage", "cancel") => "serviceusage.operations.cancel",
        ("serviceusage", "delete") => "serviceusage.operations.delete",
        ("serviceusage", _) => "serviceusage.operations.get",
        ("apikeys", _) => "apikeys.operations.get",
        ("firestore", _) => "firestore.projects.databases.operations.get",
        ("run", "list") => "run.operations.list",
        ("run", "delete") => "run.operations.delete",
        ("run", _) => "run.operations.get",
        ("apigateway", "list") => "apigateway.operations.list",
        ("apigateway", "delete") => "apigateway.operations.delete",
        ("apigateway", "cancel") => "apigateway.operations.cancel",
        _ => "apigateway.operations.get",
    }
}

fn get(c: &Call, w: &mut World, name: &str) -> ApiResult {
    if name == NOOP {
        // Reportedly the no-op operation cannot be polled [Obs].
        return Err(ApiError::invalid(
            "Operation name 'noop.DONE_OPERATION' is not valid for polling.",
        ));
    }
    w.operations
        .get(name)
        .map(|op| render(op, c.now_ms))
        .ok_or_else(|| ApiError::not_found("operation", name))
}

/// Lists the operations whose names start with one of `prefixes`.
fn list(c: &Call, w: &mut World, prefixes: &[&str]) -> ApiResult {
    c.allow_query(&[
        "filter",
        "name",
        "pageSize",
        "pageToken",
        "returnPartialSuccess",
    ])?;
    if c.q_bool("returnPartialSuccess")? {
        return Err(ApiError::new(
            501,
            "UNIMPLEMENTED",
            "returnPartialSuccess is not supported",
        ));
    }
    let done_filter = match c.q("filter").unwrap_or_default().replace(' ', "").as_str() {
        "" => None,
        "done:true" | "done=true" => Some(true),
        "done:false" | "done=false" => Some(false),
        other => {
            return Err(ApiError::field(
                "filter",
                format!("Unsupported filter '{other}'"),
            ))
        }
    };
    let ops: Vec<Value> = w
        .operations
        .values()
        .filter(|op| prefixes.iter().any(|p| op.name.starts_with(p)))
        .filter(|op| done_filter.is_none_or(|d| (c.now_ms >= op.done_ms) == d))
        .map(|op| render(op, c.now_ms))
        .collect();
    let (page, next) = c.page(ops, 100, 100)?;
    Ok(list_body("operations", page, next))
}

/// Longest a `:wait` without a `timeout` waits. Google bounds it by "the time permitted by the
/// underlying HTTP/RPC protocol" (discovery, `WaitOperationRequest.timeout`); a minute is the
/// plausible front-end deadline [Inf].
pub const MAX_WAIT_MS: u64 = 60_000;

const WAIT: &[Field] = &[Field("timeout", Ty::Str)];

/// Parses a `google-duration` (`"30s"`, `"3.5s"`, `"0.000001s"`) to whole milliseconds.
pub fn parse_duration_ms(d: &str) -> Option<u64> {
    let secs = d.strip_suffix('s')?;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 9
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let ms_frac: u64 = format!("{frac:0<3}")[..3].parse().ok()?;
    whole.checked_mul(1000)?.checked_add(ms_frac)
}

/// The `timeout` of a `:wait` body in ms (`MAX_WAIT_MS` when absent, and never more).
fn wait_timeout_ms(c: &Call) -> ApiResult<u64> {
    let body = c.body(WAIT, "")?;
    match body.get("timeout").and_then(Value::as_str) {
        None | Some("") => Ok(MAX_WAIT_MS),
        Some(t) => parse_duration_ms(t)
            .map(|ms| ms.min(MAX_WAIT_MS))
            .ok_or_else(|| {
                ApiError::field(
                    "timeout",
                    format!("Invalid value at 'timeout' (type.googleapis.com/google.protobuf.Duration), \"{t}\""),
                )
            }),
    }
}

/// For a Run `operations.wait` call: when (ms since epoch) to answer it, if later than `now`:
/// when the operation finishes, or when the request's timeout runs out, whichever is first.
/// `None` = answer at once (done already, unknown operation, or a bad request that the handler
/// will reject).
pub fn wait_until(c: &Call, w: &World, now: u64) -> Option<u64> {
    let timeout = wait_timeout_ms(c).ok()?;
    let op = w.operations.get(&c.segs.join("/"))?;
    (op.done_ms > now).then(|| op.done_ms.min(now.saturating_add(timeout)))
}
