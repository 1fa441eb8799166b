//! The Lambda proxy payloads of HTTP APIs, as API Gateway documents them ("Working with AWS
//! Lambda proxy integrations for HTTP APIs"): the 2.0 and 1.0 event formats, and the mapping of
//! the function's result back to an HTTP answer (2.0 infers a 200 JSON answer from a result
//! without `statusCode`; 1.0 requires it). A result that fits neither is malformed.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{json, Value};

use super::super::super::world::rfc3339;
use super::super::ACCOUNT;

/// What the events are built from.
pub struct Request<'a> {
    pub api_id: &'a str,
    pub region: &'a str,
    pub stage: &'a str,
    pub route_key: &'a str,
    pub method: &'a str,
    /// The path as the client sent it, stage included.
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
    pub params: &'a BTreeMap<String, String>,
    pub stage_variables: Value,
    pub source_ip: String,
    pub request_id: &'a str,
    pub now_ms: u64,
    /// `{"jwt": {"claims", "scopes"}}` when a JWT authorizer let the request through.
    pub authorizer: Option<Value>,
}

fn body_field(body: &[u8]) -> (Value, bool) {
    if body.is_empty() {
        return (Value::Null, false);
    }
    match std::str::from_utf8(body) {
        Ok(s) => (json!(s), false),
        Err(_) => (
            json!(base64::engine::general_purpose::STANDARD.encode(body)),
            true,
        ),
    }
}

fn query_pairs(raw: &str) -> Vec<(String, String)> {
    super::super::xml::parse_form(raw)
}

fn domain(r: &Request) -> String {
    format!("{}.execute-api.{}.amazonaws.com", r.api_id, r.region)
}

fn or_null<T: serde::Serialize>(m: &T, empty: bool) -> Value {
    if empty {
        Value::Null
    } else {
        json!(m)
    }
}

/// Payload format 2.0.
pub fn v2(r: &Request) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (k, v) in &r.headers {
        let k = k.to_ascii_lowercase();
        if k == "cookie" {
            cookies.extend(
                v.split(';')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        headers
            .entry(k)
            .and_modify(|e| *e = format!("{e},{v}"))
            .or_insert_with(|| v.clone());
    }
    let mut qs: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in query_pairs(r.raw_query) {
        qs.entry(k)
            .and_modify(|e| *e = format!("{e},{v}"))
            .or_insert(v);
    }
    let (body, b64) = body_field(r.body);
    let mut ctx = json!({
        "accountId": ACCOUNT,
        "apiId": r.api_id,
        "domainName": domain(r),
        "domainPrefix": r.api_id,
        "http": {
            "method": r.method,
            "path": r.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": r.source_ip,
            "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
        },
        "requestId": r.request_id,
        "routeKey": r.route_key,
        "stage": r.stage,
        "time": rfc3339(r.now_ms),
        "timeEpoch": r.now_ms,
    });
    if let Some(a) = &r.authorizer {
        ctx["authorizer"] = a.clone();
    }
    let mut e = json!({
        "version": "2.0",
        "routeKey": r.route_key,
        "rawPath": r.raw_path,
        "rawQueryString": r.raw_query,
        "headers": headers,
        "requestContext": ctx,
        "isBase64Encoded": b64,
    });
    let o = e.as_object_mut().expect("object literal");
    if !cookies.is_empty() {
        o.insert("cookies".into(), json!(cookies));
    }
    if !qs.is_empty() {
        o.insert("queryStringParameters".into(), json!(qs));
    }
    if !r.params.is_empty() {
        o.insert("pathParameters".into(), json!(r.params));
    }
    if r.stage_variables.as_object().is_some_and(|m| !m.is_empty()) {
        o.insert("stageVariables".into(), r.stage_variables.clone());
    }
    if !body.is_null() {
        o.insert("body".into(), body);
    }
    e
}

/// Payload format 1.0 (the REST API proxy shape).
pub fn v1(r: &Request) -> Value {
    let mut single: BTreeMap<String, String> = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &r.headers {
        single.insert(k.clone(), v.clone());
        multi.entry(k.clone()).or_default().push(v.clone());
    }
    let mut qs: BTreeMap<String, String> = BTreeMap::new();
    let mut mqs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in query_pairs(r.raw_query) {
        qs.insert(k.clone(), v.clone());
        mqs.entry(k).or_default().push(v);
    }
    let (body, b64) = body_field(r.body);
    let resource = r
        .route_key
        .split_once(' ')
        .map(|(_, p)| p)
        .unwrap_or(r.route_key);
    json!({
        "version": "1.0",
        "resource": resource,
        "path": r.raw_path,
        "httpMethod": r.method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": or_null(&qs, qs.is_empty()),
        "multiValueQueryStringParameters": or_null(&mqs, mqs.is_empty()),
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": r.api_id,
            "domainName": domain(r),
            "domainPrefix": r.api_id,
            "httpMethod": r.method,
            "path": r.raw_path,
            "protocol": "HTTP/1.1",
            "requestId": r.request_id,
            "requestTime": rfc3339(r.now_ms),
            "requestTimeEpoch": r.now_ms,
            "resourcePath": resource,
            "stage": r.stage,
            "identity": {"sourceIp": r.source_ip, "userAgent": single.get("user-agent").or(single.get("User-Agent"))},
            "authorizer": r.authorizer.clone().unwrap_or(Value::Null),
        },
        "pathParameters": or_null(r.params, r.params.is_empty()),
        "stageVariables": if r.stage_variables.as_object().is_some_and(|m| !m.is_empty()) { r.stage_variables.clone() } else { Value::Null },
        "body": body,
        "isBase64Encoded": b64,
    })
}

/// An HTTP answer mapped from a function's result.
#[derive(Debug)]
pub struct Mapped {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The answer for `result` in payload format `version`; `None` when it is malformed.
pub fn map_result(version: &str, result: &Value) -> Option<Mapped> {
    let structured = result.as_object().filter(|o| o.contains_key("statusCode"));
    let Some(o) = structured else {
        if version == "1.0" {
            return None;
        }
        // 2.0: a result without a status code is the JSON body of a 200.
        return Some(Mapped {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: result.to_string().into_bytes(),
        });
    };
    let status = o["statusCode"]
        .as_u64()
        .filter(|s| (100..600).contains(s))? as u16;
    let mut headers = Vec::new();
    match o.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                headers.push((k.clone(), scalar_text(v)?));
            }
        }
        Some(_) => return None,
    }
    if let Some(Value::Object(mh)) = o.get("multiValueHeaders") {
        for (k, vs) in mh {
            for v in vs.as_array()? {
                headers.push((k.clone(), scalar_text(v)?));
            }
        }
    }
    if let Some(c) = o.get("cookies").filter(|c| !c.is_null()) {
        for v in c.as_array()? {
            headers.push(("set-cookie".into(), v.as_str()?.to_string()));
        }
    }
    let b64 = match o.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return None,
    };
    let body = match o.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if b64 => {
            base64::engine::general_purpose::STANDARD.decode(s).ok()?
        }
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return None,
    };
    Some(Mapped {
        status,
        headers,
        body,
    })
}

/// The keys of an object, for tests of the event shape.
#[cfg(test)]
fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|o: &serde_json::Map<String, Value>| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_map_as_api_gateway_documents() {
        let m = map_result(
            "2.0",
            &json!({"statusCode": 201, "headers": {"x": "1"}, "body": "hi", "cookies": ["a=b"]}),
        )
        .expect("valid");
        assert_eq!((m.status, m.body.as_slice()), (201, &b"hi"[..]));
        assert!(m.headers.contains(&("set-cookie".into(), "a=b".into())));
        let inferred = map_result("2.0", &json!({"message": "ok"})).expect("inferred");
        assert_eq!(
            (inferred.status, inferred.body.as_slice()),
            (200, &br#"{"message":"ok"}"#[..])
        );
        assert!(map_result("1.0", &json!({"message": "ok"})).is_none());
        assert!(map_result("2.0", &json!({"statusCode": "abc"})).is_none());
        assert!(map_result(
            "2.0",
            &json!({"statusCode": 200, "body": {"not": "a string"}})
        )
        .is_none());
        let b = map_result(
            "2.0",
            &json!({"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}),
        )
        .expect("b64");
        assert_eq!(b.body, b"hi");
    }

    #[test]
    fn v2_event_has_the_documented_members() {
        let params = BTreeMap::from([("id".to_string(), "7".to_string())]);
        let r = Request {
            api_id: "abc",
            region: "us-east-1",
            stage: "$default",
            route_key: "GET /pets/{id}",
            method: "GET",
            raw_path: "/pets/7",
            raw_query: "a=1&a=2",
            headers: vec![
                ("Cookie".into(), "c=1; d=2".into()),
                ("X-Thing".into(), "v".into()),
            ],
            body: b"",
            params: &params,
            stage_variables: json!({}),
            source_ip: "127.0.0.1".into(),
            request_id: "r",
            now_ms: 0,
            authorizer: None,
        };
        let e = v2(&r);
        assert_eq!(
            keys(&e),
            [
                "cookies",
                "headers",
                "isBase64Encoded",
                "pathParameters",
                "queryStringParameters",
                "rawPath",
                "rawQueryString",
                "requestContext",
                "routeKey",
                "version"
            ]
        );
        assert_eq!(e["queryStringParameters"]["a"], json!("1,2"));
        assert_eq!(e["cookies"], json!(["c=1", "d=2"]));
        assert_eq!(e["headers"]["x-thing"], json!("v"));
        assert_eq!(v1(&r)["resource"], json!("/pets/{id}"));
    }
}
