//! The emulated cloud: every project, enabled service, resource, IAM policy and operation, held
//! in memory and serialisable as one JSON document (the `--data` file).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::errors::{service_disabled, ApiError, ApiResult};
use super::serviceusage;

/// The whole emulated cloud. Every field defaults, so data files written by older versions load.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    /// By project ID.
    pub projects: BTreeMap<String, Project>,
    /// Service accounts by unique ID (a deleted account and its re-created namesake coexist).
    pub service_accounts: BTreeMap<String, ServiceAccount>,
    /// Cloud Run services by `projects/{id}/locations/{l}/services/{s}`.
    pub run_services: BTreeMap<String, Resource>,
    /// Deleted Cloud Run services, listed with `showDeleted`; `ready_ms` is their expiry.
    pub run_deleted: BTreeMap<String, Resource>,
    /// Revision name → the template it was created from (for the reused-name 409).
    pub run_revisions: BTreeMap<String, Value>,
    /// API Gateway resources by canonical name (project ID form).
    pub apis: BTreeMap<String, Resource>,
    pub api_configs: BTreeMap<String, Resource>,
    pub gateways: BTreeMap<String, Resource>,
    /// API keys by `projects/{id}/locations/global/keys/{keyId}`.
    pub keys: BTreeMap<String, ApiKey>,
    /// Key strings of purged keys → project number (`lookupKey` still names the project).
    pub purged_key_strings: BTreeMap<String, String>,
    /// IAM policies by the canonical name of the resource they sit on.
    pub policies: BTreeMap<String, StoredPolicy>,
    /// Long-running operations by name.
    pub operations: BTreeMap<String, Operation>,
    /// Objects of the collections served from discovery documents, by `{api}:{name}`.
    #[serde(default)]
    pub generic: BTreeMap<String, Value>,
    /// Cloud Storage objects by `{bucket}/{name}` (only the live generation is kept).
    pub objects: BTreeMap<String, super::storage_objects::StoredObject>,
    /// Resumable uploads in progress, by upload ID.
    pub uploads: BTreeMap<String, super::storage_objects::UploadSession>,
    /// The last object generation handed out (microseconds, always increasing).
    pub object_generation: u64,
    /// The emulated AWS account (API Gateway, Lambda, IAM).
    pub aws: super::aws::AwsWorld,
    /// Monotonic counter behind every generated ID, etag and key string.
    pub seq: u64,
    /// Per-request settings the server puts here before each call (not persisted).
    #[serde(skip)]
    pub clock: Clock,
}

/// The current time and the injected propagation delays, as seen by one call.
#[derive(Debug, Default, Clone, Copy)]
pub struct Clock {
    pub now_ms: u64,
    /// How long a newly enabled service still answers SERVICE_DISABLED.
    pub enable_propagation_ms: u64,
    /// How long a new service account is not yet usable as a policy member.
    pub account_propagation_ms: u64,
    /// How long after an enable a service cannot be disabled.
    pub recent_enable_ms: u64,
    /// How long a written policy stays invisible to reads and permission checks.
    pub iam_propagation_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Project {
    pub number: String,
    pub create_time: String,
    /// Service name → state. Absent = never enabled.
    pub services: BTreeMap<String, ServiceState>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceState {
    pub enabled: bool,
    /// When it was last enabled (ms since epoch; 0 for the project defaults).
    pub enabled_ms: u64,
    /// When the operation that last enabled it finishes (ms since epoch; 0 = long done).
    pub enable_done_ms: u64,
    /// Whether any call was served for this service (for `checkIfServiceHasUsage=CHECK`).
    pub used: bool,
}

/// A resource whose JSON is stored as it will be emitted, plus the time (ms since epoch) at
/// which the operation that last changed it completes; until then reads show it in transition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub body: Value,
    pub ready_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceAccount {
    pub project: String,
    pub body: Value,
    pub deleted: bool,
    /// Creation time (ms since epoch), for the injected visibility delay.
    #[serde(default)]
    pub created_ms: u64,
    /// When it was soft-deleted (ms since epoch); 30 days later it is gone for good.
    #[serde(default)]
    pub deleted_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKey {
    pub body: Value,
    pub key_string: String,
    pub ready_ms: u64,
    /// ms since epoch of the soft delete, if deleted.
    pub deleted_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPolicy {
    /// The policy as emitted (bindings, version, etag, auditConfigs).
    pub policy: Value,
    /// What readers see until `visible_ms` (the injected IAM propagation delay); `None` when
    /// the policy is in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Value>,
    #[serde(default)]
    pub visible_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operation {
    pub name: String,
    pub metadata: Option<Value>,
    /// `{"response": ...}` or `{"error": ...}` once done.
    pub outcome: Value,
    pub done_ms: u64,
    /// Shown in the metadata's `endTime` style fields; not otherwise used.
    pub create_time: String,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// RFC 3339 UTC with microseconds, as Google emits (`2022-01-26T12:23:06.281029Z`).
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for all dates after 1970.
    let z = days as i64 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}000Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a, for values derived from names (project numbers).
pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A project ID as this emulator accepts it: a lowercase letter, then lowercase letters, digits
/// and hyphens, at most 30 characters. Real IDs need 6+ characters; short IDs are accepted here
/// so tests can say `p1` (a deliberate leniency).
pub fn valid_project_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 30
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !id.ends_with('-')
}

/// A resolved project.
#[derive(Debug, Clone)]
pub struct ProjectRef {
    pub id: String,
    pub number: String,
}

impl World {
    /// Next value of the world's sequence, mixed so generated IDs look random but are
    /// reproducible from a given starting world.
    pub fn next_rand(&mut self) -> u64 {
        self.seq += 1;
        splitmix(self.seq)
    }

    pub fn uuid(&mut self) -> String {
        let a = self.next_rand();
        let b = self.next_rand();
        let h = format!("{a:016x}{b:016x}");
        // Version 4 / variant bits, so the value parses as a UUID4 like Google's.
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    /// `n` lowercase alphanumerics.
    pub fn token(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n)
            .map(|_| {
                let r = self.next_rand();
                alphabet[(r % alphabet.len() as u64) as usize] as char
            })
            .collect()
    }

    /// Resolves a project ID or number, creating the project on first use of an ID. A number
    /// the emulator has never handed out cannot be mapped to an ID, so it is treated like a
    /// project the caller cannot see (403, as Resource Manager answers for missing projects).
    pub fn project(&mut self, id_or_number: &str) -> ApiResult<ProjectRef> {
        if !id_or_number.is_empty() && id_or_number.bytes().all(|c| c.is_ascii_digit()) {
            return self
                .projects
                .iter()
                .find(|(_, p)| p.number == id_or_number)
                .map(|(id, p)| ProjectRef {
                    id: id.clone(),
                    number: p.number.clone(),
                })
                .ok_or_else(|| project_denied(id_or_number));
        }
        if !valid_project_id(id_or_number) {
            return Err(project_denied(id_or_number));
        }
        if !self.projects.contains_key(id_or_number) {
            // Stable number derived from the ID: 12 digits, never starting with 0.
            let number = (100_000_000_000 + fnv(id_or_number) % 900_000_000_000).to_string();
            let mut services = BTreeMap::new();
            for s in serviceusage::DEFAULT_ENABLED {
                services.insert(
                    (*s).to_string(),
                    ServiceState {
                        enabled: true,
                        ..Default::default()
                    },
                );
            }
            let project = Project {
                number,
                create_time: rfc3339(now_ms()),
                services,
            };
            self.projects.insert(id_or_number.to_string(), project);
        }
        let p = &self.projects[id_or_number];
        Ok(ProjectRef {
            id: id_or_number.to_string(),
            number: p.number.clone(),
        })
    }

    pub fn is_enabled(&self, project_id: &str, service: &str) -> bool {
        self.projects
            .get(project_id)
            .and_then(|p| p.services.get(service))
            .is_some_and(|s| s.enabled)
    }

    /// Enabled, and the (injected) propagation delay since enabling has passed: real
    /// enablement is eventually consistent and answers SERVICE_DISABLED for a while [Obs].
    fn is_usable(&self, project_id: &str, service: &str) -> bool {
        self.projects
            .get(project_id)
            .and_then(|p| p.services.get(service))
            .is_some_and(|s| {
                s.enabled
                    && self.clock.now_ms
                        >= s.enabled_ms
                            .saturating_add(self.clock.enable_propagation_ms)
            })
    }

    /// Resolves the resource's project and enforces that `service` is enabled in the consumer
    /// project: the `X-Goog-User-Project` one when given, else the resource's own project.
    pub fn consume(
        &mut self,
        id_or_number: &str,
        user_project: Option<&str>,
        service: &str,
    ) -> ApiResult<ProjectRef> {
        let resource_project = self.project(id_or_number)?;
        let consumer = match user_project {
            Some(up) => self.project(up)?,
            None => resource_project.clone(),
        };
        if !self.is_usable(&consumer.id, service) {
            let title = serviceusage::title(service);
            return Err(service_disabled(service, &title, &consumer.number));
        }
        if let Some(p) = self.projects.get_mut(&consumer.id) {
            if let Some(s) = p.services.get_mut(service) {
                s.used = true;
            }
        }
        Ok(resource_project)
    }
}

fn project_denied(p: &str) -> ApiError {
    ApiError::permission_denied(format!(
        "The caller does not have permission, or project '{p}' does not exist."
    ))
    .reason(
        "PROJECT_NOT_FOUND_OR_PERMISSION_DENIED",
        "cloudresourcemanager.googleapis.com",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_utc_with_microseconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        // 2022-01-26T12:23:06.281Z
        assert_eq!(rfc3339(1_643_199_786_281), "2022-01-26T12:23:06.281000Z");
        // Leap day.
        assert_eq!(rfc3339(1_709_208_000_000), "2024-02-29T12:00:00.000000Z");
    }

    #[test]
    fn project_numbers_are_stable_and_resolvable() {
        let mut a = World::default();
        let mut b = World::default();
        let pa = a.project("my-project").expect("valid id");
        let pb = b.project("my-project").expect("valid id");
        assert_eq!(pa.number, pb.number);
        assert_eq!(pa.number.len(), 12);
        assert_eq!(
            a.project(&pa.number).expect("known number").id,
            "my-project"
        );
        assert!(
            a.project("123").is_err(),
            "unknown numbers are not invented"
        );
        assert!(a.project("Bad_ID").is_err());
    }

    #[test]
    fn generated_uuids_are_version_4() {
        let mut w = World::default();
        let u = w.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, w.uuid());
    }
}
