//! The `external` provider (hashicorp/external): `data "external"` runs a program (no shell)
//! with the `query` map as a JSON object on stdin and takes the JSON object of strings it
//! prints as `result`. A failing program's stderr is the error. Built in; `provider
//! "external"` is accepted.
//!
//! The read runs at plan time when its arguments are known, as in Terraform.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use async_trait::async_trait;

use crate::lang::Value;
use crate::providers::args::Args;
use crate::providers::{Provider, ProviderError, Result};

/// The external provider.
pub struct External;

#[async_trait]
impl Provider for External {
    async fn refresh(&self, _ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        Ok(priors.iter().cloned().map(Some).collect())
    }

    async fn create(&self, ty: &str, _planned: &Value) -> Result<Value> {
        Err(ProviderError::new(format!("unknown resource type `{ty}`")))
    }

    async fn update(&self, ty: &str, _prior: &Value, _planned: &Value) -> Result<Value> {
        Err(ProviderError::new(format!("unknown resource type `{ty}`")))
    }

    async fn delete(&self, _ty: &str, _prior: &Value) -> Result<()> {
        Ok(())
    }

    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        if ty != "external" {
            return Err(ProviderError::new(format!(
                "data source `{ty}` is not supported"
            )));
        }
        let a = Args::new(ty, true, config)?;
        // Empty program elements are dropped, as hashicorp/external drops them.
        let program: Vec<String> = a
            .strings("program")?
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        let Some((exe, rest)) = program.split_first() else {
            return Err(a.error(
                "program",
                "needs at least one non-empty element: the program to run",
            ));
        };
        let query = a.string_map("query")?;
        let dir = a.string("working_dir")?.filter(|d| !d.is_empty());
        let input = serde_json::to_vec(&query).map_err(|e| a.error("query", e))?;
        // The program may take its time: run it off the async workers.
        let (exe_owned, args) = (exe.clone(), rest.to_vec());
        let stdout =
            tokio::task::spawn_blocking(move || run(&exe_owned, &args, dir.as_deref(), &input))
                .await
                .map_err(|e| a.error("program", format!("`{exe}` was abandoned: {e}")))?
                .map_err(|e| a.error("program", e))?;
        let result = parse(&a, exe, &stdout)?;
        Ok(a.finish([
            ("result", Value::Object(result)),
            ("id", Value::string("-")),
        ]))
    }
}

fn run(
    exe: &str,
    args: &[String],
    dir: Option<&str>,
    input: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("`{exe}` cannot be run: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A program that exits without reading its input is not an error.
        let _ = stdin.write_all(input);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("`{exe}`: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr = stderr.trim_end();
        let detail = if stderr.is_empty() {
            String::new()
        } else {
            format!(":\n{stderr}")
        };
        return Err(format!("`{exe}` failed ({}){detail}", out.status));
    }
    Ok(out.stdout)
}

/// The program's stdout: a JSON object whose values are all strings.
fn parse(a: &Args, exe: &str, stdout: &[u8]) -> Result<BTreeMap<String, Value>> {
    let bad = |what: String| {
        a.error(
            "program",
            format!("`{exe}` produced invalid output: {what}"),
        )
    };
    let json: serde_json::Value =
        serde_json::from_slice(stdout).map_err(|e| bad(format!("not JSON ({e})")))?;
    let serde_json::Value::Object(m) = json else {
        return Err(bad("expected a JSON object".into()));
    };
    m.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, Value::string(s))),
            _ => Err(bad(format!(
                "the value of `{k}` is not a string (every value must be)"
            ))),
        })
        .collect()
}
