//! The HTTP front: one axum fallback handler that decodes every request into a [`Call`], finds
//! the API module owning its path (all six APIs share one base URL, routed by path as Google's
//! hosts route them), applies injected faults, runs it against the world, persists, and logs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

use super::errors::{ApiError, ApiResult};
use super::faults::{FaultConfig, Faults};
use super::request::{Call, Route};
use super::world::{now_ms, Clock, World};
use super::{
    admin, apigateway, apikeys, aws, dataplane, enums, generic, iam, operations, resourcemanager,
    run, serviceusage, storage_objects, LoggedRequest,
};

/// Everything a running emulator shares between requests.
#[derive(Debug)]
pub struct Shared {
    pub world: Mutex<World>,
    pub faults: Mutex<Faults>,
    pub log: Mutex<std::collections::VecDeque<LoggedRequest>>,
    pub counters: Mutex<BTreeMap<String, u64>>,
    /// Parsed gateway configs for the data plane.
    pub specs: dataplane::SpecCache,
    pub data_file: Option<PathBuf>,
    pub op_delay: Duration,
}

impl Shared {
    pub fn new(
        world: World,
        faults: FaultConfig,
        op_delay: Duration,
        data_file: Option<PathBuf>,
    ) -> Self {
        Shared {
            world: Mutex::new(world),
            faults: Mutex::new(Faults::new(faults)),
            log: Mutex::new(std::collections::VecDeque::new()),
            counters: Mutex::new(BTreeMap::new()),
            specs: Default::default(),
            data_file,
            op_delay,
        }
    }

    /// Persists the world (temp file + rename, so a reader never sees half a file). The file
    /// holds API key strings: it is created readable by its owner only. The temp name is
    /// unique because two emulators may share one data file.
    pub fn persist(&self, world: &World) -> std::io::Result<()> {
        let Some(path) = &self.data_file else {
            return Ok(());
        };
        // Compact JSON: the file is rewritten after every write request, so size is time.
        let text = serde_json::to_vec(world).map_err(std::io::Error::other)?;
        let tmp = path.with_extension(format!(
            "tmp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = write_private(&tmp, &text).and_then(|()| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

/// Writes a new file that only its owner may read (the mode is set at creation, so the
/// contents are never readable by others, even for a moment).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(bytes)
}

/// Locks, recovering from a poisoned lock: the world is plain data, so a panic elsewhere leaves
/// nothing half-invariant that a later request could trip on.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The router over a shared emulator state.
pub fn router_with(shared: Arc<Shared>) -> Router {
    Router::new().fallback(entry).with_state(shared)
}

/// Largest request body accepted (the control plane's JSON and data-plane payloads alike).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Data-plane traffic (a gateway or Cloud Run host) goes to `dataplane`; the rest is the
/// control plane. The peer address is known when served with connect info (the caller IP that
/// API-key IP restrictions check).
async fn entry(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    };
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let incoming = dataplane::Incoming {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body: &body,
        peer,
    };
    // AWS's execute-api hosts first: the Google data plane takes every `/__host/` path.
    if let Some(resp) = aws::serve_traffic(
        &shared,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        peer,
    )
    .await
    {
        return resp;
    }
    if let Some(resp) = dataplane::serve(&shared, &incoming) {
        return resp;
    }
    // AWS's control plane: SigV4-signed requests (and unsigned ones on AWS-only paths).
    if let Some(resp) = aws::serve(&shared, &parts.method, &parts.uri, &parts.headers, &body).await
    {
        return resp;
    }
    if let Some(resp) =
        storage_objects::serve(&shared, &parts.method, &parts.uri, &parts.headers, &body)
    {
        return resp;
    }
    handle(shared, parts.method, parts.uri, parts.headers, body).await
}

/// Appends to the bounded request log.
pub fn push_log(shared: &Shared, entry: LoggedRequest) {
    let mut log = lock(&shared.log);
    // Bounded so a long benchmark cannot grow memory without limit; counters stay exact.
    if log.len() >= MAX_LOG {
        log.pop_front();
    }
    log.push_back(entry);
}

pub(super) fn percent_decode(s: &str) -> String {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Request-log entries kept (oldest dropped first).
const MAX_LOG: usize = 100_000;

const MODULES: &[fn(&Call) -> Option<Route>] = &[
    operations::route_call,
    serviceusage::route,
    iam::route,
    resourcemanager::route,
    run::route,
    apigateway::route,
    apikeys::route,
    generic::route,
];

fn json_response(status: u16, body: &Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [("content-type", "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

async fn handle(
    shared: Arc<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if let Some(rest) = path.strip_prefix("/__emulator/") {
        let (status, v) = admin::handle(&shared, method.as_str(), rest);
        return json_response(status, &v);
    }
    let query: Vec<(String, String)> =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
            .map(|q| q.0)
            .unwrap_or_default();
    let mut segs: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let version = if segs.is_empty() {
        String::new()
    } else {
        segs.remove(0)
    };
    let mut verb = None;
    if let Some(last) = segs.last_mut() {
        if let Some((seg, v)) = last.clone().split_once(':') {
            *last = seg.to_string();
            verb = Some(v.to_string());
        }
    }
    let parsed_body: ApiResult<Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Value::Null)
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("Invalid JSON payload received. {e}")))
    };
    let request_body = parsed_body.as_ref().ok().filter(|v| !v.is_null()).cloned();
    let user_project = headers
        .get("x-goog-user-project")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
    let mut call = Call {
        host,
        http: method.as_str().to_string(),
        version,
        segs,
        verb,
        query,
        body: parsed_body.clone().unwrap_or(Value::Null),
        user_project,
        fail_op: false,
        op_delay_ms: shared.op_delay.as_millis() as u64,
        now_ms: 0,
    };
    let found = MODULES.iter().find_map(|m| m(&call));
    let (name, result) = match found {
        None => (
            "unknown",
            Err(ApiError::new(
                404,
                "NOT_FOUND",
                format!("Method not found: {} {path}", method),
            )),
        ),
        Some(route) => {
            let (latency, op_delay) = {
                let f = lock(&shared.faults);
                (
                    f.latency(route.method),
                    f.operation_delay(route.method, shared.op_delay),
                )
            };
            call.op_delay_ms = op_delay.as_millis() as u64;
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let fault = {
                let mut f = lock(&shared.faults);
                let fault = f.request_fault();
                call.fail_op = fault.is_none() && f.operation_fails(route.method);
                fault
            };
            let result = match (fault, parsed_body) {
                (Some(e), _) => Err(e),
                (None, Err(e)) => Err(e),
                (None, Ok(_)) => {
                    if route.method == "run.operations.wait" {
                        // `:wait` holds the answer until the operation is done or the timeout
                        // runs out, without holding the world meanwhile.
                        let now = now_ms();
                        let until = operations::wait_until(&call, &lock(&shared.world), now);
                        if let Some(until) = until {
                            tokio::time::sleep(Duration::from_millis(until.saturating_sub(now)))
                                .await;
                        }
                    }
                    call.now_ms = now_ms();
                    let clock = {
                        let f = &lock(&shared.faults).config;
                        Clock {
                            now_ms: call.now_ms,
                            enable_propagation_ms: f.enable_propagation.as_millis() as u64,
                            account_propagation_ms: f.service_account_propagation.as_millis()
                                as u64,
                            recent_enable_ms: f.recent_enable_window.as_millis() as u64,
                            iam_propagation_ms: f.iam_propagation.as_millis() as u64,
                        }
                    };
                    let mut world = lock(&shared.world);
                    world.clock = clock;
                    let before = world.seq;
                    let snapshot_ops = world.operations.len();
                    let result = (route.run)(&call, &mut world);
                    // Persist when the call changed the world: a successful write, or anything
                    // that consumed IDs or recorded an operation (failed requests change nothing).
                    let wrote = call.http != "GET" && result.is_ok();
                    if wrote || world.seq != before || world.operations.len() != snapshot_ops {
                        if let Err(e) = shared.persist(&world) {
                            // Serving keeps working in memory; the failure is reported in the log.
                            eprintln!("keyway emulator: cannot persist world: {e}");
                        }
                    }
                    drop(world);
                    if result.is_ok() && lock(&shared.faults).response_lost(route.method) {
                        Err(ApiError::new(
                            503,
                            "UNAVAILABLE",
                            "The answer was lost (injected by the keyway emulator); the request was carried out.",
                        ))
                    } else {
                        result
                    }
                }
            };
            (route.method, result)
        }
    };
    let (status, response_body) = match &result {
        Ok(v) => {
            let mut v = v.clone();
            if enums::wants_ints(&call.query) {
                enums::encode(name, &mut v);
            }
            (200u16, v)
        }
        Err(e) => (e.http, e.body()),
    };
    *lock(&shared.counters).entry(name.to_string()).or_insert(0) += 1;
    push_log(
        &shared,
        LoggedRequest {
            method: name.to_string(),
            http_method: method.as_str().to_string(),
            path,
            // `lookupKey?keyString=...` carries the key in the query.
            query: super::dataplane::redact_query(
                uri.query().unwrap_or_default(),
                &["keyString".to_string()],
            ),
            status,
            request_body,
            response_body: redacted(&response_body),
        },
    );
    json_response(status, &response_body)
}

/// The log never holds an API key string: `keyString` fields (keys, `getKeyString`, finished
/// operations) are replaced wherever they sit.
fn redacted(body: &Value) -> Value {
    match body {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if k == "keyString" && v.is_string() {
                        Value::String(REDACTED.into())
                    } else {
                        redacted(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

const REDACTED: &str = "REDACTED";
