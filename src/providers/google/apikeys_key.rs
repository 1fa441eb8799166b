//! `google_apikeys_key` (API Keys v2, location `global`): create, patch display name and
//! restrictions, soft delete; a key ID deleted less than 30 days ago is undeleted and patched to
//! the configuration instead of failing with 409. Refresh: one paged list per project, plus
//! `getKeyString` only for keys whose state lacks the (sensitive) key string.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::api_gateway_api::{field, last_segment};
use super::client::{encode_query, Api, GoogleError};
use super::{api_err, operation, required, str_attr, Google};
use crate::providers::{ProviderError, Result};

const TY: &str = "google_apikeys_key";

/// The plan's word for a creation that restores a soft-deleted key of the same ID.
pub const UNDELETE_NOTE: &str = "undeleted and updated";

/// The one client-restriction kind a key may have: (attribute block, API field, list attribute,
/// API list field); Android's list holds objects and is handled apart.
const LIST_KINDS: &[(&str, &str, &str, &str)] = &[
    (
        "browser_key_restrictions",
        "browserKeyRestrictions",
        "allowed_referrers",
        "allowedReferrers",
    ),
    (
        "server_key_restrictions",
        "serverKeyRestrictions",
        "allowed_ips",
        "allowedIps",
    ),
    (
        "ios_key_restrictions",
        "iosKeyRestrictions",
        "allowed_bundle_ids",
        "allowedBundleIds",
    ),
];

fn parent(project: &str) -> String {
    format!("projects/{project}/locations/global")
}

fn key_path(project: &str, key_id: &str) -> String {
    format!("{}/keys/{key_id}", parent(project))
}

/// Sends a call answering with a long-running operation and waits for it (API Keys polls
/// `v2/operations/...`).
async fn call_lro(
    g: &Google,
    method: reqwest::Method,
    path: &str,
    body: Option<&Json>,
    timeout: std::time::Duration,
) -> std::result::Result<Json, GoogleError> {
    let op = g.client().call(Api::ApiKeys, method, path, body).await?;
    operation::wait(g.client(), Api::ApiKeys, "v2", op, timeout).await
}

/// The items of a block attribute (a list of objects).
fn blocks<'a>(obj: &'a Map<String, Json>, key: &str) -> Vec<&'a Map<String, Json>> {
    obj.get(key)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_object)
        .collect()
}

/// A list-of-strings attribute (`[]` when unset).
fn strings(obj: &Map<String, Json>, key: &str) -> Vec<Json> {
    obj.get(key)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.is_string())
        .cloned()
        .collect()
}

/// The configuration's `restrictions` block as the API's `Restrictions` (`None` when unset).
/// More than one client-restriction kind is refused, as Google's oneof would.
pub(crate) fn restrictions_to_api(obj: &Map<String, Json>) -> Result<Option<Json>> {
    let Some(r) = blocks(obj, "restrictions").into_iter().next() else {
        return Ok(None);
    };
    let mut out = Map::new();
    let targets: Vec<Json> = blocks(r, "api_targets")
        .into_iter()
        .map(|t| {
            let mut m = Map::new();
            m.insert(
                "service".into(),
                json!(str_attr(t, "service").unwrap_or_default()),
            );
            let methods = strings(t, "methods");
            if !methods.is_empty() {
                m.insert("methods".into(), Json::Array(methods));
            }
            Json::Object(m)
        })
        .collect();
    if !targets.is_empty() {
        out.insert("apiTargets".into(), Json::Array(targets));
    }
    let mut kinds = Vec::new();
    for (block, api, attr, api_attr) in LIST_KINDS {
        if let Some(b) = blocks(r, block).into_iter().next() {
            kinds.push(*block);
            out.insert(
                (*api).into(),
                json!({ *api_attr: Json::Array(strings(b, attr)) }),
            );
        }
    }
    if let Some(b) = blocks(r, "android_key_restrictions").into_iter().next() {
        kinds.push("android_key_restrictions");
        let apps: Vec<Json> = blocks(b, "allowed_applications")
            .into_iter()
            .map(|a| {
                json!({
                    "packageName": str_attr(a, "package_name").unwrap_or_default(),
                    "sha1Fingerprint": str_attr(a, "sha1_fingerprint").unwrap_or_default(),
                })
            })
            .collect();
        out.insert(
            "androidKeyRestrictions".into(),
            json!({ "allowedApplications": apps }),
        );
    }
    if kinds.len() > 1 {
        return Err(ProviderError::new(format!(
            "{TY}: `restrictions` may hold only one of browser_key_restrictions, \
             server_key_restrictions, android_key_restrictions and ios_key_restrictions; \
             found {}",
            kinds.join(", ")
        )));
    }
    Ok(Some(Json::Object(out)))
}

/// The API's `Restrictions` as the `restrictions` block (`[]` when the key has none), every
/// nested attribute and block present so it compares equal to the planned value.
pub(crate) fn restrictions_from_api(key: &Json) -> Json {
    let Some(r) = key.get("restrictions").and_then(Json::as_object) else {
        return json!([]);
    };
    if r.is_empty() {
        return json!([]);
    }
    let arr = |v: Option<&Json>| -> Vec<Json> {
        v.and_then(Json::as_array)
            .map(|a| a.iter().filter(|x| x.is_string()).cloned().collect())
            .unwrap_or_default()
    };
    let mut out = Map::new();
    let targets: Vec<Json> = r
        .get("apiTargets")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            json!({
                "service": field(t, "service"),
                "methods": arr(t.get("methods")),
            })
        })
        .collect();
    out.insert("api_targets".into(), Json::Array(targets));
    for (block, api, attr, api_attr) in LIST_KINDS {
        let items = match r.get(*api) {
            Some(b) => vec![json!({ *attr: arr(b.get(*api_attr)) })],
            None => Vec::new(),
        };
        out.insert((*block).into(), Json::Array(items));
    }
    let android = match r.get("androidKeyRestrictions") {
        Some(b) => {
            let apps: Vec<Json> = b
                .get("allowedApplications")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .map(|a| {
                    json!({
                        "package_name": field(a, "packageName"),
                        "sha1_fingerprint": field(a, "sha1Fingerprint"),
                    })
                })
                .collect();
            vec![json!({ "allowed_applications": apps })]
        }
        None => Vec::new(),
    };
    out.insert("android_key_restrictions".into(), Json::Array(android));
    json!([out])
}

/// The state object from the API's key; `key_string` is set by the caller.
fn finish(mut obj: Map<String, Json>, project: &str, key: &Json) -> Map<String, Json> {
    let key_id = last_segment(&field(key, "name")).to_owned();
    let key_id = if key_id.is_empty() {
        str_attr(&obj, "name").unwrap_or_default()
    } else {
        key_id
    };
    obj.insert("project".into(), json!(project));
    obj.insert("id".into(), json!(key_path(project, &key_id)));
    obj.insert("name".into(), json!(key_id));
    obj.insert("display_name".into(), json!(field(key, "displayName")));
    obj.insert("uid".into(), json!(field(key, "uid")));
    let mut restrictions = restrictions_from_api(key);
    keep_fingerprint_spelling(&mut restrictions, obj.get("restrictions"));
    obj.insert("restrictions".into(), restrictions);
    obj
}

/// The fingerprint without colons, lowercase: how Google stores it.
fn canonical_fingerprint(f: &str) -> String {
    f.chars()
        .filter(|c| *c != ':')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Google accepts SHA-1 fingerprints with or without colons and answers without; where the
/// configuration's spelling means the same fingerprint, it is kept, so it never shows as drift.
fn keep_fingerprint_spelling(read: &mut Json, configured: Option<&Json>) {
    let path = |v: &Json, i: usize| -> Option<String> {
        v.get(0)?
            .get("android_key_restrictions")?
            .get(0)?
            .get("allowed_applications")?
            .get(i)?
            .get("sha1_fingerprint")?
            .as_str()
            .map(str::to_owned)
    };
    let Some(configured) = configured else {
        return;
    };
    let Some(apps) = read
        .get_mut(0)
        .and_then(|r| r.get_mut("android_key_restrictions"))
        .and_then(|a| a.get_mut(0))
        .and_then(|a| a.get_mut("allowed_applications"))
        .and_then(Json::as_array_mut)
    else {
        return;
    };
    for (i, app) in apps.iter_mut().enumerate() {
        let (Some(want), Some(got)) = (
            path(configured, i),
            app.get("sha1_fingerprint").and_then(Json::as_str),
        ) else {
            continue;
        };
        if want != got && canonical_fingerprint(&want) == canonical_fingerprint(got) {
            app["sha1_fingerprint"] = json!(want);
        }
    }
}

async fn key_string(g: &Google, project: &str, key_id: &str) -> Result<String> {
    let path = format!("v2/{}/keyString", key_path(project, key_id));
    let v = g
        .client()
        .get(Api::ApiKeys, &path)
        .await
        .map_err(|e| api_err(TY, &format!("read the key string of {key_id}"), e))?;
    v.get("keyString")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            ProviderError::new(format!("{TY}: {key_id}: the API returned no key string"))
        })
}

/// Every key of a project, one paged `keys.list` (with the soft-deleted ones if asked).
async fn list_all(
    g: &Google,
    project: &str,
    show_deleted: bool,
) -> std::result::Result<Vec<Json>, GoogleError> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let mut p = format!("v2/{}/keys?pageSize=300", parent(project));
        if show_deleted {
            p.push_str("&showDeleted=true");
        }
        if !token.is_empty() {
            p.push_str(&format!("&pageToken={}", encode_query(&token)));
        }
        let page = g.client().get(Api::ApiKeys, &p).await?;
        if let Some(keys) = page.get("keys").and_then(Json::as_array) {
            out.extend(keys.iter().cloned());
        }
        match page.get("nextPageToken").and_then(Json::as_str) {
            Some(t) if !t.is_empty() => token = t.to_owned(),
            _ => return Ok(out),
        }
    }
}

fn key_id(item: &Json) -> String {
    last_segment(item.get("name").and_then(Json::as_str).unwrap_or("")).to_owned()
}

/// Every live key of a project, keyed by key ID (names carry the project number, so the ID is
/// the stable part).
async fn list_keys(
    g: &Google,
    project: &str,
) -> std::result::Result<BTreeMap<String, Json>, GoogleError> {
    Ok(list_all(g, project, false)
        .await?
        .into_iter()
        .filter(|item| item.get("deleteTime").is_none())
        .map(|item| (key_id(&item), item))
        .filter(|(id, _)| !id.is_empty())
        .collect())
}

/// The IDs of a project's keys deleted less than 30 days ago (and not live again), from one
/// paged `keys.list?showDeleted=true`.
async fn deleted_key_ids(
    g: &Google,
    project: &str,
) -> std::result::Result<std::collections::BTreeSet<String>, GoogleError> {
    let (deleted, live): (Vec<Json>, Vec<Json>) = list_all(g, project, true)
        .await?
        .into_iter()
        .partition(|item| item.get("deleteTime").is_some());
    let live: std::collections::BTreeSet<String> = live.iter().map(key_id).collect();
    Ok(deleted
        .iter()
        .map(key_id)
        .filter(|id| !live.contains(id))
        .collect())
}

/// For keys planned for creation: "undeleted and updated" where the key ID belongs to a key
/// deleted less than 30 days ago, which `create` restores instead of creating (one list per
/// project). A project whose list fails (API Keys not enabled yet) gets no notes.
pub async fn creation_notes(
    g: &Google,
    planned: &[Map<String, Json>],
) -> Result<Vec<Option<String>>> {
    let mut deleted: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut out = Vec::with_capacity(planned.len());
    for p in planned {
        let (Ok(project), Some(key_id)) = (g.project_of(TY, p), str_attr(p, "name")) else {
            out.push(None);
            continue;
        };
        if !deleted.contains_key(&project) {
            let ids = deleted_key_ids(g, &project).await.unwrap_or_default();
            deleted.insert(project.clone(), ids);
        }
        let restorable = deleted.get(&project).is_some_and(|d| d.contains(&key_id));
        out.push(restorable.then(|| UNDELETE_NOTE.to_owned()));
    }
    Ok(out)
}

/// One list per project; `getKeyString` only where the state has no key string yet.
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut lists: BTreeMap<String, BTreeMap<String, Json>> = BTreeMap::new();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let project = g.project_of(TY, p)?;
        if !lists.contains_key(&project) {
            let l = list_keys(g, &project)
                .await
                .map_err(|e| api_err(TY, &format!("list keys of {project}"), e))?;
            lists.insert(project.clone(), l);
        }
        let key_id = required(p, TY, "name")?;
        let Some(found) = lists.get(&project).and_then(|l| l.get(&key_id)) else {
            out.push(None);
            continue;
        };
        let mut obj = finish(p.clone(), &project, found);
        if str_attr(p, "key_string").is_none() {
            let ks = key_string(g, &project, &key_id).await?;
            obj.insert("key_string".into(), json!(ks));
        }
        out.push(Some(obj));
    }
    Ok(out)
}

fn create_body(planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let mut body = Map::new();
    if let Some(d) = str_attr(planned, "display_name") {
        body.insert("displayName".into(), json!(d));
    }
    if let Some(r) = restrictions_to_api(planned)? {
        body.insert("restrictions".into(), r);
    }
    Ok(body)
}

/// Creates the key; when its ID belongs to a key deleted less than 30 days ago (Google keeps
/// it reserved and answers 409), undeletes that key and patches it to the configuration.
pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    let key_id = required(planned, TY, "name")?;
    let body = Json::Object(create_body(planned)?);
    let timeout = operation::timeout_of(planned, "create");
    let path = format!(
        "v2/{}/keys?keyId={}",
        parent(&project),
        encode_query(&key_id)
    );
    match call_lro(g, reqwest::Method::POST, &path, Some(&body), timeout).await {
        Ok(key) => {
            let mut obj = finish(planned.clone(), &project, &key);
            // The create operation's result carries the key string; read it otherwise.
            let ks = match key.get("keyString").and_then(Json::as_str) {
                Some(s) if !s.is_empty() => s.to_owned(),
                _ => key_string(g, &project, &key_id).await?,
            };
            obj.insert("key_string".into(), json!(ks));
            Ok(obj)
        }
        Err(e) if e.code == 409 => undelete_and_update(g, planned, &project, &key_id, e).await,
        Err(e) => Err(api_err(TY, &format!("create {key_id} in {project}"), e)),
    }
}

/// The creation the plan announced as an undelete: reads the key and, while it is still
/// soft-deleted, undeletes and patches it without trying a create first; otherwise (someone
/// purged or restored it since the plan) a plain create, which handles either case.
pub async fn restore(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    let key_id = required(planned, TY, "name")?;
    let path = format!("v2/{}", key_path(&project, &key_id));
    match g.client().get(Api::ApiKeys, &path).await {
        Ok(k) if k.get("deleteTime").is_some() => {
            let why = GoogleError::local(409, "ALREADY_EXISTS", "the key ID is soft-deleted");
            undelete_and_update(g, planned, &project, &key_id, why).await
        }
        _ => create(g, planned).await,
    }
}

async fn undelete_and_update(
    g: &Google,
    planned: &Map<String, Json>,
    project: &str,
    key_id: &str,
    conflict: GoogleError,
) -> Result<Map<String, Json>> {
    let path = format!("v2/{}", key_path(project, key_id));
    let existing = g
        .client()
        .get(Api::ApiKeys, &path)
        .await
        .map_err(|e| api_err(TY, &format!("read {key_id} after a conflict"), e))?;
    if existing.get("deleteTime").is_none() {
        return Err(ProviderError::new(format!(
            "{TY}: create {key_id} in {project}: a key with this ID already exists ({}) and is not \
             managed by this state; delete it or choose another name. Google said: {conflict}",
            key_path(project, key_id)
        ))
        .already_exists());
    }
    let timeout = operation::timeout_of(planned, "create");
    call_lro(
        g,
        reqwest::Method::POST,
        &format!("{path}:undelete"),
        Some(&json!({})),
        timeout,
    )
    .await
    .map_err(|e| api_err(TY, &format!("undelete {key_id}"), e))?;
    let body = Json::Object(create_body(planned)?);
    let key = call_lro(
        g,
        reqwest::Method::PATCH,
        &format!("{path}?updateMask=displayName,restrictions"),
        Some(&body),
        timeout,
    )
    .await
    .map_err(|e| api_err(TY, &format!("update undeleted {key_id}"), e))?;
    let mut obj = finish(planned.clone(), project, &key);
    obj.insert(
        "key_string".into(),
        json!(key_string(g, project, key_id).await?),
    );
    Ok(obj)
}

pub async fn update(
    g: &Google,
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, prior)?;
    let key_id = required(prior, TY, "name")?;
    let mut mask = Vec::new();
    let mut body = Map::new();
    let (want_d, had_d) = (
        str_attr(planned, "display_name"),
        str_attr(prior, "display_name"),
    );
    if want_d != had_d {
        mask.push("displayName");
        if let Some(d) = want_d {
            body.insert("displayName".into(), json!(d));
        }
    }
    let (want_r, had_r) = (restrictions_to_api(planned)?, restrictions_to_api(prior)?);
    if want_r != had_r {
        mask.push("restrictions");
        if let Some(r) = want_r {
            body.insert("restrictions".into(), r);
        }
    }
    let key = if mask.is_empty() {
        // Nothing the API can change differs: read it back as it is.
        g.client()
            .get(Api::ApiKeys, &format!("v2/{}", key_path(&project, &key_id)))
            .await
            .map_err(|e| api_err(TY, &format!("read {key_id}"), e))?
    } else {
        let path = format!(
            "v2/{}?updateMask={}",
            key_path(&project, &key_id),
            encode_query(&mask.join(","))
        );
        call_lro(
            g,
            reqwest::Method::PATCH,
            &path,
            Some(&Json::Object(body)),
            operation::timeout_of(planned, "update"),
        )
        .await
        .map_err(|e| api_err(TY, &format!("update {key_id}"), e))?
    };
    let mut obj = finish(planned.clone(), &project, &key);
    let ks = match str_attr(prior, "key_string") {
        Some(s) => s,
        None => key_string(g, &project, &key_id).await?,
    };
    obj.insert("key_string".into(), json!(ks));
    Ok(obj)
}

/// Soft delete: Google keeps the key (and its ID) for 30 days; `create` undeletes it.
pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    let project = g.project_of(TY, prior)?;
    let key_id = required(prior, TY, "name")?;
    let path = format!("v2/{}", key_path(&project, &key_id));
    match call_lro(
        g,
        reqwest::Method::DELETE,
        &path,
        None,
        operation::timeout_of(prior, "delete"),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(api_err(TY, &format!("delete {key_id}"), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn restrictions_round_trip_through_the_api_shape() {
        let block = json!([{
            "api_targets": [{"service": "a.googleapis.com", "methods": ["Get*"]}],
            "browser_key_restrictions": [],
            "server_key_restrictions": [{"allowed_ips": ["10.0.0.0/8"]}],
            "android_key_restrictions": [],
            "ios_key_restrictions": [],
        }]);
        let api = restrictions_to_api(&obj(json!({ "restrictions": block.clone() })));
        let api = match api {
            Ok(Some(a)) => a,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            api,
            json!({
                "apiTargets": [{"service": "a.googleapis.com", "methods": ["Get*"]}],
                "serverKeyRestrictions": {"allowedIps": ["10.0.0.0/8"]},
            })
        );
        assert_eq!(
            restrictions_from_api(&json!({ "restrictions": api })),
            block
        );
        assert_eq!(restrictions_from_api(&json!({})), json!([]));
    }

    #[test]
    fn fingerprints_keep_the_configured_spelling() {
        let app = |f: &str| {
            json!([{"android_key_restrictions": [{"allowed_applications": [
                {"package_name": "p", "sha1_fingerprint": f}
            ]}]}])
        };
        let configured = app("DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09");
        let mut read = app("da39a3ee5e6b4b0d3255bfef95601890afd80709");
        keep_fingerprint_spelling(&mut read, Some(&configured));
        assert_eq!(read, configured);
        let mut other = app("0000000000000000000000000000000000000000");
        keep_fingerprint_spelling(&mut other, Some(&configured));
        assert_eq!(other, app("0000000000000000000000000000000000000000"));
    }

    #[test]
    fn two_client_restriction_kinds_are_refused() {
        let o = obj(json!({"restrictions": [{
            "browser_key_restrictions": [{"allowed_referrers": ["a"]}],
            "ios_key_restrictions": [{"allowed_bundle_ids": ["b"]}],
        }]}));
        let e = restrictions_to_api(&o).expect_err("two kinds");
        assert!(e.message.contains("only one"), "{}", e.message);
    }
}
