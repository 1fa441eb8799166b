//! The `s3` backend's objects: S3's REST API signed with SigV4 (`crate::aws`), at Terraform's
//! object names (`{key}` for `default`, `{workspace_key_prefix}/{workspace}/{key}` for the
//! others, the lock at `{state key}.tflock` as Terraform 1.11's `use_lockfile` writes it).
//! Every change is conditional: a lock is created with `If-None-Match: *`, state replaced
//! with `If-Match: <ETag read>` (the first state with `If-None-Match: *`), a lock deleted with
//! `If-Match` on the ETag its holder wrote. An ETag names the bytes (their MD5, or an opaque value
//! under SSE-KMS), not a version counter, which is enough here: every object keyway writes differs from the ones before it
//! (the serial, the lock's ID and lease), so a matching ETag means the very bytes read.
//! Credentials and region come from the standard
//! AWS chain (`aws::Auth::load`), the endpoint from `endpoints { s3 }`, AWS_ENDPOINT_URL_S3 or
//! AWS_ENDPOINT_URL.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;

mod names;
mod xml;

use names::{dns_compatible, enc};
pub use names::{keys, list_prefix, workspace_of, DEFAULT_PREFIX};
use xml::{raw_tags, tag, unescape};

use super::{Cond, Failed, Object, Objects};
use crate::aws::{Auth, AuthSettings, Endpoints, Service};
use crate::state::error::Error;

/// Server-side encryption asked of S3 for every object written.
#[derive(Debug, Clone)]
enum Sse {
    None,
    Aes256,
    Kms(String),
}

/// One bucket, reached through its own small runtime (state calls are synchronous and may
/// come from inside keyway's async code, so each call runs on a thread of its own).
#[derive(Debug)]
pub struct S3 {
    bucket: String,
    /// `scheme://host[:port]` of the endpoint, with any path it has, no trailing slash.
    endpoint: String,
    path_style: bool,
    auth: Auth,
    sse: Sse,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    http: reqwest::Client,
}

impl Drop for S3 {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside keyway's own async code.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn fail(message: impl Into<String>) -> Error {
    Error::Backend {
        backend: "s3".into(),
        message: message.into(),
    }
}

/// A setting, or the first of Terraform's environment variables for it that is set.
fn setting(settings: &BTreeMap<String, String>, key: &str, env: &[&str]) -> Option<String> {
    settings
        .get(key)
        .cloned()
        .or_else(|| env.iter().find_map(|v| std::env::var(v).ok()))
        .filter(|v| !v.is_empty())
}

/// A boolean setting, `true`/`false` as HCL or `-backend-config` gives it.
pub fn flag(settings: &BTreeMap<String, String>, key: &str) -> bool {
    settings.get(key).is_some_and(|v| v == "true")
}

/// A list of paths: a JSON list (an HCL list evaluated) or one path.
fn paths(settings: &BTreeMap<String, String>, key: &str) -> Vec<std::path::PathBuf> {
    let Some(v) = settings.get(key) else {
        return Vec::new();
    };
    match serde_json::from_str::<Vec<String>>(v) {
        Ok(list) => list.into_iter().map(Into::into).collect(),
        Err(_) => vec![v.into()],
    }
}

impl S3 {
    /// Opens `bucket` with the backend's settings (the cli has checked their names).
    pub fn open(settings: &BTreeMap<String, String>) -> Result<S3, Error> {
        let bucket = setting(settings, "bucket", &[])
            .ok_or_else(|| Error::Settings("the s3 backend needs `bucket`".into()))?;
        let mut endpoints = Endpoints::default();
        // `endpoints.s3` from a backend block; `terraform_remote_state`'s `config` gives
        // `endpoints = { s3 = ... }` as one object.
        let from_object = settings
            .get("endpoints")
            .and_then(|o| serde_json::from_str::<serde_json::Value>(o).ok())
            .and_then(|o| o["s3"].as_str().map(str::to_owned));
        if let Some(url) = setting(settings, "endpoints.s3", &[])
            .or(from_object)
            .or_else(|| setting(settings, "endpoint", &["AWS_S3_ENDPOINT"]))
        {
            endpoints.set("s3", &url);
        }
        let auth = AuthSettings {
            region: setting(settings, "region", &["AWS_REGION", "AWS_DEFAULT_REGION"]),
            profile: setting(settings, "profile", &[]),
            access_key: setting(settings, "access_key", &[]),
            secret_key: setting(settings, "secret_key", &[]),
            token: setting(settings, "token", &[]),
            shared_config_files: paths(settings, "shared_config_files"),
            shared_credentials_files: paths(settings, "shared_credentials_files"),
        };
        let sse = match setting(settings, "kms_key_id", &[]) {
            Some(key) => Sse::Kms(key),
            None if flag(settings, "encrypt") => Sse::Aes256,
            None => Sse::None,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| fail(format!("cannot build an HTTP client: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start an I/O runtime: {e}")))?;
        let loaded = std::thread::scope(|s| s.spawn(|| runtime.block_on(Auth::load(&auth))).join());
        let auth = match loaded {
            Ok(Ok(auth)) => auth,
            failed => {
                // Dropping a runtime blocks, which tokio forbids inside keyway's async code.
                runtime.shutdown_background();
                return Err(match failed {
                    Ok(Err(e)) => Error::Settings(format!("the s3 backend: {e}")),
                    _ => fail("the AWS credential lookup failed"),
                });
            }
        };
        let endpoint = endpoints.resolve(Service::S3, auth.region());
        let path_style = flag(settings, "use_path_style")
            || flag(settings, "force_path_style")
            || !dns_compatible(&bucket);
        Ok(S3 {
            bucket,
            endpoint,
            path_style,
            auth,
            sse,
            runtime: Some(runtime),
            http,
        })
    }

    /// The URL of `key` (empty: the bucket itself), path-style or virtual-hosted.
    fn url(&self, key: &str) -> String {
        if self.path_style {
            return format!("{}/{}/{}", self.endpoint, self.bucket, enc(key, false));
        }
        let (scheme, rest) = self
            .endpoint
            .split_once("://")
            .unwrap_or(("https", &self.endpoint));
        format!("{scheme}://{}.{rest}/{}", self.bucket, enc(key, false))
    }

    /// Runs one request future to completion on this backend's runtime, on a thread of its
    /// own (the caller may be inside another runtime).
    fn run<T: Send>(
        &self,
        f: impl std::future::Future<Output = Result<T, Error>> + Send,
    ) -> Result<T, Error> {
        let Some(rt) = &self.runtime else {
            return Err(fail("the S3 client is closed"));
        };
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(f))
                .join()
                .unwrap_or_else(|_| Err(fail("an S3 request thread failed")))
        })
    }

    /// Sends one signed request; answers the status, the ETag and the body. Reads are
    /// retried on transport errors and 500/503 (S3's "SlowDown"); conditional writes are not:
    /// a retried lock create that had landed would report our own lock as someone else's.
    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<Response, Error> {
        let retries = if method == Method::GET || method == Method::HEAD {
            3
        } else {
            1
        };
        let mut last = String::new();
        for attempt in 0..retries {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            let mut req = self.http.request(method.clone(), url);
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            if let Some(b) = body {
                req = req.body(b.to_vec());
            }
            let mut req = req.build().map_err(|e| fail(format!("{url}: {e}")))?;
            crate::aws::sign::sign_request(&self.auth, "s3", self.auth.region(), &mut req)
                .await
                .map_err(|e| Error::Settings(format!("the s3 backend: {e}")))?;
            let resp = match self.http.execute(req).await {
                Ok(r) => r,
                Err(e) => {
                    last = format!(
                        "cannot reach S3 at {} ({method} {url}): {}",
                        self.endpoint,
                        chain(&e)
                    );
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let etag = header("etag");
            let region = header("x-amz-bucket-region");
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| fail(format!("{url}: {e}")))?;
            if matches!(status, 500 | 503) && attempt + 1 < retries {
                last = format!("{url}: HTTP {status}");
                continue;
            }
            return Ok(Response {
                status,
                etag,
                region,
                body: bytes.to_vec(),
            });
        }
        Err(fail(last))
    }

    /// The headers that ask S3 to encrypt what is written.
    fn sse_headers(&self) -> Vec<(&'static str, String)> {
        match &self.sse {
            Sse::None => vec![],
            Sse::Aes256 => vec![("x-amz-server-side-encryption", "AES256".into())],
            Sse::Kms(key) => vec![
                ("x-amz-server-side-encryption", "aws:kms".into()),
                ("x-amz-server-side-encryption-aws-kms-key-id", key.clone()),
            ],
        }
    }

    /// An S3 error answer as a message naming the bucket and key, S3's code and what to do.
    fn error(&self, what: &str, key: &str, r: &Response) -> Error {
        let text = String::from_utf8_lossy(&r.body);
        let code = tag(&text, "Code").unwrap_or_else(|| match r.status {
            404 => "NotFound".into(),
            403 => "AccessDenied".into(),
            s => format!("HTTP {s}"),
        });
        let message = tag(&text, "Message").unwrap_or_default();
        let hint = match code.as_str() {
            "NoSuchBucket" => " (keyway does not create the bucket, as Terraform does not)".into(),
            "AccessDenied" => " (check the credentials: the backend needs s3:GetObject, \
                               s3:PutObject, s3:DeleteObject and s3:ListBucket)"
                .into(),
            "PermanentRedirect" | "AuthorizationHeaderMalformed" => match &r.region {
                Some(region) => format!(" (the bucket is in {region}: set `region`)"),
                None => " (the bucket is in another region: set `region`)".into(),
            },
            _ => String::new(),
        };
        fail(format!(
            "{what} s3://{}/{key}: {code}{}{hint}",
            self.bucket,
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        ))
    }
}

/// An error with its causes: reqwest's first line alone ("error sending request") does not
/// say that the connection was refused or the name did not resolve.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// One answer.
struct Response {
    status: u16,
    etag: Option<String>,
    /// `x-amz-bucket-region`, which S3 sends when the request went to the wrong region.
    region: Option<String>,
    body: Vec<u8>,
}

impl Response {
    fn code(&self) -> Option<String> {
        tag(&String::from_utf8_lossy(&self.body), "Code")
    }
}

impl Objects for S3 {
    fn describe(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        let r = self.run(self.send(Method::GET, &self.url(key), &[], None))?;
        match r.status {
            // One answer holds both the bytes and their ETag: they always belong together.
            200 => {
                let version = r.etag.clone().ok_or_else(|| {
                    fail(format!(
                        "s3://{}/{key} was read without an ETag",
                        self.bucket
                    ))
                })?;
                Ok(Some(Object {
                    bytes: r.body,
                    version,
                }))
            }
            404 if r.code().as_deref() != Some("NoSuchBucket") => Ok(None),
            _ => Err(self.error("cannot read", key, &r)),
        }
    }

    fn put(&self, key: &str, bytes: &[u8], cond: Cond<'_>) -> Result<String, Failed> {
        let mut headers = self.sse_headers();
        headers.push(("content-type", "application/json".into()));
        match cond {
            Cond::Absent => headers.push(("if-none-match", "*".into())),
            Cond::Matches(etag) => headers.push(("if-match", etag.to_owned())),
        }
        // S3 answers 500/503 now and then; a conditional write is re-sent, and a refusal after
        // such an answer may be our own write having landed: every write's bytes are unique
        // (serial, lock ID, lease), so the object holding exactly them means it did.
        let mut uncertain = false;
        for attempt in 0..3u32 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(300 << attempt));
            }
            let r = match self.run(self.send(Method::PUT, &self.url(key), &headers, Some(bytes))) {
                Ok(r) if matches!(r.status, 500 | 503) => {
                    uncertain = true;
                    continue;
                }
                Ok(r) => r,
                // Unreachable, or the answer lost: the write may have landed.
                Err(Error::Backend { .. }) if attempt < 2 => {
                    uncertain = true;
                    continue;
                }
                Err(e) => return Err(Failed::Other(e)),
            };
            let refused = match r.status {
                200 => {
                    return r.etag.ok_or_else(|| {
                        Failed::Other(fail(format!(
                            "s3://{}/{key} was written without an ETag",
                            self.bucket
                        )))
                    })
                }
                // 412 PreconditionFailed: there is an object (or another version); 409
                // ConditionalRequestConflict: a concurrent conditional write won; 404
                // NoSuchKey: the version to replace is gone.
                412 | 409 => true,
                404 => matches!(cond, Cond::Matches(_)) && r.code().as_deref() == Some("NoSuchKey"),
                _ => false,
            };
            if !refused {
                return Err(Failed::Other(self.error("cannot write", key, &r)));
            }
            if uncertain {
                if let Some(o) = self.get(key)?.filter(|o| o.bytes == bytes) {
                    return Ok(o.version);
                }
            }
            return Err(Failed::Conflict);
        }
        Err(Failed::Other(fail(format!(
            "cannot write s3://{}/{key}: S3 kept answering 500/503",
            self.bucket
        ))))
    }

    fn delete(&self, key: &str, cond: Cond<'_>) -> Result<(), Failed> {
        let url = self.url(key);
        let mut headers = Vec::new();
        if let Cond::Matches(etag) = cond {
            // Stores that ignore If-Match on DELETE (older S3-compatible servers) would delete
            // anyone's lock: look first, so only a change in between can slip through.
            let head = self.run(self.send(Method::HEAD, &url, &[], None))?;
            match head.status {
                200 if head.etag.as_deref() == Some(etag) => {}
                200 | 404 => return Err(Failed::Conflict),
                _ => return Err(Failed::Other(self.error("cannot read", key, &head))),
            }
            headers.push(("if-match", etag.to_owned()));
        }
        let r = self.run(self.send(Method::DELETE, &url, &headers, None))?;
        match r.status {
            200 | 204 => Ok(()),
            412 | 409 => Err(Failed::Conflict),
            404 if r.code().as_deref() != Some("NoSuchBucket") => Err(Failed::Conflict),
            _ => Err(Failed::Other(self.error("cannot delete", key, &r))),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = format!("{}?list-type=2&prefix={}", self.url(""), enc(prefix, true));
            if let Some(t) = &token {
                url.push_str(&format!("&continuation-token={}", enc(t, true)));
            }
            let r = self.run(self.send(Method::GET, &url, &[], None))?;
            if r.status != 200 {
                return Err(self.error("cannot list", prefix, &r));
            }
            let text = String::from_utf8_lossy(&r.body);
            for contents in raw_tags(&text, "Contents") {
                out.extend(raw_tags(contents, "Key").first().map(|k| unescape(k)));
            }
            token = tag(&text, "NextContinuationToken")
                .filter(|_| tag(&text, "IsTruncated").as_deref() == Some("true"));
            if token.is_none() {
                out.sort();
                return Ok(out);
            }
        }
    }
}
