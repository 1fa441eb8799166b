//! The dependency graph of a configuration: locals, resources, data sources and outputs as
//! nodes, edges from references and `depends_on`. Built with petgraph; `NodeIndex` never
//! leaves this module — callers speak in [`Node`]s.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::config::{Config, Expr, ModuleInstance, Resource};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::lang::refs::references;

/// A vertex of the graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// A `locals` entry.
    Local(String),
    /// A resource or data block, by address.
    Resource(String),
    /// An `output`.
    Output(String),
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Module values are keyed by their whole address (`module.api.var.x`).
            Node::Local(n) if n.contains('.') => f.write_str(n),
            Node::Local(n) => write!(f, "local.{n}"),
            Node::Resource(a) => f.write_str(a),
            Node::Output(n) => write!(f, "output.{n}"),
        }
    }
}

/// The graph in dependency order.
#[derive(Clone, Debug)]
pub struct Graph {
    /// Nodes, dependencies before dependents; ties in name order.
    pub order: Vec<Node>,
    /// Direct dependencies of each node.
    pub deps: BTreeMap<Node, BTreeSet<Node>>,
}

impl Graph {
    /// Resource addresses a node depends on, directly or through locals.
    pub fn resource_deps(&self, node: &Node) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack: Vec<&Node> = self.deps.get(node).into_iter().flatten().collect();
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            match n {
                Node::Resource(a) => {
                    out.insert(a.clone());
                }
                _ => stack.extend(self.deps.get(n).into_iter().flatten()),
            }
        }
        out
    }

    /// Every node that depends on `node`, transitively.
    pub fn dependents(&self, node: &Node) -> BTreeSet<Node> {
        let mut out = BTreeSet::new();
        let mut changed = true;
        out.insert(node.clone());
        while changed {
            changed = false;
            for n in &self.order {
                if !out.contains(n) && self.deps[n].iter().any(|d| out.contains(d)) {
                    out.insert(n.clone());
                    changed = true;
                }
            }
        }
        out.remove(node);
        out
    }

    /// Every node `node` depends on, transitively.
    pub fn dependencies(&self, node: &Node) -> BTreeSet<Node> {
        let mut out = BTreeSet::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            for d in self.deps.get(n).into_iter().flatten() {
                if out.insert(d.clone()) {
                    stack.push(d);
                }
            }
        }
        out
    }
}

/// The nodes an expression reference points at, resolved in the module `m` the expression
/// belongs to: a module call's reference reads its outputs (`whole`: in `depends_on`, also
/// every resource inside it).
fn targets(config: &Config, m: &ModuleInstance, names: &[String], whole: bool) -> Vec<Node> {
    let Some(second) = names.get(1) else {
        return Vec::new();
    };
    match names[0].as_str() {
        "local" => vec![Node::Local(m.local_key(second))],
        "var" if m.prefix.is_empty() => Vec::new(),
        "var" => vec![Node::Local(m.var_key(second))],
        "count" | "each" | "path" | "terraform" | "self" => Vec::new(),
        "data" => names
            .get(2)
            .map(|n| Node::Resource(format!("{}data.{second}.{n}", m.prefix)))
            .into_iter()
            .collect(),
        "module" => module_targets(config, &m.call_key(second), names.get(2), whole),
        root => vec![Node::Resource(format!("{}{root}.{second}", m.prefix))],
    }
}

/// The outputs of every instance of the module call `key` (only `output` when it names
/// one), and with `whole` every resource inside them.
fn module_targets(config: &Config, key: &str, output: Option<&String>, whole: bool) -> Vec<Node> {
    let Some(call) = config.module_instances.get(key) else {
        return Vec::new();
    };
    let named = output.filter(|o| call.outputs.contains(o) && !whole);
    let mut out = Vec::new();
    for (_, inst) in &call.instances {
        for o in &call.outputs {
            if named.is_none_or(|n| n == o) {
                out.push(Node::Local(inst.output_key(o)));
            }
        }
        if whole {
            out.extend(
                config
                    .resources
                    .range(inst.prefix.clone()..)
                    .take_while(|(a, _)| a.starts_with(&inst.prefix))
                    .map(|(a, _)| Node::Resource(a.clone())),
            );
        }
    }
    out
}

fn refs_of<'a>(config: &Config, exprs: impl Iterator<Item = &'a Expr>) -> BTreeSet<Node> {
    exprs
        .flat_map(|e| {
            references(&e.expr)
                .into_iter()
                .flat_map(|r| targets(config, &e.module, &r.names, false))
        })
        .collect()
}

/// `depends_on` entries: a module named there means everything in it.
fn depends_of<'a>(config: &Config, exprs: impl Iterator<Item = &'a Expr>) -> BTreeSet<Node> {
    exprs
        .flat_map(|e| {
            references(&e.expr)
                .into_iter()
                .flat_map(|r| targets(config, &e.module, &r.names, true))
        })
        .collect()
}

/// What a resource inside a module waits for because its module call (or an enclosing one)
/// has `depends_on`.
fn inherited_depends(config: &Config, r: &Resource) -> BTreeSet<Node> {
    let mut out = BTreeSet::new();
    let mut m = Some(&r.module);
    while let Some(inst) = m {
        out.extend(depends_of(config, inst.depends_on.iter()));
        m = inst.parent.as_ref();
    }
    out
}

fn resource_exprs(r: &Resource) -> Vec<&Expr> {
    let mut v: Vec<&Expr> = Vec::new();
    v.extend(r.count.iter());
    v.extend(r.for_each.iter());
    v.extend(r.lifecycle.replace_triggered_by.iter());
    v.extend(r.lifecycle.create_before_destroy.iter());
    v.extend(r.lifecycle.prevent_destroy.iter());
    // What a condition reads must be planned and applied before it is judged.
    for c in r
        .lifecycle
        .preconditions
        .iter()
        .chain(&r.lifecycle.postconditions)
    {
        v.push(&c.condition);
        v.push(&c.error_message);
    }
    fn body<'a>(b: &'a crate::config::Body, v: &mut Vec<&'a Expr>) {
        v.extend(b.attrs.values());
        for nb in &b.blocks {
            // A `dynamic` block's `for_each` decides which blocks exist: its references order
            // the resource too.
            v.extend(nb.dynamic.iter().map(|d| &d.for_each));
            body(&nb.body, v);
        }
    }
    body(&r.body, &mut v);
    // A create-time provisioner runs after what it reads exists; a destroy-time one reads
    // only `self`, `count` and `each`.
    for p in r.provisioners.iter().filter(|p| !p.when_destroy) {
        v.extend(p.body.attrs.values());
    }
    v
}

/// Builds the graph; a cycle is an error naming every member.
pub fn build(config: &Config) -> Result<Graph, Diagnostics> {
    let mut deps: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for (name, local) in &config.locals {
        let mut d = refs_of(config, std::iter::once(&local.value));
        if let crate::config::LocalKind::Output { depends_on, .. } = &local.kind {
            d.extend(depends_of(config, depends_on.iter()));
        }
        deps.insert(Node::Local(name.clone()), d);
    }
    for (addr, r) in &config.resources {
        let mut d = refs_of(config, resource_exprs(r).into_iter());
        d.extend(depends_of(config, r.depends_on.iter()));
        d.extend(inherited_depends(config, r));
        deps.insert(Node::Resource(addr.clone()), d);
    }
    for (name, o) in &config.outputs {
        let conds = o.preconditions.iter();
        let exprs =
            std::iter::once(&o.value).chain(conds.flat_map(|c| [&c.condition, &c.error_message]));
        let mut d = refs_of(config, exprs);
        d.extend(depends_of(config, o.depends_on.iter()));
        deps.insert(Node::Output(name.clone()), d);
    }
    add_implicit(config, &mut deps);
    // References to undeclared things were reported by validation; drop them here.
    let known: BTreeSet<Node> = deps.keys().cloned().collect();
    for set in deps.values_mut() {
        set.retain(|n| known.contains(n));
    }
    let mut g: DiGraph<Node, ()> = DiGraph::new();
    let idx: BTreeMap<Node, NodeIndex> = known
        .iter()
        .map(|n| (n.clone(), g.add_node(n.clone())))
        .collect();
    for (n, ds) in &deps {
        for d in ds {
            g.add_edge(idx[d], idx[n], ());
        }
    }
    if toposort(&g, None).is_err() {
        return Err(cycle_error(config, &g));
    }
    Ok(Graph {
        order: stable_order(&deps),
        deps,
    })
}

/// Resources wait for the enablement of the API they call (`config::enablement`), unless
/// that enablement itself depends on them (then the folder's own edges decide).
/// A deployment waits for every part of the API it snapshots (`config::snapshots`), and a usage
/// plan for the stages it names by name (`config::api_parts`), with the same proviso.
fn add_implicit(config: &Config, deps: &mut BTreeMap<Node, BTreeSet<Node>>) {
    let snapshots = crate::config::snapshots::parts(config)
        .into_iter()
        .map(|(addr, covered)| (addr, covered.parts));
    let stages = crate::config::api_parts::stage_deps(config);
    for (addr, blocks) in crate::config::enablement::implicit_deps(config)
        .into_iter()
        .chain(snapshots)
        .chain(stages)
    {
        let node = Node::Resource(addr);
        for block in blocks {
            let service = Node::Resource(block);
            if service != node && !reaches(deps, &service, &node) {
                deps.entry(node.clone()).or_default().insert(service);
            }
        }
    }
}

/// True if `from` depends on `to`, directly or not.
fn reaches(deps: &BTreeMap<Node, BTreeSet<Node>>, from: &Node, to: &Node) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n) {
            stack.extend(deps.get(n).into_iter().flatten());
        }
    }
    false
}

/// Kahn's algorithm with a sorted ready set, so the order is deterministic.
fn stable_order(deps: &BTreeMap<Node, BTreeSet<Node>>) -> Vec<Node> {
    let mut remaining: BTreeMap<&Node, usize> = deps.iter().map(|(n, d)| (n, d.len())).collect();
    let mut dependents: BTreeMap<&Node, Vec<&Node>> = BTreeMap::new();
    for (n, ds) in deps {
        for d in ds {
            dependents.entry(d).or_default().push(n);
        }
    }
    let mut ready: BTreeSet<&Node> = remaining
        .iter()
        .filter(|(_, c)| **c == 0)
        .map(|(n, _)| *n)
        .collect();
    let mut order = Vec::with_capacity(deps.len());
    while let Some(n) = ready.pop_first() {
        order.push(n.clone());
        for d in dependents.get(n).into_iter().flatten() {
            if let Some(c) = remaining.get_mut(d) {
                *c -= 1;
                if *c == 0 {
                    ready.insert(d);
                }
            }
        }
    }
    order
}

fn cycle_error(config: &Config, g: &DiGraph<Node, ()>) -> Diagnostics {
    let mut diags = Vec::new();
    for scc in tarjan_scc(g) {
        let is_cycle = scc.len() > 1 || g.contains_edge(scc[0], scc[0]);
        if !is_cycle {
            continue;
        }
        let mut members: Vec<&Node> = scc.iter().map(|i| &g[*i]).collect();
        members.sort_by_key(|n| n.to_string());
        diags.push(cycle_diagnostic(config, &members));
    }
    Diagnostics(diags)
}

/// One cycle's error: at its first member with a place, every other member in the same
/// file labelled too, and all of them listed with their lines in the help.
fn cycle_diagnostic(config: &Config, members: &[&Node]) -> Diagnostic {
    let names: Vec<String> = members.iter().map(|n| n.to_string()).collect();
    let places: Vec<_> = members.iter().map(|n| place(config, n)).collect();
    let listed: Vec<String> = names
        .iter()
        .zip(&places)
        .map(|(name, at)| match at {
            Some((file, span)) => {
                let (line, _) = config.sources.line_col(*file, span.start);
                format!("`{name}` ({} line {line})", config.sources.get(*file).name)
            }
            None => format!("`{name}`"),
        })
        .collect();
    let mut d =
        Diagnostic::error("graph::cycle", format!("Cycle: {}", names.join(", "))).help(format!(
            "each of these refers to the next, directly or through locals; break the loop: {}",
            listed.join(", ")
        ));
    let mut located = places
        .iter()
        .zip(&names)
        .filter_map(|(p, n)| p.clone().map(|p| (p, n)));
    if let Some(((file, span), _)) = located.next() {
        d = d.at(file, Some(span)).label("part of the cycle");
        for ((_, span), name) in located.filter(|((f, _), _)| *f == file) {
            d = d.also(span, format!("`{name}`, part of the cycle"));
        }
    }
    d
}

/// Where a node is written: a resource's header, a local's `name = value`, an output's block.
fn place(
    config: &Config,
    node: &Node,
) -> Option<(crate::diagnostics::FileId, std::ops::Range<usize>)> {
    match node {
        Node::Resource(a) => config
            .resources
            .get(a)
            .and_then(|r| Some((r.file, r.span.clone()?))),
        Node::Local(name) => config.locals.get(name).and_then(|l| {
            let value = l.value.span()?;
            let start = l
                .value
                .argument_name_span(&config.sources, &l.name)
                .map_or(value.start, |s| s.start);
            Some((l.value.file, start..value.end))
        }),
        Node::Output(name) => config
            .outputs
            .get(name)
            .and_then(|o| Some((o.file, o.span.clone()?))),
    }
}
