//! AWS's control plane on the emulator's port: API Gateway v1 (REST APIs) and v2 (HTTP APIs),
//! Lambda, IAM and STS, as AWS clients address them. A request is AWS's when it carries a SigV4
//! `Authorization` header (the service and region come from its credential scope; signatures
//! are not verified, so any key works) or, unsigned, when its path is one only AWS uses (then
//! it gets AWS's missing-token 403). An independent implementation of AWS's contract as its
//! API references document it, including where moto is lenient (201 on creates, conflicts,
//! limits, second delete 404, Lambda's Pending → Active).

mod apigw;
mod apigwv2;
mod dataplane;
mod iam;
mod iam_policies;
mod lambda;
mod openapi;
mod store;
mod sts;
mod wire;
mod xml;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;

use super::server::{lock, percent_decode, push_log, Shared};
use super::world::{now_ms, World};
use super::LoggedRequest;
pub use dataplane::serve as serve_traffic;
pub use store::AwsWorld;
pub use wire::ACCOUNT;
use wire::{Answer, AwsError, AwsResult, Protocol, Req};

/// A service module's answer for a request it owns: the operation name (botocore's) and the
/// work.
pub type Handler = fn(&Req, &mut World) -> AwsResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    ApiGateway,
    ApiGatewayV2,
    Lambda,
    Iam,
    Sts,
}

impl Service {
    /// botocore's service name: the prefix of counters and request-log method names.
    fn name(self) -> &'static str {
        match self {
            Service::ApiGateway => "apigateway",
            Service::ApiGatewayV2 => "apigatewayv2",
            Service::Lambda => "lambda",
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    fn protocol(self) -> Protocol {
        match self {
            Service::ApiGateway | Service::ApiGatewayV2 => Protocol::ApiGateway,
            Service::Lambda => Protocol::Lambda,
            Service::Iam => Protocol::Query(iam::NS),
            Service::Sts => Protocol::Query(sts::NS),
        }
    }

    fn route(self, req: &Req) -> Option<(&'static str, Handler)> {
        match self {
            Service::ApiGateway => apigw::route(req),
            Service::ApiGatewayV2 => apigwv2::route(req),
            Service::Lambda => lambda::route(req),
            Service::Iam => iam::route(req),
            Service::Sts => sts::route(req),
        }
    }
}

/// `(access key, region, service)` of a SigV4 `Authorization` header.
fn credential_scope(headers: &HeaderMap) -> Option<(String, String, String)> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?;
    let cred = rest
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("Credential="))?;
    let parts: Vec<&str> = cred.split('/').collect();
    match parts.as_slice() {
        [akid, _date, region, service, "aws4_request"] if !region.is_empty() => Some((
            (*akid).to_string(),
            region.to_ascii_lowercase(),
            (*service).to_string(),
        )),
        _ => None,
    }
}

/// The service an unsigned request is for, by paths only AWS uses.
fn service_by_path(method: &Method, path: &str, form: &[(String, String)]) -> Option<Service> {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "restapis" | "apikeys" | "usageplans" => Some(Service::ApiGateway),
        "v2" if path.starts_with("/v2/apis") => Some(Service::ApiGatewayV2),
        "2015-03-31" => Some(Service::Lambda),
        "" if method == Method::POST || method == Method::GET => {
            match form
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.as_str())
            {
                Some("GetCallerIdentity") => Some(Service::Sts),
                Some(_) => Some(Service::Iam),
                None => None,
            }
        }
        _ => None,
    }
}

/// Serves the request when it is AWS's; `None` leaves it to the Google APIs.
pub async fn serve(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let path = uri.path();
    let query: Vec<(String, String)> = xml::parse_form(uri.query().unwrap_or_default());
    let scope = credential_scope(headers);
    let query_protocol = path == "/" || path.is_empty();
    let form: Vec<(String, String)> = if query_protocol {
        let mut f = xml::parse_form(std::str::from_utf8(body).unwrap_or_default());
        f.extend(query.iter().cloned());
        f
    } else {
        Vec::new()
    };
    let service = match &scope {
        Some((_, _, s)) => match s.as_str() {
            "apigateway" if path.starts_with("/v2/") => Service::ApiGatewayV2,
            "apigateway" => Service::ApiGateway,
            "lambda" => Service::Lambda,
            "iam" => Service::Iam,
            "sts" => Service::Sts,
            _ => return None,
        },
        None => service_by_path(method, path, &form)?,
    };
    let protocol = service.protocol();
    let request_id = uuid::Uuid::new_v4().to_string();
    let segs: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let (region, access_key) = scope
        .as_ref()
        .map(|(k, r, _)| (r.clone(), k.clone()))
        .unwrap_or_else(|| ("us-east-1".into(), String::new()));
    let mut req = Req {
        method: method.as_str().to_string(),
        segs,
        query,
        region,
        access_key,
        body: Value::Null,
        raw: Vec::new(),
        form,
        now_ms: 0,
    };
    let routed = service.route(&req);
    let raw = routed.is_some_and(|(op, _)| raw_body(service, op));
    if raw {
        // Copied only for these operations (other bodies, like Lambda zips, can be large).
        req.raw = body.to_vec();
    }
    let parsed: Result<Value, AwsError> =
        if raw || query_protocol || body.iter().all(u8::is_ascii_whitespace) {
            Ok(Value::Null)
        } else {
            serde_json::from_slice(body).map_err(|e| match protocol {
                Protocol::Lambda => {
                    AwsError::invalid_param(format!("Could not parse request body into json: {e}"))
                }
                _ => AwsError::bad(format!("Invalid JSON in request body: {e}")),
            })
        };
    req.body = parsed.as_ref().ok().cloned().unwrap_or(Value::Null);
    let name = routed
        .map(|(op, _)| format!("{}.{op}", service.name()))
        .unwrap_or_else(|| "unknown".to_string());
    let result: AwsResult = match (routed, scope.is_some(), parsed) {
        (_, false, _) => Err(missing_token(protocol)),
        (None, true, _) => Err(unknown_operation(protocol, method, path)),
        (Some(_), true, Err(e)) => Err(e),
        (Some((_, handler)), true, Ok(_)) => {
            let latency = lock(&shared.faults).latency(&name);
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let fault = lock(&shared.faults).request_fault();
            match fault {
                Some(f) => Err(injected(protocol, f.http)),
                None => {
                    req.now_ms = now_ms();
                    let mut world = lock(&shared.world);
                    let seq = world.seq;
                    let result = handler(&req, &mut world);
                    let wrote = req.method != "GET" && result.is_ok();
                    if wrote || world.seq != seq {
                        if let Err(e) = shared.persist(&world) {
                            eprintln!("keyway emulator: cannot persist world: {e}");
                        }
                    }
                    drop(world);
                    if result.is_ok() && lock(&shared.faults).response_lost(&name) {
                        // Carried out, but the client never hears so (as a lost answer).
                        Err(injected(protocol, 503))
                    } else {
                        result
                    }
                }
            }
        }
    };
    let (status, mut resp_headers, text, logged) = match result {
        Ok(Answer::Json(s, v)) => (
            s,
            vec![("content-type".to_string(), "application/json".to_string())],
            v.to_string(),
            v,
        ),
        Ok(Answer::Xml(s, x)) => (
            s,
            vec![("content-type".to_string(), "text/xml".to_string())],
            x.clone(),
            Value::String(x),
        ),
        Ok(Answer::Empty(s)) => (s, Vec::new(), String::new(), Value::Null),
        Err(e) => {
            let (s, h, b) = e.render(protocol, &request_id);
            let logged = serde_json::from_str(&b).unwrap_or(Value::String(b.clone()));
            (s, h, b, logged)
        }
    };
    resp_headers.push(("x-amzn-RequestId".to_string(), request_id));
    *lock(&shared.counters).entry(name.clone()).or_insert(0) += 1;
    let request_body = if query_protocol {
        let m: serde_json::Map<String, Value> = req
            .form
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Some(Value::Object(m))
    } else if raw {
        // A raw document is logged as its text.
        Some(Value::String(
            String::from_utf8_lossy(&req.raw).into_owned(),
        ))
        .filter(|_| !req.raw.is_empty())
    } else {
        Some(req.body.clone()).filter(|b| !b.is_null())
    };
    push_log(
        shared,
        LoggedRequest {
            method: name.clone(),
            http_method: method.as_str().to_string(),
            path: path.to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            status,
            request_body: request_body.map(|b| redact(&name, b)),
            response_body: redact(&name, logged),
        },
    );
    Some(respond(status, resp_headers, text))
}

/// The operations whose body is a raw OpenAPI document (JSON or YAML), not a JSON request:
/// the handler reads `Req::raw`, and a body that is not JSON is not refused before it.
fn raw_body(service: Service, op: &str) -> bool {
    service == Service::ApiGateway && matches!(op, "ImportRestApi" | "PutRestApi")
}

/// API key values never reach the request log (as Google keys' `keyString` do not).
fn redact(op: &str, mut body: Value) -> Value {
    if !op.starts_with("apigateway.") || !op.contains("Key") {
        return body;
    }
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if let Some(val) = m.get_mut("value") {
                    if val.is_string() {
                        *val = Value::String("REDACTED".into());
                    }
                }
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut body);
    body
}

/// AWS's answer to an unsigned request (API Gateway's front door says the same for any path).
fn missing_token(protocol: Protocol) -> AwsError {
    match protocol {
        Protocol::Query(_) => AwsError::new(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ),
        _ => AwsError::new(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ),
    }
}

fn unknown_operation(protocol: Protocol, method: &Method, path: &str) -> AwsError {
    match protocol {
        Protocol::Query(_) => AwsError::bad_request(
            "InvalidAction",
            "The action or operation requested is invalid. Verify that the action is typed correctly.",
        ),
        Protocol::Lambda => AwsError::new(
            404,
            "UnknownOperationException",
            format!("Unknown operation {method} {path}"),
        ),
        Protocol::ApiGateway => AwsError::not_found(format!("Invalid path {method} {path}")),
    }
}

/// An injected 429 or 503 in the service's own words.
fn injected(protocol: Protocol, status: u16) -> AwsError {
    let text = "(injected by the keyway emulator)";
    match (protocol, status) {
        (Protocol::Query(_), 429) => {
            AwsError::new(400, "Throttling", format!("Rate exceeded {text}"))
        }
        (Protocol::Query(_), _) => AwsError::new(
            503,
            "ServiceUnavailable",
            format!("Service unavailable {text}"),
        ),
        (Protocol::Lambda, 429) => AwsError::new(
            429,
            "TooManyRequestsException",
            format!("Rate exceeded {text}"),
        ),
        (Protocol::Lambda, _) => AwsError::new(
            500,
            "ServiceException",
            format!("Service unavailable {text}"),
        ),
        (Protocol::ApiGateway, 429) => AwsError::new(
            429,
            "TooManyRequestsException",
            format!("Too Many Requests {text}"),
        ),
        (Protocol::ApiGateway, _) => AwsError::new(
            503,
            "ServiceUnavailableException",
            format!("Service unavailable {text}"),
        ),
    }
}

fn respond(status: u16, headers: Vec<(String, String)>, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::try_from(k.as_str()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}
