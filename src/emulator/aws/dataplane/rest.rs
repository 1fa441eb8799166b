//! REST APIs' data plane: `/{stage}/{path}` served from the deployment the stage points at
//! (changes are invisible until deployed), the most specific resource and method, API keys
//! (`x-api-key`) for methods that require one, with the key's usage plan throttle and quota,
//! the stage's method-settings throttling, then the integration: MOCK (request template's
//! `statusCode` → integration response → method response, templates rendered by `vtl`), AWS_PROXY (payload 1.0, policy
//! enforced) or HTTP_PROXY. Errors are API Gateway's gateway responses ("Gateway response
//! types for API Gateway" in the developer guide): status, `x-amzn-ErrorType` and message.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};

use super::super::super::server::lock;
use super::super::super::world::{now_ms, rfc3339, World};
use super::super::ACCOUNT;
use super::{events, guards, invoke, routes, vtl, Call, Failure, Reply};

/// A gateway response: status, error type header and `{"message": ...}`.
fn gateway(status: u16, error_type: &str, message: &str) -> Reply {
    let mut r = Reply::message(status, message);
    r.headers
        .push(("x-amzn-ErrorType".into(), error_type.into()));
    r
}

/// MISSING_AUTHENTICATION_TOKEN: what an unknown stage, resource or method gets.
fn missing_token() -> Reply {
    gateway(
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
}

/// INVALID_API_KEY.
fn forbidden() -> Reply {
    gateway(403, "ForbiddenException", "Forbidden")
}

fn internal(status: u16) -> Reply {
    gateway(
        status,
        "InternalServerErrorException",
        "Internal server error",
    )
}

/// The stage and deployment a request is served from, copied out of the world.
struct View {
    stage: String,
    stage_body: Value,
    snapshot: Value,
    path: String,
}

/// A key's standing in the usage plans of the API stage: `(plan id, plan)` or why not.
fn plan_for(
    w: &World,
    region: &str,
    api: &str,
    stage: &str,
    value: &str,
) -> Result<(String, Value), Reply> {
    let key = w
        .aws
        .api_keys
        .iter()
        .find(|(k, v)| k.starts_with(&format!("{region}/")) && v["value"] == json!(value))
        .map(|(_, v)| v.clone())
        .ok_or_else(forbidden)?;
    if key["enabled"] != json!(true) {
        return Err(forbidden());
    }
    let id = key["id"].as_str().unwrap_or_default();
    w.aws
        .usage_plans
        .iter()
        .filter(|(k, p)| k.starts_with(&format!("{region}/")) && p.keys.iter().any(|x| x == id))
        .find(|(_, p)| {
            p.body["apiStages"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|s| s["apiId"] == json!(api) && s["stage"] == json!(stage))
            })
        })
        .map(|(_, p)| {
            (
                format!("{}/{id}", p.body["id"].as_str().unwrap_or_default()),
                p.body.clone(),
            )
        })
        .ok_or_else(forbidden)
}

/// The quota window a request falls in (`DAY`, `WEEK`, `MONTH`, in UTC).
fn window(period: &str, now: u64) -> String {
    let day = now / 86_400_000;
    match period {
        "WEEK" => format!("W{}", (day + 3) / 7),
        "MONTH" => rfc3339(now)[..7].to_string(),
        _ => format!("D{day}"),
    }
}

/// Requests counted per `{plan}/{key}/{window}`.
fn quota_counts() -> &'static Mutex<HashMap<String, i64>> {
    static Q: OnceLock<Mutex<HashMap<String, i64>>> = OnceLock::new();
    Q.get_or_init(Default::default)
}

/// The usage plan's throttle (429 THROTTLED) and quota (429 QUOTA_EXCEEDED) for one key.
fn metered(plan_key: &str, plan: &Value) -> Result<(), Reply> {
    let t = &plan["throttle"];
    if let (Some(burst), Some(rate)) = (t["burstLimit"].as_f64(), t["rateLimit"].as_f64()) {
        if !guards::take(&format!("plan/{plan_key}"), burst, rate) {
            return Err(gateway(
                429,
                "TooManyRequestsException",
                "Too Many Requests",
            ));
        }
    }
    let q = &plan["quota"];
    if let Some(limit) = q["limit"].as_i64() {
        let w = window(q["period"].as_str().unwrap_or("DAY"), now_ms());
        let mut counts = lock(quota_counts());
        let used = counts.entry(format!("{plan_key}/{w}")).or_insert(0);
        if *used >= limit {
            return Err(gateway(429, "LimitExceededException", "Limit Exceeded"));
        }
        *used += 1;
    }
    Ok(())
}

impl Call<'_> {
    fn rest_view(&self) -> Option<View> {
        let world = lock(&self.shared.world);
        let api = world
            .aws
            .rest_apis
            .get(&format!("{}/{}", self.region, self.api_id))?;
        let trimmed = self.path.trim_start_matches('/');
        let (stage, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
        let stage_body = api.stages.get(stage)?.clone();
        let dep = stage_body["deploymentId"].as_str()?;
        let snapshot = api.deployments.get(dep)?.snapshot.clone();
        Some(View {
            stage: stage.to_string(),
            stage_body,
            snapshot,
            path: format!("/{rest}"),
        })
    }

    pub(super) async fn serve_rest(&self) -> Reply {
        let Some(v) = self.rest_view() else {
            return missing_token();
        };
        // Each resource's methods as route keys, so HTTP APIs' selection rules apply.
        let mut candidates = Vec::new();
        for r in v.snapshot.as_object().into_iter().flat_map(|m| m.values()) {
            for (m, method) in r["resourceMethods"].as_object().into_iter().flatten() {
                candidates.push(json!({"routeKey": format!("{m} {}", r["path"].as_str().unwrap_or("/")), "method": method}));
            }
        }
        let Some(matched) = routes::select(candidates.iter(), self.method, &v.path) else {
            return missing_token();
        };
        let method = matched.route["method"].clone();
        let route_key = matched.route["routeKey"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (http_method, resource) = route_key.split_once(' ').unwrap_or(("ANY", "/"));
        if method["apiKeyRequired"] == json!(true) {
            let Some(value) = self.header("x-api-key") else {
                return forbidden();
            };
            let found = plan_for(
                &lock(&self.shared.world),
                self.region,
                self.api_id,
                &v.stage,
                value,
            );
            match found.and_then(|(key, plan)| metered(&key, &plan)) {
                Ok(()) => {}
                Err(r) => return r,
            }
        }
        // Stage method settings: the method's own entry, else `*/*`.
        let settings_key = format!("{}/{http_method}", resource.trim_start_matches('/'));
        let setting = |k: &str| {
            v.stage_body["methodSettings"][&settings_key][k]
                .as_f64()
                .or_else(|| v.stage_body["methodSettings"]["*/*"][k].as_f64())
        };
        if let (Some(burst), Some(rate)) = (
            setting("throttlingBurstLimit"),
            setting("throttlingRateLimit"),
        ) {
            let key = format!(
                "{}/{}/{}/{route_key}",
                self.api_id, v.stage, v.stage_body["deploymentId"]
            );
            if !guards::take(&key, burst, rate) {
                return gateway(429, "TooManyRequestsException", "Too Many Requests");
            }
        }
        let integration = method["methodIntegration"].clone();
        let timeout =
            Duration::from_millis(integration["timeoutInMillis"].as_u64().unwrap_or(29_000));
        match integration["type"].as_str().unwrap_or_default() {
            "MOCK" => {
                let env = self.template_env(&v, resource, &matched.params);
                self.mock(&integration, &env)
            }
            "AWS_PROXY" => {
                self.rest_lambda(&integration, &v, &route_key, &matched.params, timeout)
                    .await
            }
            "HTTP_PROXY" => {
                let uri = integration["uri"].as_str().unwrap_or_default();
                match self
                    .forward(
                        uri,
                        integration["httpMethod"].as_str(),
                        &matched.params,
                        timeout,
                    )
                    .await
                {
                    Ok(r) => r,
                    Err(Failure::Timeout) => {
                        gateway(504, "IntegrationTimeout", "Endpoint request timed out")
                    }
                    Err(Failure::Unreachable) => {
                        gateway(504, "IntegrationFailure", "Internal server error")
                    }
                }
            }
            // HTTP and AWS (non-proxy) integrations are not emulated.
            _ => internal(500),
        }
    }

    /// What a mapping template sees of this request (`vtl`).
    fn template_env<'v>(
        &self,
        v: &'v View,
        resource: &str,
        path_params: &BTreeMap<String, String>,
    ) -> vtl::Env<'v> {
        let now = now_ms();
        let ip = self.peer.map(|p| p.ip().to_string()).unwrap_or_default();
        let context = BTreeMap::from([
            ("requestId", self.request_id.to_owned()),
            ("extendedRequestId", self.request_id.to_owned()),
            ("httpMethod", self.method.to_owned()),
            ("resourcePath", resource.to_owned()),
            ("path", format!("/{}{}", v.stage, v.path)),
            ("stage", v.stage.clone()),
            ("apiId", self.api_id.to_owned()),
            ("accountId", ACCOUNT.to_owned()),
            (
                "domainName",
                format!("{}.execute-api.{}.amazonaws.com", self.api_id, self.region),
            ),
            ("protocol", "HTTP/1.1".to_owned()),
            ("requestTime", rfc3339(now)),
            ("requestTimeEpoch", now.to_string()),
            ("identity.sourceIp", ip),
            (
                "identity.userAgent",
                self.header("user-agent").unwrap_or_default().to_owned(),
            ),
        ]);
        let query = super::super::xml::parse_form(self.query)
            .into_iter()
            .collect();
        let headers = self
            .headers
            .iter()
            .filter_map(|(k, val)| {
                Some((
                    k.as_str().to_ascii_lowercase(),
                    val.to_str().ok()?.to_owned(),
                ))
            })
            .collect();
        vtl::Env {
            context,
            stage_variables: &v.stage_body["variables"],
            params: vec![path_params.clone(), query, headers],
            body: String::from_utf8_lossy(self.body).into_owned(),
        }
    }

    /// MOCK: the request template (rendered) gives the `statusCode` that picks the
    /// integration response (by `selectionPattern`, else the default one), which names the
    /// method response status, its body template (rendered) and literal header mappings.
    fn mock(&self, integration: &Value, env: &vtl::Env<'_>) -> Reply {
        let content_type = self
            .header("content-type")
            .unwrap_or("application/json")
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let template = integration["requestTemplates"][&content_type]
            .as_str()
            .or_else(|| integration["requestTemplates"]["application/json"].as_str())
            .unwrap_or("{\"statusCode\": 200}");
        let status = serde_json::from_str::<Value>(&vtl::render(template, env))
            .ok()
            .and_then(|t| t["statusCode"].as_i64())
            .unwrap_or(200)
            .to_string();
        let responses: Vec<&Value> = integration["integrationResponses"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
            .collect();
        let matches = |r: &&&Value| {
            r["selectionPattern"]
                .as_str()
                .filter(|p| !p.is_empty())
                .is_some_and(|p| {
                    regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|re| re.is_match(&status))
                })
        };
        let default = |r: &&&Value| r["selectionPattern"].as_str().is_none_or(str::is_empty);
        let Some(ir) = responses
            .iter()
            .find(matches)
            .or_else(|| responses.iter().find(default))
        else {
            return internal(500);
        };
        let code = ir["statusCode"]
            .as_str()
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(200);
        let body = ir["responseTemplates"]["application/json"]
            .as_str()
            .or_else(|| {
                ir["responseTemplates"]
                    .as_object()
                    .and_then(|m| m.values().next())
                    .and_then(Value::as_str)
            })
            .unwrap_or_default();
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        for (k, val) in ir["responseParameters"].as_object().into_iter().flatten() {
            let (Some(name), Some(lit)) = (k.strip_prefix("method.response.header."), val.as_str())
            else {
                continue;
            };
            if let Some(l) = lit.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')) {
                headers.push((name.to_ascii_lowercase(), l.to_string()));
            }
        }
        Reply {
            status: code,
            headers,
            body: vtl::render(body, env).into_bytes(),
        }
    }

    /// AWS_PROXY for REST APIs: no permission 500, a raised error or malformed result 502, the
    /// integration timeout 504.
    async fn rest_lambda(
        &self,
        integration: &Value,
        v: &View,
        route_key: &str,
        params: &BTreeMap<String, String>,
        timeout: Duration,
    ) -> Reply {
        let uri = integration["uri"].as_str().unwrap_or_default();
        let function = invoke::function_for(&lock(&self.shared.world), uri);
        let Some(f) = function else {
            return internal(500);
        };
        let (m, resource) = route_key.split_once(' ').unwrap_or(("ANY", "/"));
        let source = format!(
            "arn:aws:execute-api:{}:{ACCOUNT}:{}/{}/{m}{resource}",
            self.region, self.api_id, v.stage
        );
        if !invoke::permitted(&f, &source) {
            return internal(500);
        }
        let req = events::Request {
            api_id: self.api_id,
            region: self.region,
            stage: &v.stage,
            route_key,
            method: self.method,
            raw_path: &v.path,
            raw_query: self.query,
            headers: self
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        v.to_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            body: self.body,
            params,
            stage_variables: v.stage_body["variables"].clone(),
            source_ip: self
                .peer
                .map(|p| p.ip().to_string())
                .unwrap_or_else(|| "127.0.0.1".into()),
            request_id: self.request_id,
            now_ms: now_ms(),
            authorizer: None,
        };
        match invoke::invoke(&f, &events::v1(&req), self.request_id, timeout).await {
            invoke::Outcome::TimedOut => {
                gateway(504, "IntegrationTimeout", "Endpoint request timed out")
            }
            invoke::Outcome::Failed(e) => {
                eprintln!("keyway emulator: Lambda {} failed: {e}", f.name);
                internal(502)
            }
            invoke::Outcome::Returned(result) => match events::map_result("1.0", &result) {
                Some(m) => Reply {
                    status: m.status,
                    headers: m.headers,
                    body: m.body,
                },
                None => internal(502),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn quota_windows() {
        // 2024-02-29T12:00:00Z (a Thursday).
        let t = 1_709_208_000_000;
        assert_eq!(window("MONTH", t), "2024-02");
        assert_eq!(window("DAY", t), window("DAY", t + 3_600_000));
        assert_ne!(window("DAY", t), window("DAY", t + 86_400_000));
        assert_eq!(window("WEEK", t), window("WEEK", t + 3 * 86_400_000));
        assert_ne!(window("WEEK", t), window("WEEK", t + 4 * 86_400_000));
    }
}
