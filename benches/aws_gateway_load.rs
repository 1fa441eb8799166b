//! Load on the emulator's AWS data plane: starts an emulator, builds an HTTP API (a `GET
//! /hello` route, HTTP_PROXY to a remote host, which the emulator answers as its echo) and a
//! REST API (a MOCK `GET /hello` requiring an API key in a usage plan with limits far above the
//! load) through the AWS control plane, then fires GETs at each from C concurrent connections
//! for S seconds and prints requests per second, p50/p99 latency and the error count.
//!
//!   cargo bench --bench aws_gateway_load -- [--concurrency C] [--seconds S]
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it is a one-second smoke run with
//! two connections that fails on any error, so the benchmark cannot rot unnoticed.

use std::time::{Duration, Instant};

use keyway::emulator::{Emulator, Options};
use serde_json::{json, Value};

struct Args {
    concurrency: usize,
    seconds: u64,
    smoke: bool,
}

fn args() -> Args {
    let argv: Vec<String> = std::env::args().collect();
    let bench = argv.iter().any(|a| a == "--bench");
    let mut a = Args {
        concurrency: if bench { 16 } else { 2 },
        seconds: if bench { 5 } else { 1 },
        smoke: !bench,
    };
    for w in argv.windows(2) {
        match w[0].as_str() {
            "--concurrency" => a.concurrency = w[1].parse().unwrap_or(a.concurrency),
            "--seconds" => a.seconds = w[1].parse().unwrap_or(a.seconds),
            _ => {}
        }
    }
    a
}

/// One control-plane call, signed the way any AWS client signs (the signature is not checked).
async fn aws(http: &reqwest::Client, base: &str, method: &str, path: &str, body: Value) -> Value {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let resp = http
        .request(m, format!("{base}{path}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDLOAD/20260101/us-east-1/apigateway/aws4_request, \
             SignedHeaders=host, Signature=00",
        )
        .body(body.to_string())
        .send()
        .await
        .expect("control plane answers");
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path}: {v}");
    v
}

/// The HTTP API; returns its URL prefix.
async fn http_api(http: &reqwest::Client, base: &str) -> String {
    let api = aws(
        http,
        base,
        "POST",
        "/v2/apis",
        json!({"name": "load", "protocolType": "HTTP"}),
    )
    .await;
    let id = api["apiId"].as_str().expect("apiId").to_string();
    let i = aws(
        http,
        base,
        "POST",
        &format!("/v2/apis/{id}/integrations"),
        json!({"integrationType": "HTTP_PROXY", "integrationMethod": "GET",
               "integrationUri": "https://backend.example/hello", "payloadFormatVersion": "1.0"}),
    )
    .await;
    let target = format!("integrations/{}", i["integrationId"].as_str().expect("id"));
    aws(
        http,
        base,
        "POST",
        &format!("/v2/apis/{id}/routes"),
        json!({"routeKey": "GET /hello", "target": target}),
    )
    .await;
    aws(
        http,
        base,
        "POST",
        &format!("/v2/apis/{id}/stages"),
        json!({"stageName": "$default", "autoDeploy": true}),
    )
    .await;
    format!("{base}/__host/{id}.execute-api.us-east-1.amazonaws.com/hello")
}

/// The REST API; returns its URL and the API key value.
async fn rest_api(http: &reqwest::Client, base: &str) -> (String, String) {
    let api = aws(http, base, "POST", "/restapis", json!({"name": "load"})).await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let r = aws(
        http,
        base,
        "POST",
        &format!("/restapis/{id}/resources/{root}"),
        json!({"pathPart": "hello"}),
    )
    .await;
    let m = format!(
        "/restapis/{id}/resources/{}/methods/GET",
        r["id"].as_str().expect("id")
    );
    aws(
        http,
        base,
        "PUT",
        &m,
        json!({"authorizationType": "NONE", "apiKeyRequired": true}),
    )
    .await;
    aws(
        http,
        base,
        "PUT",
        &format!("{m}/integration"),
        json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
    )
    .await;
    aws(http, base, "PUT", &format!("{m}/responses/200"), json!({})).await;
    aws(
        http,
        base,
        "PUT",
        &format!("{m}/integration/responses/200"),
        json!({"responseTemplates": {"application/json": "{\"hello\": true}"}}),
    )
    .await;
    aws(
        http,
        base,
        "POST",
        &format!("/restapis/{id}/deployments"),
        json!({"stageName": "prod"}),
    )
    .await;
    let key = aws(
        http,
        base,
        "POST",
        "/apikeys",
        json!({"name": "load", "enabled": true}),
    )
    .await;
    let plan = aws(
        http,
        base,
        "POST",
        "/usageplans",
        json!({"name": "load", "apiStages": [{"apiId": id, "stage": "prod"}],
               "throttle": {"burstLimit": 1_000_000, "rateLimit": 1_000_000.0}}),
    )
    .await;
    let keys = format!("/usageplans/{}/keys", plan["id"].as_str().expect("id"));
    aws(
        http,
        base,
        "POST",
        &keys,
        json!({"keyId": key["id"], "keyType": "API_KEY"}),
    )
    .await;
    (
        format!("{base}/__host/{id}.execute-api.us-east-1.amazonaws.com/prod/hello"),
        key["value"].as_str().expect("value").to_string(),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Fires GETs at `url` for the configured time; returns (latencies, errors, seconds).
async fn load(
    a: &Args,
    http: &reqwest::Client,
    url: &str,
    key: Option<&str>,
) -> (Vec<Duration>, u64, f64) {
    let until = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..a.concurrency {
        let (http, url, key) = (http.clone(), url.to_string(), key.map(str::to_string));
        workers.push(tokio::spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), 0u64);
            while Instant::now() < until {
                let t = Instant::now();
                let mut req = http.get(&url);
                if let Some(k) = &key {
                    req = req.header("x-api-key", k);
                }
                let ok = match req.send().await {
                    Ok(r) => r.status().as_u16() == 200 && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                lat.push(t.elapsed());
                errors += u64::from(!ok);
            }
            (lat, errors)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for w in workers {
        let (lat, e) = w.await.expect("worker");
        all.extend(lat);
        errors += e;
    }
    all.sort();
    (all, errors, started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let a = args();
    let emu = Emulator::start(Options::default())
        .await
        .expect("emulator starts");
    let base = emu.base_url();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()
        .expect("client");
    let http_url = http_api(&http, &base).await;
    let (rest_url, key) = rest_api(&http, &base).await;
    let mut failed = false;
    let mut total = 0;
    for (name, url, key) in [
        ("HTTP API (HTTP_PROXY echo)", http_url.as_str(), None),
        (
            "REST API (MOCK, API key, usage plan)",
            rest_url.as_str(),
            Some(key.as_str()),
        ),
    ] {
        let (lat, errors, secs) = load(&a, &http, url, key).await;
        total += lat.len() as u64;
        println!(
            "aws gateway load, {name}: {} requests in {secs:.1}s with {} connections: {:.0} req/s, \
             p50 {:.2} ms, p99 {:.2} ms, {errors} errors",
            lat.len(),
            a.concurrency,
            lat.len() as f64 / secs,
            percentile(&lat, 0.50).as_secs_f64() * 1000.0,
            percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        );
        failed |= errors > 0 || lat.is_empty();
    }
    let counted = emu
        .counters()
        .get("execute-api.requests")
        .copied()
        .unwrap_or(0);
    emu.shutdown().await;
    if a.smoke && (failed || counted != total) {
        eprintln!("aws gateway load smoke run failed (emulator counted {counted} of {total})");
        std::process::exit(1);
    }
}
