//! An API's stages and deployments. A deployment snapshots the API's routes, integrations,
//! authorizers and CORS (what its stages serve); a stage with `autoDeploy` gets a new
//! deployment after every change to the API, as API Gateway's auto-deploy does. A deployment a
//! stage still points at cannot be deleted.

use serde_json::{json, Map, Value};

use super::super::super::world::World;
use super::super::store::{Deployment, HttpApi};
use super::super::wire::{iso_secs, short_id, Answer, AwsError, AwsResult, Req};
use super::super::Handler;
use super::{api, body, listing};

pub fn route(m: &str, rest: &[&str]) -> Option<(&'static str, Handler)> {
    let h: (&'static str, Handler) = match (m, rest) {
        ("POST", ["stages"]) => ("CreateStage", create_stage),
        ("GET", ["stages"]) => ("GetStages", get_stages),
        ("GET", ["stages", _]) => ("GetStage", get_stage),
        ("PATCH", ["stages", _]) => ("UpdateStage", update_stage),
        ("DELETE", ["stages", _]) => ("DeleteStage", delete_stage),
        ("DELETE", ["stages", _, "routesettings", _]) => {
            ("DeleteRouteSettings", delete_route_settings)
        }
        ("POST", ["deployments"]) => ("CreateDeployment", create_deployment),
        ("GET", ["deployments"]) => ("GetDeployments", get_deployments),
        ("GET", ["deployments", _]) => ("GetDeployment", get_deployment),
        ("PATCH", ["deployments", _]) => ("UpdateDeployment", update_deployment),
        ("DELETE", ["deployments", _]) => ("DeleteDeployment", delete_deployment),
        _ => return None,
    };
    Some(h)
}

fn snapshot(a: &HttpApi) -> Value {
    json!({
        "routes": a.routes,
        "integrations": a.integrations,
        "authorizers": a.authorizers,
        "corsConfiguration": a.body.get("corsConfiguration").cloned().unwrap_or(Value::Null),
    })
}

/// Records a deployment of the API as it is now.
fn deploy(a: &mut HttpApi, id: &str, now: u64, auto: bool, description: Option<String>) -> Value {
    let mut body = json!({
        "deploymentId": id,
        "createdDate": iso_secs(now),
        "deploymentStatus": "DEPLOYED",
        "autoDeployed": auto,
    });
    if let Some(d) = description {
        body["description"] = json!(d);
    }
    a.deployments.insert(
        id.to_string(),
        Deployment {
            body: body.clone(),
            snapshot: snapshot(a),
        },
    );
    body
}

fn point_stage(stage: &mut Value, id: &str, now: u64) {
    stage["deploymentId"] = json!(id);
    stage["lastUpdatedDate"] = json!(iso_secs(now));
    stage["lastDeploymentStatusMessage"] = json!(format!(
        "Successfully deployed stage with deployment ID '{id}'"
    ));
}

/// After any change to the API: each auto-deploying stage gets a fresh deployment (one shared
/// deployment for all of them). An API without routes has nothing to deploy.
pub fn touched(world: &mut World, req: &Req) {
    let key = format!("{}/{}", req.region, req.segs[2]);
    let wants = world.aws.http_apis.get(&key).is_some_and(|a| {
        !a.routes.is_empty() && a.stages.values().any(|s| s["autoDeploy"] == json!(true))
    });
    if !wants {
        return;
    }
    let id = short_id(world, 6);
    if let Some(a) = world.aws.http_apis.get_mut(&key) {
        deploy(a, &id, req.now_ms, true, None);
        for s in a
            .stages
            .values_mut()
            .filter(|s| s["autoDeploy"] == json!(true))
        {
            point_stage(s, &id, req.now_ms);
        }
    }
}

/// Quick create's `$default` stage, auto-deploying and already deployed.
pub fn quick_stage(world: &mut World, a: &mut HttpApi, req: &Req) {
    let id = short_id(world, 6);
    deploy(a, &id, req.now_ms, true, None);
    let mut stage = new_stage("$default", req.now_ms);
    stage["autoDeploy"] = json!(true);
    stage["apiGatewayManaged"] = json!(true);
    point_stage(&mut stage, &id, req.now_ms);
    a.stages.insert("$default".into(), stage);
}

fn new_stage(name: &str, now: u64) -> Value {
    json!({
        "stageName": name,
        "autoDeploy": false,
        "createdDate": iso_secs(now),
        "lastUpdatedDate": iso_secs(now),
        "defaultRouteSettings": {"detailedMetricsEnabled": false},
        "routeSettings": {},
        "stageVariables": {},
        "tags": {},
    })
}

/// Route settings as API Gateway checks them: throttling never negative, the burst whole.
fn route_settings(v: &Map<String, Value>, base: Option<&Value>) -> Result<Value, AwsError> {
    let b = body(v);
    let mut out = base.and_then(Value::as_object).cloned().unwrap_or_default();
    for k in ["dataTraceEnabled", "detailedMetricsEnabled"] {
        if let Some(x) = b.bool(k)? {
            out.insert(k.into(), json!(x));
        }
    }
    if let Some(l) = b.str("loggingLevel")? {
        if !["ERROR", "INFO", "OFF"].contains(&l.as_str()) {
            return Err(AwsError::bad(format!("Invalid logging level {l}")));
        }
        out.insert("loggingLevel".into(), json!(l));
    }
    if let Some(n) = b.int("throttlingBurstLimit")? {
        if n < 0 {
            return Err(AwsError::bad(
                "throttlingBurstLimit must be a non-negative integer",
            ));
        }
        out.insert("throttlingBurstLimit".into(), json!(n));
    }
    if let Some(r) = b.num("throttlingRateLimit")? {
        if r < 0.0 {
            return Err(AwsError::bad("throttlingRateLimit must be non-negative"));
        }
        out.insert("throttlingRateLimit".into(), json!(r));
    }
    Ok(Value::Object(out))
}

/// Applies the settable stage members of `m` to `stage`.
fn stage_fields(a: &HttpApi, m: &Map<String, Value>, stage: &mut Value) -> Result<(), AwsError> {
    let b = body(m);
    if let Some(d) = b.str("description")? {
        stage["description"] = json!(d);
    }
    if let Some(c) = b.str("clientCertificateId")? {
        stage["clientCertificateId"] = json!(c);
    }
    if let Some(x) = b.bool("autoDeploy")? {
        stage["autoDeploy"] = json!(x);
    }
    if let Some(id) = b.str("deploymentId")? {
        if !a.deployments.contains_key(&id) {
            return Err(AwsError::not_found(format!(
                "Invalid Deployment identifier specified {id}"
            )));
        }
        stage["deploymentId"] = json!(id);
    }
    if let Some(v) = b.str_map("stageVariables")? {
        stage["stageVariables"] = Value::Object(v);
    }
    if let Some(v) = b.obj("defaultRouteSettings")? {
        stage["defaultRouteSettings"] = route_settings(v, stage.get("defaultRouteSettings"))?;
    }
    if let Some(rs) = b.obj("routeSettings")? {
        for (route_key, v) in rs {
            if !a.routes.values().any(|r| r["routeKey"] == json!(route_key)) {
                return Err(AwsError::not_found(format!(
                    "Unable to find Route by key {route_key} within the provided RouteSettings"
                )));
            }
            let v = v
                .as_object()
                .ok_or_else(|| AwsError::bad("routeSettings values must be objects"))?;
            let merged = route_settings(v, stage["routeSettings"].get(route_key))?;
            stage["routeSettings"][route_key] = merged;
        }
    }
    if let Some(l) = b.obj("accessLogSettings")? {
        let lb = body(l);
        let dest = lb.str("destinationArn")?;
        let format = lb.str("format")?;
        if let Some(d) = &dest {
            if !d.starts_with("arn:aws:logs:") && !d.starts_with("arn:aws:firehose:") {
                return Err(AwsError::bad(format!(
                    "Invalid destination ARN {d}: must be a CloudWatch Logs log group"
                )));
            }
            if format.as_deref().is_none_or(str::is_empty) {
                return Err(AwsError::bad(
                    "Access log format must be specified with a destination ARN",
                ));
            }
        }
        let mut s = Map::new();
        if let Some(d) = dest {
            s.insert("destinationArn".into(), json!(d));
        }
        if let Some(f) = format {
            s.insert("format".into(), json!(f));
        }
        stage["accessLogSettings"] = Value::Object(s);
    }
    Ok(())
}

fn valid_stage_name(n: &str) -> bool {
    n == "$default"
        || (!n.is_empty()
            && n.len() <= 128
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

fn stage_name(req: &Req) -> String {
    req.segs.get(4).cloned().unwrap_or_default()
}

fn missing_stage(name: &str) -> AwsError {
    AwsError::not_found(format!("Invalid stage identifier specified {name}"))
}

fn create_stage(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let name = b.str("stageName")?.unwrap_or_default();
    if !valid_stage_name(&name) {
        return Err(AwsError::bad(format!(
            "Invalid stage name {name:?}: use $default or 1-128 letters, digits, '-' and '_'"
        )));
    }
    let tags = b.str_map("tags")?;
    let id = short_id(world, 6);
    let a = api(req, world)?;
    if a.stages.contains_key(&name) {
        return Err(AwsError::conflict(format!("Stage {name} already exists")));
    }
    let mut stage = new_stage(&name, req.now_ms);
    stage_fields(a, &m, &mut stage)?;
    if let Some(t) = tags {
        stage["tags"] = Value::Object(t);
    }
    // An auto-deploying stage is deployed at once when there is something to deploy.
    if stage["autoDeploy"] == json!(true) && !a.routes.is_empty() {
        deploy(a, &id, req.now_ms, true, None);
        point_stage(&mut stage, &id, req.now_ms);
    }
    a.stages.insert(name, stage.clone());
    Ok(Answer::Json(201, stage))
}

fn get_stages(req: &Req, world: &mut World) -> AwsResult {
    let items = api(req, world)?.stages.values().cloned().collect();
    listing(req, items)
}

fn get_stage(req: &Req, world: &mut World) -> AwsResult {
    let name = stage_name(req);
    let a = api(req, world)?;
    let s = a.stages.get(&name).ok_or_else(|| missing_stage(&name))?;
    Ok(Answer::Json(200, s.clone()))
}

fn update_stage(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let name = stage_name(req);
    let a = api(req, world)?;
    let mut stage = a
        .stages
        .get(&name)
        .cloned()
        .ok_or_else(|| missing_stage(&name))?;
    let was_auto = stage["autoDeploy"] == json!(true);
    stage_fields(a, &m, &mut stage)?;
    stage["lastUpdatedDate"] = json!(iso_secs(req.now_ms));
    let now_auto = stage["autoDeploy"] == json!(true);
    a.stages.insert(name.clone(), stage);
    if now_auto && !was_auto {
        // Turning auto-deploy on deploys the API as it is now.
        touched(world, req);
    }
    let a = api(req, world)?;
    Ok(Answer::Json(200, a.stages[&name].clone()))
}

fn delete_stage(req: &Req, world: &mut World) -> AwsResult {
    let name = stage_name(req);
    let a = api(req, world)?;
    if a.stages.remove(&name).is_none() {
        return Err(missing_stage(&name));
    }
    Ok(Answer::Empty(204))
}

fn delete_route_settings(req: &Req, world: &mut World) -> AwsResult {
    let name = stage_name(req);
    let route_key = req.segs.get(6).cloned().unwrap_or_default();
    let a = api(req, world)?;
    let s = a
        .stages
        .get_mut(&name)
        .ok_or_else(|| missing_stage(&name))?;
    let removed = s["routeSettings"]
        .as_object_mut()
        .and_then(|m| m.remove(&route_key));
    if removed.is_none() {
        return Err(AwsError::not_found(format!(
            "Unable to find route settings for route key {route_key}"
        )));
    }
    Ok(Answer::Empty(204))
}

fn create_deployment(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let description = b.str("description")?;
    let stage = b.str("stageName")?;
    let id = short_id(world, 6);
    let a = api(req, world)?;
    if a.routes.is_empty() {
        return Err(AwsError::bad(
            "Unable to deploy API because no routes exist in this API",
        ));
    }
    if let Some(s) = &stage {
        let st = a.stages.get(s).ok_or_else(|| missing_stage(s))?;
        if st["autoDeploy"] == json!(true) {
            return Err(AwsError::bad(format!(
                "Stage {s} has autoDeploy enabled: it is deployed automatically"
            )));
        }
    }
    let out = deploy(a, &id, req.now_ms, false, description);
    if let Some(s) = stage {
        if let Some(st) = a.stages.get_mut(&s) {
            point_stage(st, &id, req.now_ms);
        }
    }
    Ok(Answer::Json(201, out))
}

fn get_deployments(req: &Req, world: &mut World) -> AwsResult {
    let items = api(req, world)?
        .deployments
        .values()
        .map(|d| d.body.clone())
        .collect();
    listing(req, items)
}

fn deployment_id(req: &Req) -> String {
    req.segs.get(4).cloned().unwrap_or_default()
}

fn missing_deployment(id: &str) -> AwsError {
    AwsError::not_found(format!("Invalid Deployment identifier specified {id}"))
}

fn get_deployment(req: &Req, world: &mut World) -> AwsResult {
    let id = deployment_id(req);
    let a = api(req, world)?;
    let d = a
        .deployments
        .get(&id)
        .ok_or_else(|| missing_deployment(&id))?;
    Ok(Answer::Json(200, d.body.clone()))
}

fn update_deployment(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let description = body(&m).str("description")?;
    let id = deployment_id(req);
    let a = api(req, world)?;
    let d = a
        .deployments
        .get_mut(&id)
        .ok_or_else(|| missing_deployment(&id))?;
    if let Some(desc) = description {
        d.body["description"] = json!(desc);
    }
    Ok(Answer::Json(200, d.body.clone()))
}

fn delete_deployment(req: &Req, world: &mut World) -> AwsResult {
    let id = deployment_id(req);
    let a = api(req, world)?;
    if !a.deployments.contains_key(&id) {
        return Err(missing_deployment(&id));
    }
    if let Some((name, _)) = a
        .stages
        .iter()
        .find(|(_, s)| s["deploymentId"] == json!(id))
    {
        return Err(AwsError::bad(format!(
            "Active stages pointing to this deployment must be moved or deleted (stage {name} uses deployment {id})"
        )));
    }
    a.deployments.remove(&id);
    Ok(Answer::Empty(204))
}
