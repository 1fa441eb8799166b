//! `google_api_gateway_api_config` (API Gateway v1): create with OpenAPI documents and the
//! gateway's backend account, patch display name/labels, delete; refresh with one list per API.
//!
//! Configs are immutable, so a changed document is a new config: the schema asks for
//! create-before-destroy, and an ID the user did not choose is derived from the content, so the
//! replacement gets a fresh ID while an unchanged config keeps its own.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use super::api_gateway_api::{
    call_lro, display_and_labels_patch, field, labels_from, labels_of, last_segment, list_all,
};
use super::client::{encode_query, Api, GoogleError};
use super::{api_err, required, str_attr, Google};
use crate::providers::{ProviderError, Result};

const TY: &str = "google_api_gateway_api_config";

/// API config IDs: at most 63 characters (reference §6).
const MAX_ID: usize = 63;

/// The API's ID from the `api` argument, which may also be the API's full resource name.
fn api_id(obj: &Map<String, Json>) -> Result<String> {
    Ok(last_segment(&required(obj, TY, "api")?).to_owned())
}

fn parent(project: &str, api: &str) -> String {
    format!("projects/{project}/locations/global/apis/{api}")
}

/// `(path, contents)` of each `openapi_documents { document { ... } }`.
fn documents(obj: &Map<String, Json>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for d in obj
        .get("openapi_documents")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        for doc in d
            .get("document")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let s = |k: &str| doc.get(k).and_then(Json::as_str).unwrap_or_default();
            out.push((s("path").to_owned(), s("contents").to_owned()));
        }
    }
    out
}

/// `gateway_config.backend_config.google_service_account`, if set.
fn backend_account(obj: &Map<String, Json>) -> Option<String> {
    obj.get("gateway_config")
        .and_then(Json::as_array)?
        .first()?
        .get("backend_config")
        .and_then(Json::as_array)?
        .first()?
        .get("google_service_account")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A config ID derived from what makes a config immutable (documents and backend account):
/// `<prefix>-<8 hex digits of a SHA-256>`, the prefix cut so the whole fits in 63 characters.
/// `attempt` > 0 adds a counter, for when the derived ID is taken by the config being replaced
/// (a forced replacement of unchanged content; see [`prepare`]).
pub fn derived_id(prefix: &str, docs: &[(String, String)], account: &str, attempt: u32) -> String {
    let mut h = Sha256::new();
    for (path, contents) in docs {
        // Separators keep ("ab","c") and ("a","bc") apart.
        h.update(path.as_bytes());
        h.update([0u8]);
        h.update(contents.as_bytes());
        h.update([0u8]);
    }
    h.update(account.as_bytes());
    let digest = hex::encode(h.finalize());
    let short = digest.get(..8).unwrap_or(&digest);
    let suffix = if attempt == 0 {
        format!("-{short}")
    } else {
        format!("-{short}-{attempt}")
    };
    // A prefix from `api_config_id_prefix` usually ends with its own dash.
    let prefix = prefix.trim_end_matches('-');
    let keep = MAX_ID.saturating_sub(suffix.len());
    let cut: String = prefix.chars().take(keep).collect();
    format!("{}{suffix}", cut.trim_end_matches('-'))
}

fn finish(mut obj: Map<String, Json>, project: &str, cfg: &Json) -> Map<String, Json> {
    let name = field(cfg, "name");
    obj.insert("project".into(), json!(project));
    obj.insert("api_config_id".into(), json!(last_segment(&name)));
    obj.insert("id".into(), json!(name));
    obj.insert("name".into(), json!(name));
    obj.insert("display_name".into(), json!(field(cfg, "displayName")));
    obj.insert("labels".into(), labels_from(cfg));
    obj.insert(
        "service_config_id".into(),
        json!(field(cfg, "serviceConfigId")),
    );
    let sa = field(cfg, "gatewayServiceAccount");
    let gateway_config = if sa.is_empty() {
        json!([])
    } else {
        json!([{"backend_config": [{"google_service_account": sa}]}])
    };
    obj.insert("gateway_config".into(), gateway_config);
    // Lists and the basic view leave the documents out (reference §6.1): keep the known ones;
    // the documents cannot change in place anyway.
    if let Some(docs) = cfg.get("openapiDocuments").and_then(Json::as_array) {
        let docs: Vec<Json> = docs
            .iter()
            .map(|d| {
                let doc = d.get("document").cloned().unwrap_or_else(|| json!({}));
                json!({"document": [{
                    "path": field(&doc, "path"),
                    "contents": field(&doc, "contents"),
                }]})
            })
            .collect();
        obj.insert("openapi_documents".into(), Json::Array(docs));
    }
    obj
}

/// One list per API (configs live under their API).
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut lists: BTreeMap<String, BTreeMap<String, Json>> = BTreeMap::new();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let project = g.project_of(TY, p)?;
        let parent = parent(&project, &api_id(p)?);
        if !lists.contains_key(&parent) {
            let l = match list_all(g, &format!("v1/{parent}/configs"), "apiConfigs").await {
                Ok(l) => l,
                // The API itself is gone, and its configs with it.
                Err(e) if e.code == 404 => BTreeMap::new(),
                Err(e) => return Err(api_err(TY, &format!("list configs of {parent}"), e)),
            };
            lists.insert(parent.clone(), l);
        }
        let name = str_attr(p, "name").unwrap_or_else(|| {
            format!(
                "{parent}/configs/{}",
                str_attr(p, "api_config_id").unwrap_or_default()
            )
        });
        let found = lists.get(&parent).and_then(|l| l.get(&name));
        out.push(found.map(|c| finish(p.clone(), &project, c)));
    }
    Ok(out)
}

/// The object with its OpenAPI documents, read with the full view (lists and the basic view
/// leave them out): an import has no prior documents to keep.
pub async fn with_documents(g: &Google, found: Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, &found)?;
    let name = required(&found, TY, "name")?;
    let cfg = g
        .client()
        .get(Api::ApiGateway, &format!("v1/{name}?view=FULL"))
        .await
        .map_err(|e| api_err(TY, &format!("read {name}"), e))?;
    Ok(finish(found, &project, &cfg))
}

/// The config exactly as it will be created, its ID chosen before anything is sent (apply
/// records it in state first): the user's `api_config_id`, or one derived from the content.
/// A derived ID that is already taken belongs to the config being replaced (a forced
/// replacement of unchanged content), so the next free counter is taken instead — decided
/// here by a read, never by answering a refused create with another ID.
pub async fn prepare(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    if str_attr(planned, "api_config_id").is_some() {
        if str_attr(planned, "api_config_id_prefix").is_some() {
            return Err(ProviderError::new(format!(
                "{TY}: `api_config_id` and `api_config_id_prefix` conflict: set at most one"
            )));
        }
        return Ok(planned.clone());
    }
    let project = g.project_of(TY, planned)?;
    let api = api_id(planned)?;
    let parent = parent(&project, &api);
    let docs = documents(planned);
    let account = backend_account(planned).unwrap_or_default();
    let prefix = str_attr(planned, "api_config_id_prefix").unwrap_or_else(|| api.clone());
    for attempt in 0..20 {
        let id = derived_id(&prefix, &docs, &account, attempt);
        let path = format!("v1/{parent}/configs/{id}");
        match g.client().get(Api::ApiGateway, &path).await {
            Err(e) if e.code == 404 => {
                let mut out = planned.clone();
                out.insert("api_config_id".into(), json!(id));
                return Ok(out);
            }
            Ok(_) => continue,
            Err(e) => return Err(api_err(TY, &format!("read {parent}/configs/{id}"), e)),
        }
    }
    Err(ProviderError::new(format!(
        "{TY}: 20 configs with the content of this one already exist under {parent}: delete \
         the ones no gateway uses, or set `api_config_id`"
    )))
}

pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let prepared;
    let planned = if str_attr(planned, "api_config_id").is_some() {
        planned
    } else {
        prepared = prepare(g, planned).await?;
        &prepared
    };
    let project = g.project_of(TY, planned)?;
    let api = api_id(planned)?;
    let docs = documents(planned);
    let account = backend_account(planned);
    let id = required(planned, TY, "api_config_id")?;
    let mut body = Map::new();
    if let Some(d) = str_attr(planned, "display_name") {
        body.insert("displayName".into(), json!(d));
    }
    let labels = labels_of(planned);
    if !labels.is_empty() {
        body.insert("labels".into(), Json::Object(labels));
    }
    if let Some(sa) = &account {
        body.insert("gatewayServiceAccount".into(), json!(sa));
    }
    body.insert(
        "openapiDocuments".into(),
        Json::Array(
            docs.iter()
                .map(|(path, contents)| json!({"document": {"path": path, "contents": contents}}))
                .collect(),
        ),
    );
    let body = Json::Object(body);
    let parent = parent(&project, &api);
    let path = format!("v1/{parent}/configs?apiConfigId={}", encode_query(&id));
    match call_lro(g, reqwest::Method::POST, &path, Some(&body)).await {
        Ok(cfg) => Ok(finish(planned.clone(), &project, &cfg)),
        Err(e) => Err(create_err(&id, &parent, e)),
    }
}

fn create_err(id: &str, parent: &str, e: GoogleError) -> ProviderError {
    let taken = e.status == "ALREADY_EXISTS";
    let mut err = api_err(TY, &format!("create {id} under {parent}"), e);
    if taken {
        // A replacement is created before the old config is deleted, so a fixed ID collides.
        err.message.push_str(
            "\nA changed config is created before the old one is deleted, so it needs a new ID: \
             remove `api_config_id` (keyway then derives one from the content) or use \
             `api_config_id_prefix`.",
        );
    }
    err
}

pub async fn update(
    g: &Google,
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, prior)?;
    let name = required(prior, TY, "name")?;
    let (mut mask, mut body) = (Vec::new(), Map::new());
    display_and_labels_patch(prior, planned, &mut mask, &mut body);
    // The update response holds the documents only in the full view; start from the prior so
    // the documents and the generated ID are kept.
    let mut base = prior.clone();
    for (k, v) in planned {
        if !v.is_null() {
            base.insert(k.clone(), v.clone());
        }
    }
    if mask.is_empty() {
        return Ok(base);
    }
    let path = format!("v1/{name}?updateMask={}", encode_query(&mask.join(",")));
    let cfg = call_lro(g, reqwest::Method::PATCH, &path, Some(&Json::Object(body)))
        .await
        .map_err(|e| api_err(TY, &format!("update {name}"), e))?;
    Ok(finish(base, &project, &cfg))
}

pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    let project = g.project_of(TY, prior)?;
    let name = match str_attr(prior, "name") {
        Some(n) => n,
        None => format!(
            "{}/configs/{}",
            parent(&project, &api_id(prior)?),
            required(prior, TY, "api_config_id")?
        ),
    };
    match call_lro(g, reqwest::Method::DELETE, &format!("v1/{name}"), None).await {
        Ok(_) => Ok(()),
        // Already gone: the goal is reached.
        Err(e) if e.code == 404 => Ok(()),
        Err(e) if e.status == "FAILED_PRECONDITION" => Err(ProviderError::new(format!(
            "{TY}: delete {name}: {e}\nA config still served by a gateway cannot be deleted: \
             point the gateway at another config (or delete it) first."
        ))),
        Err(e) => Err(api_err(TY, &format!("delete {name}"), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(c: &str) -> Vec<(String, String)> {
        vec![("openapi.yaml".into(), c.into())]
    }

    #[test]
    fn derived_ids_follow_the_content() {
        let a = derived_id("hello", &docs("AAAA"), "sa@p.iam.gserviceaccount.com", 0);
        assert_eq!(
            a,
            derived_id("hello", &docs("AAAA"), "sa@p.iam.gserviceaccount.com", 0)
        );
        assert!(
            a.starts_with("hello-") && a.len() == "hello-".len() + 8,
            "{a}"
        );
        assert_ne!(
            a,
            derived_id("hello", &docs("AAAB"), "sa@p.iam.gserviceaccount.com", 0)
        );
        assert_ne!(a, derived_id("hello", &docs("AAAA"), "other@p", 0));
        assert_ne!(
            a,
            derived_id("hello", &docs("AAAA"), "sa@p.iam.gserviceaccount.com", 1)
        );
    }

    #[test]
    fn derived_ids_fit_the_limit() {
        let long = "a".repeat(80);
        let id = derived_id(&long, &docs("x"), "", 3);
        assert!(id.len() <= MAX_ID, "{id}");
        assert_eq!(
            derived_id("cfg-", &docs("x"), "", 0).matches("--").count(),
            0
        );
    }
}
