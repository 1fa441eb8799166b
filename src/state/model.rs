//! The in-memory state model the engine reads and updates. Deliberately not serde-derived:
//! persistence goes through the versioned DTOs in `state::file`.

use std::collections::BTreeMap;

/// Everything keyway remembers about the real world between runs.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Identifies one state history; a state with a different lineage is a different world.
    pub lineage: String,
    /// Incremented on every persisted write, so older copies can be recognised.
    pub serial: u64,
    /// Keyed by instance address, e.g. `terraform_data.web["a"]`.
    pub resources: BTreeMap<String, ResourceInstance>,
    pub outputs: BTreeMap<String, Output>,
    /// Results of the `check` blocks after the last apply, sorted by name.
    pub checks: Vec<CheckResult>,
    /// Creations asked of a provider whose outcome is not recorded yet, keyed by instance
    /// address: the object as it was to be created (its name included), written durably
    /// before the request is sent. A run killed between the request and the result leaves
    /// one here; the next run looks the object up and adopts it or drops the entry
    /// (`plan::intents`), so no created object is ever forgotten.
    pub pending: BTreeMap<String, PendingCreate>,
}

/// A creation sent (or about to be sent) whose outcome is not recorded yet.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PendingCreate {
    /// The object as it was to be created.
    pub instance: ResourceInstance,
    /// When it was recorded (Unix seconds): Google lists some new objects only after a while
    /// (a new service account), so an object missing soon after is looked for longer.
    pub recorded_at: u64,
}

impl PendingCreate {
    /// A creation recorded now.
    pub fn now(instance: ResourceInstance) -> PendingCreate {
        PendingCreate {
            instance,
            recorded_at: unix_now(),
        }
    }

    /// How long ago it was recorded (zero if the clock went back).
    pub fn age(&self) -> std::time::Duration {
        std::time::Duration::from_secs(unix_now().saturating_sub(self.recorded_at))
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How a `check` block came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    /// Every assertion held.
    Pass,
    /// An assertion failed or a scoped data source could not be read.
    Fail,
    /// Depends on values not known yet (planning before apply).
    Unknown,
}

impl CheckStatus {
    /// Terraform's JSON name: `pass`, `fail`, `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Unknown => "unknown",
        }
    }

    /// The inverse of [`CheckStatus::name`].
    pub fn from_name(s: &str) -> Option<CheckStatus> {
        match s {
            "pass" => Some(CheckStatus::Pass),
            "fail" => Some(CheckStatus::Fail),
            "unknown" => Some(CheckStatus::Unknown),
            _ => None,
        }
    }
}

/// One `check` block's result. Problems are the assertions' messages (secrets replaced).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// Pass, fail or unknown.
    pub status: CheckStatus,
    /// Why it failed.
    pub problems: Vec<String>,
}

/// One resource instance as last recorded.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ResourceInstance {
    pub resource_type: String,
    pub provider: String,
    /// JSON object of all attributes.
    pub attributes: serde_json::Value,
    /// JSON-pointer paths (e.g. `/key_string`) of sensitive attribute values.
    pub sensitive_paths: Vec<String>,
    /// Resource addresses (without index) this instance depended on, sorted. Used to order
    /// destruction once the configuration that declared the dependency is gone.
    pub dependencies: Vec<String>,
    pub create_before_destroy: bool,
    /// Creation failed midway or the instance must otherwise be replaced.
    pub tainted: bool,
}

/// A root module output value.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Output {
    pub value: serde_json::Value,
    pub sensitive: bool,
}

impl State {
    /// A fresh, empty state with a new random lineage and serial 0.
    pub fn new() -> State {
        State {
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            checks: Vec::new(),
            pending: BTreeMap::new(),
        }
    }
}

impl Default for State {
    /// Same as [`State::new`]: an empty lineage would make every fresh state look alike.
    fn default() -> State {
        State::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_states_have_distinct_lineages_and_serial_zero() {
        let a = State::new();
        let b = State::new();
        assert_ne!(a.lineage, b.lineage);
        assert_eq!(a.serial, 0);
        assert!(uuid::Uuid::parse_str(&a.lineage).is_ok());
        assert!(a.resources.is_empty() && a.outputs.is_empty());
    }
}
