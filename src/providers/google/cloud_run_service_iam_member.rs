//! `google_cloud_run_v2_service_iam_member` (Cloud Run Admin v2): one (role, member) grant in a
//! service's IAM policy, applied as a read-modify-write (`GET :getIamPolicy`, `POST
//! :setIamPolicy`, reference §1.6) with the read `etag`, repeated with a fresh read on
//! `409 ABORTED`; refresh reads each service's policy once for all its members.

use crate::providers::google::iam_policy::{
    change_member, edit, etag, has_member, PolicyGrant, PolicyHome,
};
use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::client::Api;
use super::{api_err, required, str_attr, Google};
use crate::providers::{ProviderError, Result};

const TY: &str = "google_cloud_run_v2_service_iam_member";

/// The grant a resource stands for.
struct Grant {
    project: String,
    location: String,
    /// `projects/{project}/locations/{location}/services/{id}`.
    resource: String,
    role: String,
    member: String,
}

impl Grant {
    /// `name` may be the service ID or its full resource name (Terraform accepts both; a
    /// reference to `google_cloud_run_v2_service.x.name` gives the ID, `.id` the full name).
    fn of(g: &Google, obj: &Map<String, Json>) -> Result<Grant> {
        let name = required(obj, TY, "name")?;
        let parts: Vec<&str> = name.split('/').collect();
        let (project, location, id) = match parts.as_slice() {
            ["projects", p, "locations", l, "services", s] => {
                ((*p).to_owned(), (*l).to_owned(), (*s).to_owned())
            }
            _ => {
                let location = str_attr(obj, "location")
                    .or_else(|| g.settings().region.clone())
                    .ok_or_else(|| {
                        ProviderError::new(format!(
                            "{TY}: no location: set `location` on the resource or `region` in \
                             the provider \"google\" block"
                        ))
                    })?;
                (g.project_of(TY, obj)?, location, name)
            }
        };
        Ok(Grant {
            resource: format!("projects/{project}/locations/{location}/services/{id}"),
            project,
            location,
            role: required(obj, TY, "role")?,
            member: required(obj, TY, "member")?,
        })
    }

    fn id(&self) -> String {
        format!("{}/{}/{}", self.resource, self.role, self.member)
    }

    /// Unconditional bindings of the role only: a conditional binding is a different grant.
    fn matches(&self, b: &Json) -> bool {
        b.get("role").and_then(Json::as_str) == Some(self.role.as_str())
            && b.get("condition").is_none()
    }
}

impl PolicyGrant for Grant {
    /// A service's policy: Cloud Run v2, read options in the query of a GET.
    fn home(&self) -> PolicyHome {
        PolicyHome {
            api: Api::Run,
            path: format!("v2/{}", self.resource),
            read_by_post: false,
            rest: false,
        }
    }

    fn describe(&self, add: bool) -> String {
        let verb = if add { "grant" } else { "revoke" };
        format!("{verb} {} {} on {}", self.role, self.member, self.resource)
    }

    fn is_in(&self, policy: &Json) -> bool {
        has_member(policy, &self.member, |b| self.matches(b))
    }

    /// Adds (`add`) or removes the member; returns false when the policy already says so.
    fn apply(&self, policy: &mut Json, add: bool) -> bool {
        edit(
            policy,
            &self.member,
            add,
            |b| self.matches(b),
            || json!({"role": self.role}),
        )
    }
}

fn finish(mut obj: Map<String, Json>, grant: &Grant, etag: String) -> Map<String, Json> {
    obj.insert("project".into(), json!(grant.project));
    obj.insert("location".into(), json!(grant.location));
    obj.insert("id".into(), json!(grant.id()));
    obj.insert("etag".into(), json!(etag));
    obj
}

/// One policy read per service for all the grants on it; a deleted service means every grant
/// on it is gone.
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut policies: BTreeMap<String, Option<Json>> = BTreeMap::new();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let grant = Grant::of(g, p)?;
        if !policies.contains_key(&grant.resource) {
            let policy = match grant.home().read(g).await {
                Ok(pol) => Some(pol),
                Err(e) if e.code == 404 => None,
                Err(e) => {
                    return Err(api_err(
                        TY,
                        &format!("read the IAM policy of {}", grant.resource),
                        e,
                    ))
                }
            };
            policies.insert(grant.resource.clone(), policy);
        }
        let policy = policies.get(&grant.resource).and_then(Option::as_ref);
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

    #[test]
    fn conditional_bindings_are_left_alone() {
        let grant = Grant {
            project: "p".into(),
            location: "l".into(),
            resource: "projects/p/locations/l/services/s".into(),
            role: "roles/run.invoker".into(),
            member: "user:a@x.com".into(),
        };
        let mut policy = json!({"etag": "ACAB", "bindings": [
            {"role": "roles/run.invoker", "members": ["user:a@x.com"],
             "condition": {"expression": "true", "title": "t"}}]});
        assert!(!grant.is_in(&policy));
        assert!(grant.apply(&mut policy, true));
        assert_eq!(bindings(&policy).len(), 2);
        assert_eq!(policy["version"], json!(3));
        assert!(grant.apply(&mut policy, false));
        assert_eq!(bindings(&policy).len(), 1);
        assert_eq!(
            grant.id(),
            "projects/p/locations/l/services/s/roles/run.invoker/user:a@x.com"
        );
    }
}
