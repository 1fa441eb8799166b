//! A REST API's deployments (each a snapshot of the resource tree, methods and integrations at
//! that moment: what its stages serve until the next deployment) and stages (variables,
//! `methodSettings` patched at `/{resourcePath}/{method}/{category}/{setting}`).

use serde_json::{json, Map, Value};

use super::super::super::world::World;
use super::super::store::{Deployment, RestApi};
use super::super::wire::{epoch_secs, short_id, Answer, AwsError, AwsResult, Req};
use super::super::Handler;
use super::patch::{self, Kind, Op};
use super::{api, body, listing, resources};

pub fn route(m: &str, rest: &[&str]) -> Option<(&'static str, Handler)> {
    let h: (&'static str, Handler) = match (m, rest) {
        ("POST", ["deployments"]) => ("CreateDeployment", create_deployment),
        ("GET", ["deployments"]) => ("GetDeployments", get_deployments),
        ("GET", ["deployments", _]) => ("GetDeployment", get_deployment),
        ("PATCH", ["deployments", _]) => ("UpdateDeployment", update_deployment),
        ("DELETE", ["deployments", _]) => ("DeleteDeployment", delete_deployment),
        ("POST", ["stages"]) => ("CreateStage", create_stage),
        ("GET", ["stages"]) => ("GetStages", get_stages),
        ("GET", ["stages", _]) => ("GetStage", get_stage),
        ("PATCH", ["stages", _]) => ("UpdateStage", update_stage),
        ("DELETE", ["stages", _]) => ("DeleteStage", delete_stage),
        _ => return None,
    };
    Some(h)
}

fn child(req: &Req) -> String {
    req.segs.get(3).cloned().unwrap_or_default()
}

fn missing_deployment(id: &str) -> AwsError {
    AwsError::not_found(format!("Invalid Deployment identifier specified {id}"))
}

fn missing_stage(name: &str) -> AwsError {
    AwsError::not_found(format!("Invalid Stage identifier specified {name}"))
}

/// `{path: {method: {authorizationType, apiKeyRequired}}}` of a snapshot.
fn api_summary(snapshot: &Value) -> Value {
    let mut out = Map::new();
    for r in snapshot.as_object().into_iter().flat_map(|m| m.values()) {
        let Some(methods) = r["resourceMethods"].as_object() else {
            continue;
        };
        let entry: Map<String, Value> = methods
            .iter()
            .map(|(k, m)| (k.clone(), json!({"authorizationType": m["authorizationType"], "apiKeyRequired": m["apiKeyRequired"]})))
            .collect();
        out.insert(
            r["path"].as_str().unwrap_or("/").to_string(),
            Value::Object(entry),
        );
    }
    Value::Object(out)
}

fn new_stage(name: &str, deployment: &str, now: u64) -> Value {
    json!({
        "deploymentId": deployment,
        "stageName": name,
        "cacheClusterEnabled": false,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": false,
        "createdDate": epoch_secs(now),
        "lastUpdatedDate": epoch_secs(now),
    })
}

fn check_stage_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty()
        || name.len() > 128
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AwsError::bad(format!(
            "Stage name only allows a-zA-Z0-9_- : {name:?}"
        )));
    }
    Ok(())
}

fn create_deployment(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let stage = b.str("stageName")?.filter(|s| !s.is_empty());
    let description = b.str("description")?;
    let stage_description = b.str("stageDescription")?;
    let variables = b.str_map("variables")?;
    let tracing = b.bool("tracingEnabled")?;
    if let Some(s) = &stage {
        check_stage_name(s)?;
    }
    let id = short_id(world, 6);
    let a = api(req, world)?;
    let snapshot = resources::snapshot(a);
    let methods: Vec<&Value> = snapshot
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|r| r["resourceMethods"].as_object())
        .flat_map(|m| m.values())
        .collect();
    if methods.is_empty() {
        return Err(AwsError::bad("The REST API doesn't contain any methods"));
    }
    if methods.iter().any(|m| m.get("methodIntegration").is_none()) {
        return Err(AwsError::bad("No integration defined for method"));
    }
    let mut out = json!({"id": id, "createdDate": epoch_secs(req.now_ms)});
    if let Some(d) = description {
        out["description"] = json!(d);
    }
    let mut stored = out.clone();
    stored["apiSummary"] = api_summary(&snapshot);
    a.deployments.insert(
        id.clone(),
        Deployment {
            body: stored,
            snapshot,
        },
    );
    if let Some(name) = stage {
        let st = a
            .stages
            .entry(name.clone())
            .or_insert_with(|| new_stage(&name, &id, req.now_ms));
        st["deploymentId"] = json!(id);
        st["lastUpdatedDate"] = epoch_secs(req.now_ms);
        if let Some(d) = stage_description {
            st["description"] = json!(d);
        }
        if let Some(v) = variables {
            st["variables"] = Value::Object(v);
        }
        if let Some(t) = tracing {
            st["tracingEnabled"] = json!(t);
        }
    }
    Ok(Answer::Json(201, out))
}

/// A deployment as answered (`apiSummary` only with `embed=apisummary`).
fn emit_deployment(req: &Req, d: &Deployment) -> Value {
    let mut v = d.body.clone();
    if !req
        .query
        .iter()
        .any(|(k, v)| k == "embed" && v == "apisummary")
    {
        v.as_object_mut().map(|o| o.remove("apiSummary"));
    }
    v
}

fn get_deployments(req: &Req, world: &mut World) -> AwsResult {
    let a = api(req, world)?;
    let items = a
        .deployments
        .values()
        .map(|d| emit_deployment(req, d))
        .collect();
    listing(req, items)
}

fn get_deployment(req: &Req, world: &mut World) -> AwsResult {
    let id = child(req);
    let a = api(req, world)?;
    let d = a
        .deployments
        .get(&id)
        .ok_or_else(|| missing_deployment(&id))?;
    Ok(Answer::Json(200, emit_deployment(req, d)))
}

fn update_deployment(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let id = child(req);
    let a = api(req, world)?;
    let d = a
        .deployments
        .get_mut(&id)
        .ok_or_else(|| missing_deployment(&id))?;
    let mut b = d.body.as_object().cloned().unwrap_or_default();
    patch::apply(&mut b, &ops, &[("description", Kind::Str)])?;
    d.body = Value::Object(b);
    Ok(Answer::Json(200, emit_deployment(req, d)))
}

fn delete_deployment(req: &Req, world: &mut World) -> AwsResult {
    let id = child(req);
    let a = api(req, world)?;
    if !a.deployments.contains_key(&id) {
        return Err(missing_deployment(&id));
    }
    if a.stages.values().any(|s| s["deploymentId"] == json!(id)) {
        return Err(AwsError::bad(
            "Active stages pointing to this deployment must be moved or deleted",
        ));
    }
    a.deployments.remove(&id);
    Ok(Answer::Empty(202))
}

fn create_stage(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let name = b.str("stageName")?.unwrap_or_default();
    check_stage_name(&name)?;
    let deployment = b.str("deploymentId")?.unwrap_or_default();
    for k in ["description", "documentationVersion", "cacheClusterSize"] {
        b.str(k)?;
    }
    let vars = b.str_map("variables")?;
    let tags = b.str_map("tags")?;
    let a = api(req, world)?;
    if !a.deployments.contains_key(&deployment) {
        return Err(missing_deployment(&deployment));
    }
    if a.stages.contains_key(&name) {
        return Err(AwsError::conflict("Stage already exists"));
    }
    let mut st = new_stage(&name, &deployment, req.now_ms);
    for k in ["description", "documentationVersion"] {
        if let Some(v) = b.str(k)? {
            st[k] = json!(v);
        }
    }
    if let Some(c) = b.bool("cacheClusterEnabled")? {
        st["cacheClusterEnabled"] = json!(c);
    }
    if let Some(t) = b.bool("tracingEnabled")? {
        st["tracingEnabled"] = json!(t);
    }
    if let Some(v) = vars {
        st["variables"] = Value::Object(v);
    }
    if let Some(t) = tags {
        st["tags"] = Value::Object(t);
    }
    a.stages.insert(name, st.clone());
    Ok(Answer::Json(201, st))
}

fn get_stages(req: &Req, world: &mut World) -> AwsResult {
    let filter = req.q("deploymentId").map(str::to_string);
    let a = api(req, world)?;
    let items: Vec<Value> = a
        .stages
        .values()
        .filter(|s| {
            filter
                .as_ref()
                .is_none_or(|d| s["deploymentId"] == json!(d))
        })
        .cloned()
        .collect();
    // GetStages is not paged: all stages in `item`.
    Ok(Answer::Json(200, json!({"item": items})))
}

fn get_stage(req: &Req, world: &mut World) -> AwsResult {
    let name = child(req);
    let a = api(req, world)?;
    let s = a.stages.get(&name).ok_or_else(|| missing_stage(&name))?;
    Ok(Answer::Json(200, s.clone()))
}

const STAGE_PATCH: &[(&str, Kind)] = &[
    ("description", Kind::Str),
    ("deploymentId", Kind::Str),
    ("clientCertificateId", Kind::Str),
    ("documentationVersion", Kind::Str),
    ("cacheClusterEnabled", Kind::Bool),
    ("cacheClusterSize", Kind::Str),
    ("tracingEnabled", Kind::Bool),
    ("webAclArn", Kind::Str),
    ("variables/*", Kind::StrMap),
    ("accessLogSettings/destinationArn", Kind::Str),
    ("accessLogSettings/format", Kind::Str),
    ("accessLogSettings", Kind::Str),
];

/// `methodSettings` members by the patch path's `{category}/{setting}`, with their types.
const METHOD_SETTINGS: &[(&str, &str, Kind)] = &[
    ("metrics/enabled", "metricsEnabled", Kind::Bool),
    ("logging/loglevel", "loggingLevel", Kind::Str),
    ("logging/dataTrace", "dataTraceEnabled", Kind::Bool),
    ("throttling/burstLimit", "throttlingBurstLimit", Kind::Int),
    ("throttling/rateLimit", "throttlingRateLimit", Kind::Num),
    ("caching/enabled", "cachingEnabled", Kind::Bool),
    ("caching/ttlInSeconds", "cacheTtlInSeconds", Kind::Int),
    ("caching/dataEncrypted", "cacheDataEncrypted", Kind::Bool),
    (
        "caching/requireAuthorizationForCacheControl",
        "requireAuthorizationForCacheControl",
        Kind::Bool,
    ),
    (
        "caching/unauthorizedCacheControlHeaderStrategy",
        "unauthorizedCacheControlHeaderStrategy",
        Kind::Str,
    ),
];

/// The settings a new `methodSettings` entry starts from (API Gateway's defaults).
fn default_method_setting() -> Value {
    json!({
        "metricsEnabled": false,
        "loggingLevel": "OFF",
        "dataTraceEnabled": false,
        "throttlingBurstLimit": 5000,
        "throttlingRateLimit": 10000.0,
        "cachingEnabled": false,
        "cacheTtlInSeconds": 300,
        "cacheDataEncrypted": false,
        "requireAuthorizationForCacheControl": true,
        "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
    })
}

/// `/{resourcePath}/{method}/{category}/{setting}` (or `/{resourcePath}/{method}` to remove).
fn method_setting(stage: &mut Value, a: &RestApi, op: &Op) -> Result<(), AwsError> {
    let (res, meth) = (op.segs[0].trim_start_matches('/'), op.segs[1].as_str());
    let key = format!("{res}/{meth}");
    let snap = resources::snapshot(a);
    let known_path = res == "*"
        || snap
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
            .any(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.trim_start_matches('/') == res)
            });
    if !known_path
        || !(meth == "*"
            || ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].contains(&meth))
    {
        return Err(AwsError::bad(format!(
            "Invalid method setting path: {}",
            op.path
        )));
    }
    if op.segs.len() == 2 {
        if op.op != "remove" {
            return Err(AwsError::bad(format!(
                "Invalid patch operation '{}' for '{}'",
                op.op, op.path
            )));
        }
        stage["methodSettings"]
            .as_object_mut()
            .map(|m| m.remove(&key));
        return Ok(());
    }
    let setting = format!("{}/{}", op.segs[2], op.segs[3]);
    let Some((_, member, kind)) = METHOD_SETTINGS.iter().find(|(p, _, _)| *p == setting) else {
        return Err(AwsError::bad(format!(
            "Invalid method setting path: {}",
            op.path
        )));
    };
    let v = patch::typed(op, *kind)?;
    if v.as_f64().is_some_and(|n| n < 0.0) {
        return Err(AwsError::bad(format!("{member} must be non-negative")));
    }
    if *member == "loggingLevel"
        && !["OFF", "ERROR", "INFO"].contains(&v.as_str().unwrap_or_default())
    {
        return Err(AwsError::bad("loggingLevel must be OFF, ERROR or INFO"));
    }
    if !stage["methodSettings"].is_object() {
        stage["methodSettings"] = json!({});
    }
    let entry = stage["methodSettings"]
        .as_object_mut()
        .map(|m| m.entry(key).or_insert_with(default_method_setting));
    if let Some(e) = entry {
        e[*member] = v;
    }
    Ok(())
}

fn update_stage(req: &Req, world: &mut World) -> AwsResult {
    let ops = patch::ops(req)?;
    let name = child(req);
    let a = api(req, world)?;
    let mut st = a
        .stages
        .get(&name)
        .cloned()
        .ok_or_else(|| missing_stage(&name))?;
    for op in &ops {
        if op.segs.len() == 4
            || (op.segs.len() == 2
                && op.segs[0] != "variables"
                && op.segs[0] != "accessLogSettings")
        {
            method_setting(&mut st, a, op)?;
        } else if op.segs == ["accessLogSettings"] && op.op == "remove" {
            st.as_object_mut().map(|o| o.remove("accessLogSettings"));
        } else {
            let mut o = st.as_object().cloned().unwrap_or_default();
            patch::apply(&mut o, std::slice::from_ref(op), STAGE_PATCH)?;
            st = Value::Object(o);
        }
    }
    let dep = st["deploymentId"].as_str().unwrap_or_default().to_string();
    if !a.deployments.contains_key(&dep) {
        return Err(missing_deployment(&dep));
    }
    st["lastUpdatedDate"] = epoch_secs(req.now_ms);
    a.stages.insert(name, st.clone());
    Ok(Answer::Json(200, st))
}

fn delete_stage(req: &Req, world: &mut World) -> AwsResult {
    let name = child(req);
    let a = api(req, world)?;
    if a.stages.remove(&name).is_none() {
        return Err(missing_stage(&name));
    }
    Ok(Answer::Empty(202))
}
