//! Planning: refresh what state holds, evaluate the configuration in dependency order, and
//! diff each resource instance into an [`Action`]. The result is a [`Plan`] value; rendering
//! it is the cli's job.

pub mod body;
pub mod checks;
pub mod conditions;
pub mod constraints;
pub mod diff;
pub mod file;
pub mod intents;
pub mod notes;
pub mod planner;
pub mod refresh;
pub mod scope;
pub mod values;

use std::collections::BTreeMap;

use crate::config::Mode as ResourceMode;
use crate::diagnostics::Diagnostic;
use crate::lang::Value;
use crate::state::State;

pub use planner::{plan, DataReader, NoData, Options};
pub use scope::InstanceKey;

/// What a plan is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Converge to the configuration.
    #[default]
    Normal,
    /// Delete everything.
    Destroy,
    /// Only record what refresh found.
    RefreshOnly,
}

/// What will happen to one resource instance.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Nothing.
    NoOp,
    /// Create it.
    Create,
    /// Update it in place.
    Update,
    /// Replace it; `reasons` (never empty) names what forces it.
    Replace {
        /// Attributes or causes forcing the replacement.
        reasons: Vec<String>,
        /// Create the new object before deleting the old (`create_before_destroy`).
        create_first: bool,
    },
    /// Delete it.
    Delete {
        /// Why (`x.y is not in configuration`, `destroy`, ...).
        reason: String,
    },
    /// Read a data source.
    Read,
    /// Drop it from state and leave the object alone (a `removed` block with
    /// `destroy = false`).
    Forget,
}

impl Action {
    /// The Terraform-style symbol.
    pub fn symbol(&self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace {
                create_first: false,
                ..
            } => "-/+",
            Action::Replace {
                create_first: true, ..
            } => "+/-",
            Action::Delete { .. } => "-",
            Action::Read => "<=",
            Action::Forget => ".",
        }
    }

    /// The name used in `-json` output and saved plans.
    pub fn name(&self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace {
                create_first: false,
                ..
            } => "delete-create",
            Action::Replace {
                create_first: true, ..
            } => "create-delete",
            Action::Delete { .. } => "delete",
            Action::Read => "read",
            Action::Forget => "forget",
        }
    }

    /// True for anything but `NoOp` and `Read`.
    pub fn is_change(&self) -> bool {
        !matches!(self, Action::NoOp | Action::Read)
    }
}

/// One instance's planned change.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceChange {
    /// Instance address, e.g. `terraform_data.a["x"]`.
    pub addr: String,
    /// Resource (block) address, e.g. `terraform_data.a`.
    pub resource: String,
    /// Instance key.
    pub key: InstanceKey,
    /// Managed or data.
    pub mode: ResourceMode,
    /// Resource type.
    pub ty: String,
    /// Provider name.
    pub provider: String,
    /// The action.
    pub action: Action,
    /// The prior object (sensitive parts marked).
    pub before: Option<Value>,
    /// The planned object (unknowns and sensitive marks included); `None` for deletions and
    /// for no-ops, whose planned object is `before` (see [`ResourceChange::planned`]).
    pub after: Option<Value>,
    /// Resource addresses this instance depends on.
    pub dependencies: Vec<String>,
    /// What a creation (or a replacement's new object) will really do when the provider knows
    /// better than "created" (for example `undeleted and updated (same key string as before)`,
    /// or an API key replacement's new key ID); the action is unchanged. Set by
    /// [`notes::annotate`].
    pub note: Option<String>,
}

impl ResourceChange {
    /// The object after the change: `after`, or `before` for a no-op.
    pub fn planned(&self) -> Option<&Value> {
        match self.action {
            Action::NoOp => self.before.as_ref(),
            _ => self.after.as_ref(),
        }
    }
}

/// One output's planned value.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputChange {
    /// Value in state before.
    pub before: Option<Value>,
    /// Planned value (`None` when it is removed).
    pub after: Option<Value>,
    /// `sensitive = true`.
    pub sensitive: bool,
}

/// A whole plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Normal, destroy or refresh-only.
    pub mode: Mode,
    /// Every instance, sorted by address, including no-ops.
    pub changes: Vec<ResourceChange>,
    /// Outputs by name.
    pub outputs: BTreeMap<String, OutputChange>,
    /// The refreshed prior state the plan was made against.
    pub prior: State,
    /// Instances whose refreshed object differs from state (`addr`, changed or gone).
    pub drift: Vec<String>,
    /// Warnings to show (failed checks, deprecations).
    pub warnings: Vec<Diagnostic>,
    /// `moved` blocks applied to the prior state: (from, to) instance addresses.
    pub moved: Vec<(String, String)>,
    /// Results of the `check` blocks as far as planning can tell, sorted by name (empty
    /// when destroying).
    pub checks: Vec<crate::state::CheckResult>,
    /// The instances of `drift` as state held them before the refresh (Terraform's
    /// `resource_drift` shows them beside what the refresh found).
    pub drifted_from: BTreeMap<String, crate::state::ResourceInstance>,
    /// Objects `import` blocks bring under management at this apply (instance address →
    /// import ID); they are in `prior` already, read through their provider.
    pub imported: BTreeMap<String, String>,
}

impl Plan {
    /// True if applying would change anything (resources, outputs or refreshed state).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action.is_change())
            || self.outputs.values().any(|o| {
                o.before.as_ref().map(Value::to_json) != o.after.as_ref().map(Value::to_json)
                    || o.after.as_ref().is_some_and(Value::has_unknown)
            })
            || (self.mode == Mode::RefreshOnly && !self.drift.is_empty())
            || !self.moved.is_empty()
            || !self.imported.is_empty()
    }

    /// Counts of (add, change, destroy), as the summary line shows them.
    /// How many objects leave state without being destroyed.
    pub fn forgets(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.action == Action::Forget)
            .count()
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for ch in &self.changes {
            match ch.action {
                Action::Create => c.0 += 1,
                Action::Update => c.1 += 1,
                Action::Replace { .. } => {
                    c.0 += 1;
                    c.2 += 1
                }
                Action::Delete { .. } => c.2 += 1,
                Action::NoOp | Action::Read | Action::Forget => {}
            }
        }
        c
    }
}
