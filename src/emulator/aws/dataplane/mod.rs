//! The data plane of HTTP APIs (REST APIs: `rest`): requests addressed to `{api-id}.execute-api.{region}.amazonaws.com`
//! (the `Host` header, or the `/__host/{host}/...` prefix the Google side uses) are served as
//! API Gateway serves them: the stage from the path (`/{stage}/...`, else `$default`), the
//! deployment the stage points at (changes are invisible until deployed), route selection,
//! CORS preflights and headers and stage / route throttling (`guards`), JWT authorizers against
//! the emulator's own issuer (`jwt`), then the integration — AWS_PROXY to a Lambda function
//! (its resource policy enforced, a Python handler run from its zip) or HTTP_PROXY to a
//! loopback URL (any other host answers as an echo). Answers and errors use HTTP APIs'
//! documented bodies (`{"message": "Not Found"}`, ...); nothing is persisted.

mod events;
mod guards;
mod invoke;
mod jwt;
mod rest;
mod routes;
mod vtl;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use super::super::server::{lock, push_log, Shared};
use super::super::world::now_ms;
use super::super::LoggedRequest;
use super::ACCOUNT;

const PREFIX: &str = "/__host/";

/// `(api id, region, path)` when the request is addressed to an execute-api host.
fn target(uri: &Uri, headers: &HeaderMap) -> Option<(String, String, String)> {
    let (host, path) = match uri.path().strip_prefix(PREFIX) {
        Some(rest) => {
            let (h, p) = rest.split_once('/').unwrap_or((rest, ""));
            (h.to_ascii_lowercase(), format!("/{p}"))
        }
        None => {
            let h = headers.get("host")?.to_str().ok()?;
            (
                h.split(':').next().unwrap_or(h).to_ascii_lowercase(),
                uri.path().to_string(),
            )
        }
    };
    let rest = host.strip_suffix(".amazonaws.com")?;
    let (id, region) = rest.split_once(".execute-api.")?;
    Some((id.to_string(), region.to_string(), path))
}

/// One answer and what the log keeps of it.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// API Gateway's own answers: `{"message": ...}`.
    fn message(status: u16, message: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: json!({"message": message}).to_string().into_bytes(),
        }
    }
}

/// Serves execute-api traffic; `None` for every other request.
pub async fn serve(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    peer: Option<SocketAddr>,
) -> Option<Response> {
    if let Some(rest) = uri.path().strip_prefix(jwt::ISSUER_PATH) {
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let (status, v) = jwt::serve_issuer(method.as_str(), rest, host, body);
        let mut resp = Response::new(Body::from(v.to_string()));
        *resp.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        resp.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return Some(resp);
    }
    let (api_id, region, path) = target(uri, headers)?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let call = Call {
        shared,
        method: method.as_str(),
        api_id: &api_id,
        region: &region,
        path: &path,
        query: uri.query().unwrap_or_default(),
        headers,
        body,
        peer,
        request_id: &request_id,
    };
    let mut reply = call.serve().await;
    reply
        .headers
        .push(("apigw-requestid".into(), request_id.clone()));
    *lock(&shared.counters)
        .entry("execute-api.requests".into())
        .or_insert(0) += 1;
    push_log(
        shared,
        LoggedRequest {
            method: "execute-api.requests".into(),
            http_method: method.as_str().to_string(),
            path: format!("{PREFIX}{api_id}.execute-api.{region}.amazonaws.com{path}"),
            query: uri.query().unwrap_or_default().to_string(),
            status: reply.status,
            request_body: None,
            response_body: serde_json::from_slice(&reply.body).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&reply.body).into_owned())
            }),
        },
    );
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::try_from(k.as_str()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().append(k, v);
        }
    }
    Some(resp)
}

/// Why a forwarded request got no answer.
pub(super) enum Failure {
    Timeout,
    Unreachable,
}

/// What serving one request needs from the world, copied out under the lock.
struct Deployed {
    stage: String,
    stage_body: Value,
    snapshot: Value,
    /// The path after the stage prefix.
    path: String,
}

struct Call<'a> {
    shared: &'a Shared,
    method: &'a str,
    api_id: &'a str,
    region: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
    peer: Option<SocketAddr>,
    request_id: &'a str,
}

impl Call<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The stage the path names (or `$default`) and its deployed snapshot.
    fn deployed(&self) -> Option<Deployed> {
        let world = lock(&self.shared.world);
        let api = world
            .aws
            .http_apis
            .get(&format!("{}/{}", self.region, self.api_id))?;
        let first = self
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        let (stage, path) = match api.stages.get(first) {
            Some(_) if first != "$default" => {
                let rest = &self.path.trim_start_matches('/')[first.len()..];
                (
                    first.to_string(),
                    if rest.is_empty() {
                        "/".to_string()
                    } else {
                        rest.to_string()
                    },
                )
            }
            _ if api.stages.contains_key("$default") => {
                ("$default".to_string(), self.path.to_string())
            }
            _ => return None,
        };
        let stage_body = api.stages.get(&stage)?.clone();
        let dep = stage_body["deploymentId"].as_str()?;
        let snapshot = api.deployments.get(dep)?.snapshot.clone();
        Some(Deployed {
            stage,
            stage_body,
            snapshot,
            path,
        })
    }

    async fn serve(&self) -> Reply {
        let rest = lock(&self.shared.world)
            .aws
            .rest_apis
            .contains_key(&format!("{}/{}", self.region, self.api_id));
        if rest {
            return self.serve_rest().await;
        }
        let Some(d) = self.deployed() else {
            return Reply::message(404, "Not Found");
        };
        let cors = d.snapshot["corsConfiguration"].clone();
        if !cors.is_null()
            && self.method == "OPTIONS"
            && self.header("origin").is_some()
            && self.header("access-control-request-method").is_some()
        {
            return self.preflight(&cors);
        }
        let mut reply = self.route(&d).await;
        if !cors.is_null() {
            self.cors_headers(&cors, &mut reply);
        }
        reply
    }

    async fn route(&self, d: &Deployed) -> Reply {
        let routes = d.snapshot["routes"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let Some(m) = routes::select(routes.values(), self.method, &d.path) else {
            return Reply::message(404, "Not Found");
        };
        let route_key = m.route["routeKey"].as_str().unwrap_or_default().to_string();
        if let Err(r) = guards::throttle(self, d, &route_key) {
            return r;
        }
        let authorizer = match self.authorize(d, &m.route) {
            Ok(a) => a,
            Err(r) => return r,
        };
        let Some(integration) = m.route["target"]
            .as_str()
            .and_then(|t| t.strip_prefix("integrations/"))
            .and_then(|id| d.snapshot["integrations"].get(id))
            .cloned()
        else {
            return Reply::message(500, "Internal Server Error");
        };
        let req = events::Request {
            api_id: self.api_id,
            region: self.region,
            stage: &d.stage,
            route_key: &route_key,
            method: self.method,
            raw_path: self.path,
            raw_query: self.query,
            headers: self
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        v.to_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            body: self.body,
            params: &m.params,
            stage_variables: d.stage_body["stageVariables"].clone(),
            source_ip: self
                .peer
                .map(|p| p.ip().to_string())
                .unwrap_or_else(|| "127.0.0.1".into()),
            request_id: self.request_id,
            now_ms: now_ms(),
            authorizer,
        };
        let timeout =
            Duration::from_millis(integration["timeoutInMillis"].as_u64().unwrap_or(30_000));
        match integration["integrationType"].as_str().unwrap_or_default() {
            "AWS_PROXY" => {
                self.lambda(&integration, &req, &d.stage, &route_key, timeout)
                    .await
            }
            "HTTP_PROXY" => self.http_proxy(&integration, &m.params, timeout).await,
            _ => Reply::message(500, "Internal Server Error"),
        }
    }

    /// AWS_PROXY: the function must exist and let API Gateway invoke it; its result is mapped
    /// back per payload format. A missing function or permission, a raised error or a
    /// malformed result is a 500, a timeout a 503 (HTTP APIs' documented answers).
    async fn lambda(
        &self,
        integration: &Value,
        req: &events::Request<'_>,
        stage: &str,
        route_key: &str,
        timeout: Duration,
    ) -> Reply {
        let uri = integration["integrationUri"].as_str().unwrap_or_default();
        let function = invoke::function_for(&lock(&self.shared.world), uri);
        let Some(f) = function else {
            return Reply::message(500, "Internal Server Error");
        };
        let resource = match route_key.split_once(' ') {
            Some((m, p)) => format!("{m}{p}"),
            None => route_key.to_string(),
        };
        let source = format!(
            "arn:aws:execute-api:{}:{ACCOUNT}:{}/{stage}/{resource}",
            self.region, self.api_id
        );
        if !invoke::permitted(&f, &source) {
            return Reply::message(500, "Internal Server Error");
        }
        let version = integration["payloadFormatVersion"]
            .as_str()
            .unwrap_or("1.0");
        let event = if version == "2.0" {
            events::v2(req)
        } else {
            events::v1(req)
        };
        match invoke::invoke(&f, &event, self.request_id, timeout).await {
            invoke::Outcome::TimedOut => Reply::message(503, "Service Unavailable"),
            invoke::Outcome::Failed(e) => {
                eprintln!("keyway emulator: Lambda {} failed: {e}", f.name);
                Reply::message(500, "Internal Server Error")
            }
            invoke::Outcome::Returned(result) => match events::map_result(version, &result) {
                Some(m) => Reply {
                    status: m.status,
                    headers: m.headers,
                    body: m.body,
                },
                None => Reply::message(500, "Internal Server Error"),
            },
        }
    }

    /// HTTP_PROXY: to a loopback URL for real; to any other host, the emulator's echo.
    async fn http_proxy(
        &self,
        integration: &Value,
        params: &BTreeMap<String, String>,
        timeout: Duration,
    ) -> Reply {
        let uri = integration["integrationUri"].as_str().unwrap_or_default();
        let method = integration["integrationMethod"].as_str();
        match self.forward(uri, method, params, timeout).await {
            Ok(r) => r,
            Err(Failure::Timeout) => Reply::message(503, "Service Unavailable"),
            Err(Failure::Unreachable) => Reply::message(500, "Internal Server Error"),
        }
    }

    /// Sends the request on to `uri` (path parameters substituted, the query appended) when it
    /// is a loopback URL; any other host answers as the emulator's echo of what it would send.
    pub(super) async fn forward(
        &self,
        uri: &str,
        integration_method: Option<&str>,
        params: &BTreeMap<String, String>,
        timeout: Duration,
    ) -> Result<Reply, Failure> {
        let mut url = uri.to_string();
        for (k, v) in params {
            url = url
                .replace(&format!("{{{k}+}}"), v)
                .replace(&format!("{{{k}}}"), v);
        }
        if !self.query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(self.query);
        }
        let method = match integration_method {
            Some("ANY") | None => self.method.to_string(),
            Some(m) => m.to_string(),
        };
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| url.starts_with(p));
        if !loopback {
            let echo = json!({
                "method": method,
                "url": url,
                "headers": self.headers.iter().map(|(k, v)| (k.as_str().to_string(), json!(v.to_str().unwrap_or_default()))).collect::<serde_json::Map<_, _>>(),
                "body": String::from_utf8_lossy(self.body),
            });
            return Ok(Reply {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: echo.to_string().into_bytes(),
            });
        }
        let Ok(m) = reqwest::Method::from_bytes(method.as_bytes()) else {
            return Err(Failure::Unreachable);
        };
        let mut req = client()
            .request(m, &url)
            .timeout(timeout)
            .body(self.body.to_vec());
        for (k, v) in self.headers {
            if !["host", "content-length", "connection", "transfer-encoding"].contains(&k.as_str())
            {
                req = req.header(k.as_str(), v.as_bytes());
            }
        }
        match req.send().await {
            Err(e) if e.is_timeout() => Err(Failure::Timeout),
            Err(_) => Err(Failure::Unreachable),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp
                    .headers()
                    .iter()
                    .filter(|(k, _)| {
                        !["content-length", "connection", "transfer-encoding"].contains(&k.as_str())
                    })
                    .map(|(k, v)| {
                        (
                            k.as_str().to_string(),
                            v.to_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                Ok(Reply {
                    status,
                    headers,
                    body,
                })
            }
        }
    }
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}
