//! The AWS half of the emulator over loopback HTTP, for what boto3 cannot easily show: unsigned
//! requests, malformed and huge bodies, bad paths (never a 5xx or a panic), persistence,
//! counters and the request log, and injected faults in AWS's own error shapes.

use keyway::emulator::{FaultConfig, Options};
use serde_json::{json, Value};

use super::common::Env;

/// A SigV4-shaped header for `service` (the signature is not checked).
fn auth(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=0123"
    )
}

/// One AWS request: (status, `x-amzn-ErrorType`, body text).
async fn aws(
    env: &Env,
    method: &str,
    path: &str,
    service: Option<&str>,
    body: Option<Vec<u8>>,
) -> (u16, Option<String>, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = env.http.request(m, format!("{}{path}", env.base));
    if let Some(s) = service {
        req = req.header("authorization", auth(s));
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.expect("answered");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, kind, resp.text().await.expect("body"))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn unsigned_requests_get_missing_authentication_token() {
    let env = Env::new().await;
    for path in [
        "/restapis",
        "/apikeys",
        "/usageplans/x",
        "/v2/apis",
        "/2015-03-31/functions",
    ] {
        let (status, kind, body) = aws(&env, "GET", path, None, None).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(
            kind.as_deref(),
            Some("MissingAuthenticationTokenException"),
            "{path}"
        );
        assert!(json_of(&body).get("message").is_some() || json_of(&body).get("Message").is_some());
    }
    let form = b"Action=GetCallerIdentity&Version=2011-06-15".to_vec();
    let (status, _, body) = aws(&env, "POST", "/", None, Some(form)).await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{body}"
    );
    // Google paths stay Google's.
    let (status, kind, _) = aws(&env, "GET", "/v1/projects/p1/services", None, None).await;
    assert_ne!(status, 403);
    assert!(kind.is_none());
    assert!(env.emu.world().aws.rest_apis.is_empty());
}

#[tokio::test]
async fn malformed_bodies_are_400s_in_each_services_shape() {
    let env = Env::new().await;
    let cases: &[(&str, &str, &str, &[u8], &str)] = &[
        (
            "POST",
            "/v2/apis",
            "apigateway",
            b"{not json",
            "BadRequestException",
        ),
        (
            "POST",
            "/restapis",
            "apigateway",
            b"[1, 2, 3]",
            "SerializationException",
        ),
        (
            "POST",
            "/v2/apis",
            "apigateway",
            br#"{"name": 5, "protocolType": "HTTP"}"#,
            "BadRequestException",
        ),
        (
            "POST",
            "/v2/apis",
            "apigateway",
            br#"{"name": "a", "protocolType": "HTTP", "corsConfiguration": {"maxAge": "long"}}"#,
            "BadRequestException",
        ),
        (
            "POST",
            "/restapis",
            "apigateway",
            br#"{"name": "a", "tags": {"k": 1}}"#,
            "BadRequestException",
        ),
        (
            "POST",
            "/2015-03-31/functions",
            "lambda",
            b"\xff\xfe",
            "InvalidParameterValueException",
        ),
        (
            "POST",
            "/2015-03-31/functions",
            "lambda",
            br#"{"FunctionName": "f", "Code": "zip"}"#,
            "InvalidParameterValueException",
        ),
        (
            "POST",
            "/2015-03-31/functions",
            "lambda",
            br#"{"FunctionName": ["f"]}"#,
            "InvalidParameterValueException",
        ),
        (
            "POST",
            "/apikeys",
            "apigateway",
            br#"{"value": true}"#,
            "BadRequestException",
        ),
        (
            "POST",
            "/usageplans",
            "apigateway",
            br#"{"name": "p", "apiStages": [1]}"#,
            "BadRequestException",
        ),
    ];
    for (method, path, service, body, code) in cases {
        let (status, kind, text) =
            aws(&env, method, path, Some(service), Some(body.to_vec())).await;
        assert_eq!(
            status,
            400,
            "{path} {:?}: {text}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(kind.as_deref(), Some(*code), "{path}: {text}");
        json_of(&text);
    }
    // A PATCH whose operations are not a list, or whose values do not convert.
    let (_, _, created) = aws(
        &env,
        "POST",
        "/restapis",
        Some("apigateway"),
        Some(br#"{"name": "r"}"#.to_vec()),
    )
    .await;
    let id = json_of(&created)["id"].as_str().expect("id").to_string();
    for patch in [
        json!({"patchOperations": "replace"}),
        json!({"patchOperations": [{"op": "replace", "path": "minimumCompressionSize", "value": "1"}]}),
        json!({"patchOperations": [{"op": "jump", "path": "/name", "value": "x"}]}),
        json!({"patchOperations": [{"op": "replace", "path": "/name"}]}),
    ] {
        let (status, kind, text) = aws(
            &env,
            "PATCH",
            &format!("/restapis/{id}"),
            Some("apigateway"),
            Some(patch.to_string().into_bytes()),
        )
        .await;
        assert_eq!(
            (status, kind.as_deref()),
            (400, Some("BadRequestException")),
            "{patch}: {text}"
        );
    }
    // IAM parameters that are missing or malformed.
    for form in [
        "Action=CreateRole&RoleName=r",
        "Action=GetRole",
        "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%5B",
        "Action=ListRoles&MaxItems=zero",
    ] {
        let (status, _, text) = aws(
            &env,
            "POST",
            "/",
            Some("iam"),
            Some(form.as_bytes().to_vec()),
        )
        .await;
        assert_eq!(status, 400, "{form}: {text}");
        assert!(text.starts_with("<ErrorResponse"), "{text}");
    }
}

#[tokio::test]
async fn huge_bodies_are_refused_or_rejected_without_harm() {
    let env = Env::new().await;
    // Past the server's cap: refused before any parsing.
    let huge = vec![b'{'; 33 * 1024 * 1024];
    let (status, _, _) = aws(&env, "POST", "/v2/apis", Some("apigateway"), Some(huge)).await;
    assert_eq!(status, 413);
    // Under the cap: a 4 MB name is data like any other, and a deep nest is a parse error.
    let long = json!({"name": "n".repeat(4 * 1024 * 1024), "protocolType": "HTTP"}).to_string();
    let (status, _, _) = aws(
        &env,
        "POST",
        "/v2/apis",
        Some("apigateway"),
        Some(long.into_bytes()),
    )
    .await;
    assert_eq!(status, 201);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (status, _, _) = aws(
        &env,
        "POST",
        "/restapis",
        Some("apigateway"),
        Some(deep.into_bytes()),
    )
    .await;
    assert_eq!(status, 400);
    // A Lambda zip that is not base64, and one that is not a zip.
    let body = json!({"FunctionName": "f", "Role": "r", "Runtime": "python3.12", "Handler": "a.b", "Code": {"ZipFile": "%%%"}});
    let (status, kind, _) = aws(
        &env,
        "POST",
        "/2015-03-31/functions",
        Some("lambda"),
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("InvalidParameterValueException"))
    );
    let (status, _, _) = aws(&env, "GET", "/v2/apis", Some("apigateway"), None).await;
    assert_eq!(status, 200, "still serving");
}

#[tokio::test]
async fn bad_paths_never_fail_the_server() {
    let env = Env::new().await;
    let long = "/x".repeat(5000);
    let paths = [
        "/restapis/%FF%FE/resources",
        "/restapis//resources//methods",
        "/restapis/abc/resources/def/methods/FETCH",
        "/restapis/abc/resources/def/methods/GET/responses/99999",
        "/restapis/abc/resources/def/methods/GET/integration/responses/abc",
        "/restapis/abc/stages/%2F..%2F",
        "/v2/apis/x/routes/y/z/w",
        "/v2/apis/%00/stages/a/routesettings/GET%20%2F",
        "/v2/apis/a/deployments/b/c",
        "/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f:alias:x",
        "/2015-03-31/functions/%E2%98%83/policy/x/y",
        "/usageplans/a/keys/b/c",
        "/apikeys/a/b",
        long.as_str(),
    ];
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    for service in ["apigateway", "lambda", "iam", "sts"] {
        for path in paths {
            for method in methods {
                let body = Some(br#"{"patchOperations": []}"#.to_vec());
                let (status, _, text) = aws(&env, method, path, Some(service), body).await;
                assert!(
                    (400..500).contains(&status),
                    "{service} {method} {path} -> {status} {text}"
                );
            }
        }
    }
    // Unknown query actions, and query requests with no action at all.
    for form in [
        "Action=DeleteEverything",
        "",
        "Action",
        "Action=&&&=",
        "%%%",
    ] {
        let (status, _, _) = aws(
            &env,
            "POST",
            "/",
            Some("iam"),
            Some(form.as_bytes().to_vec()),
        )
        .await;
        assert!((400..500).contains(&status), "{form} -> {status}");
    }
}

#[tokio::test]
async fn aws_objects_persist_and_calls_are_counted_and_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("world.json");
    let opts = Options {
        data_file: Some(file.clone()),
        ..Options::default()
    };
    let a = Env::with(opts.clone()).await;
    let (status, _, created) = aws(
        &a,
        "POST",
        "/v2/apis",
        Some("apigateway"),
        Some(br#"{"name": "p", "protocolType": "HTTP"}"#.to_vec()),
    )
    .await;
    assert_eq!(status, 201);
    let api_id = json_of(&created)["apiId"]
        .as_str()
        .expect("apiId")
        .to_string();
    let (status, _, key) = aws(
        &a,
        "POST",
        "/apikeys",
        Some("apigateway"),
        Some(br#"{"name": "k"}"#.to_vec()),
    )
    .await;
    assert_eq!(status, 201);
    let value = json_of(&key)["value"].as_str().expect("value").to_string();
    let form = b"Action=CreateRole&RoleName=keep&AssumeRolePolicyDocument=%7B%7D".to_vec();
    assert_eq!(aws(&a, "POST", "/", Some("iam"), Some(form)).await.0, 200);

    let counters = a.emu.counters();
    assert_eq!(
        counters.get("apigatewayv2.CreateApi"),
        Some(&1),
        "{counters:?}"
    );
    assert_eq!(counters.get("apigateway.CreateApiKey"), Some(&1));
    assert_eq!(counters.get("iam.CreateRole"), Some(&1));
    let log = a.emu.request_log();
    let logged_key = log
        .iter()
        .find(|e| e.method == "apigateway.CreateApiKey")
        .expect("logged");
    assert_eq!(logged_key.status, 201);
    assert_eq!(logged_key.response_body["value"], json!("REDACTED"));
    assert!(
        !serde_json::to_string(&log).expect("log").contains(&value),
        "the key value never reaches the log"
    );
    a.emu.shutdown().await;

    let b = Env::with(opts).await;
    let (status, _, got) = aws(
        &b,
        "GET",
        &format!("/v2/apis/{api_id}"),
        Some("apigateway"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{got}");
    let (status, _, role) = aws(
        &b,
        "POST",
        "/",
        Some("iam"),
        Some(b"Action=GetRole&RoleName=keep".to_vec()),
    )
    .await;
    assert_eq!(status, 200, "{role}");
    assert!(role.contains("<RoleName>keep</RoleName>"));
    let world: Value = serde_json::from_slice(&std::fs::read(&file).expect("file")).expect("JSON");
    assert!(world["aws"]["http_apis"]
        .as_object()
        .is_some_and(|m| !m.is_empty()));
    b.emu.shutdown().await;
}

#[tokio::test]
async fn injected_faults_answer_in_aws_shapes() {
    let env = Env::with(Options {
        faults: FaultConfig {
            rate_429: 1.0,
            ..FaultConfig::default()
        },
        ..Options::default()
    })
    .await;
    let (status, kind, body) = aws(&env, "GET", "/v2/apis", Some("apigateway"), None).await;
    assert_eq!(
        (status, kind.as_deref()),
        (429, Some("TooManyRequestsException")),
        "{body}"
    );
    let (status, kind, _) = aws(&env, "GET", "/2015-03-31/functions", Some("lambda"), None).await;
    assert_eq!(
        (status, kind.as_deref()),
        (429, Some("TooManyRequestsException"))
    );
    let (status, _, body) = aws(
        &env,
        "POST",
        "/",
        Some("iam"),
        Some(b"Action=ListRoles".to_vec()),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>Throttling</Code>"), "{body}");

    let mut lose = FaultConfig::default();
    lose.lose_responses
        .insert("apigatewayv2.CreateApi".into(), 1);
    let env = Env::with(Options {
        faults: lose,
        ..Options::default()
    })
    .await;
    let create = br#"{"name": "lost", "protocolType": "HTTP"}"#.to_vec();
    let (status, kind, _) = aws(&env, "POST", "/v2/apis", Some("apigateway"), Some(create)).await;
    assert_eq!(
        (status, kind.as_deref()),
        (503, Some("ServiceUnavailableException"))
    );
    // Carried out all the same.
    let (_, _, list) = aws(&env, "GET", "/v2/apis", Some("apigateway"), None).await;
    assert_eq!(json_of(&list)["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn lambda_goes_pending_then_active() {
    let env = Env::new().await;
    let form = b"Action=CreateRole&RoleName=fn&AssumeRolePolicyDocument=%7B%7D".to_vec();
    assert_eq!(aws(&env, "POST", "/", Some("iam"), Some(form)).await.0, 200);
    // An empty zip archive (end-of-central-directory record only).
    let zip = base64_of(&[
        b'P', b'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let body = json!({"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/fn", "Runtime": "python3.12",
                      "Handler": "app.handler", "Code": {"ZipFile": zip}});
    let (status, _, created) = aws(
        &env,
        "POST",
        "/2015-03-31/functions",
        Some("lambda"),
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(json_of(&created)["State"], json!("Pending"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, _, got) = aws(
        &env,
        "GET",
        "/2015-03-31/functions/f/configuration",
        Some("lambda"),
        None,
    )
    .await;
    assert_eq!(json_of(&got)["State"], json!("Active"));
    // The package is kept, base64, for the data plane.
    let world = env.emu.world();
    assert_eq!(world.aws.functions["us-east-1/f"].zip_b64, zip);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn data_plane_requests_never_fail_the_server() {
    let env = Env::new().await;
    let create = br#"{"name": "dp", "protocolType": "HTTP", "target": "https://example.com/echo"}"#;
    let (status, _, created) = aws(
        &env,
        "POST",
        "/v2/apis",
        Some("apigateway"),
        Some(create.to_vec()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = json_of(&created)["apiId"]
        .as_str()
        .expect("apiId")
        .to_string();
    let host = format!("/__host/{id}.execute-api.us-east-1.amazonaws.com");
    let long = "/y".repeat(4000);
    let paths = [
        "/",
        "/a/b/c",
        "/%FF%00",
        "//x//",
        "/$default/x",
        long.as_str(),
    ];
    for path in paths {
        for method in ["GET", "POST", "DELETE", "OPTIONS", "PATCH"] {
            let (status, _, text) = aws(
                &env,
                method,
                &format!("{host}{path}"),
                None,
                Some(vec![0xff; 1024]),
            )
            .await;
            // Quick create's `$default` route sends everything to the echo.
            assert_eq!(status, 200, "{method} {path}: {text}");
        }
    }
    // The Host header form, an API that does not exist, and a host that is not an API.
    let resp = env
        .http
        .get(format!("{}/anything", env.base))
        .header("host", format!("{id}.execute-api.us-east-1.amazonaws.com"))
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status().as_u16(), 200);
    let (status, _, text) = aws(
        &env,
        "GET",
        "/__host/nope000000.execute-api.us-east-1.amazonaws.com/x",
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, json_of(&text)),
        (404, json!({"message": "Not Found"}))
    );
    assert_eq!(env.emu.counters().get("execute-api.requests"), Some(&32));
}
