//! The one HTTP client of the Google provider: base URL per API, auth header, quota-project
//! header, Google's JSON error envelope parsed into `GoogleError`, and request retries driven by
//! the named predicates in `retry.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::auth::Auth;
use super::retry::{self, Backoff};
use super::Endpoint;

/// The Google APIs keyway calls: six by name, the generated types' by host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    ServiceUsage,
    Iam,
    ResourceManager,
    Run,
    ApiGateway,
    ApiKeys,
    /// Any other API, by its host's first label (`secretmanager`): the generated types'.
    Host(&'static str),
    /// An API served per region (`https://us-central1-run.googleapis.com/`, Cloud Run v1):
    /// its host's label after the region, and the region.
    Regional(&'static str, Region),
}

/// A region name held inline, so that [`Api`] stays `Copy`: lowercase letters, digits and
/// `-`, at most 40 bytes (Google's longest is 23).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Region {
    len: u8,
    bytes: [u8; 40],
}

impl Region {
    /// The region, or `None` when `name` cannot be one (it would make another host).
    pub fn new(name: &str) -> Option<Region> {
        let ok = !name.is_empty()
            && name.len() <= 40
            && !name.starts_with('-')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return None;
        }
        let mut bytes = [0u8; 40];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Some(Region {
            len: name.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII was ever stored.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Api {
    /// The key used in `Endpoint::Custom` maps (the host's first label).
    pub fn key(self) -> &'static str {
        match self {
            Api::ServiceUsage => "serviceusage",
            Api::Iam => "iam",
            Api::ResourceManager => "cloudresourcemanager",
            Api::Run => "run",
            Api::ApiGateway => "apigateway",
            Api::ApiKeys => "apikeys",
            Api::Host(host) | Api::Regional(host, _) => host,
        }
    }

    /// The real root URL (reference §0: `servicePath` is empty, URL = root + path).
    pub fn google_root(self) -> String {
        format!("https://{}.googleapis.com", self.host_name())
    }

    /// The real host name (`us-central1-run.googleapis.com` for a regional API).
    pub fn host_name(self) -> String {
        match self {
            Api::Regional(host, region) => format!("{}-{host}.googleapis.com", region.as_str()),
            other => format!("{}.googleapis.com", other.key()),
        }
    }
}

/// A Google API error: the `{"error": {...}}` envelope of a failed call, an operation's `error`,
/// or a local failure (no HTTP answer: `code` 0).
#[derive(Clone, Debug, PartialEq)]
pub struct GoogleError {
    /// HTTP status (0 when no answer arrived).
    pub code: u16,
    /// Canonical status name, e.g. `ABORTED`, `PERMISSION_DENIED`.
    pub status: String,
    /// Google's own message.
    pub message: String,
    /// `google.rpc.ErrorInfo.reason`, e.g. `SERVICE_DISABLED`.
    pub reason: Option<String>,
    /// `google.rpc.ErrorInfo.domain`.
    pub domain: Option<String>,
    /// `google.rpc.ErrorInfo.metadata` (for SERVICE_DISABLED: `service`, `consumer`, ...).
    pub metadata: BTreeMap<String, String>,
    /// `google.rpc.RetryInfo.retryDelay`, when the server suggests a wait.
    pub retry_delay: Option<Duration>,
    /// A request that changes something was sent again after an attempt whose outcome is
    /// unknown (no answer, a server error, a failed operation): a conflict may be with what
    /// that attempt made, so it proves nothing about whose the object is.
    pub resent: bool,
}

impl fmt::Display for GoogleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        match (&self.status, &self.reason) {
            (s, Some(r)) if !s.is_empty() => write!(f, " ({} {s}, {r})", self.code),
            (s, None) if !s.is_empty() => write!(f, " ({} {s})", self.code),
            _ if self.code != 0 => write!(f, " (HTTP {})", self.code),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for GoogleError {}

impl GoogleError {
    /// An error raised by keyway itself (no HTTP exchange).
    pub fn local(code: u16, status: &str, message: impl Into<String>) -> GoogleError {
        GoogleError {
            code,
            status: status.into(),
            message: message.into(),
            reason: None,
            domain: None,
            metadata: BTreeMap::new(),
            retry_delay: None,
            resent: false,
        }
    }

    /// Parses a `google.rpc.Status` object: either the HTTP envelope's `error` (where `code` is
    /// the HTTP status) or an operation's `error` (where `code` is the numeric canonical code).
    pub fn from_status(status: &Json, http: Option<u16>) -> GoogleError {
        let numeric = status.get("code").and_then(Json::as_u64).unwrap_or(0);
        let (code, name) = match http {
            Some(h) => (
                h,
                status
                    .get("status")
                    .and_then(Json::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| canonical_for_http(h).to_owned()),
            ),
            None => {
                let (h, n) = canonical(numeric);
                (h, n.to_owned())
            }
        };
        let mut e = GoogleError::local(
            code,
            &name,
            status
                .get("message")
                .and_then(Json::as_str)
                .unwrap_or("(no message)"),
        );
        for d in status
            .get("details")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let ty = d.get("@type").and_then(Json::as_str).unwrap_or_default();
            if ty.ends_with("google.rpc.ErrorInfo") {
                e.reason = d.get("reason").and_then(Json::as_str).map(str::to_owned);
                e.domain = d.get("domain").and_then(Json::as_str).map(str::to_owned);
                if let Some(m) = d.get("metadata").and_then(Json::as_object) {
                    for (k, v) in m {
                        if let Some(s) = v.as_str() {
                            e.metadata.insert(k.clone(), s.to_owned());
                        }
                    }
                }
            } else if ty.ends_with("google.rpc.RetryInfo") {
                e.retry_delay = d
                    .get("retryDelay")
                    .and_then(Json::as_str)
                    .and_then(parse_duration);
            }
        }
        e
    }

    /// A non-2xx response body: the JSON envelope, or the raw text when a proxy answered.
    fn from_response(http: u16, body: &str) -> GoogleError {
        match serde_json::from_str::<Json>(body) {
            Ok(j) if j.get("error").is_some_and(Json::is_object) => {
                GoogleError::from_status(&j["error"], Some(http))
            }
            _ => {
                let text: String = body.chars().take(300).collect();
                GoogleError::local(http, canonical_for_http(http), text)
            }
        }
    }
}

/// Numeric google.rpc.Code → (HTTP status, name) (reference §1.5 table).
fn canonical(code: u64) -> (u16, &'static str) {
    match code {
        0 => (200, "OK"),
        1 => (499, "CANCELLED"),
        3 => (400, "INVALID_ARGUMENT"),
        4 => (504, "DEADLINE_EXCEEDED"),
        5 => (404, "NOT_FOUND"),
        6 => (409, "ALREADY_EXISTS"),
        7 => (403, "PERMISSION_DENIED"),
        8 => (429, "RESOURCE_EXHAUSTED"),
        9 => (400, "FAILED_PRECONDITION"),
        10 => (409, "ABORTED"),
        11 => (400, "OUT_OF_RANGE"),
        12 => (501, "UNIMPLEMENTED"),
        13 => (500, "INTERNAL"),
        14 => (503, "UNAVAILABLE"),
        15 => (500, "DATA_LOSS"),
        16 => (401, "UNAUTHENTICATED"),
        _ => (500, "UNKNOWN"),
    }
}

fn canonical_for_http(http: u16) -> &'static str {
    match http {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        // 409 is ABORTED or ALREADY_EXISTS; without a status name, claim neither (only an
        // explicit ABORTED may be retried).
        409 => "UNKNOWN",
        429 => "RESOURCE_EXHAUSTED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

/// `google-duration`: decimal seconds with an `s` suffix ("1s", "3.5s").
pub fn parse_duration(s: &str) -> Option<Duration> {
    let secs: f64 = s.strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// Percent-encodes one query-string value (RFC 3986 unreserved characters pass).
pub fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How long keyway retries SERVICE_DISABLED after it enabled that service itself: real
/// enablement "may take a few minutes" to propagate (reference §2.3).
const ENABLE_PROPAGATION_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How long a service account keyway created may still be invisible to IAM policies.
const ACCOUNT_PROPAGATION_WINDOW: Duration = Duration::from_secs(2 * 60);

/// Which budget a retry spends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum RetryKind {
    /// 429, 5xx, no answer: at most `Backoff::max_retries`.
    Transient,
    /// A service or account keyway just made, not yet visible: until its window closes.
    Propagation,
}

/// The provider's HTTP client.
pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    auth: Auth,
    billing_project: Option<String>,
    /// Backoff shape for every retry this client makes.
    pub backoff: Backoff,
    /// Services keyway enabled, and when: SERVICE_DISABLED for them is retried for a while.
    enabled: Mutex<BTreeMap<String, Instant>>,
    /// Service accounts (by email) keyway created, and when.
    created_accounts: Mutex<BTreeMap<String, Instant>>,
}

/// Locks a mutex, recovering the data if another thread panicked while holding it (the maps
/// hold timestamps only, so a half-done update cannot break an invariant).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Client {
    /// A client for an endpoint. Fails only if the TLS stack cannot be initialised.
    pub fn new(
        endpoint: Endpoint,
        auth: Auth,
        billing_project: Option<String>,
        backoff: Backoff,
    ) -> Result<Client, GoogleError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("keyway/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| GoogleError::local(0, "", format!("cannot build HTTP client: {e}")))?;
        Ok(Client {
            http,
            endpoint,
            auth,
            billing_project,
            backoff,
            enabled: Mutex::new(BTreeMap::new()),
            created_accounts: Mutex::new(BTreeMap::new()),
        })
    }

    /// The access token the client would send (empty for the emulator).
    pub async fn access_token(&self) -> Result<String, GoogleError> {
        Ok(self.auth.bearer().await?.unwrap_or_default())
    }

    /// Base URL of an API, without a trailing slash.
    pub fn base(&self, api: Api) -> String {
        match &self.endpoint {
            Endpoint::Google => api.google_root(),
            Endpoint::Emulator(base) => base.trim_end_matches('/').to_owned(),
            Endpoint::Custom(map) => map
                .get(api.key())
                .map(|b| b.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| api.google_root()),
        }
    }

    /// Remembers that keyway enabled `service`, so its SERVICE_DISABLED answers are retried.
    pub fn note_enabled(&self, service: &str) {
        lock(&self.enabled).insert(service.to_owned(), Instant::now());
    }

    /// Remembers that keyway created the account `email`.
    pub fn note_account_created(&self, email: &str) {
        lock(&self.created_accounts).insert(email.to_owned(), Instant::now());
    }

    /// Remembers that keyway created the account `email` `age` ago (in an earlier run).
    pub fn note_account_created_at(&self, email: &str, age: Duration) {
        // An age beyond what `Instant` can go back is far past the window anyway.
        if let Some(at) = Instant::now().checked_sub(age) {
            lock(&self.created_accounts).insert(email.to_owned(), at);
        }
    }

    /// Forgets a created account (keyway deleted it: a 404 is then the truth, not lag).
    pub fn forget_account(&self, email: &str) {
        lock(&self.created_accounts).remove(email);
    }

    /// True if keyway created `email` within the propagation window.
    pub fn recently_created_account(&self, email: &str) -> bool {
        lock(&self.created_accounts)
            .get(email)
            .is_some_and(|t| t.elapsed() < ACCOUNT_PROPAGATION_WINDOW)
    }

    /// Whether this error may be retried, and on which budget (`transient` = transient
    /// retries so far).
    fn retry_kind(&self, e: &GoogleError, transient: u32) -> Option<RetryKind> {
        let transient_ok = transient < self.backoff.max_retries;
        if (retry::is_rate_limited(e)
            || retry::is_server_unavailable(e)
            || retry::is_transport_failure(e))
            && transient_ok
        {
            return Some(RetryKind::Transient);
        }
        if let Some(service) = retry::service_disabled(e) {
            let recent = lock(&self.enabled)
                .get(service)
                .is_some_and(|t| t.elapsed() < ENABLE_PROPAGATION_WINDOW);
            if recent {
                return Some(RetryKind::Propagation);
            }
        }
        if let Some(email) = retry::account_not_yet_visible(e) {
            if self.recently_created_account(email) {
                return Some(RetryKind::Propagation);
            }
        }
        None
    }

    /// Sends one API call, retrying what the predicates allow; returns the JSON body (`{}` for
    /// an empty body).
    pub async fn call(
        &self,
        api: Api,
        method: reqwest::Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, GoogleError> {
        // Separate budgets: waiting out a propagation (bounded by its window) must not use up
        // the retries a rate limit or an outage in the same call may still need.
        let (mut transient, mut waits) = (0u32, 0u32);
        let mut unknown_outcome = false;
        loop {
            match self.send_once(api, method.clone(), path, body).await {
                Ok(v) => return Ok(v),
                Err(mut e) => {
                    let n = match self.retry_kind(&e, transient) {
                        Some(RetryKind::Transient) => &mut transient,
                        Some(RetryKind::Propagation) => &mut waits,
                        None => {
                            e.resent = unknown_outcome && method != reqwest::Method::GET;
                            return Err(e);
                        }
                    };
                    // No answer or a server error: the server may have done it anyway.
                    unknown_outcome |= e.code == 0 || e.code >= 500;
                    // Cap the exponent so propagation waits stay short.
                    let d = self.backoff.delay((*n).min(5), e.retry_delay);
                    *n += 1;
                    tokio::time::sleep(d).await;
                }
            }
        }
    }

    /// GET shorthand.
    pub async fn get(&self, api: Api, path: &str) -> Result<Json, GoogleError> {
        self.call(api, reqwest::Method::GET, path, None).await
    }

    /// POST shorthand.
    pub async fn post(&self, api: Api, path: &str, body: &Json) -> Result<Json, GoogleError> {
        self.call(api, reqwest::Method::POST, path, Some(body))
            .await
    }

    async fn send_once(
        &self,
        api: Api,
        method: reqwest::Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, GoogleError> {
        let url = format!("{}/{}", self.base(api), path.trim_start_matches('/'));
        let mut req = self.http.request(method, url);
        if let (Api::Regional(..), Endpoint::Emulator(_)) = (api, &self.endpoint) {
            // The emulator serves every host on one port: the region is in the host name,
            // so the request names the host it stands for, as it would reach Google.
            req = req.header(reqwest::header::HOST, api.host_name());
        }
        if let Some(token) = self.auth.bearer().await? {
            req = req.bearer_auth(token);
        }
        if let Some(p) = &self.billing_project {
            // The quota project for user credentials (reference §1.1); harmless otherwise.
            req = req.header("x-goog-user-project", p);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| GoogleError::local(0, "", format!("request failed: {e}")))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| GoogleError::local(0, "", format!("reading the response failed: {e}")))?;
        if !(200..300).contains(&status) {
            return Err(GoogleError::from_response(status, &text));
        }
        if text.trim().is_empty() {
            return Ok(Json::Object(Default::default()));
        }
        serde_json::from_str(&text).map_err(|e| {
            GoogleError::local(
                status,
                "UNKNOWN",
                format!("the API answered with invalid JSON: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_http_error_envelope() {
        let body = json!({"error": {"code": 403, "message": "IAM API has not been used",
            "status": "PERMISSION_DENIED", "details": [
              {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
               "domain": "googleapis.com", "metadata": {"service": "iam.googleapis.com"}},
              {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]}});
        let e = GoogleError::from_response(403, &body.to_string());
        assert_eq!(e.code, 403);
        assert_eq!(e.status, "PERMISSION_DENIED");
        assert_eq!(e.reason.as_deref(), Some("SERVICE_DISABLED"));
        assert_eq!(e.metadata["service"], "iam.googleapis.com");
        assert_eq!(e.retry_delay, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn operation_errors_use_numeric_codes() {
        let e = GoogleError::from_status(&json!({"code": 10, "message": "m"}), None);
        assert_eq!((e.code, e.status.as_str()), (409, "ABORTED"));
    }

    #[test]
    fn non_json_bodies_keep_their_text() {
        let e = GoogleError::from_response(502, "<html>Bad Gateway</html>");
        assert_eq!(e.code, 502);
        assert!(e.message.contains("Bad Gateway"));
    }

    #[test]
    fn an_account_an_earlier_run_created_is_recent_only_within_the_window() {
        let c = Client::new(
            super::super::Endpoint::Emulator("http://127.0.0.1:1".into()),
            crate::providers::google::auth::Auth::None,
            None,
            crate::providers::google::retry::Backoff::local(),
        )
        .expect("client");
        c.note_account_created_at("a@p.iam.gserviceaccount.com", Duration::from_secs(5));
        c.note_account_created_at("b@p.iam.gserviceaccount.com", Duration::from_secs(3600));
        assert!(c.recently_created_account("a@p.iam.gserviceaccount.com"));
        assert!(!c.recently_created_account("b@p.iam.gserviceaccount.com"));
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode_query("state:ENABLED"), "state:ENABLED");
        assert_eq!(encode_query("a b/=+"), "a%20b%2F%3D%2B");
    }
}
