//! Module expansion: the loaded module tree flattened into one [`Config`] that the graph,
//! planner and apply read like a root folder. Each module call's `count` / `for_each` is
//! evaluated here (from input variables, locals and literals: Terraform, too, needs them
//! known when planning), and each instance gets a copy of the module's blocks under its
//! address prefix (`module.keys["acme"].google_apikeys_key.k`), its expressions pointing at
//! that instance ([`Expr::module`]). The module's input variables and outputs become named
//! values of the instance ([`LocalKind`]), walked by the graph like locals.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::config::model::*;
use crate::diagnostics::Diagnostic;
use crate::lang::eval::{eval_bound, ResolveError, Scope};
use crate::lang::types::{convert, Type};
use crate::lang::Value;

/// Flattens `tree` (as `config::load` returned it) with the root's input variables `vars`.
/// A call whose `count`/`for_each` is not known is an error when `strict`, and expands to no
/// instance otherwise (commands that only need the graph's shape).
pub fn expand(
    tree: &Config,
    vars: &BTreeMap<String, Value>,
    strict: bool,
) -> Result<Config, Vec<Diagnostic>> {
    // The loaded folders stay beside the expansion: the JSON configuration describes each
    // module call by its folder.
    let mut flat = tree.clone();
    let mut x = Expander {
        vars,
        strict,
        diags: Vec::new(),
    };
    x.calls(&mut flat, tree, &crate::config::model::root_module());
    if x.diags.is_empty() {
        Ok(flat)
    } else {
        Err(x.diags)
    }
}

struct Expander<'v> {
    vars: &'v BTreeMap<String, Value>,
    strict: bool,
    diags: Vec<Diagnostic>,
}

impl Expander<'_> {
    /// Instantiates every call `module` (an instance of the folder `folder`) makes.
    fn calls(&mut self, flat: &mut Config, folder: &Config, module: &ModuleRef) {
        for (name, call) in &folder.module_calls {
            let Some(child) = folder.children.get(name) else {
                continue;
            };
            let mut call = call.clone();
            for e in call
                .count
                .iter_mut()
                .chain(call.for_each.iter_mut())
                .chain(call.depends_on.iter_mut())
                .chain(call.args.values_mut())
            {
                e.module = module.clone();
            }
            let Some((repetition, keys)) = self.keys(flat, &call) else {
                continue;
            };
            let mut instances = Vec::new();
            for key in keys {
                let suffix = key.suffix();
                let inst = Arc::new(ModuleInstance {
                    prefix: format!("{}module.{name}{suffix}.", module.prefix),
                    dir: child.dir.clone(),
                    depends_on: call.depends_on.clone(),
                    parent: Some(module.clone()),
                });
                self.instance(flat, child, &call, &inst, key.count_index, key.each);
                instances.push((suffix, inst));
            }
            flat.module_instances.insert(
                module.call_key(name),
                CallInstances {
                    repetition,
                    instances,
                    outputs: child.outputs.keys().cloned().collect(),
                },
            );
        }
    }

    /// The instance keys of a call.
    fn keys(&mut self, flat: &Config, call: &ModuleCall) -> Option<(Repetition, Vec<CallKey>)> {
        let (e, repetition) = match (&call.count, &call.for_each) {
            (Some(e), _) => (e, Repetition::Count),
            (_, Some(e)) => (e, Repetition::ForEach),
            _ => return Some((Repetition::Single, vec![CallKey::default()])),
        };
        let seen = RefCell::new(BTreeMap::new());
        let scope = StaticScope {
            flat,
            vars: self.vars,
            module: &e.module,
            count_index: None,
            each: None,
            seen: &seen,
        };
        let v = match eval_bound(&e.expr, &scope, &[]) {
            Ok(v) => v.deep_unmark(),
            Err(err) => {
                self.diags.push(
                    Diagnostic::error("config::module_repetition", err.message)
                        .at(e.file, err.span)
                        .maybe_help(err.help),
                );
                return None;
            }
        };
        if v.has_unknown() {
            if self.strict {
                self.diags.push(
                    Diagnostic::error(
                        "config::module_repetition",
                        format!(
                            "The `{}` of module `{}` must be known before apply",
                            if repetition == Repetition::Count { "count" } else { "for_each" },
                            call.name
                        ),
                    )
                    .at(e.file, e.span())
                    .help("keyway expands module calls from input variables, locals and literals; derive it from those rather than from resource attributes"),
                );
            }
            return None;
        }
        match repetition_keys(repetition, &v) {
            Ok(keys) => Some((repetition, keys)),
            Err(msg) => {
                self.diags
                    .push(Diagnostic::error("config::module_repetition", msg).at(e.file, e.span()));
                None
            }
        }
    }

    /// Copies the folder `child`'s blocks into `flat` as instance `inst`.
    fn instance(
        &mut self,
        flat: &mut Config,
        child: &Config,
        call: &ModuleCall,
        inst: &ModuleRef,
        count_index: Option<usize>,
        each: Option<(String, Value)>,
    ) {
        for (name, var) in &child.variables {
            let (value, set) = match call.args.get(name) {
                Some(arg) => (arg.clone(), true),
                None => match &var.default {
                    Some(d) => (rescoped(d, inst), false),
                    None => continue,
                },
            };
            flat.locals.insert(
                inst.var_key(name),
                Local {
                    name: name.clone(),
                    value,
                    kind: LocalKind::Input(Box::new(ModuleInput {
                        variable: var.clone(),
                        set,
                        count_index,
                        each: each.clone(),
                    })),
                },
            );
        }
        for (name, local) in &child.locals {
            let mut local = local.clone();
            local.value.module = inst.clone();
            flat.locals.insert(inst.local_key(name), local);
        }
        for (name, out) in &child.outputs {
            flat.locals.insert(
                inst.output_key(name),
                Local {
                    name: name.clone(),
                    value: rescoped(&out.value, inst),
                    kind: LocalKind::Output {
                        sensitive: out.sensitive,
                        depends_on: out.depends_on.iter().map(|d| rescoped(d, inst)).collect(),
                    },
                },
            );
        }
        for res in child.resources.values() {
            let mut res = res.clone();
            rescope_resource(&mut res, inst);
            flat.resources.insert(res.address(), res);
        }
        for (name, check) in &child.checks {
            let mut check = check.clone();
            check.name = format!("{}{name}", inst.prefix);
            for res in &mut check.data {
                rescope_resource(res, inst);
            }
            for a in &mut check.asserts {
                a.condition.module = inst.clone();
                a.error_message.module = inst.clone();
            }
            flat.checks.insert(check.name.clone(), check);
        }
        for m in &child.moved {
            flat.moved.push(Moved {
                file: m.file,
                from: format!("{}{}", inst.prefix, m.from),
                to: format!("{}{}", inst.prefix, m.to),
            });
        }
        for r in &child.removed {
            let mut r = r.clone();
            r.from = format!("{}{}", inst.prefix, r.from);
            flat.removed.push(r);
        }
        self.calls(flat, child, inst);
    }
}

/// One instance of a module call: `count.index` or `each` as the call's arguments see them.
#[derive(Default)]
struct CallKey {
    count_index: Option<usize>,
    each: Option<(String, Value)>,
}

impl CallKey {
    /// The address suffix: ``, `[0]`, `["a"]`.
    fn suffix(&self) -> String {
        match (&self.count_index, &self.each) {
            (Some(i), _) => format!("[{i}]"),
            (_, Some((k, _))) => format!("[{}]", serde_json::Value::String(k.clone())),
            _ => String::new(),
        }
    }
}

/// The keys `count` or `for_each` gives.
fn repetition_keys(repetition: Repetition, v: &Value) -> Result<Vec<CallKey>, String> {
    if repetition == Repetition::Count {
        let n = match v {
            Value::Number(n) if n.as_i64().is_some_and(|i| i >= 0) => n.0 as usize,
            _ => {
                return Err(format!(
                    "`count` must be a whole number, not {}",
                    v.type_name()
                ))
            }
        };
        if n > crate::limits::MAX_INSTANCES {
            return Err(format!("`count` is {n}: more than keyway's limit"));
        }
        return Ok((0..n)
            .map(|i| CallKey {
                count_index: Some(i),
                each: None,
            })
            .collect());
    }
    let pairs: Vec<(String, Value)> =
        match v {
            Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Set(items) => {
                let mut keys = Vec::new();
                for i in items {
                    match i.as_str() {
                        Some(s) => keys.push((s.to_owned(), Value::string(s))),
                        None => return Err("`for_each` over a set needs strings".into()),
                    }
                }
                keys
            }
            Value::List(_) => return Err(
                "`for_each` needs a map or a set of strings, not a list: wrap it in `toset(...)`"
                    .into(),
            ),
            other => {
                return Err(format!(
                    "`for_each` needs a map or a set of strings, not {}",
                    other.type_name()
                ))
            }
        };
    Ok(pairs
        .into_iter()
        .map(|(k, v)| CallKey {
            count_index: None,
            each: Some((k, v)),
        })
        .collect())
}

/// The value of a named value (local, module input or module output) from its expression's
/// value: an input converted to its variable's type (its default when the call passes null
/// to a variable that is not nullable), marked sensitive when the variable or output is.
pub fn named_value(local: &Local, raw: Value) -> Result<Value, String> {
    match &local.kind {
        LocalKind::Plain => Ok(raw),
        LocalKind::Output { sensitive, .. } => Ok(if *sensitive { raw.sensitive() } else { raw }),
        LocalKind::Input(input) => {
            let var = &input.variable;
            let raw = match (&var.default, raw.is_null() && !var.nullable) {
                (Some(d), true) => {
                    let empty = BTreeMap::new();
                    let scope = crate::lang::eval::VarScope {
                        vars: &empty,
                        base_dir: Path::new("."),
                    };
                    eval_bound(&d.expr, &scope, &[]).map_err(|e| e.message)?
                }
                (None, true) => return Err(format!("Variable `{}` is not nullable", var.name)),
                _ => raw,
            };
            let v = convert(raw, var.ty.as_ref().unwrap_or(&Type::Any)).map_err(|e| {
                if var.sensitive {
                    format!("Invalid value for variable `{}`", var.name)
                } else {
                    format!("Invalid value for variable `{}`: {e}", var.name)
                }
            })?;
            Ok(if var.sensitive { v.sensitive() } else { v })
        }
    }
}

/// A copy of `e` evaluated in `module`.
fn rescoped(e: &Expr, module: &ModuleRef) -> Expr {
    let mut e = e.clone();
    e.module = module.clone();
    e
}

/// Points every expression of a resource block at `module`, and files the block under it.
fn rescope_resource(res: &mut Resource, module: &ModuleRef) {
    res.module = module.clone();
    let set = |e: &mut Expr| e.module = module.clone();
    res.count.iter_mut().for_each(set);
    res.for_each.iter_mut().for_each(set);
    res.depends_on.iter_mut().for_each(set);
    let l = &mut res.lifecycle;
    l.create_before_destroy.iter_mut().for_each(set);
    l.prevent_destroy.iter_mut().for_each(set);
    l.replace_triggered_by.iter_mut().for_each(set);
    for v in l
        .preconditions
        .iter_mut()
        .chain(l.postconditions.iter_mut())
    {
        set(&mut v.condition);
        set(&mut v.error_message);
    }
    rescope_body(&mut res.body, module);
    for p in &mut res.provisioners {
        rescope_body(&mut p.body, module);
    }
}

fn rescope_body(body: &mut Body, module: &ModuleRef) {
    for e in body.attrs.values_mut() {
        e.module = module.clone();
    }
    for b in &mut body.blocks {
        if let Some(d) = &mut b.dynamic {
            d.for_each.module = module.clone();
        }
        rescope_body(&mut b.body, module);
    }
}

/// Evaluates a module call's `count` / `for_each` before any resource is known: input
/// variables, locals and module inputs resolve (recursively), resources and module outputs
/// are unknown.
struct StaticScope<'a> {
    flat: &'a Config,
    vars: &'a BTreeMap<String, Value>,
    module: &'a ModuleInstance,
    count_index: Option<usize>,
    each: Option<(String, Value)>,
    /// Named values evaluated so far (`None` while one is being evaluated), shared by the
    /// nested scopes: each is evaluated once, and one that needs itself is a cycle.
    seen: &'a RefCell<BTreeMap<String, Option<Value>>>,
}

impl StaticScope<'_> {
    fn named(&self, key: &str) -> Result<Value, ResolveError> {
        let Some(local) = self.flat.locals.get(key) else {
            return Ok(Value::Unknown);
        };
        match self.seen.borrow().get(key) {
            Some(Some(v)) => return Ok(v.clone()),
            Some(None) => {
                return Err(ResolveError::new(format!(
                    "`{key}` refers to itself through other values"
                )))
            }
            None => {}
        }
        self.seen.borrow_mut().insert(key.to_owned(), None);
        let (count_index, each) = local.instance();
        let inner = StaticScope {
            flat: self.flat,
            vars: self.vars,
            module: &local.value.module,
            count_index,
            each,
            seen: self.seen,
        };
        let raw =
            eval_bound(&local.value.expr, &inner, &[]).map_err(|e| ResolveError::new(e.message))?;
        let v = named_value(local, raw).map_err(ResolveError::new)?;
        self.seen
            .borrow_mut()
            .insert(key.to_owned(), Some(v.clone()));
        Ok(v)
    }
}

impl Scope for StaticScope<'_> {
    fn resolve(&self, names: &[&str]) -> Result<(Value, usize), ResolveError> {
        let second = names.get(1).copied().unwrap_or_default();
        match names[0] {
            "var" if self.module.prefix.is_empty() => {
                Ok((self.vars.get(second).cloned().unwrap_or(Value::Unknown), 2))
            }
            "var" => Ok((self.named(&self.module.var_key(second))?, 2)),
            "local" => Ok((self.named(&self.module.local_key(second))?, 2)),
            "count" => Ok((
                self.count_index
                    .map_or(Value::Unknown, |i| Value::number(i as f64)),
                2,
            )),
            "each" => Ok((
                match (&self.each, second) {
                    (Some((k, _)), "key") => Value::string(k.clone()),
                    (Some((_, v)), "value") => v.clone(),
                    _ => Value::Unknown,
                },
                2,
            )),
            "terraform" if second == "workspace" => Ok((
                Value::string(match self.flat.workspace.as_str() {
                    "" => crate::state::DEFAULT_WORKSPACE,
                    w => w,
                }),
                2,
            )),
            _ => Ok((Value::Unknown, names.len().min(2))),
        }
    }

    fn base_dir(&self) -> &Path {
        &self.flat.dir
    }
}
