//! API-key enforcement as a gateway (ESPv2 calling Service Control `check`) does it: the key
//! must exist and not be deleted, its restrictions must allow this API, method, caller IP and
//! referrer, and the API's managed service must be enabled in the key's project.
//!
//! Statuses and messages are ESPv2's conversion of Service Control check errors
//! (GoogleCloudPlatform/esp-v2 `src/api_proxy/service_control/check_response_convert_utils.cc`),
//! prefixed with the canonical code as ESPv2 renders them; the same bodies are seen from real
//! gateways, e.g. `{"code":400,"message":"INVALID_ARGUMENT:API key not valid. Please pass a
//! valid API key."}` and `{"message":"PERMISSION_DENIED:API x.apigateway.p.cloud.goog is not
//! enabled for the project.","code":403}`:
//! - API_KEY_INVALID (unknown or deleted key) → 400 `API key not valid. Please pass a valid API key.`
//! - API_TARGET_BLOCKED (ErrorInfo reason API_KEY_SERVICE_BLOCKED, `apiTargets`/`methods`) →
//!   403 ` The API targeted by this request is invalid for the given API key.` (ESPv2's text
//!   starts with that space)
//! - IP_ADDRESS_BLOCKED (API_KEY_IP_ADDRESS_BLOCKED) → 403 `IP address blocked.`
//! - REFERER_BLOCKED (API_KEY_HTTP_REFERRER_BLOCKED) → 403 `Referer blocked.`
//! - SERVICE_NOT_ACTIVATED (SERVICE_DISABLED) → 403 `API {service} is not enabled for the project.`
//!
//! Order: validity first (nothing else is known without the key), then the key's own
//! restrictions, then enablement in its project.

use std::net::IpAddr;

use serde_json::Value;

use crate::emulator::world::{ApiKey, World};

/// A refusal: HTTP status and the ESPv2 message (`CODE:text`).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub http: u16,
    pub message: String,
}

fn refuse(http: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        http,
        message: message.into(),
    }
}

/// 401 for a method that requires a key when none was sent (ESPv2 before calling check).
pub fn missing() -> Refusal {
    refuse(
        401,
        "UNAUTHENTICATED:Method doesn't allow unregistered callers (callers without established \
         identity). Please use API Key or other form of API consumer identity to call this API.",
    )
}

/// What the check needs to know about the call.
pub struct CheckCall<'a> {
    pub managed_service: &'a str,
    pub operation_id: &'a str,
    pub ip: Option<IpAddr>,
    pub referer: Option<&'a str>,
}

pub fn check(w: &World, key_string: &str, call: &CheckCall) -> Result<(), Refusal> {
    let Some(key) = w
        .keys
        .values()
        .find(|k| k.key_string == key_string && k.deleted_ms.is_none())
    else {
        return Err(refuse(
            400,
            "INVALID_ARGUMENT:API key not valid. Please pass a valid API key.",
        ));
    };
    let r = &key.body["restrictions"];
    if !targets_allow(r, call) {
        return Err(refuse(
            403,
            "PERMISSION_DENIED: The API targeted by this request is invalid for the given API key.",
        ));
    }
    if let Some(ips) = r.pointer("/serverKeyRestrictions/allowedIps") {
        if !call
            .ip
            .is_some_and(|ip| strings(ips).any(|a| ip_allowed(a, ip)))
        {
            return Err(refuse(403, "PERMISSION_DENIED:IP address blocked."));
        }
    }
    if let Some(refs) = r.pointer("/browserKeyRestrictions/allowedReferrers") {
        if !call
            .referer
            .is_some_and(|got| strings(refs).any(|p| referrer_allowed(p, got)))
        {
            return Err(refuse(403, "PERMISSION_DENIED:Referer blocked."));
        }
    }
    if !enabled_in_key_project(w, key, call.managed_service) {
        return Err(refuse(
            403,
            format!(
                "PERMISSION_DENIED:API {} is not enabled for the project.",
                call.managed_service
            ),
        ));
    }
    Ok(())
}

fn strings(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// `apiTargets`: absent or empty allows every API; otherwise one target must name this API's
/// managed service, and its `methods` (if any) must match the operation.
fn targets_allow(r: &Value, call: &CheckCall) -> bool {
    let Some(targets) = r["apiTargets"].as_array().filter(|t| !t.is_empty()) else {
        return true;
    };
    targets
        .iter()
        .filter(|t| t["service"].as_str() == Some(call.managed_service))
        .any(|t| {
            let mut methods = strings(&t["methods"]).peekable();
            methods.peek().is_none() || methods.any(|m| method_allowed(m, call))
        })
}

/// A `methods` entry: a method name, optionally qualified, with `*` allowed as the last
/// character (API Keys' documented forms: `Get*`, `translate.googleapis.com.Get*`). The
/// gateway's method is named after the operation ID; its selector in the generated service
/// config is `1.{service with '.' and '-' as '_'}.{operationId}`.
fn method_allowed(pattern: &str, call: &CheckCall) -> bool {
    let selector = format!(
        "1.{}.{}",
        call.managed_service.replace(['.', '-'], "_"),
        call.operation_id
    );
    let candidates = [
        call.operation_id.to_string(),
        format!("{}.{}", call.managed_service, call.operation_id),
        selector,
    ];
    match pattern.strip_suffix('*') {
        Some(prefix) => candidates.iter().any(|c| c.starts_with(prefix)),
        None => candidates.iter().any(|c| c == pattern),
    }
}

/// `allowedIps` entries are addresses or CIDR ranges, IPv4 or IPv6.
fn ip_allowed(entry: &str, ip: IpAddr) -> bool {
    let (addr, bits) = match entry.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()),
        None => (entry, None),
    };
    let Ok(net) = addr.trim().parse::<IpAddr>() else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            prefix_eq(u128::from(u32::from(n)), u128::from(u32::from(i)), 32, bits)
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => prefix_eq(u128::from(n), u128::from(i), 128, bits),
        _ => false,
    }
}

fn prefix_eq(net: u128, ip: u128, width: u32, bits: Option<u32>) -> bool {
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (net >> shift) == (ip >> shift)
}

/// `allowedReferrers` patterns with `*` wildcards. A pattern without a scheme matches the
/// referrer without its scheme; one without a path matches the referrer's host.
fn referrer_allowed(pattern: &str, referer: &str) -> bool {
    let mut target = referer;
    if !pattern.contains("://") {
        target = referer.split_once("://").map_or(referer, |(_, rest)| rest);
        if !pattern.contains('/') {
            target = target.split('/').next().unwrap_or(target);
        }
    }
    glob(pattern.as_bytes(), target.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// The key's project is in its name (`projects/{number}/locations/global/keys/{id}`).
fn enabled_in_key_project(w: &World, key: &ApiKey, service: &str) -> bool {
    let number = key.body["name"]
        .as_str()
        .and_then(|n| n.split('/').nth(1))
        .unwrap_or_default();
    w.projects
        .iter()
        .find(|(_, p)| p.number == number)
        .is_some_and(|(id, _)| w.is_enabled(id, service))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_ranges_and_addresses() {
        let lo: IpAddr = "127.0.0.1".parse().expect("ip");
        assert!(ip_allowed("127.0.0.1", lo));
        assert!(ip_allowed("127.0.0.0/8", lo));
        assert!(!ip_allowed("10.0.0.0/8", lo));
        assert!(ip_allowed("0.0.0.0/0", lo));
        assert!(!ip_allowed("::1", lo));
        assert!(ip_allowed(
            "2001:db8::/32",
            "2001:db8::5".parse().expect("ip")
        ));
    }

    #[test]
    fn referrer_patterns() {
        assert!(referrer_allowed(
            "*.example.com/*",
            "https://www.example.com/page"
        ));
        assert!(!referrer_allowed(
            "*.example.com/*",
            "https://evil.com/page"
        ));
        assert!(referrer_allowed(
            "https://app.example.com/*",
            "https://app.example.com/a/b"
        ));
        assert!(!referrer_allowed(
            "https://app.example.com/*",
            "http://app.example.com/a"
        ));
        assert!(referrer_allowed("example.com", "https://example.com/"));
    }

    #[test]
    fn method_patterns() {
        let call = CheckCall {
            managed_service: "my-api-1.apigateway.p.cloud.goog",
            operation_id: "getItem",
            ip: None,
            referer: None,
        };
        assert!(method_allowed("getItem", &call));
        assert!(method_allowed("get*", &call));
        assert!(method_allowed(
            "my-api-1.apigateway.p.cloud.goog.getItem",
            &call
        ));
        assert!(method_allowed(
            "1.my_api_1_apigateway_p_cloud_goog.getItem",
            &call
        ));
        assert!(!method_allowed("listItems", &call));
    }
}
