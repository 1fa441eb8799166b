//! A method's integration (what API Gateway calls: HTTP, HTTP_PROXY, AWS, AWS_PROXY or MOCK,
//! checked as API Gateway checks them) and its integration responses, each mapped onto a method
//! response of the same status.

use serde_json::{json, Map, Value};

use super::super::super::world::World;
use super::super::store::RestApi;
use super::super::wire::{Answer, AwsError, AwsResult, Req};
use super::super::Handler;
use super::patch::{self, Kind};
use super::resources::{method, missing_response, status_code};
use super::{api, body};

pub fn route(m: &str, rest: &[&str]) -> Option<(&'static str, Handler)> {
    let h: (&'static str, Handler) = match (m, rest) {
        ("PUT", ["resources", _, "methods", _, "integration"]) => {
            ("PutIntegration", put_integration)
        }
        ("GET", ["resources", _, "methods", _, "integration"]) => {
            ("GetIntegration", get_integration)
        }
        ("PATCH", ["resources", _, "methods", _, "integration"]) => {
            ("UpdateIntegration", update_integration)
        }
        ("DELETE", ["resources", _, "methods", _, "integration"]) => {
            ("DeleteIntegration", delete_integration)
        }
        ("PUT", ["resources", _, "methods", _, "integration", "responses", _]) => {
            ("PutIntegrationResponse", put_integration_response)
        }
        ("GET", ["resources", _, "methods", _, "integration", "responses", _]) => {
            ("GetIntegrationResponse", get_integration_response)
        }
        ("PATCH", ["resources", _, "methods", _, "integration", "responses", _]) => {
            ("UpdateIntegrationResponse", update_integration_response)
        }
        ("DELETE", ["resources", _, "methods", _, "integration", "responses", _]) => {
            ("DeleteIntegrationResponse", delete_integration_response)
        }
        _ => return None,
    };
    Some(h)
}

fn rid(req: &Req) -> String {
    req.segs[3].clone()
}

const INTEGRATION_TYPES: &[&str] = &["HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY"];

/// The integration rules API Gateway applies on put and update alike.
fn check_integration(i: &Map<String, Value>) -> Result<(), AwsError> {
    let s = |k: &str| {
        i.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let kind = s("type");
    if !INTEGRATION_TYPES.contains(&kind.as_str()) {
        return Err(AwsError::bad(format!(
            "Invalid integration type specified: {kind:?}"
        )));
    }
    if kind != "MOCK" {
        if s("httpMethod").is_empty() {
            return Err(AwsError::bad(
                "Enumeration value for HttpMethod must be non-empty",
            ));
        }
        let uri = s("uri");
        let http = kind.starts_with("HTTP");
        if http
            && !(uri.starts_with("http://") || uri.starts_with("https://"))
            && s("connectionType") != "VPC_LINK"
        {
            return Err(AwsError::bad("Invalid HTTP endpoint specified for URI"));
        }
        if !http && !uri.starts_with("arn:aws:apigateway:") {
            return Err(AwsError::bad(
                "AWS ARN for integration must contain path or action",
            ));
        }
    }
    if let Some(t) = i.get("timeoutInMillis") {
        if !t.as_i64().is_some_and(|t| (50..=29_000).contains(&t)) {
            return Err(AwsError::bad(
                "Timeout should be between 50 ms and 29000 ms",
            ));
        }
    }
    let pb = s("passthroughBehavior");
    if !["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"].contains(&pb.as_str()) {
        return Err(AwsError::bad(format!(
            "Invalid passthrough behavior specified: {pb}"
        )));
    }
    Ok(())
}

/// An integration as put (by PutIntegration or an import): API Gateway's defaults filled in
/// (`cacheNamespace` is the resource's ID), then checked.
pub(super) fn finish(out: &mut Map<String, Value>, resource_id: &str) -> Result<(), AwsError> {
    if out.get("type") == Some(&json!("MOCK")) {
        out.remove("httpMethod");
    } else {
        out.entry("connectionType").or_insert(json!("INTERNET"));
    }
    out.entry("passthroughBehavior")
        .or_insert(json!("WHEN_NO_MATCH"));
    out.entry("timeoutInMillis").or_insert(json!(29_000));
    out.entry("cacheNamespace").or_insert(json!(resource_id));
    out.entry("cacheKeyParameters").or_insert(json!([]));
    check_integration(out)
}

fn put_integration(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let id = rid(req);
    let mut out = Map::new();
    for k in [
        "type",
        "httpMethod",
        "uri",
        "connectionType",
        "connectionId",
        "credentials",
        "passthroughBehavior",
        "cacheNamespace",
        "contentHandling",
    ] {
        b.str(k)?;
    }
    b.str_map("requestParameters")?;
    b.str_map("requestTemplates")?;
    b.str_list("cacheKeyParameters")?;
    b.int("timeoutInMillis")?;
    b.obj("tlsConfig")?;
    b.copy_into(
        &[
            "type",
            "httpMethod",
            "uri",
            "connectionType",
            "connectionId",
            "credentials",
            "passthroughBehavior",
            "cacheNamespace",
            "contentHandling",
            "requestParameters",
            "requestTemplates",
            "cacheKeyParameters",
            "timeoutInMillis",
            "tlsConfig",
        ],
        &mut out,
    );
    finish(&mut out, &id)?;
    let a = api(req, world)?;
    let meth = method(req, a)?;
    // A re-put keeps the integration responses already defined.
    if let Some(r) = meth
        .get("methodIntegration")
        .and_then(|i| i.get("integrationResponses"))
    {
        out.insert("integrationResponses".into(), r.clone());
    }
    meth.insert("methodIntegration".into(), Value::Object(out.clone()));
    Ok(Answer::Json(201, Value::Object(out)))
}

fn integration<'a>(req: &Req, a: &'a mut RestApi) -> Result<&'a mut Map<String, Value>, AwsError> {
    method(req, a)?
        .get_mut("methodIntegration")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| AwsError::not_found("Invalid Integration identifier specified"))
}

fn get_integration(req: &Req, world: &mut World) -> AwsResult {
    let a = api(req, world)?;
    Ok(Answer::Json(
        200,
        Value::Object(integration(req, a)?.clone()),
    ))
}

const INTEGRATION_PATCH: &[(&str, Kind)] = &[
    ("type", Kind::Str),
    ("httpMethod", Kind::Str),
    ("uri", Kind::Str),
    ("connectionType", Kind::Str),
    ("connectionId", Kind::Str),
    ("credentials", Kind::Str),
    ("passthroughBehavior", Kind::Str),
    ("cacheNamespace", Kind::Str),
    ("contentHandling", Kind::Str),
    ("timeoutInMillis", Kind::Int),
    ("requestParameters/*", Kind::StrMap),
    ("requestTemplates/*", Kind::StrMap),
    ("cacheKeyParameters/*", Kind::StrSet),
    ("tlsConfig/insecureSkipVerification", Kind::Bool),
];

fn update_integration(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let a = api(req, world)?;
    let i = integration(req, a)?;
    let mut next = i.clone();
    patch::apply(&mut next, &ops, INTEGRATION_PATCH)?;
    check_integration(&next)?;
    *i = next;
    Ok(Answer::Json(200, Value::Object(i.clone())))
}

fn delete_integration(req: &Req, world: &mut World) -> AwsResult {
    let a = api(req, world)?;
    let meth = method(req, a)?;
    meth.remove("methodIntegration")
        .ok_or_else(|| AwsError::not_found("Invalid Integration identifier specified"))?;
    Ok(Answer::Empty(204))
}

fn put_integration_response(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let code = status_code(req, 8)?;
    let mut out = Map::new();
    out.insert("statusCode".into(), json!(code));
    b.str("selectionPattern")?;
    b.str("contentHandling")?;
    b.str_map("responseParameters")?;
    b.str_map("responseTemplates")?;
    b.copy_into(
        &[
            "selectionPattern",
            "contentHandling",
            "responseParameters",
            "responseTemplates",
        ],
        &mut out,
    );
    let a = api(req, world)?;
    let meth = method(req, a)?;
    // An integration response maps onto a method response of the same status.
    if meth
        .get("methodResponses")
        .and_then(|r| r.get(&code))
        .is_none()
    {
        return Err(missing_response());
    }
    let i = meth
        .get_mut("methodIntegration")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| AwsError::not_found("Invalid Integration identifier specified"))?;
    let responses = i.entry("integrationResponses").or_insert_with(|| json!({}));
    responses[&code] = Value::Object(out.clone());
    Ok(Answer::Json(201, Value::Object(out)))
}

fn integration_response<'a>(
    req: &Req,
    a: &'a mut RestApi,
) -> Result<&'a mut Map<String, Value>, AwsError> {
    let code = status_code(req, 8)?;
    integration(req, a)?
        .get_mut("integrationResponses")
        .and_then(|r| r.get_mut(&code))
        .and_then(Value::as_object_mut)
        .ok_or_else(missing_response)
}

fn get_integration_response(req: &Req, world: &mut World) -> AwsResult {
    let a = api(req, world)?;
    Ok(Answer::Json(
        200,
        Value::Object(integration_response(req, a)?.clone()),
    ))
}

fn update_integration_response(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let a = api(req, world)?;
    let r = integration_response(req, a)?;
    patch::apply(
        r,
        &ops,
        &[
            ("selectionPattern", Kind::Str),
            ("contentHandling", Kind::Str),
            ("responseParameters/*", Kind::StrMap),
            ("responseTemplates/*", Kind::StrMap),
        ],
    )?;
    Ok(Answer::Json(200, Value::Object(r.clone())))
}

fn delete_integration_response(req: &Req, world: &mut World) -> AwsResult {
    let code = status_code(req, 8)?;
    let a = api(req, world)?;
    let removed = integration(req, a)?
        .get_mut("integrationResponses")
        .and_then(Value::as_object_mut)
        .and_then(|r| r.remove(&code));
    removed.ok_or_else(missing_response)?;
    Ok(Answer::Empty(204))
}
