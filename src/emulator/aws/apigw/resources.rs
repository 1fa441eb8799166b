//! A REST API's resource tree and what hangs on it: resources (`pathPart` under a parent, the
//! full `path` computed), methods, method responses, integrations and integration responses.
//! Methods are kept inside their resource's `resourceMethods` (integration as
//! `methodIntegration`, served by `integrations`), which is how a deployment snapshots and the
//! data plane reads them.

use serde_json::{json, Map, Value};

use super::super::super::world::World;
use super::super::store::RestApi;
use super::super::wire::{short_id, Answer, AwsError, AwsResult, Req};
use super::super::Handler;
use super::patch::{self, Kind};
use super::{api, body, listing};

pub fn route(m: &str, rest: &[&str]) -> Option<(&'static str, Handler)> {
    let h: (&'static str, Handler) = match (m, rest) {
        ("GET", ["resources"]) => ("GetResources", get_resources),
        ("POST", ["resources", _]) => ("CreateResource", create_resource),
        ("GET", ["resources", _]) => ("GetResource", get_resource),
        ("PATCH", ["resources", _]) => ("UpdateResource", update_resource),
        ("DELETE", ["resources", _]) => ("DeleteResource", delete_resource),
        ("PUT", ["resources", _, "methods", _]) => ("PutMethod", put_method),
        ("GET", ["resources", _, "methods", _]) => ("GetMethod", get_method),
        ("PATCH", ["resources", _, "methods", _]) => ("UpdateMethod", update_method),
        ("DELETE", ["resources", _, "methods", _]) => ("DeleteMethod", delete_method),
        ("PUT", ["resources", _, "methods", _, "responses", _]) => {
            ("PutMethodResponse", put_method_response)
        }
        ("GET", ["resources", _, "methods", _, "responses", _]) => {
            ("GetMethodResponse", get_method_response)
        }
        ("PATCH", ["resources", _, "methods", _, "responses", _]) => {
            ("UpdateMethodResponse", update_method_response)
        }
        ("DELETE", ["resources", _, "methods", _, "responses", _]) => {
            ("DeleteMethodResponse", delete_method_response)
        }
        (_, ["resources", _, "methods", _, "integration", ..]) => {
            return super::integrations::route(m, rest)
        }
        _ => return None,
    };
    Some(h)
}

/// A resource's full path, walking up its parents (bounded, so a corrupt file cannot loop).
fn path_of(a: &RestApi, id: &str) -> String {
    let mut parts = Vec::new();
    let mut at = a.resources.get(id);
    for _ in 0..1000 {
        let Some(r) = at else { break };
        match (r["pathPart"].as_str(), r["parentId"].as_str()) {
            (Some(p), Some(parent)) => {
                parts.push(p.to_string());
                at = a.resources.get(parent);
            }
            _ => break,
        }
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

/// A resource as answered: its computed `path`; methods in full only with `embed=methods`.
fn emit(a: &RestApi, id: &str, embed: bool) -> Value {
    let mut r = a.resources.get(id).cloned().unwrap_or(Value::Null);
    r["path"] = json!(path_of(a, id));
    if let Some(methods) = r.get_mut("resourceMethods").and_then(Value::as_object_mut) {
        if methods.is_empty() {
            r.as_object_mut().map(|o| o.remove("resourceMethods"));
        } else if !embed {
            for m in methods.values_mut() {
                *m = json!({});
            }
        }
    }
    r
}

/// Every resource with its path and full methods: what a deployment snapshots.
pub fn snapshot(a: &RestApi) -> Value {
    let all: Map<String, Value> = a
        .resources
        .keys()
        .map(|id| (id.clone(), emit(a, id, true)))
        .collect();
    Value::Object(all)
}

fn missing_resource(id: &str) -> AwsError {
    AwsError::not_found(format!("Invalid Resource identifier specified {id}"))
}

fn rid(req: &Req) -> String {
    req.segs[3].clone()
}

fn get_resources(req: &Req, world: &mut World) -> AwsResult {
    let embed = req
        .query
        .iter()
        .any(|(k, v)| k == "embed" && v == "methods");
    let a = api(req, world)?;
    // Parents before children (by path), as AWS lists a tree.
    let mut items: Vec<Value> = a.resources.keys().map(|id| emit(a, id, embed)).collect();
    items.sort_by(|x, y| x["path"].as_str().cmp(&y["path"].as_str()));
    listing(req, items)
}

/// A path part: a literal, `{param}` or a greedy `{param+}`.
pub(super) fn check_path_part(p: &str) -> Result<(), AwsError> {
    let inner = p.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
    let ok = match inner {
        Some(i) => {
            let i = i.strip_suffix('+').unwrap_or(i);
            !i.is_empty()
                && i.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        }
        None => {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._:@~$&'()*+,;=!".contains(c))
                && !p.contains('{')
        }
    };
    if !ok || p.len() > 255 {
        return Err(AwsError::bad(format!(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace: {p}"
        )));
    }
    Ok(())
}

/// Sibling path parts are unique, and a greedy resource takes no siblings' children.
fn check_siblings(a: &RestApi, parent: &str, part: &str, me: Option<&str>) -> Result<(), AwsError> {
    if !a.resources.contains_key(parent) {
        return Err(missing_resource(parent));
    }
    if a.resources
        .get(parent)
        .and_then(|p| p["pathPart"].as_str())
        .is_some_and(|p| p.ends_with("+}"))
    {
        return Err(AwsError::bad(
            "A greedy path variable resource cannot have child resources",
        ));
    }
    let clash = a.resources.iter().any(|(id, r)| {
        Some(id.as_str()) != me && r["parentId"] == json!(parent) && r["pathPart"] == json!(part)
    });
    if clash {
        return Err(AwsError::conflict(format!(
            "Another resource with the same parent already has this name: {part}"
        )));
    }
    Ok(())
}

fn create_resource(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let part = body(&m).str("pathPart")?.unwrap_or_default();
    check_path_part(&part)?;
    let parent = rid(req);
    let id = short_id(world, 6);
    let a = api(req, world)?;
    check_siblings(a, &parent, &part, None)?;
    a.resources.insert(
        id.clone(),
        json!({"id": id, "parentId": parent, "pathPart": part}),
    );
    Ok(Answer::Json(201, emit(a, &id, false)))
}

fn get_resource(req: &Req, world: &mut World) -> AwsResult {
    let embed = req
        .query
        .iter()
        .any(|(k, v)| k == "embed" && v == "methods");
    let id = rid(req);
    let a = api(req, world)?;
    if !a.resources.contains_key(&id) {
        return Err(missing_resource(&id));
    }
    Ok(Answer::Json(200, emit(a, &id, embed)))
}

fn update_resource(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let id = rid(req);
    let a = api(req, world)?;
    let mut r = a
        .resources
        .get(&id)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| missing_resource(&id))?;
    if !r.contains_key("parentId") {
        return Err(AwsError::bad("The root resource cannot be changed"));
    }
    patch::apply(
        &mut r,
        &ops,
        &[("pathPart", Kind::Str), ("parentId", Kind::Str)],
    )?;
    let part = r["pathPart"].as_str().unwrap_or_default().to_string();
    let parent = r["parentId"].as_str().unwrap_or_default().to_string();
    check_path_part(&part)?;
    check_siblings(a, &parent, &part, Some(&id))?;
    // A resource cannot become its own ancestor.
    let mut at = Some(parent.clone());
    while let Some(p) = at {
        if p == id {
            return Err(AwsError::bad("A resource cannot be moved under itself"));
        }
        at = a
            .resources
            .get(&p)
            .and_then(|r| r["parentId"].as_str())
            .map(str::to_string);
    }
    a.resources.insert(id.clone(), Value::Object(r));
    Ok(Answer::Json(200, emit(a, &id, false)))
}

fn delete_resource(req: &Req, world: &mut World) -> AwsResult {
    let id = rid(req);
    let a = api(req, world)?;
    let r = a.resources.get(&id).ok_or_else(|| missing_resource(&id))?;
    if r.get("parentId").is_none() {
        return Err(AwsError::bad(
            "Cannot delete the root resource of a REST API",
        ));
    }
    // The resource goes with all its descendants.
    let mut doomed = vec![id];
    let mut i = 0;
    while i < doomed.len() {
        let parent = json!(doomed[i]);
        doomed.extend(
            a.resources
                .iter()
                .filter(|(_, r)| r["parentId"] == parent)
                .map(|(k, _)| k.clone()),
        );
        i += 1;
    }
    for d in doomed {
        a.resources.remove(&d);
    }
    Ok(Answer::Empty(202))
}

const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

fn method_name(req: &Req) -> Result<String, AwsError> {
    let m = req.segs[5].to_ascii_uppercase();
    if !HTTP_METHODS.contains(&m.as_str()) {
        return Err(AwsError::bad(format!(
            "Invalid HttpMethod specified: {}",
            req.segs[5]
        )));
    }
    Ok(m)
}

fn missing_method() -> AwsError {
    AwsError::not_found("Invalid Method identifier specified")
}

/// The stored method a request's path names.
pub(super) fn method<'a>(
    req: &Req,
    a: &'a mut RestApi,
) -> Result<&'a mut Map<String, Value>, AwsError> {
    let id = rid(req);
    let hm = method_name(req)?;
    let r = a
        .resources
        .get_mut(&id)
        .ok_or_else(|| missing_resource(&id))?;
    r.get_mut("resourceMethods")
        .and_then(|m| m.get_mut(&hm))
        .and_then(Value::as_object_mut)
        .ok_or_else(missing_method)
}

pub(super) fn check_method(m: &Map<String, Value>) -> Result<(), AwsError> {
    let kind = m
        .get("authorizationType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"].contains(&kind) {
        return Err(AwsError::bad(format!(
            "Invalid authorization type specified: {kind:?}"
        )));
    }
    if (kind == "CUSTOM" || kind == "COGNITO_USER_POOLS") && m.get("authorizerId").is_none() {
        return Err(AwsError::bad("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."));
    }
    if let Some(p) = m.get("requestParameters").and_then(Value::as_object) {
        for k in p.keys() {
            let ok = [
                "path",
                "querystring",
                "header",
                "multivalueheader",
                "multivaluequerystring",
            ]
            .iter()
            .any(|loc| {
                k.strip_prefix("method.request.")
                    .and_then(|r| r.strip_prefix(loc))
                    .is_some_and(|r| r.len() > 1 && r.starts_with('.'))
            });
            if !ok {
                return Err(AwsError::bad(format!(
                    "Invalid mapping expression specified: {k}"
                )));
            }
        }
    }
    Ok(())
}

fn put_method(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let hm = method_name(req)?;
    let id = rid(req);
    let mut out = Map::new();
    out.insert("httpMethod".into(), json!(hm));
    out.insert(
        "authorizationType".into(),
        json!(b.str("authorizationType")?.unwrap_or_default()),
    );
    out.insert(
        "apiKeyRequired".into(),
        json!(b.bool("apiKeyRequired")?.unwrap_or(false)),
    );
    for k in ["authorizerId", "operationName", "requestValidatorId"] {
        b.str(k)?;
    }
    b.str_list("authorizationScopes")?;
    b.str_map("requestModels")?;
    b.bool_map("requestParameters")?;
    b.copy_into(
        &[
            "authorizerId",
            "operationName",
            "requestValidatorId",
            "authorizationScopes",
            "requestModels",
            "requestParameters",
        ],
        &mut out,
    );
    check_method(&out)?;
    let a = api(req, world)?;
    let r = a
        .resources
        .get_mut(&id)
        .ok_or_else(|| missing_resource(&id))?;
    let methods = r
        .as_object_mut()
        .map(|o| o.entry("resourceMethods").or_insert_with(|| json!({})));
    let Some(Value::Object(methods)) = methods else {
        return Err(missing_resource(&id));
    };
    if methods.contains_key(&hm) {
        return Err(AwsError::conflict(
            "Method already exists for this resource",
        ));
    }
    methods.insert(hm, Value::Object(out.clone()));
    Ok(Answer::Json(201, Value::Object(out)))
}

fn get_method(req: &Req, world: &mut World) -> AwsResult {
    let a = api(req, world)?;
    Ok(Answer::Json(200, Value::Object(method(req, a)?.clone())))
}

const METHOD_PATCH: &[(&str, Kind)] = &[
    ("authorizationType", Kind::Str),
    ("authorizerId", Kind::Str),
    ("apiKeyRequired", Kind::Bool),
    ("operationName", Kind::Str),
    ("requestValidatorId", Kind::Str),
    ("requestParameters/*", Kind::BoolMap),
    ("requestModels/*", Kind::StrMap),
    ("authorizationScopes/*", Kind::StrSet),
];

fn update_method(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let a = api(req, world)?;
    let m = method(req, a)?;
    let mut next = m.clone();
    patch::apply(&mut next, &ops, METHOD_PATCH)?;
    check_method(&next)?;
    *m = next;
    Ok(Answer::Json(200, Value::Object(m.clone())))
}

fn delete_method(req: &Req, world: &mut World) -> AwsResult {
    let hm = method_name(req)?;
    let id = rid(req);
    let a = api(req, world)?;
    let r = a
        .resources
        .get_mut(&id)
        .ok_or_else(|| missing_resource(&id))?;
    let removed = r
        .get_mut("resourceMethods")
        .and_then(Value::as_object_mut)
        .and_then(|m| m.remove(&hm));
    if removed.is_none() {
        return Err(missing_method());
    }
    Ok(Answer::Empty(204))
}

/// A status code as API Gateway accepts it: three digits, 1xx to 5xx.
pub(super) fn status_code(req: &Req, at: usize) -> Result<String, AwsError> {
    let c = req.segs.get(at).cloned().unwrap_or_default();
    let ok = c.len() == 3
        && c.bytes().all(|b| b.is_ascii_digit())
        && (b'1'..=b'5').contains(&c.as_bytes()[0]);
    if !ok {
        return Err(AwsError::bad(format!("Invalid status code specified: {c}")));
    }
    Ok(c)
}

pub(super) fn missing_response() -> AwsError {
    AwsError::not_found("Invalid Response status code specified")
}

fn put_method_response(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let code = status_code(req, 7)?;
    let mut out = Map::new();
    out.insert("statusCode".into(), json!(code));
    b.bool_map("responseParameters")?;
    b.str_map("responseModels")?;
    b.copy_into(&["responseParameters", "responseModels"], &mut out);
    let a = api(req, world)?;
    let meth = method(req, a)?;
    let responses = meth.entry("methodResponses").or_insert_with(|| json!({}));
    if responses.get(&code).is_some() {
        return Err(AwsError::conflict(
            "Response already exists for this resource",
        ));
    }
    responses[&code] = Value::Object(out.clone());
    Ok(Answer::Json(201, Value::Object(out)))
}

fn method_response<'a>(
    req: &Req,
    a: &'a mut RestApi,
) -> Result<&'a mut Map<String, Value>, AwsError> {
    let code = status_code(req, 7)?;
    method(req, a)?
        .get_mut("methodResponses")
        .and_then(|r| r.get_mut(&code))
        .and_then(Value::as_object_mut)
        .ok_or_else(missing_response)
}

fn get_method_response(req: &Req, world: &mut World) -> AwsResult {
    let a = api(req, world)?;
    Ok(Answer::Json(
        200,
        Value::Object(method_response(req, a)?.clone()),
    ))
}

fn update_method_response(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let a = api(req, world)?;
    let r = method_response(req, a)?;
    patch::apply(
        r,
        &ops,
        &[
            ("responseParameters/*", Kind::BoolMap),
            ("responseModels/*", Kind::StrMap),
        ],
    )?;
    // AWS documents 201 for this update.
    Ok(Answer::Json(201, Value::Object(r.clone())))
}

fn delete_method_response(req: &Req, world: &mut World) -> AwsResult {
    let code = status_code(req, 7)?;
    let a = api(req, world)?;
    let removed = method(req, a)?
        .get_mut("methodResponses")
        .and_then(Value::as_object_mut)
        .and_then(|r| r.remove(&code));
    removed.ok_or_else(missing_response)?;
    Ok(Answer::Empty(204))
}
