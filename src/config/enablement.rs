//! The ordering users should not have to write: a resource whose type calls a Google API (its
//! schema's `service`) waits for the `google_project_service` of the same configuration that
//! enables that API in its project, without a `depends_on`. Which block enables what is read
//! from the configuration alone — literals, variable defaults, locals, a `for_each` over them —
//! so an enablement keyway cannot name before applying adds no edge. Pure.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::config::model::{Config, Expr, Mode, Resource};
use crate::lang::eval::{eval, ResolveError, Scope};
use crate::lang::Value;

/// For each resource address, the `google_project_service` blocks it must wait for.
pub fn implicit_deps(config: &Config) -> BTreeMap<String, BTreeSet<String>> {
    let enablements = enablements(config);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if enablements.is_empty() {
        return out;
    }
    for r in config
        .resources
        .values()
        .filter(|r| r.mode == Mode::Managed)
    {
        let Some(service) = crate::schema::lookup(&r.ty).and_then(|s| s.service.as_deref()) else {
            continue;
        };
        let project = project_of(config, r);
        for e in enablements.iter().filter(|e| e.services.contains(service)) {
            // Different literal projects: that enablement is not this resource's.
            if matches!((&project, &e.project), (Some(a), Some(b)) if a != b) {
                continue;
            }
            out.entry(r.address()).or_default().insert(e.block.clone());
        }
    }
    out
}

/// One `google_project_service` block and the services it is known to enable.
struct Enablement {
    block: String,
    project: Option<String>,
    services: BTreeSet<String>,
}

fn enablements(config: &Config) -> Vec<Enablement> {
    let mut out = Vec::new();
    for r in config.resources.values() {
        if r.mode != Mode::Managed || r.ty != "google_project_service" {
            continue;
        }
        let Some(service) = r.body.attrs.get("service") else {
            continue;
        };
        let mut services = BTreeSet::new();
        match known(config, service) {
            Some(Value::String(s)) => {
                services.insert(s);
            }
            // `for_each = toset([...])` with `service = each.value` (or `each.key`).
            _ => {
                if let Some(each) = r.for_each.as_ref().and_then(|f| known(config, f)) {
                    services.extend(members(each));
                }
            }
        }
        if !services.is_empty() {
            out.push(Enablement {
                block: r.address(),
                project: project_of(config, r),
                services,
            });
        }
    }
    out
}

/// The string members of a set or list, or the keys and string values of a map.
fn members(v: Value) -> Vec<String> {
    match v {
        Value::List(items) | Value::Set(items) => items
            .into_iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Value::Object(m) => m
            .into_iter()
            .flat_map(|(k, v)| [Some(k), v.as_str().map(str::to_owned)])
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}

fn project_of(config: &Config, r: &Resource) -> Option<String> {
    let e = r.body.attrs.get("project")?;
    known(config, e).and_then(|v| v.as_str().map(str::to_owned))
}

/// The value of an expression as far as the configuration alone decides it.
fn known(config: &Config, e: &Expr) -> Option<Value> {
    let scope = Defaults {
        config,
        depth: Cell::new(0),
    };
    let v = eval(&e.expr, &scope).ok()?;
    (!v.has_unknown()).then(|| v.deep_unmark())
}

/// Variables are their defaults, locals their values; everything else is unknown.
struct Defaults<'a> {
    config: &'a Config,
    /// Locals referring to locals: bounded, as a cycle is reported elsewhere.
    depth: Cell<usize>,
}

impl Scope for Defaults<'_> {
    fn resolve(&self, names: &[&str]) -> Result<(Value, usize), ResolveError> {
        let expr = match names {
            ["var", name, ..] => self
                .config
                .variables
                .get(*name)
                .and_then(|v| v.default.as_ref()),
            ["local", name, ..] => self.config.locals.get(*name).map(|l| &l.value),
            _ => None,
        };
        let Some(expr) = expr.filter(|_| self.depth.get() < 16) else {
            return Ok((Value::Unknown, names.len()));
        };
        self.depth.set(self.depth.get() + 1);
        let v = eval(&expr.expr, self).unwrap_or(Value::Unknown);
        self.depth.set(self.depth.get() - 1);
        Ok((v, 2))
    }

    fn base_dir(&self) -> &Path {
        &self.config.dir
    }
}
