//! `google_cloud_run_v2_service` (Cloud Run Admin v2): create / patch / delete as long-running
//! operations waited on until the service has reconciled, refresh with one paged list per
//! (project, location), and the mapping between Terraform's attributes and the API's `Service`.
//!
//! Server-filled defaults never show as drift: the attributes the server fills are `optional` +
//! `computed` in the schema, and nested blocks the server fills when left out (`scaling`,
//! `ports`, `resources`, `traffic`) are read back only when the configuration (the prior
//! object) declares them, because a block cannot be "computed" in the schema. Labels and
//! annotations Google adds itself are kept out of `labels`/`annotations` (they stay visible in
//! `effective_labels`) and are sent back on update so keyway never strips them.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Map, Value as Json};

use super::client::{encode_query, Api, GoogleError};
use super::operation::{self, DEFAULT_TIMEOUT};
use super::{api_err, bool_attr, required, str_attr, Google};
use crate::providers::{ProviderError, Result};

const TY: &str = "google_cloud_run_v2_service";

/// Label and annotation keys that belong to Google, not the user: Cloud Run rejects user keys in
/// the Knative/Cloud Run namespaces (reference §5.2), and Google stamps `goog-*` labels (for
/// example `goog-managed-by`) on services deployed by its own tools.
pub(crate) fn is_google_key(k: &str) -> bool {
    k.starts_with("goog-")
        || [
            "run.googleapis.com/",
            "cloud.googleapis.com/",
            "serving.knative.dev/",
            "autoscaling.knative.dev/",
        ]
        .iter()
        .any(|p| k.starts_with(p))
}

/// Where a service lives.
struct Target {
    project: String,
    location: String,
    id: String,
}

impl Target {
    fn of(g: &Google, obj: &Map<String, Json>) -> Result<Target> {
        let location = str_attr(obj, "location")
            .or_else(|| g.settings().region.clone())
            .ok_or_else(|| {
                ProviderError::new(format!(
                    "{TY}: no location: set `location` on the resource or `region` in the \
                     provider \"google\" block"
                ))
            })?;
        Ok(Target {
            project: g.project_of(TY, obj)?,
            location,
            id: required(obj, TY, "name")?,
        })
    }

    fn parent(&self) -> String {
        format!("projects/{}/locations/{}", self.project, self.location)
    }

    fn name(&self) -> String {
        format!("{}/services/{}", self.parent(), self.id)
    }
}

// ---------------------------------------------------------------------------------------------
// Attributes → API body

/// Copies `attr` (when set) to `field`. Empty strings count as unset, as in proto3 JSON (an
/// empty `revision` in particular must never be sent).
fn put(out: &mut Map<String, Json>, field: &str, obj: &Map<String, Json>, attr: &str) {
    if let Some(v) = obj
        .get(attr)
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
    {
        out.insert(field.into(), v.clone());
    }
}

/// The items of a block (a list of objects; a single object is accepted too).
fn blocks<'a>(obj: &'a Map<String, Json>, key: &str) -> Vec<&'a Map<String, Json>> {
    match obj.get(key) {
        Some(Json::Array(items)) => items.iter().filter_map(Json::as_object).collect(),
        Some(Json::Object(m)) => vec![m],
        _ => Vec::new(),
    }
}

fn first<'a>(obj: &'a Map<String, Json>, key: &str) -> Option<&'a Map<String, Json>> {
    blocks(obj, key).into_iter().next()
}

/// A user map plus the Google-owned keys of what the service carries now.
fn merged_map(user: Option<&Json>, current: Option<&Json>) -> Option<Json> {
    let mut m: Map<String, Json> = user.and_then(Json::as_object).cloned().unwrap_or_default();
    for (k, v) in current.and_then(Json::as_object).into_iter().flatten() {
        if is_google_key(k) {
            m.insert(k.clone(), v.clone());
        }
    }
    (!m.is_empty()).then_some(Json::Object(m))
}

fn container_body(c: &Map<String, Json>) -> Json {
    let mut out = Map::new();
    put(&mut out, "name", c, "name");
    put(&mut out, "image", c, "image");
    put(&mut out, "command", c, "command");
    put(&mut out, "args", c, "args");
    put(&mut out, "workingDir", c, "working_dir");
    let env: Vec<Json> = blocks(c, "env")
        .into_iter()
        .map(|e| {
            let mut m = Map::new();
            put(&mut m, "name", e, "name");
            put(&mut m, "value", e, "value");
            if let Some(r) = first(e, "value_source").and_then(|v| first(v, "secret_key_ref")) {
                let mut key = Map::new();
                put(&mut key, "secret", r, "secret");
                put(&mut key, "version", r, "version");
                m.insert("valueSource".into(), json!({ "secretKeyRef": key }));
            }
            Json::Object(m)
        })
        .collect();
    if !env.is_empty() {
        out.insert("env".into(), Json::Array(env));
    }
    let ports: Vec<Json> = blocks(c, "ports")
        .into_iter()
        .map(|p| {
            let mut m = Map::new();
            put(&mut m, "name", p, "name");
            put(&mut m, "containerPort", p, "container_port");
            Json::Object(m)
        })
        .collect();
    if !ports.is_empty() {
        out.insert("ports".into(), Json::Array(ports));
    }
    if let Some(r) = first(c, "resources") {
        let mut m = Map::new();
        put(&mut m, "limits", r, "limits");
        put(&mut m, "cpuIdle", r, "cpu_idle");
        put(&mut m, "startupCpuBoost", r, "startup_cpu_boost");
        out.insert("resources".into(), Json::Object(m));
    }
    Json::Object(out)
}

/// The desired `Service` for a planned object. `current` is the service's last known
/// attributes (for the Google-owned labels to keep).
fn body(planned: &Map<String, Json>, current: Option<&Map<String, Json>>) -> Json {
    let mut out = Map::new();
    put(&mut out, "description", planned, "description");
    let cur = |k: &str| current.and_then(|c| c.get(k));
    if let Some(l) = merged_map(planned.get("labels"), cur("effective_labels")) {
        out.insert("labels".into(), l);
    }
    put(&mut out, "annotations", planned, "annotations");
    put(&mut out, "client", planned, "client");
    put(&mut out, "clientVersion", planned, "client_version");
    put(&mut out, "ingress", planned, "ingress");
    put(&mut out, "launchStage", planned, "launch_stage");
    put(
        &mut out,
        "invokerIamDisabled",
        planned,
        "invoker_iam_disabled",
    );
    put(
        &mut out,
        "defaultUriDisabled",
        planned,
        "default_uri_disabled",
    );
    put(&mut out, "customAudiences", planned, "custom_audiences");
    let mut tpl = Map::new();
    if let Some(t) = first(planned, "template") {
        // An explicit revision name is sent only when the user set one: echoing a generated
        // name with a changed template is a 409 (reference §5.5).
        put(&mut tpl, "revision", t, "revision");
        put(&mut tpl, "labels", t, "labels");
        put(&mut tpl, "annotations", t, "annotations");
        put(&mut tpl, "serviceAccount", t, "service_account");
        put(&mut tpl, "timeout", t, "timeout");
        put(
            &mut tpl,
            "maxInstanceRequestConcurrency",
            t,
            "max_instance_request_concurrency",
        );
        put(&mut tpl, "executionEnvironment", t, "execution_environment");
        put(&mut tpl, "encryptionKey", t, "encryption_key");
        put(&mut tpl, "sessionAffinity", t, "session_affinity");
        if let Some(v) = first(t, "vpc_access") {
            let mut m = Map::new();
            put(&mut m, "connector", v, "connector");
            put(&mut m, "egress", v, "egress");
            tpl.insert("vpcAccess".into(), Json::Object(m));
        }
        if let Some(s) = first(t, "scaling") {
            let mut m = Map::new();
            put(&mut m, "minInstanceCount", s, "min_instance_count");
            put(&mut m, "maxInstanceCount", s, "max_instance_count");
            tpl.insert("scaling".into(), Json::Object(m));
        }
        let containers: Vec<Json> = blocks(t, "containers")
            .into_iter()
            .map(container_body)
            .collect();
        tpl.insert("containers".into(), Json::Array(containers));
    }
    out.insert("template".into(), Json::Object(tpl));
    let traffic: Vec<Json> = blocks(planned, "traffic")
        .into_iter()
        .map(|t| {
            let mut m = Map::new();
            put(&mut m, "type", t, "type");
            put(&mut m, "revision", t, "revision");
            put(&mut m, "percent", t, "percent");
            put(&mut m, "tag", t, "tag");
            Json::Object(m)
        })
        .collect();
    if !traffic.is_empty() {
        out.insert("traffic".into(), Json::Array(traffic));
    }
    Json::Object(out)
}

// ---------------------------------------------------------------------------------------------
// API body → attributes

fn s(v: &Json, k: &str) -> Json {
    v.get(k).cloned().unwrap_or(Json::Null)
}

/// A string field; proto3 omits empty strings, so absent reads as `""`.
fn text(v: &Json, k: &str) -> Json {
    json!(v.get(k).and_then(Json::as_str).unwrap_or_default())
}

/// A bool field; absent means false (proto3).
fn flag(v: &Json, k: &str) -> Json {
    json!(v.get(k).and_then(Json::as_bool).unwrap_or(false))
}

/// A number field (int32 as a number; int64 would be a string), absent = 0.
fn num(v: &Json, k: &str) -> Json {
    match v.get(k) {
        Some(Json::Number(n)) => Json::Number(n.clone()),
        Some(Json::String(x)) => x.parse::<i64>().map_or(json!(0), |i| json!(i)),
        _ => json!(0),
    }
}

/// The user's share of a map (Google-owned keys removed); `{}` when empty.
fn user_map(v: &Json, k: &str) -> Json {
    let m: Map<String, Json> = v
        .get(k)
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| !is_google_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Json::Object(m)
}

/// CPU quantities: `1` and `1000m` are the same amount.
fn cpu_millis(q: &str) -> Option<f64> {
    match q.strip_suffix('m') {
        Some(m) => m.parse::<f64>().ok(),
        None => q.parse::<f64>().ok().map(|c| c * 1000.0),
    }
}

/// Limits as read, in the user's spelling where the amounts agree, and restricted to the keys
/// the user declared when they declared any (the server fills the others).
fn limits(server: Option<&Json>, declared: Option<&Json>) -> Json {
    let server = server
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let Some(decl) = declared.and_then(Json::as_object).filter(|d| !d.is_empty()) else {
        return Json::Object(server);
    };
    let mut out = Map::new();
    for (k, v) in &server {
        let Some(d) = decl.get(k) else { continue };
        let same = k == "cpu"
            && match (
                d.as_str().and_then(cpu_millis),
                v.as_str().and_then(cpu_millis),
            ) {
                (Some(a), Some(b)) => (a - b).abs() < f64::EPSILON,
                _ => false,
            };
        out.insert(k.clone(), if same { d.clone() } else { v.clone() });
    }
    Json::Object(out)
}

fn condition(c: &Json) -> Json {
    json!({
        "type": text(c, "type"),
        "state": text(c, "state"),
        "message": text(c, "message"),
        "reason": text(c, "reason"),
        "revision_reason": text(c, "revisionReason"),
        "severity": text(c, "severity"),
        "last_transition_time": text(c, "lastTransitionTime"),
    })
}

fn items<'a>(v: &'a Json, k: &str) -> impl Iterator<Item = &'a Json> {
    v.get(k).and_then(Json::as_array).into_iter().flatten()
}

fn container_attrs(c: &Json, shape: Option<&Map<String, Json>>) -> Json {
    let declared = |b: &str| shape.is_some_and(|s| !blocks(s, b).is_empty());
    let env: Vec<Json> = items(c, "env")
        .map(|e| {
            let key_ref = e.get("valueSource").and_then(|v| v.get("secretKeyRef"));
            let source: Vec<Json> = key_ref
                .map(|r| json!({"secret_key_ref": [{"secret": text(r, "secret"), "version": s(r, "version")}]}))
                .into_iter()
                .collect();
            json!({"name": text(e, "name"), "value": s(e, "value"), "value_source": source})
        })
        .collect();
    let ports: Vec<Json> = if declared("ports") {
        items(c, "ports")
            .map(|p| json!({"name": text(p, "name"), "container_port": num(p, "containerPort")}))
            .collect()
    } else {
        Vec::new()
    };
    let resources: Vec<Json> = match c.get("resources").filter(|_| declared("resources")) {
        Some(r) => {
            let decl = shape
                .and_then(|s| first(s, "resources"))
                .and_then(|r| r.get("limits"));
            vec![json!({
                "limits": limits(r.get("limits"), decl),
                "cpu_idle": flag(r, "cpuIdle"),
                "startup_cpu_boost": flag(r, "startupCpuBoost"),
            })]
        }
        None => Vec::new(),
    };
    json!({
        "name": text(c, "name"),
        "image": text(c, "image"),
        "command": s(c, "command"),
        "args": s(c, "args"),
        "working_dir": s(c, "workingDir"),
        "env": env,
        "ports": ports,
        "resources": resources,
    })
}

fn template_attrs(t: &Json, shape: Option<&Map<String, Json>>) -> Json {
    let scaling: Vec<Json> = match t.get("scaling") {
        Some(sc) if shape.is_some_and(|s| !blocks(s, "scaling").is_empty()) => vec![json!({
            "min_instance_count": num(sc, "minInstanceCount"),
            "max_instance_count": num(sc, "maxInstanceCount"),
        })],
        _ => Vec::new(),
    };
    let vpc_access: Vec<Json> = match t.get("vpcAccess") {
        Some(v) if shape.is_some_and(|s| !blocks(s, "vpc_access").is_empty()) => vec![json!({
            "connector": s(v, "connector"),
            "egress": text(v, "egress"),
        })],
        _ => Vec::new(),
    };
    let shapes = shape.map(|s| blocks(s, "containers")).unwrap_or_default();
    let containers: Vec<Json> = items(t, "containers")
        .enumerate()
        .map(|(i, c)| container_attrs(c, shapes.get(i).copied()))
        .collect();
    json!({
        "revision": s(t, "revision"),
        "labels": user_map(t, "labels"),
        "annotations": user_map(t, "annotations"),
        "service_account": text(t, "serviceAccount"),
        "timeout": text(t, "timeout"),
        "max_instance_request_concurrency": num(t, "maxInstanceRequestConcurrency"),
        "execution_environment": text(t, "executionEnvironment"),
        "encryption_key": s(t, "encryptionKey"),
        "session_affinity": s(t, "sessionAffinity"),
        "scaling": scaling,
        "vpc_access": vpc_access,
        "containers": containers,
    })
}

/// The attributes of a service as read, shaped by `shape` (the configuration or prior object):
/// it keeps arguments the API does not echo (`deletion_protection`) and says which
/// server-defaulted blocks the user declared.
fn attrs(shape: &Map<String, Json>, t: &Target, svc: &Json) -> Map<String, Json> {
    let mut o = shape.clone();
    let mut set = |k: &str, v: Json| {
        o.insert(k.into(), v);
    };
    set("id", json!(t.name()));
    set("name", json!(t.id));
    set("project", json!(t.project));
    set("location", json!(t.location));
    set("description", text(svc, "description"));
    set("labels", user_map(svc, "labels"));
    set(
        "effective_labels",
        svc.get("labels").cloned().unwrap_or_else(|| json!({})),
    );
    set("annotations", user_map(svc, "annotations"));
    set("client", text(svc, "client"));
    set("client_version", text(svc, "clientVersion"));
    set("ingress", text(svc, "ingress"));
    set("launch_stage", text(svc, "launchStage"));
    set("invoker_iam_disabled", flag(svc, "invokerIamDisabled"));
    set("default_uri_disabled", flag(svc, "defaultUriDisabled"));
    set(
        "custom_audiences",
        json!(svc.get("customAudiences").cloned().unwrap_or(json!([]))),
    );
    set("uri", text(svc, "uri"));
    set("urls", json!(svc.get("urls").cloned().unwrap_or(json!([]))));
    set("uid", text(svc, "uid"));
    set("generation", text(svc, "generation"));
    set("observed_generation", text(svc, "observedGeneration"));
    set("etag", text(svc, "etag"));
    set("reconciling", flag(svc, "reconciling"));
    set(
        "terminal_condition",
        json!(svc
            .get("terminalCondition")
            .map(condition)
            .into_iter()
            .collect::<Vec<_>>()),
    );
    set(
        "conditions",
        Json::Array(items(svc, "conditions").map(condition).collect()),
    );
    set("latest_ready_revision", text(svc, "latestReadyRevision"));
    set(
        "latest_created_revision",
        text(svc, "latestCreatedRevision"),
    );
    set("create_time", text(svc, "createTime"));
    set("update_time", text(svc, "updateTime"));
    let tshape = first(shape, "template");
    let template: Vec<Json> = svc
        .get("template")
        .map(|tpl| template_attrs(tpl, tshape))
        .into_iter()
        .collect();
    set("template", Json::Array(template));
    let traffic: Vec<Json> = if blocks(shape, "traffic").is_empty() {
        Vec::new()
    } else {
        items(svc, "traffic")
            .map(|x| {
                json!({"type": text(x, "type"), "revision": s(x, "revision"),
                       "percent": num(x, "percent"), "tag": s(x, "tag")})
            })
            .collect()
    };
    o.insert("traffic".into(), Json::Array(traffic));
    o
}

// ---------------------------------------------------------------------------------------------
// Calls

/// Sends a call answering with an operation and waits for it, re-sent when the operation
/// fails transiently.
async fn call_lro(
    g: &Google,
    method: reqwest::Method,
    path: &str,
    body: Option<&Json>,
) -> std::result::Result<Json, GoogleError> {
    let r = operation::Request {
        api: Api::Run,
        version: "v2",
        method,
        path,
        body,
        timeout: DEFAULT_TIMEOUT,
    };
    operation::call_and_wait(g.client(), r).await
}

/// After a create/patch operation's `response`, waits until the service has reconciled; fails
/// when the terminal condition says the deployment failed (reference §5.5).
async fn settle(g: &Google, name: &str, response: Json, action: &str) -> Result<Json> {
    let start = Instant::now();
    let mut svc = if response.get("name").is_some() {
        response
    } else {
        get(g, name).await.map_err(|e| api_err(TY, action, e))?
    };
    let mut attempt = 0u32;
    while svc.get("reconciling").and_then(Json::as_bool) == Some(true) {
        if start.elapsed() >= DEFAULT_TIMEOUT {
            return Err(ProviderError::new(format!(
                "{TY}: {action}: {name} was still reconciling after {}s",
                DEFAULT_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(g.client().backoff.delay(attempt.min(3), None)).await;
        attempt += 1;
        svc = get(g, name).await.map_err(|e| api_err(TY, action, e))?;
    }
    let tc = svc.get("terminalCondition");
    if tc.and_then(|c| c.get("state")).and_then(Json::as_str) == Some("CONDITION_FAILED") {
        let msg = tc
            .and_then(|c| c.get("message"))
            .and_then(Json::as_str)
            .unwrap_or("no message");
        return Err(ProviderError::new(format!(
            "{TY}: {action}: the service did not become ready: {msg}"
        )));
    }
    Ok(svc)
}

async fn get(g: &Google, name: &str) -> std::result::Result<Json, GoogleError> {
    g.client().get(Api::Run, &format!("v2/{name}")).await
}

/// Every service of one (project, location), keyed by service ID.
async fn list(g: &Google, parent: &str) -> Result<BTreeMap<String, Json>> {
    let mut out = BTreeMap::new();
    let mut token = String::new();
    loop {
        let mut path = format!("v2/{parent}/services?pageSize=100");
        if !token.is_empty() {
            path.push_str(&format!("&pageToken={}", encode_query(&token)));
        }
        let page = g
            .client()
            .get(Api::Run, &path)
            .await
            .map_err(|e| api_err(TY, &format!("list services of {parent}"), e))?;
        for svc in items(&page, "services") {
            if let Some(id) = svc
                .get("name")
                .and_then(Json::as_str)
                .and_then(|n| n.rsplit('/').next())
            {
                out.insert(id.to_owned(), svc.clone());
            }
        }
        match page.get("nextPageToken").and_then(Json::as_str) {
            Some(t) if !t.is_empty() => token = t.to_owned(),
            _ => return Ok(out),
        }
    }
}

/// One list per (project, location) for every service of the batch.
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut lists: BTreeMap<String, BTreeMap<String, Json>> = BTreeMap::new();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let t = Target::of(g, p)?;
        let parent = t.parent();
        if !lists.contains_key(&parent) {
            let l = list(g, &parent).await?;
            lists.insert(parent.clone(), l);
        }
        let found = lists.get(&parent).and_then(|l| l.get(&t.id));
        out.push(found.map(|svc| attrs(p, &t, svc)));
    }
    Ok(out)
}

pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let t = Target::of(g, planned)?;
    let action = format!("create {}", t.name());
    let path = format!(
        "v2/{}/services?serviceId={}",
        t.parent(),
        encode_query(&t.id)
    );
    let response = call_lro(g, reqwest::Method::POST, &path, Some(&body(planned, None)))
        .await
        .map_err(|e| api_err(TY, &action, e))?;
    let svc = settle(g, &t.name(), response, &action).await?;
    Ok(attrs(planned, &t, &svc))
}

/// Patches the whole desired state (no update mask: the body is the complete spec, reference
/// §5.1); a change of `deletion_protection` alone is keyway's own and sends nothing.
pub async fn update(
    g: &Google,
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let t = Target::of(g, planned)?;
    let want = body(planned, Some(prior));
    if want == body(prior, Some(prior)) {
        let mut out = prior.clone();
        out.insert(
            "deletion_protection".into(),
            planned
                .get("deletion_protection")
                .cloned()
                .unwrap_or(Json::Null),
        );
        return Ok(out);
    }
    let action = format!("update {}", t.name());
    let path = format!("v2/{}", t.name());
    let response = call_lro(g, reqwest::Method::PATCH, &path, Some(&want))
        .await
        .map_err(|e| api_err(TY, &action, e))?;
    let svc = settle(g, &t.name(), response, &action).await?;
    Ok(attrs(planned, &t, &svc))
}

/// Refuses while `deletion_protection` is unset or true (Terraform's default), then deletes and
/// waits for the operation; an already deleted service is success.
pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    let t = Target::of(g, prior)?;
    if bool_attr(prior, "deletion_protection") != Some(false) {
        return Err(ProviderError::new(format!(
            "{TY}: cannot destroy {} while deletion_protection is true (its default). Set \
             `deletion_protection = false` on the resource, run apply, then destroy",
            t.name()
        )));
    }
    let action = format!("delete {}", t.name());
    let path = format!("v2/{}", t.name());
    match call_lro(g, reqwest::Method::DELETE, &path, None).await {
        Ok(_) => Ok(()),
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(api_err(TY, &action, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_keys_are_recognised() {
        assert!(is_google_key("goog-managed-by"));
        assert!(is_google_key("cloud.googleapis.com/location"));
        assert!(is_google_key("run.googleapis.com/ingress"));
        assert!(!is_google_key("team"));
    }

    #[test]
    fn cpu_spellings_and_undeclared_limit_keys() {
        let got = limits(
            Some(&json!({"cpu": "1000m", "memory": "512Mi"})),
            Some(&json!({"cpu": "1"})),
        );
        assert_eq!(got, json!({"cpu": "1"}));
        let all = limits(Some(&json!({"cpu": "2000m"})), None);
        assert_eq!(all, json!({"cpu": "2000m"}));
        let changed = limits(Some(&json!({"cpu": "2000m"})), Some(&json!({"cpu": "1"})));
        assert_eq!(changed, json!({"cpu": "2000m"}));
    }

    #[test]
    fn undeclared_server_blocks_are_not_read_back() {
        let shape = json!({"name": "s", "template": [{"containers": [{"image": "i"}]}]});
        let shape = shape.as_object().cloned().unwrap_or_default();
        let svc = json!({"name": "projects/p/locations/l/services/s",
            "labels": {"goog-managed-by": "x", "team": "a"},
            "traffic": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
            "template": {"scaling": {"maxInstanceCount": 100}, "timeout": "300s",
              "containers": [{"image": "i", "ports": [{"containerPort": 8080}],
                "resources": {"limits": {"cpu": "1000m"}}}]}});
        let t = Target {
            project: "p".into(),
            location: "l".into(),
            id: "s".into(),
        };
        let a = attrs(&shape, &t, &svc);
        assert_eq!(a["labels"], json!({"team": "a"}));
        assert_eq!(a["traffic"], json!([]));
        assert_eq!(a["template"][0]["scaling"], json!([]));
        assert_eq!(a["template"][0]["timeout"], json!("300s"));
        assert_eq!(a["template"][0]["containers"][0]["ports"], json!([]));
        assert_eq!(a["template"][0]["containers"][0]["resources"], json!([]));
    }
}
