//! Pending creations: apply records each create in state before sending it, so a run killed
//! between the request and its answer leaves one behind. Before anything is planned, each is
//! looked up (one refresh batch per type, by the name recorded) and adopted into state when
//! the object exists, or dropped when it does not. IO, like refresh.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::plan::values::from_state;
use crate::providers::Registry;
use crate::state::{PendingCreate, ResourceInstance, State};

/// Resolves every pending creation of `state`. Returns the state without pending entries and
/// one warning per entry saying what became of it.
pub async fn resolve(
    mut state: State,
    providers: &Registry,
) -> Result<(State, Vec<Diagnostic>), Vec<Diagnostic>> {
    let pending = std::mem::take(&mut state.pending);
    let mut by_type: BTreeMap<(String, String), Vec<(String, PendingCreate)>> = BTreeMap::new();
    for (addr, p) in pending {
        let key = (
            p.instance.provider.clone(),
            p.instance.resource_type.clone(),
        );
        by_type.entry(key).or_default().push((addr, p));
    }
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    for ((provider, ty), entries) in by_type {
        let Some(p) = providers.get(&provider) else {
            errors.push(unconfigured(&entries[0].0, &provider));
            state.pending.extend(entries);
            continue;
        };
        if p.state_only(&ty) {
            continue;
        }
        let planned: Vec<_> = entries
            .iter()
            .map(|(_, p)| from_state(&p.instance).deep_unmark())
            .collect();
        for ((_, entry), v) in entries.iter().zip(&planned) {
            // Lets the lookup wait out Google's listing lag for an object made moments ago.
            p.note_recent_creation(&ty, v, entry.age());
        }
        match p.refresh(&ty, &planned).await {
            Ok(found) => {
                for ((addr, inst), v) in entries.into_iter().zip(found) {
                    settle(&mut state, addr, inst, v, &mut notes, &mut errors);
                }
            }
            Err(e) => {
                errors.push(
                    Diagnostic::error(
                        "plan::pending",
                        format!(
                            "Looking up `{}` (an earlier run stopped while creating it) failed: {e}",
                            entries[0].0
                        ),
                    )
                    .help(format!(
                        "run again once the lookup can succeed; to give up on it instead, check the cloud for the object and run `keyway state rm {}`",
                        entries[0].0
                    )),
                );
                // Kept: the next run looks again.
                state.pending.extend(entries);
            }
        }
    }
    if errors.is_empty() {
        Ok((state, notes))
    } else {
        Err(errors)
    }
}

fn unconfigured(addr: &str, provider: &str) -> Diagnostic {
    Diagnostic::error(
        "plan::provider",
        format!("State holds a pending creation of `{addr}` by provider `{provider}`, which is not configured"),
    )
}

/// Adopts the object found for one pending creation, or drops the entry when there is none.
fn settle(
    state: &mut State,
    addr: String,
    pending: PendingCreate,
    found: Option<crate::lang::Value>,
    notes: &mut Vec<Diagnostic>,
    errors: &mut Vec<Diagnostic>,
) {
    let Some(v) = found else {
        notes.push(Diagnostic::warning(
            "plan::pending_dropped",
            format!("An earlier run stopped while creating `{addr}`; no such object exists, so it was never created"),
        ));
        return;
    };
    if let Some(recorded) = state.resources.get(&addr) {
        if recorded
            .attributes
            .get("id")
            .is_some_and(|id| v.to_json().get("id") == Some(id))
        {
            // The creation did finish and was recorded (by an import, say): nothing is lost.
            return;
        }
        errors.push(
            Diagnostic::error(
                "plan::pending_conflict",
                format!("An earlier run stopped while creating `{addr}`, and the object exists, but state already holds another object at that address"),
            )
            .help(format!("move the recorded one away with `keyway state mv {addr} NEW_ADDR`, then run again")),
        );
        state.pending.insert(addr, pending);
        return;
    }
    let attributes = v.to_json();
    let pending = pending.instance;
    let mut sensitive_paths = pending.sensitive_paths;
    sensitive_paths.retain(|p| attributes.pointer(p).is_some());
    notes.push(Diagnostic::warning(
        "plan::pending_adopted",
        format!("An earlier run stopped while creating `{addr}`; the object exists and is now recorded in state (the plan shows any difference from the configuration)"),
    ));
    state.resources.insert(
        addr,
        ResourceInstance {
            attributes,
            sensitive_paths,
            ..pending
        },
    );
}
