//! ImportApi (`PUT /v2/apis`) and ReimportApi (`PUT /v2/apis/{id}`): an HTTP API from an
//! OpenAPI 3.0 document sent as `{"body": "..."}`. Operations become routes, their
//! `x-amazon-apigateway-integration` an integration each route targets, security schemes with
//! `x-amazon-apigateway-authorizer` the API's authorizers, `x-amazon-apigateway-cors` its CORS.
//! Everything is built and checked (with `parts`' own rules) before the world changes, so a
//! refused document leaves the API as it was; a reimport then replaces all three collections.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::super::super::world::World;
use super::super::openapi::{self, text_of, BaseMode, Doc, Flavor, Operation, Scheme};
use super::super::wire::{short_id, Answer, AwsError, AwsResult, Req};
use super::parts::{authorizer_fields, check_route_key, integration_fields};
use super::stages::touched as stage_touched;
use super::{api, body, cors, is_http, stamp};

/// What a document turns into, not yet in the world.
#[derive(Default)]
struct Built {
    routes: BTreeMap<String, Value>,
    integrations: BTreeMap<String, Value>,
    authorizers: BTreeMap<String, Value>,
    warnings: Vec<String>,
}

/// An authorizer made from a scheme: its ID and route authorization type.
struct Auth {
    id: String,
    kind: &'static str,
}

pub fn import_api(req: &Req, world: &mut World) -> AwsResult {
    let (doc, mode) = document(req)?;
    let name = doc
        .title
        .clone()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AwsError::bad("Invalid OpenAPI input: info.title is required"))?;
    let built = build(world, &doc, mode)?;
    refuse_warnings(req, &built)?;
    let id = short_id(world, 10);
    let mut out = Map::new();
    stamp(&mut out, &id, &name, "HTTP", req);
    out.insert(
        "routeSelectionExpression".into(),
        json!("${request.method} ${request.path}"),
    );
    out.insert(
        "apiKeySelectionExpression".into(),
        json!("$request.header.x-api-key"),
    );
    out.insert("ipAddressType".into(), json!("ipv4"));
    out.insert("tags".into(), json!({}));
    describe(&mut out, &doc, &built)?;
    let a = super::HttpApi {
        body: Value::Object(out),
        routes: built.routes,
        integrations: built.integrations,
        authorizers: built.authorizers,
        ..Default::default()
    };
    let resp = a.body.clone();
    world
        .aws
        .http_apis
        .insert(format!("{}/{id}", req.region), a);
    Ok(Answer::Json(201, resp))
}

pub fn reimport_api(req: &Req, world: &mut World) -> AwsResult {
    let (doc, mode) = document(req)?;
    if !is_http(api(req, world)?) {
        return Err(AwsError::bad("ReimportApi is supported only for HTTP APIs"));
    }
    let built = build(world, &doc, mode)?;
    refuse_warnings(req, &built)?;
    let a = api(req, world)?;
    let mut out = a.body.as_object().cloned().unwrap_or_default();
    // An overwrite: what the document leaves out is removed.
    for k in ["description", "version", "corsConfiguration", "warnings"] {
        out.remove(k);
    }
    if let Some(t) = doc.title.clone().filter(|t| !t.is_empty()) {
        out.insert("name".into(), json!(t));
    }
    describe(&mut out, &doc, &built)?;
    a.body = Value::Object(out);
    a.routes = built.routes;
    a.integrations = built.integrations;
    a.authorizers = built.authorizers;
    let resp = a.body.clone();
    stage_touched(world, req);
    Ok(Answer::Json(201, resp))
}

/// The request's document, read and checked to be OpenAPI 3, and its `basepath` mode.
fn document(req: &Req) -> Result<(Doc, BaseMode), AwsError> {
    let m = req.obj()?;
    let text = body(&m)
        .str("body")?
        .ok_or_else(|| AwsError::bad("Body is required"))?;
    let doc = openapi::read(&text).map_err(AwsError::bad)?;
    if doc.flavor != Flavor::OpenApi3 {
        return Err(AwsError::bad(
            "Invalid OpenAPI input: HTTP APIs import only OpenAPI 3.0 definitions",
        ));
    }
    let mode = BaseMode::parse(req.q("basepath")).map_err(AwsError::bad)?;
    Ok((doc, mode))
}

/// `failOnWarnings=true` turns the import's warnings into its failure.
fn refuse_warnings(req: &Req, built: &Built) -> Result<(), AwsError> {
    let fail = req
        .q("failOnWarnings")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if fail && !built.warnings.is_empty() {
        return Err(AwsError::bad(format!(
            "Warnings found during import:\n\t{}",
            built.warnings.join("\n\t")
        )));
    }
    Ok(())
}

/// The API's own fields from the document: description, version, CORS, endpoint switch and
/// the warnings the import reports.
fn describe(out: &mut Map<String, Value>, doc: &Doc, built: &Built) -> Result<(), AwsError> {
    if let Some(d) = &doc.description {
        out.insert("description".into(), json!(d));
    }
    if let Some(v) = &doc.version {
        out.insert("version".into(), json!(v));
    }
    if let Some(c) = doc.extension("cors") {
        let c = c
            .as_object()
            .ok_or_else(|| AwsError::bad("x-amazon-apigateway-cors must be an object"))?;
        out.insert("corsConfiguration".into(), cors(c)?);
    }
    let disable = doc
        .extension("endpoint-configuration")
        .and_then(|e| e.get("disableExecuteApiEndpoint"))
        .and_then(Value::as_bool);
    let keep = out.get("disableExecuteApiEndpoint").cloned();
    out.insert(
        "disableExecuteApiEndpoint".into(),
        json!(disable.or(keep.and_then(|v| v.as_bool())).unwrap_or(false)),
    );
    if !built.warnings.is_empty() {
        out.insert("warnings".into(), json!(built.warnings));
    }
    Ok(())
}

/// REST-only extensions an HTTP API import skips with a warning.
const REST_ONLY: &[&str] = &[
    "api-key-source",
    "binary-media-types",
    "documentation",
    "gateway-responses",
    "minimum-compression-size",
    "policy",
    "request-validators",
];

fn build(world: &mut World, doc: &Doc, mode: BaseMode) -> Result<Built, AwsError> {
    let mut built = Built {
        warnings: doc.warnings.clone(),
        ..Default::default()
    };
    for name in REST_ONLY {
        if doc.extension(name).is_some() {
            built.warnings.push(format!(
                "Ignoring x-amazon-apigateway-{name}: not supported for HTTP APIs"
            ));
        }
    }
    let mut auths = BTreeMap::new();
    for (name, scheme) in &doc.schemes {
        if let Some(a) = authorizer(world, name, scheme, &mut built)? {
            auths.insert(name.clone(), a);
        }
    }
    for op in &doc.ops {
        route(world, doc, op, mode, &auths, &mut built)?;
    }
    Ok(built)
}

/// `identitySource` as the extension writes it: one comma-separated string (or a list).
fn identity_sources(v: Option<&Value>) -> Option<Vec<String>> {
    match v? {
        Value::Array(a) => Some(a.iter().filter_map(text_of).collect()),
        other => Some(
            text_of(other)?
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
    }
}

/// A scheme's `x-amazon-apigateway-authorizer` as a JWT or REQUEST (Lambda) authorizer named
/// for the scheme; other kinds are skipped with a warning.
fn authorizer(
    world: &mut World,
    name: &str,
    scheme: &Scheme,
    built: &mut Built,
) -> Result<Option<Auth>, AwsError> {
    let Some(ext) = &scheme.authorizer else {
        return Ok(None);
    };
    let kind = ext
        .get("type")
        .and_then(text_of)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    let sources = identity_sources(ext.get("identitySource"));
    let route_kind = match kind.as_str() {
        "jwt" => {
            m.insert("authorizerType".into(), json!("JWT"));
            let sources =
                sources.unwrap_or_else(|| vec!["$request.header.Authorization".to_string()]);
            m.insert("identitySource".into(), json!(sources));
            if let Some(j) = ext.get("jwtConfiguration") {
                m.insert("jwtConfiguration".into(), j.clone());
            }
            "JWT"
        }
        "request" => {
            m.insert("authorizerType".into(), json!("REQUEST"));
            if let Some(s) = sources {
                m.insert("identitySource".into(), json!(s));
            }
            for (from, to) in [
                ("authorizerUri", "authorizerUri"),
                ("authorizerCredentials", "authorizerCredentialsArn"),
                (
                    "authorizerPayloadFormatVersion",
                    "authorizerPayloadFormatVersion",
                ),
                ("enableSimpleResponses", "enableSimpleResponses"),
                (
                    "authorizerResultTtlInSeconds",
                    "authorizerResultTtlInSeconds",
                ),
            ] {
                if let Some(v) = ext.get(from) {
                    m.insert(to.into(), v.clone());
                }
            }
            "CUSTOM"
        }
        other => {
            built.warnings.push(format!(
                "Ignoring authorizer {name}: type {other:?} is not supported for HTTP APIs"
            ));
            return Ok(None);
        }
    };
    let id = short_id(world, 6);
    let mut out = Map::new();
    authorizer_fields(true, &m, &mut out)
        .map_err(|e| AwsError::bad(format!("Unable to create authorizer {name}: {}", e.message)))?;
    out.insert("authorizerId".into(), json!(id));
    built.authorizers.insert(id.clone(), Value::Object(out));
    Ok(Some(Auth {
        id,
        kind: route_kind,
    }))
}

/// The route key an operation imports as: `$default` for the any-method of path `$default`.
fn route_key(doc: &Doc, op: &Operation, mode: BaseMode) -> Result<String, AwsError> {
    if op.path == "$default" {
        if op.method != "ANY" {
            return Err(AwsError::bad(format!(
                "Invalid route: path $default takes only x-amazon-apigateway-any-method, not {}",
                op.method.to_ascii_lowercase()
            )));
        }
        return Ok("$default".into());
    }
    let key = format!("{} {}", op.method, mode.apply(&doc.base_path, &op.path));
    check_route_key(&key, true)?;
    Ok(key)
}

fn route(
    world: &mut World,
    doc: &Doc,
    op: &Operation,
    mode: BaseMode,
    auths: &BTreeMap<String, Auth>,
    built: &mut Built,
) -> Result<(), AwsError> {
    let key = route_key(doc, op, mode)?;
    if built.routes.values().any(|r| r["routeKey"] == json!(key)) {
        return Err(AwsError::conflict(format!(
            "Unable to create route {key}. A route with this key already exists"
        )));
    }
    let mut r = Map::new();
    r.insert("routeKey".into(), json!(key));
    r.insert("apiKeyRequired".into(), json!(false));
    r.insert("authorizationType".into(), json!("NONE"));
    if let Some(id) = &op.operation_id {
        r.insert("operationName".into(), json!(id));
    }
    if let Some(i) = &op.integration {
        if let Some(iid) = integration(world, &key, i, built)? {
            r.insert("target".into(), json!(format!("integrations/{iid}")));
        }
    }
    secure(doc, op, &key, auths, &mut r, built);
    let rid = short_id(world, 7);
    r.insert("routeId".into(), json!(rid));
    built.routes.insert(rid, Value::Object(r));
    Ok(())
}

/// The route's authorization from the first requirement API Gateway can honour.
fn secure(
    doc: &Doc,
    op: &Operation,
    key: &str,
    auths: &BTreeMap<String, Auth>,
    r: &mut Map<String, Value>,
    built: &mut Built,
) {
    for req in &op.security {
        if let Some(a) = auths.get(&req.scheme) {
            r.insert("authorizationType".into(), json!(a.kind));
            r.insert("authorizerId".into(), json!(a.id));
            if a.kind == "JWT" && !req.scopes.is_empty() {
                r.insert("authorizationScopes".into(), json!(req.scopes));
            }
            return;
        }
        match doc.schemes.get(&req.scheme) {
            Some(s)
                if s.auth_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("awsSigv4")) =>
            {
                r.insert("authorizationType".into(), json!("AWS_IAM"));
                return;
            }
            Some(_) => built.warnings.push(format!(
                "Ignoring security scheme {} on route {key}: not supported for HTTP APIs",
                req.scheme
            )),
            None => built.warnings.push(format!(
                "Ignoring security scheme {} on route {key}: it is not defined",
                req.scheme
            )),
        }
    }
}

/// The operation's integration, when of a type HTTP APIs take (AWS_PROXY, HTTP_PROXY); its ID.
fn integration(
    world: &mut World,
    key: &str,
    ext: &Map<String, Value>,
    built: &mut Built,
) -> Result<Option<String>, AwsError> {
    let kind = ext
        .get("type")
        .and_then(text_of)
        .unwrap_or_default()
        .to_ascii_uppercase();
    if kind != "AWS_PROXY" && kind != "HTTP_PROXY" {
        built.warnings.push(format!(
            "Ignoring the integration of route {key}: type {kind:?} is not supported for HTTP APIs"
        ));
        return Ok(None);
    }
    let mut m = Map::new();
    m.insert("integrationType".into(), json!(kind));
    for (from, to) in [
        ("uri", "integrationUri"),
        ("httpMethod", "integrationMethod"),
        ("payloadFormatVersion", "payloadFormatVersion"),
        ("connectionType", "connectionType"),
        ("connectionId", "connectionId"),
        ("credentials", "credentialsArn"),
        ("description", "description"),
        ("integrationSubtype", "integrationSubtype"),
    ] {
        if let Some(v) = ext.get(from).and_then(text_of) {
            m.insert(to.into(), json!(v));
        }
    }
    if let Some(t) = ext.get("timeoutInMillis").and_then(text_of) {
        let t: i64 = t
            .parse()
            .map_err(|_| AwsError::bad(format!("Invalid timeoutInMillis {t} on route {key}")))?;
        m.insert("timeoutInMillis".into(), json!(t));
    }
    for k in ["requestParameters", "responseParameters", "tlsConfig"] {
        if let Some(v) = ext.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    let mut out = Map::new();
    integration_fields(true, &m, &mut out).map_err(|e| {
        AwsError::bad(format!(
            "Unable to create the integration of route {key}: {}",
            e.message
        ))
    })?;
    let id = short_id(world, 7);
    out.insert("integrationId".into(), json!(id));
    built.integrations.insert(id.clone(), Value::Object(out));
    Ok(Some(id))
}
