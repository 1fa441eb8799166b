//! `google_service_account` (IAM v1): create, patch display name/description, enable/disable,
//! delete (soft delete on Google's side); refresh with one paged list per project, falling back
//! to a get only for accounts keyway just created and IAM does not list yet.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::client::{encode_query, Api, GoogleError};
use super::{api_err, bool_attr, required, str_attr, Google};
use crate::providers::Result;

const TY: &str = "google_service_account";

/// The attributes from configuration plus what the API returned.
fn finish(mut obj: Map<String, Json>, project: &str, sa: &Json) -> Map<String, Json> {
    let s = |k: &str| {
        sa.get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let email = s("email");
    obj.insert("project".into(), json!(project));
    obj.insert(
        "id".into(),
        json!(format!("projects/{project}/serviceAccounts/{email}")),
    );
    obj.insert("name".into(), json!(s("name")));
    obj.insert("unique_id".into(), json!(s("uniqueId")));
    obj.insert("member".into(), json!(format!("serviceAccount:{email}")));
    obj.insert("email".into(), json!(email));
    if let Some(id) = email.split('@').next().filter(|_| !email.is_empty()) {
        obj.insert("account_id".into(), json!(id));
    }
    // Google omits empty strings (proto3 JSON): absent means empty. An empty value read back
    // for an argument the configuration leaves unset stays unset, so it never shows as drift.
    for (attr, field) in [
        ("display_name", "displayName"),
        ("description", "description"),
    ] {
        let live = s(field);
        let unset = obj.get(attr).is_none_or(Json::is_null);
        let value = if live.is_empty() && unset {
            Json::Null
        } else {
            json!(live)
        };
        obj.insert(attr.into(), value);
    }
    obj.insert(
        "disabled".into(),
        json!(sa.get("disabled").and_then(Json::as_bool).unwrap_or(false)),
    );
    obj
}

/// IAM's rule for `accountId` (reference §3.2: 6-30 characters, `[a-z]([-a-z0-9]*[a-z0-9])`),
/// checked before any request so the error names the argument.
fn check_account_id(id: &str) -> Result<()> {
    let b = id.as_bytes();
    let ok = (6..=30).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.last().is_some_and(|c| *c != b'-');
    if ok {
        Ok(())
    } else {
        Err(crate::providers::ProviderError::new(format!(
            "{TY}: `account_id` \"{id}\" must be 6-30 characters: lowercase letters, digits and \
             hyphens, starting with a letter and not ending with a hyphen"
        )))
    }
}

fn email_of(project: &str, account_id: &str) -> String {
    format!("{account_id}@{project}.iam.gserviceaccount.com")
}

/// Every (live) account of a project, keyed by email.
async fn list(g: &Google, project: &str) -> Result<BTreeMap<String, Json>> {
    let mut out = BTreeMap::new();
    let mut token = String::new();
    loop {
        let mut path = format!("v1/projects/{project}/serviceAccounts?pageSize=100");
        if !token.is_empty() {
            path.push_str(&format!("&pageToken={}", encode_query(&token)));
        }
        let page = g
            .client()
            .get(Api::Iam, &path)
            .await
            .map_err(|e| api_err(TY, &format!("list service accounts of {project}"), e))?;
        for a in page
            .get("accounts")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(email) = a.get("email").and_then(Json::as_str) {
                out.insert(email.to_owned(), a.clone());
            }
        }
        match page.get("nextPageToken").and_then(Json::as_str) {
            Some(t) if !t.is_empty() => token = t.to_owned(),
            _ => return Ok(out),
        }
    }
}

/// A get that waits out the "new account briefly invisible" window for accounts keyway created
/// (reads are eventually consistent, reference §3.3); `None` when the account is gone.
async fn get_recent(g: &Google, project: &str, email: &str) -> Result<Option<Json>> {
    let mut attempt = 0u32;
    loop {
        match g
            .client()
            .get(
                Api::Iam,
                &format!("v1/projects/{project}/serviceAccounts/{email}"),
            )
            .await
        {
            Ok(a) => return Ok(Some(a)),
            Err(e)
                if e.code == 404 && g.client().recently_created_account(email) && attempt < 30 =>
            {
                tokio::time::sleep(g.client().backoff.delay(attempt.min(4), None)).await;
                attempt += 1;
            }
            Err(e) if e.code == 404 => return Ok(None),
            Err(e) => return Err(api_err(TY, &format!("read {email}"), e)),
        }
    }
}

/// Remembers an account a stopped run may have created `age` ago, so that a lookup missing
/// it waits out the listing lag as it does for accounts this run created.
pub fn note_recent(g: &Google, planned: &Map<String, Json>, age: std::time::Duration) {
    let (Ok(project), Some(id)) = (g.project_of(TY, planned), str_attr(planned, "account_id"))
    else {
        return;
    };
    g.client()
        .note_account_created_at(&email_of(&project, &id), age);
}

/// One list per project.
pub async fn refresh(
    g: &Google,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let projects = priors
        .iter()
        .map(|p| g.project_of(TY, p))
        .collect::<Result<std::collections::BTreeSet<_>>>()?;
    // One list per project, all projects concurrently.
    let fetched =
        futures_util::future::try_join_all(projects.iter().map(|project| list(g, project))).await?;
    let lists: BTreeMap<String, BTreeMap<String, Json>> =
        projects.into_iter().zip(fetched).collect();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let project = g.project_of(TY, p)?;
        let email = str_attr(p, "email")
            .unwrap_or_else(|| email_of(&project, &str_attr(p, "account_id").unwrap_or_default()));
        let found = match lists.get(&project).and_then(|l| l.get(&email)) {
            Some(a) => Some(a.clone()),
            None if g.client().recently_created_account(&email) => {
                get_recent(g, &project, &email).await?
            }
            None => None,
        };
        out.push(found.map(|a| finish(p.clone(), &project, &a)));
    }
    Ok(out)
}

pub async fn create(g: &Google, planned: &Map<String, Json>) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, planned)?;
    let account_id = required(planned, TY, "account_id")?;
    check_account_id(&account_id)?;
    let mut sa = Map::new();
    if let Some(d) = str_attr(planned, "display_name") {
        sa.insert("displayName".into(), json!(d));
    }
    if let Some(d) = str_attr(planned, "description") {
        sa.insert("description".into(), json!(d));
    }
    let action = format!("create {account_id} in {project}");
    let body = json!({"accountId": account_id, "serviceAccount": sa});
    let created = g
        .client()
        .post(
            Api::Iam,
            &format!("v1/projects/{project}/serviceAccounts"),
            &body,
        )
        .await;
    let mut account = match created {
        Ok(a) => a,
        Err(e)
            if e.status == "ALREADY_EXISTS"
                && bool_attr(planned, "create_ignore_already_exists") == Some(true) =>
        {
            // Terraform's opt-in adoption of an existing account.
            let email = email_of(&project, &account_id);
            get_recent(g, &project, &email)
                .await?
                .ok_or_else(|| api_err(TY, &action, e))?
        }
        Err(e) => return Err(api_err(TY, &action, e)),
    };
    if let Some(email) = account.get("email").and_then(Json::as_str) {
        g.client().note_account_created(email);
    }
    if bool_attr(planned, "disabled") == Some(true) {
        let name = account
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        set_disabled(g, &name, true)
            .await
            .map_err(|e| api_err(TY, &format!("disable {name}"), e))?;
        account["disabled"] = json!(true);
    }
    Ok(finish(planned.clone(), &project, &account))
}

async fn set_disabled(
    g: &Google,
    name: &str,
    disabled: bool,
) -> std::result::Result<(), GoogleError> {
    let verb = if disabled { "disable" } else { "enable" };
    g.client()
        .post(Api::Iam, &format!("v1/{name}:{verb}"), &json!({}))
        .await
        .map(|_| ())
}

pub async fn update(
    g: &Google,
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let project = g.project_of(TY, prior)?;
    let name = required(prior, TY, "name")?;
    let mut mask = Vec::new();
    let mut sa = Map::new();
    for (attr, field) in [
        ("display_name", "displayName"),
        ("description", "description"),
    ] {
        let want = str_attr(planned, attr).unwrap_or_default();
        if want != str_attr(prior, attr).unwrap_or_default() {
            mask.push(field);
            sa.insert(field.into(), json!(want));
        }
    }
    let mut account = json!({
        "name": name,
        "email": str_attr(prior, "email").unwrap_or_default(),
        "uniqueId": str_attr(prior, "unique_id").unwrap_or_default(),
        "displayName": str_attr(prior, "display_name").unwrap_or_default(),
        "description": str_attr(prior, "description").unwrap_or_default(),
        "disabled": bool_attr(prior, "disabled").unwrap_or(false),
    });
    if !mask.is_empty() {
        // The mask travels in the body for IAM's patch (reference §3.1).
        let body = json!({"serviceAccount": sa, "updateMask": mask.join(",")});
        g.client()
            .call(
                Api::Iam,
                reqwest::Method::PATCH,
                &format!("v1/{name}"),
                Some(&body),
            )
            .await
            .map_err(|e| api_err(TY, &format!("update {name}"), e))?;
        // The patch response may hold only the patched fields: merge what was sent.
        for (k, v) in sa {
            account[k] = v;
        }
    }
    let want_disabled = bool_attr(planned, "disabled").unwrap_or(false);
    if want_disabled != bool_attr(prior, "disabled").unwrap_or(false) {
        set_disabled(g, &name, want_disabled)
            .await
            .map_err(|e| api_err(TY, &format!("enable/disable {name}"), e))?;
        account["disabled"] = json!(want_disabled);
    }
    Ok(finish(planned.clone(), &project, &account))
}

pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    let project = g.project_of(TY, prior)?;
    let name = match str_attr(prior, "name") {
        Some(n) => n,
        None => format!(
            "projects/{project}/serviceAccounts/{}",
            required(prior, TY, "email")?
        ),
    };
    if let Some(email) = str_attr(prior, "email") {
        // keyway deleted it: from now on a 404 is the truth, not propagation lag.
        g.client().forget_account(&email);
    }
    match g
        .client()
        .call(
            Api::Iam,
            reqwest::Method::DELETE,
            &format!("v1/{name}"),
            None,
        )
        .await
    {
        Ok(_) => Ok(()),
        // Already gone: the goal is reached.
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(api_err(TY, &format!("delete {name}"), e)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn account_ids_follow_iams_rule() {
        for ok in ["gateway-sa", "abcdef", "a23456789012345678901234567890"] {
            assert!(super::check_account_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "short",
            "Gateway-sa",
            "1gateway",
            "gateway-",
            "gate_way",
            "a234567890123456789012345678901",
        ] {
            assert!(super::check_account_id(bad).is_err(), "{bad}");
        }
    }
}
