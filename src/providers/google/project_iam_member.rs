//! `google_project_iam_member` (Resource Manager v3): one (role, member[, condition]) grant in a
//! project's IAM policy, applied as a read-modify-write with the read `etag` and repeated on
//! `409 ABORTED`; refresh reads each project's policy once for all its members.

use crate::providers::google::iam_policy::{
    change_member, edit, etag, has_member, Condition, PolicyGrant, PolicyHome,
};
use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::client::Api;
use super::{api_err, required, str_attr, Google};
use crate::providers::Result;

const TY: &str = "google_project_iam_member";

/// The grant a resource stands for.
struct Grant {
    project: String,
    role: String,
    member: String,
    condition: Option<Condition>,
}

impl Grant {
    fn of(g: &Google, obj: &Map<String, Json>) -> Result<Grant> {
        Ok(Grant {
            project: g.project_of(TY, obj)?,
            role: required(obj, TY, "role")?,
            member: required(obj, TY, "member")?,
            condition: Condition::from_config(obj),
        })
    }

    fn id(&self) -> String {
        let base = format!("{}/{}/{}", self.project, self.role, self.member);
        match &self.condition {
            Some(c) => format!("{base}/{}", c.title),
            None => base,
        }
    }

    fn matches(&self, binding: &Json) -> bool {
        binding.get("role").and_then(Json::as_str) == Some(self.role.as_str())
            && Condition::from_binding(binding) == self.condition
    }
}

impl PolicyGrant for Grant {
    fn home(&self) -> PolicyHome {
        home(&self.project)
    }

    fn describe(&self, add: bool) -> String {
        let verb = if add { "grant" } else { "revoke" };
        format!("{verb} {} {} in {}", self.role, self.member, self.project)
    }

    /// True if the policy grants it.
    fn is_in(&self, policy: &Json) -> bool {
        has_member(policy, &self.member, |b| self.matches(b))
    }

    /// Adds (`add`) or removes the member; returns false when the policy already says so.
    fn apply(&self, policy: &mut Json, add: bool) -> bool {
        let new_binding = || {
            let mut b = json!({"role": self.role});
            if let Some(c) = &self.condition {
                b["condition"] = c.to_json();
            }
            b
        };
        edit(policy, &self.member, add, |b| self.matches(b), new_binding)
    }
}

/// A project's policy: Resource Manager v3, read options in a POST body.
fn home(project: &str) -> PolicyHome {
    PolicyHome {
        api: Api::ResourceManager,
        path: format!("v3/projects/{project}"),
        read_by_post: true,
        rest: false,
    }
}

fn finish(mut obj: Map<String, Json>, grant: &Grant, etag: String) -> Map<String, Json> {
    obj.insert("project".into(), json!(grant.project));
    obj.insert("id".into(), json!(grant.id()));
    obj.insert("etag".into(), json!(etag));
    obj
}

/// One policy read per project for all the grants in it.
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let grants = priors
        .iter()
        .map(|p| Grant::of(g, p))
        .collect::<Result<Vec<_>>>()?;
    let projects: std::collections::BTreeSet<&str> =
        grants.iter().map(|gr| gr.project.as_str()).collect();
    // One policy read per project, all projects concurrently.
    let fetched = futures_util::future::try_join_all(projects.iter().map(|project| async move {
        home(project)
            .read(g)
            .await
            .map_err(|e| api_err(TY, &format!("read the IAM policy of {project}"), e))
    }))
    .await?;
    let policies: BTreeMap<String, Json> = projects
        .iter()
        .map(|p| (*p).to_owned())
        .zip(fetched)
        .collect();
    let mut out = Vec::with_capacity(priors.len());
    for (p, grant) in priors.iter().zip(grants) {
        let policy = policies.get(&grant.project);
        out.push(
            policy
                .filter(|pol| grant.is_in(pol))
                .map(|pol| finish(p.clone(), &grant, etag(pol))),
        );
    }
    Ok(out)
}

pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let grant = Grant::of(g, planned)?;
    let etag = change_member(g, TY, &grant, true).await?;
    Ok(finish(planned.clone(), &grant, etag))
}

/// Every argument forces replacement; an in-place update only carries values over.
pub async fn update(
    g: &Google,
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let grant = Grant::of(g, planned)?;
    let etag = str_attr(prior, "etag").unwrap_or_default();
    Ok(finish(planned.clone(), &grant, etag))
}

pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    let grant = Grant::of(g, prior)?;
    change_member(g, TY, &grant, false).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::google::iam_policy::bindings;

    fn grant(cond: Option<Condition>) -> Grant {
        Grant {
            project: "p".into(),
            role: "roles/run.invoker".into(),
            member: "user:a@x.com".into(),
            condition: cond,
        }
    }

    #[test]
    fn add_and_remove_keep_other_members_and_drop_empty_bindings() {
        let mut policy = json!({"etag": "ACAB", "bindings": [
            {"role": "roles/run.invoker", "members": ["user:b@x.com"]}]});
        let g = grant(None);
        assert!(g.apply(&mut policy, true));
        assert!(g.is_in(&policy));
        assert!(!g.apply(&mut policy, true), "second add is a no-op");
        assert!(g.apply(&mut policy, false));
        assert_eq!(
            policy["bindings"],
            json!([{"role": "roles/run.invoker", "members": ["user:b@x.com"]}])
        );
        let only = grant(None);
        let mut p2 = json!({"etag": "ACAB"});
        assert!(only.apply(&mut p2, true));
        assert!(only.apply(&mut p2, false));
        assert_eq!(p2["bindings"], json!([]));
    }

    #[test]
    fn conditional_grants_use_their_own_binding_and_version_3() {
        let cond = Condition {
            expression: "request.time < timestamp(\"2030-01-01T00:00:00Z\")".into(),
            title: "until 2030".into(),
            description: String::new(),
        };
        let mut policy = json!({"etag": "ACAB", "bindings": [
            {"role": "roles/run.invoker", "members": ["user:a@x.com"]}]});
        let g = grant(Some(cond));
        assert!(!g.is_in(&policy), "unconditional binding does not count");
        assert!(g.apply(&mut policy, true));
        assert_eq!(policy["version"], json!(3));
        assert_eq!(bindings(&policy).len(), 2);
        assert_eq!(g.id(), "p/roles/run.invoker/user:a@x.com/until 2030");
    }
}
