//! API Gateway v1: apis (with generated `managedService`), configs (base64 OpenAPI documents,
//! `view=BASIC|FULL`, immutable but for displayName/labels), regional gateways (with
//! `defaultHostname`, `apiConfig` switchable by patch), resource IAM, and the deletion order
//! (a config in use by a gateway, or an API with configs, cannot be deleted).

mod kinds;

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::faults::operation_failure;
use super::operations;
use super::policy::{self, Kind};
use super::request::{handler, list_body, Call, Route};
use super::world::{rfc3339, ProjectRef, Resource, World};
use kinds::{
    check_gateway_sa, check_location, config_name, openapi_problem, parent_of, valid_id, Kind3,
};

const SERVICE: &str = "apigateway.googleapis.com";
const T: &str = "type.googleapis.com/google.cloud.apigateway.v1.";

pub fn route(c: &Call) -> Option<Route> {
    if c.version != "v1" {
        return None;
    }
    let segs: Vec<String> = c.segs.clone();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (kind, parent_len) = match s.as_slice() {
        ["projects", _, "locations", _, "apis", ..] if s.len() <= 6 => (Kind3::Api, 4),
        ["projects", _, "locations", _, "apis", _, "configs", ..] if s.len() <= 8 => {
            (Kind3::Config, 6)
        }
        ["projects", _, "locations", _, "gateways", ..] if s.len() <= 6 => (Kind3::Gateway, 4),
        _ => return None,
    };
    let collection = s.len() == parent_len + 1;
    let m: &'static str = match (kind, c.http.as_str(), c.verb(), collection) {
        (Kind3::Api, "POST", None, true) => "apigateway.apis.create",
        (Kind3::Api, "GET", None, true) => "apigateway.apis.list",
        (Kind3::Api, "GET", None, false) => "apigateway.apis.get",
        (Kind3::Api, "PATCH", None, false) => "apigateway.apis.patch",
        (Kind3::Api, "DELETE", None, false) => "apigateway.apis.delete",
        (Kind3::Api, "GET", Some("getIamPolicy"), false) => "apigateway.apis.getIamPolicy",
        (Kind3::Api, "POST", Some("setIamPolicy"), false) => "apigateway.apis.setIamPolicy",
        (Kind3::Api, "POST", Some("testIamPermissions"), false) => {
            "apigateway.apis.testIamPermissions"
        }
        (Kind3::Config, "POST", None, true) => "apigateway.apis.configs.create",
        (Kind3::Config, "GET", None, true) => "apigateway.apis.configs.list",
        (Kind3::Config, "GET", None, false) => "apigateway.apis.configs.get",
        (Kind3::Config, "PATCH", None, false) => "apigateway.apis.configs.patch",
        (Kind3::Config, "DELETE", None, false) => "apigateway.apis.configs.delete",
        (Kind3::Config, "GET", Some("getIamPolicy"), false) => {
            "apigateway.apis.configs.getIamPolicy"
        }
        (Kind3::Config, "POST", Some("setIamPolicy"), false) => {
            "apigateway.apis.configs.setIamPolicy"
        }
        (Kind3::Config, "POST", Some("testIamPermissions"), false) => {
            "apigateway.apis.configs.testIamPermissions"
        }
        (Kind3::Gateway, "POST", None, true) => "apigateway.gateways.create",
        (Kind3::Gateway, "GET", None, true) => "apigateway.gateways.list",
        (Kind3::Gateway, "GET", None, false) => "apigateway.gateways.get",
        (Kind3::Gateway, "PATCH", None, false) => "apigateway.gateways.patch",
        (Kind3::Gateway, "DELETE", None, false) => "apigateway.gateways.delete",
        (Kind3::Gateway, "GET", Some("getIamPolicy"), false) => "apigateway.gateways.getIamPolicy",
        (Kind3::Gateway, "POST", Some("setIamPolicy"), false) => "apigateway.gateways.setIamPolicy",
        (Kind3::Gateway, "POST", Some("testIamPermissions"), false) => {
            "apigateway.gateways.testIamPermissions"
        }
        _ => return None,
    };
    handler(m, move |c, w| {
        let p = w.consume(&segs[1], c.user_project.as_deref(), SERVICE)?;
        let loc = segs[3].clone();
        // Canonical names use the project ID, as the caller addressed it in most tooling [Inf].
        let mut canon = segs.clone();
        canon[1] = p.id.clone();
        let canon = canon.join("/");
        check_location(kind, &loc)?;
        let verb = m.rsplit('.').next().unwrap_or_default();
        match verb {
            "create" => create(c, w, kind, &p, &canon),
            "list" => list(c, w, kind, &canon),
            "get" => get(c, w, kind, &canon),
            "patch" => patch(c, w, kind, &p, &canon),
            "delete" => delete(c, w, kind, &p, &canon),
            "getIamPolicy" => {
                existing(w, kind, &canon)?;
                policy::get(c, w, &canon, false)
            }
            "setIamPolicy" => {
                existing(w, kind, &canon)?;
                policy::set(c, w, &canon, Kind::Resource)
            }
            _ => {
                existing(w, kind, &canon)?;
                policy::test(c)
            }
        }
    })
}

fn existing(w: &mut World, kind: Kind3, name: &str) -> ApiResult<Resource> {
    kind.store(w).get(name).cloned().ok_or_else(|| {
        ApiError::not_found(
            &format!("apigateway.googleapis.com/{}", kind.type_name()),
            name,
        )
    })
}

/// Shows a resource in transition while its operation runs.
fn view(r: &Resource, now: u64, kind: Kind3, full: bool) -> Value {
    let mut v = r.body.clone();
    if now < r.ready_ms {
        v["state"] = json!(if v["createTime"] == v["updateTime"] {
            "CREATING"
        } else {
            "UPDATING"
        });
    }
    if kind == Kind3::Config && !full {
        if let Some(o) = v.as_object_mut() {
            for f in ["openapiDocuments", "grpcServices", "managedServiceConfigs"] {
                o.remove(f);
            }
        }
    }
    v
}

fn full_view(c: &Call) -> ApiResult<bool> {
    match c.q("view") {
        None | Some("") | Some("BASIC") | Some("1") | Some("VIEW_UNSPECIFIED") | Some("0") => Ok(false),
        Some("FULL") | Some("2") => Ok(true),
        Some(v) => Err(ApiError::field("view", format!("Invalid value at 'view' (type.googleapis.com/google.cloud.apigateway.v1.GetApiConfigRequest.ConfigView), \"{v}\""))),
    }
}

fn op(
    w: &mut World,
    c: &Call,
    p: &ProjectRef,
    loc: &str,
    target: &str,
    verb: &str,
    outcome: ApiResult,
) -> Value {
    let name = format!(
        "projects/{}/locations/{loc}/operations/operation-{}-{:013x}",
        p.id,
        c.now_ms,
        w.next_rand() >> 12
    );
    let meta = json!({
        "@type": format!("{T}OperationMetadata"),
        "createTime": rfc3339(c.now_ms),
        "endTime": rfc3339(c.now_ms + c.op_delay_ms),
        "target": target,
        "verb": verb,
        "requestedCancellation": false,
        "apiVersion": "v1",
    });
    let outcome = if c.fail_op {
        Err(operation_failure())
    } else {
        outcome
    };
    operations::start(w, c, name, Some(meta), outcome)
}

fn typed(kind: Kind3, v: &Value) -> Value {
    let mut out = json!({"@type": format!("{T}{}", kind.type_name())});
    if let (Some(o), Some(b)) = (out.as_object_mut(), v.as_object()) {
        for (k, val) in b {
            o.insert(k.clone(), val.clone());
        }
    }
    out
}

fn create(c: &Call, w: &mut World, kind: Kind3, p: &ProjectRef, parent: &str) -> ApiResult {
    let (id_param, max) = match kind {
        Kind3::Api => ("apiId", 63),
        Kind3::Config => ("apiConfigId", 63),
        Kind3::Gateway => ("gatewayId", 49),
    };
    c.allow_query(&[id_param])?;
    let input = c.body(kind.fields(), "")?;
    let Some(id) = c.q(id_param).filter(|s| !s.is_empty()) else {
        return Err(ApiError::field(
            id_param,
            format!("{id_param} is required."),
        ));
    };
    if !valid_id(id, max) {
        return Err(ApiError::field(id_param, format!("Invalid {id_param} '{id}': use at most {max} lowercase letters, digits and hyphens, not starting with a hyphen.")));
    }
    if kind == Kind3::Config {
        existing(w, Kind3::Api, parent_of(parent))?;
    }
    let name = format!("{parent}/{id}");
    if kind.store(w).contains_key(&name) {
        return Err(ApiError::already_exists(
            &format!("apigateway.googleapis.com/{}", kind.type_name()),
            &name,
            format!("Resource '{name}' already exists"),
        ));
    }
    let t = rfc3339(c.now_ms);
    let mut v = json!({"name": name, "createTime": t, "updateTime": t, "state": "ACTIVE"});
    for f in ["displayName", "labels"] {
        if let Some(x) = input.get(f) {
            v[f] = x.clone();
        }
    }
    let mut failure = None;
    match kind {
        Kind3::Api => {
            let ms = match input.get("managedService").and_then(Value::as_str) {
                Some(ms) => ms.to_string(),
                None => format!(
                    "{id}-{:014x}.apigateway.{}.cloud.goog",
                    w.next_rand() >> 8,
                    p.id
                ),
            };
            v["managedService"] = json!(ms);
        }
        Kind3::Config => {
            let docs = input
                .get("openapiDocuments")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let grpc = input
                .get("grpcServices")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            if docs.is_empty() && !grpc {
                return Err(ApiError::field(
                    "api_config",
                    "An API config needs openapiDocuments or grpcServices.",
                ));
            }
            if !docs.is_empty() && grpc {
                return Err(ApiError::field(
                    "api_config",
                    "openapiDocuments and grpcServices are mutually exclusive.",
                ));
            }
            if let Some(sa) = input.get("gatewayServiceAccount").and_then(Value::as_str) {
                check_gateway_sa(w, sa)?;
                v["gatewayServiceAccount"] = json!(sa);
            }
            for d in &docs {
                if let Some(e) = openapi_problem(d) {
                    failure = Some(e);
                }
            }
            for f in ["openapiDocuments", "grpcServices", "managedServiceConfigs"] {
                if let Some(x) = input.get(f) {
                    v[f] = x.clone();
                }
            }
            v["serviceConfigId"] = json!(format!("{id}-{:013x}", w.next_rand() >> 12));
        }
        Kind3::Gateway => {
            let Some(cfg) = input.get("apiConfig").and_then(Value::as_str) else {
                return Err(ApiError::field(
                    "gateway.api_config",
                    "api_config is required.",
                ));
            };
            let cfg = config_name(w, cfg)?;
            v["apiConfig"] = json!(cfg);
            let region = parent.split('/').nth(3).unwrap_or_default();
            let code: String = region
                .split('-')
                .filter_map(|part| part.chars().next())
                .take(2)
                .collect();
            v["defaultHostname"] = json!(format!(
                "{id}-{}.{code}.gateway.dev",
                w.token(8, b"abcdefghijklmnopqrstuvwxyz0123456789")
            ));
            if let Some(m) = input.get("streamingMode") {
                v["streamingMode"] = m.clone();
            }
        }
    }
    let loc = parent.split('/').nth(3).unwrap_or_default().to_string();
    if let Some(e) = failure {
        // Invalid OpenAPI surfaces in the operation, not the create call [D/Inf].
        return Ok(op(w, c, p, &loc, &name, "create", Err(e)));
    }
    if !c.fail_op {
        kind.store(w).insert(
            name.clone(),
            Resource {
                body: v.clone(),
                ready_ms: c.now_ms + c.op_delay_ms,
            },
        );
    }
    Ok(op(w, c, p, &loc, &name, "create", Ok(typed(kind, &v))))
}

fn list(c: &Call, w: &mut World, kind: Kind3, parent: &str) -> ApiResult {
    c.allow_query(&["filter", "orderBy", "pageSize", "pageToken"])?;
    if kind == Kind3::Config {
        existing(w, Kind3::Api, parent_of(parent))?;
    }
    // `filter`/`orderBy` are accepted and ignored: results come in name order [Inf].
    let prefix = format!("{parent}/");
    let now = c.now_ms;
    let items: Vec<Value> = kind
        .store(w)
        .iter()
        .filter(|(n, _)| n.starts_with(&prefix) && !n[prefix.len()..].contains('/'))
        .map(|(_, r)| view(r, now, kind, false))
        .collect();
    let (page, next) = c.page(items, 50, 1000)?;
    let field = match kind {
        Kind3::Api => "apis",
        Kind3::Config => "apiConfigs",
        Kind3::Gateway => "gateways",
    };
    Ok(list_body(field, page, next))
}

fn get(c: &Call, w: &mut World, kind: Kind3, name: &str) -> ApiResult {
    c.allow_query(if kind == Kind3::Config {
        &["view"]
    } else {
        &[]
    })?;
    let full = kind == Kind3::Config && full_view(c)?;
    let r = existing(w, kind, name)?;
    Ok(view(&r, c.now_ms, kind, full))
}

fn patch(c: &Call, w: &mut World, kind: Kind3, p: &ProjectRef, name: &str) -> ApiResult {
    c.allow_query(&["updateMask"])?;
    let input = c.body(kind.fields(), "")?;
    let Some(mask) = c.mask("updateMask") else {
        return Err(ApiError::field(
            "update_mask",
            "update_mask must be set and non-empty.",
        ));
    };
    // The mask is validated before the resource is looked up: request validation comes first.
    for f in &mask {
        if !kind.mutable().contains(&f.as_str()) {
            return Err(ApiError::field(
                "update_mask",
                format!(
                    "Field '{f}' is immutable or unknown; updatable fields are {}.",
                    kind.mutable().join(", ")
                ),
            ));
        }
    }
    let r = existing(w, kind, name)?;
    let mut v = r.body.clone();
    for f in &mask {
        match input.get(f.as_str()) {
            Some(x) if f == "apiConfig" => {
                let s = x.as_str().unwrap_or_default().to_string();
                v["apiConfig"] = json!(config_name(w, &s)?);
            }
            Some(x) => v[f.as_str()] = x.clone(),
            None => {
                if let Some(o) = v.as_object_mut() {
                    o.remove(f.as_str());
                }
            }
        }
    }
    v["updateTime"] = json!(rfc3339(c.now_ms));
    let loc = name.split('/').nth(3).unwrap_or_default().to_string();
    if !c.fail_op {
        kind.store(w).insert(
            name.to_string(),
            Resource {
                body: v.clone(),
                ready_ms: c.now_ms + c.op_delay_ms,
            },
        );
    }
    let mut shown = v.clone();
    if kind == Kind3::Config {
        shown = view(
            &Resource {
                body: v,
                ready_ms: 0,
            },
            c.now_ms,
            kind,
            true,
        );
    }
    Ok(op(w, c, p, &loc, name, "update", Ok(typed(kind, &shown))))
}

fn delete(c: &Call, w: &mut World, kind: Kind3, p: &ProjectRef, name: &str) -> ApiResult {
    c.allow_query(&[])?;
    existing(w, kind, name)?;
    match kind {
        Kind3::Api => {
            let prefix = format!("{name}/configs/");
            if w.api_configs.keys().any(|k| k.starts_with(&prefix)) {
                return Err(ApiError::failed_precondition(format!(
                    "API '{name}' still has API configs; delete them first."
                )));
            }
        }
        Kind3::Config => {
            if let Some((g, _)) = w
                .gateways
                .iter()
                .find(|(_, g)| g.body["apiConfig"].as_str() == Some(name))
            {
                return Err(ApiError::failed_precondition(format!("API config '{name}' is in use by gateway '{g}'; switch or delete the gateway first.")));
            }
        }
        Kind3::Gateway => {}
    }
    let loc = name.split('/').nth(3).unwrap_or_default().to_string();
    if !c.fail_op {
        kind.store(w).remove(name);
        w.policies.remove(name);
    }
    Ok(op(
        w,
        c,
        p,
        &loc,
        name,
        "delete",
        Ok(json!({"@type": "type.googleapis.com/google.protobuf.Empty"})),
    ))
}
