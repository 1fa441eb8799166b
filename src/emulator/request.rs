//! One decoded API call (path segments, custom verb, query, JSON body) and the helpers every
//! API module uses to read it: query-parameter checking, paging, field masks.

use serde_json::Value;

use super::errors::{ApiError, ApiResult};
use super::schema::{self, Field};
use super::world::World;

/// Query parameters every Google API method accepts (reference §1.1); never rejected.
const STANDARD_QUERY: &[&str] = &[
    "fields",
    "prettyPrint",
    "alt",
    "$alt",
    "$.xgafv",
    "quotaUser",
    "key",
    "access_token",
    "oauth_token",
    "callback",
    "uploadType",
    "upload_protocol",
    "userIp",
    "$fields",
    "$prettyPrint",
];

#[derive(Debug, Clone, Default)]
pub struct Call {
    pub http: String,
    /// `v1`, `v2`, `v3`.
    pub version: String,
    /// Path segments after the version, with the custom verb removed from the last one.
    pub segs: Vec<String>,
    /// Custom verb after `:` in the last segment (`enable`, `getIamPolicy`, ...).
    pub verb: Option<String>,
    pub query: Vec<(String, String)>,
    /// The JSON body; `Null` when the request had none.
    pub body: Value,
    pub user_project: Option<String>,
    /// The `Host` the request was addressed to, without a port, lowercase (a regional API's
    /// region is in it: `us-central1-run.googleapis.com`).
    pub host: Option<String>,
    /// Fault injection decided this call's operation finishes with an error.
    pub fail_op: bool,
    pub op_delay_ms: u64,
    pub now_ms: u64,
}

/// What an API module answers for a path it owns: the method name (for counters) and the work.
pub struct Route {
    pub method: &'static str,
    pub run: Handler,
}

pub type Handler = Box<dyn FnOnce(&Call, &mut World) -> ApiResult + Send>;

pub fn handler(
    method: &'static str,
    f: impl FnOnce(&Call, &mut World) -> ApiResult + Send + 'static,
) -> Option<Route> {
    Some(Route {
        method,
        run: Box::new(f),
    })
}

impl Call {
    pub fn segs(&self) -> Vec<&str> {
        self.segs.iter().map(String::as_str).collect()
    }

    pub fn verb(&self) -> Option<&str> {
        self.verb.as_deref()
    }

    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn q_all(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Rejects query parameters the method does not define, as Google's front end does.
    pub fn allow_query(&self, allowed: &[&str]) -> ApiResult<()> {
        for (k, _) in &self.query {
            let known = STANDARD_QUERY.contains(&k.as_str())
                || allowed
                    .iter()
                    .any(|a| a == k || schema::camel_path(k) == *a);
            if !known {
                return Err(ApiError::field(
                    k,
                    format!(
                        "Invalid JSON payload received. Unknown name \"{k}\": Cannot bind query \
                         parameter. Field '{k}' could not be found in request message."
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn q_bool(&self, key: &str) -> ApiResult<bool> {
        match self.q(key) {
            None | Some("false") | Some("0") | Some("") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(v) => Err(ApiError::field(
                key,
                format!("Invalid value at '{key}' (TYPE_BOOL), \"{v}\""),
            )),
        }
    }

    /// The body checked against `fields`; an absent body counts as `{}`.
    pub fn body(&self, fields: &'static [Field], at: &str) -> ApiResult<Value> {
        if self.body.is_null() {
            return Ok(Value::Object(Default::default()));
        }
        schema::check(fields, &self.body, at)
    }

    /// A field mask from the query (`updateMask=a,b`), camelCased; `None` when absent/empty.
    pub fn mask(&self, key: &str) -> Option<Vec<String>> {
        self.q(key).filter(|m| !m.is_empty()).map(parse_mask)
    }

    /// Slices `items` for this page. Tokens are opaque base64 offsets.
    pub fn page(
        &self,
        items: Vec<Value>,
        default: usize,
        max: usize,
    ) -> ApiResult<(Vec<Value>, Option<String>)> {
        paginate(items, self.q("pageSize"), self.q("pageToken"), default, max)
    }
}

pub fn parse_mask(m: &str) -> Vec<String> {
    m.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(schema::camel_path)
        .collect()
}

pub fn paginate(
    items: Vec<Value>,
    page_size: Option<&str>,
    page_token: Option<&str>,
    default: usize,
    max: usize,
) -> ApiResult<(Vec<Value>, Option<String>)> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let size = match page_size {
        None | Some("") => default,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n < 0 => {
                return Err(ApiError::field(
                    "pageSize",
                    "page_size must be non-negative",
                ))
            }
            Ok(0) => default,
            Ok(n) => (n as usize).min(max),
            Err(_) => {
                return Err(ApiError::field(
                    "pageSize",
                    format!("Invalid value at 'page_size' (TYPE_INT32), \"{s}\""),
                ))
            }
        },
    };
    let offset = match page_token {
        None | Some("") => 0,
        Some(t) => b64
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.strip_prefix("offset:")
                    .and_then(|n| n.parse::<usize>().ok())
            })
            .ok_or_else(|| ApiError::field("pageToken", "The page token is invalid."))?,
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(size).collect();
    let next = (offset + size < total).then(|| b64.encode(format!("offset:{}", offset + size)));
    Ok((page, next))
}

/// Builds `{"<field>": items, "nextPageToken": ...}`, leaving out empty parts as proto3 does.
pub fn list_body(field: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut out = serde_json::Map::new();
    if !items.is_empty() {
        out.insert(field.to_string(), Value::Array(items));
    }
    if let Some(t) = next {
        out.insert("nextPageToken".into(), Value::String(t));
    }
    Value::Object(out)
}
