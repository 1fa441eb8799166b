//! The concurrent executor behind [`apply`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Semaphore};

use crate::apply::ops::{schedule, Op};
use crate::apply::{Event, Interrupt};
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::graph::{Graph, Node};
use crate::lang::eval::eval_bound;
use crate::lang::Value;
use crate::plan::diff::{diff, mark, DiffInput};
use crate::plan::scope::{EvalScope, InstanceKey, Instances, Values};
use crate::plan::values::{from_state, mark_copies, mark_read, secret_leaves, sensitive_paths};
use crate::plan::{Action, Mode, Plan, ResourceChange};
use crate::providers::Registry;
use crate::schema;
use crate::state::{Output, ResourceInstance, State};

/// Persists state from a dedicated writer, so that writes coalesce under load. Encoding
/// happens under the state's lock (no copy of the state is made); the slow disk write after.
pub trait StateWriter: Send {
    /// Serializes the next version of `state` (the writer bumps its serial).
    fn encode(&mut self, state: &mut State) -> Result<Vec<u8>, String>;
    /// Writes encoded bytes durably.
    fn commit(&mut self, bytes: Vec<u8>) -> Result<(), String>;
}

/// The writer apply persists through.
pub type Persist = Box<dyn StateWriter>;

/// Run once every operation succeeded, against the final values (not when destroying):
/// evaluates the `check` blocks, whose results go into state, and returns their warnings.
pub type AfterApply = Box<
    dyn FnOnce(&Config, &mut Values) -> (Vec<crate::state::CheckResult>, Vec<Diagnostic>) + Send,
>;

/// The result of an apply.
#[derive(Debug)]
pub struct Outcome {
    /// The final state (already persisted).
    pub state: State,
    /// Errors of failed operations (empty on success).
    pub errors: Vec<Diagnostic>,
    /// True if the run was interrupted.
    pub interrupted: bool,
    /// Warnings (failed checks).
    pub warnings: Vec<Diagnostic>,
}

struct Shared {
    config: Config,
    plan: Plan,
    providers: Registry,
    state: Mutex<State>,
    values: RwLock<Values>,
    limit: Semaphore,
    events: mpsc::UnboundedSender<Event>,
    dirty: Arc<(Mutex<bool>, std::sync::Condvar)>,
    interrupt: Interrupt,
    /// Bumped (under the state lock) by every change to the state.
    version: AtomicU64,
    /// What the writer has made durable, for [`Shared::saved`].
    saved: tokio::sync::watch::Sender<Saved>,
    /// Where this run parked each object it replaced create-first (instance address →
    /// deposed address), for the deletion that follows.
    deposed: Mutex<BTreeMap<String, String>>,
}

/// The newest state version on disk, and the newest one whose write failed.
#[derive(Clone, Copy, Default)]
struct Saved {
    version: u64,
    failed: u64,
}

/// Code of the errors of operations that did not start because of an interrupt.
const NOT_STARTED: &str = "apply::not_started";

impl Shared {
    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }

    fn touch(&self) {
        let (m, cv) = &*self.dirty;
        *lock(m) = true;
        cv.notify_one();
    }

    /// Waits for a parallelism slot; refuses to start once interrupted.
    async fn start(&self, addr: &str) -> Result<tokio::sync::SemaphorePermit<'_>, Diagnostic> {
        let permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| Diagnostic::error("apply::internal", "semaphore closed"))?;
        if self.interrupt.is_stopped() {
            return Err(Diagnostic::error(
                NOT_STARTED,
                format!("`{addr}` was not started: interrupted"),
            ));
        }
        Ok(permit)
    }

    /// Changes the state and wakes the writer; returns the version that holds the change.
    fn update_state(&self, f: impl FnOnce(&mut State)) -> u64 {
        // A task that panicked while holding the lock left the state as it was between two
        // whole changes (every change is one closure): keep using it rather than dropping
        // the change, which could let a creation go out unrecorded.
        let mut s = lock(&self.state);
        f(&mut s);
        let version = self.version.fetch_add(1, Ordering::SeqCst) + 1;
        drop(s);
        self.touch();
        version
    }

    /// Waits until state `version` (or a newer one) is on disk. A create is recorded this way
    /// before its request goes out.
    async fn saved(&self, version: u64) -> Result<(), String> {
        let mut rx = self.saved.subscribe();
        let seen = rx
            .wait_for(|s| s.version >= version || s.failed >= version)
            .await
            .map(|s| *s)
            .map_err(|_| "the state writer stopped".to_string())?;
        if seen.version >= version {
            Ok(())
        } else {
            Err("the state could not be written".into())
        }
    }
}

/// Applies `plan`. A first `interrupt` stops new work from starting (in-flight work finishes
/// and state is saved); abandoning stops waiting for in-flight work, saving what is known.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    config: Config,
    graph: Graph,
    plan: Plan,
    vars: BTreeMap<String, Value>,
    providers: Registry,
    parallelism: usize,
    persist: Persist,
    events: mpsc::UnboundedSender<Event>,
    interrupt: Interrupt,
    after_apply: Option<AfterApply>,
) -> Outcome {
    let sched = schedule(&graph, &plan);
    // The prior state becomes the live state: move it rather than hold two copies.
    let mut plan = plan;
    let prior = std::mem::take(&mut plan.prior);
    let values = Values {
        dir: config.dir.clone(),
        vars,
        ..Values::default()
    };
    let dirty = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let shared = Arc::new(Shared {
        state: Mutex::new(prior),
        config,
        plan,
        providers,
        values: RwLock::new(values),
        limit: Semaphore::new(parallelism.max(1)),
        events,
        dirty: dirty.clone(),
        interrupt: interrupt.clone(),
        version: AtomicU64::new(0),
        saved: tokio::sync::watch::Sender::new(Saved::default()),
        deposed: Mutex::new(BTreeMap::new()),
    });
    let done = Arc::new(AtomicBool::new(false));
    let writer = spawn_writer(shared.clone(), done.clone(), persist);
    forget(&shared);
    let mut remaining: Vec<usize> = sched.before.iter().map(BTreeSet::len).collect();
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); sched.ops.len()];
    for (i, bs) in sched.before.iter().enumerate() {
        for b in bs {
            after[*b].push(i);
        }
    }
    let mut failed: BTreeSet<usize> = BTreeSet::new();
    let mut errors = Vec::new();
    let mut ready: Vec<usize> = (0..sched.ops.len())
        .filter(|i| remaining[*i] == 0)
        .collect();
    let mut running = tokio::task::JoinSet::new();
    let mut interrupted = false;
    let mut in_flight: BTreeSet<usize> = BTreeSet::new();
    let mut finished: BTreeSet<usize> = BTreeSet::new();
    loop {
        while let Some(i) = ready.pop() {
            if interrupt.is_stopped() {
                interrupted = true;
                continue;
            }
            let op = sched.ops[i].clone();
            let s = shared.clone();
            in_flight.insert(i);
            running.spawn(async move { (i, run_op(&s, &op).await) });
        }
        let joined = tokio::select! {
            j = running.join_next() => j,
            () = interrupt.abandoned() => {
                running.abort_all();
                errors.push(abandoned(&sched.ops, &in_flight));
                interrupted = true;
                break;
            }
        };
        let Some(joined) = joined else {
            break;
        };
        let (i, result) = match joined {
            Ok(r) => {
                in_flight.remove(&r.0);
                r
            }
            Err(e) => {
                errors.push(Diagnostic::error(
                    "apply::panic",
                    format!("An internal task failed: {e}"),
                ));
                continue;
            }
        };
        match result {
            Ok(()) => {
                finished.insert(i);
                for &j in &after[i] {
                    remaining[j] -= 1;
                    if remaining[j] == 0 && !failed.contains(&j) {
                        ready.push(j);
                    }
                }
            }
            Err(mut errs) => {
                errors.append(&mut errs);
                failed.insert(i);
                skip_dependents(&shared, &sched.ops, &after, i, &mut failed);
            }
        }
    }
    if !interrupted {
        errors.extend(never_ran(&sched.ops, &finished, &failed));
    }
    let before = errors.len();
    errors.retain(|e| e.code != NOT_STARTED);
    if interrupted || errors.len() != before {
        errors.push(interrupted_error(
            shared.plan.mode,
            interrupt.is_abandoned(),
        ));
    }
    if shared.plan.mode == Mode::Destroy && errors.is_empty() {
        shared.update_state(|s| {
            s.outputs.clear();
            s.checks.clear();
        });
    }
    let mut warnings = Vec::new();
    let ran = shared.plan.mode != Mode::Destroy && errors.is_empty();
    if let (Some(after), true) = (after_apply, ran) {
        let values = shared.values.write().map(|mut v| std::mem::take(&mut *v));
        if let Ok(mut values) = values {
            let (checks, w) = after(&shared.config, &mut values);
            warnings = w;
            shared.update_state(|s| s.checks = checks);
        }
    }
    done.store(true, Ordering::SeqCst);
    shared.touch();
    let (write_error, final_error) = writer
        .await
        .unwrap_or((None, Some("the state writer stopped unexpectedly".into())));
    // The writer is done: move the state out rather than copying it at its largest.
    let state = std::mem::take(&mut *lock(&shared.state));
    if let Some(e) = final_error {
        errors.push(Diagnostic::error(
            "apply::state",
            format!("Failed to save state: {e}"),
        ));
    } else if let Some(e) = write_error {
        errors.push(Diagnostic::error(
            "apply::state",
            format!("A state write failed during apply (the final write succeeded): {e}"),
        ));
    }
    Outcome {
        state,
        errors,
        interrupted,
        warnings,
    }
}

/// The error closing an interrupted run. Its hint names the command that finishes the job:
/// after an interrupted destroy, `apply` would recreate what was just destroyed.
/// Drops the instances a `removed` block (`destroy = false`) lets go of: no provider call,
/// the objects stay where they are.
fn forget(s: &Shared) {
    for c in s.plan.changes.iter().filter(|c| c.action == Action::Forget) {
        s.update_state(|st| {
            st.resources.remove(&c.addr);
        });
        s.emit(Event::Output {
            addr: c.addr.clone(),
            line: ": Removed from state; the object itself is left as it is".into(),
        });
    }
}

fn interrupted_error(mode: Mode, abandoned: bool) -> Diagnostic {
    let again = if mode == Mode::Destroy {
        "run `keyway destroy` again to finish"
    } else {
        "run `keyway apply` again to finish"
    };
    let what = if abandoned {
        "Interrupted twice: operations in flight were abandoned and the state known so far was saved"
    } else {
        "Interrupted: operations in flight finished and state was saved; the rest did not start"
    };
    Diagnostic::error("apply::interrupted", what).help(again)
}

/// Names the operations abandoned in flight: they may have changed the world without state
/// knowing, so the user must be told which to look at.
/// An error naming the operations that neither ran nor were skipped for a failure: their
/// order could not be satisfied (a cycle in the schedule, which planning should have
/// prevented). Saying so is the point: a silent gap would look like a finished apply.
fn never_ran(
    ops: &[Op],
    finished: &BTreeSet<usize>,
    failed: &BTreeSet<usize>,
) -> Option<Diagnostic> {
    let names: Vec<String> = (0..ops.len())
        .filter(|i| !finished.contains(i) && !failed.contains(i))
        .map(|i| match &ops[i] {
            Op::Apply(n) => n.to_string(),
            Op::Delete { block, .. } => format!("{block} (destroy)"),
        })
        .collect();
    (!names.is_empty()).then(|| {
        Diagnostic::error(
            "apply::unordered",
            format!(
                "These changes were not made because their order could not be worked out: {}",
                names.join(", ")
            ),
        )
        .help("this is a bug in keyway; please report it with the configuration (state is saved, and the next plan shows what is left)")
    })
}

fn abandoned(ops: &[Op], in_flight: &BTreeSet<usize>) -> Diagnostic {
    let names: Vec<String> = in_flight
        .iter()
        .filter_map(|&i| match &ops[i] {
            Op::Apply(Node::Resource(a)) => Some(a.clone()),
            Op::Apply(_) => None,
            Op::Delete { block, .. } => Some(format!("{block} (destroy)")),
        })
        .collect();
    let msg = if names.is_empty() {
        "Exited immediately: no operation was in flight".to_owned()
    } else {
        format!(
            "Exited immediately while these were in flight: {}",
            names.join(", ")
        )
    };
    Diagnostic::error("apply::abandoned", msg).help(
        "a creation in flight was recorded in state before it was sent, so the next run finds its object (or drops the record); what an update or deletion in flight did shows in the next plan",
    )
}

/// Writes state whenever it changed, coalescing changes that arrive during a write, and
/// once more at the end. Returns (an error of an intermediate write, the final write's error).
fn spawn_writer(
    shared: Arc<Shared>,
    done: Arc<AtomicBool>,
    mut persist: Persist,
) -> tokio::task::JoinHandle<(Option<String>, Option<String>)> {
    tokio::task::spawn_blocking(move || {
        let mut last_error = None;
        let (m, cv) = &*shared.dirty;
        loop {
            let finished = {
                let mut dirty = lock(m);
                while !*dirty && !done.load(Ordering::SeqCst) {
                    dirty = cv.wait(dirty).unwrap_or_else(|p| p.into_inner());
                }
                *dirty = false;
                done.load(Ordering::SeqCst)
            };
            let (encoded, version) = {
                let mut s = lock(&shared.state);
                (
                    persist.encode(&mut s),
                    shared.version.load(Ordering::SeqCst),
                )
            };
            let result = encoded.and_then(|bytes| persist.commit(bytes));
            shared.saved.send_modify(|s| match result {
                Ok(()) => s.version = version,
                Err(_) => s.failed = version,
            });
            if finished {
                return (last_error, result.err());
            }
            if let Err(e) = result {
                last_error = Some(e);
            }
        }
    })
}

fn skip_dependents(
    shared: &Shared,
    ops: &[Op],
    after: &[Vec<usize>],
    from: usize,
    failed: &mut BTreeSet<usize>,
) {
    let mut stack = vec![from];
    while let Some(i) = stack.pop() {
        for &j in &after[i] {
            if failed.insert(j) {
                let addr = match &ops[j] {
                    Op::Apply(n) => n.to_string(),
                    Op::Delete { block, .. } => block.clone(),
                };
                if matches!(ops[j], Op::Apply(Node::Resource(_)) | Op::Delete { .. }) {
                    shared.emit(Event::Skipped {
                        addr,
                        reason: "a dependency failed".into(),
                    });
                }
                stack.push(j);
            }
        }
    }
}

async fn run_op(s: &Arc<Shared>, op: &Op) -> Result<(), Vec<Diagnostic>> {
    match op {
        Op::Apply(Node::Local(n)) => {
            let local = &s.config.locals[n];
            let (count, each) = local.instance();
            let raw = evaluate(s, &local.value, count, each).map_err(|d| vec![d])?;
            let v = crate::config::expand::named_value(local, raw).map_err(|msg| {
                let e = &local.value;
                vec![Diagnostic::error("apply::module_input", msg).at(e.file, e.span())]
            })?;
            if let Ok(mut vals) = s.values.write() {
                vals.locals.insert(n.clone(), v);
            }
            Ok(())
        }
        Op::Apply(Node::Output(n)) => {
            let o = &s.config.outputs[n];
            output_conditions(s, n)?;
            let v = evaluate(s, &o.value, None, None).map_err(|d| vec![d])?;
            let out = Output {
                value: v.to_json(),
                sensitive: o.sensitive || v.has_sensitive(),
            };
            s.update_state(|st| {
                st.outputs.insert(n.clone(), out);
            });
            Ok(())
        }
        Op::Apply(Node::Resource(addr)) => apply_resource(s, addr).await,
        Op::Delete { block, replaced } => delete_block(s, block, *replaced).await,
    }
}

/// An output's preconditions, before its value is recorded.
fn output_conditions(s: &Shared, name: &str) -> Result<(), Vec<Diagnostic>> {
    if s.plan.mode == Mode::RefreshOnly {
        return Ok(());
    }
    let vals = s
        .values
        .read()
        .map_err(|_| vec![Diagnostic::error("apply::internal", "values lock poisoned")])?;
    let error = crate::diagnostics::Severity::Error;
    let fails = crate::plan::conditions::output_failures(&s.config, &vals, name, error);
    if fails.is_empty() {
        Ok(())
    } else {
        Err(fails)
    }
}

fn evaluate(
    s: &Shared,
    e: &crate::config::Expr,
    count: Option<usize>,
    each: Option<(String, Value)>,
) -> Result<Value, Diagnostic> {
    evaluate_bound(s, e, count, each, &[])
}

/// Evaluates with a `dynamic` block's iterators bound.
fn evaluate_bound(
    s: &Shared,
    e: &crate::config::Expr,
    count: Option<usize>,
    each: Option<(String, Value)>,
    bound: &crate::plan::body::Bound,
) -> Result<Value, Diagnostic> {
    let vals = s
        .values
        .read()
        .map_err(|_| Diagnostic::error("apply::internal", "values lock poisoned"))?;
    let scope = EvalScope {
        values: &vals,
        config: &s.config,
        count_index: count,
        each,
        module: &e.module,
    };
    eval_bound(&e.expr, &scope, bound).map_err(|err| {
        Diagnostic::error("apply::eval", err.message)
            .at(e.file, err.span)
            .maybe_help(err.help)
    })
}

fn changes_of<'a>(s: &'a Shared, block: &str) -> Vec<&'a ResourceChange> {
    let start = s.plan.changes.partition_point(|c| c.addr.as_str() < block);
    s.plan.changes[start..]
        .iter()
        .take_while(|c| c.addr.starts_with(block))
        .filter(|c| c.resource == block)
        .collect()
}

async fn apply_resource(s: &Arc<Shared>, addr: &str) -> Result<(), Vec<Diagnostic>> {
    let res = &s.config.resources[addr];
    let changes: Vec<ResourceChange> = changes_of(s, addr)
        .into_iter()
        .filter(|c| !matches!(c.action, Action::Delete { .. }))
        .cloned()
        .collect();
    let each_values = match &res.for_each {
        Some(f) => match evaluate(s, f, None, None).map_err(|d| vec![d])? {
            Value::Object(m) => m,
            Value::Set(items) => items
                .into_iter()
                .filter_map(|i| i.as_str().map(|k| (k.to_owned(), i.clone())))
                .collect(),
            _ => BTreeMap::new(),
        },
        None => BTreeMap::new(),
    };
    let mut tasks = tokio::task::JoinSet::new();
    for c in changes {
        let s2 = s.clone();
        let each = match &c.key {
            InstanceKey::Str(k) => Some((
                k.clone(),
                each_values.get(k).cloned().unwrap_or(Value::Null),
            )),
            _ => None,
        };
        tasks.spawn(async move {
            let r = apply_instance(&s2, &c, each).await;
            (c.key.clone(), r)
        });
    }
    let mut results: BTreeMap<InstanceKey, Value> = BTreeMap::new();
    let mut errors = Vec::new();
    while let Some(j) = tasks.join_next().await {
        match j {
            Ok((k, Ok(v))) => {
                results.insert(k, v);
            }
            Ok((_, Err(mut d))) => errors.append(&mut d),
            Err(e) => errors.push(Diagnostic::error(
                "apply::panic",
                format!("An internal task failed: {e}"),
            )),
        }
    }
    let inst = if res.count.is_some() {
        Instances::List(results.into_values().collect())
    } else if res.for_each.is_some() {
        Instances::Map(
            results
                .into_iter()
                .filter_map(|(k, v)| match k {
                    InstanceKey::Str(k) => Some((k, v)),
                    _ => None,
                })
                .collect(),
        )
    } else {
        Instances::Single(results.into_values().next().unwrap_or(Value::Null))
    };
    if let Ok(mut vals) = s.values.write() {
        vals.resources.insert(addr.to_owned(), inst);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn body_value(
    s: &Shared,
    body: &crate::config::Body,
    count: Option<usize>,
    each: &Option<(String, Value)>,
) -> Result<Value, Diagnostic> {
    crate::plan::body::body_value(body, &mut |e, bound| {
        evaluate_bound(s, e, count, each.clone(), bound)
    })
}

/// A data source read deferred from planning because its arguments were unknown then.
async fn read_data(
    s: &Arc<Shared>,
    c: &ResourceChange,
    each: Option<(String, Value)>,
) -> Result<Value, Diagnostic> {
    if let Some(v) = c.after.as_ref().filter(|v| !v.has_unknown()) {
        return Ok(v.clone());
    }
    let res = &s.config.resources[&c.resource];
    let count = match c.key {
        InstanceKey::Int(i) => Some(i),
        _ => None,
    };
    let config_value = body_value(s, &res.body, count, &each)?;
    let provider = s.providers.get(&c.provider).ok_or_else(|| {
        Diagnostic::error(
            "apply::provider",
            format!("Provider `{}` is not configured", c.provider),
        )
    })?;
    let v = provider
        .read_data(&c.ty, &config_value.clone().deep_unmark())
        .await
        .map_err(|e| {
            Diagnostic::error(
                "apply::data_source",
                format!("Reading `{}` failed: {}", c.addr, e.message),
            )
        })?;
    let schema = schema::lookup_in(&c.ty, true)
        .ok_or_else(|| Diagnostic::error("apply::schema", format!("No schema for `{}`", c.ty)))?;
    Ok(mark_read(schema, &config_value, v))
}

/// True if `actual` agrees with every known part of `planned`.
fn conforms(planned: &Value, actual: &Value) -> bool {
    match (planned.unmarked(), actual.unmarked()) {
        (Value::Unknown, _) => true,
        (Value::Object(p), Value::Object(a)) => {
            p.len() == a.len()
                && p.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|x| conforms(v, x)))
        }
        (Value::List(p), Value::List(a)) | (Value::Set(p), Value::Set(a)) => {
            p.len() == a.len() && p.iter().zip(a).all(|(x, y)| conforms(x, y))
        }
        (p, a) => p == a,
    }
}

/// Applies one instance between its conditions: preconditions first (those unknown at plan
/// are known now), postconditions on the object applied, which stays in state even when they
/// fail (it exists), as in Terraform.
async fn apply_instance(
    s: &Arc<Shared>,
    c: &ResourceChange,
    each: Option<(String, Value)>,
) -> Result<Value, Vec<Diagnostic>> {
    instance_conditions(s, c, &each, None)?;
    let v = apply_unchecked(s, c, each.clone())
        .await
        .map_err(|d| vec![d])?;
    instance_conditions(s, c, &each, Some(&v))?;
    Ok(v)
}

/// Checks an instance's preconditions (`self_value` None) or postconditions: every failure.
fn instance_conditions(
    s: &Shared,
    c: &ResourceChange,
    each: &Option<(String, Value)>,
    self_value: Option<&Value>,
) -> Result<(), Vec<Diagnostic>> {
    if s.plan.mode == Mode::RefreshOnly {
        return Ok(());
    }
    let vals = s
        .values
        .read()
        .map_err(|_| vec![Diagnostic::error("apply::internal", "values lock poisoned")])?;
    let res = &s.config.resources[&c.resource];
    let count = match c.key {
        InstanceKey::Int(i) => Some(i),
        _ => None,
    };
    let error = crate::diagnostics::Severity::Error;
    let fails = crate::plan::conditions::instance_failures(
        &s.config,
        &vals,
        res,
        (count, each.clone()),
        self_value,
        error,
    );
    if fails.is_empty() {
        Ok(())
    } else {
        Err(fails)
    }
}

async fn apply_unchecked(
    s: &Arc<Shared>,
    c: &ResourceChange,
    each: Option<(String, Value)>,
) -> Result<Value, Diagnostic> {
    let res = &s.config.resources[&c.resource];
    let schema = schema::lookup_in(&c.ty, c.mode == crate::config::Mode::Data)
        .ok_or_else(|| Diagnostic::error("apply::schema", format!("No schema for `{}`", c.ty)))?;
    if c.action == Action::Read {
        return read_data(s, c, each).await;
    }
    if c.action == Action::NoOp {
        return Ok(c.before.clone().unwrap_or(Value::Null));
    }
    let count = match c.key {
        InstanceKey::Int(i) => Some(i),
        _ => None,
    };
    let config_value = body_value(s, &res.body, count, &each)?;
    let prior = match &c.action {
        Action::Update => c.before.clone(),
        _ => None,
    };
    let out = diff(DiffInput {
        schema,
        prior: prior.as_ref(),
        config: config_value,
        ignore: &res.lifecycle.ignore_changes,
        forced: Vec::new(),
    });
    let planned = if c.action == Action::Update && out.action == Action::NoOp {
        c.after.clone().unwrap_or(out.planned)
    } else {
        out.planned
    };
    if let Some(p) = &c.after {
        if !conforms(p, &planned) {
            return Err(Diagnostic::error(
                "apply::inconsistent",
                format!(
                    "`{}`: the final configuration differs from the plan's known values",
                    c.addr
                ),
            )
            .help("this is a bug in keyway; please report it with the configuration"));
        }
    }
    let provider = s.providers.get(&c.provider).ok_or_else(|| {
        Diagnostic::error(
            "apply::provider",
            format!("Provider `{}` is not configured", c.provider),
        )
    })?;
    let (verb, past): (&'static str, &'static str) = match c.action {
        Action::Update => ("update", "updated"),
        _ => ("create", "created"),
    };
    let _permit = s.start(&c.addr).await?;
    s.emit(Event::Started {
        addr: c.addr.clone(),
        action: verb,
    });
    let start = Instant::now();
    let unmarked = planned.clone().deep_unmark();
    let result = match c.action {
        Action::Update => {
            let prior = c.before.clone().unwrap_or(Value::Null).deep_unmark();
            let call = provider.update(&c.ty, &prior, &unmarked);
            with_progress(s, &c.addr, verb, start, call).await
        }
        _ => create(s, c, &*provider, &planned, unmarked, start).await,
    };
    let new = match result {
        Ok(v) => v,
        Err(e) => return Err(failed(s, c, past, e)),
    };
    let new = remark(schema, &planned, new);
    let id = new.unmarked().as_object_id();
    let inst = ResourceInstance {
        resource_type: c.ty.clone(),
        provider: c.provider.clone(),
        attributes: new.to_json(),
        sensitive_paths: sensitive_paths(&new),
        dependencies: c.dependencies.clone(),
        create_before_destroy: creates_first(c),
        tainted: false,
    };
    s.update_state(|st| {
        st.pending.remove(&c.addr);
        st.resources.insert(c.addr.clone(), inst);
    });
    if c.action != Action::Update {
        if let Err(d) = provision(s, c, &new, count, &each, false).await {
            // Terraform's rule: an object whose create-time provisioner failed is tainted,
            // so the next apply replaces it.
            s.update_state(|st| {
                if let Some(inst) = st.resources.get_mut(&c.addr) {
                    inst.tainted = true;
                }
            });
            return Err(d);
        }
    }
    // As Terraform reports it: an object is created once its provisioners have run.
    s.emit(Event::Finished {
        addr: c.addr.clone(),
        action: past,
        elapsed: start.elapsed(),
        id,
    });
    Ok(new)
}

/// Runs the resource's create-time (`destroy` false) or destroy-time provisioners for one
/// instance, in order; `self` is `value`. A failure stops the rest unless the provisioner
/// says `on_failure = continue`.
async fn provision(
    s: &Arc<Shared>,
    c: &ResourceChange,
    value: &Value,
    count: Option<usize>,
    each: &Option<(String, Value)>,
    destroy: bool,
) -> Result<(), Diagnostic> {
    let Some(res) = s.config.resources.get(&c.resource) else {
        return Ok(());
    };
    let base = s
        .values
        .read()
        .map(|v| v.dir.clone())
        .map_err(|_| Diagnostic::error("apply::internal", "values lock poisoned"))?;
    for p in res
        .provisioners
        .iter()
        .filter(|p| p.when_destroy == destroy)
    {
        let emit = |line: String| {
            s.emit(Event::Output {
                addr: c.addr.clone(),
                line,
            })
        };
        emit(": Provisioning with 'local-exec'...".into());
        let mut eval =
            |e: &crate::config::Expr| evaluate_with_self(s, e, count, each.clone(), value);
        let cmd = crate::apply::provision::prepare(p, &base, &mut eval)?;
        match crate::apply::provision::run(&cmd, &base, &emit).await {
            Ok(()) => {}
            Err(msg) if p.on_failure_continue => emit(format!(
                " (local-exec): {msg} (on_failure = continue: going on)"
            )),
            Err(msg) => {
                return Err(
                    Diagnostic::error("apply::provisioner", format!("`{}`: {msg}", c.addr))
                        .at(p.file, p.span.clone()),
                )
            }
        }
    }
    Ok(())
}

/// [`evaluate`] with `self` bound to the instance's object (provisioners).
fn evaluate_with_self(
    s: &Shared,
    e: &crate::config::Expr,
    count: Option<usize>,
    each: Option<(String, Value)>,
    value: &Value,
) -> Result<Value, Diagnostic> {
    let vals = s
        .values
        .read()
        .map_err(|_| Diagnostic::error("apply::internal", "values lock poisoned"))?;
    let scope = EvalScope {
        values: &vals,
        config: &s.config,
        count_index: count,
        each,
        module: &e.module,
    };
    let scope = crate::plan::conditions::WithSelf {
        inner: &scope,
        value,
    };
    crate::lang::eval::eval(&e.expr, &scope).map_err(|err| {
        Diagnostic::error("apply::eval", err.message)
            .at(e.file, err.span)
            .maybe_help(err.help)
    })
}

fn creates_first(c: &ResourceChange) -> bool {
    matches!(
        c.action,
        Action::Replace {
            create_first: true,
            ..
        }
    )
}

/// Creates the object of `c`, recording the creation in state durably before the request is
/// sent: whatever kills keyway after that, the next run finds the object (`plan::intents`).
async fn create(
    s: &Arc<Shared>,
    c: &ResourceChange,
    provider: &dyn crate::providers::Provider,
    planned: &Value,
    unmarked: Value,
    start: Instant,
) -> crate::providers::Result<Value> {
    // Objects that exist only in state (terraform_data) cannot be orphaned.
    let record = !provider.state_only(&c.ty);
    let unmarked = if record {
        provider
            .prepare_create(&c.ty, &unmarked, c.note.as_deref())
            .await?
    } else {
        unmarked
    };
    let pending = ResourceInstance {
        resource_type: c.ty.clone(),
        provider: c.provider.clone(),
        attributes: unmarked.to_json(),
        sensitive_paths: sensitive_paths(planned),
        dependencies: c.dependencies.clone(),
        create_before_destroy: creates_first(c),
        tainted: false,
    };
    let version = s.update_state(|st| {
        if creates_first(c) {
            // Keep the old object in state under a deposed address until it is deleted, so
            // that it is never forgotten whatever happens in between.
            if let Some(old) = st.resources.remove(&c.addr) {
                let slot = free_deposed_slot(st, &c.addr);
                lock(&s.deposed).insert(c.addr.clone(), slot.clone());
                st.resources.insert(slot, old);
            }
        }
        if record {
            st.pending
                .insert(c.addr.clone(), crate::state::PendingCreate::now(pending));
        }
    });
    if record {
        s.saved(version).await.map_err(|e| {
            crate::providers::ProviderError::new(format!(
                "not sent: the creation could not be recorded in state first ({e})"
            ))
        })?;
    }
    // The plan said what this creation really is (an undelete): the provider may go
    // straight to it.
    let call = async {
        match &c.note {
            Some(note) => provider.create_as_noted(&c.ty, &unmarked, note).await,
            None => provider.create(&c.ty, &unmarked).await,
        }
    };
    let result = with_progress(s, &c.addr, "create", start, call).await;
    if record && result.as_ref().is_err_and(|e| e.already_exists) {
        // The name belongs to an object this run did not make: nothing to look up later,
        // and adopting it then would take someone else's object. Saved before the error is
        // reported, so a kill right after cannot leave the entry behind.
        let version = s.update_state(|st| {
            st.pending.remove(&c.addr);
        });
        let _ = s.saved(version).await;
    }
    result
}

/// Reports a failed create or update. Any other failure keeps the pending creation in
/// state: the request may have created the object (or part of it, such as an undeleted key
/// whose update failed), and the next run looks.
fn failed(
    s: &Shared,
    c: &ResourceChange,
    past: &str,
    e: crate::providers::ProviderError,
) -> Diagnostic {
    s.emit(Event::Failed {
        addr: c.addr.clone(),
        message: e.message.clone(),
    });
    let d = Diagnostic::error(
        "apply::provider",
        format!("`{}` could not be {past}: {}", c.addr, e.message),
    );
    if e.already_exists {
        return d.help(format!(
            "an object of that name exists but keyway has no record of creating it; to manage \
             it here, run `keyway import {} ID`, or give this resource another name",
            c.addr
        ));
    }
    d
}

async fn with_progress<T>(
    s: &Shared,
    addr: &str,
    verb: &'static str,
    start: Instant,
    fut: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(fut);
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(10),
        Duration::from_secs(10),
    );
    loop {
        tokio::select! {
            out = &mut fut => return out,
            _ = tick.tick() => s.emit(Event::Progress { addr: addr.to_owned(), action: verb, elapsed: start.elapsed() }),
        }
    }
}

/// Re-applies sensitive marks from the plan (config-derived) and the schema to a provider's
/// unmarked result.
fn remark(schema: &crate::schema::ResourceSchema, planned: &Value, new: Value) -> Value {
    let paths = sensitive_paths(planned);
    let inst = ResourceInstance {
        attributes: new.to_json(),
        sensitive_paths: paths,
        ..Default::default()
    };
    let mut secrets = Vec::new();
    secret_leaves(planned, false, &mut secrets);
    mark(schema, mark_copies(from_state(&inst), &secrets))
}

/// The first deposed address of `addr` that state does not hold yet: an object deposed by
/// an earlier, interrupted run keeps its own.
fn free_deposed_slot(st: &State, addr: &str) -> String {
    (1..)
        .map(|n| crate::plan::scope::deposed_addr(addr, n))
        .find(|a| !st.resources.contains_key(a))
        .unwrap_or_else(|| crate::plan::scope::deposed_addr(addr, 1))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn delete_block(s: &Arc<Shared>, block: &str, replaced: bool) -> Result<(), Vec<Diagnostic>> {
    let changes: Vec<ResourceChange> = changes_of(s, block)
        .into_iter()
        .filter(|c| match &c.action {
            Action::Delete { .. } => !replaced,
            Action::Replace { .. } => replaced,
            _ => false,
        })
        .cloned()
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for c in changes {
        let s2 = s.clone();
        tasks.spawn(async move { delete_instance(&s2, &c).await });
    }
    let mut errors = Vec::new();
    while let Some(j) = tasks.join_next().await {
        match j {
            Ok(Ok(())) => {}
            Ok(Err(d)) => errors.push(d),
            Err(e) => errors.push(Diagnostic::error(
                "apply::panic",
                format!("An internal task failed: {e}"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

async fn delete_instance(s: &Arc<Shared>, c: &ResourceChange) -> Result<(), Diagnostic> {
    let state_addr = match c.action {
        Action::Replace {
            create_first: true, ..
        } => match lock(&s.deposed).get(&c.addr) {
            Some(slot) => slot.clone(),
            // Not replaced by this run (its creation failed or never started).
            None => return Ok(()),
        },
        _ => c.addr.clone(),
    };
    let prior = lock(&s.state).resources.get(&state_addr).cloned();
    let prior = match prior {
        Some(p) => p,
        None => return Ok(()),
    };
    let provider = s.providers.get(&prior.provider).ok_or_else(|| {
        Diagnostic::error(
            "apply::provider",
            format!("Provider `{}` is not configured", prior.provider),
        )
    })?;
    let _permit = s.start(&state_addr).await?;
    let (count, each) = match &c.key {
        InstanceKey::Int(i) => (Some(*i), None),
        InstanceKey::Str(k) => (None, Some((k.clone(), Value::Null))),
        _ => (None, None),
    };
    s.emit(Event::Started {
        addr: state_addr.clone(),
        action: "destroy",
    });
    let start = Instant::now();
    if let Err(d) = provision(s, c, &from_state(&prior), count, &each, true).await {
        s.emit(Event::Failed {
            addr: state_addr.clone(),
            message: d.message.clone(),
        });
        return Err(d);
    }
    let value = from_state(&prior).deep_unmark();
    let result = with_progress(
        s,
        &state_addr,
        "destroy",
        start,
        provider.delete(&prior.resource_type, &value),
    )
    .await;
    match result {
        Ok(()) => {
            s.update_state(|st| {
                st.resources.remove(&state_addr);
            });
            s.emit(Event::Finished {
                addr: state_addr,
                action: "destroyed",
                elapsed: start.elapsed(),
                id: None,
            });
            Ok(())
        }
        Err(e) => {
            s.emit(Event::Failed {
                addr: state_addr.clone(),
                message: e.message.clone(),
            });
            Err(Diagnostic::error(
                "apply::provider",
                format!("`{state_addr}` could not be destroyed: {}", e.message),
            ))
        }
    }
}

trait ObjectId {
    fn as_object_id(&self) -> Option<String>;
}

impl ObjectId for Value {
    fn as_object_id(&self) -> Option<String> {
        match self {
            Value::Object(m) => m.get("id").and_then(|v| v.as_str()).map(str::to_owned),
            _ => None,
        }
    }
}
