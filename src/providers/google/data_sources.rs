//! Data sources of the Google provider: `google_project` (Resource Manager `projects.get`),
//! `google_service_account` (IAM `serviceAccounts.get`) and `google_client_config` (the
//! provider's own project, region and access token).

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

/// `google_service_account`: an account by ID (in `project`, else the provider's), email or
/// full name.
pub async fn service_account(g: &Google, config: &Map<String, Json>) -> Result<Map<String, Json>> {
    const TY: &str = "data.google_service_account";
    let id = str_attr(config, "account_id")
        .ok_or_else(|| ProviderError::new(format!("{TY}: `account_id` is required")))?;
    let path = if id.starts_with("projects/") {
        format!("v1/{id}")
    } else if id.contains('@') {
        format!("v1/projects/-/serviceAccounts/{id}")
    } else {
        let project = str_attr(config, "project")
            .or_else(|| g.settings().project.clone())
            .ok_or_else(|| {
                ProviderError::new(format!(
                    "{TY}: `{id}` is a bare account ID: set `project`, or a project in the provider \"google\" block"
                ))
            })?;
        format!("v1/projects/{project}/serviceAccounts/{id}@{project}.iam.gserviceaccount.com")
    };
    let a = g
        .client()
        .get(Api::Iam, &path)
        .await
        .map_err(|e| api_err(TY, &format!("read {id}"), e))?;
    let s = |k: &str| a.get(k).cloned().unwrap_or(Json::Null);
    let email = a
        .get("email")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut out = config.clone();
    out.insert("email".into(), json!(email));
    out.insert("unique_id".into(), s("uniqueId"));
    out.insert("name".into(), s("name"));
    out.insert("id".into(), s("name"));
    out.insert("display_name".into(), s("displayName"));
    out.insert("description".into(), s("description"));
    out.insert(
        "disabled".into(),
        json!(a.get("disabled").and_then(Json::as_bool).unwrap_or(false)),
    );
    out.insert("project".into(), s("projectId"));
    out.insert("member".into(), json!(format!("serviceAccount:{email}")));
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
