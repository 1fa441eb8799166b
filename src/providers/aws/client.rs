//! The one HTTP client for AWS: every request signed (SigV4), sent to the service's resolved
//! endpoint, retried while a named predicate says AWS will soon accept it (`retry.rs`), and
//! AWS's errors parsed into code and message — REST-JSON services (API Gateway, Lambda) and
//! the query protocol with XML answers (IAM, STS).

use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tokio::sync::OnceCell;

use super::retry;
use crate::aws::{sign::sign_request, Auth, Endpoints, Service};

/// An AWS error: the HTTP status, AWS's error code and message.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsError {
    /// 0 when no answer came (connection refused, timeout).
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            0 => write!(f, "{}: {}", self.code, self.message),
            s => write!(f, "{} ({s}): {}", self.code, self.message),
        }
    }
}

impl AwsError {
    fn local(code: &str, message: impl Into<String>) -> AwsError {
        AwsError {
            status: 0,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// 404, whatever the service calls it.
    pub fn is_not_found(&self) -> bool {
        self.status == 404
            || matches!(
                self.code.as_str(),
                "NotFoundException" | "ResourceNotFoundException" | "NoSuchEntity"
            )
    }
}

/// The client: identity, endpoints, and the account ID (read once, for ARNs).
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    auth: Auth,
    endpoints: Endpoints,
    account: OnceCell<String>,
    /// The longest a retried call keeps trying (tests shorten it).
    pub retry_budget: Duration,
}

impl Client {
    pub fn new(auth: Auth, endpoints: Endpoints) -> Client {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap_or_default();
        Client {
            http,
            auth,
            endpoints,
            account: OnceCell::new(),
            retry_budget: Duration::from_secs(120),
        }
    }

    pub fn region(&self) -> &str {
        self.auth.region()
    }

    /// A REST-JSON call (`path` holds the query too); `Json::Null` for an empty answer.
    pub async fn json(
        &self,
        service: Service,
        verb: &str,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, AwsError> {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        self.json_answer(service, verb, path, bytes, "application/json")
            .await
    }

    /// A REST-JSON call whose body is a document sent as it is (PutRestApi's OpenAPI
    /// document, JSON or YAML); the answer is JSON.
    pub async fn document(
        &self,
        service: Service,
        verb: &str,
        path: &str,
        document: &str,
    ) -> Result<Json, AwsError> {
        let bytes = Some(document.as_bytes().to_vec());
        self.json_answer(service, verb, path, bytes, "application/octet-stream")
            .await
    }

    async fn json_answer(
        &self,
        service: Service,
        verb: &str,
        path: &str,
        bytes: Option<Vec<u8>>,
        content_type: &str,
    ) -> Result<Json, AwsError> {
        let answer = self.send(service, verb, path, bytes, content_type).await?;
        if answer.trim().is_empty() {
            return Ok(Json::Null);
        }
        serde_json::from_str(&answer).map_err(|e| {
            AwsError::local(
                "InvalidResponse",
                format!(
                    "{} answered {verb} {path} with invalid JSON: {e}",
                    service.endpoints_key()
                ),
            )
        })
    }

    /// A query-protocol call (`Action` and its parameters as a form); the XML answer.
    pub async fn query(
        &self,
        service: Service,
        action: &str,
        version: &str,
        params: &[(String, String)],
    ) -> Result<String, AwsError> {
        let mut form = form_urlencoded_pairs(&[("Action", action), ("Version", version)]);
        for (k, v) in params {
            form.push('&');
            form.push_str(&form_urlencoded_pairs(&[(k, v)]));
        }
        self.send(
            service,
            "POST",
            "/",
            Some(form.into_bytes()),
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .await
    }

    /// The caller's account ID (STS GetCallerIdentity, once).
    pub async fn account(&self) -> Result<String, AwsError> {
        self.account
            .get_or_try_init(|| async {
                let xml = self.caller_identity_xml().await?;
                xml_text(&xml, "Account").ok_or_else(|| {
                    AwsError::local("InvalidResponse", "no Account in GetCallerIdentity")
                })
            })
            .await
            .cloned()
    }

    /// STS GetCallerIdentity's answer.
    pub async fn caller_identity_xml(&self) -> Result<String, AwsError> {
        self.query(Service::Sts, "GetCallerIdentity", "2011-06-15", &[])
            .await
    }

    async fn send(
        &self,
        service: Service,
        verb: &str,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Result<String, AwsError> {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = self
                .send_once(service, verb, path, body.clone(), content_type)
                .await;
            let err = match result {
                Ok(text) => return Ok(text),
                Err(err) => err,
            };
            let Some(reason) = retry::reason(service, verb, &err) else {
                return Err(err);
            };
            let budget = reason.budget().min(self.retry_budget);
            if started.elapsed() >= budget {
                return Err(err);
            }
            tokio::time::sleep(retry::backoff(attempt)).await;
        }
    }

    async fn send_once(
        &self,
        service: Service,
        verb: &str,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Result<String, AwsError> {
        let region = self.auth.region();
        let base = self.endpoints.resolve(service, region);
        let url = format!("{base}{path}");
        let method = reqwest::Method::from_bytes(verb.as_bytes())
            .map_err(|e| AwsError::local("InvalidRequest", e.to_string()))?;
        let mut builder = self.http.request(method, &url);
        if let Some(bytes) = body {
            builder = builder.header("content-type", content_type).body(bytes);
        }
        let mut request = builder
            .build()
            .map_err(|e| AwsError::local("InvalidRequest", format!("{url}: {e}")))?;
        let signing_region = service.signing_region(region);
        sign_request(
            &self.auth,
            service.signing_name(),
            &signing_region,
            &mut request,
        )
        .await
        .map_err(|e| AwsError::local("CredentialsError", e.to_string()))?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| AwsError::local("RequestError", format!("{verb} {url}: {e}")))?;
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response
            .text()
            .await
            .map_err(|e| AwsError::local("RequestError", format!("{verb} {url}: {e}")))?;
        if status < 300 {
            return Ok(text);
        }
        Err(parse_error(status, error_type, &text))
    }
}

/// An error answer: `x-amzn-ErrorType` or the body's `__type`/`code`, and its message, for
/// REST-JSON; `<Error><Code>` and `<Message>` for XML.
fn parse_error(status: u16, error_type: Option<String>, text: &str) -> AwsError {
    // `ConflictException:http://internal.amazon.com/coral/...`: the code is before the colon.
    let error_type = error_type.map(|t| t.split(':').next().unwrap_or_default().to_owned());
    if let Ok(Json::Object(body)) = serde_json::from_str::<Json>(text) {
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| body.get(*n).and_then(Json::as_str))
                .map(str::to_owned)
        };
        let code = error_type
            .or_else(|| field(&["__type", "code", "Code", "Type"]))
            .map(|c| c.rsplit('#').next().unwrap_or(&c).to_owned())
            .unwrap_or_else(|| format!("HTTP{status}"));
        let message = field(&["message", "Message", "errorMessage"]).unwrap_or_default();
        return AwsError {
            status,
            code,
            message,
        };
    }
    let code = xml_text(text, "Code")
        .or(error_type)
        .unwrap_or_else(|| format!("HTTP{status}"));
    // Anything else (an HTML error page): one line of it, whitespace collapsed.
    let message = xml_text(text, "Message").unwrap_or_else(|| {
        let flat: Vec<&str> = text.split_whitespace().collect();
        flat.join(" ").chars().take(200).collect()
    });
    AwsError {
        status,
        code,
        message,
    }
}

/// The text of the first element named `name`, anywhere in an XML document.
pub fn xml_text(xml: &str, name: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    doc.descendants()
        .find(|n| n.has_tag_name(name))
        .and_then(|n| n.text())
        .map(str::to_owned)
}

fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encoding for form values and path segments (RFC 3986 unreserved kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_both_protocols() {
        let e = parse_error(
            409,
            Some("ConflictException:http://internal.amazon.com/coral/".to_owned()),
            r#"{"message":"Route with key GET /a already exists for this API"}"#,
        );
        assert_eq!(e.code, "ConflictException");
        assert!(e.message.contains("already exists"));
        let e = parse_error(
            404,
            None,
            r#"{"Type":"User","Message":"Function not found","__type":"ResourceNotFoundException"}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.is_not_found()),
            ("ResourceNotFoundException", true)
        );
        let e = parse_error(
            404,
            None,
            "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code>\
             <Message>The role with name r cannot be found.</Message></Error></ErrorResponse>",
        );
        assert_eq!(e.code, "NoSuchEntity");
        assert_eq!(e.message, "The role with name r cannot be found.");
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
