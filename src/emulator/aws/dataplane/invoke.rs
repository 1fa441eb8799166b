//! AWS_PROXY integrations: the Lambda function an integration URI names, the resource-policy
//! check API Gateway's invocation must pass (principal `apigateway.amazonaws.com`, action
//! `lambda:InvokeFunction`, `AWS:SourceArn` matched as `ArnLike`), and one invocation: a Python
//! handler run from its zip in a subprocess (`runner.py`) with the event and a context; other
//! runtimes answer as an echo of the event.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use super::super::super::world::World;
use super::super::ACCOUNT;

const RUNNER: &str = include_str!("runner.py");

/// What an invocation needs, copied out of the world.
#[derive(Debug, Clone)]
pub struct FunctionView {
    pub name: String,
    pub arn: String,
    pub runtime: String,
    pub handler: String,
    pub zip_b64: String,
    pub timeout_s: u64,
    pub memory: i64,
    pub region: String,
    pub env: Vec<(String, String)>,
    pub statements: Vec<Value>,
    /// Still being created (Lambda refuses invocations until the function is Active).
    pub pending: bool,
}

/// `arn:aws:lambda:{region}:{acct}:function:{name}`, bare or inside an API Gateway invocation
/// URI (`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations`).
pub fn function_for(world: &World, uri: &str) -> Option<FunctionView> {
    let start = uri.find("arn:aws:lambda:")?;
    let arn = uri[start..].split("/invocations").next()?;
    let parts: Vec<&str> = arn.split(':').collect();
    let (region, name) = match parts.as_slice() {
        ["arn", "aws", "lambda", region, _, "function", name, ..] => (*region, *name),
        _ => return None,
    };
    let f = world.aws.functions.get(&format!("{region}/{name}"))?;
    let c = &f.config;
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    Some(FunctionView {
        name: name.to_string(),
        arn: s("FunctionArn"),
        runtime: s("Runtime"),
        handler: s("Handler"),
        zip_b64: f.zip_b64.clone(),
        timeout_s: c["Timeout"].as_u64().unwrap_or(3),
        memory: c["MemorySize"].as_i64().unwrap_or(128),
        region: region.to_string(),
        env: c["Environment"]["Variables"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        statements: f.statements.clone(),
        pending: super::super::super::world::now_ms()
            < f.created_ms + super::super::lambda::SETTLE_MS,
    })
}

/// IAM's `ArnLike`: `*` any run of characters, `?` one.
fn arn_like(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether the function's policy lets API Gateway invoke it for `source_arn`.
pub fn permitted(f: &FunctionView, source_arn: &str) -> bool {
    f.statements.iter().any(|st| {
        let action = st["Action"].as_str().unwrap_or_default();
        let principal_ok = st["Principal"] == json!("*")
            || st["Principal"]["Service"] == json!("apigateway.amazonaws.com");
        let action_ok = ["lambda:InvokeFunction", "lambda:*", "*"].contains(&action);
        let cond = &st["Condition"];
        let arn_ok = cond["ArnLike"]["AWS:SourceArn"]
            .as_str()
            .is_none_or(|p| arn_like(p, source_arn));
        let acct_ok = cond["StringEquals"]["AWS:SourceAccount"]
            .as_str()
            .is_none_or(|a| a == ACCOUNT);
        st["Effect"] == json!("Allow") && principal_ok && action_ok && arn_ok && acct_ok
    })
}

/// How an invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The handler's return value.
    Returned(Value),
    /// The handler raised, its process failed, or it ran past the function's timeout.
    Failed(String),
    /// The integration's timeout ran out first.
    TimedOut,
}

/// The interpreter for `python3.X`: that version if the machine has it, else `python3`.
fn python_for(runtime: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let find = |name: &str| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    };
    find(runtime).or_else(|| find("python3"))
}

/// Runs the function on `event` (the integration's `timeout` caps the function's own).
pub async fn invoke(
    f: &FunctionView,
    event: &Value,
    request_id: &str,
    timeout: Duration,
) -> Outcome {
    if f.pending {
        return Outcome::Failed(
            "The operation cannot be performed at this time. The function is currently in the \
             following state: Pending"
                .into(),
        );
    }
    if !f.runtime.starts_with("python3") {
        // Runtimes the emulator cannot run answer as an echo of the event they were sent.
        return Outcome::Returned(json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": event.to_string(),
        }));
    }
    let Some(python) = python_for(&f.runtime) else {
        return Outcome::Failed(format!(
            "no Python interpreter for {} on this machine",
            f.runtime
        ));
    };
    use base64::Engine;
    let Ok(zip) = base64::engine::general_purpose::STANDARD.decode(&f.zip_b64) else {
        return Outcome::Failed("the deployment package is not base64".into());
    };
    let dir = std::env::temp_dir();
    let zip_path = dir.join(format!(
        "keyway-lambda-{}.zip",
        uuid::Uuid::new_v4().simple()
    ));
    if let Err(e) = std::fs::write(&zip_path, &zip) {
        return Outcome::Failed(format!("cannot stage the package: {e}"));
    }
    // The function's own timeout ends it with an error; the integration's ends the wait.
    let own = Duration::from_secs(f.timeout_s.max(1));
    let limit = timeout.min(own);
    let mut outcome = run(&python, f, &zip_path, event, request_id, limit).await;
    if matches!(outcome, Outcome::TimedOut) && own <= timeout {
        outcome = Outcome::Failed(format!("Task timed out after {} seconds", f.timeout_s));
    }
    let _ = std::fs::remove_file(&zip_path);
    outcome
}

async fn run(
    python: &PathBuf,
    f: &FunctionView,
    zip: &std::path::Path,
    event: &Value,
    request_id: &str,
    limit: Duration,
) -> Outcome {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg("-c")
        .arg(RUNNER)
        .arg(zip)
        .arg(&f.handler)
        .arg(&f.name)
        .arg(f.memory.to_string())
        .arg(&f.arn)
        .arg(request_id)
        .arg(limit.as_secs_f64().to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", &f.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory.to_string())
        .env("AWS_REGION", &f.region)
        .env("AWS_DEFAULT_REGION", &f.region)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .envs(f.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("cannot start {}: {e}", python.display())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(event.to_string().as_bytes()).await;
    }
    // Dropping the child on timeout kills it (kill_on_drop).
    let out = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Err(_) => return Outcome::TimedOut,
        Ok(Err(e)) => return Outcome::Failed(format!("the runtime failed: {e}")),
        Ok(Ok(o)) => o,
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: Option<Value> = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str(l).ok());
    match last {
        Some(v) if v.get("result").is_some() => Outcome::Returned(v["result"].clone()),
        Some(v) if v.get("errorMessage").is_some() => Outcome::Failed(format!(
            "{}: {}",
            v["errorType"].as_str().unwrap_or("Error"),
            v["errorMessage"].as_str().unwrap_or_default()
        )),
        _ => Outcome::Failed(format!(
            "the runtime exited without a result: {}",
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::arn_like;

    #[test]
    fn arn_like_globs() {
        assert!(arn_like(
            "arn:aws:execute-api:us-east-1:1:abc/*/*",
            "arn:aws:execute-api:us-east-1:1:abc/prod/GET/pets"
        ));
        assert!(arn_like(
            "arn:aws:execute-api:us-east-1:1:abc/*/GET/pets",
            "arn:aws:execute-api:us-east-1:1:abc/$default/GET/pets"
        ));
        assert!(!arn_like(
            "arn:aws:execute-api:us-east-1:1:abc/*/POST/*",
            "arn:aws:execute-api:us-east-1:1:abc/prod/GET/pets"
        ));
        assert!(arn_like("a?c", "abc") && !arn_like("a?c", "abbc"));
    }
}
