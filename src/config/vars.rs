//! Input variable values: defaults, `TF_VAR_*`/`KEYWAY_VAR_*` environment variables,
//! `terraform.tfvars`, `*.auto.tfvars`, `-var-file` and `-var`, in Terraform's precedence,
//! converted to each variable's type and checked against its `validation` blocks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::model::{Config, Variable};
use crate::diagnostics::{Diagnostic, Sources};
use crate::lang::eval::{eval, to_bool, VarScope};
use crate::lang::types::{convert, Type};
use crate::lang::Value;

/// A `-var` or `-var-file` argument, in command-line order.
#[derive(Clone, Debug, PartialEq)]
pub enum VarArg {
    /// `-var NAME=VALUE`.
    Value(String, String),
    /// `-var-file FILE`.
    File(PathBuf),
}

enum Raw {
    /// From the command line or environment: a string for string-typed variables, otherwise
    /// an HCL expression.
    Text(String),
    /// Already a value (from a tfvars file).
    Value(Value),
}

/// Resolves every declared variable.
pub fn resolve(
    config: &Config,
    args: &[VarArg],
    env: &BTreeMap<String, String>,
    sources: &mut Sources,
) -> Result<BTreeMap<String, Value>, Vec<Diagnostic>> {
    let mut raw: BTreeMap<String, Raw> = BTreeMap::new();
    let mut diags = Vec::new();
    for prefix in ["TF_VAR_", "KEYWAY_VAR_"] {
        for (k, v) in env {
            if let Some(name) = k.strip_prefix(prefix) {
                if config.variables.contains_key(name) {
                    raw.insert(name.to_owned(), Raw::Text(v.clone()));
                }
            }
        }
    }
    let mut files = vec![
        config.dir.join("terraform.tfvars"),
        config.dir.join("terraform.tfvars.json"),
    ];
    files.extend(auto_files(&config.dir));
    for f in files.into_iter().filter(|f| f.is_file()) {
        read_file(&f, &mut raw, sources, &mut diags);
    }
    for arg in args {
        match arg {
            VarArg::Value(k, v) => {
                raw.insert(k.clone(), Raw::Text(v.clone()));
            }
            VarArg::File(f) => read_file(f, &mut raw, sources, &mut diags),
        }
    }
    for name in raw.keys() {
        if !config.variables.contains_key(name) {
            diags.push(
                Diagnostic::warning(
                    "config::undeclared_variable",
                    format!("Value for undeclared variable `{name}`"),
                )
                .help(format!(
                    "declare it with `variable \"{name}\" {{}}` or remove the value"
                )),
            );
        }
    }
    let mut out = BTreeMap::new();
    for (name, var) in &config.variables {
        match value_of(var, raw.remove(name)) {
            Ok(v) => {
                out.insert(name.clone(), v);
            }
            Err(d) => diags.push(d),
        }
    }
    for var in config.variables.values() {
        if let Some(v) = out.get(&var.name) {
            validate(var, v, config, &mut diags);
        }
    }
    if diags
        .iter()
        .any(|d| d.severity == crate::diagnostics::Severity::Error)
    {
        return Err(diags);
    }
    Ok(out)
}

fn auto_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
        })
        .collect();
    v.sort();
    v
}

fn read_file(
    path: &Path,
    raw: &mut BTreeMap<String, Raw>,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                "config::var_file",
                format!("Cannot read variables file `{}`: {e}", path.display()),
            ));
            return;
        }
    };
    if path.extension().is_some_and(|e| e == "json") {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => {
                for (k, v) in m {
                    raw.insert(k, Raw::Value(Value::from_json(&v)));
                }
            }
            _ => diags.push(Diagnostic::error(
                "config::var_file",
                format!("`{}` must hold a JSON object", path.display()),
            )),
        }
        return;
    }
    let id = sources.add(path.to_path_buf(), path.display().to_string(), text.clone());
    let body = match hcl_edit::parser::parse_body(&text) {
        Ok(mut b) => {
            crate::lang::template::restore_flush_heredocs(&mut b, &text);
            b
        }
        Err(e) => {
            let o = e.location().offset();
            diags.push(
                Diagnostic::error(
                    "config::syntax",
                    format!("Invalid HCL syntax: {}", e.message()),
                )
                .at(id, Some(o..o + 1)),
            );
            return;
        }
    };
    let empty = BTreeMap::new();
    let scope = VarScope {
        vars: &empty,
        base_dir: Path::new("."),
    };
    for attr in body.attributes() {
        match eval(&attr.value, &scope) {
            Ok(v) => {
                raw.insert(attr.key.as_str().to_owned(), Raw::Value(v));
            }
            Err(e) => diags.push(
                Diagnostic::error(
                    "config::var_file",
                    format!("Variables may not be used here: {}", e.message),
                )
                .at(id, e.span),
            ),
        }
    }
}

fn value_of(var: &Variable, raw: Option<Raw>) -> Result<Value, Diagnostic> {
    let located = |d: Diagnostic| d.at(var.file, var.span.clone());
    let ty = var.ty.clone().unwrap_or(Type::Any);
    let v = match raw {
        Some(Raw::Value(v)) => v,
        Some(Raw::Text(t)) => match ty {
            Type::String | Type::Any => Value::String(t),
            _ => {
                // Parse and evaluation errors quote the text: not for a sensitive variable.
                let detail = |m: String| if var.sensitive { format!("the value is not a valid {}", ty.friendly()) } else { m };
                let expr = hcl_edit::parser::parse_expr(&t).map_err(|e| {
                    located(Diagnostic::error("config::var_value", format!("Invalid value for variable `{}`: {}", var.name, detail(e.message().to_owned()))))
                })?;
                let empty = BTreeMap::new();
                eval(&expr, &VarScope { vars: &empty, base_dir: Path::new(".") }).map_err(|e| {
                    located(Diagnostic::error("config::var_value", format!("Invalid value for variable `{}`: {}", var.name, detail(e.message))))
                })?
            }
        },
        None => match &var.default {
            Some(d) => {
                let empty = BTreeMap::new();
                eval(&d.expr, &VarScope { vars: &empty, base_dir: Path::new(".") }).map_err(|e| {
                    Diagnostic::error("config::var_value", e.message).at(d.file, e.span)
                })?
            }
            None => {
                return Err(located(Diagnostic::error("config::missing_variable", format!("No value for required variable `{}`", var.name))
                    .help(format!("set it with `-var {}=...`, a `.tfvars` file, or the environment variable `TF_VAR_{}`", var.name, var.name))))
            }
        },
    };
    if v.is_null() && !var.nullable {
        return Err(located(Diagnostic::error(
            "config::var_value",
            format!("Variable `{}` is not nullable", var.name),
        )));
    }
    let v = if v.is_null() {
        v
    } else {
        convert(v, &ty).map_err(|e| {
            // A conversion error quotes the value it was given.
            let e = if var.sensitive {
                format!("the value is not a {}", ty.friendly())
            } else {
                e
            };
            located(Diagnostic::error(
                "config::var_type",
                format!("Invalid value for variable `{}`: {e}", var.name),
            ))
        })?
    };
    Ok(if var.sensitive { v.sensitive() } else { v })
}

fn validate(var: &Variable, value: &Value, config: &Config, diags: &mut Vec<Diagnostic>) {
    let mut vars = BTreeMap::new();
    let mut inner = BTreeMap::new();
    inner.insert(var.name.clone(), value.clone());
    vars.insert("var".to_owned(), Value::Object(inner));
    let scope = VarScope {
        vars: &vars,
        base_dir: &config.dir,
    };
    for v in &var.validations {
        match eval(&v.condition.expr, &scope) {
            Ok(c) if c.has_unknown() => {}
            Ok(c) => {
                if to_bool(&c) == Some(false) {
                    let msg = match eval(&v.error_message.expr, &scope) {
                        // Terraform's wording: the message would reveal the secret.
                        Ok(m) if m.has_sensitive() => {
                            "The error message included a sensitive value, so it will not be \
                             displayed."
                                .into()
                        }
                        Ok(m) => m
                            .as_str()
                            .map_or_else(|| "validation failed".into(), str::to_owned),
                        Err(_) => "validation failed".into(),
                    };
                    diags.push(
                        Diagnostic::error(
                            "config::validation",
                            format!("Invalid value for variable `{}`: {msg}", var.name),
                        )
                        .at(v.condition.file, v.condition.span())
                        .label("this condition is false"),
                    );
                }
            }
            Err(e) => diags.push(
                Diagnostic::error("config::validation", e.message).at(v.condition.file, e.span),
            ),
        }
    }
}
