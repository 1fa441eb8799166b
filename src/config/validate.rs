//! Static checks of a lowered configuration: references to undeclared things, arguments a
//! resource type does not have, missing required arguments. All problems are collected.

use crate::config::model::*;
use crate::diagnostics::{Diagnostic, Sources};
use crate::lang::eval::suggest;
use crate::lang::refs::references;
use crate::schema::{self, BlockSchema};

/// Where an expression sits, which decides which special names it may use.
#[derive(Clone, Copy)]
struct Context<'a> {
    count: bool,
    each: bool,
    /// Inside this `check` block, whose scoped data sources are visible only there.
    check: Option<&'a str>,
}

const NONE: Context<'static> = Context {
    count: false,
    each: false,
    check: None,
};

/// Runs every check, appending to `diags`.
pub fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    for local in config.locals.values() {
        check_refs(config, &local.value, NONE, diags);
    }
    for res in config.resources.values() {
        check_resource(config, res, None, diags);
    }
    duplicate_check_data(config, diags);
    for check in config.checks.values() {
        let inside = Context {
            check: Some(&check.name),
            ..NONE
        };
        for res in &check.data {
            check_resource(config, res, Some(&check.name), diags);
            if let Some(e) = res.count.as_ref().or(res.for_each.as_ref()) {
                diags.push(
                    Diagnostic::error("config::check_data", "A data source inside a check block cannot use `count` or `for_each` in keyway")
                        .at(e.file, e.span()),
                );
            }
        }
        for a in &check.asserts {
            check_refs(config, &a.condition, inside, diags);
            check_refs(config, &a.error_message, inside, diags);
        }
    }
    for call in config.module_calls.values() {
        let cx = Context {
            count: call.count.is_some(),
            each: call.for_each.is_some(),
            ..NONE
        };
        let meta = call.count.iter().chain(&call.for_each);
        for e in meta.chain(&call.depends_on) {
            check_refs(config, e, NONE, diags);
        }
        for e in call.args.values() {
            check_refs(config, e, cx, diags);
        }
    }
    for out in config.outputs.values() {
        check_refs(config, &out.value, NONE, diags);
        for d in &out.depends_on {
            check_refs(config, d, NONE, diags);
        }
        check_conditions(config, &out.preconditions, NONE, false, diags);
    }
    for i in &config.imports {
        let cx = Context {
            each: i.for_each.is_some(),
            ..NONE
        };
        check_refs(config, &i.id, cx, diags);
        for e in i.to_key.iter().chain(&i.for_each) {
            check_refs(config, e, cx, diags);
        }
        let block = crate::config::model::instance_block(&i.to);
        let (folder, local) = module_folder(config, block);
        let managed = folder
            .and_then(|f| f.resources.get(local))
            .is_some_and(|r| r.mode == Mode::Managed);
        if !managed {
            diags.push(
                Diagnostic::error(
                    "config::import_target",
                    format!("Configuration for import target does not exist: `{}`", i.to),
                )
                .at(i.file, i.span.clone())
                .help(format!(
                    "declare the resource block `{block}` the object is imported into"
                )),
            );
        }
    }
    for r in &config.removed {
        let block = r.from.split('[').next().unwrap_or(&r.from);
        if config.resources.contains_key(block) {
            diags.push(
                Diagnostic::error(
                    "config::removed_declared",
                    "Removed resource block still exists",
                )
                .at(r.file, r.span.clone())
                .help(format!(
                    "This statement declares that {} was removed, but it is still declared in \
                     configuration. Delete its block to remove it.",
                    r.from
                )),
            );
        }
    }
    crate::config::api_parts::check(config, diags);
    for var in config.variables.values() {
        if let Some(d) = &var.default {
            for r in references(&d.expr) {
                diags.push(
                    Diagnostic::error("config::variable_default", "Variables may not be used here: a variable's default must be a literal value")
                        .at(d.file, r.span),
                );
            }
        }
    }
}

/// A data source inside a check block shares the module's names with every other data
/// source, as in Terraform: a second `data "http" "x"` anywhere is a duplicate.
fn duplicate_check_data(config: &Config, diags: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::BTreeSet<String> = config
        .resources
        .values()
        .filter(|r| r.mode == Mode::Data)
        .map(Resource::address)
        .collect();
    for check in config.checks.values() {
        for res in &check.data {
            if !seen.insert(res.address()) {
                diags.push(
                    Diagnostic::error(
                        "config::duplicate",
                        format!(
                            "Duplicate data resource `{}`: a data block with this type and name is already declared",
                            res.address()
                        ),
                    )
                    .at(res.file, res.span.clone())
                    .help("data sources inside check blocks share the module's names: rename one"),
                );
            }
        }
    }
}

fn check_resource(
    config: &Config,
    res: &Resource,
    check: Option<&str>,
    diags: &mut Vec<Diagnostic>,
) {
    let cx = Context {
        count: res.count.is_some(),
        each: res.for_each.is_some(),
        check,
    };
    for e in res.count.iter().chain(res.for_each.iter()) {
        check_refs(config, e, NONE, diags);
    }
    for e in &res.depends_on {
        check_refs(config, e, NONE, diags);
    }
    let lc = &res.lifecycle;
    for e in lc
        .create_before_destroy
        .iter()
        .chain(lc.prevent_destroy.iter())
    {
        check_refs(config, e, NONE, diags);
    }
    for e in &lc.replace_triggered_by {
        check_refs(config, e, cx, diags);
    }
    check_conditions(config, &lc.preconditions, cx, false, diags);
    check_conditions(config, &lc.postconditions, cx, true, diags);
    check_body_refs(config, &res.body, cx, &mut Vec::new(), diags);
    for p in &res.provisioners {
        check_provisioner(config, p, cx, diags);
    }
    match schema::lookup_in(&res.ty, res.mode == Mode::Data) {
        Some(s) => check_body_schema(
            &res.body,
            &s.attributes,
            &s.blocks,
            (res.file, res.span.clone()),
            &res.address(),
            &config.sources,
            diags,
        ),
        _ => {
            let kind = if res.mode == Mode::Data {
                "data source"
            } else {
                "resource type"
            };
            diags.push(unknown_type(res, kind));
        }
    }
}

/// The error for a type keyway has no schema for: a provider keyway does not have is named
/// as such (Terraform's rule: a type belongs to the provider its name starts with), otherwise
/// the closest type of that provider is suggested.
fn unknown_type(res: &Resource, kind: &str) -> Diagnostic {
    let provider = res.ty.split('_').next().unwrap_or(&res.ty);
    let known: std::collections::BTreeSet<&str> = schema::types()
        .filter_map(schema::lookup)
        .map(|s| s.provider.as_str())
        .collect();
    // Utility types named like their provider (`http`, `external`, `archive_file`) and
    // `terraform_data` belong to providers keyway builds in.
    let builtin = schema::types().any(|t| t.split('_').next() == Some(provider));
    if !known.contains(provider) && !builtin && provider != "google-beta" {
        return Diagnostic::error(
            "config::unknown_provider",
            format!(
                "Provider `{provider}` is not supported by keyway: `{}` needs it",
                res.ty
            ),
        )
        .at(res.file, res.span.clone())
        .help(format!(
            "keyway provisions Google Cloud (`google`, `google-beta`) and builds in the \
             utility providers ({}); a folder that also manages other providers' objects \
             needs Terraform for those",
            known
                .iter()
                .filter(|p| !matches!(**p, "google" | "builtin"))
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let same: Vec<&str> = schema::types()
        .filter(|t| t.split('_').next() == Some(provider))
        .collect();
    let help = match suggest(&res.ty, same.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if same.len() <= 20 => format!("keyway's `{provider}` types: {}", same.join(", ")),
        None => format!(
            "keyway knows {} `{provider}` types, listed in the README; `{}` is not one of them yet",
            same.len(),
            res.ty
        ),
    };
    Diagnostic::error(
        "config::unknown_type",
        format!("Unknown {kind} `{}`", res.ty),
    )
    .at(res.file, res.span.clone())
    .help(help)
}

/// References in a body; `bound` holds the iterators of the `dynamic` blocks around it.
fn check_body_refs(
    config: &Config,
    body: &Body,
    cx: Context<'_>,
    bound: &mut Vec<String>,
    diags: &mut Vec<Diagnostic>,
) {
    for e in body.attrs.values() {
        check_bound_refs(config, e, cx, bound, diags);
    }
    for b in &body.blocks {
        let Some(d) = &b.dynamic else {
            check_body_refs(config, &b.body, cx, bound, diags);
            continue;
        };
        check_bound_refs(config, &d.for_each, cx, bound, diags);
        bound.push(d.iterator.clone());
        check_body_refs(config, &b.body, cx, bound, diags);
        bound.pop();
    }
}

/// Like [`check_refs`], with `bound` iterators in scope: they have `key` and `value` only.
fn check_bound_refs(
    config: &Config,
    e: &Expr,
    cx: Context<'_>,
    bound: &[String],
    diags: &mut Vec<Diagnostic>,
) {
    for r in references(&e.expr) {
        let problem = if bound.contains(&r.names[0]) {
            iterator_problem(&r.names)
        } else {
            undeclared(config, &r.names, cx)
        };
        if let Some((msg, help)) = problem {
            diags.push(
                Diagnostic::error("config::undeclared", msg)
                    .at(e.file, r.span)
                    .maybe_help(help),
            );
        }
    }
}

/// A `dynamic` block's iterator is an object of `key` and `value`.
fn iterator_problem(names: &[String]) -> Option<(String, Option<String>)> {
    let attr = names.get(1)?;
    (attr != "key" && attr != "value").then(|| {
        (
            format!("The iterator `{}` has no attribute `{attr}`", names[0]),
            Some("a `dynamic` block's iterator has `key` and `value`".to_owned()),
        )
    })
}

fn check_body_schema(
    body: &Body,
    attrs: &std::collections::BTreeMap<String, schema::Attribute>,
    blocks: &std::collections::BTreeMap<String, BlockSchema>,
    (file, span): (crate::diagnostics::FileId, Option<std::ops::Range<usize>>),
    what: &str,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) {
    for (name, e) in &body.attrs {
        match attrs.get(name) {
            Some(a) if a.required || a.optional => {}
            Some(_) => diags.push(
                Diagnostic::error(
                    "config::computed_argument",
                    format!("`{name}` is computed by the provider and cannot be set in `{what}`"),
                )
                .at(e.file, e.span()),
            ),
            None => {
                let settable = attrs
                    .iter()
                    .filter(|(_, a)| a.required || a.optional)
                    .map(|(k, _)| k.as_str());
                let help = suggest(name, settable).map(|s| format!("did you mean `{s}`?"));
                diags.push(
                    Diagnostic::error(
                        "config::unsupported_argument",
                        format!("An argument named `{name}` is not expected in `{what}`"),
                    )
                    .at(
                        e.file,
                        e.argument_name_span(sources, name).or_else(|| e.span()),
                    )
                    .label("unsupported argument")
                    .maybe_help(help),
                )
            }
        }
    }
    for (name, a) in attrs {
        if a.required && !body.attrs.contains_key(name) {
            diags.push(
                Diagnostic::error("config::missing_argument", format!("The argument `{name}` is required in `{what}`, but no definition was found"))
                    .at(file, span.clone()),
            );
        }
    }
    for b in &body.blocks {
        match blocks.get(&b.ty) {
            Some(bs) => check_body_schema(
                &b.body,
                &bs.attributes,
                &bs.blocks,
                (b.file, b.span.clone()),
                &format!("{what} {}", b.ty),
                sources,
                diags,
            ),
            None => {
                let help = suggest(&b.ty, blocks.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                diags.push(
                    Diagnostic::error(
                        "config::unsupported_block",
                        format!("Blocks of type `{}` are not expected in `{what}`", b.ty),
                    )
                    .at(b.file, b.span.clone())
                    .maybe_help(help),
                )
            }
        }
    }
    for (name, bs) in blocks {
        // How many blocks a `dynamic` one generates is known only at plan time.
        if body
            .blocks
            .iter()
            .any(|b| &b.ty == name && b.dynamic.is_some())
        {
            continue;
        }
        let n = body.blocks.iter().filter(|b| &b.ty == name).count();
        if n < bs.min_items || bs.max_items.is_some_and(|m| n > m) {
            diags.push(
                Diagnostic::error(
                    "config::block_count",
                    format!(
                        "`{what}` needs between {} and {} `{name}` blocks, found {n}",
                        bs.min_items,
                        bs.max_items.map_or("any".into(), |m| m.to_string())
                    ),
                )
                .at(file, span.clone()),
            );
        }
    }
}

/// References in `precondition`/`postcondition` blocks; `self` (the object judged) exists only
/// in postconditions.
fn check_conditions(
    config: &Config,
    conds: &[Validation],
    cx: Context<'_>,
    self_allowed: bool,
    diags: &mut Vec<Diagnostic>,
) {
    for c in conds {
        for e in [&c.condition, &c.error_message] {
            check_refs(config, e, cx, diags);
            if self_allowed {
                continue;
            }
            for r in references(&e.expr).iter().filter(|r| r.names[0] == "self") {
                diags.push(
                    Diagnostic::error("config::self", "Invalid \"self\" reference")
                        .at(e.file, r.span.clone())
                        .help("The \"self\" object is not available in this context. This object can be used only in resource provisioner, connection, and postcondition blocks."),
                );
            }
        }
    }
}

/// References in a provisioner: `self` is the object; a destroy-time one may read nothing
/// else but `count.index` and `each.key` (the rest of the configuration may be gone by then).
fn check_provisioner(
    config: &Config,
    p: &Provisioner,
    cx: Context<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    for e in p.body.attrs.values() {
        check_refs(config, e, cx, diags);
        if !p.when_destroy {
            continue;
        }
        for r in references(&e.expr) {
            let names: Vec<&str> = r.names.iter().map(String::as_str).collect();
            let ok = matches!(
                names.as_slice(),
                ["self", ..] | ["count", "index", ..] | ["each", "key", ..]
            );
            if !ok {
                diags.push(
                    Diagnostic::error("config::destroy_reference", "Invalid reference from destroy provisioner")
                        .at(e.file, r.span.clone())
                        .help("Destroy-time provisioners may only reference attributes of the related resource, via `self`, `count.index`, or `each.key`."),
                );
            }
        }
    }
}

/// The loaded folder a resource address lives in (`module.a["k"].module.b.t.n` → module b's
/// folder) and the address inside it; `None` when a module call it names does not exist.
fn module_folder<'c>(config: &'c Config, addr: &'c str) -> (Option<&'c Config>, &'c str) {
    let mut folder = config;
    let mut rest = addr;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let Some(child) = folder.children.get(&after[..end]) else {
            return (None, rest);
        };
        folder = child;
        let tail = &after[end..];
        let tail = match tail.strip_prefix('[') {
            Some(t) => t.split_once("].").map_or("", |(_, r)| r),
            None => tail.strip_prefix('.').unwrap_or(""),
        };
        rest = tail;
    }
    (Some(folder), rest)
}

fn check_refs(config: &Config, e: &Expr, cx: Context<'_>, diags: &mut Vec<Diagnostic>) {
    for r in references(&e.expr) {
        if let Some((msg, help)) = undeclared(config, &r.names, cx) {
            diags.push(
                Diagnostic::error("config::undeclared", msg)
                    .at(e.file, r.span)
                    .maybe_help(help),
            );
        }
    }
}

/// Why a reference does not resolve, if it does not.
fn undeclared(
    config: &Config,
    names: &[String],
    cx: Context<'_>,
) -> Option<(String, Option<String>)> {
    let did_you_mean = |name: &str, cands: Vec<&str>| {
        suggest(name, cands.into_iter()).map(|s| format!("did you mean `{s}`?"))
    };
    let second = names.get(1).map(String::as_str);
    match names[0].as_str() {
        "var" => {
            let n = second?;
            (!config.variables.contains_key(n)).then(|| {
                (
                    format!("Reference to undeclared input variable `{n}`"),
                    did_you_mean(n, config.variables.keys().map(String::as_str).collect())
                        .or_else(|| Some(format!("declare it: variable \"{n}\" {{}}"))),
                )
            })
        }
        "local" => {
            let n = second?;
            (!config.locals.contains_key(n)).then(|| {
                (
                    format!("Reference to undeclared local value `{n}`"),
                    did_you_mean(n, config.locals.keys().map(String::as_str).collect()),
                )
            })
        }
        "count" => (!cx.count).then(|| {
            (
                "Reference to `count` in a block that does not use `count`".to_owned(),
                None,
            )
        }),
        "each" => (!cx.each).then(|| {
            (
                "Reference to `each` in a block that does not use `for_each`".to_owned(),
                None,
            )
        }),
        "path" | "terraform" | "self" => None,
        "module" => {
            let n = second?;
            let Some(call) = config.module_calls.get(n) else {
                return Some((
                    format!("Reference to undeclared module `{n}`"),
                    did_you_mean(n, config.module_calls.keys().map(String::as_str).collect())
                        .or_else(|| {
                            Some(format!(
                                "declare it: module \"{n}\" {{ source = \"./modules/{n}\" }}"
                            ))
                        }),
                ));
            };
            // `module.x.out`: the module must declare the output (with count or for_each
            // the next step is an index, which references do not carry).
            let out = names
                .get(2)
                .filter(|_| call.count.is_none() && call.for_each.is_none())?;
            let child = config.children.get(n)?;
            (!child.outputs.contains_key(out)).then(|| {
                (
                    format!("Unsupported attribute: module `{n}` has no output `{out}`"),
                    did_you_mean(out, child.outputs.keys().map(String::as_str).collect()),
                )
            })
        }
        "data" => {
            let (t, n) = (second?, names.get(2)?);
            let addr = format!("data.{t}.{n}");
            // A check's scoped data sources are visible inside that check only.
            let owner = config
                .checks
                .values()
                .find(|c| c.data.iter().any(|d| d.address() == addr));
            if config.resources.contains_key(&addr) {
                return None;
            }
            match owner {
                Some(c) if cx.check == Some(c.name.as_str()) => None,
                Some(c) => Some((
                    format!("Reference to `{addr}`, which is scoped to check \"{}\"", c.name),
                    Some("a data source declared inside a check block can be used only by that check's assertions; declare it at the top level to share it".to_owned()),
                )),
                None => Some((
                    format!("Reference to undeclared data source `{addr}`"),
                    did_you_mean(&addr, config.resources.keys().map(String::as_str).collect()),
                )),
            }
        }
        root => {
            let Some(n) = second else {
                return Some((format!("Unknown name `{root}`"), None));
            };
            let addr = format!("{root}.{n}");
            (!config.resources.contains_key(&addr)).then(|| {
                (
                    format!("Reference to undeclared resource `{addr}`"),
                    did_you_mean(&addr, config.resources.keys().map(String::as_str).collect()),
                )
            })
        }
    }
}
