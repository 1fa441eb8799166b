//! Deployments that snapshot an API: a type whose schema declares a `snapshot` (a REST API's
//! `aws_api_gateway_deployment`) covers every block of the configuration of the listed part
//! types that names the same API (the same `rest_api_id` reference). The graph orders the
//! deployment after all of them, so a half-applied API is never deployed, and the planner
//! replaces the deployment whenever any of them changes — Terraform users' `triggers = {
//! redeployment = sha1(...) }` and `depends_on`, derived. Pure.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::model::{Config, Mode, Resource};

/// For each snapshotting resource block, the part blocks it covers.
pub fn parts(config: &Config) -> BTreeMap<String, BTreeSet<String>> {
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
        let covered: BTreeSet<String> = config
            .resources
            .values()
            .filter(|p| p.mode == Mode::Managed && rule.parts.contains(&p.ty))
            .filter(|p| p.module.prefix == r.module.prefix)
            .filter(|p| reference(p, &rule.of).as_deref() == Some(api.as_str()))
            .map(Resource::address)
            .collect();
        if !covered.is_empty() {
            out.insert(r.address(), covered);
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
