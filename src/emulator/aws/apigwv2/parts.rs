//! An API's routes, integrations and authorizers, with the references between them checked
//! as API Gateway checks them: route keys (`$default` or `METHOD /path`) unique per API, a
//! route's target an existing integration, an integration or authorizer still used by a route
//! not deletable. Quick create (`CreateApi` with `target`) builds the managed trio here.

use serde_json::{json, Map, Value};

use super::super::super::world::World;
use super::super::store::HttpApi;
use super::super::wire::{short_id, Answer, AwsError, AwsResult, Req};
use super::super::Handler;
use super::{api, body, is_http, listing, stages};

pub fn route(m: &str, rest: &[&str]) -> Option<(&'static str, Handler)> {
    let h: (&'static str, Handler) = match (m, rest) {
        ("POST", ["routes"]) => ("CreateRoute", create_route),
        ("GET", ["routes"]) => ("GetRoutes", get_routes),
        ("GET", ["routes", _]) => ("GetRoute", get_route),
        ("PATCH", ["routes", _]) => ("UpdateRoute", update_route),
        ("DELETE", ["routes", _]) => ("DeleteRoute", delete_route),
        ("POST", ["integrations"]) => ("CreateIntegration", create_integration),
        ("GET", ["integrations"]) => ("GetIntegrations", get_integrations),
        ("GET", ["integrations", _]) => ("GetIntegration", get_integration),
        ("PATCH", ["integrations", _]) => ("UpdateIntegration", update_integration),
        ("DELETE", ["integrations", _]) => ("DeleteIntegration", delete_integration),
        ("POST", ["authorizers"]) => ("CreateAuthorizer", create_authorizer),
        ("GET", ["authorizers"]) => ("GetAuthorizers", get_authorizers),
        ("GET", ["authorizers", _]) => ("GetAuthorizer", get_authorizer),
        ("PATCH", ["authorizers", _]) => ("UpdateAuthorizer", update_authorizer),
        ("DELETE", ["authorizers", _]) => ("DeleteAuthorizer", delete_authorizer),
        _ => return None,
    };
    Some(h)
}

const METHODS: &[&str] = &[
    "ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
];

/// An HTTP API's route key: `$default`, or a method and a path whose segments are literal or
/// `{name}`, with `{name+}` (greedy) only last. WebSocket route keys are free-form.
pub fn check_route_key(key: &str, http: bool) -> Result<(), AwsError> {
    let bad = || {
        AwsError::bad(format!(
            "Unable to create route '{key}': the route key must be '$default' or '<HTTP method> /<path>' \
             (e.g. 'GET /pets/{{id}}'), with a greedy '{{proxy+}}' only as the last path segment"
        ))
    };
    if key.is_empty() || key.len() > 1024 {
        return Err(bad());
    }
    if !http || key == "$default" {
        return Ok(());
    }
    let (method, path) = key.split_once(' ').ok_or_else(bad)?;
    if !METHODS.contains(&method) || !path.starts_with('/') {
        return Err(bad());
    }
    if path == "/" {
        return Ok(());
    }
    let segs: Vec<&str> = path[1..].split('/').collect();
    for (i, s) in segs.iter().enumerate() {
        let param = s.starts_with('{') && s.ends_with('}');
        let greedy = param && s.ends_with("+}");
        let inner = s
            .trim_start_matches('{')
            .trim_end_matches('}')
            .trim_end_matches('+');
        let ok = if param {
            !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        } else {
            !s.is_empty() && !s.contains(['{', '}', ' '])
        };
        if !ok || (greedy && i + 1 != segs.len()) {
            return Err(bad());
        }
    }
    Ok(())
}

/// `integrations/{id}` naming an existing integration.
fn check_target(a: &HttpApi, target: &str) -> Result<(), AwsError> {
    let id = target.strip_prefix("integrations/").ok_or_else(|| {
        AwsError::bad(format!(
            "Invalid target {target}: must be of the form integrations/{{integrationId}}"
        ))
    })?;
    if !a.integrations.contains_key(id) {
        return Err(AwsError::not_found(format!(
            "Invalid integration identifier specified {id}"
        )));
    }
    Ok(())
}

fn route_fields(
    a: &HttpApi,
    m: &Map<String, Value>,
    out: &mut Map<String, Value>,
    self_id: Option<&str>,
) -> Result<(), AwsError> {
    let b = body(m);
    if let Some(k) = b.str("routeKey")? {
        check_route_key(&k, is_http(a))?;
        let dup = a
            .routes
            .iter()
            .any(|(id, r)| Some(id.as_str()) != self_id && r["routeKey"] == json!(k));
        if dup {
            return Err(AwsError::conflict(format!(
                "Unable to create route {k}. A route with this key already exists"
            )));
        }
        out.insert("routeKey".into(), json!(k));
    }
    if let Some(t) = b.str("target")? {
        check_target(a, &t)?;
        out.insert("target".into(), json!(t));
    }
    for k in [
        "operationName",
        "authorizerId",
        "modelSelectionExpression",
        "routeResponseSelectionExpression",
    ] {
        if let Some(v) = b.str(k)? {
            out.insert(k.into(), json!(v));
        }
    }
    if let Some(v) = b.bool("apiKeyRequired")? {
        out.insert("apiKeyRequired".into(), json!(v));
    }
    if let Some(v) = b.str_list("authorizationScopes")? {
        out.insert("authorizationScopes".into(), json!(v));
    }
    for k in ["requestParameters", "requestModels"] {
        if let Some(v) = b.obj(k)? {
            out.insert(k.into(), Value::Object(v.clone()));
        }
    }
    if let Some(t) = b.str("authorizationType")? {
        if !["NONE", "AWS_IAM", "CUSTOM", "JWT"].contains(&t.as_str()) {
            return Err(AwsError::bad(format!("Invalid authorization type {t}")));
        }
        out.insert("authorizationType".into(), json!(t));
    }
    // The authorizer must exist and be of the route's authorization type.
    let kind = out
        .get("authorizationType")
        .and_then(Value::as_str)
        .unwrap_or("NONE")
        .to_string();
    let kind = kind.as_str();
    let authorizer = out
        .get("authorizerId")
        .and_then(Value::as_str)
        .map(str::to_string);
    match (kind, authorizer.as_deref()) {
        ("JWT" | "CUSTOM", None) => {
            return Err(AwsError::bad(format!(
                "An authorizerId is required for authorization type {kind}"
            )))
        }
        ("JWT" | "CUSTOM", Some(id)) => {
            let want = if kind == "JWT" { "JWT" } else { "REQUEST" };
            match a.authorizers.get(id) {
                None => return Err(AwsError::not_found(format!("Invalid authorizer identifier specified {id}"))),
                Some(au) if au["authorizerType"] != json!(want) => {
                    return Err(AwsError::bad(format!(
                        "Authorizer {id} is not of type {want}, as authorization type {kind} requires"
                    )))
                }
                Some(_) => {}
            }
        }
        (_, _) => {
            out.remove("authorizerId");
        }
    }
    if kind != "JWT" && out.contains_key("authorizationScopes") && is_http(a) {
        return Err(AwsError::bad(
            "Authorization scopes are supported only for JWT authorizers",
        ));
    }
    Ok(())
}

fn child_id(req: &Req) -> String {
    req.segs.get(4).cloned().unwrap_or_default()
}

fn create_route(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    if body(&m).str("routeKey")?.is_none() {
        return Err(AwsError::bad("RouteKey is required"));
    }
    let id = short_id(world, 7);
    let a = api(req, world)?;
    let mut out = Map::new();
    out.insert("apiKeyRequired".into(), json!(false));
    out.insert("authorizationType".into(), json!("NONE"));
    route_fields(a, &m, &mut out, None)?;
    out.insert("routeId".into(), json!(id));
    let v = Value::Object(out);
    a.routes.insert(id, v.clone());
    stages::touched(world, req);
    Ok(Answer::Json(201, v))
}

fn get_routes(req: &Req, world: &mut World) -> AwsResult {
    let items = api(req, world)?.routes.values().cloned().collect();
    listing(req, items)
}

fn get_route(req: &Req, world: &mut World) -> AwsResult {
    let id = child_id(req);
    let a = api(req, world)?;
    let r = a
        .routes
        .get(&id)
        .ok_or_else(|| AwsError::not_found(format!("Invalid Route identifier specified {id}")))?;
    Ok(Answer::Json(200, r.clone()))
}

fn update_route(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let id = child_id(req);
    let a = api(req, world)?;
    let mut out = a
        .routes
        .get(&id)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| AwsError::not_found(format!("Invalid Route identifier specified {id}")))?;
    route_fields(a, &m, &mut out, Some(&id))?;
    let v = Value::Object(out);
    a.routes.insert(id, v.clone());
    stages::touched(world, req);
    Ok(Answer::Json(200, v))
}

fn delete_route(req: &Req, world: &mut World) -> AwsResult {
    let id = child_id(req);
    let a = api(req, world)?;
    if a.routes.remove(&id).is_none() {
        return Err(AwsError::not_found(format!(
            "Invalid Route identifier specified {id}"
        )));
    }
    stages::touched(world, req);
    Ok(Answer::Empty(204))
}

const INTEGRATION_STR: &[&str] = &[
    "connectionId",
    "contentHandlingStrategy",
    "credentialsArn",
    "description",
    "integrationMethod",
    "integrationSubtype",
    "integrationUri",
    "passthroughBehavior",
    "payloadFormatVersion",
    "templateSelectionExpression",
];

pub(super) fn integration_fields(
    http: bool,
    m: &Map<String, Value>,
    out: &mut Map<String, Value>,
) -> Result<(), AwsError> {
    let b = body(m);
    for k in INTEGRATION_STR {
        if let Some(v) = b.str(k)? {
            out.insert((*k).into(), json!(v));
        }
    }
    if let Some(t) = b.str("integrationType")? {
        out.insert("integrationType".into(), json!(t));
    }
    if let Some(c) = b.str("connectionType")? {
        if c != "INTERNET" && c != "VPC_LINK" {
            return Err(AwsError::bad(format!("Invalid connection type {c}")));
        }
        out.insert("connectionType".into(), json!(c));
    }
    for k in [
        "requestParameters",
        "requestTemplates",
        "responseParameters",
        "tlsConfig",
    ] {
        if let Some(v) = b.obj(k)? {
            out.insert(k.into(), Value::Object(v.clone()));
        }
    }
    let max = if http { 30_000 } else { 29_000 };
    if let Some(t) = b.int("timeoutInMillis")? {
        if !(50..=max).contains(&t) {
            return Err(AwsError::bad(format!(
                "Timeout must be between 50 ms and {max} ms"
            )));
        }
        out.insert("timeoutInMillis".into(), json!(t));
    }
    out.entry("timeoutInMillis").or_insert(json!(max));
    out.entry("connectionType").or_insert(json!("INTERNET"));
    let kind = out
        .get("integrationType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let known = ["AWS", "HTTP", "MOCK", "HTTP_PROXY", "AWS_PROXY"];
    if !known.contains(&kind.as_str()) {
        return Err(AwsError::bad(format!("Invalid integration type {kind:?}")));
    }
    let has_subtype = out.contains_key("integrationSubtype");
    if http && !(kind == "AWS_PROXY" || kind == "HTTP_PROXY") {
        return Err(AwsError::bad(format!(
            "Integration type {kind} is not supported for HTTP APIs"
        )));
    }
    if kind == "AWS_PROXY" && !has_subtype {
        if !out.contains_key("integrationUri") {
            return Err(AwsError::bad(
                "An integrationUri is required for AWS_PROXY integrations",
            ));
        }
        out.entry("integrationMethod").or_insert(json!("POST"));
    }
    if kind == "HTTP_PROXY"
        && (!out.contains_key("integrationUri") || !out.contains_key("integrationMethod"))
    {
        return Err(AwsError::bad(
            "An integrationUri and an integrationMethod are required for HTTP_PROXY integrations",
        ));
    }
    if http {
        let pfv = out
            .get("payloadFormatVersion")
            .and_then(Value::as_str)
            .unwrap_or("1.0")
            .to_string();
        let allowed: &[&str] = if kind == "AWS_PROXY" {
            &["1.0", "2.0"]
        } else {
            &["1.0"]
        };
        if !allowed.contains(&pfv.as_str()) {
            return Err(AwsError::bad(format!(
                "Payload format version {pfv} is not supported for {kind} integrations (supported: {})",
                allowed.join(", ")
            )));
        }
        out.insert("payloadFormatVersion".into(), json!(pfv));
    }
    Ok(())
}

fn create_integration(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    if body(&m).str("integrationType")?.is_none() {
        return Err(AwsError::bad("IntegrationType is required"));
    }
    let id = short_id(world, 7);
    let a = api(req, world)?;
    let mut out = Map::new();
    integration_fields(is_http(a), &m, &mut out)?;
    out.insert("integrationId".into(), json!(id));
    let v = Value::Object(out);
    a.integrations.insert(id, v.clone());
    stages::touched(world, req);
    Ok(Answer::Json(201, v))
}

fn get_integrations(req: &Req, world: &mut World) -> AwsResult {
    let items = api(req, world)?.integrations.values().cloned().collect();
    listing(req, items)
}

fn missing_integration(id: &str) -> AwsError {
    AwsError::not_found(format!("Invalid Integration identifier specified {id}"))
}

fn get_integration(req: &Req, world: &mut World) -> AwsResult {
    let id = child_id(req);
    let a = api(req, world)?;
    let i = a
        .integrations
        .get(&id)
        .ok_or_else(|| missing_integration(&id))?;
    Ok(Answer::Json(200, i.clone()))
}

fn update_integration(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let id = child_id(req);
    let a = api(req, world)?;
    let mut out = a
        .integrations
        .get(&id)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| missing_integration(&id))?;
    integration_fields(is_http(a), &m, &mut out)?;
    let v = Value::Object(out);
    a.integrations.insert(id, v.clone());
    stages::touched(world, req);
    Ok(Answer::Json(200, v))
}

fn delete_integration(req: &Req, world: &mut World) -> AwsResult {
    let id = child_id(req);
    let a = api(req, world)?;
    if !a.integrations.contains_key(&id) {
        return Err(missing_integration(&id));
    }
    let target = json!(format!("integrations/{id}"));
    if let Some((rid, _)) = a.routes.iter().find(|(_, r)| r["target"] == target) {
        return Err(AwsError::bad(format!(
            "Cannot delete Integration {id}: it is the target of Route {rid}. Update or delete the route first."
        )));
    }
    a.integrations.remove(&id);
    stages::touched(world, req);
    Ok(Answer::Empty(204))
}

pub(super) fn authorizer_fields(
    http: bool,
    m: &Map<String, Value>,
    out: &mut Map<String, Value>,
) -> Result<(), AwsError> {
    let b = body(m);
    for k in [
        "name",
        "authorizerType",
        "authorizerUri",
        "authorizerCredentialsArn",
        "authorizerPayloadFormatVersion",
        "identityValidationExpression",
    ] {
        if let Some(v) = b.str(k)? {
            out.insert(k.into(), json!(v));
        }
    }
    if let Some(v) = b.str_list("identitySource")? {
        for s in &v {
            let ok = [
                "$request.header.",
                "$request.querystring.",
                "$context.",
                "$stageVariables.",
            ]
            .iter()
            .any(|p| s.starts_with(p) && s.len() > p.len());
            if !ok {
                return Err(AwsError::bad(format!("Invalid identity source {s}")));
            }
        }
        out.insert("identitySource".into(), json!(v));
    }
    if let Some(v) = b.bool("enableSimpleResponses")? {
        out.insert("enableSimpleResponses".into(), json!(v));
    }
    if let Some(t) = b.int("authorizerResultTtlInSeconds")? {
        if !(0..=3600).contains(&t) {
            return Err(AwsError::bad(
                "authorizerResultTtlInSeconds must be between 0 and 3600",
            ));
        }
        out.insert("authorizerResultTtlInSeconds".into(), json!(t));
    }
    if let Some(j) = b.obj("jwtConfiguration")? {
        let jb = body(j);
        let mut jwt = Map::new();
        if let Some(a) = jb.str_list("audience")? {
            jwt.insert("audience".into(), json!(a));
        }
        if let Some(i) = jb.str("issuer")? {
            jwt.insert("issuer".into(), json!(i));
        }
        out.insert("jwtConfiguration".into(), Value::Object(jwt));
    }
    match out
        .get("authorizerType")
        .and_then(Value::as_str)
        .unwrap_or_default()
    {
        "JWT" => {
            if !http {
                return Err(AwsError::bad(
                    "JWT authorizers are supported only for HTTP APIs",
                ));
            }
            let issuer = out
                .get("jwtConfiguration")
                .and_then(|j| j.get("issuer"))
                .and_then(Value::as_str);
            if !issuer.is_some_and(|i| i.starts_with("https://") || i.starts_with("http://")) {
                return Err(AwsError::bad(
                    "A JWT authorizer needs jwtConfiguration.issuer, an https URL",
                ));
            }
            if out
                .get("identitySource")
                .and_then(Value::as_array)
                .is_none_or(|a| a.len() != 1)
            {
                return Err(AwsError::bad(
                    "A JWT authorizer needs exactly one identitySource",
                ));
            }
        }
        "REQUEST" => {
            if !out.contains_key("authorizerUri") {
                return Err(AwsError::bad(
                    "An authorizerUri is required for REQUEST authorizers",
                ));
            }
            if http {
                let v = out
                    .get("authorizerPayloadFormatVersion")
                    .and_then(Value::as_str);
                if !matches!(v, Some("1.0") | Some("2.0")) {
                    return Err(AwsError::bad(
                        "authorizerPayloadFormatVersion (1.0 or 2.0) is required for REQUEST authorizers of HTTP APIs",
                    ));
                }
            }
        }
        other => return Err(AwsError::bad(format!("Invalid authorizer type {other:?}"))),
    }
    Ok(())
}

fn create_authorizer(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    if body(&m).str("name")?.is_none_or(|n| n.is_empty()) {
        return Err(AwsError::bad("Name is required"));
    }
    let id = short_id(world, 6);
    let a = api(req, world)?;
    let mut out = Map::new();
    authorizer_fields(is_http(a), &m, &mut out)?;
    out.insert("authorizerId".into(), json!(id));
    let v = Value::Object(out);
    a.authorizers.insert(id, v.clone());
    stages::touched(world, req);
    Ok(Answer::Json(201, v))
}

fn get_authorizers(req: &Req, world: &mut World) -> AwsResult {
    let items = api(req, world)?.authorizers.values().cloned().collect();
    listing(req, items)
}

fn missing_authorizer(id: &str) -> AwsError {
    AwsError::not_found(format!("Invalid Authorizer identifier specified {id}"))
}

fn get_authorizer(req: &Req, world: &mut World) -> AwsResult {
    let id = child_id(req);
    let a = api(req, world)?;
    let au = a
        .authorizers
        .get(&id)
        .ok_or_else(|| missing_authorizer(&id))?;
    Ok(Answer::Json(200, au.clone()))
}

fn update_authorizer(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let id = child_id(req);
    let a = api(req, world)?;
    let mut out = a
        .authorizers
        .get(&id)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| missing_authorizer(&id))?;
    authorizer_fields(is_http(a), &m, &mut out)?;
    let v = Value::Object(out);
    a.authorizers.insert(id, v.clone());
    stages::touched(world, req);
    Ok(Answer::Json(200, v))
}

fn delete_authorizer(req: &Req, world: &mut World) -> AwsResult {
    let id = child_id(req);
    let a = api(req, world)?;
    if !a.authorizers.contains_key(&id) {
        return Err(missing_authorizer(&id));
    }
    if let Some((rid, _)) = a
        .routes
        .iter()
        .find(|(_, r)| r["authorizerId"] == json!(id))
    {
        return Err(AwsError::bad(format!(
            "Cannot delete Authorizer {id}: it is used by Route {rid}. Update or delete the route first."
        )));
    }
    a.authorizers.remove(&id);
    stages::touched(world, req);
    Ok(Answer::Empty(204))
}

/// Quick create: an integration for `target` (a Lambda ARN → AWS_PROXY 2.0, a URL →
/// HTTP_PROXY ANY), a route `route_key` to it and an auto-deploying `$default` stage, all
/// marked `apiGatewayManaged`.
pub fn quick_create(
    world: &mut World,
    a: &mut HttpApi,
    target: &str,
    route_key: &str,
    req: &Req,
) -> Result<(), AwsError> {
    let iid = short_id(world, 7);
    let rid = short_id(world, 7);
    let integration = if target.starts_with("arn:") {
        json!({"integrationId": iid, "integrationType": "AWS_PROXY", "integrationUri": target,
               "integrationMethod": "POST", "payloadFormatVersion": "2.0", "timeoutInMillis": 30000,
               "connectionType": "INTERNET", "apiGatewayManaged": true})
    } else if target.starts_with("http://") || target.starts_with("https://") {
        json!({"integrationId": iid, "integrationType": "HTTP_PROXY", "integrationUri": target,
               "integrationMethod": "ANY", "payloadFormatVersion": "1.0", "timeoutInMillis": 30000,
               "connectionType": "INTERNET", "apiGatewayManaged": true})
    } else {
        return Err(AwsError::bad(format!(
            "Invalid target {target}: must be a Lambda ARN or an HTTP URL"
        )));
    };
    a.integrations.insert(iid.clone(), integration);
    a.routes.insert(
        rid.clone(),
        json!({"routeId": rid, "routeKey": route_key, "target": format!("integrations/{iid}"),
               "authorizationType": "NONE", "apiKeyRequired": false, "apiGatewayManaged": true}),
    );
    stages::quick_stage(world, a, req);
    Ok(())
}
