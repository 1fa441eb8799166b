//! IAM v1 service accounts: create / get / list / patch (mask in the body) / update / delete
//! (soft, 30 days) / undelete / disable / enable, and the account's own IAM policy. All
//! synchronous. Emails are `{accountId}@{projectId}.iam.gserviceaccount.com`.

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::policy::{self, Kind};
use super::request::{handler, list_body, Call, Route};
use super::schema::{Field, Ty};
use super::world::{ServiceAccount, World};

const SERVICE: &str = "iam.googleapis.com";

const SA: &[Field] = &[
    Field("name", Ty::Str),
    Field("projectId", Ty::Str),
    Field("uniqueId", Ty::Str),
    Field("email", Ty::Str),
    Field("displayName", Ty::Str),
    Field("description", Ty::Str),
    Field("oauth2ClientId", Ty::Str),
    Field("disabled", Ty::Bool),
    Field("etag", Ty::Bytes),
];
const CREATE: &[Field] = &[
    Field("accountId", Ty::Str),
    Field("serviceAccount", Ty::Obj(SA)),
];
const PATCH: &[Field] = &[
    Field("serviceAccount", Ty::Obj(SA)),
    Field("updateMask", Ty::Str),
];
const EMPTY: &[Field] = &[];

pub fn route(c: &Call) -> Option<Route> {
    if c.version != "v1" {
        return None;
    }
    let segs = c.segs();
    match (c.http.as_str(), segs.as_slice(), c.verb()) {
        ("POST", ["projects", p, "serviceAccounts"], None) => {
            let p = (*p).to_string();
            handler("iam.projects.serviceAccounts.create", move |c, w| {
                create(c, w, &p)
            })
        }
        ("GET", ["projects", p, "serviceAccounts"], None) => {
            let p = (*p).to_string();
            handler("iam.projects.serviceAccounts.list", move |c, w| {
                list(c, w, &p)
            })
        }
        (http, ["projects", p, "serviceAccounts", a], verb) => {
            let (p, a) = ((*p).to_string(), (*a).to_string());
            let m: &'static str = match (http, verb) {
                ("GET", None) => "iam.projects.serviceAccounts.get",
                ("PATCH", None) => "iam.projects.serviceAccounts.patch",
                ("PUT", None) => "iam.projects.serviceAccounts.update",
                ("DELETE", None) => "iam.projects.serviceAccounts.delete",
                ("POST", Some("undelete")) => "iam.projects.serviceAccounts.undelete",
                ("POST", Some("disable")) => "iam.projects.serviceAccounts.disable",
                ("POST", Some("enable")) => "iam.projects.serviceAccounts.enable",
                ("POST", Some("getIamPolicy")) => "iam.projects.serviceAccounts.getIamPolicy",
                ("POST", Some("setIamPolicy")) => "iam.projects.serviceAccounts.setIamPolicy",
                ("POST", Some("testIamPermissions")) => {
                    "iam.projects.serviceAccounts.testIamPermissions"
                }
                _ => return None,
            };
            handler(m, move |c, w| account_call(c, w, m, &p, &a))
        }
        _ => None,
    }
}

fn valid_account_id(id: &str) -> bool {
    let b = id.as_bytes();
    (6..=30).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !id.ends_with('-')
}

fn create(c: &Call, w: &mut World, p: &str) -> ApiResult {
    c.allow_query(&[])?;
    let body = c.body(CREATE, "")?;
    let p = w.consume(p, c.user_project.as_deref(), SERVICE)?;
    let id = body["accountId"].as_str().unwrap_or_default();
    if !valid_account_id(id) {
        return Err(ApiError::field(
            "account_id",
            format!("Invalid account ID '{id}': it must be 6-30 characters, start with a lowercase letter, and contain only lowercase letters, digits and hyphens, matching [a-z]([-a-z0-9]*[a-z0-9])."),
        ));
    }
    let email = format!("{id}@{}.iam.gserviceaccount.com", p.id);
    let name = format!("projects/{}/serviceAccounts/{email}", p.id);
    if find_live(w, &email).is_some() {
        return Err(ApiError::already_exists(
            "iam.googleapis.com/ServiceAccount",
            &name,
            format!(
                "Service account {id} already exists within project projects/{}.",
                p.id
            ),
        )
        .reason("alreadyExists", SERVICE));
    }
    // 21-digit unique ID; a re-created account gets a new one.
    let unique = format!("1{:020}", w.next_rand() % 10u64.pow(19));
    let sa = body.get("serviceAccount").cloned().unwrap_or(json!({}));
    let mut v = json!({
        "name": name,
        "projectId": p.id,
        "uniqueId": unique,
        "email": email,
        "oauth2ClientId": unique,
        "etag": "MDEwMjE5MjA=",
    });
    for f in ["displayName", "description"] {
        if let Some(x) = sa.get(f).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            v[f] = json!(x);
        }
    }
    check_lengths(&v)?;
    w.service_accounts.insert(
        unique,
        ServiceAccount {
            project: p.id.clone(),
            body: v.clone(),
            deleted: false,
            created_ms: c.now_ms,
            deleted_ms: None,
        },
    );
    Ok(v)
}

fn check_lengths(v: &Value) -> ApiResult<()> {
    if v["displayName"].as_str().is_some_and(|s| s.len() > 100) {
        return Err(ApiError::field(
            "display_name",
            "Display name must be at most 100 bytes.",
        ));
    }
    if v["description"].as_str().is_some_and(|s| s.len() > 256) {
        return Err(ApiError::field(
            "description",
            "Description must be at most 256 bytes.",
        ));
    }
    Ok(())
}

/// How long a deleted account can be undeleted [D: "up to 30 days after deletion"].
const RETENTION_MS: u64 = 30 * 24 * 3600 * 1000;

/// Removes accounts deleted more than 30 days ago: after that IAM purges them and undelete
/// answers as for an account that never existed. Accounts deleted by older data files (no
/// deletion time) are kept.
fn purge(w: &mut World, now: u64) {
    w.service_accounts.retain(|_, sa| {
        !(sa.deleted
            && sa
                .deleted_ms
                .is_some_and(|d| now >= d.saturating_add(RETENTION_MS)))
    });
}

fn find_live(w: &World, email: &str) -> Option<String> {
    w.service_accounts
        .iter()
        .find(|(_, sa)| !sa.deleted && sa.body["email"].as_str() == Some(email))
        .map(|(k, _)| k.clone())
}

fn list(c: &Call, w: &mut World, p: &str) -> ApiResult {
    c.allow_query(&["pageSize", "pageToken"])?;
    let p = w.consume(p, c.user_project.as_deref(), SERVICE)?;
    let mut items: Vec<Value> = w
        .service_accounts
        .values()
        .filter(|sa| !sa.deleted && sa.project == p.id)
        .map(|sa| sa.body.clone())
        .collect();
    items.sort_by(|a, b| a["email"].as_str().cmp(&b["email"].as_str()));
    let (page, next) = c.page(items, 20, 100)?;
    Ok(list_body("accounts", page, next))
}

/// Finds an account by email or unique ID. `projects/-/` turns a miss into 403 [D].
fn lookup(w: &World, p: &str, a: &str, include_deleted: bool) -> ApiResult<String> {
    let hit = w.service_accounts.iter().find(|(uid, sa)| {
        (include_deleted || !sa.deleted)
            && (uid.as_str() == a || sa.body["email"].as_str() == Some(a))
            && (p == "-"
                || sa.project == p
                || w.projects.get(&sa.project).is_some_and(|pr| pr.number == p))
    });
    match hit {
        Some((uid, _)) => Ok(uid.clone()),
        None if p == "-" => Err(ApiError::permission_denied(format!(
            "Permission 'iam.serviceAccounts.get' denied on resource (or it may not exist): {a}"
        ))),
        None => Err(ApiError::not_found(
            "iam.googleapis.com/ServiceAccount",
            &format!("projects/{p}/serviceAccounts/{a}"),
        )
        .reason("notFound", SERVICE)),
    }
}

fn account_call(c: &Call, w: &mut World, method: &str, p: &str, a: &str) -> ApiResult {
    purge(w, c.now_ms);
    let project = if p == "-" {
        None
    } else {
        Some(w.consume(p, c.user_project.as_deref(), SERVICE)?)
    };
    let p_id = project
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or_else(|| "-".to_string());
    let verb = method.rsplit('.').next().unwrap_or_default();
    if verb == "undelete" {
        c.allow_query(&[])?;
        c.body(EMPTY, "")?;
        let uid = lookup(w, &p_id, a, true).map_err(|_| {
            // gcloud documents PERMISSION_DENIED for an unknown account [Doc].
            ApiError::permission_denied(format!("Permission 'iam.serviceAccounts.undelete' denied on resource (or it may not exist): {a}"))
        })?;
        let Some(sa) = w.service_accounts.get(&uid).cloned() else {
            return Err(ApiError::not_found("iam.googleapis.com/ServiceAccount", a));
        };
        if !sa.deleted {
            return Err(ApiError::failed_precondition(format!(
                "Service account {a} is not deleted."
            )));
        }
        let email = sa.body["email"].as_str().unwrap_or_default().to_string();
        if find_live(w, &email).is_some() {
            return Err(ApiError::failed_precondition(format!(
                "Cannot undelete {a}: an account with email {email} exists again."
            )));
        }
        if let Some(s) = w.service_accounts.get_mut(&uid) {
            s.deleted = false;
            s.deleted_ms = None;
        }
        policy::rename_member(
            w,
            &format!("deleted:serviceAccount:{email}?uid={uid}"),
            &format!("serviceAccount:{email}"),
        );
        return Ok(json!({"restoredAccount": sa.body}));
    }
    let uid = lookup(w, &p_id, a, false)?;
    let resource = format!("serviceAccounts/{uid}");
    match verb {
        "get" => {
            c.allow_query(&[])?;
            Ok(w.service_accounts[&uid].body.clone())
        }
        "patch" | "update" => {
            c.allow_query(&[])?;
            let (changes, mask) = if verb == "patch" {
                let body = c.body(PATCH, "")?;
                let Some(mask) = body["updateMask"]
                    .as_str()
                    .map(super::request::parse_mask)
                    .filter(|m| !m.is_empty())
                else {
                    return Err(ApiError::field(
                        "update_mask",
                        "update_mask is required and must name displayName and/or description.",
                    ));
                };
                (
                    body.get("serviceAccount").cloned().unwrap_or(json!({})),
                    mask,
                )
            } else {
                // The deprecated PUT honours only displayName [D].
                (c.body(SA, "")?, vec!["displayName".to_string()])
            };
            for m in &mask {
                if m != "displayName" && m != "description" {
                    return Err(ApiError::field(
                        "update_mask",
                        format!(
                            "Field '{m}' cannot be updated; only displayName and description can."
                        ),
                    ));
                }
            }
            let mut v = w.service_accounts[&uid].body.clone();
            for m in &mask {
                match changes
                    .get(m)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                {
                    Some(x) => v[m.as_str()] = json!(x),
                    None => {
                        if let Some(o) = v.as_object_mut() {
                            o.remove(m);
                        }
                    }
                }
            }
            check_lengths(&v)?;
            if let Some(s) = w.service_accounts.get_mut(&uid) {
                s.body = v.clone();
            }
            Ok(v)
        }
        "delete" => {
            c.allow_query(&[])?;
            let email = w.service_accounts[&uid].body["email"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(s) = w.service_accounts.get_mut(&uid) {
                s.deleted = true;
                s.deleted_ms = Some(c.now_ms);
            }
            policy::rename_member(
                w,
                &format!("serviceAccount:{email}"),
                &format!("deleted:serviceAccount:{email}?uid={uid}"),
            );
            Ok(json!({}))
        }
        "disable" | "enable" => {
            c.allow_query(&[])?;
            c.body(EMPTY, "")?;
            if let Some(s) = w.service_accounts.get_mut(&uid) {
                if verb == "disable" {
                    s.body["disabled"] = json!(true);
                } else if let Some(o) = s.body.as_object_mut() {
                    o.remove("disabled");
                }
            }
            Ok(json!({}))
        }
        "getIamPolicy" => policy::get(c, w, &resource, true),
        "setIamPolicy" => policy::set(c, w, &resource, Kind::Resource),
        "testIamPermissions" => policy::test(c),
        _ => Err(ApiError::new(404, "NOT_FOUND", "Method not found.")),
    }
}
