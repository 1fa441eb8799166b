//! ImportRestApi (`POST /restapis?mode=import`) and PutRestApi (`PUT /restapis/{id}?mode=
//! overwrite|merge`): a REST API from a Swagger 2.0 or OpenAPI 3.0 document sent as the raw
//! body (JSON or YAML). Paths become the resource tree (intermediate parts created), operations
//! methods with their method responses, `x-amazon-apigateway-integration` the integration and
//! its responses (keyed there by selection pattern, here by status). The import works on a copy
//! of the API, checked with `resources`' and `integrations`' own rules, and replaces the stored
//! API only when the whole document went in, so a refused document changes nothing.

use serde_json::{json, Map, Value};

use super::super::super::world::World;
use super::super::openapi::{self, text_of, BaseMode, Doc, Operation};
use super::super::store::RestApi;
use super::super::wire::{epoch_secs, short_id, Answer, AwsError, AwsResult, Req};
use super::integrations::finish;
use super::resources::{check_method, check_path_part};
use super::{api, api_key};

pub fn import_rest_api(req: &Req, world: &mut World) -> AwsResult {
    let doc = document(req)?;
    let name =
        doc.title.clone().filter(|t| !t.is_empty()).ok_or_else(|| {
            AwsError::bad("Invalid REST API name specified: info.title is required")
        })?;
    let id = short_id(world, 10);
    let root = short_id(world, 10);
    let mut a = RestApi {
        body: json!({"id": id, "name": name, "createdDate": epoch_secs(req.now_ms),
                     "apiKeySource": "HEADER", "disableExecuteApiEndpoint": false,
                     "rootResourceId": root}),
        ..Default::default()
    };
    a.resources
        .insert(root.clone(), json!({"id": root, "path": "/"}));
    let warnings = fill(world, &mut a, &doc, req)?;
    describe(&mut a.body, &doc, req, &warnings)?;
    let resp = a.body.clone();
    world.aws.rest_apis.insert(api_key(&req.region, &id), a);
    Ok(Answer::Json(201, resp))
}

pub fn put_rest_api(req: &Req, world: &mut World) -> AwsResult {
    // PutRestApi's documented default mode is merge.
    let overwrite = match req.q("mode").unwrap_or("merge") {
        "overwrite" => true,
        "merge" => false,
        other => {
            return Err(AwsError::bad(format!(
                "Invalid mode {other}: must be merge or overwrite"
            )))
        }
    };
    let doc = document(req)?;
    let mut a = api(req, world)?.clone();
    if overwrite {
        clear(&mut a);
        // An overwrite takes the document's title as the API's name, as AWS does (merge keeps
        // the name); description and version follow the document, so go when it has none.
        if let Some(t) = doc.title.clone().filter(|t| !t.is_empty()) {
            a.body["name"] = json!(t);
        }
        if let Some(o) = a.body.as_object_mut() {
            o.remove("description");
            o.remove("version");
        }
    }
    let warnings = fill(world, &mut a, &doc, req)?;
    describe(&mut a.body, &doc, req, &warnings)?;
    let resp = a.body.clone();
    let key = api_key(&req.region, &req.segs[1]);
    world.aws.rest_apis.insert(key, a);
    Ok(Answer::Json(200, resp))
}

/// The raw body read as a document.
fn document(req: &Req) -> Result<Doc, AwsError> {
    let text = std::str::from_utf8(&req.raw)
        .map_err(|_| AwsError::bad("Invalid OpenAPI input: the body is not UTF-8 text"))?;
    openapi::read(text).map_err(AwsError::bad)
}

/// Every resource but the root goes, and the root's methods (the root keeps its ID).
fn clear(a: &mut RestApi) {
    let root = a.body["rootResourceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    a.resources.retain(|id, _| *id == root);
    if let Some(r) = a.resources.get_mut(&root).and_then(Value::as_object_mut) {
        r.remove("resourceMethods");
    }
}

/// Puts the document's methods on `a`'s resource tree; the import's warnings, or the 400
/// `failonwarnings=true` makes of them.
fn fill(world: &mut World, a: &mut RestApi, doc: &Doc, req: &Req) -> Result<Vec<String>, AwsError> {
    let mode = BaseMode::parse(req.q("basepath")).map_err(AwsError::bad)?;
    let mut warnings = doc.warnings.clone();
    if doc.extension("cors").is_some() {
        warnings.push("Ignoring x-amazon-apigateway-cors: not supported for REST APIs".into());
    }
    for op in &doc.ops {
        if op.path == "$default" {
            return Err(AwsError::bad(
                "Invalid path $default: REST APIs take only paths starting with '/'",
            ));
        }
        let path = mode.apply(&doc.base_path, &op.path);
        let rid = resource(world, a, &path)?;
        let m = method(doc, op, &rid, &mut warnings).map_err(|e| {
            AwsError::bad(format!(
                "Unable to put method '{}' on resource at path '{path}': {}",
                op.method, e.message
            ))
        })?;
        let r = a.resources.get_mut(&rid).and_then(Value::as_object_mut);
        if let Some(r) = r {
            let methods = r.entry("resourceMethods").or_insert_with(|| json!({}));
            methods[&op.method] = Value::Object(m);
        }
    }
    let fail = req
        .q("failonwarnings")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if fail && !warnings.is_empty() {
        return Err(AwsError::bad(format!(
            "Warnings found during import:\n\t{}",
            warnings.join("\n\t")
        )));
    }
    Ok(warnings)
}

/// The resource at `path`, created with any missing parents; its ID.
fn resource(world: &mut World, a: &mut RestApi, path: &str) -> Result<String, AwsError> {
    let mut at = a.body["rootResourceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let found = a
            .resources
            .iter()
            .find(|(_, r)| r["parentId"] == json!(at) && r["pathPart"] == json!(part));
        if let Some((id, _)) = found {
            at = id.clone();
            continue;
        }
        check_path_part(part)?;
        let greedy_parent = a
            .resources
            .get(&at)
            .and_then(|r| r["pathPart"].as_str())
            .is_some_and(|p| p.ends_with("+}"));
        if greedy_parent {
            return Err(AwsError::bad(format!(
                "Unable to create resource at path '{path}': A greedy path variable resource cannot have child resources"
            )));
        }
        let id = short_id(world, 6);
        a.resources.insert(
            id.clone(),
            json!({"id": id, "parentId": at, "pathPart": part}),
        );
        at = id;
    }
    Ok(at)
}

/// Where OpenAPI's parameter places map to in API Gateway's mapping expressions.
fn param_place(location: &str) -> Option<&'static str> {
    match location {
        "path" => Some("path"),
        "query" => Some("querystring"),
        "header" => Some("header"),
        _ => None,
    }
}

fn method(
    doc: &Doc,
    op: &Operation,
    rid: &str,
    warnings: &mut Vec<String>,
) -> Result<Map<String, Value>, AwsError> {
    let mut m = Map::new();
    m.insert("httpMethod".into(), json!(op.method));
    m.insert("authorizationType".into(), json!("NONE"));
    m.insert("apiKeyRequired".into(), json!(false));
    if let Some(id) = &op.operation_id {
        m.insert("operationName".into(), json!(id));
    }
    let params: Map<String, Value> = op
        .params
        .iter()
        .filter_map(|p| {
            let place = param_place(&p.location)?;
            Some((
                format!("method.request.{place}.{}", p.name),
                json!(p.required),
            ))
        })
        .collect();
    if !params.is_empty() {
        m.insert("requestParameters".into(), Value::Object(params));
    }
    security(doc, op, &mut m, warnings);
    let mut responses = Map::new();
    for r in &op.responses {
        let mut out = json!({"statusCode": r.status});
        if !r.headers.is_empty() {
            let headers: Map<String, Value> = r
                .headers
                .iter()
                .map(|h| (format!("method.response.header.{h}"), json!(false)))
                .collect();
            out["responseParameters"] = Value::Object(headers);
        }
        responses.insert(r.status.clone(), out);
    }
    if !responses.is_empty() {
        m.insert("methodResponses".into(), Value::Object(responses));
    }
    if let Some(ext) = &op.integration {
        m.insert("methodIntegration".into(), integration(ext, rid)?);
    }
    check_method(&m)?;
    Ok(m)
}

/// What the operation's security requirements make of the method: an API key
/// (`type: apiKey`, header `x-api-key`) or IAM (`x-amazon-apigateway-authtype: awsSigv4`).
/// Authorizers are not emulated for REST APIs, so a scheme naming one is skipped with a warning.
fn security(doc: &Doc, op: &Operation, m: &mut Map<String, Value>, warnings: &mut Vec<String>) {
    let at = format!("{} {}", op.method, op.path);
    for req in &op.security {
        let Some(s) = doc.schemes.get(&req.scheme) else {
            warnings.push(format!(
                "Ignoring security scheme {} on {at}: it is not defined",
                req.scheme
            ));
            continue;
        };
        let sigv4 = s
            .auth_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("awsSigv4"));
        if sigv4 {
            m.insert("authorizationType".into(), json!("AWS_IAM"));
        } else if s.authorizer.is_some() {
            warnings.push(format!(
                "Ignoring security scheme {} on {at}: authorizers are not emulated for REST APIs",
                req.scheme
            ));
        } else if s.kind == "apiKey"
            && s.location == "header"
            && s.name.eq_ignore_ascii_case("x-api-key")
        {
            m.insert("apiKeyRequired".into(), json!(true));
        } else {
            warnings.push(format!(
                "Ignoring security scheme {} on {at}: only the x-api-key header, IAM and authorizers are supported",
                req.scheme
            ));
        }
    }
}

/// A map whose values are text (YAML may read a template or literal as a number).
fn str_map(v: &Value, what: &str) -> Result<Value, AwsError> {
    let bad = || AwsError::bad(format!("Invalid {what}: expected a map of strings"));
    let m = v.as_object().ok_or_else(bad)?;
    m.iter()
        .map(|(k, v)| Ok((k.clone(), json!(text_of(v).ok_or_else(bad)?))))
        .collect::<Result<Map<String, Value>, AwsError>>()
        .map(Value::Object)
}

const INTEGRATION_TEXT: &[&str] = &[
    "httpMethod",
    "uri",
    "connectionType",
    "connectionId",
    "credentials",
    "contentHandling",
    "cacheNamespace",
];

fn integration(ext: &Map<String, Value>, rid: &str) -> Result<Value, AwsError> {
    let mut out = Map::new();
    let upper = |k: &str| ext.get(k).and_then(text_of).map(|t| t.to_ascii_uppercase());
    out.insert("type".into(), json!(upper("type").unwrap_or_default()));
    if let Some(p) = upper("passthroughBehavior") {
        out.insert("passthroughBehavior".into(), json!(p));
    }
    for k in INTEGRATION_TEXT {
        if let Some(v) = ext.get(*k).and_then(text_of) {
            out.insert((*k).into(), json!(v));
        }
    }
    for k in ["requestTemplates", "requestParameters"] {
        if let Some(v) = ext.get(k) {
            out.insert(k.into(), str_map(v, k)?);
        }
    }
    if let Some(v) = ext.get("cacheKeyParameters") {
        let list: Option<Vec<String>> =
            v.as_array().map(|a| a.iter().filter_map(text_of).collect());
        out.insert("cacheKeyParameters".into(), json!(list.unwrap_or_default()));
    }
    if let Some(t) = ext.get("timeoutInMillis").and_then(text_of) {
        let t: i64 = t
            .parse()
            .map_err(|_| AwsError::bad(format!("Invalid timeoutInMillis {t}")))?;
        out.insert("timeoutInMillis".into(), json!(t));
    }
    if let Some(v) = ext.get("tlsConfig").filter(|v| v.is_object()) {
        out.insert("tlsConfig".into(), v.clone());
    }
    finish(&mut out, rid)?;
    if let Some(r) = ext.get("responses") {
        out.insert("integrationResponses".into(), integration_responses(r)?);
    }
    Ok(Value::Object(out))
}

/// `responses` keyed by selection pattern (`default`: none) → integration responses by status.
fn integration_responses(v: &Value) -> Result<Value, AwsError> {
    let m = v
        .as_object()
        .ok_or_else(|| AwsError::bad("Invalid integration responses: expected an object"))?;
    let mut out = Map::new();
    for (pattern, r) in m {
        let status = r
            .get("statusCode")
            .and_then(text_of)
            .filter(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                AwsError::bad(format!(
                    "Invalid integration response {pattern:?}: a three-digit statusCode is required"
                ))
            })?;
        let mut ir = json!({"statusCode": status});
        if pattern != "default" {
            ir["selectionPattern"] = json!(pattern);
        }
        for k in ["responseTemplates", "responseParameters"] {
            if let Some(v) = r.get(k) {
                ir[k] = str_map(v, k)?;
            }
        }
        if let Some(c) = r.get("contentHandling").and_then(text_of) {
            ir["contentHandling"] = json!(c);
        }
        out.insert(status, ir);
    }
    Ok(Value::Object(out))
}

/// The API's own fields from the document and the request's `parameters`.
fn describe(body: &mut Value, doc: &Doc, req: &Req, warnings: &[String]) -> Result<(), AwsError> {
    if let Some(d) = &doc.description {
        body["description"] = json!(d);
    }
    if let Some(v) = &doc.version {
        body["version"] = json!(v);
    }
    if let Some(s) = doc.extension("api-key-source").and_then(text_of) {
        let s = s.to_ascii_uppercase();
        if s != "HEADER" && s != "AUTHORIZER" {
            return Err(AwsError::bad(format!("Invalid API key source {s}")));
        }
        body["apiKeySource"] = json!(s);
    }
    if let Some(v) = doc.extension("binary-media-types") {
        let types: Option<Vec<String>> =
            v.as_array().map(|a| a.iter().filter_map(text_of).collect());
        let types = types.ok_or_else(|| {
            AwsError::bad("x-amazon-apigateway-binary-media-types must be a list")
        })?;
        body["binaryMediaTypes"] = json!(types);
    }
    if let Some(n) = doc.extension("minimum-compression-size") {
        let n = n
            .as_i64()
            .filter(|n| (0..=10_485_760).contains(n))
            .ok_or_else(|| {
                AwsError::bad("Invalid minimum compression size: must be between 0 and 10485760")
            })?;
        body["minimumCompressionSize"] = json!(n);
    }
    if let Some(p) = doc.extension("policy") {
        body["policy"] = json!(text_of(p).unwrap_or_else(|| p.to_string()));
    }
    endpoint(body, doc, req)?;
    if !warnings.is_empty() {
        body["warnings"] = json!(warnings);
    } else if let Some(o) = body.as_object_mut() {
        o.remove("warnings");
    }
    Ok(())
}

/// The endpoint type from `parameters` (`endpointConfigurationTypes`), the execute-api switch
/// and VPC endpoints from `x-amazon-apigateway-endpoint-configuration`.
fn endpoint(body: &mut Value, doc: &Doc, req: &Req) -> Result<(), AwsError> {
    let mut ec = body
        .get("endpointConfiguration")
        .cloned()
        .unwrap_or_else(|| json!({"types": ["EDGE"], "ipAddressType": "ipv4"}));
    if let Some(t) = req.q("endpointConfigurationTypes") {
        if !["EDGE", "REGIONAL", "PRIVATE"].contains(&t) {
            return Err(AwsError::bad(format!(
                "Invalid endpoint configuration type {t}: must be EDGE, REGIONAL or PRIVATE"
            )));
        }
        ec["types"] = json!([t]);
    }
    if let Some(ext) = doc.extension("endpoint-configuration") {
        if let Some(d) = ext
            .get("disableExecuteApiEndpoint")
            .and_then(Value::as_bool)
        {
            body["disableExecuteApiEndpoint"] = json!(d);
        }
        if let Some(ids) = ext.get("vpcEndpointIds").and_then(Value::as_array) {
            ec["vpcEndpointIds"] = json!(ids.iter().filter_map(text_of).collect::<Vec<_>>());
        }
    }
    body["endpointConfiguration"] = ec;
    Ok(())
}
