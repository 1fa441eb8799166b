//! Cloud Run Admin v2 services: create / get / list / patch (with and without `updateMask`,
//! `allowMissing`) / delete, service IAM; generation and observedGeneration, `reconciling`,
//! conditions, `uri`/`urls`, server-filled defaults, revision naming and the 409 on a reused
//! revision name with a different template.

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::faults::operation_failure;
use super::operations;
use super::policy::{self, Kind};
use super::request::{handler, list_body, Call, Route};
use super::schema::{prune, Field, Ty, STRS};
use super::world::{rfc3339, ProjectRef, Resource, World};

const SERVICE: &str = "run.googleapis.com";
const SERVICE_TYPE: &str = "type.googleapis.com/google.cloud.run.v2.Service";

const INGRESS: &[(&str, i64)] = &[
    ("INGRESS_TRAFFIC_UNSPECIFIED", 0),
    ("INGRESS_TRAFFIC_ALL", 1),
    ("INGRESS_TRAFFIC_INTERNAL_ONLY", 2),
    ("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", 3),
    ("INGRESS_TRAFFIC_NONE", 4),
];
const LAUNCH_STAGE: &[(&str, i64)] = &[
    ("LAUNCH_STAGE_UNSPECIFIED", 0),
    ("UNIMPLEMENTED", 6),
    ("PRELAUNCH", 7),
    ("EARLY_ACCESS", 1),
    ("ALPHA", 2),
    ("BETA", 3),
    ("GA", 4),
    ("DEPRECATED", 5),
];
const EXEC_ENV: &[(&str, i64)] = &[
    ("EXECUTION_ENVIRONMENT_UNSPECIFIED", 0),
    ("EXECUTION_ENVIRONMENT_GEN1", 1),
    ("EXECUTION_ENVIRONMENT_GEN2", 2),
];
const REVOCATION: &[(&str, i64)] = &[
    ("ENCRYPTION_KEY_REVOCATION_ACTION_UNSPECIFIED", 0),
    ("PREVENT_NEW", 1),
    ("SHUTDOWN", 2),
];
const ALLOCATION: &[(&str, i64)] = &[
    ("TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED", 0),
    ("TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", 1),
    ("TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", 2),
];
const SCALING_MODE: &[(&str, i64)] = &[
    ("SCALING_MODE_UNSPECIFIED", 0),
    ("AUTOMATIC", 1),
    ("MANUAL", 2),
];
const EGRESS: &[(&str, i64)] = &[
    ("VPC_EGRESS_UNSPECIFIED", 0),
    ("ALL_TRAFFIC", 1),
    ("PRIVATE_RANGES_ONLY", 2),
];

const ENV: &[Field] = &[
    Field("name", Ty::Str),
    Field("value", Ty::Str),
    Field("valueSource", Ty::Any),
];
const PORT: &[Field] = &[Field("containerPort", Ty::Num), Field("name", Ty::Str)];
const RESOURCES: &[Field] = &[
    Field("limits", Ty::StrMap),
    Field("cpuIdle", Ty::Bool),
    Field("startupCpuBoost", Ty::Bool),
];
const CONTAINER: &[Field] = &[
    Field("name", Ty::Str),
    Field("image", Ty::Str),
    Field("command", STRS),
    Field("args", STRS),
    Field("env", Ty::List(&Ty::Obj(ENV))),
    Field("resources", Ty::Obj(RESOURCES)),
    Field("ports", Ty::List(&Ty::Obj(PORT))),
    Field("volumeMounts", Ty::Any),
    Field("workingDir", Ty::Str),
    Field("livenessProbe", Ty::Any),
    Field("startupProbe", Ty::Any),
    Field("readinessProbe", Ty::Any),
    Field("dependsOn", STRS),
    Field("baseImageUri", Ty::Str),
    Field("buildInfo", Ty::Any),
    Field("buildConfig", Ty::Any),
    Field("sourceCode", Ty::Any),
    Field("sandboxLauncher", Ty::Bool),
];
const REV_SCALING: &[Field] = &[
    Field("minInstanceCount", Ty::Num),
    Field("maxInstanceCount", Ty::Num),
    Field("cpuUtilization", Ty::Num),
    Field("concurrencyUtilization", Ty::Num),
];
const VPC: &[Field] = &[
    Field("connector", Ty::Str),
    Field("egress", Ty::Enum(EGRESS)),
    Field("networkInterfaces", Ty::Any),
];
const TEMPLATE: &[Field] = &[
    Field("revision", Ty::Str),
    Field("labels", Ty::StrMap),
    Field("annotations", Ty::StrMap),
    Field("scaling", Ty::Obj(REV_SCALING)),
    Field("vpcAccess", Ty::Obj(VPC)),
    Field("timeout", Ty::Str),
    Field("serviceAccount", Ty::Str),
    Field("containers", Ty::List(&Ty::Obj(CONTAINER))),
    Field("volumes", Ty::Any),
    Field("executionEnvironment", Ty::Enum(EXEC_ENV)),
    Field("encryptionKey", Ty::Str),
    Field("encryptionKeyRevocationAction", Ty::Enum(REVOCATION)),
    Field("encryptionKeyShutdownDuration", Ty::Str),
    Field("maxInstanceRequestConcurrency", Ty::Num),
    Field("sessionAffinity", Ty::Bool),
    Field("healthCheckDisabled", Ty::Bool),
    Field("serviceMesh", Ty::Any),
    Field("nodeSelector", Ty::Any),
    Field("gpuZonalRedundancyDisabled", Ty::Bool),
    Field("client", Ty::Str),
    Field("clientVersion", Ty::Str),
    Field("ambientNetworking", Ty::Any),
    Field("sandboxes", Ty::Any),
    Field("workloadIdentityConfig", Ty::Any),
];
const TRAFFIC: &[Field] = &[
    Field("type", Ty::Enum(ALLOCATION)),
    Field("revision", Ty::Str),
    Field("percent", Ty::Num),
    Field("tag", Ty::Str),
];
const SVC_SCALING: &[Field] = &[
    Field("minInstanceCount", Ty::Num),
    Field("maxInstanceCount", Ty::Num),
    Field("manualInstanceCount", Ty::Num),
    Field("scalingMode", Ty::Enum(SCALING_MODE)),
];
const SVC: &[Field] = &[
    Field("name", Ty::Str),
    Field("description", Ty::Str),
    Field("uid", Ty::Str),
    Field("generation", Ty::Int64),
    Field("labels", Ty::StrMap),
    Field("annotations", Ty::StrMap),
    Field("createTime", Ty::Str),
    Field("updateTime", Ty::Str),
    Field("deleteTime", Ty::Str),
    Field("expireTime", Ty::Str),
    Field("creator", Ty::Str),
    Field("lastModifier", Ty::Str),
    Field("client", Ty::Str),
    Field("clientVersion", Ty::Str),
    Field("ingress", Ty::Enum(INGRESS)),
    Field("launchStage", Ty::Enum(LAUNCH_STAGE)),
    Field("binaryAuthorization", Ty::Any),
    Field("template", Ty::Obj(TEMPLATE)),
    Field("traffic", Ty::List(&Ty::Obj(TRAFFIC))),
    Field("scaling", Ty::Obj(SVC_SCALING)),
    Field("invokerIamDisabled", Ty::Bool),
    Field("defaultUriDisabled", Ty::Bool),
    Field("urls", STRS),
    Field("customAudiences", STRS),
    Field("observedGeneration", Ty::Int64),
    Field("terminalCondition", Ty::Any),
    Field("conditions", Ty::Any),
    Field("latestReadyRevision", Ty::Str),
    Field("latestCreatedRevision", Ty::Str),
    Field("trafficStatuses", Ty::Any),
    Field("uri", Ty::Str),
    Field("satisfiesPzs", Ty::Bool),
    Field("reconciling", Ty::Bool),
    Field("etag", Ty::Str),
    Field("iapEnabled", Ty::Bool),
    Field("sshEnabled", Ty::Bool),
    Field("functionalType", Ty::Str),
    Field("multiRegionSettings", Ty::Any),
    Field("buildConfig", Ty::Any),
    Field("threatDetectionEnabled", Ty::Bool),
];
/// Fields the caller owns (the desired state); everything else is output only.
const SPEC: &[&str] = &[
    "description",
    "labels",
    "annotations",
    "client",
    "clientVersion",
    "ingress",
    "launchStage",
    "binaryAuthorization",
    "template",
    "traffic",
    "scaling",
    "invokerIamDisabled",
    "defaultUriDisabled",
    "customAudiences",
    "iapEnabled",
    "sshEnabled",
    "functionalType",
    "multiRegionSettings",
    "buildConfig",
];
const RESERVED_PREFIXES: &[&str] = &[
    "run.googleapis.com",
    "cloud.googleapis.com",
    "serving.knative.dev",
    "autoscaling.knative.dev",
];
const CALLER: &str = "emulator-user@keyway.invalid";

pub fn route(c: &Call) -> Option<Route> {
    if c.version != "v2" {
        return None;
    }
    let segs = c.segs.clone();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m: &'static str = match (c.http.as_str(), s.as_slice(), c.verb()) {
        ("POST", ["projects", _, "locations", _, "services"], None) => {
            "run.projects.locations.services.create"
        }
        ("GET", ["projects", _, "locations", _, "services"], None) => {
            "run.projects.locations.services.list"
        }
        ("GET", ["projects", _, "locations", _, "services", _], None) => {
            "run.projects.locations.services.get"
        }
        ("PATCH", ["projects", _, "locations", _, "services", _], None) => {
            "run.projects.locations.services.patch"
        }
        ("DELETE", ["projects", _, "locations", _, "services", _], None) => {
            "run.projects.locations.services.delete"
        }
        ("GET", ["projects", _, "locations", _, "services", _], Some("getIamPolicy")) => {
            "run.projects.locations.services.getIamPolicy"
        }
        ("POST", ["projects", _, "locations", _, "services", _], Some("setIamPolicy")) => {
            "run.projects.locations.services.setIamPolicy"
        }
        ("POST", ["projects", _, "locations", _, "services", _], Some("testIamPermissions")) => {
            "run.projects.locations.services.testIamPermissions"
        }
        _ => return None,
    };
    handler(m, move |c, w| {
        let p = w.consume(&segs[1], c.user_project.as_deref(), SERVICE)?;
        let region = segs[3].clone();
        if !valid_region(&region) {
            return Err(ApiError::field(
                "parent",
                format!("Location '{region}' is not a valid Cloud Run region."),
            ));
        }
        let parent = format!("projects/{}/locations/{region}", p.id);
        let verb = m.rsplit('.').next().unwrap_or_default();
        if verb == "create" {
            return create(c, w, &p, &parent);
        }
        if verb == "list" {
            return list(c, w, &parent);
        }
        let name = format!("{parent}/services/{}", segs[5]);
        match verb {
            "get" => {
                c.allow_query(&[])?;
                Ok(view(&existing(w, &name)?, c.now_ms))
            }
            "patch" => patch(c, w, &p, &parent, &name),
            "delete" => delete(c, w, &p, &name),
            "getIamPolicy" => {
                existing(w, &name)?;
                policy::get(c, w, &name, false)
            }
            "setIamPolicy" => {
                existing(w, &name)?;
                policy::set(c, w, &name, Kind::Resource)
            }
            _ => {
                existing(w, &name)?;
                policy::test(c)
            }
        }
    })
}

/// A real region looks like `us-central1` / `europe-west1` (no `-` wildcard, no `global`).
fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() == 2
        && parts[0].len() >= 2
        && parts[0].bytes().all(|c| c.is_ascii_lowercase())
        && parts[1]
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
        && parts[1].bytes().last().is_some_and(|c| c.is_ascii_digit())
        && parts[1]
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn valid_service_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() < 50
        && b[0].is_ascii_lowercase()
        && !id.ends_with('-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn existing(w: &World, name: &str) -> ApiResult<Resource> {
    w.run_services
        .get(name)
        .cloned()
        .ok_or_else(|| ApiError::not_found("run.googleapis.com/Service", name))
}

/// While the operation runs, the service shows as reconciling with its previous serving state.
fn view(r: &Resource, now: u64) -> Value {
    let mut v = r.body.clone();
    if now < r.ready_ms {
        v["reconciling"] = json!(true);
        v["terminalCondition"] = json!({"type": "Ready", "state": "CONDITION_RECONCILING", "lastTransitionTime": v["updateTime"]});
        let gen = v["generation"]
            .as_str()
            .and_then(|g| g.parse::<i64>().ok())
            .unwrap_or(1);
        if gen > 1 {
            v["observedGeneration"] = json!((gen - 1).to_string());
        } else if let Some(o) = v.as_object_mut() {
            for f in [
                "observedGeneration",
                "latestReadyRevision",
                "trafficStatuses",
                "uri",
                "urls",
            ] {
                o.remove(f);
            }
        }
    }
    v
}

/// Checks the desired state a caller sent and fills Google's server-side defaults.
fn desired(input: &Value, p: &ProjectRef) -> ApiResult<Value> {
    let mut spec = json!({});
    for f in SPEC {
        if let Some(v) = input.get(*f) {
            spec[*f] = v.clone();
        }
    }
    for f in ["labels", "annotations"] {
        for src in [&spec[f], &spec["template"][f]] {
            if let Some(m) = src.as_object() {
                if let Some(k) = m
                    .keys()
                    .find(|k| RESERVED_PREFIXES.iter().any(|r| k.starts_with(r)))
                {
                    return Err(ApiError::field(
                        &format!("service.{f}"),
                        format!("{f} key '{k}' uses a reserved namespace."),
                    ));
                }
            }
        }
    }
    let Some(template) = spec.get_mut("template").filter(|t| t.is_object()) else {
        return Err(ApiError::field("service.template", "template is required."));
    };
    let containers = template["containers"]
        .as_array_mut()
        .filter(|c| !c.is_empty());
    let Some(containers) = containers else {
        return Err(ApiError::field(
            "service.template.containers",
            "At least one container is required.",
        ));
    };
    for (i, ctr) in containers.iter_mut().enumerate() {
        if ctr["image"].as_str().is_none_or(str::is_empty) {
            return Err(ApiError::field(
                &format!("service.template.containers[{i}].image"),
                "image is required.",
            ));
        }
        if ctr["ports"].as_array().is_some_and(|p| p.len() > 1) {
            return Err(ApiError::field(
                &format!("service.template.containers[{i}].ports"),
                "A container may expose at most one port.",
            ));
        }
        if i == 0 {
            if ctr.get("ports").is_none() {
                ctr["ports"] = json!([{"name": "http1", "containerPort": 8080}]);
            }
            let port = ctr["ports"][0]["containerPort"].as_i64().unwrap_or(8080);
            if ctr.get("startupProbe").is_none() {
                ctr["startupProbe"] = json!({"timeoutSeconds": 240, "periodSeconds": 240, "failureThreshold": 1, "tcpSocket": {"port": port}});
            }
        }
        if ctr.get("resources").is_none() {
            ctr["resources"] =
                json!({"limits": {"cpu": "1000m", "memory": "512Mi"}, "cpuIdle": true});
        }
    }
    if template.get("timeout").is_none() {
        template["timeout"] = json!("300s");
    }
    if template.get("serviceAccount").is_none() {
        template["serviceAccount"] = json!(format!(
            "{}-compute@developer.gserviceaccount.com",
            p.number
        ));
    }
    if template.get("maxInstanceRequestConcurrency").is_none() {
        template["maxInstanceRequestConcurrency"] = json!(80);
    }
    if template["scaling"].get("maxInstanceCount").is_none() {
        template["scaling"]["maxInstanceCount"] = json!(100);
    }
    if spec.get("ingress").is_none() {
        spec["ingress"] = json!("INGRESS_TRAFFIC_ALL");
    }
    if spec.get("launchStage").is_none() {
        spec["launchStage"] = json!("GA");
    }
    if spec.get("traffic").is_none() {
        spec["traffic"] =
            json!([{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}]);
    }
    prune(&mut spec);
    Ok(spec)
}

/// Picks the revision for a new generation and enforces the reused-name rule.
fn revision(w: &mut World, name: &str, spec: &mut Value, gen: i64) -> ApiResult<String> {
    let svc_id = name.rsplit('/').next().unwrap_or_default().to_string();
    let mut template = spec["template"].clone();
    let explicit = template
        .get("revision")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(o) = template.as_object_mut() {
        o.remove("revision");
    }
    let rev = match explicit {
        Some(r) => {
            if !r.starts_with(&format!("{svc_id}-")) {
                return Err(ApiError::field(
                    "service.template.revision",
                    format!("Revision name '{r}' must start with '{svc_id}-'."),
                ));
            }
            r
        }
        None => format!(
            "{svc_id}-{gen:05}-{}",
            w.token(3, b"abcdefghijklmnopqrstuvwxyz")
        ),
    };
    let full = format!("{name}/revisions/{rev}");
    match w.run_revisions.get(&full) {
        Some(t) if *t != template => Err(ApiError::new(
            409,
            "ALREADY_EXISTS",
            format!("Revision named '{rev}' with different configuration already exists."),
        )),
        _ => {
            w.run_revisions.insert(full.clone(), template);
            Ok(full)
        }
    }
}

/// Fills the output-only status of a service whose generation `gen` is serving.
fn status(w: &mut World, v: &mut Value, name: &str, p: &ProjectRef, rev: &str, gen: i64, now: u64) {
    let t = rfc3339(now);
    let svc_id = name.rsplit('/').next().unwrap_or_default();
    let region = name.split('/').nth(3).unwrap_or_default();
    let code: String = region
        .split('-')
        .filter_map(|x| x.chars().next())
        .take(2)
        .collect();
    let hash = v["uri"].as_str().map(str::to_string).unwrap_or_else(|| {
        format!(
            "https://{svc_id}-{}-{code}.a.run.app",
            w.token(10, b"abcdefghijklmnopqrstuvwxyz0123456789")
        )
    });
    v["generation"] = json!(gen.to_string());
    v["observedGeneration"] = json!(gen.to_string());
    v["updateTime"] = json!(t);
    v["lastModifier"] = json!(CALLER);
    v["latestCreatedRevision"] = json!(rev);
    v["latestReadyRevision"] = json!(rev);
    v["terminalCondition"] =
        json!({"type": "Ready", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": t});
    v["conditions"] = json!([
        {"type": "RoutesReady", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": t},
        {"type": "ConfigurationsReady", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": t},
    ]);
    v["trafficStatuses"] = v["traffic"].clone();
    v["uri"] = json!(hash);
    v["urls"] = json!([
        format!("https://{svc_id}-{}.{region}.run.app", p.number),
        hash
    ]);
    v["etag"] = json!(format!("\"{:016x}\"", w.next_rand()));
    if let Some(o) = v.as_object_mut() {
        o.remove("reconciling");
    }
}

fn op(w: &mut World, c: &Call, parent: &str, outcome: ApiResult) -> Value {
    let name = format!("{parent}/operations/{}", w.uuid());
    let outcome = if c.fail_op {
        Err(operation_failure())
    } else {
        outcome
    };
    let meta = match &outcome {
        Ok(v) => Some(v.clone()),
        Err(_) => Some(json!({"@type": SERVICE_TYPE})),
    };
    operations::start(w, c, name, meta, outcome)
}

fn typed(v: &Value) -> Value {
    let mut out = json!({"@type": SERVICE_TYPE});
    if let (Some(o), Some(b)) = (out.as_object_mut(), v.as_object()) {
        for (k, val) in b {
            o.insert(k.clone(), val.clone());
        }
    }
    out
}

fn create(c: &Call, w: &mut World, p: &ProjectRef, parent: &str) -> ApiResult {
    c.allow_query(&["serviceId", "validateOnly"])?;
    let input = c.body(SVC, "service")?;
    let id = match c.q("serviceId") {
        Some(id) => id.to_string(),
        // Discovery marks serviceId optional: the server then picks one [D].
        None => format!(
            "service-{}",
            w.token(8, b"abcdefghijklmnopqrstuvwxyz0123456789")
        ),
    };
    if !valid_service_id(&id) {
        return Err(ApiError::field("service_id", format!("Invalid service ID '{id}': it must begin with a letter, not end with a hyphen, use only lowercase letters, digits and hyphens, and be fewer than 50 characters.")));
    }
    let name = format!("{parent}/services/{id}");
    if w.run_services.contains_key(&name) {
        return Err(ApiError::already_exists(
            "run.googleapis.com/Service",
            &name,
            format!("Resource '{id}' already exists."),
        ));
    }
    insert_new(c, w, p, parent, &name, &input)
}

fn insert_new(
    c: &Call,
    w: &mut World,
    p: &ProjectRef,
    parent: &str,
    name: &str,
    input: &Value,
) -> ApiResult {
    let mut v = desired(input, p)?;
    let t = rfc3339(c.now_ms);
    v["name"] = json!(name);
    v["uid"] = json!(w.uuid());
    v["createTime"] = json!(t);
    v["creator"] = json!(CALLER);
    if c.q_bool("validateOnly")? {
        // Validated and defaulted, never stored; the operation is not pollable [Inf].
        v["generation"] = json!("1");
        return Ok(operations::done_now(
            &format!("{parent}/operations/validate-only"),
            None,
            typed(&v),
        ));
    }
    if c.fail_op {
        return Ok(op(w, c, parent, Ok(json!({}))));
    }
    let rev = revision(w, name, &mut v, 1)?;
    status(w, &mut v, name, p, &rev, 1, c.now_ms);
    w.run_services.insert(
        name.to_string(),
        Resource {
            body: v.clone(),
            ready_ms: c.now_ms + c.op_delay_ms,
        },
    );
    let shown = view(&w.run_services[name], c.now_ms);
    Ok(op(w, c, parent, Ok(typed(&shown))))
}

fn list(c: &Call, w: &mut World, parent: &str) -> ApiResult {
    c.allow_query(&["pageSize", "pageToken", "showDeleted"])?;
    c.q_bool("showDeleted")?;
    let prefix = format!("{parent}/services/");
    let mut items: Vec<Value> = w
        .run_services
        .iter()
        .filter(|(n, _)| n.starts_with(&prefix))
        .map(|(_, r)| view(r, c.now_ms))
        .collect();
    // Newest first [D]; ties broken by name for determinism.
    items.sort_by(|a, b| {
        b["createTime"]
            .as_str()
            .cmp(&a["createTime"].as_str())
            .then(a["name"].as_str().cmp(&b["name"].as_str()))
    });
    let (page, next) = c.page(items, 100, 1000)?;
    Ok(list_body("services", page, next))
}

fn patch(c: &Call, w: &mut World, p: &ProjectRef, parent: &str, name: &str) -> ApiResult {
    c.allow_query(&[
        "updateMask",
        "allowMissing",
        "forceNewRevision",
        "validateOnly",
    ])?;
    let input = c.body(SVC, "service")?;
    let Some(old) = w.run_services.get(name).cloned() else {
        if c.q_bool("allowMissing")? {
            return insert_new(c, w, p, parent, name, &input);
        }
        return Err(ApiError::not_found("run.googleapis.com/Service", name));
    };
    if let Some(etag) = input.get("etag").and_then(Value::as_str) {
        if Some(etag) != old.body["etag"].as_str() {
            return Err(ApiError::aborted(format!(
                "The etag '{etag}' does not match the current service etag."
            )));
        }
    }
    // Current desired state, as the caller would send it back.
    let mut merged = json!({});
    for f in SPEC {
        if let Some(v) = old.body.get(*f) {
            merged[*f] = v.clone();
        }
    }
    match c.mask("updateMask") {
        // No mask: the body is the whole desired state [Inf, AIP-134 style].
        None => merged = input.clone(),
        Some(mask) => {
            for path in mask {
                let top = path.split('.').next().unwrap_or_default().to_string();
                if !SPEC.contains(&top.as_str()) {
                    return Err(ApiError::field(
                        "update_mask",
                        format!("Field '{path}' cannot be updated."),
                    ));
                }
                let ptr = format!("/{}", path.replace('.', "/"));
                match input.pointer(&ptr) {
                    Some(v) => set_path(&mut merged, &path, v.clone()),
                    None => remove_path(&mut merged, &path),
                }
            }
        }
    }
    let mut spec = desired(&merged, p)?;
    let old_spec = desired(&old.body, p)?;
    let mut old_cmp = old_spec.clone();
    let mut new_cmp = spec.clone();
    for v in [&mut old_cmp, &mut new_cmp] {
        if let Some(t) = v["template"].as_object_mut() {
            t.remove("revision");
        }
    }
    let changed = old_cmp != new_cmp;
    // A new revision only when the template changes (or is forced); any spec change is a new
    // generation.
    let new_revision = old_cmp["template"] != new_cmp["template"]
        || c.q_bool("forceNewRevision")?
        || spec["template"]
            .get("revision")
            .is_some_and(|r| Some(r) != old_spec["template"].get("revision"));
    let mut gen = old.body["generation"]
        .as_str()
        .and_then(|g| g.parse::<i64>().ok())
        .unwrap_or(1);
    for f in ["name", "uid", "createTime", "creator", "uri"] {
        if let Some(v) = old.body.get(f) {
            spec[f] = v.clone();
        }
    }
    if c.q_bool("validateOnly")? {
        return Ok(operations::done_now(
            &format!("{parent}/operations/validate-only"),
            None,
            typed(&spec),
        ));
    }
    if c.fail_op {
        return Ok(op(w, c, parent, Ok(json!({}))));
    }
    if changed || new_revision {
        gen += 1;
    }
    let rev = if new_revision {
        revision(w, name, &mut spec, gen)?
    } else {
        old.body["latestCreatedRevision"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    status(w, &mut spec, name, p, &rev, gen, c.now_ms);
    let ready = if changed || new_revision {
        c.now_ms + c.op_delay_ms
    } else {
        old.ready_ms
    };
    w.run_services.insert(
        name.to_string(),
        Resource {
            body: spec,
            ready_ms: ready,
        },
    );
    let shown = view(&w.run_services[name], c.now_ms);
    Ok(op(w, c, parent, Ok(typed(&shown))))
}

fn set_path(v: &mut Value, path: &str, new: Value) {
    let mut cur = v;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            cur[*part] = new;
            return;
        }
        if !cur[*part].is_object() {
            cur[*part] = json!({});
        }
        cur = &mut cur[*part];
    }
}

fn remove_path(v: &mut Value, path: &str) {
    let (head, last) = match path.rsplit_once('.') {
        Some((h, l)) => (format!("/{}", h.replace('.', "/")), l),
        None => (String::new(), path),
    };
    if let Some(o) = v.pointer_mut(&head).and_then(Value::as_object_mut) {
        o.remove(last);
    }
}

fn delete(c: &Call, w: &mut World, p: &ProjectRef, name: &str) -> ApiResult {
    c.allow_query(&["etag", "validateOnly"])?;
    let old = existing(w, name)?;
    if let Some(etag) = c.q("etag").filter(|e| !e.is_empty()) {
        if Some(etag) != old.body["etag"].as_str() {
            return Err(ApiError::aborted(format!(
                "The etag '{etag}' does not match the current service etag."
            )));
        }
    }
    let parent = name
        .rsplit_once("/services/")
        .map(|x| x.0)
        .unwrap_or_default()
        .to_string();
    let _ = p;
    let mut v = old.body.clone();
    v["deleteTime"] = json!(rfc3339(c.now_ms));
    v["expireTime"] = json!(rfc3339(c.now_ms + 30 * 24 * 3600 * 1000));
    if c.q_bool("validateOnly")? {
        return Ok(operations::done_now(
            &format!("{parent}/operations/validate-only"),
            None,
            typed(&v),
        ));
    }
    if !c.fail_op {
        w.run_services.remove(name);
        w.policies.remove(name);
        let prefix = format!("{name}/revisions/");
        w.run_revisions.retain(|k, _| !k.starts_with(&prefix));
    }
    Ok(op(w, c, &parent, Ok(typed(&v))))
}
