//! What Google does that the discovery documents do not say, per API, layered on the generic
//! collections: ID formats, server-filled defaults, Secret Manager's versions (added with
//! `addVersion`, numbered, read with `:access`, `latest` as an alias, destroyed rather than
//! deleted). Other custom verbs answer UNIMPLEMENTED.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::collection::{get, key};
use super::doc::Method;
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::request::Call;
use crate::emulator::world::{rfc3339, World};

/// Checks the new object's own ID (its name's last segment) as each API does.
pub fn check_id(m: &Method, name: &str) -> ApiResult<()> {
    let id = name.rsplit('/').next().unwrap_or(name);
    let (ok, rule) = match m.doc.name.as_str() {
        "secretmanager" => (
            (1..=255).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "1-255 letters, digits, `-` and `_`",
        ),
        "artifactregistry" => (
            (2..=63).contains(&id.len())
                && id.starts_with(|c: char| c.is_ascii_lowercase())
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "2-63 lowercase letters, digits and `-`, starting with a letter",
        ),
        "pubsub" => (
            (3..=255).contains(&id.len())
                && id.starts_with(|c: char| c.is_ascii_alphabetic())
                && !id.starts_with("goog")
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.~+%".contains(c)),
            "3-255 characters, starting with a letter, not with `goog`",
        ),
        "cloudscheduler" => (
            (1..=500).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "letters, digits, `-` and `_`",
        ),
        // `(default)`, or 4-63 lowercase letters, digits and `-`.
        "firestore" => (
            id == "(default)"
                || ((4..=63).contains(&id.len())
                    && id.starts_with(|c: char| c.is_ascii_lowercase())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')),
            "`(default)` or 4-63 lowercase letters, digits and `-`",
        ),
        _ => (!id.is_empty(), "not empty"),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "Invalid resource ID \"{id}\": it must be {rule}."
        )))
    }
}

/// Defaults the server fills on create, where the configuration left them out.
pub fn defaults(m: &Method, obj: &mut Map<String, Value>) {
    let mut fill = |k: &str, v: Value| {
        obj.entry(k.to_owned()).or_insert(v);
    };
    match m.request.as_deref() {
        Some("Subscription") => {
            fill("ackDeadlineSeconds", json!(10));
            fill("messageRetentionDuration", json!("604800s"));
            fill("expirationPolicy", json!({"ttl": "2678400s"}));
        }
        Some("Job") => {
            fill("timeZone", json!("Etc/UTC"));
            fill("attemptDeadline", json!("180s"));
            fill(
                "retryConfig",
                json!({"maxRetryDuration": "0s", "minBackoffDuration": "5s",
                       "maxBackoffDuration": "3600s", "maxDoublings": 5}),
            );
            let now = obj.get("createTime").cloned();
            if let Some(now) = now {
                obj.insert("userUpdateTime".into(), now);
            }
        }
        Some("Repository") => {
            fill("mode", json!("STANDARD_REPOSITORY"));
        }
        _ => {}
    }
}

/// A custom verb.
pub fn custom(c: &Call, w: &mut World, m: &'static Method, path: &str, verb: &str) -> ApiResult {
    match (m.doc.name.as_str(), verb) {
        ("secretmanager", "addVersion") => add_version(c, w, m, path),
        ("secretmanager", "access") => access(w, m, path),
        ("secretmanager", "destroy" | "disable" | "enable") => set_state(c, w, m, path, verb),
        _ => Err(ApiError::new(
            501,
            "UNIMPLEMENTED",
            format!("{} is not emulated", m.id),
        )),
    }
}

fn versions_of(w: &World, m: &Method, secret: &str) -> Vec<(u64, String)> {
    let prefix = key(m, &format!("{secret}/versions/"));
    let mut out: Vec<(u64, String)> = w
        .generic
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter_map(|(k, _)| {
            let n = k[prefix.len()..].parse().ok()?;
            Some((n, k.clone()))
        })
        .collect();
    out.sort();
    out
}

/// `.../versions/latest` → the newest version that is not destroyed.
pub fn resolve(w: &World, m: &Method, path: &str) -> String {
    let Some(secret) = path.strip_suffix("/versions/latest") else {
        return path.to_owned();
    };
    versions_of(w, m, secret)
        .into_iter()
        .rev()
        .find(|(_, k)| w.generic[k]["state"] == "ENABLED")
        .map(|(n, _)| format!("{secret}/versions/{n}"))
        .unwrap_or_else(|| path.to_owned())
}

fn add_version(c: &Call, w: &mut World, m: &'static Method, secret: &str) -> ApiResult {
    if !w.generic.contains_key(&key(m, secret)) {
        return Err(ApiError::not_found("Secret", secret));
    }
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let req = super::body::check(m.doc, schema, &c.body, "add_secret_version_request")?;
    let data = req["payload"]["data"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if base64::engine::general_purpose::STANDARD
        .decode(&data)
        .is_err()
    {
        return Err(ApiError::field(
            "payload.data",
            "Invalid value at 'payload.data' (TYPE_BYTES), Base64 decoding failed",
        ));
    }
    let n = versions_of(w, m, secret).last().map_or(1, |(n, _)| n + 1);
    let name = format!("{secret}/versions/{n}");
    let version = json!({
        "name": name,
        "createTime": rfc3339(c.now_ms),
        "state": "ENABLED",
        "replicationStatus": {"automatic": {}},
        "etag": format!("\"{:x}\"", w.next_rand() & 0xffff_ffff_ffff),
        // Kept beside the version; reads of the version never show it (not in its schema).
        "payload": {"data": data},
    });
    w.generic.insert(key(m, &name), version.clone());
    let out = m.response_schema().unwrap_or(&Value::Null);
    Ok(super::body::visible(out, &version))
}

fn access(w: &mut World, m: &'static Method, path: &str) -> ApiResult {
    let name = resolve(w, m, path);
    let (v, _) = get(w, m, &name)?;
    if v["state"] != "ENABLED" {
        return Err(ApiError::failed_precondition(format!(
            "{name} is in {} state.",
            v["state"].as_str().unwrap_or("UNKNOWN")
        )));
    }
    Ok(json!({"name": name, "payload": {"data": v["payload"]["data"]}}))
}

fn set_state(c: &Call, w: &mut World, m: &'static Method, path: &str, verb: &str) -> ApiResult {
    let name = resolve(w, m, path);
    let (mut v, _) = get(w, m, &name)?;
    if v["state"] == "DESTROYED" && verb != "destroy" {
        return Err(ApiError::failed_precondition(format!(
            "{name} is in DESTROYED state."
        )));
    }
    match verb {
        "destroy" => {
            v["state"] = json!("DESTROYED");
            v["destroyTime"] = json!(rfc3339(c.now_ms));
            if let Some(o) = v.as_object_mut() {
                o.remove("payload");
            }
        }
        "disable" => v["state"] = json!("DISABLED"),
        _ => v["state"] = json!("ENABLED"),
    }
    v["etag"] = json!(format!("\"{:x}\"", w.next_rand() & 0xffff_ffff_ffff));
    w.generic.insert(key(m, &name), v.clone());
    let out = m.response_schema().unwrap_or(&Value::Null);
    Ok(super::body::visible(out, &v))
}
