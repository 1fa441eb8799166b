//! Cloud Run desired state and status: validation of what the caller sent, the server-filled
//! defaults, revision naming (and the reused-name 409), and the output-only serving status.

use serde_json::{json, Value};

use super::fields::{CALLER, RESERVED_PREFIXES, SPEC};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::schema::prune;
use crate::emulator::world::{rfc3339, ProjectRef, World};

/// Checks the desired state a caller sent and fills Google's server-side defaults.
pub fn desired(input: &Value, p: &ProjectRef) -> ApiResult<Value> {
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
pub fn revision(w: &mut World, name: &str, spec: &mut Value, gen: i64) -> ApiResult<String> {
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
pub fn status(
    w: &mut World,
    v: &mut Value,
    name: &str,
    p: &ProjectRef,
    rev: &str,
    gen: i64,
    now: u64,
) {
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
