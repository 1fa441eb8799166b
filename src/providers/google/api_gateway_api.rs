//! `google_api_gateway_api` (API Gateway v1, global): create, patch display name/labels,
//! delete; refresh with one paged list per project. Also holds the helpers the three API
//! Gateway modules share (paged lists, long-running calls, labels), so the shared client stays
//! untouched.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::client::{encode_query, Api, GoogleError};
use super::{api_err, operation, required, str_attr, Google};
use crate::providers::Result;

const TY: &str = "google_api_gateway_api";

/// Every item of a paged API Gateway list (`field` is `apis`, `apiConfigs` or `gateways`),
/// keyed by resource name.
pub(crate) async fn list_all(
    g: &Google,
    path: &str,
    field: &str,
) -> std::result::Result<BTreeMap<String, Json>, GoogleError> {
    let mut out = BTreeMap::new();
    let mut token = String::new();
    loop {
        let mut p = format!("{path}?pageSize=500");
        if !token.is_empty() {
            p.push_str(&format!("&pageToken={}", encode_query(&token)));
        }
        let page = g.client().get(Api::ApiGateway, &p).await?;
        for item in page
            .get(field)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = item.get("name").and_then(Json::as_str) {
                out.insert(name.to_owned(), item.clone());
            }
        }
        match page.get("nextPageToken").and_then(Json::as_str) {
            Some(t) if !t.is_empty() => token = t.to_owned(),
            _ => return Ok(out),
        }
    }
}

/// Sends a call that answers with a long-running operation and waits for it (re-sent when the
/// operation fails transiently); returns the operation's response (the resource, or `{}` for
/// deletes).
pub(crate) async fn call_lro(
    g: &Google,
    method: reqwest::Method,
    path: &str,
    body: Option<&Json>,
) -> std::result::Result<Json, GoogleError> {
    let r = operation::Request {
        api: Api::ApiGateway,
        version: "v1",
        method,
        path,
        body,
        timeout: operation::DEFAULT_TIMEOUT,
    };
    operation::call_and_wait(g.client(), r).await
}

/// The `labels` attribute as the API's map (only string values; Terraform's labels are
/// `map(string)`).
pub(crate) fn labels_of(obj: &Map<String, Json>) -> Map<String, Json> {
    obj.get("labels")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v.is_string())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The API's `labels` as the attribute (`{}` when absent: proto3 leaves empty maps out).
pub(crate) fn labels_from(resource: &Json) -> Json {
    resource
        .get("labels")
        .filter(|l| l.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}))
}

/// A string field of an API resource (`""` when absent).
pub(crate) fn field(resource: &Json, key: &str) -> String {
    resource
        .get(key)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The last segment of a resource name.
pub(crate) fn last_segment(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Builds the patch mask and body for `displayName` and `labels`, the fields every API
/// Gateway resource can change in place.
pub(crate) fn display_and_labels_patch(
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
    mask: &mut Vec<&'static str>,
    body: &mut Map<String, Json>,
) {
    let want = str_attr(planned, "display_name");
    // An unset display name is the server's choice (computed): only a set one is sent.
    if let Some(d) = want {
        if Some(&d) != str_attr(prior, "display_name").as_ref() {
            mask.push("displayName");
            body.insert("displayName".into(), json!(d));
        }
    }
    let (want, had) = (labels_of(planned), labels_of(prior));
    if want != had {
        mask.push("labels");
        body.insert("labels".into(), Json::Object(want));
    }
}

fn finish(mut obj: Map<String, Json>, project: &str, api: &Json) -> Map<String, Json> {
    let name = field(api, "name");
    obj.insert("project".into(), json!(project));
    obj.insert("api_id".into(), json!(last_segment(&name)));
    obj.insert("id".into(), json!(name));
    obj.insert("name".into(), json!(name));
    obj.insert("display_name".into(), json!(field(api, "displayName")));
    obj.insert("labels".into(), labels_from(api));
    obj.insert(
        "managed_service".into(),
        json!(field(api, "managedService")),
    );
    obj
}

fn name_of(project: &str, api_id: &str) -> String {
    format!("projects/{project}/locations/global/apis/{api_id}")
}

/// One list per project.
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut lists: BTreeMap<String, BTreeMap<String, Json>> = BTreeMap::new();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let project = g.project_of(TY, p)?;
        if !lists.contains_key(&project) {
            let l = list_all(
                g,
                &format!("v1/projects/{project}/locations/global/apis"),
                "apis",
            )
            .await
            .map_err(|e| api_err(TY, &format!("list APIs of {project}"), e))?;
            lists.insert(project.clone(), l);
        }
        let name = str_attr(p, "name")
            .unwrap_or_else(|| name_of(&project, &str_attr(p, "api_id").unwrap_or_default()));
        let found = lists.get(&project).and_then(|l| l.get(&name));
        out.push(found.map(|a| finish(p.clone(), &project, a)));
    }
    Ok(out)
}

pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    let api_id = required(planned, TY, "api_id")?;
    let mut body = Map::new();
    if let Some(d) = str_attr(planned, "display_name") {
        body.insert("displayName".into(), json!(d));
    }
    let labels = labels_of(planned);
    if !labels.is_empty() {
        body.insert("labels".into(), Json::Object(labels));
    }
    if let Some(ms) = str_attr(planned, "managed_service") {
        body.insert("managedService".into(), json!(ms));
    }
    let path = format!(
        "v1/projects/{project}/locations/global/apis?apiId={}",
        encode_query(&api_id)
    );
    let api = call_lro(g, reqwest::Method::POST, &path, Some(&Json::Object(body)))
        .await
        .map_err(|e| api_err(TY, &format!("create {api_id} in {project}"), e))?;
    Ok(finish(planned.clone(), &project, &api))
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
    if mask.is_empty() {
        // Nothing the API can change differs (the mask must not be empty).
        let mut out = prior.clone();
        for k in ["display_name", "labels"] {
            if let Some(v) = planned.get(k).filter(|v| !v.is_null()) {
                out.insert(k.into(), v.clone());
            }
        }
        return Ok(out);
    }
    let path = format!("v1/{name}?updateMask={}", encode_query(&mask.join(",")));
    let api = call_lro(g, reqwest::Method::PATCH, &path, Some(&Json::Object(body)))
        .await
        .map_err(|e| api_err(TY, &format!("update {name}"), e))?;
    Ok(finish(planned.clone(), &project, &api))
}

pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    let project = g.project_of(TY, prior)?;
    let name = match str_attr(prior, "name") {
        Some(n) => n,
        None => name_of(&project, &required(prior, TY, "api_id")?),
    };
    match call_lro(g, reqwest::Method::DELETE, &format!("v1/{name}"), None).await {
        Ok(_) => Ok(()),
        // Already gone: the goal is reached.
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(api_err(TY, &format!("delete {name}"), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_only_what_changed() {
        let prior = json!({"display_name": "a", "labels": {"x": "1"}});
        let planned = json!({"display_name": "a", "labels": {"x": "2"}});
        let (mut mask, mut body) = (Vec::new(), Map::new());
        let (Json::Object(prior), Json::Object(planned)) = (prior, planned) else {
            return;
        };
        display_and_labels_patch(&prior, &planned, &mut mask, &mut body);
        assert_eq!(mask, vec!["labels"]);
        assert_eq!(body["labels"], json!({"x": "2"}));
    }
}
