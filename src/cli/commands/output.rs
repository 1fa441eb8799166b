//! `output` and the outputs block printed after apply.

use std::process::ExitCode;

use miette::Report;

use crate::cli::render::value::render;
use crate::cli::workspace::{Failure, Workspace};
use crate::lang::Value;
use crate::state::State;

/// Prints outputs after an apply, sensitive ones hidden.
pub fn print_outputs(state: &State) {
    if state.outputs.is_empty() {
        return;
    }
    println!("\nOutputs:\n");
    let width = state.outputs.keys().map(String::len).max().unwrap_or(0);
    for (name, o) in &state.outputs {
        let v = if o.sensitive {
            "<sensitive>".to_owned()
        } else {
            render(&Value::from_json(&o.value), 0)
        };
        println!("{name:width$} = {v}");
    }
}

/// `keyway output [NAME] [-json] [-raw]`.
pub fn output(name: Option<String>, json: bool, raw: bool) -> Result<ExitCode, Failure> {
    let store = crate::cli::commands::encryption::open_store()?;
    let state = store.read().map_err(Report::new)?.unwrap_or_default();
    let _ = Workspace::load;
    match name {
        Some(n) => {
            let o = state.outputs.get(&n).ok_or_else(|| {
                Report::msg(format!("Output `{n}` not found")).wrap_err("the state has no output with that name; apply the configuration, or check the name")
            })?;
            if raw {
                match &o.value {
                    serde_json::Value::String(s) => print!("{s}"),
                    serde_json::Value::Number(n) => print!("{n}"),
                    serde_json::Value::Bool(b) => print!("{b}"),
                    _ => {
                        return Err(Report::msg(format!(
                            "Output `{n}` is not a string, number or bool; use -json"
                        ))
                        .into())
                    }
                }
            } else if json {
                println!("{}", o.value);
            } else if o.sensitive {
                println!("<sensitive>");
            } else {
                println!("{}", render(&Value::from_json(&o.value), 0));
            }
        }
        None if json => {
            let all: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| (k.clone(), serde_json::json!({ "sensitive": o.sensitive, "value": o.value, "type": type_of(&o.value) })))
                .collect();
            println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
        None => {
            if state.outputs.is_empty() {
                eprintln!("No outputs found: the state has none yet.");
            }
            let width = state.outputs.keys().map(String::len).max().unwrap_or(0);
            for (k, o) in &state.outputs {
                let v = if o.sensitive {
                    "<sensitive>".into()
                } else {
                    render(&Value::from_json(&o.value), 0)
                };
                println!("{k:width$} = {v}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Terraform's type expression for a JSON value, as `output -json` shows it.
fn type_of(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::{json, Value as J};
    match v {
        J::Null => json!("dynamic"),
        J::Bool(_) => json!("bool"),
        J::Number(_) => json!("number"),
        J::String(_) => json!("string"),
        J::Array(items) => json!(["tuple", items.iter().map(type_of).collect::<Vec<_>>()]),
        J::Object(m) => json!([
            "object",
            m.iter()
                .map(|(k, v)| (k.clone(), type_of(v)))
                .collect::<serde_json::Map<_, _>>()
        ]),
    }
}
