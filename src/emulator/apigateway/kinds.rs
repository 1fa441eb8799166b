//! The three API Gateway resource kinds (Api, ApiConfig, Gateway): their input fields, which
//! fields are mutable, ID and location rules, and the checks on a config's contents.

use serde_json::Value;

use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::schema::{Field, Ty};
use crate::emulator::world::{Resource, World};

pub(super) const STATES: &[(&str, i64)] = &[
    ("STATE_UNSPECIFIED", 0),
    ("CREATING", 1),
    ("ACTIVE", 2),
    ("FAILED", 3),
    ("DELETING", 4),
    ("UPDATING", 5),
    ("ACTIVATING", 6),
];
pub(super) const FILE: &[Field] = &[Field("path", Ty::Str), Field("contents", Ty::Bytes)];
pub(super) const API: &[Field] = &[
    Field("name", Ty::Str),
    Field("createTime", Ty::Str),
    Field("updateTime", Ty::Str),
    Field("labels", Ty::StrMap),
    Field("displayName", Ty::Str),
    Field("managedService", Ty::Str),
    Field("state", Ty::Enum(STATES)),
];
pub(super) const CONFIG: &[Field] = &[
    Field("name", Ty::Str),
    Field("createTime", Ty::Str),
    Field("updateTime", Ty::Str),
    Field("labels", Ty::StrMap),
    Field("displayName", Ty::Str),
    Field("gatewayServiceAccount", Ty::Str),
    Field("serviceConfigId", Ty::Str),
    Field("state", Ty::Enum(STATES)),
    Field(
        "openapiDocuments",
        Ty::List(&Ty::Obj(&[Field("document", Ty::Obj(FILE))])),
    ),
    Field(
        "grpcServices",
        Ty::List(&Ty::Obj(&[
            Field("fileDescriptorSet", Ty::Obj(FILE)),
            Field("source", Ty::List(&Ty::Obj(FILE))),
        ])),
    ),
    Field("managedServiceConfigs", Ty::List(&Ty::Obj(FILE))),
];
pub(super) const STREAMING: &[(&str, i64)] = &[
    ("STREAMING_MODE_UNSPECIFIED", 0),
    ("STREAMING_MODE_ENABLED", 1),
];
pub(super) const GATEWAY: &[Field] = &[
    Field("name", Ty::Str),
    Field("createTime", Ty::Str),
    Field("updateTime", Ty::Str),
    Field("labels", Ty::StrMap),
    Field("displayName", Ty::Str),
    Field("apiConfig", Ty::Str),
    Field("state", Ty::Enum(STATES)),
    Field("defaultHostname", Ty::Str),
    Field("streamingMode", Ty::Enum(STREAMING)),
    Field("effectiveStreamingMode", Ty::Str),
];

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Kind3 {
    Api,
    Config,
    Gateway,
}

impl Kind3 {
    pub(super) fn fields(self) -> &'static [Field] {
        match self {
            Kind3::Api => API,
            Kind3::Config => CONFIG,
            Kind3::Gateway => GATEWAY,
        }
    }
    pub(super) fn type_name(self) -> &'static str {
        match self {
            Kind3::Api => "Api",
            Kind3::Config => "ApiConfig",
            Kind3::Gateway => "Gateway",
        }
    }
    pub(super) fn mutable(self) -> &'static [&'static str] {
        match self {
            Kind3::Gateway => &["displayName", "labels", "apiConfig"],
            _ => &["displayName", "labels"],
        }
    }
    pub(super) fn store(self, w: &mut World) -> &mut std::collections::BTreeMap<String, Resource> {
        match self {
            Kind3::Api => &mut w.apis,
            Kind3::Config => &mut w.api_configs,
            Kind3::Gateway => &mut w.gateways,
        }
    }
}

/// `.../apis/a/configs` → `.../apis/a`: the resource a collection hangs off.
pub(super) fn parent_of(collection: &str) -> &str {
    collection
        .rsplit_once('/')
        .map(|x| x.0)
        .unwrap_or(collection)
}

pub(super) fn check_location(kind: Kind3, loc: &str) -> ApiResult<()> {
    match kind {
        Kind3::Gateway if loc == "global" || loc == "-" => Err(ApiError::field(
            "parent",
            "Gateways are regional; location 'global' is not valid.",
        )),
        Kind3::Api | Kind3::Config if loc != "global" => Err(ApiError::field(
            "parent",
            format!("APIs and API configs live in location 'global', not '{loc}'."),
        )),
        _ => Ok(()),
    }
}

/// Resource IDs: lowercase letters, digits and hyphens, not starting with a hyphen, at most 63
/// characters (49 for gateways) [Doc].
pub(super) fn valid_id(id: &str, max: usize) -> bool {
    !id.is_empty()
        && id.len() <= max
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// A gateway's `apiConfig` must name an existing config (project ID or number accepted).
pub(super) fn config_name(w: &mut World, cfg: &str) -> ApiResult<String> {
    let parts: Vec<&str> = cfg.split('/').collect();
    if parts.len() != 8 || parts[0] != "projects" || parts[4] != "apis" || parts[6] != "configs" {
        return Err(ApiError::field(
            "gateway.api_config",
            format!("Invalid API config name '{cfg}'."),
        ));
    }
    let p = w.project(parts[1])?;
    let mut canon: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    canon[1] = p.id;
    let canon = canon.join("/");
    if !w.api_configs.contains_key(&canon) {
        return Err(ApiError::field(
            "gateway.api_config",
            format!("API config '{cfg}' does not exist."),
        ));
    }
    Ok(canon)
}

pub(super) fn check_gateway_sa(w: &World, sa: &str) -> ApiResult<()> {
    let ok_shape = sa.contains('@') || (sa.starts_with("projects/") && sa.contains("/accounts/"));
    if !ok_shape {
        return Err(ApiError::field(
            "api_config.gateway_service_account",
            format!("Invalid service account '{sa}'."),
        ));
    }
    if sa.ends_with(".iam.gserviceaccount.com") {
        let exists = w
            .service_accounts
            .values()
            .any(|a| !a.deleted && a.body["email"].as_str() == Some(sa));
        if !exists {
            return Err(ApiError::field(
                "api_config.gateway_service_account",
                format!("Service account {sa} does not exist."),
            ));
        }
    }
    Ok(())
}

/// A light check of an OpenAPI document: decodable, and declaring `swagger: 2.0` or
/// `openapi: 3.x`. Anything deeper is beyond this emulator.
pub(super) fn openapi_problem(d: &Value) -> Option<ApiError> {
    use base64::Engine;
    let contents = d
        .pointer("/document/contents")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let path = d
        .pointer("/document/path")
        .and_then(Value::as_str)
        .unwrap_or("openapi.yaml");
    let text = base64::engine::general_purpose::STANDARD
        .decode(contents)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let declares = text.lines().any(|l| {
        let l = l
            .trim()
            .trim_start_matches('{')
            .trim()
            .replace(['"', '\''], "");
        l.starts_with("swagger: 2.0")
            || l.starts_with("swagger:2.0")
            || l.starts_with("openapi: 3")
            || l.starts_with("openapi:3")
    });
    (!declares).then(|| {
        ApiError::invalid(format!("Cannot convert to service config. File '{path}' is not a valid OpenAPI document: it declares neither swagger: '2.0' nor openapi: 3.x."))
    })
}
