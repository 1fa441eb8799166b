//! Lambda permissions: one statement of a function's resource policy, read back by its
//! `Sid` from the policy (one policy read per function for all its statements).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::client::encode;
use super::{api_err, iam, Aws};
use crate::aws::Service;
use crate::providers::{ProviderError, Result};

type Obj = Map<String, Json>;

const TY: &str = "aws_lambda_permission";

fn s<'a>(o: &'a Obj, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Json::as_str).filter(|v| !v.is_empty())
}

/// The statement ID, generated (`terraform-…` or `statement_id_prefix`) when not given.
pub fn prepare(planned: &Obj) -> Obj {
    let mut out = planned.clone();
    if s(planned, "statement_id").is_none() {
        let prefix = s(planned, "statement_id_prefix").unwrap_or("terraform-");
        out.insert(
            "statement_id".to_owned(),
            Json::String(iam::unique_name(prefix)),
        );
    }
    out
}

fn policy_path(function: &str, qualifier: Option<&str>) -> String {
    let mut path = format!("/2015-03-31/functions/{}/policy", encode(function));
    if let Some(q) = qualifier {
        path.push_str(&format!("?Qualifier={}", encode(q)));
    }
    path
}

pub async fn create(aws: &Aws, planned: &Obj) -> Result<Obj> {
    let planned = prepare(planned);
    let function = s(&planned, "function_name").unwrap_or_default();
    let mut body = Obj::new();
    for (attr, field) in [
        ("statement_id", "StatementId"),
        ("action", "Action"),
        ("principal", "Principal"),
        ("source_arn", "SourceArn"),
        ("source_account", "SourceAccount"),
        ("event_source_token", "EventSourceToken"),
        ("principal_org_id", "PrincipalOrgID"),
        ("function_url_auth_type", "FunctionUrlAuthType"),
    ] {
        if let Some(v) = s(&planned, attr) {
            body.insert(field.to_owned(), json!(v));
        }
    }
    aws.client
        .json(
            Service::Lambda,
            "POST",
            &policy_path(function, s(&planned, "qualifier")),
            Some(&Json::Object(body)),
        )
        .await
        .map_err(|e| super::create_err(TY, &format!("add a permission to {function}"), e))?;
    let mut out = planned.clone();
    out.insert(
        "id".to_owned(),
        planned.get("statement_id").cloned().unwrap_or(Json::Null),
    );
    Ok(out)
}

/// The statements of a function's policy; `None` when the function (or its policy) is gone.
async fn statements(
    aws: &Aws,
    function: &str,
    qualifier: Option<&str>,
) -> Result<Option<Vec<Json>>> {
    let answer = match aws
        .client
        .json(
            Service::Lambda,
            "GET",
            &policy_path(function, qualifier),
            None,
        )
        .await
    {
        Ok(a) => a,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(api_err(TY, &format!("read the policy of {function}"), e)),
    };
    let policy: Json = answer
        .get("Policy")
        .and_then(Json::as_str)
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Json::Null);
    let statements = match policy.get("Statement") {
        Some(Json::Array(a)) => a.clone(),
        Some(one @ Json::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    Ok(Some(statements))
}

fn sid(statement: &Json) -> Option<&str> {
    statement.get("Sid").and_then(Json::as_str)
}

/// The permission's arguments as its statement holds them (Lambda writes `source_arn` as an
/// `ArnLike` condition on `AWS:SourceArn`, `source_account` as `StringEquals`).
fn from_statement(statement: &Json, base: &Obj) -> Obj {
    let mut out = base.clone();
    if let Some(a) = statement.get("Action").and_then(Json::as_str) {
        out.insert("action".to_owned(), json!(a));
    }
    let principal = match statement.get("Principal") {
        Some(Json::String(p)) => Some(p.clone()),
        Some(Json::Object(m)) => m.values().find_map(|v| v.as_str().map(str::to_owned)),
        _ => None,
    };
    if let Some(p) = principal {
        out.insert("principal".to_owned(), json!(p));
    }
    let condition = |test: &str, key: &str| {
        statement
            .get("Condition")
            .and_then(|c| c.get(test))
            .and_then(|c| c.get(key))
            .and_then(Json::as_str)
            .map(str::to_owned)
    };
    out.insert(
        "source_arn".to_owned(),
        json!(condition("ArnLike", "AWS:SourceArn")),
    );
    out.insert(
        "source_account".to_owned(),
        json!(condition("StringEquals", "AWS:SourceAccount")),
    );
    if let Some(id) = sid(statement) {
        out.insert("statement_id".to_owned(), json!(id));
        out.insert("id".to_owned(), json!(id));
    }
    out
}

pub async fn refresh(aws: &Aws, priors: &[Obj]) -> Result<Vec<Option<Obj>>> {
    let mut policies: BTreeMap<(String, Option<String>), Option<Vec<Json>>> = BTreeMap::new();
    let mut out = Vec::new();
    for prior in priors {
        let function = s(prior, "function_name").unwrap_or_default().to_owned();
        let qualifier = s(prior, "qualifier").map(str::to_owned);
        let key = (function.clone(), qualifier.clone());
        if !policies.contains_key(&key) {
            let found = statements(aws, &function, qualifier.as_deref()).await?;
            policies.insert(key.clone(), found);
        }
        let wanted = s(prior, "statement_id");
        let statement = policies
            .get(&key)
            .and_then(|v| v.as_ref())
            .and_then(|v| v.iter().find(|st| wanted.is_some() && sid(st) == wanted));
        out.push(statement.map(|st| from_statement(st, prior)));
    }
    Ok(out)
}

pub async fn delete(aws: &Aws, prior: &Obj) -> Result<()> {
    let function = s(prior, "function_name").unwrap_or_default();
    let sid = s(prior, "statement_id").unwrap_or_default();
    let mut path = format!(
        "/2015-03-31/functions/{}/policy/{}",
        encode(function),
        encode(sid)
    );
    if let Some(q) = s(prior, "qualifier") {
        path.push_str(&format!("?Qualifier={}", encode(q)));
    }
    match aws
        .client
        .json(Service::Lambda, "DELETE", &path, None)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err(
            TY,
            &format!("remove permission {sid} of {function}"),
            e,
        )),
    }
}

/// Terraform's import ID: `{function_name}/{statement_id}` (or `{function_name}:{qualifier}/...`).
pub async fn import(aws: &Aws, id: &str, config: &Obj) -> Result<Obj> {
    let (function, sid) = id.rsplit_once('/').ok_or_else(|| {
        ProviderError::new(format!(
            "{TY}: import ID \"{id}\" is not in the form {{function_name}}/{{statement_id}}"
        ))
    })?;
    let (function, qualifier) = match function.split_once(':') {
        Some((f, q)) if !function.starts_with("arn:") => (f, Some(q)),
        _ => (function, None),
    };
    let found = statements(aws, function, qualifier)
        .await?
        .unwrap_or_default();
    let Some(statement) = found.iter().find(|st| self::sid(st) == Some(sid)) else {
        return Err(ProviderError::new(format!(
            "Cannot import non-existent remote object: function {function} has no statement {sid}"
        )));
    };
    let mut out = from_statement(statement, config);
    out.insert("function_name".to_owned(), json!(function));
    if let Some(q) = qualifier {
        out.insert("qualifier".to_owned(), json!(q));
    }
    Ok(out)
}
