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
            if !enabled.literal.contains(&service) && !enabled.unknown {
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
    /// Some enablement names a service keyway cannot know before applying (a variable, a data
    /// source): any literal target might be it, so none is reported.
    unknown: bool,
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
            let apis = managed_services_referenced(config, service, 0);
            let api_only = !apis.is_empty();
            out.managed_of.extend(apis);
            // `for_each = google_api_gateway_api.apis` with `service = each.value.managed_service`.
            if let Some(each) = &res.for_each {
                out.managed_of
                    .extend(managed_services_referenced(config, each, 0));
            }
            let mut values = vec![literal(config, service)];
            if let Some(each) = &res.for_each {
                let members = literal(config, each);
                out.unknown |= members.is_none();
                values.extend(elements(members));
            }
            for v in values {
                match v {
                    Some(Value::String(s)) => {
                        out.literal.insert(s);
                    }
                    None if !api_only && res.for_each.is_none() => out.unknown = true,
                    _ => {}
                }
            }
        }
        out
    }
}

/// The APIs (`google_api_gateway_api.NAME`) whose managed service an expression names,
/// directly or through locals. A reference cut short by an index (`api[0].managed_service`
/// stops at `api`) counts too: it can only be read as that API's attribute.
fn managed_services_referenced(config: &Config, e: &Expr, depth: usize) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in references(&e.expr) {
        match r.names.as_slice() {
            [ty, name] if ty == "google_api_gateway_api" => {
                out.insert(format!("{ty}.{name}"));
            }
            [ty, name, attr, ..] if ty == "google_api_gateway_api" && attr == "managed_service" => {
                out.insert(format!("{ty}.{name}"));
            }
            [root, name, ..] if root == "local" && depth < 8 => {
                if let Some(local) = config.locals.get(name) {
                    out.extend(managed_services_referenced(config, &local.value, depth + 1));
                }
            }
            _ => {}
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use crate::config::load_str;

    fn warnings(text: &str) -> Vec<String> {
        load_str(text)
            .expect("valid")
            .warnings
            .iter()
            .map(|d| d.message.clone())
            .collect()
    }

    const API: &str = r#"
resource "google_api_gateway_api" "api" {
  api_id = "a"
}
"#;

    #[test]
    fn a_missing_enablement_is_reported() {
        let got = warnings(API);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("google_api_gateway_api.api"), "{got:?}");
    }

    #[test]
    fn enablements_through_an_index_or_a_local_count() {
        let indexed = r#"
resource "google_api_gateway_api" "api" {
  count  = 1
  api_id = "a"
}
resource "google_project_service" "managed" {
  service = google_api_gateway_api.api[0].managed_service
}
"#;
        assert_eq!(warnings(indexed), Vec::<String>::new());
        let through_local = format!(
            "{API}\nlocals {{\n  ms = google_api_gateway_api.api.managed_service\n}}\nresource \"google_project_service\" \"m\" {{\n  service = local.ms\n}}\n"
        );
        assert_eq!(warnings(&through_local), Vec::<String>::new());
        let over_apis = r#"
resource "google_api_gateway_api" "apis" {
  for_each = toset(["a", "b"])
  api_id   = each.key
}
resource "google_project_service" "managed" {
  for_each = google_api_gateway_api.apis
  service  = each.value.managed_service
}
"#;
        assert_eq!(warnings(over_apis), Vec::<String>::new());
    }

    #[test]
    fn a_target_enabled_by_something_unknown_is_not_reported() {
        let text = r#"
variable "extra" {
  default = ["translate.googleapis.com"]
}
resource "google_project_service" "extra" {
  for_each = toset(var.extra)
  service  = each.value
}
resource "google_apikeys_key" "k" {
  name = "k"
  restrictions {
    api_targets {
      service = "translate.googleapis.com"
    }
  }
}
"#;
        assert_eq!(warnings(text), Vec::<String>::new());
        let literal_only = text.replace("toset(var.extra)", "toset([\"vision.googleapis.com\"])");
        let got = warnings(&literal_only);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("translate.googleapis.com"), "{got:?}");
    }
}
