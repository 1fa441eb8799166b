//! Cloud Storage's JSON API (`storage/v1/b`), served with the generic collections but for
//! what this older API does differently from the resource-oriented ones: buckets are named
//! by a bare, globally unique name (`b/{bucket}`), the project comes in the `project` query
//! parameter and is kept as the bucket's `projectNumber`, a PATCH changes only the fields it
//! sends, the server fills `id`, `selfLink`, `timeCreated`, `metageneration`, an uppercase
//! `location` and the IAM defaults, and the policy lives at `b/{bucket}/iam` (GET, and PUT
//! with the policy itself as the body).

use serde_json::{json, Map, Value};

use super::body;
use super::collection::{self, key};
use super::doc::{Kind, Method};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::policy;
use crate::emulator::request::{list_body, Call};
use crate::emulator::world::{rfc3339, World};

/// True for Cloud Storage's methods.
pub fn is_storage(m: &Method) -> bool {
    m.doc.name == "storage"
}

/// Runs one bucket method; `path` is `v1/b` or `v1/b/{bucket}` (plus `/iam`).
pub fn run(c: &Call, w: &mut World, m: &'static Method) -> ApiResult {
    let path = c.segs.join("/");
    match &m.kind {
        Kind::Create => insert(c, w, m, &path),
        Kind::List => list(c, w, m),
        Kind::Get => {
            consume_for(c, w, m, &path)?;
            let (obj, schema) = collection::get(w, m, &path)?;
            Ok(body::visible(schema, &obj))
        }
        Kind::Patch => patch(c, w, m, &path),
        Kind::Delete => {
            consume_for(c, w, m, &path)?;
            let bucket = path.rsplit('/').next().unwrap_or_default();
            if crate::emulator::storage_objects::bucket_has_objects(w, bucket) {
                return Err(ApiError::new(
                    409,
                    "CONFLICT",
                    "The bucket you tried to delete is not empty.",
                ));
            }
            collection::run_delete(c, w, m, &path)
        }
        Kind::GetIamPolicy => {
            let bucket = path.trim_end_matches("/iam");
            consume_for(c, w, m, bucket)?;
            c.allow_query(&["optionsRequestedPolicyVersion", "userProject"])?;
            Ok(storage_policy(policy::in_force(w, bucket), bucket))
        }
        Kind::SetIamPolicy => {
            let bucket = path.trim_end_matches("/iam").to_owned();
            consume_for(c, w, m, &bucket)?;
            // The common policy code takes `{"policy": ...}`, as the other APIs send it.
            let mut wrapped = c.clone();
            wrapped.body = json!({ "policy": strip_storage_fields(&c.body) });
            wrapped.query.retain(|(k, _)| k != "userProject");
            let set = policy::set(&wrapped, w, &bucket, policy::Kind::Resource)?;
            Ok(storage_policy(set, &bucket))
        }
        _ => Err(ApiError::new(
            501,
            "UNIMPLEMENTED",
            format!("{} is not emulated", m.id),
        )),
    }
}

/// A stored bucket's project, checked and counted as the other APIs do.
fn consume_for(c: &Call, w: &mut World, m: &Method, bucket_path: &str) -> ApiResult<()> {
    let stored = w.generic.get(&key(m, bucket_path)).cloned();
    let Some(obj) = stored else {
        return Err(ApiError::not_found(
            "Bucket",
            bucket_path.rsplit('/').next().unwrap_or_default(),
        ));
    };
    let number = obj["projectNumber"].as_str().unwrap_or_default().to_owned();
    w.consume(&number, c.user_project.as_deref(), &m.doc.service)?;
    Ok(())
}

/// `buckets.insert`: POST `b?project=P` with the bucket (its bare `name`) as the body.
fn insert(c: &Call, w: &mut World, m: &'static Method, path: &str) -> ApiResult {
    let project = c
        .q("project")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::field("project", "Required parameter: project"))?;
    let project = w.consume(project, c.user_project.as_deref(), &m.doc.service)?;
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let mut obj = body::check(m.doc, schema, &c.body, "bucket")?;
    let name = obj["name"].as_str().unwrap_or_default().to_owned();
    check_name(&name)?;
    let full = format!("{path}/{name}");
    if w.generic.contains_key(&key(m, &full)) {
        return Err(ApiError::new(
            409,
            "ALREADY_EXISTS",
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
        ));
    }
    let now = rfc3339(c.now_ms);
    let out = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::invalid("body must be an object"))?;
    defaults(out, &name, &project.number, &now);
    out.insert(
        "etag".into(),
        json!(format!("CAE{:x}", w.next_rand() & 0xffff)),
    );
    w.generic.insert(key(m, &full), obj.clone());
    Ok(body::visible(schema, &obj))
}

/// What Google fills on a new bucket.
fn defaults(out: &mut Map<String, Value>, name: &str, number: &str, now: &str) {
    let location = out
        .get("location")
        .and_then(Value::as_str)
        .unwrap_or("US")
        .to_uppercase();
    let multi = ["US", "EU", "ASIA"].contains(&location.as_str());
    let set = |out: &mut Map<String, Value>, k: &str, v: Value| {
        out.insert(k.into(), v);
    };
    set(out, "kind", json!("storage#bucket"));
    set(out, "id", json!(name));
    set(
        out,
        "selfLink",
        json!(format!("https://www.googleapis.com/storage/v1/b/{name}")),
    );
    set(out, "projectNumber", json!(number));
    set(out, "timeCreated", json!(now));
    // Objects deleted from a new bucket stay restorable for a week unless it says otherwise.
    out.entry("softDeletePolicy")
        .or_insert_with(|| json!({"retentionDurationSeconds": "604800", "effectiveTime": now}));
    set(out, "updated", json!(now));
    set(out, "metageneration", json!("1"));
    set(out, "location", json!(location));
    set(
        out,
        "locationType",
        json!(if multi { "multi-region" } else { "region" }),
    );
    if !out.contains_key("storageClass") {
        set(out, "storageClass", json!("STANDARD"));
    }
    let iam = out.entry("iamConfiguration").or_insert_with(|| json!({}));
    if let Some(iam) = iam.as_object_mut() {
        let ubla = iam
            .get("uniformBucketLevelAccess")
            .and_then(|u| u.get("enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        iam.insert("uniformBucketLevelAccess".into(), json!({"enabled": ubla}));
        iam.insert("bucketPolicyOnly".into(), json!({"enabled": ubla}));
        iam.entry("publicAccessPrevention")
            .or_insert_with(|| json!("inherited"));
    }
}

/// Bucket names: 3-63 characters, lowercase letters, digits, `-`, `_` and `.`, starting and
/// ending with a letter or digit.
fn check_name(name: &str) -> ApiResult<()> {
    let ok = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            "name",
            "Invalid bucket name: '".to_owned() + name + "'",
        ))
    }
}

/// `buckets.list?project=P`: that project's buckets.
fn list(c: &Call, w: &mut World, m: &'static Method) -> ApiResult {
    c.allow_query(&[
        "project",
        "maxResults",
        "pageToken",
        "prefix",
        "projection",
        "userProject",
    ])?;
    let project = c.q("project").unwrap_or_default();
    let project = w.consume(project, c.user_project.as_deref(), &m.doc.service)?;
    let schema = &m.doc.schemas["Bucket"];
    let prefix = format!("{}:v1/b/", m.doc.name);
    let items: Vec<Value> = w
        .generic
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, _)| !k[prefix.len()..].contains('/'))
        .filter(|(_, v)| v["projectNumber"].as_str() == Some(project.number.as_str()))
        .map(|(_, v)| body::visible(schema, v))
        .collect();
    let (page, next) = c.page(items, 1000, 1000)?;
    let mut out = list_body("items", page, next);
    out["kind"] = json!("storage#buckets");
    Ok(out)
}

/// `buckets.patch`: the fields the body holds replace the bucket's; the rest stay.
fn patch(c: &Call, w: &mut World, m: &'static Method, path: &str) -> ApiResult {
    consume_for(c, w, m, path)?;
    let (stored, _) = collection::get(w, m, path)?;
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let sent = body::check(m.doc, schema, &c.body, "bucket")?;
    let mut obj = stored.as_object().cloned().unwrap_or_default();
    for (k, v) in sent.as_object().into_iter().flatten() {
        if ["name", "id", "selfLink", "projectNumber", "timeCreated"].contains(&k.as_str()) {
            continue;
        }
        obj.insert(k.clone(), v.clone());
    }
    let generation = obj["metageneration"]
        .as_str()
        .and_then(|g| g.parse::<u64>().ok())
        .unwrap_or(1);
    let name = obj["name"].as_str().unwrap_or_default().to_owned();
    let number = obj["projectNumber"].as_str().unwrap_or_default().to_owned();
    let now = rfc3339(c.now_ms);
    let created = obj["timeCreated"].clone();
    defaults(&mut obj, &name, &number, &now);
    obj.insert("timeCreated".into(), created);
    obj.insert("metageneration".into(), json!((generation + 1).to_string()));
    obj.insert(
        "etag".into(),
        json!(format!("CAE{:x}", w.next_rand() & 0xffff)),
    );
    let obj = Value::Object(obj);
    w.generic.insert(key(m, path), obj.clone());
    Ok(body::visible(schema, &obj))
}

/// The policy as Cloud Storage answers it.
fn storage_policy(mut p: Value, bucket_path: &str) -> Value {
    let name = bucket_path.rsplit('/').next().unwrap_or_default();
    p["kind"] = json!("storage#policy");
    p["resourceId"] = json!(format!("projects/_/buckets/{name}"));
    p
}

/// A policy sent back as read carries Storage's own fields, which the policy itself has not.
fn strip_storage_fields(p: &Value) -> Value {
    let mut p = p.clone();
    if let Some(o) = p.as_object_mut() {
        o.remove("kind");
        o.remove("resourceId");
    }
    p
}
