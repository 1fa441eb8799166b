//! `google_api_gateway_gateway` (API Gateway v1, regional): create, patch the served config
//! (how a new spec is rolled out without downtime), display name and labels, delete; refresh
//! with one list per project and region.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::api_gateway_api::{
    call_lro, display_and_labels_patch, field, labels_from, labels_of, last_segment, list_all,
};
use super::client::encode_query;
use super::{api_err, required, str_attr, Google};
use crate::providers::{ProviderError, Result};

const TY: &str = "google_api_gateway_gateway";

/// The resource's `region`, else the provider's.
fn region_of(g: &Google, obj: &Map<String, Json>) -> Result<String> {
    str_attr(obj, "region")
        .or_else(|| g.settings().region.clone())
        .ok_or_else(|| {
            ProviderError::new(format!(
                "{TY}: no region: set `region` on the resource or in the provider \"google\" block"
            ))
        })
}

fn finish(mut obj: Map<String, Json>, project: &str, region: &str, gw: &Json) -> Map<String, Json> {
    let name = field(gw, "name");
    obj.insert("project".into(), json!(project));
    obj.insert("region".into(), json!(region));
    obj.insert("gateway_id".into(), json!(last_segment(&name)));
    obj.insert("id".into(), json!(name));
    obj.insert("name".into(), json!(name));
    obj.insert("api_config".into(), json!(field(gw, "apiConfig")));
    obj.insert("display_name".into(), json!(field(gw, "displayName")));
    obj.insert("labels".into(), labels_from(gw));
    obj.insert(
        "default_hostname".into(),
        json!(field(gw, "defaultHostname")),
    );
    obj
}

fn parent(project: &str, region: &str) -> String {
    format!("projects/{project}/locations/{region}")
}

/// One list per project and region.
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut lists: BTreeMap<String, BTreeMap<String, Json>> = BTreeMap::new();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let project = g.project_of(TY, p)?;
        let region = region_of(g, p)?;
        let parent = parent(&project, &region);
        if !lists.contains_key(&parent) {
            let l = list_all(g, &format!("v1/{parent}/gateways"), "gateways")
                .await
                .map_err(|e| api_err(TY, &format!("list gateways of {parent}"), e))?;
            lists.insert(parent.clone(), l);
        }
        let name = str_attr(p, "name").unwrap_or_else(|| {
            format!(
                "{parent}/gateways/{}",
                str_attr(p, "gateway_id").unwrap_or_default()
            )
        });
        let found = lists.get(&parent).and_then(|l| l.get(&name));
        out.push(found.map(|gw| finish(p.clone(), &project, &region, gw)));
    }
    Ok(out)
}

pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    let region = region_of(g, planned)?;
    let gateway_id = required(planned, TY, "gateway_id")?;
    let mut body = Map::new();
    body.insert(
        "apiConfig".into(),
        json!(required(planned, TY, "api_config")?),
    );
    if let Some(d) = str_attr(planned, "display_name") {
        body.insert("displayName".into(), json!(d));
    }
    let labels = labels_of(planned);
    if !labels.is_empty() {
        body.insert("labels".into(), Json::Object(labels));
    }
    let parent = parent(&project, &region);
    let path = format!(
        "v1/{parent}/gateways?gatewayId={}",
        encode_query(&gateway_id)
    );
    let gw = call_lro(g, reqwest::Method::POST, &path, Some(&Json::Object(body)))
        .await
        .map_err(|e| api_err(TY, &format!("create {gateway_id} in {parent}"), e))?;
    Ok(finish(planned.clone(), &project, &region, &gw))
}

pub async fn update(
    g: &Google,
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, prior)?;
    let region = region_of(g, prior)?;
    let name = required(prior, TY, "name")?;
    let (mut mask, mut body) = (Vec::new(), Map::new());
    let want = required(planned, TY, "api_config")?;
    if Some(&want) != str_attr(prior, "api_config").as_ref() {
        mask.push("apiConfig");
        body.insert("apiConfig".into(), json!(want));
    }
    display_and_labels_patch(prior, planned, &mut mask, &mut body);
    if mask.is_empty() {
        let mut out = prior.clone();
        for (k, v) in planned {
            if !v.is_null() {
                out.insert(k.clone(), v.clone());
            }
        }
        return Ok(out);
    }
    let path = format!("v1/{name}?updateMask={}", encode_query(&mask.join(",")));
    let gw = call_lro(g, reqwest::Method::PATCH, &path, Some(&Json::Object(body)))
        .await
        .map_err(|e| api_err(TY, &format!("update {name}"), e))?;
    Ok(finish(planned.clone(), &project, &region, &gw))
}

pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    let project = g.project_of(TY, prior)?;
    let name = match str_attr(prior, "name") {
        Some(n) => n,
        None => format!(
            "{}/gateways/{}",
            parent(&project, &region_of(g, prior)?),
            required(prior, TY, "gateway_id")?
        ),
    };
    match call_lro(g, reqwest::Method::DELETE, &format!("v1/{name}"), None).await {
        Ok(_) => Ok(()),
        // Already gone: the goal is reached.
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(api_err(TY, &format!("delete {name}"), e)),
    }
}
