//! What API Gateway does around an HTTP API's integration: CORS (preflights answered by the
//! gateway itself, allowed-origin headers added to answers) and stage / route throttling.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{json, Value};

use super::super::super::server::lock;
use super::super::super::world::now_ms;
use super::{Call, Deployed, Reply};

impl Call<'_> {
    pub(super) fn preflight(&self, cors: &Value) -> Reply {
        let mut reply = Reply {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        };
        if let Some(origin) = self.allowed_origin(cors) {
            let join = |k: &str| {
                cors[k].as_array().map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                })
            };
            reply
                .headers
                .push(("access-control-allow-origin".into(), origin));
            if let Some(m) = join("allowMethods").filter(|s| !s.is_empty()) {
                reply
                    .headers
                    .push(("access-control-allow-methods".into(), m));
            }
            if let Some(h) = join("allowHeaders").filter(|s| !s.is_empty()) {
                reply
                    .headers
                    .push(("access-control-allow-headers".into(), h));
            }
            if let Some(age) = cors["maxAge"].as_i64() {
                reply
                    .headers
                    .push(("access-control-max-age".into(), age.to_string()));
            }
            if cors["allowCredentials"] == json!(true) {
                reply
                    .headers
                    .push(("access-control-allow-credentials".into(), "true".into()));
            }
        }
        reply
    }

    pub(super) fn cors_headers(&self, cors: &Value, reply: &mut Reply) {
        let Some(origin) = self.allowed_origin(cors) else {
            return;
        };
        reply
            .headers
            .push(("access-control-allow-origin".into(), origin));
        let expose: Vec<&str> = cors["exposeHeaders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !expose.is_empty() {
            reply
                .headers
                .push(("access-control-expose-headers".into(), expose.join(",")));
        }
        if cors["allowCredentials"] == json!(true) {
            reply
                .headers
                .push(("access-control-allow-credentials".into(), "true".into()));
        }
    }

    /// The `Access-Control-Allow-Origin` value when the request's origin is allowed.
    pub(super) fn allowed_origin(&self, cors: &Value) -> Option<String> {
        let origin = self.header("origin")?;
        let allowed: Vec<&str> = cors["allowOrigins"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if allowed.contains(&"*") {
            Some("*".into())
        } else {
            allowed
                .iter()
                .any(|a| a.eq_ignore_ascii_case(origin))
                .then(|| origin.to_string())
        }
    }
}

/// Token buckets (tokens, last refill ms) by what they limit (`{api}/{stage}/{route}`, a key
/// in a usage plan).
fn buckets() -> &'static Mutex<HashMap<String, (f64, u64)>> {
    static B: OnceLock<Mutex<HashMap<String, (f64, u64)>>> = OnceLock::new();
    B.get_or_init(Default::default)
}

/// Stage throttling (`defaultRouteSettings`, overridden per route by `routeSettings`): a token
/// bucket of `throttlingBurstLimit` refilled at `throttlingRateLimit` per second; an empty
/// bucket is API Gateway's 429.
pub(super) fn throttle(call: &Call, d: &Deployed, route_key: &str) -> Result<(), Reply> {
    let settings = |k: &str| {
        d.stage_body["routeSettings"][route_key][k]
            .as_f64()
            .or_else(|| d.stage_body["defaultRouteSettings"][k].as_f64())
    };
    let (Some(burst), Some(rate)) = (
        settings("throttlingBurstLimit"),
        settings("throttlingRateLimit"),
    ) else {
        return Ok(());
    };
    let key = format!(
        "{}/{}/{}/{route_key}",
        call.api_id, d.stage, d.stage_body["deploymentId"]
    );
    if take(&key, burst, rate) {
        Ok(())
    } else {
        Err(Reply::message(429, "Too Many Requests"))
    }
}

/// Takes one token from the bucket `key` (created full: `burst` tokens, refilled at `rate`
/// per second); false when it is empty.
pub(super) fn take(key: &str, burst: f64, rate: f64) -> bool {
    let now = now_ms();
    let mut b = lock(buckets());
    let (tokens, last) = b.entry(key.to_string()).or_insert((burst, now));
    *tokens = (*tokens + rate * (now.saturating_sub(*last) as f64) / 1000.0).min(burst);
    *last = now;
    if *tokens < 1.0 {
        return false;
    }
    *tokens -= 1.0;
    true
}
