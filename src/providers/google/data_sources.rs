//! Data sources of the Google provider: `google_project` (Resource Manager `projects.get`) and
//! `google_client_config` (the provider's own project, region and access token).

use serde_json::{json, Map, Value as Json};

use super::client::Api;
use super::{api_err, str_attr, Google};
use crate::providers::{ProviderError, Result};

/// `google_project`: `project_id` (else the provider's project) → `number`, `name`, labels.
pub async fn project(g: &Google, config: &Map<String, Json>) -> Result<Map<String, Json>> {
    const TY: &str = "google_project";
    let id = match str_attr(config, "project_id") {
        Some(id) => id,
        None => g.settings().project.clone().ok_or_else(|| {
            ProviderError::new(format!(
                "{TY}: set `project_id`, or a project in the provider \"google\" block"
            ))
        })?,
    };
    let p = g
        .client()
        .get(Api::ResourceManager, &format!("v1/projects/{id}"))
        .await
        .map_err(|e| api_err(TY, &format!("read project {id}"), e))?;
    let s = |k: &str| {
        p.get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = config.clone();
    out.insert("id".into(), json!(format!("projects/{id}")));
    out.insert("project_id".into(), json!(s("projectId")));
    out.insert("number".into(), json!(s("projectNumber")));
    out.insert("name".into(), json!(s("name")));
    out.insert(
        "labels".into(),
        p.get("labels").cloned().unwrap_or_else(|| json!({})),
    );
    Ok(out)
}

/// `google_client_config`: what the provider is configured with (the token is sensitive per the
/// schema; the emulator needs none, so it is empty there).
pub async fn client_config(g: &Google, config: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.settings().project.clone().unwrap_or_default();
    let region = g.settings().region.clone().unwrap_or_default();
    let token = g
        .client()
        .access_token()
        .await
        .map_err(|e| ProviderError::new(format!("google_client_config: {e}")))?;
    let mut out = config.clone();
    out.insert(
        "id".into(),
        json!(format!("projects/{project}/regions/{region}")),
    );
    out.insert("project".into(), json!(project));
    out.insert("region".into(), json!(region));
    out.insert("access_token".into(), json!(token));
    Ok(out)
}
