//! Terraform's configuration representation (`configuration` in `show -json` of a plan) and
//! `relevant_attributes`. Expressions are encoded as Terraform encodes them: a
//! `constant_value` when the expression holds no reference and calls no function, and the
//! `references` it makes, each followed by its shorter prefixes (`terraform_data.a.output.name`,
//! `terraform_data.a.output`, `terraform_data.a`). A literal given to an attribute the schema
//! marks sensitive, and a sensitive variable's default, are left out (keyway's rule).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as J};

use super::{full_provider, known_json, local_provider};
use crate::config::{Body, Config, Expr, Mode, Resource};
use crate::lang::eval::{eval, VarScope};
use crate::lang::refs::{analyse, Reference, Step};
use crate::plan::{Action, Plan};
use crate::schema::{lookup_in, Attribute, BlockSchema};

/// A reference's subject (the smallest address it names, with the instance key when literal)
/// and the steps that remain after it.
fn subject(r: &Reference) -> (String, bool, &[Step]) {
    let root = r.names[0].as_str();
    let steps = r.steps.as_slice();
    let attr = |i: usize| match steps.get(i) {
        Some(Step::Attr(a)) => Some(a.as_str()),
        _ => None,
    };
    let resource = |prefix: String, at: usize| -> (String, bool, &[Step]) {
        match steps.get(at) {
            Some(Step::Index(k)) => (format!("{prefix}[{k}]"), true, &steps[at + 1..]),
            _ => (prefix, false, &steps[at.min(steps.len())..]),
        }
    };
    match root {
        "var" | "local" | "count" | "each" | "path" | "terraform" | "module" => match attr(0) {
            Some(a) => (format!("{root}.{a}"), false, &steps[1..]),
            None => (root.to_owned(), false, steps),
        },
        "self" => (root.to_owned(), false, steps),
        "data" => match (attr(0), attr(1)) {
            (Some(t), Some(n)) => resource(format!("data.{t}.{n}"), 2),
            _ => (root.to_owned(), false, steps),
        },
        _ => match attr(0) {
            Some(n) => resource(format!("{root}.{n}"), 1),
            None => (root.to_owned(), false, steps),
        },
    }
}

fn steps_str(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Attr(a) => format!(".{a}"),
            Step::Index(k) => format!("[{k}]"),
        })
        .collect()
}

fn is_resource(subject: &str) -> bool {
    let root = subject.split(['.', '[']).next().unwrap_or_default();
    !matches!(
        root,
        "var" | "local" | "count" | "each" | "path" | "terraform" | "module" | "self"
    )
}

/// Terraform's `references` list for one expression.
fn reference_strings(refs: &[Reference]) -> Vec<String> {
    let mut out = Vec::new();
    for r in refs {
        let (subject, keyed, rest) = subject(r);
        for n in (1..=rest.len()).rev() {
            out.push(format!("{subject}{}", steps_str(&rest[..n])));
        }
        if keyed {
            out.push(subject.clone());
            out.push(subject[..subject.find('[').unwrap_or(subject.len())].to_owned());
        } else {
            out.push(subject);
        }
    }
    out
}

/// One expression: `constant_value` and/or `references`; `{}` when neither applies (a
/// function of constants). `secret` leaves the constant out.
fn expression(e: &Expr, secret: bool, config: &Config) -> J {
    let (refs, calls) = analyse(&e.expr);
    let mut out = Map::new();
    if refs.is_empty() && !calls && !secret {
        let vars = BTreeMap::new();
        let scope = VarScope {
            vars: &vars,
            base_dir: &config.dir,
        };
        if let Ok(v) = eval(&e.expr, &scope) {
            if !v.has_sensitive() {
                out.insert("constant_value".into(), known_json(&v));
            }
        }
    }
    if !refs.is_empty() {
        out.insert("references".into(), json!(reference_strings(&refs)));
    }
    J::Object(out)
}

/// A body's `expressions`: attributes by name, nested blocks as arrays of their own.
fn expressions(
    body: &Body,
    attrs: Option<&BTreeMap<String, Attribute>>,
    blocks: Option<&BTreeMap<String, BlockSchema>>,
    config: &Config,
) -> J {
    let mut out = Map::new();
    for (name, e) in body.attrs.iter() {
        let secret = attrs.and_then(|a| a.get(name)).is_some_and(|a| a.sensitive);
        out.insert(name.clone(), expression(e, secret, config));
    }
    for b in &body.blocks {
        let schema = blocks.and_then(|s| s.get(&b.ty));
        let inner = expressions(
            &b.body,
            schema.map(|s| &s.attributes),
            schema.map(|s| &s.blocks),
            config,
        );
        match out
            .entry(b.ty.clone())
            .or_insert_with(|| J::Array(Vec::new()))
        {
            J::Array(items) => items.push(inner),
            other => *other = J::Array(vec![inner]),
        }
    }
    J::Object(out)
}

fn resource(address: &str, r: &Resource, config: &Config) -> J {
    let schema = lookup_in(&r.ty, r.mode == Mode::Data);
    let mut m = Map::new();
    m.insert("address".into(), json!(address));
    m.insert(
        "mode".into(),
        json!(if r.mode == Mode::Data {
            "data"
        } else {
            "managed"
        }),
    );
    m.insert("type".into(), json!(r.ty));
    m.insert("name".into(), json!(r.name));
    m.insert(
        "provider_config_key".into(),
        json!(r
            .provider
            .clone()
            .unwrap_or_else(|| local_provider(&r.ty, None))),
    );
    m.insert(
        "expressions".into(),
        expressions(
            &r.body,
            schema.map(|s| &s.attributes),
            schema.map(|s| &s.blocks),
            config,
        ),
    );
    m.insert("schema_version".into(), json!(0));
    // Terraform leaves an empty `count`/`for_each` expression (a function of constants) out.
    for (key, e) in [
        ("count_expression", &r.count),
        ("for_each_expression", &r.for_each),
    ] {
        if let Some(e) = e {
            let x = expression(e, false, config);
            if x.as_object().is_some_and(|m| !m.is_empty()) {
                m.insert(key.into(), x);
            }
        }
    }
    if !r.provisioners.is_empty() {
        let ps: Vec<J> = r
            .provisioners
            .iter()
            .map(|p| {
                json!({
                    "type": "local-exec",
                    "expressions": expressions(&p.body, None, None, config),
                })
            })
            .collect();
        m.insert("provisioners".into(), J::Array(ps));
    }
    let deps = depends_on(&r.depends_on, config);
    if !deps.is_empty() {
        m.insert("depends_on".into(), json!(deps));
    }
    J::Object(m)
}

/// `depends_on` entries as written.
fn depends_on(exprs: &[Expr], config: &Config) -> Vec<String> {
    exprs
        .iter()
        .filter_map(|e| {
            let span = hcl_edit::Span::span(&e.expr)?;
            config
                .sources
                .get(e.file)
                .text
                .get(span)
                .map(|s| s.trim().to_owned())
        })
        .collect()
}

/// The `configuration` object.
pub fn configuration(config: &Config) -> J {
    let mut providers = Map::new();
    for r in config.resources.values() {
        let key = r
            .provider
            .clone()
            .unwrap_or_else(|| local_provider(&r.ty, None));
        let name = local_provider(&r.ty, r.provider.as_deref());
        providers
            .entry(key)
            .or_insert_with(|| json!({ "name": name, "full_name": full_provider(&name) }));
    }
    for p in &config.providers {
        let key = match &p.alias {
            Some(a) => format!("{}.{a}", p.name),
            None => p.name.clone(),
        };
        let mut entry = json!({ "name": p.name, "full_name": full_provider(&p.name) });
        if let Some(a) = &p.alias {
            entry["alias"] = json!(a);
        }
        let exprs = expressions(&p.body, None, None, config);
        if exprs.as_object().is_some_and(|m| !m.is_empty()) {
            entry["expressions"] = exprs;
        }
        providers.insert(key, entry);
    }
    json!({ "provider_config": providers, "root_module": module_json(config) })
}

/// One module's configuration: outputs, its own resources, variables and module calls (each
/// with its folder's configuration), as Terraform describes them.
fn module_json(config: &Config) -> Map<String, J> {
    let mut root = Map::new();
    let outputs: Map<String, J> = config
        .outputs
        .iter()
        .map(|(name, o)| {
            let mut m = Map::new();
            if o.sensitive {
                m.insert("sensitive".into(), json!(true));
            }
            m.insert("expression".into(), expression(&o.value, false, config));
            if let Some(d) = &o.description {
                m.insert("description".into(), json!(d));
            }
            let deps = depends_on(&o.depends_on, config);
            if !deps.is_empty() {
                m.insert("depends_on".into(), json!(deps));
            }
            (name.clone(), J::Object(m))
        })
        .collect();
    if !outputs.is_empty() {
        root.insert("outputs".into(), J::Object(outputs));
    }
    let resources: Vec<J> = config
        .resources
        .iter()
        .filter(|(_, r)| r.module.prefix.is_empty())
        .map(|(a, r)| resource(a, r, config))
        .collect();
    if !resources.is_empty() {
        root.insert("resources".into(), J::Array(resources));
    }
    let variables: Map<String, J> = config
        .variables
        .iter()
        .map(|(name, v)| {
            let mut m = Map::new();
            if let (Some(d), false) = (&v.default, v.sensitive) {
                let vars = BTreeMap::new();
                let scope = VarScope {
                    vars: &vars,
                    base_dir: &config.dir,
                };
                if let Ok(val) = eval(&d.expr, &scope) {
                    if !val.is_null() {
                        m.insert("default".into(), known_json(&val));
                    }
                }
            }
            if let Some(d) = &v.description {
                m.insert("description".into(), json!(d));
            }
            if v.sensitive {
                m.insert("sensitive".into(), json!(true));
            }
            (name.clone(), J::Object(m))
        })
        .collect();
    if !variables.is_empty() {
        root.insert("variables".into(), J::Object(variables));
    }
    let calls: Map<String, J> = config
        .module_calls
        .iter()
        .map(|(name, call)| (name.clone(), J::Object(module_call(call, config))))
        .collect();
    if !calls.is_empty() {
        root.insert("module_calls".into(), J::Object(calls));
    }
    root
}

/// A `module` block: its source, arguments, meta-arguments and the called folder.
fn module_call(call: &crate::config::ModuleCall, config: &Config) -> Map<String, J> {
    let mut m = Map::new();
    m.insert("source".into(), json!(call.source));
    let args: Map<String, J> = call
        .args
        .iter()
        .map(|(k, e)| (k.clone(), expression(e, false, config)))
        .collect();
    if !args.is_empty() {
        m.insert("expressions".into(), J::Object(args));
    }
    if let Some(e) = &call.count {
        m.insert("count_expression".into(), expression(e, false, config));
    }
    if let Some(e) = &call.for_each {
        m.insert("for_each_expression".into(), expression(e, false, config));
    }
    if let Some(child) = config.children.get(&call.name) {
        m.insert("module".into(), J::Object(module_json(child)));
    }
    if let Some(v) = &call.version {
        m.insert("version_constraint".into(), json!(v));
    }
    let deps = depends_on(&call.depends_on, config);
    if !deps.is_empty() {
        m.insert("depends_on".into(), json!(deps));
    }
    m
}

/// The references a resource block makes: every argument, nested block, `count`, `for_each`.
fn block_refs(r: &Resource, attr: Option<&str>) -> Vec<Reference> {
    let mut out = Vec::new();
    if let Some(a) = attr {
        if let Some(e) = r.body.attrs.get(a) {
            out.extend(analyse(&e.expr).0);
        }
        return out;
    }
    fn body(b: &Body, out: &mut Vec<Reference>) {
        for e in b.attrs.values() {
            out.extend(analyse(&e.expr).0);
        }
        for nb in &b.blocks {
            body(&nb.body, out);
        }
    }
    body(&r.body, &mut out);
    for e in r.count.iter().chain(r.for_each.iter()) {
        out.extend(analyse(&e.expr).0);
    }
    out
}

/// `relevant_attributes`: the resource attributes that the planned changes (resources and
/// outputs with an action) read, directly or through locals and other resources' arguments.
pub fn relevant_attributes(plan: &Plan, config: &Config) -> J {
    let mut queue: Vec<Reference> = Vec::new();
    let mut seen_blocks = BTreeSet::new();
    for c in &plan.changes {
        if matches!(c.action, Action::NoOp) || !seen_blocks.insert(c.resource.clone()) {
            continue;
        }
        if let Some(r) = config.resources.get(&c.resource) {
            queue.extend(block_refs(r, None));
        }
    }
    for (name, o) in &plan.outputs {
        let unchanged = o.before.as_ref().map(|v| v.to_json())
            == o.after.as_ref().map(|v| v.to_json())
            && !o.after.as_ref().is_some_and(|v| v.has_unknown());
        if unchanged {
            continue;
        }
        if let Some(out) = config.outputs.get(name) {
            queue.extend(analyse(&out.value.expr).0);
        }
    }
    let mut visited = BTreeSet::new();
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    let mut attrs: Vec<(String, J)> = Vec::new();
    while let Some(r) = queue.pop() {
        let (subj, _, rest) = subject(&r);
        let key = format!("{subj}{}", steps_str(rest));
        if !visited.insert(key) {
            continue;
        }
        if let Some(name) = subj.strip_prefix("local.") {
            if let Some(l) = config.locals.get(name) {
                queue.extend(analyse(&l.value.expr).0);
            }
            continue;
        }
        if !is_resource(&subj) {
            continue;
        }
        let path: Vec<J> = rest
            .iter()
            .map(|s| match s {
                Step::Attr(a) => json!(a),
                Step::Index(k) => k.clone(),
            })
            .collect();
        let path = J::Array(path);
        if found.insert((subj.clone(), path.to_string())) {
            attrs.push((subj.clone(), path));
        }
        let block = subj[..subj.find('[').unwrap_or(subj.len())].to_owned();
        if let Some(res) = config.resources.get(&block) {
            let first = match rest.first() {
                Some(Step::Attr(a)) => Some(a.as_str()),
                _ => None,
            };
            match first {
                Some(a) if res.body.attrs.contains_key(a) => queue.extend(block_refs(res, Some(a))),
                Some(_) => {}
                None => queue.extend(block_refs(res, None)),
            }
        }
    }
    attrs.sort_by(|a, b| (&a.0, a.1.to_string()).cmp(&(&b.0, b.1.to_string())));
    J::Array(
        attrs
            .into_iter()
            .map(|(resource, attribute)| json!({ "resource": resource, "attribute": attribute }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Vec<String> {
        let e = hcl_edit::parser::parse_expr(src).expect("parses");
        reference_strings(&analyse(&e).0)
    }

    #[test]
    fn references_as_terraform_lists_them() {
        assert_eq!(
            refs("format(\"%s\", terraform_data.base.output.name, count.index)"),
            [
                "terraform_data.base.output.name",
                "terraform_data.base.output",
                "terraform_data.base",
                "count.index"
            ]
        );
        assert_eq!(
            refs("terraform_data.many[0].output"),
            [
                "terraform_data.many[0].output",
                "terraform_data.many[0]",
                "terraform_data.many"
            ]
        );
        assert_eq!(
            refs("terraform_data.many[*].output"),
            ["terraform_data.many"]
        );
        assert_eq!(
            refs("data.http.x.body"),
            ["data.http.x.body", "data.http.x"]
        );
        assert_eq!(refs("var.m[\"k\"]"), ["var.m[\"k\"]", "var.m"]);
    }
}
