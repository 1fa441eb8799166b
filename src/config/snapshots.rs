//! Deployments that snapshot an API: a type whose schema declares a `snapshot` (a REST API's
//! `aws_api_gateway_deployment`) covers every block of the configuration of the listed part
//! types that names the same API (the same `rest_api_id` reference). The graph orders the
//! deployment after all of them, so a half-applied API is never deployed, and the planner
//! replaces the deployment whenever any of them changes — Terraform users' `triggers = {
//! redeployment = sha1(...) }` and `depends_on`, derived. Pure.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::model::{Config, Mode, Resource};

/// What one snapshot covers.
#[derive(Debug, Default, PartialEq)]
pub struct Covered {
    /// The part blocks naming the same API.
    pub parts: BTreeSet<String>,
    /// The snapshotted block itself (`aws_api_gateway_rest_api.items`) and the arguments of
    /// it a snapshot includes (`body`: an imported OpenAPI document is the API's content).
    pub own: Option<(String, Vec<String>)>,
}

/// For each snapshotting resource block, what it covers.
pub fn parts(config: &Config) -> BTreeMap<String, Covered> {
    let mut out = BTreeMap::new();
    for r in config
        .resources
        .values()
        .filter(|r| r.mode == Mode::Managed)
    {
        let Some(rule) = crate::schema::lookup_in(&r.ty, false).and_then(|s| s.snapshot.as_ref())
        else {
            continue;
        };
        let Some(api) = reference(r, &rule.of) else {
            continue;
        };
        let parts: BTreeSet<String> = config
            .resources
            .values()
            .filter(|p| p.mode == Mode::Managed && rule.parts.contains(&p.ty))
            .filter(|p| p.module.prefix == r.module.prefix)
            .filter(|p| reference(p, &rule.of).as_deref() == Some(api.as_str()))
            .map(Resource::address)
            .collect();
        let own = block_of(&api)
            .filter(|_| !rule.own.is_empty())
            .map(|b| (format!("{}{b}", r.module.prefix), rule.own.clone()));
        if !parts.is_empty() || own.is_some() {
            out.insert(r.address(), Covered { parts, own });
        }
    }
    out
}

/// The text of the reference an argument holds (`aws_api_gateway_rest_api.items.id`); none
/// for a literal or a computed expression, which names no block statically.
fn reference(r: &Resource, attr: &str) -> Option<String> {
    let e = r.body.attrs.get(attr)?;
    crate::config::lower::reference_text(&e.expr)
}

/// The block a resource reference names (`aws_api_gateway_rest_api.items` of
/// `aws_api_gateway_rest_api.items[0].id`); none for `var.x` and the like.
fn block_of(reference: &str) -> Option<String> {
    let mut segs = reference.split('.');
    let (ty, name) = (segs.next()?, segs.next()?);
    let name = name.split('[').next()?;
    let named = ty.contains('_') && !matches!(ty, "var" | "local" | "module" | "data" | "each");
    named.then(|| format!("{ty}.{name}"))
}

#[cfg(test)]
mod tests {
    use super::block_of;

    #[test]
    fn a_reference_names_its_block_without_instance_key() {
        let b = |r| block_of(r);
        assert_eq!(
            b("aws_api_gateway_rest_api.a.id").as_deref(),
            Some("aws_api_gateway_rest_api.a")
        );
        assert_eq!(
            b("aws_api_gateway_rest_api.a[0].id").as_deref(),
            Some("aws_api_gateway_rest_api.a")
        );
        assert_eq!(b("var.api_id"), None);
        assert_eq!(b("local.api"), None);
    }
}
