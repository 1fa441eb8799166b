//! The `http` provider: Terraform's hashicorp/http v3 `data "http"` source. It makes one
//! request (with optional retries) and returns status, headers and body; a non-2xx status is
//! a result, not an error. Errors never name the URL, which may carry a secret (`?key=`).
//!
//! A host override table sends requests for some host suffixes (`.run.app`, `.gateway.dev`)
//! to another address over plain HTTP with the original `Host` header: the cli fills it when
//! Google runs against keyway's emulator, so the same folder works on both.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use reqwest::header::{HeaderName, HeaderValue, HOST};

use crate::lang::Value;
use crate::providers::{Provider, ProviderError, Result};

/// Requests to hosts ending in `suffix` go to `target` (`host:port`) over plain HTTP.
#[derive(Clone, Debug, PartialEq)]
pub struct HostOverride {
    /// Host suffix, e.g. `.run.app`.
    pub suffix: String,
    /// Address to connect to instead, e.g. `127.0.0.1:8080`.
    pub target: String,
}

/// The http provider.
#[derive(Default)]
pub struct Http {
    overrides: Vec<HostOverride>,
    /// The client for requests with default TLS settings, built on first use (loading the
    /// trust roots costs tens of milliseconds: once per run, not once per read).
    shared: std::sync::OnceLock<reqwest::Client>,
}

impl Http {
    /// A provider sending matching hosts elsewhere (empty: none).
    pub fn new(overrides: Vec<HostOverride>) -> Http {
        Http {
            overrides,
            shared: std::sync::OnceLock::new(),
        }
    }
}

/// The methods Terraform's provider accepts, plus the other common verbs.
const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// A parsed `data "http"` configuration.
struct Request {
    url: reqwest::Url,
    method: reqwest::Method,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<String>,
    timeout: Option<Duration>,
    insecure: bool,
    ca_cert_pem: Option<String>,
    retry: Retry,
}

/// The `retry` block: `attempts` retries after the first try, waits doubling from
/// `min_delay_ms` up to `max_delay_ms`.
#[derive(Clone, Copy, Default)]
struct Retry {
    attempts: u32,
    min_delay: Duration,
    max_delay: Duration,
}

impl Retry {
    fn delay(&self, n: u32) -> Duration {
        let d = self.min_delay.saturating_mul(2u32.saturating_pow(n));
        if self.max_delay.is_zero() {
            d
        } else {
            d.min(self.max_delay)
        }
    }
}

fn err(message: impl Into<String>) -> ProviderError {
    ProviderError::new(message)
}

fn attr<'a>(config: &'a BTreeMap<String, Value>, name: &str) -> Option<&'a Value> {
    config
        .get(name)
        .map(Value::unmarked)
        .filter(|v| !v.is_null())
}

fn number(config: &BTreeMap<String, Value>, name: &str) -> Result<Option<u64>> {
    match attr(config, name) {
        None => Ok(None),
        Some(v) => crate::lang::eval::to_number(v)
            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
            .map(|n| Some(n as u64))
            .ok_or_else(|| err(format!("`{name}` must be a whole non-negative number"))),
    }
}

fn parse(config: &Value) -> Result<Request> {
    let Value::Object(c) = config.unmarked() else {
        return Err(err("expected an object"));
    };
    let url = attr(c, "url")
        .and_then(Value::as_str)
        .ok_or_else(|| err("`url` is required and must be a string"))?;
    // The URL's text is never repeated: it may hold an API key.
    let url =
        reqwest::Url::parse(url).map_err(|e| err(format!("`url` is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(err("`url` must use the http or https scheme"));
    }
    let method = attr(c, "method").and_then(Value::as_str).unwrap_or("GET");
    let method = method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(err(format!(
            "`method` must be one of {}, got `{method}`",
            METHODS.join(", ")
        )));
    }
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| err("`method` is not a valid HTTP method"))?;
    let headers = match attr(c, "request_headers") {
        None => Vec::new(),
        Some(Value::Object(m)) => request_headers(m)?,
        Some(_) => return Err(err("`request_headers` must be a map of strings")),
    };
    let body = match attr(c, "request_body") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .ok_or_else(|| err("`request_body` must be a string"))?
                .to_owned(),
        ),
    };
    let retry = match attr(c, "retry") {
        Some(Value::List(items)) if !items.is_empty() => {
            let Value::Object(r) = items[0].unmarked() else {
                return Err(err("`retry` must be a block"));
            };
            Retry {
                attempts: number(r, "attempts")?.unwrap_or(0).min(100) as u32,
                min_delay: Duration::from_millis(number(r, "min_delay_ms")?.unwrap_or(0)),
                max_delay: Duration::from_millis(number(r, "max_delay_ms")?.unwrap_or(0)),
            }
        }
        _ => Retry::default(),
    };
    Ok(Request {
        url,
        method,
        headers,
        body,
        timeout: timeout(c)?,
        insecure: attr(c, "insecure").and_then(crate::lang::eval::to_bool) == Some(true),
        ca_cert_pem: attr(c, "ca_cert_pem")
            .and_then(Value::as_str)
            .map(str::to_owned),
        retry,
    })
}

/// The request headers, each checked here: one the HTTP client would refuse (a space in a
/// name, a line break in a value) is an error naming the header, never showing its value
/// (it may be a key), rather than a request silently sent without it.
fn request_headers(m: &BTreeMap<String, Value>) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let mut out = Vec::with_capacity(m.len());
    for (k, v) in m {
        let v = v
            .unmarked()
            .as_str()
            .ok_or_else(|| err(format!("request header `{k}` must be a string")))?;
        let name = HeaderName::try_from(k.as_str()).map_err(|_| {
            err(format!(
                "request header name {k:?} is not a valid HTTP header name"
            ))
        })?;
        let value = HeaderValue::from_bytes(v.as_bytes()).map_err(|_| {
            err(format!(
                "the value of request header `{k}` is not a valid HTTP header value \
                 (control characters such as a line break are not allowed)"
            ))
        })?;
        out.push((name, value));
    }
    Ok(out)
}

/// `request_timeout_ms`: hashicorp/http's schema requires at least 1 (`int64validator.
/// AtLeast(1)`), so 0 is refused as Terraform refuses it rather than timing out at once.
fn timeout(c: &BTreeMap<String, Value>) -> Result<Option<Duration>> {
    match number(c, "request_timeout_ms")? {
        Some(0) => Err(err(
            "`request_timeout_ms` must be at least 1, got 0 (leave it out for no timeout)",
        )),
        ms => Ok(ms.map(Duration::from_millis)),
    }
}

impl Http {
    /// The URL to connect to and the `Host` header to send, after the override table.
    fn route(&self, url: &reqwest::Url) -> (reqwest::Url, Option<String>) {
        let Some(host) = url.host_str() else {
            return (url.clone(), None);
        };
        let Some(o) = self.overrides.iter().find(|o| host.ends_with(&o.suffix)) else {
            return (url.clone(), None);
        };
        let original = host.to_owned();
        let mut to = url.clone();
        let (thost, tport) = match o.target.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse::<u16>().ok()),
            None => (o.target.clone(), None),
        };
        // Both are special schemes, so the switch cannot fail; the emulator speaks plain HTTP.
        let _ = to.set_scheme("http");
        if to.set_host(Some(&thost)).is_err() {
            return (url.clone(), None);
        }
        let _ = to.set_port(tport);
        (to, Some(original))
    }

    fn client(&self, r: &Request) -> Result<reqwest::Client> {
        let default_tls = !r.insecure && r.ca_cert_pem.is_none();
        if let Some(c) = self.shared.get().filter(|_| default_tls) {
            return Ok(c.clone());
        }
        let c = self.build_client(r)?;
        if default_tls {
            let _ = self.shared.set(c.clone());
        }
        Ok(c)
    }

    fn build_client(&self, r: &Request) -> Result<reqwest::Client> {
        let mut b = reqwest::Client::builder()
            .user_agent(concat!("keyway/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(r.insecure);
        if let Some(pem) = &r.ca_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|_| err("`ca_cert_pem` holds no valid PEM certificate"))?;
            b = b.tls_certs_merge(certs);
        }
        b.build()
            .map_err(|e| err(format!("cannot build the HTTP client: {}", e.without_url())))
    }

    async fn send(&self, client: &reqwest::Client, r: &Request) -> reqwest::Result<Response> {
        let (to, host) = self.route(&r.url);
        let mut req = client.request(r.method.clone(), to);
        for (k, v) in &r.headers {
            req = req.header(k.clone(), v.clone());
        }
        if let Some(h) = host {
            req = req.header(HOST, h);
        }
        if let Some(b) = &r.body {
            req = req.body(b.clone());
        }
        if let Some(t) = r.timeout {
            req = req.timeout(t);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in resp.headers() {
            headers
                .entry(canonical(k.as_str()))
                .or_default()
                .push(String::from_utf8_lossy(v.as_bytes()).into_owned());
        }
        let body = resp.bytes().await?.to_vec();
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// A received response.
struct Response {
    status: u16,
    headers: BTreeMap<String, Vec<String>>,
    body: Vec<u8>,
}

/// Go's canonical header form (`content-type` → `Content-Type`), as Terraform reports them.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &cs.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Worth another try: the server's transient errors (5xx except 501 Not Implemented).
fn retryable(status: u16) -> bool {
    status >= 500 && status != 501
}

fn result(config: &Value, r: &Request, resp: Response) -> Value {
    let mut m = match config.unmarked() {
        Value::Object(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    let text = String::from_utf8_lossy(&resp.body).into_owned();
    let headers = resp
        .headers
        .into_iter()
        .map(|(k, v)| (k, Value::string(v.join(", "))))
        .collect();
    for k in [
        "request_headers",
        "request_body",
        "request_timeout_ms",
        "insecure",
        "ca_cert_pem",
        "retry",
    ] {
        m.entry(k.to_owned()).or_insert(Value::Null);
    }
    m.insert("method".into(), Value::string(r.method.as_str()));
    m.insert("id".into(), m.get("url").cloned().unwrap_or(Value::Null));
    m.insert("status_code".into(), Value::number(f64::from(resp.status)));
    m.insert("response_body".into(), Value::string(text.clone()));
    m.insert("body".into(), Value::string(text));
    m.insert(
        "response_body_base64".into(),
        Value::string(base64::engine::general_purpose::STANDARD.encode(&resp.body)),
    );
    m.insert("response_headers".into(), Value::Object(headers));
    Value::Object(m)
}

#[async_trait]
impl Provider for Http {
    async fn refresh(&self, _ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        Ok(priors.iter().cloned().map(Some).collect())
    }

    fn state_only(&self, _ty: &str) -> bool {
        // Only data sources: nothing to find again by refreshing.
        true
    }

    async fn create(&self, ty: &str, _planned: &Value) -> Result<Value> {
        Err(err(format!("`{ty}` is a data source only")))
    }

    async fn update(&self, ty: &str, _prior: &Value, _planned: &Value) -> Result<Value> {
        Err(err(format!("`{ty}` is a data source only")))
    }

    async fn delete(&self, _ty: &str, _prior: &Value) -> Result<()> {
        Ok(())
    }

    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        if ty != "http" {
            return Err(err(format!("data source `{ty}` is not supported")));
        }
        let r = parse(config)?;
        let client = self.client(&r)?;
        let mut attempt = 0;
        loop {
            let outcome = self.send(&client, &r).await;
            let again = attempt < r.retry.attempts
                && match &outcome {
                    Ok(resp) => retryable(resp.status),
                    Err(_) => true,
                };
            if !again {
                return match outcome {
                    Ok(resp) => Ok(result(config, &r, resp)),
                    Err(e) => Err(err(format!(
                        "request failed after {} attempt(s): {}",
                        attempt + 1,
                        describe(&e)
                    ))),
                };
            }
            tokio::time::sleep(r.retry.delay(attempt)).await;
            attempt += 1;
        }
    }
}

/// What went wrong, without the URL.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "error"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = Vec::new();
    while let Some(s) = source {
        detail.push(s.to_string());
        source = s.source();
    }
    match detail.last() {
        Some(d) => format!("{kind} ({d})"),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_header_names() {
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("x-api-KEY"), "X-Api-Key");
    }

    #[test]
    fn overrides_keep_the_host_and_switch_to_plain_http() {
        let h = Http::new(vec![HostOverride {
            suffix: ".run.app".into(),
            target: "127.0.0.1:9".into(),
        }]);
        let url = reqwest::Url::parse("https://svc-abc.a.run.app/x?key=k").expect("url");
        let (to, host) = h.route(&url);
        assert_eq!(to.as_str(), "http://127.0.0.1:9/x?key=k");
        assert_eq!(host.as_deref(), Some("svc-abc.a.run.app"));
        let other = reqwest::Url::parse("https://example.com/").expect("url");
        assert_eq!(h.route(&other), (other.clone(), None));
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let r = Retry {
            attempts: 3,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(25),
        };
        assert_eq!(r.delay(0), Duration::from_millis(10));
        assert_eq!(r.delay(1), Duration::from_millis(20));
        assert_eq!(r.delay(2), Duration::from_millis(25));
    }
}
