//! Terraform's three IAM forms for every generated type with a policy, from one
//! implementation driven by the schema's `iam` binding: `_iam_member` (one member of one
//! role), `_iam_binding` (every member of one role, authoritative for that role) and
//! `_iam_policy` (the whole policy), through `iam_policy`'s read-modify-write loop, which also
//! waits until the change is visible. `data "google_iam_policy"` builds `policy_data`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::super::client::Api;
use super::super::iam_policy::{
    bindings, change_member, edit, etag, Condition, PolicyGrant, PolicyHome,
};
use super::super::{api_err, str_attr, Google};
use crate::providers::template::{self, Fallbacks};
use crate::providers::{ProviderError, Result};
use crate::schema::{self, IamBinding};

/// What a resource of one of the three forms stands for.
enum Form {
    Member(String),
    Binding(Vec<String>),
    Policy(Vec<Json>),
}

/// One IAM resource, resolved: where its policy lives and what it asks of it.
struct Grant {
    api: Api,
    path: String,
    read_by_post: bool,
    rest: bool,
    role: String,
    condition: Option<Condition>,
    form: Form,
    /// The parent part of Terraform's `id`.
    id: String,
}

fn binding_of(ty: &str) -> Result<&'static IamBinding> {
    schema::lookup_in(ty, false)
        .and_then(|s| s.iam.as_ref())
        .ok_or_else(|| ProviderError::new(format!("`{ty}` is not a generated IAM type")))
}

impl Grant {
    fn of(g: &Google, ty: &str, obj: &Map<String, Json>) -> Result<Grant> {
        let b = binding_of(ty)?;
        let fb = Fallbacks {
            project: g.settings().project.clone(),
            region: g.settings().region.clone(),
        };
        let path = template::fill(ty, &b.resource, obj, &fb)?;
        let id = template::fill(ty, &b.id, obj, &fb)?;
        let text = |k: &str| str_attr(obj, k).unwrap_or_default();
        let form = match b.form.as_str() {
            "member" => Form::Member(text("member")),
            "binding" => Form::Binding(sorted_strings(obj.get("members"))),
            _ => Form::Policy(policy_bindings(ty, &text("policy_data"))?),
        };
        Ok(Grant {
            api: Api::Host(b.host.as_str()),
            path,
            read_by_post: b.get.verb == "POST",
            rest: b.get.suffix == "/iam",
            role: text("role"),
            condition: Condition::from_config(obj),
            form,
            id,
        })
    }

    fn matches(&self, b: &Json) -> bool {
        b.get("role").and_then(Json::as_str) == Some(self.role.as_str())
            && Condition::from_binding(b) == self.condition
    }

    fn new_binding(&self) -> Json {
        let mut b = json!({"role": self.role});
        if let Some(c) = &self.condition {
            b["condition"] = c.to_json();
        }
        b
    }

    /// The members the policy gives this grant's role (and condition).
    fn members_in(&self, policy: &Json) -> Option<Vec<String>> {
        let found = bindings(policy).into_iter().find(|b| self.matches(b))?;
        Some(sorted_strings(found.get("members")))
    }

    fn tf_id(&self) -> String {
        match &self.form {
            Form::Member(m) => format!("{} {} {m}", self.id, self.role),
            Form::Binding(_) => format!("{} {}", self.id, self.role),
            Form::Policy(_) => self.id.clone(),
        }
    }
}

impl PolicyGrant for Grant {
    fn home(&self) -> PolicyHome {
        PolicyHome {
            api: self.api,
            path: self.path.clone(),
            read_by_post: self.read_by_post,
            rest: self.rest,
        }
    }

    fn describe(&self, add: bool) -> String {
        let verb = if add { "set" } else { "remove" };
        match &self.form {
            Form::Member(m) => format!("{verb} {} for {m} on {}", self.role, self.path),
            Form::Binding(_) => format!("{verb} the {} binding on {}", self.role, self.path),
            Form::Policy(_) => format!("{verb} the IAM policy of {}", self.path),
        }
    }

    fn apply(&self, policy: &mut Json, add: bool) -> bool {
        match &self.form {
            Form::Member(m) => edit(policy, m, add, |b| self.matches(b), || self.new_binding()),
            Form::Binding(members) => {
                if self.is_in(policy) == add && (add || self.members_in(policy).is_none()) {
                    return false;
                }
                let mut list: Vec<Json> = bindings(policy)
                    .into_iter()
                    .filter(|b| !self.matches(b))
                    .collect();
                if add {
                    let mut b = self.new_binding();
                    b["members"] = json!(members);
                    list.push(b);
                }
                set_bindings(policy, list);
                true
            }
            Form::Policy(wanted) => {
                let target = if add { wanted.clone() } else { Vec::new() };
                if normalized(&bindings(policy)) == normalized(&target) {
                    return false;
                }
                set_bindings(policy, target);
                true
            }
        }
    }

    fn is_in(&self, policy: &Json) -> bool {
        match &self.form {
            Form::Member(m) => super::super::iam_policy::has_member(policy, m, |b| self.matches(b)),
            Form::Binding(members) => self.members_in(policy).as_ref() == Some(members),
            Form::Policy(wanted) => normalized(&bindings(policy)) == normalized(wanted),
        }
    }
}

fn set_bindings(policy: &mut Json, list: Vec<Json>) {
    let conditional = list.iter().any(|b| b.get("condition").is_some());
    policy["bindings"] = Json::Array(list);
    policy["version"] = json!(if conditional { 3 } else { 1 });
}

fn sorted_strings(v: Option<&Json>) -> Vec<String> {
    let mut out: Vec<String> = v
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Bindings in a canonical order (by role, then condition; members sorted), empty ones
/// dropped: two policies granting the same are equal.
fn normalized(list: &[Json]) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<(String, String, Vec<String>)> = list
        .iter()
        .map(|b| {
            let role = b
                .get("role")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned();
            let cond = b.get("condition").map(Json::to_string).unwrap_or_default();
            (role, cond, sorted_strings(b.get("members")))
        })
        .filter(|(_, _, m)| !m.is_empty())
        .collect();
    out.sort();
    out
}

fn policy_bindings(ty: &str, text: &str) -> Result<Vec<Json>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let v: Json = serde_json::from_str(text).map_err(|e| {
        ProviderError::new(format!("{ty}: `policy_data` is not a JSON policy: {e}"))
    })?;
    Ok(bindings(&v))
}

/// The policy's bindings as `policy_data` text, in `data "google_iam_policy"`'s format.
fn policy_text(list: &[Json]) -> String {
    let bindings: Vec<Json> = normalized(list)
        .into_iter()
        .map(|(role, cond, members)| {
            let mut b = json!({"members": members, "role": role});
            if let Ok(c) = serde_json::from_str::<Json>(&cond) {
                b["condition"] = c;
            }
            b
        })
        .collect();
    json!({ "bindings": bindings }).to_string()
}

/// `obj` with the parent arguments it leaves unset (an optional `project`) as the provider's,
/// so state says which object's policy it edits.
fn with_fallbacks(g: &Google, ty: &str, mut obj: Map<String, Json>) -> Map<String, Json> {
    let Ok(b) = binding_of(ty) else {
        return obj;
    };
    let fb = Fallbacks {
        project: g.settings().project.clone(),
        region: g.settings().region.clone(),
    };
    for name in template::placeholders(&b.resource) {
        let name = name.trim_start_matches('+').trim_end_matches('?');
        if obj.get(name).is_none_or(Json::is_null) {
            if let Some(v) = template::value_of(name, &obj, &fb) {
                obj.insert(name.to_owned(), json!(v));
            }
        }
    }
    obj
}

fn finish(mut obj: Map<String, Json>, grant: &Grant, policy: &Json) -> Map<String, Json> {
    match &grant.form {
        Form::Binding(_) => {
            let live = grant.members_in(policy).unwrap_or_default();
            obj.insert("members".into(), json!(live));
        }
        Form::Policy(wanted) => {
            let live = bindings(policy);
            if normalized(&live) != normalized(wanted) {
                obj.insert("policy_data".into(), json!(policy_text(&live)));
            }
        }
        Form::Member(_) => {}
    }
    obj.insert("etag".into(), json!(etag(policy)));
    obj.insert("id".into(), json!(grant.tf_id()));
    obj
}

/// Reads each parent's policy once for all its grants.
pub async fn refresh(
    g: &Google,
    ty: &str,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut policies: BTreeMap<String, Option<Json>> = BTreeMap::new();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let grant = Grant::of(g, ty, p)?;
        if !policies.contains_key(&grant.path) {
            let policy = match grant.home().read(g).await {
                Ok(pol) => Some(pol),
                Err(e) if e.code == 404 => None,
                Err(e) => {
                    return Err(api_err(
                        ty,
                        &format!("read the IAM policy of {}", grant.path),
                        e,
                    ))
                }
            };
            policies.insert(grant.path.clone(), policy);
        }
        let policy = policies.get(&grant.path).and_then(Option::as_ref);
        let found = policy.filter(|pol| match grant.form {
            Form::Member(_) => grant.is_in(pol),
            Form::Binding(_) => grant.members_in(pol).is_some(),
            Form::Policy(_) => true,
        });
        out.push(found.map(|pol| finish(with_fallbacks(g, ty, p.clone()), &grant, pol)));
    }
    Ok(out)
}

/// Creates or updates: the policy is made to say what the resource asks.
pub async fn put(g: &Google, ty: &str, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let grant = Grant::of(g, ty, planned)?;
    let tag = change_member(g, ty, &grant, true).await?;
    let mut obj = with_fallbacks(g, ty, planned.clone());
    obj.insert("etag".into(), json!(tag));
    obj.insert("id".into(), json!(grant.tf_id()));
    Ok(obj)
}

/// Removes what the resource granted (a policy resource leaves an empty policy).
pub async fn delete(g: &Google, ty: &str, prior: &Map<String, Json>) -> Result<()> {
    let grant = Grant::of(g, ty, prior)?;
    change_member(g, ty, &grant, false).await.map(|_| ())
}

/// Imports a grant by Terraform's IAM import ID: the parent's ID, then the role (member and
/// binding forms), then the member (member form), separated by spaces.
pub async fn import(
    g: &Google,
    ty: &str,
    id: &str,
    config: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let b = binding_of(ty)?;
    let mut parts = id.split(' ').filter(|p| !p.is_empty());
    let parent = parts.next().unwrap_or_default();
    let mut base = config.clone();
    // Terraform's ID may carry a version (`v1/projects/...`); its import takes the name alone.
    let named = template::match_path(&b.id, parent)
        .or_else(|| template::match_path(template::relative(&b.id), parent))
        .or_else(|| {
            b.import
                .iter()
                .find_map(|tpl| template::match_path(tpl, parent))
        });
    let named = named.ok_or_else(|| {
        let mut formats = vec![b.id.as_str()];
        formats.extend(b.import.iter().map(String::as_str));
        ProviderError::new(format!(
            "{ty}: import ID \"{id}\" must start with {}",
            formats.join(" or ")
        ))
    })?;
    for (k, v) in named {
        // A configured full name of the same object is kept, so the next plan is clean.
        let same = base
            .get(&k)
            .and_then(Json::as_str)
            .is_some_and(|c| c == v || c.ends_with(&format!("/{v}")));
        if !same {
            base.insert(k, json!(v));
        }
    }
    if b.form != "policy" {
        let role = parts
            .next()
            .ok_or_else(|| ProviderError::new(format!("{ty}: import ID \"{id}\" names no role")))?;
        base.insert("role".into(), json!(role));
    }
    if b.form == "member" {
        let member = parts.next().ok_or_else(|| {
            ProviderError::new(format!("{ty}: import ID \"{id}\" names no member"))
        })?;
        base.insert("member".into(), json!(member));
    }
    refresh(g, ty, &[base])
        .await?
        .into_iter()
        .next()
        .flatten()
        .ok_or_else(|| {
            ProviderError::new(format!(
                "Cannot import non-existent remote object: {ty} \"{id}\" is not in the policy"
            ))
        })
}

/// `data "google_iam_policy"`: its `binding` blocks as `policy_data`, with nothing read.
pub fn policy_document(config: &Map<String, Json>) -> Map<String, Json> {
    let list: Vec<Json> = super::wire::block_items(config.get("binding"))
        .map(|b| {
            let mut out = json!({"role": b.get("role").cloned().unwrap_or(Json::Null)});
            out["members"] = json!(sorted_strings(b.get("members")));
            if let Some(c) = Condition::from_config(b) {
                out["condition"] = c.to_json();
            }
            out
        })
        .collect();
    let mut obj = config.clone();
    let text = policy_text(&list);
    obj.insert("id".into(), json!(format!("{:x}", crc(&text))));
    obj.insert("policy_data".into(), json!(text));
    obj
}

/// A short stable digest for the data source's `id`.
fn crc(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(form: Form) -> Grant {
        Grant {
            api: Api::Host("secretmanager"),
            path: "v1/projects/p/secrets/s".into(),
            read_by_post: false,
            rest: false,
            role: "roles/viewer".into(),
            condition: None,
            form,
            id: "projects/p/secrets/s".into(),
        }
    }

    #[test]
    fn a_binding_owns_its_role_and_nothing_else() {
        let g = grant(Form::Binding(vec!["user:a".into(), "user:b".into()]));
        let mut policy = json!({"bindings": [
            {"role": "roles/viewer", "members": ["user:c"]},
            {"role": "roles/owner", "members": ["user:o"]}
        ], "etag": "e"});
        assert!(!g.is_in(&policy));
        assert!(g.apply(&mut policy, true));
        assert!(g.is_in(&policy));
        assert!(!g.apply(&mut policy, true), "already so");
        assert_eq!(
            g.members_in(&policy),
            Some(vec!["user:a".into(), "user:b".into()])
        );
        assert!(g.apply(&mut policy, false));
        assert_eq!(
            bindings(&policy),
            vec![json!({"role": "roles/owner", "members": ["user:o"]})]
        );
    }

    #[test]
    fn a_policy_replaces_every_binding_and_compares_in_any_order() {
        let wanted = vec![json!({"role": "roles/viewer", "members": ["user:b", "user:a"]})];
        let g = grant(Form::Policy(wanted));
        let mut policy = json!({"bindings": [{"role": "roles/owner", "members": ["user:o"]}]});
        assert!(g.apply(&mut policy, true));
        let same = json!({"bindings": [{"members": ["user:a", "user:b"], "role": "roles/viewer"}]});
        assert!(g.is_in(&same));
        assert!(g.apply(&mut policy, false));
        assert!(bindings(&policy).is_empty());
    }

    #[test]
    fn policy_documents_are_canonical() {
        let config = json!({"binding": [
            {"role": "roles/viewer", "members": ["user:b", "user:a"]},
            {"role": "roles/admin", "members": ["group:g"]}
        ]});
        let doc = policy_document(config.as_object().expect("object"));
        assert_eq!(
            doc["policy_data"],
            json!(
                r#"{"bindings":[{"members":["group:g"],"role":"roles/admin"},{"members":["user:a","user:b"],"role":"roles/viewer"}]}"#
            )
        );
    }
}
