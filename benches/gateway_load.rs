//! Load on the emulator's gateway data plane: starts an emulator, builds the tutorial stack
//! through the REST APIs (Cloud Run service, invoker grant, API, config, gateway, key), then
//! fires keyed GETs through the gateway from C concurrent connections for S seconds and prints
//! requests per second, p50/p99 latency and the error count.
//!
//!   cargo bench --bench gateway_load -- [--concurrency C] [--seconds S]
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it is a one-second smoke run with
//! two connections that fails on any error, so the benchmark cannot rot unnoticed.

use std::time::{Duration, Instant};

use base64::Engine;
use keyway::emulator::{Emulator, Options};
use serde_json::{json, Value};

const P: &str = "load-proj";

struct Args {
    concurrency: usize,
    seconds: u64,
    /// Run as a test: fail on any error.
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

async fn call(http: &reqwest::Client, base: &str, method: &str, path: &str, body: Value) -> Value {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = http.request(m, format!("{base}{path}"));
    if !body.is_null() {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let resp = req.send().await.expect("control plane answers");
    let status = resp.status();
    let v: Value = resp.json().await.expect("JSON");
    assert!(status.is_success(), "{method} {path}: {v}");
    v
}

/// Builds the stack; returns (gateway host, key string).
async fn build(http: &reqwest::Client, base: &str) -> (String, String) {
    let services = [
        "apigateway.googleapis.com",
        "iam.googleapis.com",
        "run.googleapis.com",
        "apikeys.googleapis.com",
    ];
    let enable = format!("/v1/projects/{P}/services:batchEnable");
    call(http, base, "POST", &enable, json!({"serviceIds": services})).await;
    let sa = format!("gateway-sa@{P}.iam.gserviceaccount.com");
    let accounts = format!("/v1/projects/{P}/serviceAccounts");
    call(
        http,
        base,
        "POST",
        &accounts,
        json!({"accountId": "gateway-sa"}),
    )
    .await;
    let run = format!("/v2/projects/{P}/locations/us-central1/services");
    let image = json!({"template": {"containers": [{"image": "us-docker.pkg.dev/cloudrun/container/hello"}]}});
    call(http, base, "POST", &format!("{run}?serviceId=echo"), image).await;
    let uri = call(http, base, "GET", &format!("{run}/echo"), Value::Null).await["uri"]
        .as_str()
        .expect("uri")
        .to_string();
    let grant = json!({"policy": {"bindings": [{"role": "roles/run.invoker", "members": [format!("serviceAccount:{sa}")]}]}});
    call(
        http,
        base,
        "POST",
        &format!("{run}/echo:setIamPolicy"),
        grant,
    )
    .await;
    let apis = format!("/v1/projects/{P}/locations/global/apis");
    call(http, base, "POST", &format!("{apis}?apiId=load"), json!({})).await;
    let ms = call(http, base, "GET", &format!("{apis}/load"), Value::Null).await["managedService"]
        .as_str()
        .expect("managedService")
        .to_string();
    call(http, base, "POST", &enable, json!({"serviceIds": [ms]})).await;
    let doc = format!(
        "swagger: '2.0'\ninfo: {{title: load, version: '1'}}\nx-google-backend:\n  address: {uri}\n\
         securityDefinitions:\n  api_key: {{type: apiKey, name: key, in: query}}\n\
         security:\n  - api_key: []\npaths:\n  /hello:\n    get:\n      operationId: hello\n"
    );
    let contents = base64::engine::general_purpose::STANDARD.encode(doc);
    let config = json!({"gatewayServiceAccount": sa, "openapiDocuments": [{"document": {"path": "openapi.yaml", "contents": contents}}]});
    call(
        http,
        base,
        "POST",
        &format!("{apis}/load/configs?apiConfigId=v1"),
        config,
    )
    .await;
    let gateways = format!("/v1/projects/{P}/locations/us-central1/gateways");
    let gw = json!({"apiConfig": format!("projects/{P}/locations/global/apis/load/configs/v1")});
    call(http, base, "POST", &format!("{gateways}?gatewayId=gw"), gw).await;
    let host = call(http, base, "GET", &format!("{gateways}/gw"), Value::Null).await
        ["defaultHostname"]
        .as_str()
        .expect("host")
        .to_string();
    let keys = format!("/v2/projects/{P}/locations/global/keys?keyId=load");
    let restrictions = json!({"restrictions": {"apiTargets": [{"service": ms}]}});
    let key = call(http, base, "POST", &keys, restrictions).await["response"]["keyString"]
        .as_str()
        .expect("keyString")
        .to_string();
    (host, key)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
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
    let (host, key) = build(&http, &base).await;
    let url = format!("{base}/hello?key={key}");
    let until = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..a.concurrency {
        let (http, url, host) = (http.clone(), url.clone(), host.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < until {
                let t = Instant::now();
                let ok = match http.get(&url).header("host", &host).send().await {
                    Ok(r) => r.status().as_u16() == 200 && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                lat.push(t.elapsed());
                errors += u64::from(!ok);
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (lat, e) = w.await.expect("worker");
        all.extend(lat);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let counted = emu.counters().get("gateway.requests").copied().unwrap_or(0);
    println!(
        "gateway load: {} requests in {elapsed:.1}s with {} connections: {:.0} req/s, \
         p50 {:.2} ms, p99 {:.2} ms, {errors} errors (emulator counted {counted})",
        all.len(),
        a.concurrency,
        all.len() as f64 / elapsed,
        percentile(&all, 0.50).as_secs_f64() * 1000.0,
        percentile(&all, 0.99).as_secs_f64() * 1000.0,
    );
    emu.shutdown().await;
    if a.smoke && (errors > 0 || counted != all.len() as u64 || all.is_empty()) {
        eprintln!("gateway load smoke run failed");
        std::process::exit(1);
    }
}
