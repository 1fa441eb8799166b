//! The Cloud Run side of the data plane: finding the service an address names, Cloud Run's
//! invoker check, and the in-process echo service every emulated Cloud Run service runs
//! (it answers like the tutorial's small Python API: what it received, as JSON).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::emulator::policy;
use crate::emulator::world::World;

/// Roles that carry `run.routes.invoke`.
const INVOKER_ROLES: &[&str] = &[
    "roles/run.invoker",
    "roles/run.admin",
    "roles/editor",
    "roles/owner",
];

/// A Cloud Run service found for a host, and whether the caller may invoke it.
pub struct Target {
    /// The service ID (last segment of its name).
    pub service: String,
    pub allowed: bool,
}

/// `https://host[:port]/path` → (`host`, `/path`); the scheme and port are not significant
/// for finding the service.
pub fn split_address(address: &str) -> (String, String) {
    let rest = address.split_once("://").map_or(address, |(_, r)| r);
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = host.split(':').next().unwrap_or(host);
    (host.to_ascii_lowercase(), path.to_string())
}

/// The service whose `uri` or one of whose `urls` has this host, with the invoker check for
/// `member` (`serviceAccount:EMAIL`; `None` = an unauthenticated caller) against the policies
/// in force at `now_ms` (a fresh grant takes the injected IAM propagation delay to count).
pub fn resolve(w: &World, host: &str, member: Option<&str>, now_ms: u64) -> Option<Target> {
    let (name, _) = w.run_services.iter().find(|(_, r)| {
        let uri = r.body["uri"].as_str().into_iter();
        let urls = r.body["urls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        uri.chain(urls).any(|u| split_address(u).0 == host)
    })?;
    let project = name.split('/').take(2).collect::<Vec<_>>().join("/");
    let allowed = [name.as_str(), project.as_str()]
        .iter()
        .any(|res| grants_invoke(&policy::in_force_at(w, res, now_ms), member));
    Some(Target {
        service: name.rsplit('/').next().unwrap_or_default().to_string(),
        allowed,
    })
}

/// Whether `policy` lets `member` invoke (public grants count for anyone).
fn grants_invoke(policy: &Value, member: Option<&str>) -> bool {
    let bindings = policy["bindings"].as_array().into_iter().flatten();
    bindings
        .filter(|b| {
            b["role"]
                .as_str()
                .is_some_and(|r| INVOKER_ROLES.contains(&r))
        })
        .flat_map(|b| b["members"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .any(|m| {
            m == "allUsers"
                || (member.is_some() && m == "allAuthenticatedUsers")
                || Some(m) == member
        })
}

/// Cloud Run's answer to a caller without `run.routes.invoke` (Google Front End HTML).
pub fn forbidden_html(path: &str) -> String {
    format!(
        "<html><head>\n<meta http-equiv=\"content-type\" content=\"text/html;charset=utf-8\">\n\
         <title>403 Forbidden</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n\
         <h1>Error: Forbidden</h1>\n<h2>Your client does not have permission to get URL \
         <code>{}</code> from this server.</h2>\n<h2></h2>\n</body></html>\n",
        html_escape(path)
    )
}

/// The Google Front End page for a host or URL nothing serves.
pub fn not_found_html() -> String {
    "<html><head>\n<meta http-equiv=\"content-type\" content=\"text/html;charset=utf-8\">\n\
     <title>404 Page not found</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n\
     <h1>Error: Page not found</h1>\n<h2>The requested URL was not found on this server.</h2>\n\
     <h2></h2>\n</body></html>\n"
        .to_string()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One request as the echo service receives it.
pub struct EchoRequest<'a> {
    pub service: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    /// Request headers as forwarded (lower-case names).
    pub headers: &'a BTreeMap<String, String>,
    pub body: &'a [u8],
}

/// Headers the echo reports back (others are not echoed, so a key sent in a header is not).
const ECHOED_HEADERS: &[&str] = &[
    "content-type",
    "user-agent",
    "x-forwarded-for",
    "x-apigateway-api-userinfo",
];

/// The echo's 200 body: method, path, query (repeated parameters as arrays), selected
/// headers, the body (JSON when it parses, else text, `null` when empty) and the service name.
pub fn echo(r: &EchoRequest) -> Value {
    let mut query: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in r.query {
        match query.get_mut(k) {
            Some(Value::Array(a)) => a.push(json!(v)),
            Some(prev) => *prev = json!([prev.clone(), v]),
            None => {
                query.insert(k.clone(), json!(v));
            }
        }
    }
    let headers: BTreeMap<&str, &String> = ECHOED_HEADERS
        .iter()
        .filter_map(|h| r.headers.get(*h).map(|v| (*h, v)))
        .collect();
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(r.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(r.body).into_owned()))
    };
    json!({
        "method": r.method,
        "path": r.path,
        "query": query,
        "headers": headers,
        "body": body,
        "service": r.service,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_host_and_path() {
        assert_eq!(
            split_address("https://svc-abc-uc.a.run.app/v1/x"),
            ("svc-abc-uc.a.run.app".into(), "/v1/x".into())
        );
        assert_eq!(
            split_address("https://Svc.a.run.app:443"),
            ("svc.a.run.app".into(), String::new())
        );
    }

    #[test]
    fn echo_reports_repeated_query_and_json_body() {
        let headers = BTreeMap::from([
            ("content-type".to_string(), "application/json".to_string()),
            ("x-api-key".to_string(), "secret".to_string()),
        ]);
        let q = vec![
            ("a".to_string(), "1".to_string()),
            ("a".to_string(), "2".to_string()),
        ];
        let v = echo(&EchoRequest {
            service: "s",
            method: "POST",
            path: "/p",
            query: &q,
            headers: &headers,
            body: br#"{"x":1}"#,
        });
        assert_eq!(v["query"]["a"], json!(["1", "2"]));
        assert_eq!(v["body"]["x"], 1);
        assert!(v["headers"].get("x-api-key").is_none());
    }
}
