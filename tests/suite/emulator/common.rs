//! Test harness: a started emulator plus a JSON client.

use std::time::Duration;

use keyway::emulator::{Emulator, Options};
use serde_json::{json, Value};

pub struct Env {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub base: String,
}

impl Env {
    pub async fn new() -> Env {
        Env::with(Options::default()).await
    }

    pub async fn with(opts: Options) -> Env {
        let emu = Emulator::start(opts).await.expect("emulator starts");
        let base = emu.base_url();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Env { emu, http, base }
    }

    /// Sends `method path` (path starting with `/`) with an optional JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(m, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.expect("request is answered");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        (status, v)
    }

    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (s, v) = self.call(method, path, body).await;
        assert_eq!(s, 200, "{method} {path} -> {v}");
        v
    }

    /// Walks a list method page by page with `pageSize=1`; returns each page's item names.
    pub async fn pages(&self, path: &str, field: &str) -> Vec<Vec<String>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut token = String::new();
        let mut out = Vec::new();
        loop {
            let page = self
                .ok(
                    "GET",
                    &format!("{path}{sep}pageSize=1&pageToken={token}"),
                    None,
                )
                .await;
            out.push(
                page[field]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| i["name"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            );
            match page["nextPageToken"].as_str() {
                Some(t) if !t.is_empty() && out.len() < 50 => token = t.to_string(),
                _ => return out,
            }
        }
    }

    /// Enables services through Service Usage and checks the operation finished.
    pub async fn enable(&self, project: &str, services: &[&str]) {
        let ids: Vec<&str> = services.to_vec();
        let op = self
            .ok(
                "POST",
                &format!("/v1/projects/{project}/services:batchEnable"),
                Some(json!({"serviceIds": ids})),
            )
            .await;
        assert_eq!(op["done"], json!(true), "{op}");
    }
}

/// Asserts an error answer: HTTP status and canonical status name.
pub fn assert_error(got: &(u16, Value), http: u16, status: &str) {
    assert_eq!(got.0, http, "{}", got.1);
    assert_eq!(got.1["error"]["code"], json!(http), "{}", got.1);
    assert_eq!(got.1["error"]["status"], json!(status), "{}", got.1);
    assert!(got.1["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
}

/// The `reason` of the first ErrorInfo detail.
pub fn reason(v: &Value) -> Option<String> {
    v["error"]["details"]
        .as_array()?
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
        .and_then(|d| d["reason"].as_str())
        .map(str::to_string)
}

/// Edits a stopped emulator's data file in place (e.g. to age a deletion past its retention).
pub fn rewrite_world(file: &std::path::Path, edit: impl FnOnce(&mut Value)) {
    let text = std::fs::read(file).expect("data file");
    let mut world: Value = serde_json::from_slice(&text).expect("world JSON");
    edit(&mut world);
    std::fs::write(file, world.to_string()).expect("write data file");
}

/// Milliseconds since the Unix epoch, `days` ago.
pub fn days_ago_ms(days: u64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    now - days * 24 * 3600 * 1000
}
