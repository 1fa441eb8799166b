//! The data plane: requests addressed to a gateway's `defaultHostname` or to a Cloud Run
//! service's URL host are served as API Gateway (ESPv2) and Cloud Run serve them — routed by
//! the gateway's current OpenAPI config, API keys enforced, and answered by the service's echo
//! backend behind Cloud Run's invoker check. The host comes from the `Host` header, or from a
//! `/__host/{hostname}/...` path prefix for clients that cannot set `Host`. Every other request
//! is the control plane's.
//!
//! The world lock is held only to copy out what a step needs (never while parsing a document
//! or building a response), parsed documents are cached per config, and nothing is persisted:
//! serving traffic does not change the world.

mod backend;
mod keys;
/// Also read by the AWS emulator's OpenAPI import (`aws/openapi.rs`): JSON or YAML, aliases bounded.
pub(in crate::emulator) mod openapi;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::server::{lock, Shared};
use super::world::{now_ms, World};
use super::LoggedRequest;
use openapi::{KeyLocation, Match, Spec, Translation};

/// Parsed OpenAPI documents by `{config name}@{serviceConfigId}` (configs are immutable; a
/// re-created config gets a new service config ID, so a stale entry is never served).
pub type SpecCache = Mutex<HashMap<String, Arc<Spec>>>;

const PREFIX: &str = "/__host/";

/// One incoming request, as the server decoded it.
pub struct Incoming<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub peer: Option<SocketAddr>,
}

/// An answer, with what the request log keeps of it.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
    /// The body for the log (JSON answers as JSON, pages as text), key values redacted.
    logged: Value,
}

impl Reply {
    /// ESPv2's own error shape: `{"code": N, "message": "..."}`.
    fn esp(status: u16, message: impl Into<String>) -> Reply {
        Reply::json(status, json!({"code": status, "message": message.into()}))
    }

    fn json(status: u16, v: Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: v.to_string(),
            logged: v,
        }
    }

    fn html(status: u16, page: String) -> Reply {
        Reply {
            status,
            content_type: "text/html; charset=UTF-8",
            logged: Value::String(page.clone()),
            body: page,
        }
    }

    /// Envoy's answer when the backend cannot be reached.
    fn upstream_failure() -> Reply {
        let text = "upstream connect error or disconnect/reset before headers. reset reason: \
                    connection failure";
        Reply {
            status: 503,
            content_type: "text/plain",
            body: text.to_string(),
            logged: Value::String(text.to_string()),
        }
    }

    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, [("content-type", self.content_type)], self.body).into_response()
    }
}

/// The data-plane host and path of a request, or `None` for control-plane traffic.
fn target(uri: &Uri, headers: &HeaderMap) -> Option<(String, String)> {
    if let Some(rest) = uri.path().strip_prefix(PREFIX) {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        return Some((host.to_ascii_lowercase(), format!("/{path}")));
    }
    let host = headers.get("host")?.to_str().ok()?;
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    (host.ends_with(".gateway.dev") || host.ends_with(".run.app"))
        .then(|| (host, uri.path().to_string()))
}

/// Serves the request if it is data-plane traffic.
pub fn serve(shared: &Shared, req: &Incoming) -> Option<Response> {
    let (host, path) = target(req.uri, req.headers)?;
    let query: Vec<(String, String)> =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(req.uri)
            .map(|q| q.0)
            .unwrap_or_default();
    let call = Call {
        shared,
        req,
        host: &host,
        path: &path,
        query: &query,
    };
    let gateway = gateway_view(&lock(&shared.world), &host);
    let mut redact = vec!["key".to_string(), "api_key".to_string()];
    let (counter, reply) = match gateway {
        Some(g) => ("gateway.requests", call.gateway(&g, &mut redact)),
        None => ("run.requests", call.direct()),
    };
    let logged_path = format!("{PREFIX}{host}{path}");
    record(shared, req, counter, &logged_path, &redact, &reply);
    Some(reply.into_response())
}

/// What serving a gateway needs from the world.
struct GatewayView {
    config: String,
    service_config_id: String,
    managed_service: String,
    /// `serviceAccount:EMAIL`, the identity the gateway calls backends with.
    member: Option<String>,
}

fn gateway_view(w: &World, host: &str) -> Option<GatewayView> {
    let gw = w
        .gateways
        .values()
        .find(|g| g.body["defaultHostname"].as_str() == Some(host))?;
    let config = gw.body["apiConfig"].as_str()?.to_string();
    let cfg = w.api_configs.get(&config)?;
    let api = config.split("/configs/").next().unwrap_or_default();
    Some(GatewayView {
        service_config_id: cfg.body["serviceConfigId"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        managed_service: w
            .apis
            .get(api)
            .and_then(|a| a.body["managedService"].as_str())
            .unwrap_or_default()
            .to_string(),
        member: cfg.body["gatewayServiceAccount"]
            .as_str()
            .map(|sa| format!("serviceAccount:{sa}")),
        config,
    })
}

/// The parsed config, from the cache or parsed now (outside the world lock).
fn spec_for(shared: &Shared, g: &GatewayView) -> Result<Arc<Spec>, String> {
    let cache_key = format!("{}@{}", g.config, g.service_config_id);
    if let Some(s) = lock(&shared.specs).get(&cache_key) {
        return Ok(s.clone());
    }
    let docs = lock(&shared.world)
        .api_configs
        .get(&g.config)
        .and_then(|c| c.body["openapiDocuments"].as_array().cloned())
        .unwrap_or_default();
    let spec = Arc::new(openapi::parse_documents(&docs)?);
    lock(&shared.specs).insert(cache_key, spec.clone());
    Ok(spec)
}

struct Call<'a> {
    shared: &'a Shared,
    req: &'a Incoming<'a>,
    host: &'a str,
    path: &'a str,
    query: &'a [(String, String)],
}

impl Call<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.req.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// ESPv2's order: route, then key presence, then the Service Control check, then the
    /// backend (whose own answer, such as Cloud Run's 403, is passed through).
    fn gateway(&self, g: &GatewayView, redact: &mut Vec<String>) -> Reply {
        let spec = match spec_for(self.shared, g) {
            Ok(s) => s,
            Err(e) => return Reply::esp(500, format!("INTERNAL:Cannot load API config: {e}")),
        };
        let method = self.req.method.as_str();
        let (op, params) = match spec.find(method, self.path) {
            Match::Found(op, params) => (op, params),
            Match::WrongMethod(t) => {
                return Reply::esp(
                    405,
                    format!(
                        "The current request is matched to the defined url template \"{t}\" but \
                         its http method is not allowed"
                    ),
                )
            }
            Match::NotFound => {
                return Reply::esp(404, "The current request is not defined by this API.")
            }
        };
        if let Some(locations) = &op.key_locations {
            for l in locations {
                if let KeyLocation::Query(n) = l {
                    redact.push(n.clone());
                }
            }
            let Some(key) = locations.iter().find_map(|l| self.key_at(l)) else {
                let r = keys::missing();
                return Reply::esp(r.http, r.message);
            };
            let check = keys::CheckCall {
                managed_service: &g.managed_service,
                operation_id: &op.operation_id,
                ip: self.req.peer.map(|p| p.ip()),
                referer: self.header("referer"),
            };
            if let Err(r) = keys::check(&lock(&self.shared.world), key, &check) {
                return Reply::esp(r.http, r.message);
            }
        }
        let Some(b) = &op.backend else {
            return Reply::upstream_failure();
        };
        let (host, base) = backend::split_address(&b.address);
        let mut query = self.query.to_vec();
        let path = match b.translation {
            Translation::Append => format!("{}{}", base.trim_end_matches('/'), self.path),
            Translation::Constant => {
                query.extend(params);
                if base.is_empty() {
                    "/".to_string()
                } else {
                    base
                }
            }
        };
        self.invoke(&host, g.member.as_deref(), &path, &query)
    }

    fn key_at(&self, l: &KeyLocation) -> Option<&str> {
        match l {
            KeyLocation::Query(n) => self
                .query
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str()),
            KeyLocation::Header(n) => self.header(n),
        }
        .filter(|k| !k.is_empty())
    }

    /// A request straight to a Cloud Run URL: no identity, so only `allUsers` lets it in.
    fn direct(&self) -> Reply {
        self.invoke(self.host, None, self.path, self.query)
    }

    fn invoke(
        &self,
        host: &str,
        member: Option<&str>,
        path: &str,
        query: &[(String, String)],
    ) -> Reply {
        let target = backend::resolve(&lock(&self.shared.world), host, member, now_ms());
        let Some(t) = target else {
            // A gateway whose backend does not exist gets Envoy's upstream failure; a request
            // to an unknown host gets the front end's 404.
            return if member.is_some() || host != self.host {
                Reply::upstream_failure()
            } else {
                Reply::html(404, backend::not_found_html())
            };
        };
        if !t.allowed {
            return Reply::html(403, backend::forbidden_html(path));
        }
        let mut headers: BTreeMap<String, String> = self
            .req
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        if let Some(ip) = self.req.peer.map(|p| p.ip().to_string()) {
            let xff = match headers.get("x-forwarded-for") {
                Some(prev) => format!("{prev}, {ip}"),
                None => ip,
            };
            headers.insert("x-forwarded-for".into(), xff);
        }
        Reply::json(
            200,
            backend::echo(&backend::EchoRequest {
                service: &t.service,
                method: self.req.method.as_str(),
                path,
                query,
                headers: &headers,
                body: self.req.body,
            }),
        )
    }
}

/// `a=1&key=SECRET` → `a=1&key=REDACTED` for every name in `names`, compared after
/// percent-decoding (`k%65y` is `key` to the gateway, so it is to the log too).
pub(super) fn redact_query(raw: &str, names: &[String]) -> String {
    raw.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_named(k, names) => format!("{k}=REDACTED"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_named(raw_name: &str, names: &[String]) -> bool {
    let name = super::server::percent_decode(&raw_name.replace('+', " "));
    names.contains(&name)
}

/// The decoded values of the query parameters named in `names`: the key strings to keep out of
/// the log wherever the echo repeats them (its query, a body that quotes the key).
fn key_values(raw: &str, names: &[String]) -> Vec<String> {
    raw.split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| is_named(k, names))
        .map(|(_, v)| super::server::percent_decode(&v.replace('+', " ")))
        .filter(|v| !v.is_empty())
        .collect()
}

/// `v` with every occurrence of a secret in any string (keys included) replaced.
fn scrub(v: &Value, secrets: &[String]) -> Value {
    let clean = |s: &str| {
        secrets
            .iter()
            .fold(s.to_string(), |acc, k| acc.replace(k.as_str(), "REDACTED"))
    };
    match v {
        Value::String(s) => Value::String(clean(s)),
        Value::Array(items) => Value::Array(items.iter().map(|i| scrub(i, secrets)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, i)| (clean(k), scrub(i, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Counts the request and logs it under `path` (the `/__host/` form), key values redacted.
fn record(
    shared: &Shared,
    req: &Incoming,
    counter: &str,
    path: &str,
    redact: &[String],
    reply: &Reply,
) {
    let raw_query = req.uri.query().unwrap_or_default();
    // The echo repeats the query, key included, and may repeat a body quoting it: keep the key
    // out of the log wherever it appears.
    let mut logged = scrub(&reply.logged, &key_values(raw_query, redact));
    if let Some(q) = logged.get_mut("query").and_then(Value::as_object_mut) {
        for n in redact {
            if let Some(v) = q.get_mut(n) {
                *v = json!("REDACTED");
            }
        }
    }
    *lock(&shared.counters)
        .entry(counter.to_string())
        .or_insert(0) += 1;
    let entry = LoggedRequest {
        method: counter.to_string(),
        http_method: req.method.as_str().to_string(),
        path: path.to_string(),
        query: redact_query(raw_query, redact),
        status: reply.status,
        request_body: None,
        response_body: logged,
    };
    super::server::push_log(shared, entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_by_header_or_prefix() {
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            "gw-abc.uc.gateway.dev:8080".parse().expect("header"),
        );
        let uri: Uri = "/hello?key=x".parse().expect("uri");
        assert_eq!(
            target(&uri, &h),
            Some(("gw-abc.uc.gateway.dev".into(), "/hello".into()))
        );
        let uri: Uri = "/__host/svc-x-uc.a.run.app/a/b?q=1".parse().expect("uri");
        assert_eq!(
            target(&uri, &HeaderMap::new()),
            Some(("svc-x-uc.a.run.app".into(), "/a/b".into()))
        );
        h.insert("host", "127.0.0.1:9".parse().expect("header"));
        assert_eq!(target(&"/v1/x".parse().expect("uri"), &h), None);
    }

    #[test]
    fn key_values_are_redacted() {
        let names = vec!["key".to_string()];
        assert_eq!(
            redact_query("a=1&key=AIza123&b=2", &names),
            "a=1&key=REDACTED&b=2"
        );
    }
}
