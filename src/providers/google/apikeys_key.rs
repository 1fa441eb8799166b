//! `google_apikeys_key` (API Keys v2, location `global`): create, patch display name and
//! restrictions, soft delete. Refresh: one paged list per project, plus `getKeyString` only for
//! keys whose state lacks the (sensitive) key string.
//!
//! Key rotation rule. Google has no "new key string" call, and keeps a deleted key's ID
//! reserved for 30 days (undelete restores it, with its old string). A key is replaced because
//! its string leaked, so a replacement (`-replace`, a forcing change) is always a new key: under
//! `name` when that ID is free, else under the next free `name-2`, `name-3`, ... (shortened to
//! 63 characters). `name` stays the configured name; `id` holds the key's real path, which
//! refresh, update and delete use. Only a creation the plan announced as `undeleted and updated
//! (same key string as before)` — the folder's key was destroyed, or its state lost — undeletes,
//! and then the most recently deleted key of the name. A plain create meeting a reserved ID
//! (the plan could not tell) also makes a new key rather than bring back an old string.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as Json};

use super::api_gateway_api::{field, last_segment};
use super::client::{encode_query, Api, GoogleError};
use super::{api_err, operation, required, str_attr, Google};
use crate::providers::{Creation, ProviderError, Result};

const TY: &str = "google_apikeys_key";

/// The plan's word for a creation that restores a soft-deleted key of the same name.
pub const UNDELETE_NOTE: &str = "undeleted and updated (same key string as before)";

/// How the plan's note on a replaced key starts; `create_as_noted` recognises it.
pub const ROTATE_NOTE: &str = "the new key gets a new key string";

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

/// Sends a call answering with a long-running operation and waits for it, re-sending it when
/// the operation fails transiently (API Keys polls `v2/operations/...`).
async fn call_lro(
    g: &Google,
    method: reqwest::Method,
    path: &str,
    body: Option<&Json>,
    timeout: std::time::Duration,
) -> std::result::Result<Json, GoogleError> {
    let r = operation::Request {
        api: Api::ApiKeys,
        version: "v2",
        method,
        path,
        body,
        timeout,
    };
    operation::call_and_wait(g.client(), r).await
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

/// The key's ID at Google: the last segment of `id` (after a replacement it is `name-N`), or
/// `name` for an object not created yet.
fn key_id_of(obj: &Map<String, Json>) -> Result<String> {
    match str_attr(obj, "id") {
        Some(id) if !last_segment(&id).is_empty() => Ok(last_segment(&id).to_owned()),
        _ => required(obj, TY, "name"),
    }
}

/// The state object from the API's key; `key_string` is set by the caller. `name` stays the
/// configured one (the key's real ID may be a derived one, kept in `id`).
fn finish(mut obj: Map<String, Json>, project: &str, key: &Json) -> Map<String, Json> {
    let key_id = last_segment(&field(key, "name")).to_owned();
    let key_id = if key_id.is_empty() {
        key_id_of(&obj).unwrap_or_default()
    } else {
        key_id
    };
    obj.insert("project".into(), json!(project));
    obj.insert("id".into(), json!(key_path(project, &key_id)));
    if str_attr(&obj, "name").is_none() {
        obj.insert("name".into(), json!(key_id));
    }
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

/// `name-n` (n ≥ 2), shortened so it keeps to the 63 characters of a key ID.
fn derived_id(name: &str, n: u32) -> String {
    let suffix = format!("-{n}");
    let base: String = name.chars().take(63 - suffix.len()).collect();
    format!("{}{suffix}", base.trim_end_matches('-'))
}

/// True if `id` is `name` or one of the IDs its replacements get.
fn of_name(name: &str, id: &str) -> bool {
    id == name
        || id
            .rsplit_once('-')
            .and_then(|(_, n)| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 2 && derived_id(name, n) == id)
}

/// The first of `name`, `name-2`, `name-3`, ... that no key of the project holds, live or
/// deleted (a deleted key keeps its ID reserved for 30 days).
fn free_id(name: &str, taken: &BTreeSet<String>) -> String {
    (1..)
        .map(|n| match n {
            1 => name.to_owned(),
            n => derived_id(name, n),
        })
        .find(|id| !taken.contains(id))
        .unwrap_or_else(|| name.to_owned())
}

/// The key of `name` a re-creation restores: the most recently deleted one (the string last
/// in use), unless a key of the name is live.
fn restorable(items: &[Json], name: &str) -> Option<String> {
    let ours = items.iter().filter(|i| of_name(name, &key_id(i)));
    let (deleted, live): (Vec<&Json>, Vec<&Json>) =
        ours.partition(|i| i.get("deleteTime").is_some());
    if !live.is_empty() {
        return None;
    }
    deleted
        .into_iter()
        .max_by_key(|i| field(i, "deleteTime"))
        .map(key_id)
}

/// The plan's note on a replaced key: the ID the new key gets and why.
fn rotation_note(name: &str, items: Option<&[Json]>) -> String {
    let Some(items) = items else {
        return format!("{ROTATE_NOTE}; the old one stops working");
    };
    let taken: BTreeSet<String> = items.iter().map(key_id).collect();
    match free_id(name, &taken) {
        id if id == name => format!("{ROTATE_NOTE}; the old one stops working"),
        id => format!(
            "{ROTATE_NOTE} under the key ID `{id}`: `{name}` stays with the old key, as Google \
             keeps a deleted key's ID reserved for 30 days; the old key string stops working"
        ),
    }
}

/// For keys planned for creation: a replacement says it makes a new key string (and under
/// which ID); a plain creation of a name whose key was deleted less than 30 days ago says it
/// undeletes it (same key string as before). One list per project; a project whose list fails
/// (API Keys not enabled yet) gets no undelete notes.
pub async fn creation_notes(
    g: &Google,
    planned: &[Creation<Map<String, Json>>],
) -> Result<Vec<Option<String>>> {
    let mut lists: BTreeMap<String, Option<Vec<Json>>> = BTreeMap::new();
    let mut out = Vec::with_capacity(planned.len());
    for c in planned {
        let (Ok(project), Some(name)) =
            (g.project_of(TY, &c.planned), str_attr(&c.planned, "name"))
        else {
            out.push(c.replaces.then(|| rotation_note("", None)));
            continue;
        };
        if !lists.contains_key(&project) {
            let items = list_all(g, &project, true).await.ok();
            lists.insert(project.clone(), items);
        }
        let items = lists.get(&project).and_then(Option::as_deref);
        out.push(match (c.replaces, items) {
            (true, items) => Some(rotation_note(&name, items)),
            (false, Some(items)) => restorable(items, &name).map(|_| UNDELETE_NOTE.to_owned()),
            (false, None) => None,
        });
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
        let key_id = key_id_of(p)?;
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

/// Creates the key under `name`. A live key of that ID is a conflict; a deleted one keeps the ID
/// reserved, and restoring it would bring back an old key string the plan did not announce, so
/// the key is made under the next free ID instead (see the module's rotation rule).
pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    if let Some(id) = prepared_id(planned) {
        return create_prepared(g, planned, &project, &id).await;
    }
    let name = required(planned, TY, "name")?;
    match create_as(g, planned, &project, &name).await {
        Ok(key) => created(g, planned, &project, key).await,
        Err(e) if e.code == 409 => {
            let path = format!("v2/{}", key_path(&project, &name));
            match g.client().get(Api::ApiKeys, &path).await {
                Ok(k) if k.get("deleteTime").is_some() => rotate(g, planned).await,
                _ => Err(taken(&project, &name, &e)),
            }
        }
        Err(e) => Err(api_err(TY, &format!("create {name} in {project}"), e)),
    }
}

fn taken(project: &str, key_id: &str, conflict: &GoogleError) -> ProviderError {
    if conflict.resent {
        // Perhaps our own first attempt: the pending creation stays for the next run.
        return api_err(
            TY,
            &format!("create {key_id} in {project}"),
            conflict.clone(),
        );
    }
    ProviderError::new(format!(
        "{TY}: create {key_id} in {project}: a key with this ID already exists ({}) and is not \
         managed by this state; delete it or choose another name. Google said: {conflict}",
        key_path(project, key_id)
    ))
    .already_exists()
}

/// The key exactly as it will be created, its ID chosen before anything is sent (apply
/// records it in state first, so a run killed mid-create finds the key by that ID): for the
/// undelete the plan announced, the key it restores; for a replacement, or when a deleted key
/// still reserves `name`, the next free `name-N`; otherwise `name` (a live key of that ID is
/// someone else's, and the create says so).
pub async fn prepare(
    g: &Google,
    planned: &Map<String, Json>,
    note: Option<&str>,
) -> Result<Map<String, Json>> {
    if prepared_id(planned).is_some() {
        return Ok(planned.clone());
    }
    let project = g.project_of(TY, planned)?;
    let name = required(planned, TY, "name")?;
    let items = list_all(g, &project, true)
        .await
        .map_err(|e| api_err(TY, &format!("list keys of {project}"), e))?;
    let all: BTreeSet<String> = items.iter().map(key_id).collect();
    let live = items
        .iter()
        .any(|i| key_id(i) == name && i.get("deleteTime").is_none());
    let id = match note {
        Some(UNDELETE_NOTE) => restorable(&items, &name).unwrap_or_else(|| free_id(&name, &all)),
        Some(n) if n.starts_with(ROTATE_NOTE) => free_id(&name, &all),
        _ if live => name,
        _ => free_id(&name, &all),
    };
    let mut out = planned.clone();
    out.insert("id".into(), json!(key_path(&project, &id)));
    Ok(out)
}

/// The key ID [`prepare`] chose, if it ran.
fn prepared_id(planned: &Map<String, Json>) -> Option<String> {
    str_attr(planned, "id").map(|id| last_segment(&id).to_owned())
}

/// Creates the key under the ID chosen beforehand. A 409 means the ID is someone else's:
/// answering it with another ID would leave the recorded one pointing at nothing.
async fn create_prepared(
    g: &Google,
    planned: &Map<String, Json>,
    project: &str,
    id: &str,
) -> Result<Map<String, Json>> {
    match create_as(g, planned, project, id).await {
        Ok(key) => created(g, planned, project, key).await,
        Err(e) if e.code == 409 => Err(taken(project, id, &e)),
        Err(e) => Err(api_err(TY, &format!("create {id} in {project}"), e)),
    }
}

/// The creation half of a replacement: always a new key, so a new key string, under `name` if
/// no key (live or deleted) holds it, else under the next free `name-N`.
pub async fn rotate(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    if let Some(id) = prepared_id(planned) {
        return create_prepared(g, planned, &project, &id).await;
    }
    let name = required(planned, TY, "name")?;
    let mut taken: BTreeSet<String> = list_all(g, &project, true)
        .await
        .map_err(|e| api_err(TY, &format!("list keys of {project}"), e))?
        .iter()
        .map(key_id)
        .collect();
    // Someone may take the chosen ID meanwhile: move on to the next one a few times.
    for _ in 0..5 {
        let id = free_id(&name, &taken);
        match create_as(g, planned, &project, &id).await {
            Ok(key) => return created(g, planned, &project, key).await,
            Err(e) if e.code == 409 => taken.insert(id),
            Err(e) => return Err(api_err(TY, &format!("create {id} in {project}"), e)),
        };
    }
    Err(ProviderError::new(format!(
        "{TY}: create a new key for {name} in {project}: every key ID tried was taken"
    )))
}

/// `keys.create` under `key_id`; the operation's result is the key.
async fn create_as(
    g: &Google,
    planned: &Map<String, Json>,
    project: &str,
    key_id: &str,
) -> std::result::Result<Json, GoogleError> {
    let body = Json::Object(
        create_body(planned).map_err(|e| GoogleError::local(400, "INVALID_ARGUMENT", e.message))?,
    );
    let path = format!("v2/{}/keys?keyId={}", parent(project), encode_query(key_id));
    let timeout = operation::timeout_of(planned, "create");
    call_lro(g, reqwest::Method::POST, &path, Some(&body), timeout).await
}

/// The state object of a key just created, with its key string.
async fn created(
    g: &Google,
    planned: &Map<String, Json>,
    project: &str,
    key: Json,
) -> Result<Map<String, Json>> {
    let mut obj = finish(planned.clone(), project, &key);
    // The create operation's result carries the key string; read it otherwise.
    let ks = match key.get("keyString").and_then(Json::as_str) {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => key_string(g, project, &key_id_of(&obj)?).await?,
    };
    obj.insert("key_string".into(), json!(ks));
    Ok(obj)
}

/// The creation the plan announced as an undelete: restores the most recently deleted key of
/// the name (the key string last in use) and patches it to the configuration, without trying
/// a create first; when there is none any more (purged, or restored since the plan), a plain
/// create.
pub async fn restore(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    let name = required(planned, TY, "name")?;
    let items = list_all(g, &project, true)
        .await
        .map_err(|e| api_err(TY, &format!("list keys of {project}"), e))?;
    let chosen = prepared_id(planned);
    match restorable(&items, &name) {
        Some(key_id) if chosen.as_ref().is_none_or(|c| *c == key_id) => {
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
        return Err(taken(project, key_id, &conflict));
    }
    let body = Json::Object(create_body(planned)?);
    let timeout = operation::timeout_of(planned, "create");
    let undeleted = call_lro(
        g,
        reqwest::Method::POST,
        &format!("{path}:undelete"),
        Some(&json!({})),
        timeout,
    )
    .await;
    if let Err(e) = undeleted {
        // Re-sent after a failed operation that did restore the key, an undelete is refused:
        // a live key means it happened.
        let live = g.client().get(Api::ApiKeys, &path).await;
        if !live.is_ok_and(|k| k.get("deleteTime").is_none()) {
            return Err(api_err(TY, &format!("undelete {key_id}"), e));
        }
    }
    let restored = update_restored(g, planned, project, key_id, &body).await;
    if restored.is_err() {
        // The key is live again but would be in no state: delete it back (best effort), so
        // the next apply restores it instead of meeting a key it does not manage.
        let _ = call_lro(g, reqwest::Method::DELETE, &path, None, timeout).await;
    }
    restored
}

/// Patches a key just undeleted to the configuration and reads its key string.
async fn update_restored(
    g: &Google,
    planned: &Map<String, Json>,
    project: &str,
    key_id: &str,
    body: &Json,
) -> Result<Map<String, Json>> {
    let path = format!("v2/{}", key_path(project, key_id));
    let key = call_lro(
        g,
        reqwest::Method::PATCH,
        &format!("{path}?updateMask=displayName,restrictions"),
        Some(body),
        operation::timeout_of(planned, "create"),
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
    let key_id = key_id_of(prior)?;
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

/// Soft delete: Google keeps the key (and its ID) for 30 days; a creation the plan announced
/// as an undelete restores it.
pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    let project = g.project_of(TY, prior)?;
    let key_id = key_id_of(prior)?;
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
    fn replacements_take_the_next_free_derived_id() {
        assert_eq!(derived_id("k", 2), "k-2");
        let long = "a".repeat(62) + "b";
        assert_eq!(derived_id(&long, 12).len(), 63);
        assert!(of_name(&long, &derived_id(&long, 12)));
        assert!(of_name("k", "k") && of_name("k", "k-3"));
        assert!(!of_name("k", "k-1") && !of_name("k", "kk-2") && !of_name("k", "k-x"));
        let taken: BTreeSet<String> = ["k", "k-2", "other"].map(String::from).into();
        assert_eq!(free_id("k", &taken), "k-3");
        assert_eq!(free_id("fresh", &taken), "fresh");
    }

    #[test]
    fn re_creation_restores_the_key_deleted_last_unless_one_is_live() {
        let key = |id: &str, deleted: Option<&str>| match deleted {
            Some(t) => {
                json!({"name": format!("projects/1/locations/global/keys/{id}"), "deleteTime": t})
            }
            None => json!({"name": format!("projects/1/locations/global/keys/{id}")}),
        };
        let items = vec![
            key("k", Some("2026-01-01T00:00:00Z")),
            key("k-2", Some("2026-01-02T00:00:00Z")),
            key("other", Some("2026-01-03T00:00:00Z")),
        ];
        assert_eq!(restorable(&items, "k").as_deref(), Some("k-2"));
        assert_eq!(restorable(&items, "none"), None);
        let mut live = items.clone();
        live.push(key("k-3", None));
        assert_eq!(restorable(&live, "k"), None);
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
