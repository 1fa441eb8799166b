//! `google_project_service` (Service Usage v1): enable a service in a project, wait until the
//! enable operation finishes, refresh with one `services.list?filter=state:ENABLED` per
//! project, and disable on destroy only when `disable_on_destroy = true` is set explicitly.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as Json};

use super::client::{encode_query, Api};
use super::{api_err, bool_attr, operation, required, Google};
use crate::providers::Result;

const TY: &str = "google_project_service";

fn finish(mut obj: Map<String, Json>, project: &str, service: &str) -> Map<String, Json> {
    obj.insert("project".into(), json!(project));
    obj.insert("service".into(), json!(service));
    obj.insert("id".into(), json!(format!("{project}/{service}")));
    obj
}

/// The enabled services of one project (DNS names), read with as few list pages as possible.
pub(crate) async fn enabled_services(g: &Google, project: &str) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut token = String::new();
    loop {
        let mut path = format!("v1/projects/{project}/services?filter=state:ENABLED&pageSize=200");
        if !token.is_empty() {
            path.push_str(&format!("&pageToken={}", encode_query(&token)));
        }
        let page = g
            .client()
            .get(Api::ServiceUsage, &path)
            .await
            .map_err(|e| api_err(TY, &format!("list enabled services of {project}"), e))?;
        for s in page
            .get("services")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            // `config.name` is the DNS name; `name` ends with it (`projects/N/services/x`).
            let name = s
                .pointer("/config/name")
                .and_then(Json::as_str)
                .or_else(|| {
                    s.get("name")
                        .and_then(Json::as_str)
                        .and_then(|n| n.rsplit('/').next())
                });
            if let Some(n) = name {
                out.insert(n.to_owned());
            }
        }
        match page.get("nextPageToken").and_then(Json::as_str) {
            Some(t) if !t.is_empty() => token = t.to_owned(),
            _ => return Ok(out),
        }
    }
}

/// One list call per project, whatever the number of services declared in it.
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut by_project: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut keys = Vec::with_capacity(priors.len());
    for p in priors {
        let project = g.project_of(TY, p)?;
        let service = required(p, TY, "service")?;
        by_project.entry(project.clone()).or_default();
        keys.push((project, service));
    }
    // Projects are listed concurrently: one request per project, all in flight together.
    let lists = futures_util::future::try_join_all(
        by_project
            .keys()
            .map(|project| enabled_services(g, project)),
    )
    .await?;
    for (set, list) in by_project.values_mut().zip(lists) {
        *set = list;
    }
    Ok(priors
        .iter()
        .zip(keys)
        .map(|(p, (project, service))| {
            let enabled = by_project
                .get(&project)
                .is_some_and(|s| s.contains(&service));
            enabled.then(|| finish(p.clone(), &project, &service))
        })
        .collect())
}

/// Enables the service and waits for the operation. Later calls to the service that still see
/// SERVICE_DISABLED are retried by the client for a bounded window.
pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    let service = required(planned, TY, "service")?;
    let action = format!("enable {service} in {project}");
    let r = operation::Request {
        api: Api::ServiceUsage,
        version: "v1",
        method: reqwest::Method::POST,
        path: &format!("v1/projects/{project}/services/{service}:enable"),
        body: Some(&json!({})),
        timeout: operation::timeout_of(planned, "create"),
    };
    operation::call_and_wait(g.client(), r)
        .await
        .map_err(|e| api_err(TY, &action, e))?;
    g.client().note_enabled(&service);
    Ok(finish(planned.clone(), &project, &service))
}

/// Only the destroy-time flags can change in place; nothing to call.
pub async fn update(
    g: &Google,
    _prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    let service = required(planned, TY, "service")?;
    Ok(finish(planned.clone(), &project, &service))
}

/// keyway's rule: leave the service enabled unless `disable_on_destroy = true` (disabling
/// breaks everything else in the project that uses it).
pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    if bool_attr(prior, "disable_on_destroy") != Some(true) {
        return Ok(());
    }
    let project = g.project_of(TY, prior)?;
    let service = required(prior, TY, "service")?;
    let action = format!("disable {service} in {project}");
    let mut body = json!({
        "disableDependentServices": bool_attr(prior, "disable_dependent_services").unwrap_or(false),
    });
    if bool_attr(prior, "check_if_service_has_usage_on_destroy") == Some(true) {
        body["checkIfServiceHasUsage"] = json!("CHECK");
    }
    let r = operation::Request {
        api: Api::ServiceUsage,
        version: "v1",
        method: reqwest::Method::POST,
        path: &format!("v1/projects/{project}/services/{service}:disable"),
        body: Some(&body),
        timeout: operation::timeout_of(prior, "delete"),
    };
    // Re-sent after a transiently failed operation, a disable that did happen answers
    // FAILED_PRECONDITION: the same check tells it apart.
    match operation::call_and_wait(g.client(), r).await {
        Ok(_) => Ok(()),
        Err(e)
            if e.status == "FAILED_PRECONDITION"
                && !already_disabled(g, &project, &service).await? =>
        {
            Err(api_err(TY, &action, e))
        }
        // Disabling a service that is not enabled is FAILED_PRECONDITION (reference §2.3):
        // the goal is reached.
        Err(e) if e.status == "FAILED_PRECONDITION" => Ok(()),
        Err(e) => Err(api_err(TY, &action, e)),
    }
}

/// FAILED_PRECONDITION on disable means either "not enabled" (fine) or "has dependents"
/// (a real error): one list call tells them apart.
async fn already_disabled(g: &Google, project: &str, service: &str) -> Result<bool> {
    Ok(!enabled_services(g, project).await?.contains(service))
}
