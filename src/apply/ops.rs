//! The apply graph: which operations run, and which must finish before which. Built from the
//! configuration graph and the plan's actions; pure.

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::{Graph, Node};
use crate::plan::scope::deposed_block;
use crate::plan::{Action, Mode, Plan};

/// One schedulable operation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// Evaluate a local or output, or create/update the instances of a resource block.
    Apply(Node),
    /// Delete the instances of a block that the plan removes (`replaced`: the old objects of
    /// replacements; otherwise instances that go away).
    Delete {
        /// Resource address.
        block: String,
        /// True for the delete half of replacements.
        replaced: bool,
    },
}

/// Operations with their prerequisites.
#[derive(Debug, Default)]
pub struct Schedule {
    /// Every operation.
    pub ops: Vec<Op>,
    /// `before[i]`: operations that must finish before `ops[i]` starts.
    pub before: Vec<BTreeSet<usize>>,
}

/// Builds the schedule for a plan.
pub fn schedule(graph: &Graph, plan: &Plan) -> Schedule {
    let mut ops: Vec<Op> = Vec::new();
    if plan.mode != Mode::Destroy {
        ops.extend(graph.order.iter().cloned().map(Op::Apply));
    }
    let mut deletes: BTreeSet<(String, bool)> = BTreeSet::new();
    let mut create_first: BTreeSet<String> = BTreeSet::new();
    let mut delete_first: BTreeSet<String> = BTreeSet::new();
    for c in &plan.changes {
        match &c.action {
            Action::Delete { .. } => {
                deletes.insert((c.resource.clone(), false));
            }
            Action::Replace {
                create_first: cf, ..
            } => {
                deletes.insert((c.resource.clone(), true));
                if *cf {
                    create_first.insert(c.resource.clone());
                } else {
                    delete_first.insert(c.resource.clone());
                }
            }
            _ => {}
        }
    }
    ops.extend(deletes.iter().map(|(b, r)| Op::Delete {
        block: b.clone(),
        replaced: *r,
    }));
    let index: BTreeMap<Op, usize> = ops
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, o)| (o, i))
        .collect();
    let mut before = vec![BTreeSet::new(); ops.len()];
    let apply_of = |a: &str| index.get(&Op::Apply(Node::Resource(a.to_owned()))).copied();
    let del_of = |a: &str, r: bool| {
        index
            .get(&Op::Delete {
                block: a.to_owned(),
                replaced: r,
            })
            .copied()
    };

    // Creates and updates follow their dependencies.
    for (node, deps) in &graph.deps {
        let Some(&i) = index.get(&Op::Apply(node.clone())) else {
            continue;
        };
        for d in deps {
            if let Some(&j) = index.get(&Op::Apply(d.clone())) {
                before[i].insert(j);
            }
        }
    }
    // Deletions of what depends on X happen before X's deletion (reverse order).
    let mut deps_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in &plan.changes {
        deps_of
            .entry(&c.resource)
            .or_default()
            .extend(c.dependencies.iter().map(String::as_str));
    }
    for inst in plan.prior.resources.iter() {
        let block = crate::plan::InstanceKey::split(inst.0).0;
        deps_of
            .entry(block)
            .or_default()
            .extend(inst.1.dependencies.iter().map(String::as_str));
    }
    for (b, r) in &deletes {
        let Some(i) = del_of(b, *r) else { continue };
        // An object deposed by an earlier, interrupted run goes like the old half of its
        // block's replacement: after what depends on the block has switched to the new one.
        let base = deposed_block(b);
        if let Some(base) = base {
            after_switch(graph, &index, base, i, &mut before);
        }
        for (dependent, ds) in &deps_of {
            if !ds.contains(b.as_str()) && !base.is_some_and(|base| ds.contains(base)) {
                continue;
            }
            for rr in [false, true] {
                if let Some(j) = del_of(dependent, rr) {
                    if j != i {
                        before[i].insert(j);
                    }
                }
            }
            // A dependent that stays is updated away from X before X goes; a replaced-later
            // X would make this a cycle, so only plain deletions wait.
            if !*r {
                if let Some(j) = apply_of(dependent) {
                    before[i].insert(j);
                }
            }
        }
    }
    for b in &delete_first {
        if let (Some(i), Some(j)) = (apply_of(b), del_of(b, true)) {
            before[i].insert(j);
        }
    }
    for b in &create_first {
        let Some(i) = del_of(b, true) else { continue };
        after_switch(graph, &index, b, i, &mut before);
    }
    Schedule { ops, before }
}

/// Makes the deletion `i` of an old object of `block` wait for the new object and for
/// everything that depends on it to switch over.
fn after_switch(
    graph: &Graph,
    index: &BTreeMap<Op, usize>,
    block: &str,
    i: usize,
    before: &mut [BTreeSet<usize>],
) {
    let node = Node::Resource(block.to_owned());
    if let Some(&j) = index.get(&Op::Apply(node.clone())) {
        before[i].insert(j);
    }
    for dependent in graph.dependents(&node) {
        if let Some(&j) = index.get(&Op::Apply(dependent)) {
            before[i].insert(j);
        }
    }
}
