//! The parts of an API name parts of the same API. A method whose `resource_id` is a resource
//! of another REST API, a route whose `target` is another API's integration, or a usage plan
//! naming a stage its API does not have are refused by AWS only at apply, after half the API
//! exists; here they fail `validate`, pointing at the argument. Schema-driven (`same_api`:
//! the argument naming the API and the arguments whose references must belong to it), plus
//! the usage plan's `api_stages`, whose stage is a name rather than a reference. Pure and
//! static: an argument that is not a plain reference (a variable, a local) is not judged.
//! A stage named by a literal also orders the usage plan after it (`stage_deps`), as a
//! reference would, so no `depends_on` is needed.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::Expression;

use crate::config::model::{Config, Expr, Mode, NestedBlock, Resource};
use crate::diagnostics::Diagnostic;
use crate::lang::refs::references;

const REST_API: &str = "aws_api_gateway_rest_api";

pub fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    for r in managed(config) {
        let Some(rule) = crate::schema::lookup_in(&r.ty, false).and_then(|s| s.same_api.as_ref())
        else {
            continue;
        };
        let Some(api) = api_of(config, r, &rule.of, &rule.api) else {
            continue;
        };
        let ours = Ours {
            of: &rule.of,
            api_type: &rule.api,
            api: &api,
        };
        for arg in &rule.arguments {
            if let Some(e) = r.body.attrs.get(arg) {
                same_api(config, e, &ours, &rule.of, arg, diags);
            }
        }
    }
    for r in managed(config).filter(|r| r.ty == "aws_api_gateway_usage_plan") {
        for b in r.body.blocks.iter().filter(|b| b.ty == "api_stages") {
            usage_plan_stage(config, b, diags);
        }
    }
}

/// Usage plans naming a stage by a literal name, and the blocks declaring that stage of that
/// API: the graph orders the plan after them (and destroys it before them).
pub fn stage_deps(config: &Config) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in managed(config).filter(|r| r.ty == "aws_api_gateway_usage_plan") {
        for b in r.body.blocks.iter().filter(|b| b.ty == "api_stages") {
            let Some((api, Expression::String(name))) = api_and_stage(config, b) else {
                continue;
            };
            let declaring = managed(config)
                .filter(|s| {
                    stage_name_of(s).is_some_and(
                        |e| matches!(e, Expression::String(n) if n.value() == name.value()),
                    )
                })
                .filter(|s| {
                    api_of(config, s, "rest_api_id", REST_API).as_deref() == Some(api.as_str())
                })
                .map(Resource::address);
            out.entry(r.address()).or_default().extend(declaring);
        }
    }
    out.retain(|_, v| !v.is_empty());
    out
}

/// The stage name a stage or a deployment (`stage_name`, deprecated but still written)
/// declares.
fn stage_name_of(r: &Resource) -> Option<&Expression> {
    match r.ty.as_str() {
        "aws_api_gateway_stage" | "aws_api_gateway_deployment" => {
            r.body.attrs.get("stage_name").map(|e| &e.expr)
        }
        _ => None,
    }
}

/// An `api_stages` block's API (when `api_id` is a plain reference) and stage expression.
fn api_and_stage<'b>(config: &Config, b: &'b NestedBlock) -> Option<(String, &'b Expression)> {
    let api_expr = b.body.attrs.get("api_id")?;
    let stage = b.body.attrs.get("stage")?;
    let refs = references(&api_expr.expr);
    let [only] = refs.as_slice() else {
        return None;
    };
    let api = block(config, &api_expr.module.prefix, &only.names).filter(|b| b.ty == REST_API)?;
    Some((api.address(), &stage.expr))
}

fn managed(config: &Config) -> impl Iterator<Item = &Resource> {
    config
        .resources
        .values()
        .filter(|r| r.mode == Mode::Managed)
}

/// The API a block belongs to, and how its parts name it.
struct Ours<'a> {
    /// The argument of parts naming their API (`rest_api_id`).
    of: &'a str,
    /// The API's type.
    api_type: &'a str,
    /// The API block.
    api: &'a str,
}

/// Each managed block `e` references must belong to `ours.api`; `own_of` is the argument
/// naming the API in the block being checked (a usage plan's `api_id`), for the help.
fn same_api(
    config: &Config,
    e: &Expr,
    ours: &Ours<'_>,
    own_of: &str,
    arg: &str,
    diags: &mut Vec<Diagnostic>,
) {
    for reference in references(&e.expr) {
        let Some(target) = block(config, &e.module.prefix, &reference.names) else {
            continue;
        };
        let Some(theirs) = api_of(config, target, ours.of, ours.api_type) else {
            continue;
        };
        let api = ours.api;
        if theirs != api {
            diags.push(
                Diagnostic::error(
                    "config::other_api",
                    format!(
                        "`{arg}` names a part of another API: {} belongs to {theirs}, this block to {api}",
                        target.address()
                    ),
                )
                .at(e.file, reference.span)
                .label(format!("part of {theirs}"))
                .help(format!("name a part of {api}, or set `{own_of}` to {theirs}'s ID")),
            );
        }
    }
}

/// The managed block a reference in module `prefix` names (`aws_api_gateway_resource.items`
/// of `aws_api_gateway_resource.items["a"].id`); a flattened configuration holds a module's
/// blocks under its prefix (`module.api.`).
fn block<'c>(config: &'c Config, prefix: &str, names: &[String]) -> Option<&'c Resource> {
    let [ty, name, ..] = names else {
        return None;
    };
    config
        .resources
        .get(&format!("{prefix}{ty}.{name}"))
        .filter(|r| r.mode == Mode::Managed)
}

/// The API block (of type `api`) a part belongs to: the block its `of` argument references,
/// followed through other parts (`rest_api_id = aws_api_gateway_method.m.rest_api_id`), or the
/// block itself when it is the API (`root_resource_id`). None when an argument on the way is
/// not a plain reference to a block of this module.
fn api_of(config: &Config, r: &Resource, of: &str, api: &str) -> Option<String> {
    let mut r = r;
    for _ in 0..8 {
        if r.ty == api {
            return Some(r.address());
        }
        let e = r.body.attrs.get(of)?;
        let refs = references(&e.expr);
        let [only] = refs.as_slice() else {
            return None;
        };
        r = block(config, &r.module.prefix, &only.names)?;
    }
    None
}

/// `api_stages { api_id, stage }`: a stage given by reference must be a stage of `api_id`'s
/// API; a stage given by name must be declared for that API (an `aws_api_gateway_stage`, or
/// a deployment's `stage_name`), unless some stage's name is not a literal.
fn usage_plan_stage(config: &Config, b: &NestedBlock, diags: &mut Vec<Diagnostic>) {
    let (Some((api, _)), Some(stage)) = (api_and_stage(config, b), b.body.attrs.get("stage"))
    else {
        return;
    };
    if !references(&stage.expr).is_empty() {
        let ours = Ours {
            of: "rest_api_id",
            api_type: REST_API,
            api: &api,
        };
        same_api(config, stage, &ours, "api_id", "stage", diags);
        return;
    }
    let Expression::String(name) = &stage.expr else {
        return;
    };
    let Some(names) = stage_names(config, &api) else {
        return;
    };
    if names.contains(name.value().as_str()) {
        return;
    }
    let declared = if names.is_empty() {
        "it declares no stage".to_owned()
    } else {
        let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        format!("its stages are {}", list.join(", "))
    };
    diags.push(
        Diagnostic::error(
            "config::no_such_stage",
            format!("The usage plan names stage \"{}\" of {api}, which has no such stage: {declared}", name.value()),
        )
        .at(stage.file, stage.span())
        .label("no stage of this API has this name")
        .help("declare an aws_api_gateway_stage with this stage_name, or refer to one: `stage = aws_api_gateway_stage.<name>.stage_name`"),
    );
}

/// The literal stage names declared for `api`; none when one of them is not a literal (or
/// a module is handed the API, and may declare stages of its own).
fn stage_names(config: &Config, api: &str) -> Option<BTreeSet<String>> {
    let handed_on = config.module_calls.values().any(|c| {
        c.args.values().any(|e| {
            references(&e.expr).iter().any(|r| {
                block(config, &e.module.prefix, &r.names).is_some_and(|b| b.address() == api)
            })
        })
    });
    if handed_on {
        return None;
    }
    let mut names = BTreeSet::new();
    for r in managed(config) {
        let Some(declared) = stage_name_of(r) else {
            continue;
        };
        if api_of(config, r, "rest_api_id", REST_API).as_deref() != Some(api) {
            continue;
        }
        match declared {
            Expression::String(s) => {
                names.insert(s.value().to_string());
            }
            _ => return None,
        }
    }
    Some(names)
}
