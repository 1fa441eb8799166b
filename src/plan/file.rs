//! Saved plan files (`plan -out`): a versioned JSON format recording what the plan was made
//! from (state lineage and serial, a digest of the configuration, variable values) and what
//! it decided, so that `apply FILE` can re-derive the identical plan and refuse when anything
//! changed. Secrets never appear in clear: sensitive variables are stored as salted SHA-256
//! digests and must be supplied again at apply time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostics::Sources;
use crate::lang::Value;
use crate::plan::{Mode, Plan};
use crate::state::{CheckResult, CheckStatus};

/// The file's format tag.
pub const FORMAT: &str = "keyway-plan";
/// The only version this keyway reads and writes.
pub const VERSION: u32 = 1;

/// A saved plan.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// Always `keyway-plan`.
    pub format: String,
    /// Format version.
    pub version: u32,
    /// keyway version that wrote it.
    pub keyway_version: String,
    /// Lineage of the state the plan was made against (empty when there was none).
    pub lineage: String,
    /// Serial of that state.
    pub serial: u64,
    /// Normal, destroy or refresh-only.
    pub mode: Mode,
    /// Whether refresh ran.
    pub refresh: bool,
    /// `-target`.
    pub targets: Vec<String>,
    /// `-exclude`.
    pub excludes: Vec<String>,
    /// `-replace`.
    pub replace: Vec<String>,
    /// Salt of the sensitive variables' digests.
    pub salt: String,
    /// Variable values.
    pub variables: BTreeMap<String, SavedVar>,
    /// SHA-256 over the configuration files' names and contents.
    pub config_digest: String,
    /// The planned actions, by instance address.
    pub changes: Vec<SavedChange>,
    /// SHA-256 of the plan's redacted JSON form (without check results).
    pub plan_digest: String,
    /// The `check` blocks' results at plan time (messages already free of secrets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<SavedCheck>,
}

/// A check result as saved.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SavedCheck {
    /// The check's name.
    pub name: String,
    /// `pass`, `fail` or `unknown`.
    pub status: String,
    /// Failure messages.
    #[serde(default)]
    pub problems: Vec<String>,
}

/// Check results as saved.
pub fn saved_checks(checks: &[CheckResult]) -> Vec<SavedCheck> {
    checks
        .iter()
        .map(|c| SavedCheck {
            name: c.name.clone(),
            status: c.status.name().to_owned(),
            problems: c.problems.clone(),
        })
        .collect()
}

/// Saved check results back in memory (unknown statuses read as `unknown`).
pub fn loaded_checks(saved: &[SavedCheck]) -> Vec<CheckResult> {
    saved
        .iter()
        .map(|c| CheckResult {
            name: c.name.clone(),
            status: CheckStatus::from_name(&c.status).unwrap_or(CheckStatus::Unknown),
            problems: c.problems.clone(),
        })
        .collect()
}

/// A saved variable value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum SavedVar {
    /// A non-sensitive value.
    Value(serde_json::Value),
    /// A sensitive value's salted digest.
    Sha256(String),
}

/// One planned action.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SavedChange {
    /// Instance address.
    pub address: String,
    /// Action name.
    pub action: String,
    /// The provider's note on a creation or replacement (`undeleted and updated ...`, an API
    /// key's new key ID). Optional and left out when
    /// absent, so version-1 files without it still read and compare the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// SHA-256 over the configuration's files.
pub fn config_digest(sources: &Sources) -> String {
    let mut h = Sha256::new();
    for f in sources.iter() {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// Salted digest of a sensitive value.
pub fn secret_digest(salt: &str, v: &Value) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(v.to_json().to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The digest of a plan's redacted JSON.
pub fn plan_digest(plan_json: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(plan_json.to_string().as_bytes()))
}

/// The saved changes of a plan (changes only; no-ops are implied).
pub fn saved_changes(plan: &Plan) -> Vec<SavedChange> {
    plan.changes
        .iter()
        .filter(|c| c.action.is_change())
        .map(|c| SavedChange {
            address: c.addr.clone(),
            action: c.action.name().to_owned(),
            note: c.note.clone(),
        })
        .collect()
}

/// Variables as saved: sensitive ones digested.
pub fn saved_vars(vars: &BTreeMap<String, Value>, salt: &str) -> BTreeMap<String, SavedVar> {
    vars.iter()
        .map(|(k, v)| {
            let s = if v.has_sensitive() {
                SavedVar::Sha256(secret_digest(salt, &v.clone().deep_unmark()))
            } else {
                SavedVar::Value(v.to_json())
            };
            (k.clone(), s)
        })
        .collect()
}

/// A saved (non-sensitive) variable value back in memory, converted to the variable's
/// declared type again: JSON has no sets, so a `set(string)` would come back a list.
pub fn loaded_var(config: &crate::config::Config, name: &str, json: &serde_json::Value) -> Value {
    let v = Value::from_json(json);
    let Some(decl) = config.variables.get(name) else {
        return v;
    };
    let v = match &decl.ty {
        Some(ty) => crate::lang::types::convert(v.clone(), ty).unwrap_or(v),
        None => v,
    };
    if decl.sensitive {
        v.sensitive()
    } else {
        v
    }
}

/// Parses a plan file, refusing other formats and versions.
pub fn parse(text: &str) -> Result<PlanFile, String> {
    let probe: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a keyway plan file ({e})"))?;
    if probe.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err("not a keyway plan file".into());
    }
    let version = probe.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
    if version != u64::from(VERSION) {
        return Err(format!(
            "plan file version {version} is not supported (this keyway reads version {VERSION})"
        ));
    }
    serde_json::from_value(probe).map_err(|e| format!("corrupt plan file: {e}"))
}
