//! The plan walk: evaluates locals, resources and outputs in dependency order against the
//! refreshed state, and diffs every resource instance. Pure: refresh happened before.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Body, Config, Expr, Mode as ResourceMode, Resource};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::graph::{Graph, Node};
use crate::lang::eval::{eval_bound, to_bool, EvalError};
use crate::lang::Value;
use crate::limits::MAX_INSTANCES;
use crate::plan::conditions;
use crate::plan::diff::{diff, DiffInput};
use crate::plan::scope::{deposed_block, EvalScope, InstanceKey, Instances, Values};
use crate::plan::values::from_state;
use crate::plan::{Action, Mode, OutputChange, Plan, ResourceChange};
use crate::schema;
use crate::state::State;

/// Reads data sources during planning. The planner stays free of IO: the caller decides how
/// (the cli asks the provider; tests may refuse).
pub trait DataReader {
    /// Reads data source `ty` of `provider` with its (fully known) configuration object.
    fn read(&self, provider: &str, ty: &str, config: &Value) -> Result<Value, String>;
}

/// A reader for contexts without providers: every read fails.
pub struct NoData;

impl DataReader for NoData {
    fn read(&self, _provider: &str, ty: &str, _config: &Value) -> Result<Value, String> {
        Err(format!("data source `{ty}` cannot be read here"))
    }
}

/// Plan options from the command line.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Normal, destroy or refresh-only.
    pub mode: Mode,
    /// `-target` addresses: only these and what they depend on.
    pub targets: Vec<String>,
    /// `-exclude` addresses: everything but these and what depends on them.
    pub excludes: Vec<String>,
    /// `-replace` instance addresses.
    pub replace: Vec<String>,
    /// Neither check blocks nor creation notes (`plan::notes`): for a caller that wants only
    /// the planned values (`keyway import`), so no endpoint is called whose answer it drops.
    pub skip_checks_and_notes: bool,
}

/// The walk's mutable state.
struct Walk<'a> {
    reader: &'a dyn DataReader,
    config: &'a Config,
    graph: &'a Graph,
    prior: &'a State,
    opts: &'a Options,
    values: Values,
    changes: Vec<ResourceChange>,
    diags: Vec<Diagnostic>,
    selected: Option<BTreeSet<String>>,
    /// Snapshotting blocks and the parts they cover (`config::snapshots`).
    snapshots: BTreeMap<String, crate::config::snapshots::Covered>,
}

/// Plans `config` against the refreshed `prior` state.
pub fn plan(
    config: &Config,
    graph: &Graph,
    vars: BTreeMap<String, Value>,
    prior: State,
    drift: Vec<String>,
    opts: &Options,
    reader: &dyn DataReader,
) -> Result<Plan, Diagnostics> {
    let mut prior = prior;
    let moved = apply_moves(config, &mut prior);
    let selected = selection(graph, prior_blocks(&prior), opts);
    let values = Values {
        dir: config.dir.clone(),
        vars,
        ..Values::default()
    };
    let mut w = Walk {
        reader,
        config,
        graph,
        prior: &prior,
        opts,
        values,
        changes: Vec::new(),
        diags: Vec::new(),
        selected,
        snapshots: crate::config::snapshots::parts(config),
    };
    let mut outputs = BTreeMap::new();
    if opts.mode == Mode::Destroy {
        w.destroy_all();
    } else {
        for node in &graph.order {
            match node {
                Node::Local(n) => w.local(n),
                Node::Resource(a) => w.resource(a),
                Node::Output(n) => {
                    if let Some(o) = w.output(n) {
                        outputs.insert(n.clone(), o);
                    }
                }
            }
        }
        w.orphans();
    }
    if opts.mode == Mode::RefreshOnly {
        for c in &mut w.changes {
            c.action = Action::NoOp;
        }
    }
    for (name, o) in &prior.outputs {
        if !outputs.contains_key(name) {
            let before = Some(Value::from_json(&o.value));
            outputs.insert(
                name.clone(),
                OutputChange {
                    before,
                    after: None,
                    sensitive: o.sensitive,
                },
            );
        }
    }
    w.check_prevent_destroy();
    // Terraform skips check blocks when destroying: their endpoints are going away.
    let failed = w
        .diags
        .iter()
        .any(|d| d.severity == crate::diagnostics::Severity::Error);
    let checks = if opts.mode == Mode::Destroy || failed || opts.skip_checks_and_notes {
        Vec::new()
    } else {
        let reader = w.reader;
        let (results, warnings) = crate::plan::checks::evaluate(
            config,
            &mut w.values,
            &mut |p: &str, t: &str, c: &Value| reader.read(p, t, c),
        );
        w.diags.extend(warnings);
        results
    };
    if w.diags
        .iter()
        .any(|d| d.severity == crate::diagnostics::Severity::Error)
    {
        return Err(Diagnostics(w.diags));
    }
    let mut changes = w.changes;
    let mut warnings = config.warnings.clone();
    warnings.extend(w.diags);
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    Ok(Plan {
        mode: opts.mode,
        changes,
        outputs,
        prior,
        drift,
        warnings,
        moved,
        checks,
        imported: BTreeMap::new(),
        drifted_from: BTreeMap::new(),
    })
}

/// Applies `moved` blocks to the prior state: every instance under `from` (a resource or an
/// instance address) is renamed under `to`, unless something already lives there.
fn apply_moves(config: &Config, prior: &mut State) -> Vec<(String, String)> {
    let mut done = Vec::new();
    for m in &config.moved {
        let hits: Vec<String> = prior
            .resources
            .keys()
            .filter(|a| *a == &m.from || InstanceKey::split(a).0 == m.from)
            .cloned()
            .collect();
        for old in hits {
            let new = format!("{}{}", m.to, &old[m.from.len()..]);
            if prior.resources.contains_key(&new) {
                continue;
            }
            if let Some(inst) = prior.resources.remove(&old) {
                prior.resources.insert(new.clone(), inst);
                done.push((old, new));
            }
        }
    }
    done
}

fn prior_blocks(prior: &State) -> BTreeSet<String> {
    prior
        .resources
        .keys()
        .map(|a| InstanceKey::split(a).0.to_owned())
        .collect()
}

/// The resource blocks a `-target` / `-exclude` address names: a resource (or one of its
/// instances) names its block; a module call (`module.keys`) or module instance
/// (`module.keys["a"]`) names every block inside it.
fn members(all: &BTreeSet<String>, target: &str) -> Vec<String> {
    let block = InstanceKey::split(target).0;
    if !target.starts_with("module.") || all.contains(block) {
        return vec![block.to_owned()];
    }
    let inside = |a: &String| {
        a.strip_prefix(target).is_some_and(|rest| {
            rest.starts_with('.') || (rest.starts_with('[') && !target.ends_with(']'))
        })
    };
    let found: Vec<String> = all.iter().filter(|a| inside(a)).cloned().collect();
    if found.is_empty() {
        vec![block.to_owned()]
    } else {
        found
    }
}

/// Which resource addresses `-target` / `-exclude` leave in the plan (`None`: all).
fn selection(
    graph: &Graph,
    in_state: BTreeSet<String>,
    opts: &Options,
) -> Option<BTreeSet<String>> {
    if opts.targets.is_empty() && opts.excludes.is_empty() {
        return None;
    }
    let destroying = opts.mode == Mode::Destroy;
    let mut all: BTreeSet<String> = in_state;
    all.extend(graph.order.iter().filter_map(|n| match n {
        Node::Resource(a) => Some(a.clone()),
        _ => None,
    }));
    let mut sel: BTreeSet<String> = if opts.targets.is_empty() {
        all.clone()
    } else {
        let mut s = BTreeSet::new();
        for t in opts.targets.iter().flat_map(|t| members(&all, t)) {
            // A target brings what it depends on, as Terraform does; when destroying, what
            // depends on it instead (those must go first, and its dependencies may stay).
            let brought = if destroying {
                graph.dependents(&Node::Resource(t.clone()))
            } else {
                graph.dependencies(&Node::Resource(t.clone()))
            };
            for d in brought {
                if let Node::Resource(a) = d {
                    s.insert(a);
                }
            }
            s.insert(t);
        }
        s
    };
    for e in opts.excludes.iter().flat_map(|e| members(&all, e)) {
        // Excluding something excludes what depends on it (OpenTofu's rule); when destroying,
        // what it depends on, which cannot go while it stays.
        let kept = if destroying {
            graph.dependencies(&Node::Resource(e.clone()))
        } else {
            graph.dependents(&Node::Resource(e.clone()))
        };
        for d in kept {
            if let Node::Resource(a) = d {
                sel.remove(&a);
            }
        }
        sel.remove(&e);
    }
    // An object deposed by an interrupted replacement goes with its block: targeted with
    // it, excluded with it.
    for d in all.iter().filter(|a| deposed_block(a).is_some()) {
        let base = deposed_block(d).unwrap_or_default();
        if sel.contains(base) {
            sel.insert(d.clone());
        } else if all.contains(base) {
            sel.remove(d);
        }
    }
    Some(sel)
}

fn eval_error(file: crate::diagnostics::FileId, e: EvalError) -> Diagnostic {
    Diagnostic::error("plan::eval", e.message)
        .at(file, e.span)
        .maybe_help(e.help)
}

impl Walk<'_> {
    fn is_selected(&self, addr: &str) -> bool {
        self.selected.as_ref().is_none_or(|s| s.contains(addr))
    }

    fn eval(&mut self, e: &Expr, count: Option<usize>, each: Option<(String, Value)>) -> Value {
        self.eval_bound(e, count, each, &[])
    }

    /// Evaluates with a `dynamic` block's iterators bound; errors are kept, the value unknown.
    fn eval_bound(
        &mut self,
        e: &Expr,
        count: Option<usize>,
        each: Option<(String, Value)>,
        bound: &crate::plan::body::Bound,
    ) -> Value {
        let scope = EvalScope {
            values: &self.values,
            config: self.config,
            count_index: count,
            each,
            module: &e.module,
        };
        match eval_bound(&e.expr, &scope, bound) {
            Ok(v) => v,
            Err(err) => {
                self.diags.push(eval_error(e.file, err));
                Value::Unknown
            }
        }
    }

    fn local(&mut self, name: &str) {
        let local = &self.config.locals[name];
        let (count, each) = local.instance();
        let raw = self.eval(&local.value, count, each);
        let v = match crate::config::expand::named_value(local, raw) {
            Ok(v) => v,
            Err(msg) => {
                let e = &local.value;
                self.diags
                    .push(Diagnostic::error("plan::module_input", msg).at(e.file, e.span()));
                Value::Unknown
            }
        };
        self.values.locals.insert(name.to_owned(), v);
    }

    fn output(&mut self, name: &str) -> Option<OutputChange> {
        let o = &self.config.outputs[name];
        let fails = conditions::output_failures(self.config, &self.values, name, self.severity());
        self.diags.extend(fails);
        let v = self.eval(&o.value, None, None);
        if v.has_sensitive() && !o.sensitive {
            self.diags.push(
                Diagnostic::error(
                    "plan::sensitive_output",
                    format!("Output `{name}` refers to sensitive values"),
                )
                .at(o.file, o.value.span())
                .help("add `sensitive = true` to the output block to confirm it may hold secrets"),
            );
        }
        let before = self
            .prior
            .outputs
            .get(name)
            .map(|p| Value::from_json(&p.value));
        Some(OutputChange {
            before,
            after: Some(v),
            sensitive: o.sensitive,
        })
    }

    /// The instance keys of a resource block.
    fn expand(&mut self, res: &Resource) -> Option<Vec<(InstanceKey, Option<Value>)>> {
        if let Some(c) = &res.count {
            let v = self.eval(c, None, None);
            let n = crate::lang::eval::to_number(&v);
            return match v.unmarked() {
                _ if n.is_some_and(|n| n > MAX_INSTANCES as f64 && n.fract() == 0.0) => {
                    self.diags
                        .push(too_many_instances("count", n.unwrap_or(0.0)).at(c.file, c.span()));
                    None
                }
                _ if n.is_some_and(|n| n >= 0.0 && n.fract() == 0.0) => Some(
                    (0..n.unwrap_or(0.0) as usize)
                        .map(|i| (InstanceKey::Int(i), None))
                        .collect(),
                ),
                Value::Unknown => {
                    self.diags.push(Diagnostic::error("plan::count_unknown", "Invalid count argument: the value depends on resource attributes that cannot be determined until apply")
                        .at(c.file, c.span()).help("use -target to apply the resources it depends on first, or use a value known at plan time"));
                    None
                }
                other => {
                    self.diags.push(Diagnostic::error("plan::count", format!("Invalid count argument: a whole non-negative number is required, got {}", other.type_name())).at(c.file, c.span()));
                    None
                }
            };
        }
        if let Some(f) = &res.for_each {
            let v = self.eval(f, None, None);
            // A map's keys are known even when its values are not (`for_each =
            // aws_api_gateway_method.items`, whose attributes are known after apply): as in
            // Terraform, only unknown keys or set elements stop the plan.
            let keys_unknown = match v.unmarked() {
                Value::Object(_) => false,
                Value::Set(items) => items.iter().any(Value::has_unknown),
                other => other.has_unknown(),
            };
            if keys_unknown {
                self.diags.push(Diagnostic::error("plan::for_each_unknown", "Invalid for_each argument: the keys depend on resource attributes that cannot be determined until apply")
                    .at(f.file, f.span()).help("use -target to apply the resources it depends on first, or use keys known at plan time"));
                return None;
            }
            if matches!(v, Value::Sensitive(_)) {
                self.diags.push(Diagnostic::error("plan::for_each_sensitive", "Invalid for_each argument: sensitive values cannot be used as for_each, since the keys would be shown in addresses").at(f.file, f.span()));
                return None;
            }
            let size = match &v {
                Value::Object(m) => m.len(),
                Value::Set(items) => items.len(),
                _ => 0,
            };
            if size > MAX_INSTANCES {
                self.diags
                    .push(too_many_instances("for_each", size as f64).at(f.file, f.span()));
                return None;
            }
            return match v {
                Value::Object(m) => Some(
                    m.into_iter()
                        .map(|(k, v)| (InstanceKey::Str(k), Some(v)))
                        .collect(),
                ),
                Value::Set(items) if items.iter().all(|i| i.as_str().is_some()) => Some(
                    items
                        .into_iter()
                        .map(|i| {
                            (
                                InstanceKey::Str(i.as_str().unwrap_or_default().to_owned()),
                                Some(i),
                            )
                        })
                        .collect(),
                ),
                other => {
                    self.diags.push(Diagnostic::error("plan::for_each", format!("Invalid for_each argument: the for_each argument must be a map, or set of strings, and you have provided a value of type {}", other.type_name()))
                        .at(f.file, f.span()).help("use toset([...]) for a list of strings"));
                    None
                }
            };
        }
        Some(vec![(InstanceKey::None, None)])
    }

    /// The object a body evaluates to; errors are collected and their values are unknown.
    fn body_value(
        &mut self,
        body: &Body,
        count: Option<usize>,
        each: &Option<(String, Value)>,
    ) -> Value {
        let result = crate::plan::body::body_value(body, &mut |e, bound| {
            Ok::<_, Diagnostic>(self.eval_bound(e, count, each.clone(), bound))
        });
        result.unwrap_or_else(|d| {
            self.diags.push(d);
            Value::Unknown
        })
    }

    /// Condition failures are errors, except in a refresh-only plan, which only reports what
    /// it found (Terraform warns there).
    fn severity(&self) -> crate::diagnostics::Severity {
        match self.opts.mode {
            Mode::RefreshOnly => crate::diagnostics::Severity::Warning,
            _ => crate::diagnostics::Severity::Error,
        }
    }

    /// Evaluates one instance's preconditions (or its postconditions on `self_value`), keeping
    /// failures; false if one failed. Conditions not known yet are left to apply.
    fn conditions(
        &mut self,
        res: &Resource,
        count: Option<usize>,
        each: &Option<(String, Value)>,
        self_value: Option<&Value>,
    ) -> bool {
        let instance = (count, each.clone());
        let fails = conditions::instance_failures(
            self.config,
            &self.values,
            res,
            instance,
            self_value,
            self.severity(),
        );
        let failed = fails
            .iter()
            .any(|d| d.severity == crate::diagnostics::Severity::Error);
        self.diags.extend(fails);
        !failed
    }

    fn flag(&mut self, e: Option<&Expr>) -> bool {
        let Some(e) = e else { return false };
        let v = self.eval(e, None, None);
        match to_bool(&v) {
            Some(b) => b,
            None => {
                self.diags.push(
                    Diagnostic::error(
                        "plan::lifecycle",
                        "This lifecycle setting must be a bool known at plan time",
                    )
                    .at(e.file, e.span()),
                );
                false
            }
        }
    }

    fn state_instances(&self, block: &str) -> Vec<String> {
        let lo = block.to_owned();
        self.prior
            .resources
            .range(lo..)
            .take_while(|(a, _)| a.starts_with(block))
            .filter(|(a, _)| InstanceKey::split(a).0 == block)
            .map(|(a, _)| a.clone())
            .collect()
    }

    fn resource(&mut self, addr: &str) {
        let res = &self.config.resources[addr];
        if !self.is_selected(addr) {
            self.values
                .resources
                .insert(addr.to_owned(), self.instances_from_state(addr, res));
            return;
        }
        let Some(keys) = self.expand(res) else {
            self.values
                .resources
                .insert(addr.to_owned(), Instances::Single(Value::Unknown));
            return;
        };
        let Some(schema) = schema::lookup_in(&res.ty, res.mode == ResourceMode::Data) else {
            return;
        };
        if res.mode == ResourceMode::Data {
            self.data_source(addr, res, schema, keys);
            return;
        }
        let deps: Vec<String> = self
            .graph
            .resource_deps(&Node::Resource(addr.to_owned()))
            .into_iter()
            .collect();
        // The schema may ask for create-before-destroy when the type needs it to be safe.
        let create_first =
            self.flag(res.lifecycle.create_before_destroy.as_ref()) || schema.create_before_destroy;
        let triggered = self.triggered(res);
        let mut planned_list = Vec::new();
        let mut planned_map = BTreeMap::new();
        let mut live: BTreeSet<String> = BTreeSet::new();
        for (key, each_value) in &keys {
            let inst_addr = format!("{addr}{}", key.suffix());
            live.insert(inst_addr.clone());
            let count = match key {
                InstanceKey::Int(i) => Some(*i),
                _ => None,
            };
            let each = match (key, each_value) {
                (InstanceKey::Str(k), Some(v)) => Some((k.clone(), v.clone())),
                _ => None,
            };
            let config_value = self.body_value(&res.body, count, &each);
            self.constrain(res, schema, &config_value);
            let pre_ok = self.conditions(res, count, &each, None);
            let prior_inst = self.prior.resources.get(&inst_addr);
            let prior_value = prior_inst.map(from_state);
            let mut forced = triggered.clone();
            if prior_inst.is_some_and(|p| p.tainted) {
                forced.push("tainted".into());
            }
            if self.opts.replace.iter().any(|r| r == &inst_addr) {
                forced.push("-replace".into());
            }
            let out = diff(DiffInput {
                schema,
                prior: prior_value.as_ref(),
                config: config_value,
                ignore: &res.lifecycle.ignore_changes,
                forced,
            });
            if pre_ok {
                self.conditions(res, count, &each, Some(&out.planned));
            }
            let action = match out.action {
                Action::Replace { reasons, .. } => Action::Replace {
                    reasons,
                    create_first,
                },
                a => a,
            };
            match key {
                InstanceKey::None => {}
                InstanceKey::Int(_) => planned_list.push(out.planned.clone()),
                InstanceKey::Str(k) => {
                    planned_map.insert(k.clone(), out.planned.clone());
                }
            }
            let single = matches!(key, InstanceKey::None).then(|| out.planned.clone());
            self.changes.push(ResourceChange {
                addr: inst_addr,
                resource: addr.to_owned(),
                key: key.clone(),
                mode: res.mode,
                ty: res.ty.clone(),
                provider: schema.provider.clone(),
                // A no-op's planned object is its prior object: keep one copy.
                after: (action != Action::NoOp).then_some(out.planned),
                action,
                before: prior_value,
                dependencies: deps.clone(),
                note: None,
            });
            if let Some(v) = single {
                self.values
                    .resources
                    .insert(addr.to_owned(), Instances::Single(v));
            }
        }
        if res.count.is_some() {
            self.values
                .resources
                .insert(addr.to_owned(), Instances::List(planned_list));
        } else if res.for_each.is_some() {
            self.values
                .resources
                .insert(addr.to_owned(), Instances::Map(planned_map));
        }
        for old in self.state_instances(addr) {
            if !live.contains(&old) {
                // Terraform's wording for each reason.
                let key = InstanceKey::split(&old).1;
                let reason = match (&key, res.count.is_some(), res.for_each.is_some()) {
                    (InstanceKey::Int(_), true, _) => {
                        format!("index {} is out of range for count", key.suffix())
                    }
                    (InstanceKey::Str(_), _, true) => {
                        format!("key {} is not in for_each map", key.suffix())
                    }
                    (InstanceKey::Int(_), false, _) => "resource does not use count".to_owned(),
                    (InstanceKey::Str(_), _, false) => "resource does not use for_each".to_owned(),
                    (_, true, _) => "resource uses count".to_owned(),
                    _ => "resource uses for_each".to_owned(),
                };
                self.delete(&old, &reason);
            }
        }
    }

    /// Reads a data source now when its arguments are known, or defers the read to apply.
    fn data_source(
        &mut self,
        addr: &str,
        res: &Resource,
        schema: &crate::schema::ResourceSchema,
        keys: Vec<(InstanceKey, Option<Value>)>,
    ) {
        let deps: Vec<String> = self
            .graph
            .resource_deps(&Node::Resource(addr.to_owned()))
            .into_iter()
            .collect();
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
        let mut single = Value::Null;
        for (key, each_value) in &keys {
            let count = match key {
                InstanceKey::Int(i) => Some(*i),
                _ => None,
            };
            let each = match (key, each_value) {
                (InstanceKey::Str(k), Some(v)) => Some((k.clone(), v.clone())),
                _ => None,
            };
            let config_value = self.body_value(&res.body, count, &each);
            let valid = self.constrain(res, schema, &config_value);
            let pre_ok = self.conditions(res, count, &each, None);
            let value = if !pre_ok || !valid {
                // A failed precondition stops the read, as in Terraform.
                Value::Unknown
            } else if config_value.has_unknown() || self.changes_pending(&deps) {
                diff(DiffInput {
                    schema,
                    prior: None,
                    config: config_value,
                    ignore: &res.lifecycle.ignore_changes,
                    forced: Vec::new(),
                })
                .planned
            } else {
                match self.reader.read(
                    &schema.provider,
                    &res.ty,
                    &config_value.clone().deep_unmark(),
                ) {
                    Ok(v) => crate::plan::values::mark_read(schema, &config_value, v),
                    Err(e) => {
                        self.diags.push(
                            Diagnostic::error(
                                "plan::data_source",
                                format!("Reading `{addr}{}` failed: {e}", key.suffix()),
                            )
                            .at(res.file, res.span.clone()),
                        );
                        Value::Unknown
                    }
                }
            };
            if pre_ok {
                self.conditions(res, count, &each, Some(&value));
            }
            match key {
                InstanceKey::None => single = value.clone(),
                InstanceKey::Int(_) => list.push(value.clone()),
                InstanceKey::Str(k) => {
                    map.insert(k.clone(), value.clone());
                }
            }
            self.changes.push(ResourceChange {
                addr: format!("{addr}{}", key.suffix()),
                resource: addr.to_owned(),
                key: key.clone(),
                mode: res.mode,
                ty: res.ty.clone(),
                provider: schema.provider.clone(),
                action: Action::Read,
                before: None,
                after: Some(value),
                dependencies: deps.clone(),
                note: None,
            });
        }
        let inst = if res.count.is_some() {
            Instances::List(list)
        } else if res.for_each.is_some() {
            Instances::Map(map)
        } else {
            Instances::Single(single)
        };
        self.values.resources.insert(addr.to_owned(), inst);
    }

    /// Reports the schema's argument constraints `config` breaks, at the argument to blame
    /// (or the block); true when there are none.
    fn constrain(
        &mut self,
        res: &Resource,
        schema: &crate::schema::ResourceSchema,
        config: &Value,
    ) -> bool {
        let found = crate::plan::constraints::check(schema, config);
        for v in &found {
            let span = v
                .attr
                .as_deref()
                .and_then(|a| res.body.attrs.get(a))
                .and_then(|e| e.span())
                .or_else(|| res.span.clone());
            self.diags.push(
                Diagnostic::error(
                    "plan::argument",
                    format!("Invalid arguments of `{}`: {}", res.address(), v.message),
                )
                .at(res.file, span),
            );
        }
        found.is_empty()
    }

    /// True when a resource among `deps` has changes planned, or is a data source whose read
    /// waits for apply: Terraform then defers a data source's read to apply too, since read
    /// now it would see the world before those changes (an `archive_file` of a `local_file`
    /// not written yet).
    fn changes_pending(&self, deps: &[String]) -> bool {
        self.changes.iter().any(|c| {
            deps.contains(&c.resource)
                && (c.action.is_change() || c.after.as_ref().is_some_and(Value::has_unknown))
        })
    }

    /// `replace_triggered_by`: any planned change of a referenced resource.
    fn triggered(&self, res: &Resource) -> Vec<String> {
        let mut out = Vec::new();
        for e in &res.lifecycle.replace_triggered_by {
            let Some(text) = crate::config::lower::reference_text(&e.expr) else {
                continue;
            };
            // `a.b`, `a.b[0]`, `a.b.attr` or `a.b["k"].attr`: the block, and the attribute
            // whose change triggers (none: any change of the block does, as in Terraform).
            let plain: String = text
                .split('[')
                .map(|p| p.split_once(']').map_or(p, |(_, rest)| rest))
                .collect();
            let parts: Vec<&str> = plain.split('.').collect();
            if parts.len() < 2 {
                continue;
            }
            let block = format!("{}{}.{}", res.module.prefix, parts[0], parts[1]);
            let attr = parts.get(2).copied();
            let hit = self.changes.iter().any(|c| {
                c.resource == block
                    && c.action.is_change()
                    && attr.is_none_or(|a| attr_changes(c, a))
            });
            if hit {
                out.push(format!("replace_triggered_by {text}"));
            }
        }
        out.extend(self.snapshot_changed(res));
        out
    }

    /// A snapshot (a REST API's deployment) is taken again when any part it covers changes
    /// (`config::snapshots`): the reason names the first changed part.
    fn snapshot_changed(&self, res: &Resource) -> Option<String> {
        let covered = self.snapshots.get(&res.address())?;
        let changed = self.changes.iter().find(|c| {
            let own = covered.own.as_ref().is_some_and(|(block, attrs)| {
                c.resource == *block && attrs.iter().any(|a| attr_changes(c, a))
            });
            c.action.is_change() && (own || covered.parts.contains(&c.resource))
        })?;
        let attr = covered
            .own
            .as_ref()
            .filter(|(block, _)| *block == changed.resource)
            .and_then(|(_, attrs)| attrs.iter().find(|a| attr_changes(changed, a)));
        Some(match attr {
            Some(a) => format!("snapshot of its API: {}.{a} changes", changed.addr),
            None => format!("snapshot of its API: {} changes", changed.addr),
        })
    }

    fn instances_from_state(&self, addr: &str, res: &Resource) -> Instances {
        let insts = self.state_instances(addr);
        if res.count.is_some() {
            Instances::List(
                insts
                    .iter()
                    .map(|a| from_state(&self.prior.resources[a]))
                    .collect(),
            )
        } else if res.for_each.is_some() {
            Instances::Map(
                insts
                    .iter()
                    .filter_map(|a| match InstanceKey::split(a).1 {
                        InstanceKey::Str(k) => Some((k, from_state(&self.prior.resources[a]))),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            // Not applied yet and left out of this run: not known.
            Instances::Single(
                insts
                    .first()
                    .map(|a| from_state(&self.prior.resources[a]))
                    .unwrap_or(Value::Unknown),
            )
        }
    }

    fn delete(&mut self, addr: &str, reason: &str) {
        let action = Action::Delete {
            reason: reason.to_owned(),
        };
        self.leave(addr, action);
    }

    /// Plans `addr` (in state) to leave: deleted, or forgotten.
    fn leave(&mut self, addr: &str, action: Action) {
        let Some(inst) = self.prior.resources.get(addr) else {
            return;
        };
        let (block, key) = InstanceKey::split(addr);
        if !self.is_selected(block) {
            return;
        }
        self.changes.push(ResourceChange {
            addr: addr.to_owned(),
            resource: block.to_owned(),
            key,
            mode: if block.starts_with("data.") {
                ResourceMode::Data
            } else {
                ResourceMode::Managed
            },
            ty: inst.resource_type.clone(),
            provider: inst.provider.clone(),
            after: (action == Action::Forget).then(|| from_state(inst)),
            action,
            before: Some(from_state(inst)),
            dependencies: inst.dependencies.clone(),
            note: None,
        });
    }

    fn orphans(&mut self) {
        let addrs: Vec<String> = self.prior.resources.keys().cloned().collect();
        for a in addrs {
            let block = InstanceKey::split(&a).0;
            if self.config.resources.contains_key(block) {
                continue;
            }
            if self.forgotten(&a) {
                self.leave(&a, Action::Forget);
            } else {
                // Terraform names the module instance when that is what left.
                let module = crate::address::module_of(block);
                let gone = if module.is_empty() || self.config.has_module_instance(module) {
                    block
                } else {
                    module
                };
                let reason = format!("{gone} is not in configuration");
                self.delete(&a, &reason);
            }
        }
    }

    fn destroy_all(&mut self) {
        let addrs: Vec<String> = self.prior.resources.keys().cloned().collect();
        for a in addrs {
            if self.forgotten(&a) {
                self.leave(&a, Action::Forget);
            } else {
                self.delete(&a, "destroy");
            }
        }
    }

    /// True if a `removed` block with `destroy = false` names this instance (or its
    /// resource) and the configuration no longer declares it. Deposed objects are never
    /// forgotten: they are the old halves of replacements.
    fn forgotten(&self, addr: &str) -> bool {
        let block = InstanceKey::split(addr).0;
        !addr.contains(" (deposed")
            && !self.config.resources.contains_key(block)
            && self
                .config
                .removed
                .iter()
                .any(|r| !r.destroy && (r.from == block || r.from == addr))
    }

    fn check_prevent_destroy(&mut self) {
        let mut errs = Vec::new();
        let changes = std::mem::take(&mut self.changes);
        for c in &changes {
            let destroys = matches!(c.action, Action::Delete { .. } | Action::Replace { .. });
            if !destroys {
                continue;
            }
            let Some(res) = self.config.resources.get(&c.resource) else {
                continue;
            };
            if self.flag(res.lifecycle.prevent_destroy.as_ref()) {
                let e = res
                    .lifecycle
                    .prevent_destroy
                    .as_ref()
                    .expect("invariant: flag was set");
                errs.push(
                    Diagnostic::error("plan::prevent_destroy", format!("Instance cannot be destroyed: `{}` has lifecycle.prevent_destroy set, but the plan calls for it to be {}", c.addr, if matches!(c.action, Action::Delete { .. }) { "destroyed" } else { "replaced" }))
                        .at(e.file, e.span())
                        .help("to allow it, set prevent_destroy to false or change the plan with -target/-exclude"),
                );
            }
        }
        self.changes = changes;
        self.diags.extend(errs);
    }
}

/// The error for a `count` or `for_each` asking for more than [`MAX_INSTANCES`] instances.
/// True when a planned change gives the attribute `a` a new (or not yet known) value.
fn attr_changes(c: &ResourceChange, a: &str) -> bool {
    if matches!(c.action, Action::Replace { .. } | Action::Delete { .. }) {
        return true;
    }
    let get = |v: Option<&Value>| match v.map(Value::unmarked) {
        Some(Value::Object(m)) => m.get(a).cloned(),
        _ => None,
    };
    let after = get(c.after.as_ref());
    after.as_ref().is_some_and(Value::has_unknown) || after != get(c.before.as_ref())
}

fn too_many_instances(argument: &str, n: f64) -> Diagnostic {
    Diagnostic::error(
        "plan::too_many_instances",
        format!("Invalid {argument} argument: {n} instances is more than keyway's limit of {MAX_INSTANCES} instances per resource"),
    )
    .help("split the resource into several blocks, or manage that many objects with another tool")
}
