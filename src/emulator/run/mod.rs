//! Cloud Run Admin v2 services: create / get / list / patch (with and without `updateMask`,
//! `allowMissing`) / delete, service IAM; generation and observedGeneration, `reconciling`,
//! conditions, `uri`/`urls`, server-filled defaults, revision naming and the 409 on a reused
//! revision name with a different template.

mod fields;
mod spec;

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::faults::operation_failure;
use super::operations;
use super::policy::{self, Kind};
use super::request::{handler, list_body, Call, Route};
use super::world::{rfc3339, ProjectRef, Resource, World};
use fields::{CALLER, SPEC, SVC};
use spec::{desired, revision, status};

const SERVICE: &str = "run.googleapis.com";
const SERVICE_TYPE: &str = "type.googleapis.com/google.cloud.run.v2.Service";
/// How long a deleted service stays visible with `showDeleted` [Inf: same 30 days as others].
const RETENTION_MS: u64 = 30 * 24 * 3600 * 1000;

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

fn op(w: &mut World, c: &Call, parent: &str, outcome: ApiResult) -> Value {
    op_with(w, c, parent, None, outcome)
}

/// Run operations carry the Service both as metadata and (when done) as the response.
fn op_with(
    w: &mut World,
    c: &Call,
    parent: &str,
    metadata: Option<Value>,
    outcome: ApiResult,
) -> Value {
    let name = format!("{parent}/operations/{}", w.uuid());
    let outcome = if c.fail_op {
        Err(operation_failure())
    } else {
        outcome
    };
    let meta = match (&outcome, metadata) {
        (Ok(_), Some(m)) => Some(m),
        (Ok(v), None) => Some(v.clone()),
        (Err(_), _) => Some(json!({"@type": SERVICE_TYPE})),
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
    w.run_deleted.remove(name);
    w.run_services.insert(
        name.to_string(),
        Resource {
            body: v.clone(),
            ready_ms: c.now_ms + c.op_delay_ms,
        },
    );
    // Metadata: the service as it looks now (reconciling while the operation runs); response:
    // the service once the operation is done.
    let final_body = w.run_services[name].body.clone();
    let now = view(&w.run_services[name], c.now_ms);
    Ok(op_with(
        w,
        c,
        parent,
        Some(typed(&now)),
        Ok(typed(&final_body)),
    ))
}

fn list(c: &Call, w: &mut World, parent: &str) -> ApiResult {
    c.allow_query(&["pageSize", "pageToken", "showDeleted"])?;
    let show_deleted = c.q_bool("showDeleted")?;
    let prefix = format!("{parent}/services/");
    let now = c.now_ms;
    // Deleted services stay listable with showDeleted until their expireTime [D].
    w.run_deleted.retain(|_, t| t.ready_ms > now);
    let mut items: Vec<Value> = w
        .run_services
        .iter()
        .chain(w.run_deleted.iter().filter(|_| show_deleted))
        .filter(|(n, _)| n.starts_with(&prefix))
        .map(|(_, r)| view(r, now))
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
    // Metadata: the service as it looks now (reconciling while the operation runs); response:
    // the service once the operation is done.
    let final_body = w.run_services[name].body.clone();
    let now = view(&w.run_services[name], c.now_ms);
    Ok(op_with(
        w,
        c,
        parent,
        Some(typed(&now)),
        Ok(typed(&final_body)),
    ))
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
    v["expireTime"] = json!(rfc3339(c.now_ms + RETENTION_MS));
    if c.q_bool("validateOnly")? {
        return Ok(operations::done_now(
            &format!("{parent}/operations/validate-only"),
            None,
            typed(&v),
        ));
    }
    if !c.fail_op {
        w.run_services.remove(name);
        let expire_ms = c.now_ms + RETENTION_MS;
        w.run_deleted.insert(
            name.to_string(),
            Resource {
                body: v.clone(),
                ready_ms: expire_ms,
            },
        );
        w.policies.remove(name);
        let prefix = format!("{name}/revisions/");
        w.run_revisions.retain(|k, _| !k.starts_with(&prefix));
    }
    Ok(op(w, c, &parent, Ok(typed(&v))))
}
