//! API Keys v2: keys create (with or without `keyId`) / get / list (`showDeleted`) / patch /
//! delete (soft, 30 days, the ID stays reserved) / undelete / getKeyString, `keys:lookupKey`;
//! restrictions with the client-restriction oneof; weak etags. Names use the project number.

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::faults::operation_failure;
use super::operations;
use super::request::{handler, list_body, Call, Route};
use super::schema::{Field, Ty, STRS};
use super::world::{rfc3339, ApiKey, ProjectRef, World};

const SERVICE: &str = "apikeys.googleapis.com";
const KEY_TYPE: &str = "type.googleapis.com/google.api.apikeys.v2.Key";
const RETENTION_MS: u64 = 30 * 24 * 3600 * 1000;

const ANDROID_APP: &[Field] = &[
    Field("sha1Fingerprint", Ty::Str),
    Field("packageName", Ty::Str),
];
const RESTRICTIONS: &[Field] = &[
    Field(
        "browserKeyRestrictions",
        Ty::Obj(&[Field("allowedReferrers", STRS)]),
    ),
    Field(
        "serverKeyRestrictions",
        Ty::Obj(&[Field("allowedIps", STRS)]),
    ),
    Field(
        "androidKeyRestrictions",
        Ty::Obj(&[Field(
            "allowedApplications",
            Ty::List(&Ty::Obj(ANDROID_APP)),
        )]),
    ),
    Field(
        "iosKeyRestrictions",
        Ty::Obj(&[Field("allowedBundleIds", STRS)]),
    ),
    Field(
        "apiTargets",
        Ty::List(&Ty::Obj(&[
            Field("service", Ty::Str),
            Field("methods", STRS),
        ])),
    ),
];
const KEY: &[Field] = &[
    Field("name", Ty::Str),
    Field("uid", Ty::Str),
    Field("displayName", Ty::Str),
    Field("keyString", Ty::Str),
    Field("createTime", Ty::Str),
    Field("updateTime", Ty::Str),
    Field("deleteTime", Ty::Str),
    Field("annotations", Ty::StrMap),
    Field("restrictions", Ty::Obj(RESTRICTIONS)),
    Field("etag", Ty::Str),
    Field("serviceAccountEmail", Ty::Str),
];
const EMPTY: &[Field] = &[Field("etag", Ty::Str)];
const MUTABLE: &[&str] = &["displayName", "restrictions", "annotations"];

pub fn route(c: &Call) -> Option<Route> {
    if c.version != "v2" {
        return None;
    }
    let segs = c.segs();
    let own = |p: &str| p.to_string();
    match (c.http.as_str(), segs.as_slice(), c.verb()) {
        ("GET", ["keys"], Some("lookupKey")) => handler("apikeys.keys.lookupKey", lookup),
        ("POST", ["projects", p, "locations", l, "keys"], None) => {
            let (p, l) = (own(p), own(l));
            handler("apikeys.keys.create", move |c, w| create(c, w, &p, &l))
        }
        ("GET", ["projects", p, "locations", l, "keys"], None) => {
            let (p, l) = (own(p), own(l));
            handler("apikeys.keys.list", move |c, w| list(c, w, &p, &l))
        }
        ("GET", ["projects", p, "locations", l, "keys", k, "keyString"], None) => {
            let (p, l, k) = (own(p), own(l), own(k));
            handler("apikeys.keys.getKeyString", move |c, w| {
                c.allow_query(&[])?;
                let (_, id) = find(c, w, &p, &l, &k)?;
                Ok(json!({"keyString": w.keys[&id].key_string}))
            })
        }
        (http, ["projects", p, "locations", l, "keys", k], verb) => {
            let (p, l, k) = (own(p), own(l), own(k));
            let m: &'static str = match (http, verb) {
                ("GET", None) => "apikeys.keys.get",
                ("PATCH", None) => "apikeys.keys.patch",
                ("DELETE", None) => "apikeys.keys.delete",
                ("POST", Some("undelete")) => "apikeys.keys.undelete",
                _ => return None,
            };
            handler(m, move |c, w| key_call(c, w, m, &p, &l, &k))
        }
        _ => None,
    }
}

fn check_location(l: &str) -> ApiResult<()> {
    if l != "global" {
        return Err(ApiError::field(
            "parent",
            format!("Location '{l}' is not supported; API keys live in location 'global'."),
        ));
    }
    Ok(())
}

fn looks_like_uuid(s: &str) -> bool {
    let parts: Vec<usize> = s.split('-').map(str::len).collect();
    parts == [8, 4, 4, 4, 12] && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

fn valid_key_id(id: &str) -> bool {
    let b = id.as_bytes();
    (1..=63).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !id.ends_with('-')
        && !looks_like_uuid(id)
}

/// Deletes keys whose 30-day retention has passed, remembering their strings for lookupKey.
fn purge(w: &mut World, now: u64) {
    let expired: Vec<String> = w
        .keys
        .iter()
        .filter(|(_, k)| k.deleted_ms.is_some_and(|d| now >= d + RETENTION_MS))
        .map(|(n, _)| n.clone())
        .collect();
    for n in expired {
        if let Some(k) = w.keys.remove(&n) {
            let number = k.body["name"]
                .as_str()
                .and_then(|s| s.split('/').nth(1))
                .unwrap_or_default()
                .to_string();
            w.purged_key_strings.insert(k.key_string, number);
        }
    }
}

/// Validates restrictions: the client-restriction oneof, and normalises fingerprints.
fn check_restrictions(key: &mut Value) -> ApiResult<()> {
    let Some(r) = key.get_mut("restrictions") else {
        return Ok(());
    };
    let kinds = [
        "browserKeyRestrictions",
        "serverKeyRestrictions",
        "androidKeyRestrictions",
        "iosKeyRestrictions",
    ];
    let set: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| r.get(*k).is_some())
        .collect();
    if set.len() > 1 {
        return Err(ApiError::field(
            "key.restrictions",
            format!("At most one of browser, server, android and iOS key restrictions may be set; got {}.", set.join(", ")),
        ));
    }
    if let Some(apps) = r
        .pointer_mut("/androidKeyRestrictions/allowedApplications")
        .and_then(Value::as_array_mut)
    {
        for app in apps {
            if let Some(fp) = app.get("sha1Fingerprint").and_then(Value::as_str) {
                // Accepted with or without colons; stored without [D].
                let clean = fp.replace(':', "");
                if clean.len() != 40 || !clean.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(ApiError::field(
                        "key.restrictions.androidKeyRestrictions",
                        format!("Invalid SHA-1 fingerprint '{fp}'."),
                    ));
                }
                app["sha1Fingerprint"] = json!(clean);
            }
        }
    }
    if let Some(targets) = r.get("apiTargets").and_then(Value::as_array) {
        for t in targets {
            if t.get("service")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(ApiError::field(
                    "key.restrictions.apiTargets.service",
                    "An API target needs a service.",
                ));
            }
        }
    }
    Ok(())
}

fn new_etag(w: &mut World) -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..2).flat_map(|_| w.next_rand().to_be_bytes()).collect();
    format!(
        "W/\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn op(w: &mut World, c: &Call, p: &ProjectRef, outcome: ApiResult) -> Value {
    let name = format!("operations/akmf.p7-{}-{}", p.number, w.uuid());
    let outcome = if c.fail_op {
        Err(operation_failure())
    } else {
        outcome
    };
    operations::start(w, c, name, None, outcome)
}

fn create(c: &Call, w: &mut World, p: &str, l: &str) -> ApiResult {
    c.allow_query(&["keyId"])?;
    let input = c.body(KEY, "key")?;
    let p = w.consume(p, c.user_project.as_deref(), SERVICE)?;
    check_location(l)?;
    let id = match c.q("keyId") {
        Some(id) if !valid_key_id(id) => {
            return Err(ApiError::field(
                "key_id",
                format!("Invalid key ID '{id}': it must match [a-z]([a-z0-9-]{{0,61}}[a-z0-9])? and must not be a UUID."),
            ))
        }
        Some(id) => id.to_string(),
        None => w.uuid(),
    };
    purge(w, c.now_ms);
    let store = format!("projects/{}/locations/global/keys/{id}", p.id);
    let name = format!("projects/{}/locations/global/keys/{id}", p.number);
    if let Some(k) = w.keys.get(&store) {
        // A soft-deleted key keeps its ID reserved until purged [Inf].
        let msg = if k.deleted_ms.is_some() {
            format!("Key '{name}' was deleted and is reserved for 30 days; undelete it instead.")
        } else {
            format!("Key '{name}' already exists.")
        };
        return Err(ApiError::already_exists(
            "apikeys.googleapis.com/Key",
            &name,
            msg,
        ));
    }
    let mut key = json!({});
    for f in [
        "displayName",
        "restrictions",
        "annotations",
        "serviceAccountEmail",
    ] {
        if let Some(v) = input.get(f) {
            key[f] = v.clone();
        }
    }
    if key["displayName"]
        .as_str()
        .is_some_and(|s| s.chars().count() > 63)
    {
        return Err(ApiError::field(
            "key.display_name",
            "Display name must be at most 63 characters.",
        ));
    }
    check_restrictions(&mut key)?;
    let uid = if c.q("keyId").is_none() {
        id.clone()
    } else {
        w.uuid()
    };
    let t = rfc3339(c.now_ms);
    key["name"] = json!(name);
    key["uid"] = json!(uid);
    key["createTime"] = json!(t);
    key["updateTime"] = json!(t);
    key["etag"] = json!(new_etag(w));
    let key_string = format!(
        "AIza{}",
        w.token(
            35,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
    );
    if c.fail_op {
        return Ok(op(w, c, &p, Ok(json!({}))));
    }
    w.keys.insert(
        store,
        ApiKey {
            body: key.clone(),
            key_string: key_string.clone(),
            ready_ms: c.now_ms + c.op_delay_ms,
            deleted_ms: None,
        },
    );
    // The create operation's result carries the key string [Obs]; reads do not.
    let mut response = json!({"@type": KEY_TYPE});
    merge(&mut response, &key);
    response["keyString"] = json!(key_string);
    Ok(op(w, c, &p, Ok(response)))
}

fn merge(into: &mut Value, from: &Value) {
    if let (Some(a), Some(b)) = (into.as_object_mut(), from.as_object()) {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
}

fn typed(key: &Value) -> Value {
    let mut v = json!({"@type": KEY_TYPE});
    merge(&mut v, key);
    v
}

/// Resolves a key name to its storage key; NOT_FOUND when absent.
fn find(c: &Call, w: &mut World, p: &str, l: &str, k: &str) -> ApiResult<(ProjectRef, String)> {
    let p = w.consume(p, c.user_project.as_deref(), SERVICE)?;
    check_location(l)?;
    purge(w, c.now_ms);
    let store = format!("projects/{}/locations/global/keys/{k}", p.id);
    if !w.keys.contains_key(&store) {
        return Err(ApiError::not_found(
            "apikeys.googleapis.com/Key",
            &format!("projects/{}/locations/global/keys/{k}", p.number),
        ));
    }
    Ok((p, store))
}

fn list(c: &Call, w: &mut World, p: &str, l: &str) -> ApiResult {
    c.allow_query(&["pageSize", "pageToken", "showDeleted"])?;
    let p = w.consume(p, c.user_project.as_deref(), SERVICE)?;
    check_location(l)?;
    purge(w, c.now_ms);
    let show_deleted = c.q_bool("showDeleted")?;
    let prefix = format!("projects/{}/locations/global/keys/", p.id);
    let items: Vec<Value> = w
        .keys
        .iter()
        .filter(|(n, k)| n.starts_with(&prefix) && (show_deleted || k.deleted_ms.is_none()))
        .map(|(_, k)| k.body.clone())
        .collect();
    let (page, next) = c.page(items, 300, 300)?;
    Ok(list_body("keys", page, next))
}

fn key_call(c: &Call, w: &mut World, method: &str, p: &str, l: &str, k: &str) -> ApiResult {
    let (p, store) = find(c, w, p, l, k)?;
    let key = w.keys[&store].clone();
    match method {
        "apikeys.keys.get" => {
            c.allow_query(&[])?;
            Ok(key.body)
        }
        "apikeys.keys.patch" => {
            c.allow_query(&["updateMask", "checkExistingUsage"])?;
            let input = c.body(KEY, "key")?;
            if key.deleted_ms.is_some() {
                return Err(ApiError::failed_precondition(format!(
                    "Key '{}' is deleted; undelete it first.",
                    key.body["name"].as_str().unwrap_or_default()
                )));
            }
            let mask: Vec<String> = match c.mask("updateMask") {
                // No mask: every mutable field present on the wire [D].
                None => MUTABLE
                    .iter()
                    .filter(|f| input.get(**f).is_some())
                    .map(|f| f.to_string())
                    .collect(),
                Some(m) if m.iter().any(|f| f == "*") => {
                    MUTABLE.iter().map(|f| f.to_string()).collect()
                }
                Some(m) => m,
            };
            let mut body = key.body.clone();
            for f in &mask {
                let top = f.split('.').next().unwrap_or_default();
                if !MUTABLE.contains(&top) {
                    return Err(ApiError::field("update_mask", format!("Field '{f}' cannot be updated; updatable fields are displayName, restrictions and annotations.")));
                }
                match input.get(top) {
                    Some(v) => body[top] = v.clone(),
                    None => {
                        if let Some(o) = body.as_object_mut() {
                            o.remove(top);
                        }
                    }
                }
            }
            check_restrictions(&mut body)?;
            if c.fail_op {
                return Ok(op(w, c, &p, Ok(json!({}))));
            }
            body["updateTime"] = json!(rfc3339(c.now_ms));
            body["etag"] = json!(new_etag(w));
            if let Some(s) = w.keys.get_mut(&store) {
                s.body = body.clone();
                s.ready_ms = c.now_ms + c.op_delay_ms;
            }
            Ok(op(w, c, &p, Ok(typed(&body))))
        }
        "apikeys.keys.delete" => {
            c.allow_query(&["etag", "checkExistingUsage"])?;
            if key.deleted_ms.is_some() {
                // Deleting twice is treated as deleting a key that is gone [Inf].
                return Err(ApiError::not_found(
                    "apikeys.googleapis.com/Key",
                    key.body["name"].as_str().unwrap_or_default(),
                ));
            }
            if let Some(etag) = c.q("etag").filter(|e| !e.is_empty()) {
                if Some(etag) != key.body["etag"].as_str() {
                    return Err(ApiError::aborted(format!(
                        "The etag '{etag}' does not match the key's current etag."
                    )));
                }
            }
            if c.fail_op {
                return Ok(op(w, c, &p, Ok(json!({}))));
            }
            let mut body = key.body.clone();
            body["deleteTime"] = json!(rfc3339(c.now_ms));
            body["etag"] = json!(new_etag(w));
            if let Some(s) = w.keys.get_mut(&store) {
                s.body = body.clone();
                s.deleted_ms = Some(c.now_ms);
            }
            Ok(op(w, c, &p, Ok(typed(&body))))
        }
        _ => {
            c.allow_query(&[])?;
            c.body(EMPTY, "")?;
            if key.deleted_ms.is_none() {
                return Err(ApiError::failed_precondition(format!(
                    "Key '{}' is not deleted.",
                    key.body["name"].as_str().unwrap_or_default()
                )));
            }
            if c.fail_op {
                return Ok(op(w, c, &p, Ok(json!({}))));
            }
            let mut body = key.body.clone();
            if let Some(o) = body.as_object_mut() {
                o.remove("deleteTime");
            }
            body["updateTime"] = json!(rfc3339(c.now_ms));
            body["etag"] = json!(new_etag(w));
            if let Some(s) = w.keys.get_mut(&store) {
                s.body = body.clone();
                s.deleted_ms = None;
            }
            Ok(op(w, c, &p, Ok(typed(&body))))
        }
    }
}

fn lookup(c: &Call, w: &mut World) -> ApiResult {
    c.allow_query(&["keyString"])?;
    let Some(ks) = c.q("keyString").filter(|s| !s.is_empty()) else {
        return Err(ApiError::field("key_string", "key_string is required."));
    };
    purge(w, c.now_ms);
    if let Some(k) = w.keys.values().find(|k| k.key_string == ks) {
        let name = k.body["name"].as_str().unwrap_or_default().to_string();
        let parent = name.split('/').take(2).collect::<Vec<_>>().join("/");
        return Ok(json!({"parent": parent, "name": name}));
    }
    if let Some(number) = w.purged_key_strings.get(ks) {
        // A purged key still names its project, but no longer a key [D].
        return Ok(json!({"parent": format!("projects/{number}")}));
    }
    Err(ApiError::not_found(
        "apikeys.googleapis.com/Key",
        "keyString",
    ))
}
