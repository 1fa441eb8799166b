//! The `gcs` backend's objects: Cloud Storage's JSON API, as Terraform's gcs backend uses
//! it (`{prefix}/{workspace}.tfstate` and `.tflock` in `bucket`), with every change under a
//! generation precondition (`ifGenerationMatch=0` to create a lock, `=<generation read>` to
//! replace state). Credentials: `access_token` or GOOGLE_OAUTH_ACCESS_TOKEN, `credentials` or
//! GOOGLE_BACKEND_CREDENTIALS / GOOGLE_CREDENTIALS (a key file's path or contents), else
//! Application Default Credentials; none for a loopback `storage_custom_endpoint` (keyway's
//! emulator).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::{Cond, Failed, Object, Objects};
use crate::state::error::Error;

const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_write";

/// How requests authenticate.
enum Auth {
    None,
    Token(String),
    Provider(Arc<dyn gcp_auth::TokenProvider>),
    /// Application Default Credentials, looked up on first use.
    Adc,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "none",
            Auth::Token(_) => "token",
            Auth::Provider(_) => "key file",
            Auth::Adc => "application default credentials",
        })
    }
}

/// One bucket, reached through its own small runtime (state calls are synchronous and may
/// come from inside keyway's async code, so each call runs on a thread of its own).
#[derive(Debug)]
pub struct Gcs {
    bucket: String,
    base: String,
    auth: Auth,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    http: reqwest::Client,
}

impl Drop for Gcs {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside keyway's own async code.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The state and lock keys of a workspace: Terraform's names.
pub fn keys(prefix: &str, workspace: &str) -> (String, String) {
    let p = prefix.trim_matches('/');
    let base = if p.is_empty() {
        workspace.to_owned()
    } else {
        format!("{p}/{workspace}")
    };
    (format!("{base}.tfstate"), format!("{base}.tflock"))
}

/// The workspaces of a prefix: every `{prefix}/{name}.tfstate`.
pub fn workspace_of(prefix: &str, key: &str) -> Option<String> {
    let p = prefix.trim_matches('/');
    let rest = if p.is_empty() {
        key
    } else {
        key.strip_prefix(p)?.strip_prefix('/')?
    };
    let name = rest.strip_suffix(".tfstate")?;
    (!name.is_empty() && !name.contains('/')).then(|| name.to_owned())
}

fn fail(message: impl Into<String>) -> Error {
    Error::Backend {
        backend: "gcs".into(),
        message: message.into(),
    }
}

/// Percent-encodes an object name for a URL path segment or query value.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Gcs {
    /// Opens `bucket` with the backend's settings.
    pub fn open(settings: &BTreeMap<String, String>) -> Result<Gcs, Error> {
        let bucket = settings
            .get("bucket")
            .filter(|b| !b.is_empty())
            .cloned()
            .ok_or_else(|| Error::Settings("the gcs backend needs `bucket`".into()))?;
        let endpoint = settings
            .get("storage_custom_endpoint")
            .cloned()
            .or_else(|| std::env::var("GOOGLE_STORAGE_CUSTOM_ENDPOINT").ok())
            .filter(|e| !e.is_empty());
        let base = match &endpoint {
            Some(e) => {
                let e = e.trim_end_matches('/');
                let e = e.strip_suffix("/storage/v1").unwrap_or(e);
                format!("{e}/")
            }
            None => "https://storage.googleapis.com/".to_owned(),
        };
        let loopback = endpoint
            .as_deref()
            .is_some_and(|e| e.contains("://127.0.0.1") || e.contains("://localhost"));
        let token = settings
            .get("access_token")
            .cloned()
            .or_else(|| std::env::var("GOOGLE_OAUTH_ACCESS_TOKEN").ok())
            .filter(|t| !t.is_empty());
        let credentials = settings
            .get("credentials")
            .cloned()
            .or_else(|| std::env::var("GOOGLE_BACKEND_CREDENTIALS").ok())
            .or_else(|| std::env::var("GOOGLE_CREDENTIALS").ok())
            .filter(|c| !c.is_empty());
        let auth = match (token, credentials) {
            (Some(t), _) => Auth::Token(t),
            (None, Some(c)) => Auth::Provider(key_file(&c)?),
            (None, None) if loopback => Auth::None,
            (None, None) => Auth::Adc,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start an I/O runtime: {e}")))?;
        Ok(Gcs {
            bucket,
            base,
            auth,
            runtime: Some(runtime),
            http: reqwest::Client::new(),
        })
    }

    /// Runs one request future to completion on this backend's runtime, on a thread of its
    /// own (the caller may be inside another runtime).
    fn run<T: Send>(
        &self,
        f: impl std::future::Future<Output = Result<T, Error>> + Send,
    ) -> Result<T, Error> {
        let Some(rt) = &self.runtime else {
            return Err(fail("the storage client is closed"));
        };
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(f))
                .join()
                .unwrap_or_else(|_| Err(fail("a storage request thread failed")))
        })
    }

    async fn bearer(&self) -> Result<Option<String>, Error> {
        let provider = match &self.auth {
            Auth::None => return Ok(None),
            Auth::Token(t) => return Ok(Some(t.clone())),
            Auth::Provider(p) => p.clone(),
            Auth::Adc => gcp_auth::provider().await.map_err(|e| {
                Error::Settings(format!(
                    "no Google credentials for the gcs backend ({e}): set `credentials` or \
                     `access_token` in the backend block, GOOGLE_BACKEND_CREDENTIALS, or run \
                     `gcloud auth application-default login`"
                ))
            })?,
        };
        let token = provider
            .token(&[SCOPE])
            .await
            .map_err(|e| fail(format!("cannot get an access token: {e}")))?;
        Ok(Some(token.as_str().to_owned()))
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Vec<u8>), Error> {
        let mut req = self.http.request(method, &url);
        if let Some(t) = self.bearer().await? {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        let resp = req.send().await.map_err(|e| fail(format!("{url}: {e}")))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| fail(format!("{url}: {e}")))?;
        Ok((status, bytes.to_vec()))
    }

    fn object_url(&self, key: &str) -> String {
        format!(
            "{}storage/v1/b/{}/o/{}",
            self.base,
            enc(&self.bucket),
            enc(key)
        )
    }

    fn error(&self, what: &str, status: u16, body: &[u8]) -> Error {
        let message = serde_json::from_slice::<Json>(body)
            .ok()
            .and_then(|j| j["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
        fail(format!(
            "{what} in gs://{}: {status} {message}",
            self.bucket
        ))
    }

    fn cond_query(cond: Cond<'_>) -> String {
        match cond {
            Cond::Absent => "ifGenerationMatch=0".into(),
            Cond::Matches(g) => format!("ifGenerationMatch={}", enc(g)),
        }
    }
}

/// A service-account key given as a path or as its JSON contents.
fn key_file(c: &str) -> Result<Arc<dyn gcp_auth::TokenProvider>, Error> {
    let text = if c.trim_start().starts_with('{') {
        c.to_owned()
    } else {
        std::fs::read_to_string(c)
            .map_err(|e| Error::Settings(format!("cannot read credentials file {c}: {e}")))?
    };
    let account = gcp_auth::CustomServiceAccount::from_json(&text)
        .map_err(|e| Error::Settings(format!("the gcs backend's credentials: {e}")))?;
    Ok(Arc::new(account))
}

impl Objects for Gcs {
    fn describe(&self, key: &str) -> String {
        format!("gs://{}/{key}", self.bucket)
    }

    fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        self.run(async {
            // Two reads, the second pinned to the generation the first saw, so the bytes and
            // the version always belong together.
            for _ in 0..3 {
                let (status, body) = self
                    .send(reqwest::Method::GET, self.object_url(key), None)
                    .await?;
                match status {
                    404 => return Ok(None),
                    200 => {}
                    _ => return Err(self.error("read", status, &body)),
                }
                let meta: Json = serde_json::from_slice(&body)
                    .map_err(|e| fail(format!("unreadable object metadata: {e}")))?;
                let generation = meta["generation"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| meta["generation"].as_u64().map(|g| g.to_string()))
                    .ok_or_else(|| fail("object metadata without a generation"))?;
                let url = format!(
                    "{}?alt=media&generation={}",
                    self.object_url(key),
                    enc(&generation)
                );
                let (status, bytes) = self.send(reqwest::Method::GET, url, None).await?;
                match status {
                    200 => {
                        return Ok(Some(Object {
                            bytes,
                            version: generation,
                        }))
                    }
                    // Replaced between the two reads: read again.
                    404 | 412 => continue,
                    _ => return Err(self.error("download", status, &bytes)),
                }
            }
            Err(fail(format!("{key} keeps changing while it is read")))
        })
    }

    fn put(&self, key: &str, bytes: &[u8], cond: Cond<'_>) -> Result<String, Failed> {
        let url = format!(
            "{}upload/storage/v1/b/{}/o?uploadType=media&name={}&{}",
            self.base,
            enc(&self.bucket),
            enc(key),
            Gcs::cond_query(cond)
        );
        let out = self.run(async {
            let (status, body) = self
                .send(reqwest::Method::POST, url, Some(bytes.to_vec()))
                .await?;
            Ok((status, body))
        })?;
        match out {
            (200, body) => {
                let meta: Json = serde_json::from_slice(&body)
                    .map_err(|e| fail(format!("unreadable upload answer: {e}")))?;
                meta["generation"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| meta["generation"].as_u64().map(|g| g.to_string()))
                    .ok_or_else(|| Failed::Other(fail("upload answer without a generation")))
            }
            (412, _) => Err(Failed::Conflict),
            (status, body) => Err(Failed::Other(self.error("write", status, &body))),
        }
    }

    fn delete(&self, key: &str, cond: Cond<'_>) -> Result<(), Failed> {
        let url = format!("{}?{}", self.object_url(key), Gcs::cond_query(cond));
        let (status, body) =
            self.run(async { self.send(reqwest::Method::DELETE, url, None).await })?;
        match status {
            200 | 204 => Ok(()),
            // Gone already, or not the version named: nothing was deleted.
            404 | 412 => Err(Failed::Conflict),
            _ => Err(Failed::Other(self.error("delete", status, &body))),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        self.run(async {
            let mut out = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut url = format!(
                    "{}storage/v1/b/{}/o?prefix={}",
                    self.base,
                    enc(&self.bucket),
                    enc(prefix)
                );
                if let Some(t) = &token {
                    url.push_str(&format!("&pageToken={}", enc(t)));
                }
                let (status, body) = self.send(reqwest::Method::GET, url, None).await?;
                if status != 200 {
                    return Err(self.error("list", status, &body));
                }
                let page: Json = serde_json::from_slice(&body)
                    .map_err(|e| fail(format!("unreadable listing: {e}")))?;
                for item in page["items"].as_array().into_iter().flatten() {
                    if let Some(n) = item["name"].as_str() {
                        out.push(n.to_owned());
                    }
                }
                token = page["nextPageToken"].as_str().map(str::to_owned);
                if token.is_none() {
                    out.sort();
                    return Ok(out);
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_workspaces_follow_terraform() {
        assert_eq!(
            keys("env/app", "default"),
            (
                "env/app/default.tfstate".into(),
                "env/app/default.tflock".into()
            )
        );
        assert_eq!(keys("", "ws2").0, "ws2.tfstate");
        assert_eq!(
            workspace_of("env/app", "env/app/ws2.tfstate").as_deref(),
            Some("ws2")
        );
        assert_eq!(workspace_of("env/app", "env/app/ws2.tflock"), None);
        assert_eq!(workspace_of("env/app", "env/other/x.tfstate"), None);
        assert_eq!(
            workspace_of("", "default.tfstate").as_deref(),
            Some("default")
        );
    }

    #[test]
    fn object_names_are_escaped_whole() {
        assert_eq!(enc("env/default.tfstate"), "env%2Fdefault.tfstate");
    }
}
