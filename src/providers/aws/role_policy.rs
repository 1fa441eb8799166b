//! `aws_iam_role_policy`: a policy written inline into a role (PutRolePolicy), Terraform's ID
//! `{role}:{name}`. The name is chosen before the put (`name_prefix` or `terraform-…`), and
//! PutRolePolicy overwrites, so a run killed around it is found again by name and a repeated
//! put changes nothing.

use serde_json::{Map, Value as Json};

use super::client::xml_text;
use super::iam::{call, p, percent_decode, s, same_json_kept};
use super::{api_err, Aws};
use crate::providers::{ProviderError, Result};

type Obj = Map<String, Json>;

const TY: &str = "aws_iam_role_policy";

/// The name, generated where the configuration gives none.
pub fn prepare(planned: &Obj) -> Obj {
    super::iam::with_name(planned)
}

fn with_id(mut obj: Obj) -> Obj {
    let id = format!(
        "{}:{}",
        s(&obj, "role").unwrap_or_default(),
        s(&obj, "name").unwrap_or_default()
    );
    obj.insert("id".to_owned(), Json::String(id));
    obj
}

/// Puts the policy (create and update alike) and reads it back.
pub async fn put(aws: &Aws, planned: &Obj) -> Result<Obj> {
    let planned = prepare(planned);
    let (role, name) = (
        s(&planned, "role").unwrap_or_default(),
        s(&planned, "name").unwrap_or_default(),
    );
    let params = vec![
        p("RoleName", role),
        p("PolicyName", name),
        p("PolicyDocument", s(&planned, "policy").unwrap_or_default()),
    ];
    call(aws, "PutRolePolicy", params)
        .await
        .map_err(|e| api_err(TY, &format!("put policy {name} into role {role}"), e))?;
    read(aws, &planned)
        .await?
        .ok_or_else(|| ProviderError::new(format!("{TY}: {role}:{name} vanished after the put")))
}

/// The policy as IAM holds it; `None` when the role or the policy is gone.
pub async fn read(aws: &Aws, prior: &Obj) -> Result<Option<Obj>> {
    let (role, name) = (
        s(prior, "role").unwrap_or_default(),
        s(prior, "name").unwrap_or_default(),
    );
    let xml = match call(
        aws,
        "GetRolePolicy",
        vec![p("RoleName", role), p("PolicyName", name)],
    )
    .await
    {
        Ok(x) => x,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(api_err(TY, &format!("read {role}:{name}"), e)),
    };
    let mut out = prior.clone();
    if let Some(doc) = xml_text(&xml, "PolicyDocument") {
        let doc = percent_decode(&doc);
        out.insert(
            "policy".to_owned(),
            same_json_kept(&doc, prior.get("policy")),
        );
    }
    Ok(Some(with_id(out)))
}

pub async fn refresh(aws: &Aws, priors: &[Obj]) -> Result<Vec<Option<Obj>>> {
    let mut out = Vec::with_capacity(priors.len());
    for prior in priors {
        out.push(read(aws, prior).await?);
    }
    Ok(out)
}

pub async fn delete(aws: &Aws, prior: &Obj) -> Result<()> {
    let (role, name) = (
        s(prior, "role").unwrap_or_default(),
        s(prior, "name").unwrap_or_default(),
    );
    match call(
        aws,
        "DeleteRolePolicy",
        vec![p("RoleName", role), p("PolicyName", name)],
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err(TY, &format!("delete {role}:{name}"), e)),
    }
}

/// Terraform's import ID: `{role}:{name}`.
pub async fn import(aws: &Aws, id: &str, config: &Obj) -> Result<Obj> {
    let (role, name) = id.split_once(':').ok_or_else(|| {
        ProviderError::new(format!(
            "{TY}: import ID \"{id}\" is not in the form {{role}}:{{name}}"
        ))
    })?;
    let mut base = config.clone();
    base.insert("role".to_owned(), Json::String(role.to_owned()));
    base.insert("name".to_owned(), Json::String(name.to_owned()));
    read(aws, &base).await?.ok_or_else(|| {
        ProviderError::new(format!(
            "Cannot import non-existent remote object: no policy {name} in role {role}"
        ))
    })
}
