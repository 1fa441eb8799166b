//! Advice about a step the folder leaves out that Google needs: enabling an API Gateway API's
//! own managed service, and the services API keys are restricted to. Without it every key is
//! refused with 403 at the gateway, the failure people meet at the end of the tutorial; keyway
//! says so at `validate` and `plan`, with the exact block to add, rather than enabling a
//! service behind the user's back (the folder stays the whole truth about the project).
//!
//! Warnings only: the service may be enabled outside the folder, which keyway cannot see here.

use std::collections::BTreeSet;
use std::path::Path;

use crate::config::model::{Body, Config, Expr, Mode, Resource};
use crate::diagnostics::Diagnostic;
use crate::lang::eval::{eval, ResolveError, Scope};
use crate::lang::refs::references;
use crate::lang::Value;

/// Appends a warning for every API whose managed service no `google_project_service` enables,
/// and every literal `api_targets` service no `google_project_service` enables.
pub fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    let enabled = Enabled::of(config);
    for api in managed(config, "google_api_gateway_api") {
        if !enabled.managed_of.contains(&api.address()) {
            diags.push(missing_managed_service(config, api));
        }
    }
    for key in managed(config, "google_apikeys_key") {
        for target in api_targets(&key.body) {
            let Some(Value::String(service)) = literal(config, target) else {
                continue;
            };
            if !enabled.literal.contains(&service) {
                diags.push(missing_target_service(key, target, &service));
            }
        }
    }
}

fn managed<'a>(config: &'a Config, ty: &'a str) -> impl Iterator<Item = &'a Resource> {
    config
        .resources
        .values()
        .filter(move |r| r.mode == Mode::Managed && r.ty == ty)
}

/// What the folder's `google_project_service` resources enable, as far as it is known without
/// applying anything: literal service names (also through a literal `for_each`), and the APIs
/// whose `managed_service` they reference.
#[derive(Default)]
struct Enabled {
    literal: BTreeSet<String>,
    /// Addresses (`google_api_gateway_api.api`) whose managed service is enabled.
    managed_of: BTreeSet<String>,
}

impl Enabled {
    fn of(config: &Config) -> Enabled {
        let mut out = Enabled::default();
        for res in managed(config, "google_project_service") {
            let Some(service) = res.body.attrs.get("service") else {
                continue;
            };
            for r in references(&service.expr) {
                if let [ty, name, attr, ..] = r.names.as_slice() {
                    if ty == "google_api_gateway_api" && attr == "managed_service" {
                        out.managed_of.insert(format!("{ty}.{name}"));
                    }
                }
            }
            let mut values = vec![literal(config, service)];
            if let Some(each) = &res.for_each {
                values.extend(elements(literal(config, each)));
            }
            out.literal
                .extend(values.into_iter().filter_map(|v| match v {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                }));
        }
        out
    }
}

/// The members of a literal collection (`toset([...])`, a list or a map's values).
fn elements(v: Option<Value>) -> Vec<Option<Value>> {
    match v {
        Some(Value::List(items) | Value::Set(items)) => items.into_iter().map(Some).collect(),
        Some(Value::Object(m)) => m.into_values().map(Some).collect(),
        _ => Vec::new(),
    }
}

/// `restrictions { api_targets { service = ... } }` expressions of a key.
fn api_targets(body: &Body) -> Vec<&Expr> {
    body.blocks
        .iter()
        .filter(|b| b.ty == "restrictions")
        .flat_map(|b| b.body.blocks.iter().filter(|t| t.ty == "api_targets"))
        .filter_map(|t| t.body.attrs.get("service"))
        .collect()
}

/// The value of an expression that uses no references, functions on literals included; `None`
/// when it depends on anything else.
fn literal(config: &Config, e: &Expr) -> Option<Value> {
    let v = eval(&e.expr, &NothingKnown(&config.dir)).ok()?;
    (!v.has_unknown()).then_some(v)
}

/// A scope in which every reference is unknown, so only literal parts evaluate.
struct NothingKnown<'a>(&'a Path);

impl Scope for NothingKnown<'_> {
    fn resolve(&self, names: &[&str]) -> Result<(Value, usize), ResolveError> {
        Ok((Value::Unknown, names.len()))
    }
    fn base_dir(&self) -> &Path {
        self.0
    }
}

fn missing_managed_service(config: &Config, api: &Resource) -> Diagnostic {
    let address = api.address();
    // Google can enable the managed service only once a config has been rolled out for it.
    let config_dep = config
        .resources
        .values()
        .find(|r| {
            r.ty == "google_api_gateway_api_config"
                && r.body.attrs.get("api").is_some_and(|e| {
                    references(&e.expr).iter().any(|x| {
                        x.names.len() >= 2 && x.names[..2] == [api.ty.clone(), api.name.clone()]
                    })
                })
        })
        .map(|c| format!("\n    depends_on = [{}]", c.address()))
        .unwrap_or_default();
    let block = format!(
        "resource \"google_project_service\" \"{name}_managed_service\" {{\n    service    = \
         {address}.managed_service{config_dep}\n  }}",
        name = api.name,
    );
    Diagnostic::warning(
        "google::managed_service_not_enabled",
        format!("The managed service of `{address}` is never enabled"),
    )
    .at(api.file, api.span.clone())
    .help(format!(
        "Every request through the gateway is checked against the API's own managed service; \
         until it is enabled in the project, API keys are refused with 403 (\"API ... has not \
         been used in project ... or it is disabled\"). Add:\n\n  {block}\n\nand make API keys \
         restricted to it depend on that resource."
    ))
}

fn missing_target_service(key: &Resource, target: &Expr, service: &str) -> Diagnostic {
    let name = service.split('.').next().unwrap_or("api").replace('-', "_");
    Diagnostic::warning(
        "google::key_target_not_enabled",
        format!(
            "`{}` is restricted to {service}, which no google_project_service enables",
            key.address()
        ),
    )
    .at(target.file, target.span())
    .help(format!(
        "A key only works for services enabled in its project; calls with it are refused with \
         403 until then. Unless it is enabled outside this folder, add:\n\n  resource \
         \"google_project_service\" \"{name}\" {{\n    service = \"{service}\"\n  }}"
    ))
}
