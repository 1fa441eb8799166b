//! The data plane: a stack built through the REST APIs (Cloud Run service, API, config, gateway,
//! key, invoker grant), then called as a client calls a gateway, by `Host` header and by the
//! `/__host/` path prefix.

use std::time::Duration;

use base64::Engine;
use keyway::emulator::{FaultConfig, Options};
use serde_json::{json, Value};

use super::common::Env;

const P: &str = "dp-proj";
const RUN: &str = "/v2/projects/dp-proj/locations/us-central1/services";
const APIS: &str = "/v1/projects/dp-proj/locations/global/apis";
const GATEWAYS: &str = "/v1/projects/dp-proj/locations/us-central1/gateways";
const KEYS: &str = "/v2/projects/dp-proj/locations/global/keys";
const SA: &str = "gateway-sa@dp-proj.iam.gserviceaccount.com";
const UNREGISTERED: &str = "UNAUTHENTICATED:Method doesn't allow unregistered callers (callers \
                            without established identity). Please use API Key or other form of \
                            API consumer identity to call this API.";
const KEY_INVALID: &str = "INVALID_ARGUMENT:API key not valid. Please pass a valid API key.";

/// How a client names the gateway host.
#[derive(Clone, Copy, Debug)]
enum Via {
    Header,
    Prefix,
}

struct Stack {
    env: Env,
    host: String,
    /// The echo service's URL host.
    run_host: String,
    managed_service: String,
    key: String,
}

fn spec(run_uri: &str) -> String {
    format!(
        "swagger: '2.0'
info:
  title: shop
  version: '1'
basePath: /v1
x-google-backend:
  address: {run_uri}
securityDefinitions:
  api_key:
    type: apiKey
    name: key
    in: query
  header_key:
    type: apiKey
    name: x-api-key
    in: header
security:
  - api_key: []
paths:
  /hello:
    get:
      operationId: hello
  /items:
    post:
      operationId: createItem
  /items/{{id}}:
    get:
      operationId: getItem
      x-google-backend:
        address: {run_uri}/lookup
        jwt_audience: {run_uri}
        deadline: 5.0
  /users/{{uid}}:
    get:
      operationId: getUser
  /open:
    get:
      operationId: open
      security: []
  /by-header:
    get:
      operationId: byHeader
      security:
        - header_key: []
"
    )
}

fn config_body(doc: &str) -> Value {
    let contents = base64::engine::general_purpose::STANDARD.encode(doc);
    json!({
        "gatewayServiceAccount": SA,
        "openapiDocuments": [{"document": {"path": "openapi.yaml", "contents": contents}}],
    })
}

fn host_of(uri: &str) -> String {
    uri.trim_start_matches("https://").to_string()
}

async fn create_run_service(env: &Env, id: &str) -> String {
    let body = json!({"template": {"containers": [{"image": "us-docker.pkg.dev/cloudrun/container/hello"}]}});
    env.ok("POST", &format!("{RUN}?serviceId={id}"), Some(body))
        .await;
    let svc = env.ok("GET", &format!("{RUN}/{id}"), None).await;
    svc["uri"].as_str().expect("uri").to_string()
}

async fn grant(env: &Env, service: &str, member: &str) {
    env.ok(
        "POST",
        &format!("{RUN}/{service}:setIamPolicy"),
        Some(json!({"policy": {"bindings": [{"role": "roles/run.invoker", "members": [member]}]}})),
    )
    .await;
}

async fn create_key(env: &Env, keys: &str, id: &str, restrictions: Value) -> String {
    let op = env
        .ok(
            "POST",
            &format!("{keys}?keyId={id}"),
            Some(json!({"restrictions": restrictions})),
        )
        .await;
    op["response"]["keyString"]
        .as_str()
        .expect("keyString")
        .to_string()
}

/// The whole tutorial stack; `invoker` says whether the gateway's account gets run.invoker.
async fn stack(invoker: bool) -> Stack {
    stack_with(Options::default(), invoker).await
}

async fn stack_with(opts: Options, invoker: bool) -> Stack {
    let env = Env::with(opts).await;
    env.enable(
        P,
        &[
            "apigateway.googleapis.com",
            "iam.googleapis.com",
            "run.googleapis.com",
            "apikeys.googleapis.com",
        ],
    )
    .await;
    env.ok(
        "POST",
        &format!("/v1/projects/{P}/serviceAccounts"),
        Some(json!({"accountId": "gateway-sa"})),
    )
    .await;
    let run_uri = create_run_service(&env, "echo").await;
    if invoker {
        grant(&env, "echo", &format!("serviceAccount:{SA}")).await;
    }
    env.ok("POST", &format!("{APIS}?apiId=shop"), Some(json!({})))
        .await;
    let api = env.ok("GET", &format!("{APIS}/shop"), None).await;
    let managed_service = api["managedService"].as_str().expect("ms").to_string();
    env.enable(P, &[&managed_service]).await;
    env.ok(
        "POST",
        &format!("{APIS}/shop/configs?apiConfigId=v1"),
        Some(config_body(&spec(&run_uri))),
    )
    .await;
    env.ok(
        "POST",
        &format!("{GATEWAYS}?gatewayId=gw"),
        Some(json!({"apiConfig": format!("projects/{P}/locations/global/apis/shop/configs/v1")})),
    )
    .await;
    let gw = env.ok("GET", &format!("{GATEWAYS}/gw"), None).await;
    let host = gw["defaultHostname"].as_str().expect("host").to_string();
    let key = create_key(&env, KEYS, "plain", json!({})).await;
    Stack {
        env,
        host,
        run_host: host_of(&run_uri),
        managed_service,
        key,
    }
}

/// Sends a data-plane request; answers the status and the body (JSON when it parses, else
/// the text as a JSON string).
async fn send(
    env: &Env,
    via: Via,
    method: &str,
    host: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let url = match via {
        Via::Header => format!("{}{path_and_query}", env.base),
        Via::Prefix => format!("{}/__host/{host}{path_and_query}", env.base),
    };
    let mut req = env.http.request(m, url);
    if let Via::Header = via {
        req = req.header("host", host);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("answered");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

impl Stack {
    async fn get(&self, via: Via, path: &str) -> (u16, Value) {
        send(&self.env, via, "GET", &self.host, path, &[], None).await
    }
}

fn assert_esp(got: &(u16, Value), status: u16, message: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(
        got.1,
        json!({"code": status, "message": message}),
        "ESPv2 error shape"
    );
}

#[tokio::test]
async fn keyed_get_and_post_reach_the_echo_backend() {
    let s = stack(true).await;
    for via in [Via::Header, Via::Prefix] {
        let (st, v) = s.get(via, &format!("/v1/hello?key={}&x=1", s.key)).await;
        assert_eq!(st, 200, "{via:?} {v}");
        assert_eq!(v["method"], "GET");
        assert_eq!(
            v["path"], "/v1/hello",
            "APPEND_PATH_TO_ADDRESS at top level"
        );
        assert_eq!(v["query"]["x"], "1");
        assert_eq!(v["service"], "echo");
        assert_eq!(v["body"], Value::Null);
        assert_eq!(v["headers"]["x-forwarded-for"], "127.0.0.1");

        let path = format!("/v1/items?key={}", s.key);
        let (st, v) = send(
            &s.env,
            via,
            "POST",
            &s.host,
            &path,
            &[("user-agent", "dp-test")],
            Some(r#"{"name":"pen"}"#),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["method"], "POST");
        assert_eq!(v["body"], json!({"name": "pen"}));
        assert_eq!(v["headers"]["content-type"], "application/json");
        assert_eq!(v["headers"]["user-agent"], "dp-test");

        // A header-located key.
        let (st, v) = send(
            &s.env,
            via,
            "GET",
            &s.host,
            "/v1/by-header",
            &[("x-api-key", &s.key)],
            None,
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert!(
            v["headers"].get("x-api-key").is_none(),
            "the key is not echoed"
        );
        // ... and only there: the query form does not satisfy a header-only scheme.
        let got = s.get(via, &format!("/v1/by-header?key={}", s.key)).await;
        assert_esp(&got, 401, UNREGISTERED);
    }
}

#[tokio::test]
async fn missing_unknown_and_deleted_keys() {
    let s = stack(true).await;
    assert_esp(&s.get(Via::Header, "/v1/hello").await, 401, UNREGISTERED);
    assert_esp(
        &s.get(Via::Prefix, "/v1/hello?key=").await,
        401,
        UNREGISTERED,
    );
    assert_esp(
        &s.get(Via::Header, "/v1/hello?key=AIzaNotAKeyAtAll").await,
        400,
        KEY_INVALID,
    );
    let doomed = create_key(&s.env, KEYS, "doomed", json!({})).await;
    assert_eq!(
        s.get(Via::Header, &format!("/v1/hello?key={doomed}"))
            .await
            .0,
        200
    );
    s.env.ok("DELETE", &format!("{KEYS}/doomed"), None).await;
    assert_esp(
        &s.get(Via::Prefix, &format!("/v1/hello?key={doomed}")).await,
        400,
        KEY_INVALID,
    );
}

#[tokio::test]
async fn key_restrictions_are_enforced() {
    let s = stack(true).await;
    let blocked =
        "PERMISSION_DENIED: The API targeted by this request is invalid for the given API key.";
    let other = create_key(
        &s.env,
        KEYS,
        "other-api",
        json!({"apiTargets": [{"service": "translate.googleapis.com"}]}),
    )
    .await;
    assert_esp(
        &s.get(Via::Header, &format!("/v1/hello?key={other}")).await,
        403,
        blocked,
    );

    let ms = &s.managed_service;
    let methods = create_key(
        &s.env,
        KEYS,
        "hello-only",
        json!({"apiTargets": [{"service": ms, "methods": ["hel*"]}]}),
    )
    .await;
    assert_eq!(
        s.get(Via::Header, &format!("/v1/hello?key={methods}"))
            .await
            .0,
        200
    );
    let got = send(
        &s.env,
        Via::Header,
        "POST",
        &s.host,
        &format!("/v1/items?key={methods}"),
        &[],
        Some("{}"),
    )
    .await;
    assert_esp(&got, 403, blocked);

    let far_ip = create_key(
        &s.env,
        KEYS,
        "far-ip",
        json!({"serverKeyRestrictions": {"allowedIps": ["10.0.0.0/8", "192.0.2.1"]}}),
    )
    .await;
    assert_esp(
        &s.get(Via::Prefix, &format!("/v1/hello?key={far_ip}")).await,
        403,
        "PERMISSION_DENIED:IP address blocked.",
    );
    let local_ip = create_key(
        &s.env,
        KEYS,
        "local-ip",
        json!({"serverKeyRestrictions": {"allowedIps": ["127.0.0.0/8"]}}),
    )
    .await;
    assert_eq!(
        s.get(Via::Prefix, &format!("/v1/hello?key={local_ip}"))
            .await
            .0,
        200
    );

    let web = create_key(
        &s.env,
        KEYS,
        "web",
        json!({"browserKeyRestrictions": {"allowedReferrers": ["*.example.com/*"]}}),
    )
    .await;
    let path = format!("/v1/hello?key={web}");
    let referer = |r: &'static str| [("referer", r)];
    let got = send(&s.env, Via::Header, "GET", &s.host, &path, &[], None).await;
    assert_esp(&got, 403, "PERMISSION_DENIED:Referer blocked.");
    let h = referer("https://evil.test/page");
    let got = send(&s.env, Via::Header, "GET", &s.host, &path, &h, None).await;
    assert_esp(&got, 403, "PERMISSION_DENIED:Referer blocked.");
    let h = referer("https://www.example.com/page");
    let got = send(&s.env, Via::Header, "GET", &s.host, &path, &h, None).await;
    assert_eq!(got.0, 200, "{}", got.1);
}

#[tokio::test]
async fn managed_service_must_be_enabled_in_the_keys_project() {
    let s = stack(true).await;
    s.env
        .enable("consumer-proj", &["apikeys.googleapis.com"])
        .await;
    let key = create_key(
        &s.env,
        "/v2/projects/consumer-proj/locations/global/keys",
        "k",
        json!({}),
    )
    .await;
    let msg = format!(
        "PERMISSION_DENIED:API {} is not enabled for the project.",
        s.managed_service
    );
    assert_esp(
        &s.get(Via::Header, &format!("/v1/hello?key={key}")).await,
        403,
        &msg,
    );
    s.env.enable("consumer-proj", &[&s.managed_service]).await;
    assert_eq!(
        s.get(Via::Header, &format!("/v1/hello?key={key}")).await.0,
        200
    );
}

#[tokio::test]
async fn routing_not_found_wrong_method_and_path_translation() {
    let s = stack(true).await;
    // Routing comes before the key: no key needed to learn a path is unknown.
    assert_esp(
        &s.get(Via::Header, "/v1/nowhere").await,
        404,
        "The current request is not defined by this API.",
    );
    assert_esp(
        &s.get(Via::Prefix, "/hello").await,
        404,
        "The current request is not defined by this API.",
    );
    let got = send(
        &s.env,
        Via::Header,
        "DELETE",
        &s.host,
        "/v1/hello",
        &[],
        None,
    )
    .await;
    assert_esp(
        &got,
        405,
        "The current request is matched to the defined url template \"/v1/hello\" but its http \
         method is not allowed",
    );
    // Per-operation backend: CONSTANT_ADDRESS by default, the path parameter as a query one.
    let (st, v) = s
        .get(Via::Header, &format!("/v1/items/42?key={}&x=y", s.key))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["path"], "/lookup");
    assert_eq!(v["query"]["id"], "42");
    assert_eq!(v["query"]["x"], "y");
    // Top-level backend: the request path appended, parameters left in it.
    let (st, v) = s
        .get(Via::Header, &format!("/v1/users/7?key={}", s.key))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["path"], "/v1/users/7");
    assert!(v["query"].get("uid").is_none(), "{v}");
    let (st, v) = s
        .get(Via::Prefix, &format!("/v1/hello/?key={}", s.key))
        .await;
    assert_eq!(st, 200, "trailing slash accepted: {v}");
    assert_eq!(v["path"], "/v1/hello/");
}

#[tokio::test]
async fn an_open_method_needs_no_key() {
    let s = stack(true).await;
    let (st, v) = s.get(Via::Header, "/v1/open").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["path"], "/v1/open");
}

#[tokio::test]
async fn the_backend_requires_run_invoker_for_the_gateway_account() {
    let s = stack(false).await;
    let (st, v) = s
        .get(Via::Header, &format!("/v1/hello?key={}", s.key))
        .await;
    assert_eq!(st, 403);
    let page = v.as_str().expect("Cloud Run answers HTML");
    assert!(
        page.contains("Your client does not have permission to get URL <code>/v1/hello</code>"),
        "{page}"
    );
    grant(&s.env, "echo", &format!("serviceAccount:{SA}")).await;
    let (st, v) = s
        .get(Via::Header, &format!("/v1/hello?key={}", s.key))
        .await;
    assert_eq!(st, 200, "{v}");
}

#[tokio::test]
async fn a_fresh_invoker_grant_counts_once_iam_has_propagated() {
    let opts = Options {
        faults: FaultConfig {
            iam_propagation: Duration::from_secs(2),
            ..Default::default()
        },
        ..Default::default()
    };
    let s = stack_with(opts, false).await;
    grant(&s.env, "echo", &format!("serviceAccount:{SA}")).await;
    let path = format!("/v1/hello?key={}", s.key);
    assert_eq!(s.get(Via::Header, &path).await.0, 403, "not in force yet");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(s.get(Via::Header, &path).await.0, 200);
}

#[tokio::test]
async fn direct_cloud_run_calls_need_all_users() {
    let s = stack(true).await;
    // The gateway's grant does not make the service public.
    let (st, v) = send(&s.env, Via::Header, "GET", &s.run_host, "/x", &[], None).await;
    assert_eq!(st, 403, "{v}");
    assert!(v.as_str().is_some_and(|p| p.contains("<code>/x</code>")));
    let public_uri = create_run_service(&s.env, "public").await;
    grant(&s.env, "public", "allUsers").await;
    for via in [Via::Header, Via::Prefix] {
        let (st, v) = send(
            &s.env,
            via,
            "GET",
            &host_of(&public_uri),
            "/a/b?q=1",
            &[],
            None,
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["service"], "public");
        assert_eq!(v["path"], "/a/b");
        assert_eq!(v["query"]["q"], "1");
    }
    // Unknown hosts of either kind: the front end's 404.
    for host in ["nope-abc-uc.a.run.app", "nope-12345678.uc.gateway.dev"] {
        let (st, v) = send(&s.env, Via::Header, "GET", host, "/", &[], None).await;
        assert_eq!(st, 404, "{v}");
        assert!(v.as_str().is_some_and(|p| p.contains("Page not found")));
    }
}

#[tokio::test]
async fn a_config_switch_applies_to_the_next_request_and_a_deleted_gateway_stops() {
    let s = stack(true).await;
    assert_eq!(
        s.get(Via::Header, &format!("/v1/hello?key={}", s.key))
            .await
            .0,
        200
    );
    let run_uri = format!("https://{}", s.run_host);
    let v2 = spec(&run_uri).replace("/hello:", "/greet:");
    s.env
        .ok(
            "POST",
            &format!("{APIS}/shop/configs?apiConfigId=v2"),
            Some(config_body(&v2)),
        )
        .await;
    s.env
        .ok(
            "PATCH",
            &format!("{GATEWAYS}/gw?updateMask=apiConfig"),
            Some(
                json!({"apiConfig": format!("projects/{P}/locations/global/apis/shop/configs/v2")}),
            ),
        )
        .await;
    assert_eq!(
        s.get(Via::Header, &format!("/v1/hello?key={}", s.key))
            .await
            .0,
        404
    );
    let (st, v) = s
        .get(Via::Header, &format!("/v1/greet?key={}", s.key))
        .await;
    assert_eq!(st, 200, "{v}");
    s.env.ok("DELETE", &format!("{GATEWAYS}/gw"), None).await;
    let (st, _) = s
        .get(Via::Header, &format!("/v1/greet?key={}", s.key))
        .await;
    assert_eq!(st, 404);
    let (st, _) = s
        .get(Via::Prefix, &format!("/v1/greet?key={}", s.key))
        .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn requests_are_counted_and_logged_without_the_key() {
    let s = stack(true).await;
    s.get(Via::Header, &format!("/v1/hello?key={}", s.key))
        .await;
    s.get(Via::Prefix, "/v1/hello").await;
    send(&s.env, Via::Header, "GET", &s.run_host, "/", &[], None).await;
    // A percent-encoded parameter name is still the key, and a body may quote the key.
    let quoting = format!("{{\"mine\":\"{}\"}}", s.key);
    let (status, _) = send(
        &s.env,
        Via::Header,
        "POST",
        &s.host,
        &format!("/v1/items?k%65y={}", s.key),
        &[("content-type", "application/json")],
        Some(&quoting),
    )
    .await;
    assert_eq!(status, 200);
    let counters = s.env.emu.counters();
    assert_eq!(counters.get("gateway.requests"), Some(&3));
    assert_eq!(counters.get("run.requests"), Some(&1));
    let log = s.env.emu.request_log();
    let gw: Vec<_> = log
        .iter()
        .filter(|l| l.method == "gateway.requests")
        .collect();
    assert_eq!(gw.len(), 3);
    assert_eq!(gw[2].query, "k%65y=REDACTED");
    assert_eq!(gw[0].path, format!("/__host/{}/v1/hello", s.host));
    assert_eq!(gw[0].query, "key=REDACTED");
    assert_eq!(gw[0].status, 200);
    assert_eq!(gw[0].response_body["query"]["key"], "REDACTED");
    assert_eq!(gw[1].status, 401);
    // (The control plane's own entries, e.g. keys.create answering keyString, are not ours.)
    let data_plane: Vec<_> = log
        .iter()
        .filter(|l| l.method.ends_with(".requests"))
        .collect();
    assert_eq!(data_plane.len(), 4);
    let all = serde_json::to_string(&data_plane).expect("log JSON");
    assert!(
        !all.contains(&s.key),
        "the key string reached the log: {all}"
    );
    // The control plane on the loopback host is unchanged.
    s.env.ok("GET", &format!("{GATEWAYS}/gw"), None).await;
}
