//! API Gateway v2 (`/v2/apis/...`): HTTP and WebSocket APIs with CORS, quick create, and
//! their routes, integrations and authorizers (`parts`), stages and deployments (`stages`),
//! and OpenAPI import and reimport (`import`).
//! Lists page with `nextToken` / `maxResults` into `items`; updates are PATCHes carrying the
//! fields to change; creates answer 201, deletes 204, a missing object 404.

mod import;
mod parts;
mod stages;

use serde_json::{json, Map, Value};

use super::super::world::World;
use super::store::HttpApi;
use super::wire::{iso_secs, page, short_id, Answer, AwsError, AwsResult, Body, Req};
use super::Handler;

pub fn route(req: &Req) -> Option<(&'static str, Handler)> {
    let segs = req.segs();
    let m = req.method.as_str();
    let h: (&'static str, Handler) = match (m, segs.get(..2)?, &segs[2..]) {
        ("POST", ["v2", "apis"], []) => ("CreateApi", create_api),
        ("PUT", ["v2", "apis"], []) => ("ImportApi", import::import_api),
        ("PUT", ["v2", "apis"], [_]) => ("ReimportApi", import::reimport_api),
        ("GET", ["v2", "apis"], []) => ("GetApis", get_apis),
        ("GET", ["v2", "apis"], [_]) => ("GetApi", get_api),
        ("PATCH", ["v2", "apis"], [_]) => ("UpdateApi", update_api),
        ("DELETE", ["v2", "apis"], [_]) => ("DeleteApi", delete_api),
        ("DELETE", ["v2", "apis"], [_, "cors"]) => ("DeleteCorsConfiguration", delete_cors),
        (_, ["v2", "apis"], [_, "routes" | "integrations" | "authorizers", ..]) => {
            return parts::route(m, &segs[3..])
        }
        (_, ["v2", "apis"], [_, "stages" | "deployments", ..]) => {
            return stages::route(m, &segs[3..])
        }
        _ => return None,
    };
    Some(h)
}

pub(super) fn body(m: &Map<String, Value>) -> Body<'_> {
    Body {
        m,
        code: "BadRequestException",
    }
}

fn key(req: &Req) -> String {
    format!("{}/{}", req.region, req.segs[2])
}

/// The API a request's path names.
pub(super) fn api<'a>(req: &Req, world: &'a mut World) -> Result<&'a mut HttpApi, AwsError> {
    let id = req.segs[2].clone();
    world
        .aws
        .http_apis
        .get_mut(&key(req))
        .ok_or_else(|| AwsError::not_found(format!("Invalid API identifier specified {id}")))
}

pub(super) fn is_http(api: &HttpApi) -> bool {
    api.body["protocolType"] == json!("HTTP")
}

/// One page of `items`, as v2's lists answer.
pub(super) fn listing(req: &Req, items: Vec<Value>) -> AwsResult {
    let (items, next) = page(items, req.q("nextToken"), req.q("maxResults"), 100, 500)?;
    let mut out = json!({"items": items});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(Answer::Json(200, out))
}

/// CORS as API Gateway checks it: HTTP APIs only, `maxAge` at most 86400 seconds, and
/// credentials never allowed with a wildcard origin.
fn cors(v: &Map<String, Value>) -> Result<Value, AwsError> {
    let b = body(v);
    let mut out = Map::new();
    for k in [
        "allowHeaders",
        "allowMethods",
        "allowOrigins",
        "exposeHeaders",
    ] {
        if let Some(list) = b.str_list(k)? {
            out.insert(k.into(), json!(list));
        }
    }
    if let Some(c) = b.bool("allowCredentials")? {
        out.insert("allowCredentials".into(), json!(c));
        let wildcard = out["allowOrigins"]
            .as_array()
            .is_some_and(|o| o.iter().any(|x| x == "*"));
        if c && wildcard {
            return Err(AwsError::bad(
                "Invalid CORS configuration: allowCredentials is not supported when allowOrigins contains '*'",
            ));
        }
    }
    if let Some(age) = b.int("maxAge")? {
        if !(-1..=86400).contains(&age) {
            return Err(AwsError::bad(format!(
                "Invalid CORS configuration: maxAge {age} must be between -1 and 86400 seconds"
            )));
        }
        out.insert("maxAge".into(), json!(age));
    }
    Ok(Value::Object(out))
}

const API_STR: &[&str] = &[
    "apiKeySelectionExpression",
    "description",
    "routeSelectionExpression",
    "version",
    "ipAddressType",
];
const API_BOOL: &[&str] = &["disableSchemaValidation", "disableExecuteApiEndpoint"];

fn create_api(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let name = b
        .str("name")?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AwsError::bad("Name is required"))?;
    let protocol = b.str("protocolType")?.unwrap_or_default();
    if protocol != "HTTP" && protocol != "WEBSOCKET" {
        return Err(AwsError::bad(format!(
            "Invalid protocol type {protocol:?}: must be HTTP or WEBSOCKET"
        )));
    }
    let http = protocol == "HTTP";
    for k in API_STR {
        b.str(k)?;
    }
    for k in API_BOOL {
        b.bool(k)?;
    }
    let mut out = Map::new();
    b.copy_into(API_STR, &mut out);
    b.copy_into(API_BOOL, &mut out);
    if http {
        out.entry("routeSelectionExpression")
            .or_insert(json!("${request.method} ${request.path}"));
    } else if !out.contains_key("routeSelectionExpression") {
        return Err(AwsError::bad(
            "RouteSelectionExpression is required for WEBSOCKET APIs",
        ));
    }
    out.entry("apiKeySelectionExpression")
        .or_insert(json!("$request.header.x-api-key"));
    out.entry("disableExecuteApiEndpoint")
        .or_insert(json!(false));
    out.entry("ipAddressType").or_insert(json!("ipv4"));
    if let Some(c) = b.obj("corsConfiguration")? {
        if !http {
            return Err(AwsError::bad(
                "CORS configuration is supported only for HTTP APIs",
            ));
        }
        out.insert("corsConfiguration".into(), cors(c)?);
    }
    let target = b.str("target")?;
    if !http && (target.is_some() || b.str("routeKey")?.is_some()) {
        return Err(AwsError::bad(
            "Quick create (target, routeKey) is supported only for HTTP APIs",
        ));
    }
    let id = short_id(world, 10);
    stamp(&mut out, &id, &name, &protocol, req);
    out.insert("tags".into(), json!(b.str_map("tags")?.unwrap_or_default()));
    let mut api = HttpApi {
        body: Value::Object(out),
        ..Default::default()
    };
    let k = format!("{}/{id}", req.region);
    if let Some(target) = target {
        let route_key = b.str("routeKey")?.unwrap_or_else(|| "$default".into());
        parts::check_route_key(&route_key, true)?;
        parts::quick_create(world, &mut api, &target, &route_key, req)?;
    }
    let resp = api.body.clone();
    world.aws.http_apis.insert(k, api);
    Ok(Answer::Json(201, resp))
}

/// What every new API carries: its ID, name, protocol, creation time and endpoint.
fn stamp(out: &mut Map<String, Value>, id: &str, name: &str, protocol: &str, req: &Req) {
    let scheme = if protocol == "HTTP" { "https" } else { "wss" };
    out.insert("apiId".into(), json!(id));
    out.insert("name".into(), json!(name));
    out.insert("protocolType".into(), json!(protocol));
    out.insert("createdDate".into(), json!(iso_secs(req.now_ms)));
    out.insert(
        "apiEndpoint".into(),
        json!(format!(
            "{scheme}://{id}.execute-api.{}.amazonaws.com",
            req.region
        )),
    );
}

fn get_apis(req: &Req, world: &mut World) -> AwsResult {
    let prefix = format!("{}/", req.region);
    let items = world
        .aws
        .http_apis
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, a)| a.body.clone())
        .collect();
    listing(req, items)
}

fn get_api(req: &Req, world: &mut World) -> AwsResult {
    Ok(Answer::Json(200, api(req, world)?.body.clone()))
}

fn update_api(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let a = api(req, world)?;
    let http = is_http(a);
    let mut out = a.body.as_object().cloned().unwrap_or_default();
    if let Some(n) = b.str("name")? {
        out.insert("name".into(), json!(n));
    }
    for k in API_STR {
        b.str(k)?;
    }
    for k in API_BOOL {
        b.bool(k)?;
    }
    b.copy_into(API_STR, &mut out);
    b.copy_into(API_BOOL, &mut out);
    if let Some(c) = b.obj("corsConfiguration")? {
        if !http {
            return Err(AwsError::bad(
                "CORS configuration is supported only for HTTP APIs",
            ));
        }
        out.insert("corsConfiguration".into(), cors(c)?);
    }
    a.body = Value::Object(out);
    let resp = a.body.clone();
    stages::touched(world, req);
    Ok(Answer::Json(200, resp))
}

fn delete_cors(req: &Req, world: &mut World) -> AwsResult {
    let a = api(req, world)?;
    let removed = a
        .body
        .as_object_mut()
        .and_then(|o| o.remove("corsConfiguration"));
    if removed.is_none() {
        return Err(AwsError::not_found("CORS configuration not found"));
    }
    stages::touched(world, req);
    Ok(Answer::Empty(204))
}

fn delete_api(req: &Req, world: &mut World) -> AwsResult {
    api(req, world)?;
    world.aws.http_apis.remove(&key(req));
    Ok(Answer::Empty(204))
}
