//! Cloud Run Admin v1 services, in Knative's style: the object is `{apiVersion, kind,
//! metadata, spec, status}`, named by `metadata.name` in the namespace (the project) of the
//! path, created with POST, replaced whole with PUT (`replaceService`), and not a long-running
//! operation: the service reports its progress in `status.conditions` (the emulator's
//! services are `Ready` at once). The regional endpoint (`{region}-run.googleapis.com`) says
//! where a `namespaces/...` call goes; the same services are at
//! `v1/projects/{p}/locations/{region}/services/{name}`, where their IAM policies are too.
//! Server-filled fields (the creator annotation, ingress, default limits, port, concurrency,
//! timeout, service account, traffic) are added only where the client left them out.

use serde_json::{json, Value};

use super::body;
use super::collection::key;
use super::doc::{Kind, Method};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::policy;
use crate::emulator::request::Call;
use crate::emulator::world::{rfc3339, World};

const API_VERSION: &str = "serving.knative.dev/v1";
const HOST_SUFFIX: &str = "-run.googleapis.com";
const CALLER: &str = "keyway-emulator@example.com";

/// True for Cloud Run v1's service methods.
pub fn is_knative(m: &Method) -> bool {
    m.id.starts_with("run.namespaces.services.")
        || m.id.starts_with("run.projects.locations.services.")
}

/// Where a call points: project (as written), region (`None`: the global endpoint) and the
/// service's name if the path names one.
struct Target {
    project: String,
    region: Option<String>,
    name: Option<String>,
}

fn target(c: &Call) -> ApiResult<Target> {
    let s: Vec<&str> = c.segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        // apis/serving.knative.dev/v1/namespaces/{ns}/services[/{name}]
        ["serving.knative.dev", "v1", "namespaces", ns, "services", rest @ ..] => Ok(Target {
            project: (*ns).to_owned(),
            region: c
                .host
                .as_deref()
                .and_then(|h| h.strip_suffix(HOST_SUFFIX))
                .map(str::to_owned),
            name: rest.first().map(|n| (*n).to_owned()),
        }),
        // v1/projects/{p}/locations/{l}/services[/{name}]
        ["projects", p, "locations", l, "services", rest @ ..] => Ok(Target {
            project: (*p).to_owned(),
            region: Some((*l).to_owned()).filter(|l| *l != "-"),
            name: rest.first().map(|n| (*n).to_owned()),
        }),
        _ => Err(ApiError::new(404, "NOT_FOUND", "Method not found.")),
    }
}

fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() == 2
        && parts[0].len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts[1].bytes().last().is_some_and(|c| c.is_ascii_digit())
}

fn valid_name(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() < 50
        && b[0].is_ascii_lowercase()
        && !id.ends_with('-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Runs one method.
pub fn run(c: &Call, w: &mut World, m: &'static Method) -> ApiResult {
    let t = target(c)?;
    let p = w.consume(&t.project, c.user_project.as_deref(), &m.doc.service)?;
    let q: Vec<&str> = m.query.iter().map(String::as_str).collect();
    c.allow_query(&q)?;
    if let Some(r) = &t.region {
        if !valid_region(r) {
            return Err(ApiError::field(
                "location",
                format!("Location '{r}' is not a valid Cloud Run region."),
            ));
        }
    }
    let parent = |region: &str| format!("projects/{}/locations/{region}", p.id);
    if m.kind == Kind::List {
        return Ok(list(w, &p.id, t.region.as_deref()));
    }
    let Some(region) = t.region.clone() else {
        return Err(ApiError::invalid(
            "The global endpoint run.googleapis.com serves list calls only: call the \
             regional endpoint {region}-run.googleapis.com.",
        ));
    };
    if m.kind == Kind::Create {
        return create(c, w, m, &p.id, &p.number, &region);
    }
    let name = t.name.clone().unwrap_or_default();
    let full = format!("{}/services/{name}", parent(&region));
    let k = key(m, &full);
    let stored = w
        .generic
        .get(&k)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Service", &name))?;
    match &m.kind {
        Kind::Get => Ok(stored),
        Kind::Delete => {
            w.generic.remove(&k);
            w.policies.remove(&full);
            Ok(json!({
                "status": "Success",
                "details": {"name": name, "group": "serving.knative.dev", "kind": "services",
                            "uid": stored["metadata"]["uid"]},
            }))
        }
        Kind::GetIamPolicy => policy::get(c, w, &full, m.http == "POST"),
        Kind::SetIamPolicy => policy::set(c, w, &full, policy::Kind::Resource),
        Kind::TestIamPermissions => Ok(json!({"permissions": c.body["permissions"].clone()})),
        _ if m.id.ends_with(".replaceService") => {
            replace(c, w, m, &stored, &p.id, &p.number, &region, &name)
        }
        _ => Err(ApiError::new(
            501,
            "UNIMPLEMENTED",
            format!("{} is not emulated", m.id),
        )),
    }
}

/// The request body checked against the document's `Service`, with Knative's envelope.
fn checked(c: &Call, m: &'static Method) -> ApiResult<Value> {
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let v = body::check(m.doc, schema, &c.body, "service")?;
    if v["apiVersion"].as_str() != Some(API_VERSION) {
        return Err(ApiError::field(
            "apiVersion",
            format!(
                "apiVersion: Unsupported value: \"{}\": supported values: \"{API_VERSION}\"",
                v["apiVersion"].as_str().unwrap_or_default()
            ),
        ));
    }
    if v["kind"].as_str() != Some("Service") {
        return Err(ApiError::field(
            "kind",
            "kind: Unsupported value: supported values: \"Service\"",
        ));
    }
    if v["spec"]["template"]["spec"]["containers"]
        .as_array()
        .is_none_or(|cs| {
            cs.is_empty()
                || cs
                    .iter()
                    .any(|c| c["image"].as_str().is_none_or(str::is_empty))
        })
    {
        return Err(ApiError::field(
            "spec.template.spec.containers",
            "spec.template.spec.containers: Required value: every container needs an image",
        ));
    }
    Ok(v)
}

fn namespace_ok(v: &Value, project: &str, number: &str) -> ApiResult<()> {
    match v["metadata"]["namespace"].as_str() {
        None => Ok(()),
        Some(ns) if ns == project || ns == number => Ok(()),
        Some(ns) => Err(ApiError::field(
            "metadata.namespace",
            format!("metadata.namespace: Invalid value: \"{ns}\": must be the project ID or number of the request"),
        )),
    }
}

fn create(
    c: &Call,
    w: &mut World,
    m: &'static Method,
    project: &str,
    number: &str,
    region: &str,
) -> ApiResult {
    let mut v = checked(c, m)?;
    namespace_ok(&v, project, number)?;
    let name = v["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if !valid_name(&name) {
        return Err(ApiError::field(
            "metadata.name",
            format!("metadata.name: Invalid value: \"{name}\": must begin with a letter, not end with a hyphen, use only lowercase letters, digits and hyphens, and be fewer than 50 characters"),
        ));
    }
    let full = format!("projects/{project}/locations/{region}/services/{name}");
    if w.generic.contains_key(&key(m, &full)) {
        return Err(ApiError::new(
            409,
            "ALREADY_EXISTS",
            format!("Resource '{name}' already exists."),
        ));
    }
    let code: String = region
        .split('-')
        .filter_map(|x| x.chars().next())
        .take(2)
        .collect();
    let url = format!(
        "https://{name}-{}-{code}.a.run.app",
        w.token(10, b"abcdefghijklmnopqrstuvwxyz0123456789")
    );
    ensure(&mut v, &["metadata", "annotations"]);
    ensure(&mut v, &["metadata", "labels"]);
    let uid = w.uuid();
    let meta = &mut v["metadata"];
    meta["namespace"] = json!(number);
    meta["uid"] = json!(uid);
    meta["creationTimestamp"] = json!(rfc3339(c.now_ms));
    let ann = &mut meta["annotations"];
    ann["serving.knative.dev/creator"] = json!(CALLER);
    ann["serving.knative.dev/lastModifier"] = json!(CALLER);
    if ann["run.googleapis.com/ingress"].is_null() {
        ann["run.googleapis.com/ingress"] = json!("all");
    }
    ann["run.googleapis.com/ingress-status"] = ann["run.googleapis.com/ingress"].clone();
    meta["labels"]["cloud.googleapis.com/location"] = json!(region);
    defaults(&mut v, number);
    finish(w, &mut v, &full, project, region, &name, 1, &url, c.now_ms);
    w.generic.insert(key(m, &full), v.clone());
    Ok(v)
}

#[allow(clippy::too_many_arguments)]
fn replace(
    c: &Call,
    w: &mut World,
    m: &'static Method,
    stored: &Value,
    project: &str,
    number: &str,
    region: &str,
    name: &str,
) -> ApiResult {
    let mut v = checked(c, m)?;
    namespace_ok(&v, project, number)?;
    if v["metadata"]["name"].as_str().is_some_and(|n| n != name) {
        return Err(ApiError::field(
            "metadata.name",
            "metadata.name: the name of the object must match the name in the URL",
        ));
    }
    if let Some(rv) = v["metadata"]["resourceVersion"].as_str() {
        if Some(rv) != stored["metadata"]["resourceVersion"].as_str() {
            return Err(ApiError::new(
                409,
                "ABORTED",
                format!("Conflict for resource '{name}': version '{rv}' was specified but current version is '{}'.", stored["metadata"]["resourceVersion"].as_str().unwrap_or_default()),
            ));
        }
    }
    let full = format!("projects/{project}/locations/{region}/services/{name}");
    // What the server keeps: identity, creation, its own annotations and labels.
    let old_meta = &stored["metadata"];
    ensure(&mut v, &["metadata", "annotations"]);
    ensure(&mut v, &["metadata", "labels"]);
    let meta = &mut v["metadata"];
    meta["name"] = json!(name);
    for f in ["namespace", "uid", "creationTimestamp"] {
        meta[f] = old_meta[f].clone();
    }
    let ann = &mut meta["annotations"];
    for (k, x) in old_meta["annotations"].as_object().into_iter().flatten() {
        let server = k.starts_with("serving.knative.dev/") || k.starts_with("run.googleapis.com/");
        if server && ann[k.as_str()].is_null() {
            ann[k.as_str()] = x.clone();
        }
    }
    ann["serving.knative.dev/lastModifier"] = json!(CALLER);
    if ann["run.googleapis.com/ingress"].is_null() {
        ann["run.googleapis.com/ingress"] = json!("all");
    }
    ann["run.googleapis.com/ingress-status"] = ann["run.googleapis.com/ingress"].clone();
    meta["labels"]["cloud.googleapis.com/location"] = json!(region);
    defaults(&mut v, number);
    let old_gen = stored["metadata"]["generation"].as_i64().unwrap_or(1);
    let changed = v["spec"] != stored["spec"]
        || v["metadata"]["labels"] != stored["metadata"]["labels"]
        || v["metadata"]["annotations"] != stored["metadata"]["annotations"];
    let gen = if changed { old_gen + 1 } else { old_gen };
    let url = stored["status"]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if changed || stored["status"]["latestReadyRevisionName"].is_null() {
        finish(w, &mut v, &full, project, region, name, gen, &url, c.now_ms);
    } else {
        v["status"] = stored["status"].clone();
        v["metadata"]["generation"] = json!(gen);
        v["metadata"]["resourceVersion"] = stored["metadata"]["resourceVersion"].clone();
        v["metadata"]["selfLink"] = stored["metadata"]["selfLink"].clone();
    }
    w.generic.insert(key(m, &full), v.clone());
    Ok(v)
}

/// Google's defaults for what the client left out.
fn defaults(v: &mut Value, number: &str) {
    ensure(v, &["spec", "template", "metadata", "annotations"]);
    ensure(v, &["spec", "template", "spec"]);
    let or = |slot: &mut Value, d: Value| {
        if slot.is_null() {
            *slot = d;
        }
    };
    let template = &mut v["spec"]["template"];
    or(
        &mut template["metadata"]["annotations"]["autoscaling.knative.dev/maxScale"],
        json!("100"),
    );
    let rspec = &mut template["spec"];
    or(&mut rspec["containerConcurrency"], json!(80));
    or(&mut rspec["timeoutSeconds"], json!(300));
    or(
        &mut rspec["serviceAccountName"],
        json!(format!("{number}-compute@developer.gserviceaccount.com")),
    );
    if let Some(containers) = rspec["containers"].as_array_mut() {
        let single = containers.len() == 1;
        for c in containers.iter_mut().filter(|c| c.is_object()) {
            if single && c["ports"].as_array().is_none_or(Vec::is_empty) {
                c["ports"] = json!([{"name": "http1", "containerPort": 8080}]);
            }
            ensure(c, &["resources", "limits"]);
            or(&mut c["resources"]["limits"]["cpu"], json!("1000m"));
            or(&mut c["resources"]["limits"]["memory"], json!("512Mi"));
        }
    }
    if v["spec"]["traffic"].as_array().is_none_or(Vec::is_empty) {
        v["spec"]["traffic"] = json!([{"percent": 100, "latestRevision": true}]);
    }
}

/// Generation `gen` serving: a new revision, the conditions `Ready`, the traffic resolved.
#[allow(clippy::too_many_arguments)]
fn finish(
    w: &mut World,
    v: &mut Value,
    full: &str,
    project: &str,
    region: &str,
    name: &str,
    gen: i64,
    url: &str,
    now: u64,
) {
    let t = rfc3339(now);
    let rev = v["spec"]["template"]["metadata"]["name"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| {
            format!(
                "{name}-{gen:05}-{}",
                w.token(3, b"abcdefghijklmnopqrstuvwxyz")
            )
        });
    let rv = format!("AAY{:x}", w.next_rand() & 0xffff_ffff_ffff);
    ensure(v, &["metadata"]);
    let ns = v["metadata"]["namespace"]
        .as_str()
        .unwrap_or(project)
        .to_owned();
    let meta = &mut v["metadata"];
    meta["generation"] = json!(gen);
    meta["resourceVersion"] = json!(rv);
    meta["selfLink"] = json!(format!(
        "/apis/{API_VERSION}/namespaces/{ns}/services/{name}"
    ));
    let traffic: Vec<Value> = v["spec"]["traffic"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tt| {
            let mut s = tt.clone();
            if tt["latestRevision"].as_bool() == Some(true) {
                s["revisionName"] = json!(rev);
            }
            s
        })
        .collect();
    let conditions: Vec<Value> = ["Ready", "ConfigurationsReady", "RoutesReady"]
        .iter()
        .map(|c| json!({"type": c, "status": "True", "lastTransitionTime": t}))
        .collect();
    v["status"] = json!({
        "observedGeneration": gen,
        "conditions": conditions,
        "latestCreatedRevisionName": rev,
        "latestReadyRevisionName": rev,
        "traffic": traffic,
        "url": url,
        "address": {"url": url},
    });
    let _ = (full, region);
}

fn list(w: &World, project: &str, region: Option<&str>) -> Value {
    let prefix = format!("run:projects/{project}/locations/");
    let items: Vec<Value> = w
        .generic
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, _)| {
            let rest = &k[prefix.len()..];
            let mut parts = rest.split('/');
            let (r, kind, _) = (parts.next(), parts.next(), parts.next());
            kind == Some("services")
                && parts.next().is_none()
                && region.is_none_or(|want| r == Some(want))
        })
        .map(|(_, v)| v.clone())
        .collect();
    json!({
        "apiVersion": API_VERSION,
        "kind": "ServiceList",
        "metadata": {"resourceVersion": format!("{}", items.len())},
        "items": items,
    })
}

/// Makes every step of `path` below `v` an object (what is there already is kept), so that
/// indexing along it never meets a non-object.
fn ensure(v: &mut Value, path: &[&str]) {
    let mut cur = v;
    for p in path {
        if !cur.is_object() {
            *cur = json!({});
        }
        cur = &mut cur[*p];
    }
    if !cur.is_object() {
        *cur = json!({});
    }
}
