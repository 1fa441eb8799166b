//! Compute Engine (`compute/v1`), served with the generic collections but in Compute's own
//! style: objects named by a bare `name` in the body, numeric `id`s, `selfLink` URLs (and
//! networks referred to by URL, name or relative path, stored as URLs), and every change
//! answered with a Compute operation (`status: DONE` at once, kept under
//! `global/operations` or `regions/{r}/operations` where the client polls it). A network
//! that an address or subnetwork still uses cannot be deleted.

use serde_json::{json, Map, Value};

use super::body;
use super::collection::key;
use super::doc::{Kind, Method};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::request::{list_body, Call};
use crate::emulator::world::{rfc3339, World};

const LINK: &str = "https://www.googleapis.com/compute/";

/// True for Compute Engine's methods.
pub fn is_compute(m: &Method) -> bool {
    m.doc.name == "compute"
}

/// Runs one method; `path` is `v1/projects/{p}/...`.
pub fn run(c: &Call, w: &mut World, m: &'static Method) -> ApiResult {
    let path = c.segs.join("/");
    let project = c.segs.get(2).cloned().unwrap_or_default();
    w.consume(&project, c.user_project.as_deref(), &m.doc.service)?;
    match &m.kind {
        Kind::Get => stored(w, m, &path),
        // Operations are done when answered: waiting returns them as they are.
        Kind::Custom(v) if v == "wait" => stored(w, m, path.trim_end_matches("/wait")),
        Kind::List => list(c, w, m, &path),
        Kind::Create => insert(c, w, m, &path),
        Kind::Patch => patch(c, w, m, &path),
        Kind::Delete => delete(c, w, m, &path),
        _ => Err(ApiError::new(
            501,
            "UNIMPLEMENTED",
            format!("{} is not emulated", m.id),
        )),
    }
}

fn not_found(path: &str) -> ApiError {
    let rel = path.trim_start_matches("v1/");
    ApiError::new(
        404,
        "NOT_FOUND",
        format!("The resource '{rel}' was not found"),
    )
}

fn stored(w: &World, m: &Method, path: &str) -> ApiResult {
    w.generic
        .get(&key(m, path))
        .cloned()
        .ok_or_else(|| not_found(path))
}

/// A network given by URL, relative path or name, as the URL Compute stores.
fn network_link(project: &str, v: &str) -> String {
    if v.starts_with("https://") {
        return v.to_owned();
    }
    if let Some(i) = v.find("projects/") {
        return format!("{LINK}v1/{}", &v[i..]);
    }
    let name = v.rsplit('/').next().unwrap_or(v);
    format!("{LINK}v1/projects/{project}/global/networks/{name}")
}

fn check_name(name: &str) -> ApiResult<()> {
    let ok = (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            "resource.name",
            format!("Invalid value for field 'resource.name': '{name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{{0,61}}[a-z0-9])?)'"),
        ))
    }
}

/// `insert`: the object under `path/{name}`, with what Compute fills.
fn insert(c: &Call, w: &mut World, m: &'static Method, path: &str) -> ApiResult {
    let schema_id = m.request.clone().unwrap_or_default();
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let mut obj = body::check(m.doc, schema, &c.body, "resource")?;
    let name = obj["name"].as_str().unwrap_or_default().to_owned();
    check_name(&name)?;
    let full = format!("{path}/{name}");
    if w.generic.contains_key(&key(m, &full)) {
        let rel = full.trim_start_matches("v1/");
        return Err(ApiError::new(
            409,
            "ALREADY_EXISTS",
            format!("The resource '{rel}' already exists"),
        ));
    }
    let project = c.segs.get(2).cloned().unwrap_or_default();
    let now = rfc3339(c.now_ms);
    let id = (w.next_rand() % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000).to_string();
    let out = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::invalid("body must be an object"))?;
    let kind = format!(
        "compute#{}{}",
        schema_id[..1].to_lowercase(),
        &schema_id[1..]
    );
    out.insert("kind".into(), json!(kind));
    out.insert("id".into(), json!(id));
    out.insert("creationTimestamp".into(), json!(now));
    out.insert("selfLink".into(), json!(format!("{LINK}{full}")));
    if let Some(net) = out.get("network").and_then(Value::as_str) {
        let link = network_link(&project, net);
        out.insert("network".into(), json!(link));
    }
    defaults(&schema_id, out, path);
    w.generic.insert(key(m, &full), obj.clone());
    Ok(operation(c, w, m, path, "insert", &full, &id))
}

/// What Compute fills per kind of object.
fn defaults(kind: &str, out: &mut Map<String, Value>, path: &str) {
    match kind {
        "Network" => {
            out.entry("routingConfig")
                .or_insert_with(|| json!({"routingMode": "REGIONAL"}));
            out.entry("mtu").or_insert_with(|| json!(1460));
            out.entry("networkFirewallPolicyEnforcementOrder")
                .or_insert_with(|| json!("AFTER_CLASSIC_FIREWALL"));
        }
        "Address" => {
            out.insert("status".into(), json!("RESERVED"));
            out.entry("addressType")
                .or_insert_with(|| json!("EXTERNAL"));
            out.entry("networkTier").or_insert_with(|| json!("PREMIUM"));
            if !out.contains_key("address") {
                let n = out["id"].as_str().map_or(0, |i| {
                    i.len() as u64 + i.bytes().map(u64::from).sum::<u64>()
                }) % 200
                    + 16;
                let a = match out.get("purpose").and_then(Value::as_str) {
                    Some("VPC_PEERING") => format!("10.{n}.0.0"),
                    _ => format!("34.{n}.0.{}", n % 250 + 2),
                };
                out.insert("address".into(), json!(a));
            }
        }
        "Subnetwork" => {
            let region = path.split('/').nth(4).unwrap_or_default();
            let project = path.split('/').nth(2).unwrap_or_default();
            out.insert(
                "region".into(),
                json!(format!("{LINK}v1/projects/{project}/regions/{region}")),
            );
            if let Some(range) = out.get("ipCidrRange").and_then(Value::as_str) {
                let base = range.split('/').next().unwrap_or_default();
                let mut octets: Vec<u32> = base.split('.').filter_map(|o| o.parse().ok()).collect();
                if let Some(last) = octets.last_mut() {
                    *last += 1;
                }
                let gw: Vec<String> = octets.iter().map(u32::to_string).collect();
                out.insert("gatewayAddress".into(), json!(gw.join(".")));
            }
            out.entry("purpose").or_insert_with(|| json!("PRIVATE"));
            out.entry("stackType").or_insert_with(|| json!("IPV4_ONLY"));
            out.entry("privateIpGoogleAccess")
                .or_insert_with(|| json!(false));
            out.insert("fingerprint".into(), json!("kZ3aX2f9bQM="));
        }
        _ => {}
    }
}

fn list(c: &Call, w: &World, m: &'static Method, path: &str) -> ApiResult {
    c.allow_query(&[
        "filter",
        "maxResults",
        "orderBy",
        "pageToken",
        "returnPartialSuccess",
    ])?;
    let prefix = format!("{}:{path}/", m.doc.name);
    let items: Vec<Value> = w
        .generic
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, _)| !k[prefix.len()..].contains('/'))
        .map(|(_, v)| v.clone())
        .collect();
    let (page, next) = c.page(items, 500, 500)?;
    let item_kind = m.response.clone().unwrap_or_default();
    let mut out = list_body("items", page, next);
    out["kind"] = json!(format!(
        "compute#{}{}",
        item_kind[..1].to_lowercase(),
        &item_kind[1..]
    ));
    Ok(out)
}

/// `patch`: the fields sent replace the object's.
fn patch(c: &Call, w: &mut World, m: &'static Method, path: &str) -> ApiResult {
    let mut obj = stored(w, m, path)?;
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let sent = body::check(m.doc, schema, &c.body, "resource")?;
    // Objects with a fingerprint change only when the request names the current one.
    if let Some(current) = obj.get("fingerprint").and_then(Value::as_str) {
        match sent.get("fingerprint").and_then(Value::as_str) {
            None => {
                return Err(ApiError::field(
                    "resource.fingerprint",
                    "Required field 'resource.fingerprint' not specified",
                ))
            }
            Some(f) if f != current => {
                return Err(ApiError::new(
                    412,
                    "FAILED_PRECONDITION",
                    "Supplied fingerprint does not match current fingerprint.",
                ))
            }
            Some(_) => {}
        }
    }
    for (k, v) in sent.as_object().into_iter().flatten() {
        if !["name", "id", "selfLink", "creationTimestamp", "kind"].contains(&k.as_str()) {
            obj[k] = v.clone();
        }
    }
    if obj.get("fingerprint").is_some() {
        obj["fingerprint"] = json!(format!("{:016x}", w.next_rand()));
    }
    let id = obj["id"].as_str().unwrap_or_default().to_owned();
    w.generic.insert(key(m, path), obj);
    let parent = path.rsplit_once('/').map_or(path, |(p, _)| p).to_owned();
    Ok(operation(c, w, m, &parent, "patch", path, &id))
}

/// `delete`: refused while another object refers to the network.
fn delete(c: &Call, w: &mut World, m: &'static Method, path: &str) -> ApiResult {
    let obj = stored(w, m, path)?;
    let link = format!("{LINK}{path}");
    let user = w
        .generic
        .iter()
        .filter(|(k, _)| k.starts_with("compute:"))
        .find(|(_, v)| v["network"].as_str() == Some(link.as_str()));
    if let Some((k, _)) = user {
        let by = k.trim_start_matches("compute:v1/");
        let rel = path.trim_start_matches("v1/");
        return Err(ApiError::new(
            400,
            "FAILED_PRECONDITION",
            format!("The network resource '{rel}' is already being used by '{by}'"),
        ));
    }
    w.generic.remove(&key(m, path));
    let id = obj["id"].as_str().unwrap_or_default().to_owned();
    let parent = path.rsplit_once('/').map_or(path, |(p, _)| p).to_owned();
    Ok(operation(c, w, m, &parent, "delete", path, &id))
}

/// A finished Compute operation about `target`, kept where the client polls it: under the
/// region of a regional collection, else `global`.
fn operation(
    c: &Call,
    w: &mut World,
    m: &Method,
    collection: &str,
    kind: &str,
    target: &str,
    id: &str,
) -> Value {
    let parts: Vec<&str> = collection.split('/').collect();
    let scope = match parts.get(3) {
        Some(&"regions") => format!(
            "{}/regions/{}",
            parts[..3].join("/"),
            parts.get(4).unwrap_or(&"")
        ),
        _ => format!("{}/global", parts[..3.min(parts.len())].join("/")),
    };
    let name = format!(
        "operation-{}-{:012x}",
        c.now_ms,
        w.next_rand() & 0xffff_ffff_ffff
    );
    let now = rfc3339(c.now_ms);
    let op_path = format!("{scope}/operations/{name}");
    let mut op = json!({
        "kind": "compute#operation",
        "id": (w.next_rand() % 9_000_000_000_000_000_000).to_string(),
        "name": name,
        "operationType": kind,
        "targetLink": format!("{LINK}{target}"),
        "targetId": id,
        "status": "DONE",
        "user": "keyway@emulator",
        "progress": 100,
        "insertTime": now,
        "startTime": now,
        "endTime": now,
        "selfLink": format!("{LINK}{op_path}"),
    });
    if scope.contains("/regions/") {
        op["region"] = json!(format!("{LINK}{scope}").replace("/operations", ""));
    }
    w.generic.insert(key(m, &op_path), op.clone());
    op
}
