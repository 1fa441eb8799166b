//! Editing IAM policies (`google.iam.v1.Policy`, shared by Resource Manager, Cloud Run and the
//! other APIs of the stack): adding or removing one member of one binding, as the
//! `*_iam_member` resources do, through one read-modify-write loop that also waits until the
//! change is visible to readers.

use serde_json::{json, Map, Value as Json};

use super::client::{Api, GoogleError};
use super::{api_err, retry, str_attr, Google};
use crate::providers::Result;

/// How many times a policy write is retried after a concurrent change (each retry re-reads).
const MAX_POLICY_ATTEMPTS: u32 = 12;

/// The policy's bindings (empty when it has none).
pub fn bindings(policy: &Json) -> Vec<Json> {
    policy
        .get("bindings")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The policy's etag, sent back on write so that concurrent changes are detected.
pub fn etag(policy: &Json) -> String {
    policy
        .get("etag")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// True if a binding accepted by `matches` holds `member`.
pub fn has_member(policy: &Json, member: &str, matches: impl Fn(&Json) -> bool) -> bool {
    bindings(policy).iter().any(|b| {
        matches(b)
            && b.get("members")
                .and_then(Json::as_array)
                .is_some_and(|ms| ms.iter().any(|m| m.as_str() == Some(member)))
    })
}

/// Adds (`add`) or removes `member` in the bindings accepted by `matches`; a new binding, when
/// one is needed, is `new_binding()` (role, optional condition, no members yet). Returns
/// false when the policy already says so.
pub fn edit(
    policy: &mut Json,
    member: &str,
    add: bool,
    matches: impl Fn(&Json) -> bool,
    new_binding: impl FnOnce() -> Json,
) -> bool {
    if has_member(policy, member, &matches) == add {
        return false;
    }
    let mut list = bindings(policy);
    if add {
        match list.iter_mut().find(|b| matches(b)) {
            Some(b) => match b.get_mut("members").and_then(Json::as_array_mut) {
                Some(ms) => ms.push(json!(member)),
                None => b["members"] = json!([member]),
            },
            None => {
                let mut b = new_binding();
                b["members"] = json!([member]);
                list.push(b);
            }
        }
    } else {
        for b in list.iter_mut().filter(|b| matches(b)) {
            if let Some(ms) = b.get_mut("members").and_then(Json::as_array_mut) {
                ms.retain(|m| m.as_str() != Some(member));
            }
        }
        // A binding without members is not allowed to linger.
        list.retain(|b| {
            b.get("members")
                .and_then(Json::as_array)
                .is_some_and(|ms| !ms.is_empty())
        });
    }
    let conditional = list.iter().any(|b| b.get("condition").is_some());
    policy["bindings"] = Json::Array(list);
    // Version 3 is required when any binding has a condition, or a write would downgrade
    // them (reference §1.6).
    policy["version"] = json!(if conditional { 3 } else { 1 });
    true
}

/// A binding condition (`Expr`), compared field by field; absent description = empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub expression: String,
    pub title: String,
    pub description: String,
}

impl Condition {
    /// The `condition` block of a resource's configuration.
    pub fn from_config(obj: &Map<String, Json>) -> Option<Condition> {
        let block = obj.get("condition").and_then(|c| match c {
            Json::Array(items) => items.first().and_then(Json::as_object),
            Json::Object(m) => Some(m),
            _ => None,
        })?;
        Some(Condition {
            expression: str_attr(block, "expression").unwrap_or_default(),
            title: str_attr(block, "title").unwrap_or_default(),
            description: str_attr(block, "description").unwrap_or_default(),
        })
    }

    /// A binding's condition.
    pub fn from_binding(b: &Json) -> Option<Condition> {
        let c = b.get("condition")?.as_object()?;
        Some(Condition {
            expression: str_attr(c, "expression").unwrap_or_default(),
            title: str_attr(c, "title").unwrap_or_default(),
            description: str_attr(c, "description").unwrap_or_default(),
        })
    }

    /// As a binding's `condition`.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("expression".into(), json!(self.expression));
        m.insert("title".into(), json!(self.title));
        if !self.description.is_empty() {
            m.insert("description".into(), json!(self.description));
        }
        Json::Object(m)
    }
}

/// Where one IAM policy lives: the API serving it and the resource path its `:getIamPolicy` and
/// `:setIamPolicy` verbs hang off.
pub struct PolicyHome {
    pub api: Api,
    /// `v3/projects/{p}` or `v2/projects/{p}/locations/{l}/services/{s}`.
    pub path: String,
    /// Resource Manager takes the read options in a POST body; Cloud Run and the other
    /// resource APIs take them in the query of a GET (reference §1.6 table).
    pub read_by_post: bool,
    /// Cloud Storage's JSON API: `GET {path}/iam` and `PUT {path}/iam` with the policy itself
    /// as the body, instead of the `:getIamPolicy` / `:setIamPolicy` verbs.
    pub rest: bool,
}

impl PolicyHome {
    /// The policy, at version 3 so conditional bindings are never downgraded.
    pub async fn read(&self, g: &Google) -> std::result::Result<Json, GoogleError> {
        if self.rest {
            let path = format!("{}/iam?optionsRequestedPolicyVersion=3", self.path);
            g.client().get(self.api, &path).await
        } else if self.read_by_post {
            let body = json!({"options": {"requestedPolicyVersion": 3}});
            g.client()
                .post(self.api, &format!("{}:getIamPolicy", self.path), &body)
                .await
        } else {
            let path = format!(
                "{}:getIamPolicy?options.requestedPolicyVersion=3",
                self.path
            );
            g.client().get(self.api, &path).await
        }
    }

    async fn write(&self, g: &Google, policy: Json) -> std::result::Result<Json, GoogleError> {
        if self.rest {
            let path = format!("{}/iam", self.path);
            return g
                .client()
                .call(self.api, reqwest::Method::PUT, &path, Some(&policy))
                .await;
        }
        let body = json!({ "policy": policy });
        let path = format!("{}:setIamPolicy", self.path);
        g.client().post(self.api, &path, &body).await
    }
}

/// One (role, member) grant an `*_iam_member` resource stands for, in the policy it lives in.
pub trait PolicyGrant: Sync {
    /// Where the policy lives.
    fn home(&self) -> PolicyHome;
    /// "grant roles/x user:y on z" (or "revoke ..."), for error messages.
    fn describe(&self, add: bool) -> String;
    /// Adds (`add`) or removes the member; false when the policy already says so.
    fn apply(&self, policy: &mut Json, add: bool) -> bool;
    /// True when the policy holds the member.
    fn is_in(&self, policy: &Json) -> bool;
}

/// Read-modify-write until the policy says what the change asks, retrying concurrent changes
/// (`409 ABORTED`) with a fresh read each time, then waits until a read shows the change, so a
/// dependent resource (or a request through the gateway) never runs ahead of the grant. Returns
/// the resulting policy's etag. A policy that is gone (`404`) has nothing left to revoke.
pub async fn change_member(
    g: &Google,
    ty: &str,
    grant: &dyn PolicyGrant,
    add: bool,
) -> Result<String> {
    let home = grant.home();
    // One lock per policy, so keyway's own grants on one policy never race each other; other
    // writers still can, and the ABORTED retry covers those.
    let lock = g.policy_lock(&home.path);
    let _held = lock.lock().await;
    let fail = |e| api_err(ty, &grant.describe(add), e);
    let mut attempt = 0u32;
    let written = loop {
        let mut policy = match home.read(g).await {
            Ok(p) => p,
            Err(e) if !add && e.code == 404 => return Ok(String::new()),
            Err(e) => return Err(fail(e)),
        };
        if !grant.apply(&mut policy, add) {
            return Ok(etag(&policy));
        }
        match home.write(g, policy).await {
            Ok(p) => break p,
            Err(e) if retry::is_concurrent_policy_change(&e) && attempt < MAX_POLICY_ATTEMPTS => {
                tokio::time::sleep(g.client().backoff.delay(attempt, None)).await;
                attempt += 1;
            }
            Err(e) => return Err(fail(e)),
        }
    };
    wait_visible(g, &home, grant, add).await;
    Ok(etag(&written))
}

/// IAM is eventually consistent: a read right after a write may still show the old policy, and
/// the grant is not yet in force (reference §3.3 and §8). Polls the policy with the client's
/// backoff until it shows the change. The write itself succeeded, so running out of patience
/// is not an error: the apply goes on, exactly as it would without the wait.
async fn wait_visible(g: &Google, home: &PolicyHome, grant: &dyn PolicyGrant, add: bool) {
    let backoff = g.client().backoff;
    for attempt in 0..=backoff.max_retries {
        match home.read(g).await {
            Ok(p) if grant.is_in(&p) == add => return,
            Ok(_) => {}
            // Reading failed (the resource is being deleted, a transient error the client
            // already retried): nothing more can be learnt by waiting.
            Err(_) => return,
        }
        tokio::time::sleep(backoff.delay(attempt, None)).await;
    }
}
