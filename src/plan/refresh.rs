//! Refresh: asks providers what still exists, one batch per resource type, concurrently.
//! The only IO of planning.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::plan::values::{from_state, sensitive_paths};
use crate::providers::Registry;
use crate::state::{ResourceInstance, State};

/// Refreshes every managed instance in `state`; returns the refreshed state, the addresses
/// whose objects changed or disappeared, and those objects as state held them.
pub async fn refresh(state: State, providers: &Registry) -> Result<Refreshed, Vec<Diagnostic>> {
    let mut by_type: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (addr, inst) in &state.resources {
        if addr.starts_with("data.") {
            continue;
        }
        by_type
            .entry((inst.provider.clone(), inst.resource_type.clone()))
            .or_default()
            .push(addr.clone());
    }
    let mut tasks = tokio::task::JoinSet::new();
    for ((provider, ty), addrs) in by_type {
        let Some(p) = providers.get(&provider) else {
            return Err(vec![Diagnostic::error(
                "plan::provider",
                format!(
                    "State holds `{}` of provider `{provider}`, which is not configured",
                    addrs[0]
                ),
            )]);
        };
        if p.state_only(&ty) {
            continue;
        }
        let priors: Vec<_> = addrs
            .iter()
            .map(|a| from_state(&state.resources[a]).deep_unmark())
            .collect();
        tasks.spawn(async move {
            let result = p.refresh(&ty, &priors).await;
            (ty, addrs, result)
        });
    }
    let mut refreshed = state;
    let mut drift = Vec::new();
    let mut before = BTreeMap::new();
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((ty, addrs, result)) = joined else {
            continue;
        };
        match result {
            Ok(values) => {
                for (addr, v) in addrs.into_iter().zip(values) {
                    if let Some(old) = apply_refresh(&mut refreshed, &addr, v) {
                        drift.push(addr.clone());
                        before.insert(addr, old);
                    }
                }
            }
            Err(e) => errors.push(Diagnostic::error(
                "plan::refresh",
                format!("Refreshing `{ty}` failed: {e}"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    drift.sort();
    Ok(Refreshed {
        state: refreshed,
        drift,
        before,
    })
}

/// What a refresh found.
pub struct Refreshed {
    /// The state with every object as it is now.
    pub state: State,
    /// Instances changed or gone outside keyway, sorted.
    pub drift: Vec<String>,
    /// Those instances as state held them before the refresh.
    pub before: BTreeMap<String, ResourceInstance>,
}

/// Records one refreshed object; returns the instance as it was when it changed or went.
fn apply_refresh(
    state: &mut State,
    addr: &str,
    v: Option<crate::lang::Value>,
) -> Option<ResourceInstance> {
    match v {
        None => state.resources.remove(addr),
        Some(v) => {
            let inst = state.resources.get_mut(addr)?;
            let json = v.to_json();
            if json == inst.attributes {
                return None;
            }
            let old = inst.clone();
            // Keep the marks state had: refresh returns unmarked objects.
            let marked_before = from_state(inst);
            inst.attributes = json;
            let mut paths = sensitive_paths(&marked_before);
            paths.retain(|p| inst.attributes.pointer(p).is_some());
            inst.sensitive_paths = paths;
            let counted =
                only_counters_moved(&inst.resource_type, &old.attributes, &inst.attributes);
            (!counted).then_some(old)
        }
    }
}

/// True when the only attributes a refresh changed are counters other objects move (schema
/// `counter`: a policy's `attachment_count` grows when keyway attaches it): the new values
/// are recorded, but that is not a change made outside keyway.
fn only_counters_moved(ty: &str, before: &serde_json::Value, after: &serde_json::Value) -> bool {
    let Some(schema) = crate::schema::lookup_in(ty, false) else {
        return false;
    };
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return false;
    };
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let mut moved = keys
        .into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .peekable();
    moved.peek().is_some()
        && moved.all(|k| schema.attributes.get(k).is_some_and(|attr| attr.counter))
}
