//! Creation notes: after the (pure) planner, asks each provider, once per resource type, what
//! the planned creations (plain, or the new half of a replacement) will really do, so the plan
//! can say "will be undeleted and updated" instead of "will be created" where a create restores
//! a recently deleted object, or what a replacement makes anew (an API key's new key string and
//! ID). IO, like refresh; advisory: a provider that cannot tell (an API not enabled yet, an
//! unknown project) leaves the plain wording, and never does what the plan did not announce.

use std::collections::BTreeMap;

use crate::plan::{Action, Plan};
use crate::providers::{Creation, Registry};

/// Sets `note` on the plan's creations the providers have something to say about.
pub async fn annotate(plan: &mut Plan, providers: &Registry) {
    let mut by_type: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let creates = matches!(c.action, Action::Create | Action::Replace { .. });
        if creates && c.mode == crate::config::Mode::Managed {
            by_type
                .entry((c.provider.clone(), c.ty.clone()))
                .or_default()
                .push(i);
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for ((provider, ty), idx) in by_type {
        let Some(p) = providers.get(&provider) else {
            continue;
        };
        let planned: Vec<_> = idx
            .iter()
            .map(|&i| Creation {
                planned: plan.changes[i]
                    .after
                    .clone()
                    .unwrap_or_default()
                    .deep_unmark(),
                replaces: matches!(plan.changes[i].action, Action::Replace { .. }),
            })
            .collect();
        tasks.spawn(async move { (idx, p.creation_notes(&ty, &planned).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let Ok((idx, Ok(notes))) = joined else {
            continue;
        };
        for (i, note) in idx.into_iter().zip(notes) {
            plan.changes[i].note = note;
        }
    }
}
