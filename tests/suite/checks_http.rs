//! `data "http"` and `check` blocks through the real binary, against a local HTTP server
//! started here (127.0.0.1 only) that answers with chosen statuses, echoes requests and
//! counts them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::support::Work;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value as J};

/// Requests seen, by path.
type Hits = Arc<Mutex<BTreeMap<String, usize>>>;

/// The test server; stops when dropped.
struct Server {
    addr: SocketAddr,
    hits: Hits,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("addr");
        let hits: Hits = Arc::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = hits.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                let app = axum::Router::new().fallback(handle).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        Server {
            addr,
            hits,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .expect("hits")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn handle(
    State(hits): State<Hits>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let seen = {
        let mut h = hits.lock().expect("hits");
        let n = h.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["status", code] => {
            let code = code.parse::<u16>().unwrap_or(500);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = (status, format!("status {code}")).into_response();
            r.headers_mut().append("x-test", "a".parse().expect("hv"));
            r.headers_mut().append("x-test", "b".parse().expect("hv"));
            r
        }
        ["slow", ms] => {
            let ms: u64 = ms.parse().unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            (StatusCode::OK, "late").into_response()
        }
        // Fails with 503 `n` times, then answers 200.
        ["flaky", n] => {
            let n: usize = n.parse().unwrap_or(0);
            if seen <= n {
                (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
            } else {
                (StatusCode::OK, "recovered").into_response()
            }
        }
        _ => {
            let header = |k: &str| {
                headers
                    .get(k)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            let echo = json!({
                "method": method.as_str(),
                "uri": uri.to_string(),
                "host": header("host"),
                "x_custom": header("x-custom"),
                "body": String::from_utf8_lossy(&body),
            });
            (StatusCode::OK, echo.to_string()).into_response()
        }
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn json_of(text: &str) -> J {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The plan as `show -json` of a saved plan writes it (Terraform's plan representation).
fn shown_plan(w: &Work) -> J {
    w.run(&["plan", "-out=shown.plan"]).ok();
    json_of(&w.run(&["show", "-json", "shown.plan"]).ok().stdout)
}

/// The object of `addr` (a data source read while planning) in `show -json`: its entry in
/// `prior_state`, where Terraform 1.11 puts what planning read, with `values` and
/// `sensitive_values`.
fn after(plan: &J, addr: &str) -> J {
    plan["prior_state"]["values"]["root_module"]["resources"]
        .as_array()
        .expect("prior resources")
        .iter()
        .find(|c| c["address"] == addr)
        .unwrap_or_else(|| panic!("{addr} not in plan"))
        .clone()
}

fn check_status(doc: &J, name: &str) -> (String, Vec<String>) {
    let c = doc["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .find(|c| c["address"]["name"] == name)
        .unwrap_or_else(|| panic!("check {name} missing in {doc}"));
    assert_eq!(c["address"]["kind"], "check");
    assert_eq!(c["address"]["to_display"], format!("check.{name}"));
    let problems = c["instances"][0]["problems"]
        .as_array()
        .map(|p| {
            p.iter()
                .map(|m| m["message"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (
        c["status"].as_str().unwrap_or_default().to_owned(),
        problems,
    )
}

#[test]
fn http_data_source_get_post_headers_and_non_2xx_status() {
    let srv = Server::start();
    let w = Work::new(&format!(
        r#"
data "http" "missing" {{
  url = "{missing}"
}}
data "http" "post" {{
  url             = "{echo}?q=1"
  method          = "POST"
  request_body    = "hello body"
  request_headers = {{ X-Custom = "custom-value" }}
}}
output "missing_status" {{
  value = data.http.missing.status_code
}}
output "missing_headers" {{
  value = data.http.missing.response_headers["X-Test"]
}}
output "echo" {{
  value = jsondecode(data.http.post.response_body)
}}
output "same_base64" {{
  value = base64decode(data.http.post.response_body_base64) == data.http.post.body
}}
output "id" {{
  value = data.http.post.id
}}
"#,
        missing = srv.url("/status/404"),
        echo = srv.url("/echo"),
    ));
    let r = w.run(&["apply", "-auto-approve"]).ok();
    let out = json_of(&w.run(&["output", "-json"]).ok().stdout);
    assert_eq!(out["missing_status"]["value"], 404, "{}", r.stdout);
    assert_eq!(out["missing_headers"]["value"], "a, b");
    let echo = &out["echo"]["value"];
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["uri"], "/echo?q=1");
    assert_eq!(echo["body"], "hello body");
    assert_eq!(echo["x_custom"], "custom-value");
    assert_eq!(out["same_base64"]["value"], true);
    assert_eq!(out["id"]["value"], format!("{}?q=1", srv.url("/echo")));
}

#[test]
fn http_retries_until_success_and_server_counts_the_attempts() {
    let srv = Server::start();
    let w = Work::new(&format!(
        r#"
data "http" "flaky" {{
  url = "{}"
  retry {{
    attempts     = 3
    min_delay_ms = 10
    max_delay_ms = 40
  }}
}}
output "status" {{
  value = data.http.flaky.status_code
}}
"#,
        srv.url("/flaky/2")
    ));
    w.run(&["plan", "-json"]).ok();
    assert_eq!(srv.hits("/flaky/2"), 3, "two 503s, then the answer");
    // `show -json` of a saved plan reads it again (the answer by now).
    let plan = shown_plan(&w);
    assert_eq!(
        after(&plan, "data.http.flaky")["values"]["status_code"],
        200
    );
    assert_eq!(
        after(&plan, "data.http.flaky")["values"]["response_body"],
        "recovered"
    );
}

#[test]
fn http_without_retry_returns_a_5xx_status_as_is() {
    let srv = Server::start();
    let w = Work::new(&format!(
        "data \"http\" \"once\" {{\n  url = \"{}\"\n}}\n",
        srv.url("/flaky/5")
    ));
    w.run(&["plan", "-json"]).ok();
    assert_eq!(srv.hits("/flaky/5"), 1, "no retry block: one request");
    let plan = shown_plan(&w);
    assert_eq!(after(&plan, "data.http.once")["values"]["status_code"], 503);
}

#[test]
fn http_connection_refused_is_an_error_after_retries() {
    let port = closed_port();
    let w = Work::new(&format!(
        r#"
variable "key" {{
  default   = "do-not-print"
  sensitive = true
}}
data "http" "down" {{
  url = "http://127.0.0.1:{port}/health?key=${{var.key}}"
  retry {{
    attempts     = 2
    min_delay_ms = 5
  }}
}}
"#
    ));
    let r = w.run(&["plan"]).code(1);
    assert!(
        r.stderr.contains("request failed after 3 attempt(s)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("cannot connect"), "{}", r.stderr);
    assert!(!r.stderr.contains("do-not-print") && !r.stdout.contains("do-not-print"));
}

fn checks_config(srv: &Server, down: u16) -> String {
    format!(
        r#"
resource "terraform_data" "app" {{
  input = "v1"
}}
data "http" "health" {{
  url = "{ok}"
}}
check "health" {{
  assert {{
    condition     = data.http.health.status_code == 200
    error_message = "health returned ${{data.http.health.status_code}}"
  }}
}}
check "missing" {{
  data "http" "page" {{
    url = "{missing}"
  }}
  assert {{
    condition     = data.http.page.status_code == 200
    error_message = "page returned ${{data.http.page.status_code}}"
  }}
}}
check "down" {{
  data "http" "gone" {{
    url = "http://127.0.0.1:{down}/"
  }}
  assert {{
    condition     = data.http.gone.status_code == 200
    error_message = "gone is down"
  }}
}}
check "later_url" {{
  data "http" "versioned" {{
    url = "{ok}?id=${{terraform_data.app.id}}"
  }}
  assert {{
    condition     = data.http.versioned.status_code == 200
    error_message = "versioned page returned ${{data.http.versioned.status_code}}"
  }}
}}
check "app" {{
  assert {{
    condition     = terraform_data.app.output == "v1"
    error_message = "app output is ${{terraform_data.app.output}}"
  }}
}}
"#,
        ok = srv.url("/status/200"),
        missing = srv.url("/status/404"),
    )
}

#[test]
fn checks_warn_on_plan_and_apply_without_failing_the_run() {
    let srv = Server::start();
    let w = Work::new(&checks_config(&srv, closed_port()));
    let plan = w.run(&["plan"]).ok();
    assert!(
        plan.stdout
            .contains("Warning: Check block assertion failed"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("in check \"missing\":"));
    assert!(plan.stdout.contains("page returned 404"));
    // The scoped read failing is a warning too, and the run still succeeds.
    assert!(
        plan.stdout.contains("Reading `data.http.gone` failed"),
        "{}",
        plan.stdout
    );
    // Unknown until apply: reported as such, not as failed.
    assert!(plan
        .stdout
        .contains("Check block assertion known after apply"));
    assert!(!plan.stdout.contains("app output is"));
    // -detailed-exitcode: 2 for changes, failed checks do not turn it into an error.
    w.run(&["plan", "-detailed-exitcode"]).code(2);

    let doc = shown_plan(&w);
    assert_eq!(check_status(&doc, "health"), ("pass".into(), vec![]));
    assert_eq!(
        check_status(&doc, "missing"),
        ("fail".into(), vec!["page returned 404".to_owned()])
    );
    assert_eq!(check_status(&doc, "down").0, "fail");
    assert_eq!(check_status(&doc, "app"), ("unknown".into(), vec![]));
    // Its scoped data source depends on an unknown id: not read at plan time.
    assert_eq!(check_status(&doc, "later_url"), ("unknown".into(), vec![]));

    let before = srv.hits("/status/404");
    let apply = w.run(&["apply", "-auto-approve"]).ok();
    assert!(
        srv.hits("/status/404") > before,
        "scoped data read again after apply"
    );
    let summary: Vec<&str> = apply
        .stdout
        .lines()
        .filter(|l| l.starts_with("Check \""))
        .collect();
    assert_eq!(
        summary,
        [
            "Check \"app\": passed",
            "Check \"down\": failed",
            "Check \"health\": passed",
            "Check \"later_url\": passed",
            "Check \"missing\": failed",
        ],
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains("page returned 404"));
    let state = w.state_json();
    let results = state["check_results"].as_array().expect("check_results");
    assert_eq!(results.len(), 5);
    let shown = json_of(&w.run(&["show", "-json"]).ok().stdout);
    assert_eq!(check_status(&shown, "app").0, "pass");
    assert_eq!(check_status(&shown, "missing").0, "fail");

    // Destroy runs no checks and forgets their results.
    let hits = srv.hits("/status/404");
    w.run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(srv.hits("/status/404"), hits, "destroy reads no check data");
    assert!(w.state_json().get("check_results").is_none());
}

#[test]
fn saved_plan_carries_check_results_and_applies() {
    let srv = Server::start();
    let w = Work::new(&checks_config(&srv, closed_port()));
    w.run(&["plan", "-out=plan.json"]).ok();
    let saved = json_of(&std::fs::read_to_string(w.path().join("plan.json")).expect("plan"));
    let names: Vec<&str> = saved["checks"]
        .as_array()
        .expect("checks saved")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["app", "down", "health", "later_url", "missing"]);
    let shown = json_of(&w.run(&["show", "-json", "plan.json"]).ok().stdout);
    assert_eq!(check_status(&shown, "missing").0, "fail");
    assert_eq!(check_status(&shown, "app").0, "unknown");
    let r = w.run(&["apply", "plan.json"]).ok();
    assert!(r.stdout.contains("Check \"app\": passed"), "{}", r.stdout);
}

#[test]
fn sensitive_url_marks_the_response_and_never_prints_the_secret() {
    let srv = Server::start();
    let secret = "sk-live-0123456789";
    let w = Work::new(&format!(
        r#"
variable "api_key" {{
  default   = "{secret}"
  sensitive = true
}}
data "http" "keyed" {{
  url = "{echo}?key=${{var.api_key}}"
}}
check "keyed" {{
  data "http" "probe" {{
    url             = "{echo}"
    request_headers = {{ X-Custom = var.api_key }}
  }}
  assert {{
    condition     = data.http.probe.status_code == 500
    error_message = "probe said ${{data.http.probe.response_body}}"
  }}
}}
output "status" {{
  value = data.http.keyed.status_code
}}
output "body" {{
  value     = data.http.keyed.response_body
  sensitive = true
}}
"#,
        echo = srv.url("/echo"),
    ));
    let plan = w.run(&["plan", "-json"]).ok();
    let doc = shown_plan(&w);
    let ch = after(&doc, "data.http.keyed");
    let marks = &ch["sensitive_values"];
    for p in [
        "body",
        "id",
        "response_body",
        "response_body_base64",
        "response_headers",
        "url",
    ] {
        assert_eq!(marks[p], json!(true), "{p} not sensitive: {marks}");
        assert_eq!(ch["values"][p], J::Null, "{p} in clear");
    }
    assert_eq!(ch["values"]["status_code"], 200, "status stays visible");
    assert!(!doc.to_string().contains(secret), "secret in show -json");
    // The check's message would echo the secret: withheld.
    assert_eq!(check_status(&doc, "keyed"), ("fail".into(), vec![]));
    let runs = [
        plan,
        w.run(&["plan", "-out=p.json"]).ok(),
        w.run(&["apply", "-auto-approve"]).ok(),
        w.run(&["output"]).ok(),
        w.run(&["show", "-json"]).ok(),
    ];
    for r in &runs {
        assert!(
            !r.stdout.contains(secret),
            "secret in stdout:\n{}",
            r.stdout
        );
        assert!(
            !r.stderr.contains(secret),
            "secret in stderr:\n{}",
            r.stderr
        );
    }
    assert!(runs[1]
        .stdout
        .contains("Error message refers to sensitive values"));
    let file = std::fs::read_to_string(w.path().join("p.json")).expect("plan file");
    assert!(!file.contains(secret), "secret in the saved plan");
    // Without `sensitive = true` the output is refused: the mark reached the attribute.
    w.write(
        "extra.tf",
        "output \"leak\" {\n  value = data.http.keyed.response_body\n}\n",
    );
    let r = w.run(&["plan"]).code(1);
    assert!(
        r.stderr.contains("refers to sensitive values"),
        "{}",
        r.stderr
    );
}

#[test]
fn emulator_routing_sends_run_app_hosts_to_the_emulator_with_their_host_header() {
    let srv = Server::start();
    let w = Work::new(
        r#"
data "http" "svc" {
  url = "https://hello-abc123-uc.a.run.app/echo?x=1"
}
output "echo" {
  value = jsondecode(data.http.svc.response_body)
}
"#,
    );
    let r = w
        .command(&["apply", "-auto-approve"])
        .env("KEYWAY_EMULATOR", srv.url(""))
        .output()
        .expect("run");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let out = json_of(&w.run(&["output", "-json"]).ok().stdout);
    assert_eq!(out["echo"]["value"]["host"], "hello-abc123-uc.a.run.app");
    assert_eq!(out["echo"]["value"]["uri"], "/echo?x=1");
    assert_eq!(srv.hits("/echo"), 1);
}

#[test]
fn scoped_data_is_visible_only_inside_its_check() {
    let w = Work::new(
        r#"
check "a" {
  data "http" "inner" {
    url = "http://127.0.0.1:9/"
  }
  assert {
    condition     = data.http.inner.status_code == 200
    error_message = "down"
  }
}
output "outside" {
  value = data.http.inner.status_code
}
"#,
    );
    let r = w.run(&["validate"]).code(1);
    assert!(
        r.stderr.contains("which is scoped to check \"a\""),
        "{}",
        r.stderr
    );
    w.write(
        "main.tf",
        "check \"a\" {\n  data \"http\" \"inner\" {\n    url = 3\n    nope = true\n  }\n  assert {\n    condition     = data.http.inner.status_code == 200\n    error_message = \"down\"\n  }\n}\n",
    );
    let r = w.run(&["validate"]).code(1);
    assert!(r.stderr.contains("`nope` is not expected"), "{}", r.stderr);
    // Check-scoped data sources share the module's names: one name twice is a duplicate.
    let twice = "check \"NAME\" {\n  data \"http\" \"probe\" {\n    url = \"http://127.0.0.1:9/\"\n  }\n  assert {\n    condition     = data.http.probe.status_code == 200\n    error_message = \"down\"\n  }\n}\n";
    w.write(
        "main.tf",
        &format!(
            "{}{}",
            twice.replace("NAME", "a"),
            twice.replace("NAME", "b")
        ),
    );
    let r = w.run(&["validate"]).code(1);
    assert!(
        r.stderr
            .contains("Duplicate data resource `data.http.probe`"),
        "{}",
        r.stderr
    );
}

#[test]
fn rendered_check_warning_matches_terraforms_shape() {
    let srv = Server::start();
    let w = Work::new(&format!(
        r#"
variable "expected" {{
  default = 200
}}
check "health" {{
  data "http" "page" {{
    url = "{}"
  }}
  assert {{
    condition     = data.http.page.status_code == var.expected
    error_message = "The page returned ${{data.http.page.status_code}}."
  }}
}}
"#,
        srv.url("/status/503")
    ));
    let out = w.run(&["plan"]).ok().stdout;
    let start = out.find("Warning:").expect("a warning");
    insta::assert_snapshot!("check_warning", &out[start..]);
}

#[test]
fn http_request_timeout_is_an_error() {
    let srv = Server::start();
    let w = Work::new(&format!(
        "data \"http\" \"slow\" {{\n  url                = \"{}\"\n  request_timeout_ms = 100\n}}\n",
        srv.url("/slow/2000")
    ));
    let start = std::time::Instant::now();
    let r = w.run(&["plan"]).code(1);
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(start.elapsed() < std::time::Duration::from_millis(1900));
}

/// Every place a check's result travels, for a secret's text.
fn assert_no_secret(secret: &str, runs: &[&crate::support::Run], files: &[std::path::PathBuf]) {
    for r in runs {
        assert!(
            !r.stdout.contains(secret),
            "secret in stdout:\n{}",
            r.stdout
        );
        assert!(
            !r.stderr.contains(secret),
            "secret in stderr:\n{}",
            r.stderr
        );
    }
    for f in files {
        let text = std::fs::read_to_string(f).expect("file");
        assert!(!text.contains(secret), "secret in {}:\n{text}", f.display());
    }
}

#[test]
fn check_evaluation_errors_never_quote_a_sensitive_value() {
    let secret = "TOPSECRET123";
    let w = Work::new(&format!(
        r#"
variable "secret" {{
  sensitive = true
  default   = "{secret}"
}}
resource "terraform_data" "app" {{
  input = "v1"
}}
check "convert" {{
  assert {{
    condition     = tonumber(var.secret) > 0
    error_message = "bad ${{tonumber(var.secret)}}"
  }}
}}
check "lookup" {{
  assert {{
    condition     = lookup({{ a = 1 }}, var.secret) == 1
    error_message = "no such key"
  }}
}}
check "message" {{
  assert {{
    condition     = false
    error_message = "bad ${{tonumber(var.secret)}}"
  }}
}}
"#
    ));
    let plan = w.run(&["plan"]).ok();
    // The warning stays, located, without its detail.
    assert!(
        plan.stdout
            .contains("includes sensitive values, so the details of this error cannot be shown"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("in check \"lookup\":"),
        "{}",
        plan.stdout
    );
    let json = w.run(&["plan", "-json"]).ok();
    let doc = shown_plan(&w);
    for name in ["convert", "lookup", "message"] {
        assert_eq!(check_status(&doc, name).0, "fail", "{name}");
    }
    let saved = w.run(&["plan", "-out=p.json"]).ok();
    let apply = w.run(&["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Check \"convert\": failed"),
        "{}",
        apply.stdout
    );
    let shown = w.run(&["show", "-json"]).ok();
    assert_no_secret(
        secret,
        &[&plan, &json, &saved, &apply, &shown],
        &[w.path().join("p.json"), w.state_path()],
    );
}

#[test]
fn variable_errors_never_quote_a_sensitive_value() {
    let secret = "TOPSECRET456";
    let w = Work::new(&format!(
        r#"
variable "number" {{
  sensitive = true
  type      = number
}}
variable "checked" {{
  sensitive = true
  default   = "{secret}"
  validation {{
    condition     = tonumber(var.checked) > 1
    error_message = "not a number"
  }}
}}
variable "echoed" {{
  sensitive = true
  default   = "{secret}"
  validation {{
    condition     = length(var.echoed) < 3
    error_message = "too long: ${{var.echoed}}"
  }}
}}
"#
    ));
    let bare = w.run(&["plan", &format!("-var=number={secret}")]).code(1);
    let quoted = w
        .run(&["plan", &format!("-var=number=\"{secret}\"")])
        .code(1);
    assert!(
        quoted
            .stderr
            .contains("Invalid value for variable `number`"),
        "{}",
        quoted.stderr
    );
    assert!(
        quoted.stderr.contains("will not be displayed"),
        "{}",
        quoted.stderr
    );
    assert_no_secret(secret, &[&bare, &quoted], &[]);
}

#[test]
fn a_failed_scoped_read_fails_its_check_without_evaluating_the_assertions() {
    let w = Work::new(&format!(
        r#"
resource "terraform_data" "app" {{
  input = "v1"
}}
check "down" {{
  data "http" "gone" {{
    url = "http://127.0.0.1:{}/"
  }}
  assert {{
    condition     = data.http.gone.status_code == 200
    error_message = "gone is down"
  }}
}}
"#,
        closed_port()
    ));
    for args in [&["plan"][..], &["apply", "-auto-approve"]] {
        let r = w.run(args).ok();
        assert!(
            r.stdout.contains("Reading `data.http.gone` failed"),
            "{}",
            r.stdout
        );
        assert!(
            !r.stdout.contains("Check block assertion known after apply"),
            "{}",
            r.stdout
        );
        assert!(!r.stdout.contains("gone is down"), "{}", r.stdout);
    }
    let doc = shown_plan(&w);
    let (status, problems) = check_status(&doc, "down");
    assert_eq!(status, "fail");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("Reading `data.http.gone` failed"));
    let state = w.state_json();
    assert_eq!(
        state["check_results"][0]["problems"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn invalid_request_headers_are_errors_naming_the_header_not_its_value() {
    let srv = Server::start();
    let w = Work::new(&format!(
        "data \"http\" \"h\" {{\n  url             = \"{}\"\n  request_headers = {{ \"X Bad\" = \"fine\" }}\n}}\n",
        srv.url("/echo")
    ));
    let r = w.run(&["plan"]).code(1);
    assert!(r.stderr.contains("\"X Bad\""), "{}", r.stderr);
    assert!(
        r.stderr.contains("not a valid HTTP header name"),
        "{}",
        r.stderr
    );
    w.write(
        "main.tf",
        &format!(
            "data \"http\" \"h\" {{\n  url             = \"{}\"\n  request_headers = {{ X-Key = \"key-value-42\\n\" }}\n}}\n",
            srv.url("/echo")
        ),
    );
    let r = w.run(&["plan"]).code(1);
    assert!(r.stderr.contains("request header `X-Key`"), "{}", r.stderr);
    assert!(!r.stderr.contains("key-value-42") && !r.stdout.contains("key-value-42"));
    assert_eq!(srv.hits("/echo"), 0, "nothing sent without the header");
}

#[test]
fn http_request_timeout_of_zero_is_refused_as_hashicorp_http_does() {
    let srv = Server::start();
    let w = Work::new(&format!(
        "data \"http\" \"z\" {{\n  url                = \"{}\"\n  request_timeout_ms = 0\n}}\n",
        srv.url("/slow/50")
    ));
    let r = w.run(&["plan"]).code(1);
    assert!(
        r.stderr
            .contains("`request_timeout_ms` must be at least 1, got 0"),
        "{}",
        r.stderr
    );
    assert_eq!(srv.hits("/slow/50"), 0);
}

#[test]
fn apply_with_nothing_to_do_keeps_the_check_results_in_state() {
    let w = Work::new(
        "check \"c\" {\n  assert {\n    condition     = 1 == 2\n    error_message = \"nope\"\n  }\n}\n",
    );
    let r = w.run(&["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("Check \"c\": failed"), "{}", r.stdout);
    assert_eq!(w.state_json()["check_results"][0]["status"], "fail");
    w.write(
        "main.tf",
        "check \"c\" {\n  assert {\n    condition     = 1 == 1\n    error_message = \"nope\"\n  }\n}\n",
    );
    let r = w.run(&["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("Check \"c\": passed"), "{}", r.stdout);
    let state = w.state_json();
    assert_eq!(state["check_results"][0]["status"], "pass");
    // Unchanged results do not rewrite the state.
    let serial = state["serial"].clone();
    w.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(w.state_json()["serial"], serial);
}

/// A data source's postcondition judges what was read (`self`), its precondition comes before
/// the read: a false one fails the plan and stops the read.
#[test]
fn data_source_conditions_judge_the_read() {
    let srv = Server::start();
    let w = Work::new(&format!(
        r#"variable "read" {{
  default = true
}}
data "http" "probe" {{
  url = "{url}"
  lifecycle {{
    precondition {{
      condition     = var.read
      error_message = "Reading is off."
    }}
    postcondition {{
      condition     = self.status_code == 200
      error_message = "Status ${{self.status_code}}."
    }}
  }}
}}
"#,
        url = srv.url("/status/404"),
    ));
    let r = w.run(&["plan"]).code(1);
    let failure = r#"
Error: Resource postcondition failed

  on main.tf line 12, in data "http" "probe":
  12:       condition     = self.status_code == 200
    ├────────────────
    │ self.status_code is 404

Status 404.
"#;
    assert!(r.stderr.contains(failure), "{}", r.stderr);
    assert_eq!(srv.hits("/status/404"), 1);
    let r = w.run(&["plan", "-var", "read=false"]).code(1);
    assert!(
        r.stderr.contains("Error: Resource precondition failed")
            && r.stderr.contains("Reading is off.")
            && !r.stderr.contains("postcondition"),
        "{}",
        r.stderr
    );
    assert_eq!(
        srv.hits("/status/404"),
        1,
        "a failed precondition stops the read"
    );
}
