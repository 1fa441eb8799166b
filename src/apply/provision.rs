//! `local-exec` provisioners: the command a resource's `provisioner "local-exec"` block
//! names, run on this machine after the object is created (or before it is destroyed, with
//! `when = destroy`), its output streamed line by line as events with the resource's address.
//! A command that reads a sensitive value has its output withheld, as Terraform does.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::config::{Expr, Provisioner};
use crate::diagnostics::Diagnostic;
use crate::lang::Value;

/// A provisioner's command, evaluated.
pub struct Command {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<PathBuf>,
    /// `quiet = true`: the command itself is not echoed.
    quiet: bool,
    /// The command or its environment reads a sensitive value: its output is withheld.
    secret: bool,
}

/// Evaluates a provisioner's arguments with `eval` (which binds `self`).
pub fn prepare(
    p: &Provisioner,
    base: &Path,
    eval: &mut dyn FnMut(&Expr) -> Result<Value, Diagnostic>,
) -> Result<Command, Diagnostic> {
    let mut secret = false;
    let mut get = |name: &str| -> Result<Value, Diagnostic> {
        match p.body.attrs.get(name) {
            Some(e) => {
                let v = eval(e)?;
                secret |= v.has_sensitive();
                Ok(v.deep_unmark())
            }
            None => Ok(Value::Null),
        }
    };
    let bad = |what: &str| {
        Diagnostic::error("apply::provisioner", format!("local-exec: `{what}`"))
            .at(p.file, p.span.clone())
    };
    let command = match get("command")? {
        Value::String(c) => c,
        _ => return Err(bad("command must be a string")),
    };
    let mut argv: Vec<String> = match get("interpreter")? {
        Value::Null => vec!["/bin/sh".into(), "-c".into()],
        Value::List(items) | Value::Set(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("interpreter must be a list of strings"))?,
        _ => return Err(bad("interpreter must be a list of strings")),
    };
    argv.push(command);
    let env = match get("environment")? {
        Value::Null => Vec::new(),
        Value::Object(m) => m
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                Value::Number(n) => Ok((k, n.to_string())),
                Value::Bool(b) => Ok((k, b.to_string())),
                _ => Err(bad("environment values must be strings")),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(bad("environment must be a map of strings")),
    };
    let dir = match get("working_dir")? {
        Value::String(d) if !d.is_empty() => Some(base.join(d)),
        _ => None,
    };
    let quiet = matches!(get("quiet")?, Value::Bool(true));
    Ok(Command {
        argv,
        env,
        dir,
        quiet,
        secret,
    })
}

/// Runs the command in `base` (the configuration folder) unless it names a working
/// directory, sending each line it prints (stdout and stderr) to `out`. Fails with the
/// exit status.
pub async fn run(cmd: &Command, base: &Path, out: &(dyn Fn(String) + Sync)) -> Result<(), String> {
    if cmd.quiet {
        out(" (local-exec): Executing: (quiet)".into());
    } else if cmd.secret {
        out(" (local-exec): Executing: (sensitive value)".into());
    } else {
        let shown: Vec<String> = cmd.argv.iter().map(|a| format!("{a:?}")).collect();
        out(format!(" (local-exec): Executing: [{}]", shown.join(" ")));
    }
    let (program, args) = cmd.argv.split_first().ok_or("the interpreter is empty")?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .current_dir(cmd.dir.as_deref().unwrap_or(base))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let stdout = child.stdout.take().map(|s| BufReader::new(s).lines());
    let stderr = child.stderr.take().map(|s| BufReader::new(s).lines());
    tokio::join!(pump(stdout, cmd.secret, out), pump(stderr, cmd.secret, out));
    if cmd.secret {
        out(" (local-exec): (output suppressed due to sensitive value in config)".into());
    }
    let status = child.wait().await.map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(match status.code() {
            Some(c) => format!("local-exec provisioner error: the command exited with status {c}"),
            None => "local-exec provisioner error: the command was killed by a signal".into(),
        })
    }
}

/// Sends each line to `out`, unless the output is withheld.
async fn pump<R: tokio::io::AsyncRead + Unpin>(
    lines: Option<tokio::io::Lines<BufReader<R>>>,
    secret: bool,
    out: &(dyn Fn(String) + Sync),
) {
    let Some(mut lines) = lines else { return };
    while let Ok(Some(line)) = lines.next_line().await {
        if !secret {
            out(format!(" (local-exec): {line}"));
        }
    }
}
