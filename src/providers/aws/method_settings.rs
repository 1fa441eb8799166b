//! `aws_api_gateway_method_settings`: a REST API stage's settings for one method path (`*/*`
//! for all), which live inside the stage and change through its patch operations
//! (`/*/*/throttling/rateLimit`).

use serde_json::{json, Map, Value as Json};

use super::client::encode;
use super::{api_err, Aws};
use crate::aws::Service;
use crate::providers::{ProviderError, Result};

type Obj = Map<String, Json>;

const TY: &str = "aws_api_gateway_method_settings";

/// Each setting: its attribute, its patch path below the method path, its field in the
/// stage's `methodSettings`.
const SETTINGS: &[(&str, &str, &str)] = &[
    ("metrics_enabled", "metrics/enabled", "metricsEnabled"),
    ("logging_level", "logging/loglevel", "loggingLevel"),
    (
        "data_trace_enabled",
        "logging/dataTrace",
        "dataTraceEnabled",
    ),
    (
        "throttling_burst_limit",
        "throttling/burstLimit",
        "throttlingBurstLimit",
    ),
    (
        "throttling_rate_limit",
        "throttling/rateLimit",
        "throttlingRateLimit",
    ),
    ("caching_enabled", "caching/enabled", "cachingEnabled"),
    (
        "cache_ttl_in_seconds",
        "caching/ttlInSeconds",
        "cacheTtlInSeconds",
    ),
    (
        "cache_data_encrypted",
        "caching/dataEncrypted",
        "cacheDataEncrypted",
    ),
    (
        "require_authorization_for_cache_control",
        "caching/requireAuthorizationForCacheControl",
        "requireAuthorizationForCacheControl",
    ),
    (
        "unauthorized_cache_control_header_strategy",
        "caching/unauthorizedCacheControlHeaderStrategy",
        "unauthorizedCacheControlHeaderStrategy",
    ),
];

fn s<'a>(o: &'a Obj, k: &str) -> &'a str {
    o.get(k).and_then(Json::as_str).unwrap_or_default()
}

fn stage_path(o: &Obj) -> String {
    format!(
        "/restapis/{}/stages/{}",
        encode(s(o, "rest_api_id")),
        encode(s(o, "stage_name"))
    )
}

fn settings_of(o: &Obj) -> Obj {
    o.get("settings")
        .and_then(Json::as_array)
        .and_then(|b| b.first())
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default()
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The patch operations setting every configured value (and removing none: a setting left
/// out keeps the stage's default).
fn operations(planned: &Obj) -> Json {
    let method = s(planned, "method_path");
    let settings = settings_of(planned);
    let ops: Vec<Json> = SETTINGS
        .iter()
        .filter_map(|(attr, path, _)| {
            let v = settings.get(*attr).filter(|v| !v.is_null())?;
            Some(json!({"op": "replace", "path": format!("/{method}/{path}"), "value": text(v)}))
        })
        .collect();
    json!({ "patchOperations": ops })
}

async fn patch(aws: &Aws, o: &Obj, body: &Json, action: &str) -> Result<Json> {
    aws.client
        .json(Service::ApiGateway, "PATCH", &stage_path(o), Some(body))
        .await
        .map_err(|e| api_err(TY, action, e))
}

/// The object from the stage's `methodSettings` entry for the method path; `None` when the
/// stage has none.
fn from_stage(stage: &Json, base: &Obj) -> Option<Obj> {
    let method = s(base, "method_path");
    let all = stage.get("methodSettings")?.as_object()?;
    // AWS keys a resource path's settings with its `/` escaped (`~1items/GET`).
    let entry = all.get(method).or_else(|| {
        all.iter()
            .find(|(k, _)| k.replace("~1", "/").trim_start_matches('/') == method)
            .map(|(_, v)| v)
    })?;
    let configured = settings_of(base);
    let mut settings = Obj::new();
    for (attr, _, field) in SETTINGS {
        let v = entry.get(*field).cloned().unwrap_or(Json::Null);
        // Settings left out of the configuration show as configured (AWS fills defaults).
        let kept = configured.get(*attr).cloned().unwrap_or(Json::Null);
        settings.insert(
            (*attr).to_owned(),
            if kept.is_null() { Json::Null } else { v },
        );
    }
    let mut out = base.clone();
    out.insert("settings".to_owned(), json!([settings]));
    out.insert("id".to_owned(), json!(id(base)));
    Some(out)
}

fn id(o: &Obj) -> String {
    format!(
        "{}-{}-{}",
        s(o, "rest_api_id"),
        s(o, "stage_name"),
        s(o, "method_path")
    )
}

pub async fn create(aws: &Aws, planned: &Obj) -> Result<Obj> {
    let stage = patch(aws, planned, &operations(planned), "apply method settings").await?;
    from_stage(&stage, planned).ok_or_else(|| {
        ProviderError::new(format!(
            "{TY}: the stage shows no settings for {} after the update",
            s(planned, "method_path")
        ))
    })
}

pub async fn update(aws: &Aws, _prior: &Obj, planned: &Obj) -> Result<Obj> {
    create(aws, planned).await
}

pub async fn refresh(aws: &Aws, priors: &[Obj]) -> Result<Vec<Option<Obj>>> {
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        match aws
            .client
            .json(Service::ApiGateway, "GET", &stage_path(p), None)
            .await
        {
            Ok(stage) => out.push(from_stage(&stage, p)),
            Err(e) if e.is_not_found() => out.push(None),
            Err(e) => return Err(api_err(TY, "read the stage", e)),
        }
    }
    Ok(out)
}

pub async fn delete(aws: &Aws, prior: &Obj) -> Result<()> {
    let body = json!({"patchOperations": [
        {"op": "remove", "path": format!("/{}", s(prior, "method_path"))}
    ]});
    match patch(aws, prior, &body, "remove method settings").await {
        Ok(_) => Ok(()),
        Err(e) if e.message.contains("NotFoundException") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Terraform's import ID: `{rest_api_id}/{stage_name}/{method_path}`.
pub async fn import(aws: &Aws, id: &str, config: &Obj) -> Result<Obj> {
    let mut parts = id.splitn(3, '/');
    let (Some(api), Some(stage), Some(method)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ProviderError::new(format!(
            "{TY}: import ID \"{id}\" is not in the form {{rest_api_id}}/{{stage_name}}/{{method_path}}"
        )));
    };
    let mut base = config.clone();
    base.insert("rest_api_id".to_owned(), json!(api));
    base.insert("stage_name".to_owned(), json!(stage));
    base.insert("method_path".to_owned(), json!(method));
    let found = refresh(aws, std::slice::from_ref(&base))
        .await?
        .pop()
        .flatten();
    found.ok_or_else(|| {
        ProviderError::new(format!(
            "Cannot import non-existent remote object: no method settings {id}"
        ))
    })
}
