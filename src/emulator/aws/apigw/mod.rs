//! API Gateway v1 (REST APIs): `/restapis` with their resources, methods and integrations
//! (`resources`), deployments and stages (`stages`), and the account's API keys and usage plans
//! (`keys`), and OpenAPI import into a new or existing API (`import`). Lists page with
//! `position` / `limit` into `item`; updates are `patchOperations` (`patch`); creates answer
//! 201, deletes 202 (or 204 where AWS documents it).

mod import;
mod integrations;
mod keys;
mod patch;
mod resources;
mod stages;

use serde_json::{json, Map, Value};

use super::super::world::World;
use super::store::RestApi;
use super::wire::{epoch_secs, page, short_id, Answer, AwsError, AwsResult, Body, Req};
use super::Handler;
use patch::Kind;

pub fn route(req: &Req) -> Option<(&'static str, Handler)> {
    let segs = req.segs();
    let m = req.method.as_str();
    let h: (&'static str, Handler) = match (m, segs.as_slice()) {
        ("POST", ["restapis"]) if req.q("mode") == Some("import") => {
            ("ImportRestApi", import::import_rest_api)
        }
        ("POST", ["restapis"]) => ("CreateRestApi", create_rest_api),
        ("PUT", ["restapis", _]) => ("PutRestApi", import::put_rest_api),
        ("GET", ["restapis"]) => ("GetRestApis", get_rest_apis),
        ("GET", ["restapis", _]) => ("GetRestApi", get_rest_api),
        ("PATCH", ["restapis", _]) => ("UpdateRestApi", update_rest_api),
        ("DELETE", ["restapis", _]) => ("DeleteRestApi", delete_rest_api),
        (_, ["restapis", _, "resources", ..]) => return resources::route(m, &segs[2..]),
        (_, ["restapis", _, "deployments" | "stages", ..]) => return stages::route(m, &segs[2..]),
        (_, ["apikeys", ..] | ["usageplans", ..]) => return keys::route(m, &segs),
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

pub(super) fn api_key(region: &str, id: &str) -> String {
    format!("{region}/{id}")
}

/// The REST API a request's path names.
pub(super) fn api<'a>(req: &Req, world: &'a mut World) -> Result<&'a mut RestApi, AwsError> {
    let id = req.segs[1].clone();
    world
        .aws
        .rest_apis
        .get_mut(&api_key(&req.region, &id))
        .ok_or_else(|| {
            AwsError::not_found(format!(
                "Invalid API identifier specified {}:{id}",
                super::ACCOUNT
            ))
        })
}

/// One page of `items` as v1's lists answer (`item`, and `position` when there is more).
pub(super) fn listing(req: &Req, items: Vec<Value>) -> AwsResult {
    let (items, next) = page(items, req.q("position"), req.q("limit"), 25, 500)?;
    let mut out = json!({"item": items});
    if let Some(p) = next {
        out["position"] = json!(p);
    }
    Ok(Answer::Json(200, out))
}

fn endpoint_configuration(b: &Body) -> Result<Value, AwsError> {
    let Some(ec) = b.obj("endpointConfiguration")? else {
        return Ok(json!({"types": ["EDGE"], "ipAddressType": "ipv4"}));
    };
    let eb = body(ec);
    let types = eb.str_list("types")?.unwrap_or_else(|| vec!["EDGE".into()]);
    if types.len() != 1 || !["EDGE", "REGIONAL", "PRIVATE"].contains(&types[0].as_str()) {
        return Err(AwsError::bad(
            "Invalid endpoint configuration: types must hold exactly one of EDGE, REGIONAL, PRIVATE",
        ));
    }
    let mut out = json!({"types": types, "ipAddressType": eb.str("ipAddressType")?.unwrap_or_else(|| "ipv4".into())});
    if let Some(v) = eb.str_list("vpcEndpointIds")? {
        out["vpcEndpointIds"] = json!(v);
    }
    Ok(out)
}

fn create_rest_api(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let name = b
        .str("name")?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AwsError::bad("Invalid REST API name specified: a name is required"))?;
    let source = b.str("apiKeySource")?.unwrap_or_else(|| "HEADER".into());
    if source != "HEADER" && source != "AUTHORIZER" {
        return Err(AwsError::bad(format!("Invalid API key source {source}")));
    }
    if let Some(n) = b.int("minimumCompressionSize")? {
        if !(0..=10_485_760).contains(&n) {
            return Err(AwsError::bad(
                "Invalid minimum compression size: must be between 0 and 10485760",
            ));
        }
    }
    for k in ["description", "version", "policy"] {
        b.str(k)?;
    }
    b.bool("disableExecuteApiEndpoint")?;
    b.str_list("binaryMediaTypes")?;
    let tags = b.str_map("tags")?;
    let endpoint = endpoint_configuration(&b)?;
    let id = short_id(world, 10);
    let root = short_id(world, 10);
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("name".into(), json!(name));
    out.insert("createdDate".into(), epoch_secs(req.now_ms));
    b.copy_into(
        &[
            "description",
            "version",
            "policy",
            "binaryMediaTypes",
            "minimumCompressionSize",
        ],
        &mut out,
    );
    out.insert("apiKeySource".into(), json!(source));
    out.insert("endpointConfiguration".into(), endpoint);
    out.insert(
        "disableExecuteApiEndpoint".into(),
        json!(b.bool("disableExecuteApiEndpoint")?.unwrap_or(false)),
    );
    out.insert("rootResourceId".into(), json!(root));
    if let Some(t) = tags {
        out.insert("tags".into(), Value::Object(t));
    }
    let mut api = RestApi {
        body: Value::Object(out),
        ..Default::default()
    };
    api.resources
        .insert(root.clone(), json!({"id": root, "path": "/"}));
    let resp = api.body.clone();
    world.aws.rest_apis.insert(api_key(&req.region, &id), api);
    Ok(Answer::Json(201, resp))
}

fn get_rest_apis(req: &Req, world: &mut World) -> AwsResult {
    let prefix = format!("{}/", req.region);
    let items = world
        .aws
        .rest_apis
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, a)| a.body.clone())
        .collect();
    listing(req, items)
}

fn get_rest_api(req: &Req, world: &mut World) -> AwsResult {
    Ok(Answer::Json(200, api(req, world)?.body.clone()))
}

const REST_API_PATCH: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("description", Kind::Str),
    ("version", Kind::Str),
    ("policy", Kind::Str),
    ("apiKeySource", Kind::Str),
    ("minimumCompressionSize", Kind::Int),
    ("disableExecuteApiEndpoint", Kind::Bool),
    ("binaryMediaTypes/*", Kind::StrSet),
    ("endpointConfiguration/types/*", Kind::Str),
    ("endpointConfiguration/ipAddressType", Kind::Str),
];

fn update_rest_api(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let a = api(req, world)?;
    let mut body = a.body.as_object().cloned().unwrap_or_default();
    for op in &ops {
        // `/endpointConfiguration/types/EDGE` replaced by `REGIONAL` changes the one type.
        if op.segs.len() == 3 && op.segs[0] == "endpointConfiguration" && op.segs[1] == "types" {
            let v = patch::typed(op, Kind::Str)?;
            if !["EDGE", "REGIONAL", "PRIVATE"].contains(&v.as_str().unwrap_or_default()) {
                return Err(AwsError::bad(format!("Invalid endpoint type {v}")));
            }
            body["endpointConfiguration"]["types"] = json!([v]);
        } else {
            patch::apply(&mut body, std::slice::from_ref(op), REST_API_PATCH)?;
        }
    }
    if body
        .get("apiKeySource")
        .and_then(Value::as_str)
        .is_some_and(|s| s != "HEADER" && s != "AUTHORIZER")
    {
        return Err(AwsError::bad(
            "Invalid API key source: must be HEADER or AUTHORIZER",
        ));
    }
    if body
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(AwsError::bad(
            "Invalid REST API name specified: a name is required",
        ));
    }
    a.body = Value::Object(body);
    Ok(Answer::Json(200, a.body.clone()))
}

fn delete_rest_api(req: &Req, world: &mut World) -> AwsResult {
    api(req, world)?;
    let id = req.segs[1].clone();
    world.aws.rest_apis.remove(&api_key(&req.region, &id));
    Ok(Answer::Empty(202))
}
