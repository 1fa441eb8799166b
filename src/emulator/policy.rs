//! The IAM policy family shared by service accounts, projects, Cloud Run services and API
//! Gateway resources: read, replace with etag check (`409 ABORTED` on a stale etag), member
//! syntax checks, and `testIamPermissions`.

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::request::Call;
use super::schema::{Field, Ty, STRS};
use super::world::{StoredPolicy, World};

const EXPR: &[Field] = &[
    Field("expression", Ty::Str),
    Field("title", Ty::Str),
    Field("description", Ty::Str),
    Field("location", Ty::Str),
];
const BINDING: &[Field] = &[
    Field("role", Ty::Str),
    Field("members", STRS),
    Field("condition", Ty::Obj(EXPR)),
];
const LOG_TYPES: &[(&str, i64)] = &[
    ("LOG_TYPE_UNSPECIFIED", 0),
    ("ADMIN_READ", 1),
    ("DATA_WRITE", 2),
    ("DATA_READ", 3),
];
const AUDIT_LOG_CONFIG: &[Field] = &[
    Field("logType", Ty::Enum(LOG_TYPES)),
    Field("exemptedMembers", STRS),
];
const AUDIT_CONFIG: &[Field] = &[
    Field("service", Ty::Str),
    Field("auditLogConfigs", Ty::List(&Ty::Obj(AUDIT_LOG_CONFIG))),
];
const POLICY: &[Field] = &[
    Field("version", Ty::Num),
    Field("bindings", Ty::List(&Ty::Obj(BINDING))),
    Field("auditConfigs", Ty::List(&Ty::Obj(AUDIT_CONFIG))),
    Field("etag", Ty::Bytes),
];
const SET_REQUEST: &[Field] = &[
    Field("policy", Ty::Obj(POLICY)),
    Field("updateMask", Ty::Str),
];
const OPTIONS: &[Field] = &[Field("requestedPolicyVersion", Ty::Num)];
const GET_REQUEST: &[Field] = &[Field("options", Ty::Obj(OPTIONS))];
const TEST_REQUEST: &[Field] = &[Field("permissions", STRS)];

/// Etag of a resource that never had a policy [Obs].
const EMPTY_ETAG: &str = "ACAB";

/// Extra rules a resource kind puts on members (project policies refuse `allUsers`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Project,
    Resource,
}

/// The latest written policy (what a write's etag is checked against).
pub fn current(w: &World, resource: &str) -> Value {
    w.policies
        .get(resource)
        .map(|p| p.policy.clone())
        .unwrap_or_else(|| json!({"etag": EMPTY_ETAG}))
}

/// The policy readers see and permission checks use: during the injected propagation window
/// after a write, the one before it.
pub fn in_force(w: &World, resource: &str) -> Value {
    in_force_at(w, resource, w.clock.now_ms)
}

/// [`in_force`] at an explicit time, for callers outside a control-plane call (the data plane's
/// invoker check), where the world's clock is not set.
pub fn in_force_at(w: &World, resource: &str, now_ms: u64) -> Value {
    match w.policies.get(resource) {
        Some(p) if now_ms < p.visible_ms => p
            .previous
            .clone()
            .unwrap_or_else(|| json!({"etag": EMPTY_ETAG})),
        Some(p) => p.policy.clone(),
        None => json!({"etag": EMPTY_ETAG}),
    }
}

/// getIamPolicy; `body_form` says whether the options come in a JSON body (IAM/CRM style) or
/// the query (`options.requestedPolicyVersion`, Run and API Gateway style).
pub fn get(c: &Call, w: &World, resource: &str, body_form: bool) -> ApiResult {
    if body_form {
        c.allow_query(&["options.requestedPolicyVersion"])?;
        c.body(GET_REQUEST, "")?;
    } else {
        c.allow_query(&["options.requestedPolicyVersion"])?;
    }
    if let Some(v) = c.q("options.requestedPolicyVersion") {
        match v.parse::<i64>() {
            Ok(0 | 1 | 3) => {}
            _ => {
                return Err(ApiError::field(
                    "options.requestedPolicyVersion",
                    format!("Invalid requested policy version {v}; valid values are 0, 1 and 3."),
                ))
            }
        }
    }
    Ok(in_force(w, resource))
}

fn check_member(m: &str, kind: Kind, w: &World) -> ApiResult<()> {
    const PREFIXES: &[&str] = &[
        "user:",
        "serviceAccount:",
        "group:",
        "domain:",
        "principal://",
        "principalSet://",
        "deleted:serviceAccount:",
        "deleted:user:",
        "deleted:group:",
        "projectOwner:",
        "projectEditor:",
        "projectViewer:",
    ];
    if m == "allUsers" || m == "allAuthenticatedUsers" {
        if kind == Kind::Project {
            // Documented as not supported on projects [D]; the code is inferred.
            return Err(ApiError::invalid(format!(
                "Policy members of type {m} are not supported for this resource."
            )));
        }
        return Ok(());
    }
    let Some(prefix) = PREFIXES.iter().find(|p| m.starts_with(**p)) else {
        return Err(ApiError::invalid(format!("Invalid member: {m}")));
    };
    let rest = &m[prefix.len()..];
    if rest.is_empty() {
        return Err(ApiError::invalid(format!("Invalid member: {m}")));
    }
    if *prefix == "serviceAccount:" && rest.ends_with(".iam.gserviceaccount.com") {
        // User-managed accounts must exist (and not be deleted) to be bound [Obs: a new account
        // "does not exist" until visible]. Google-managed agents are not modelled and pass.
        // A freshly created account stays invisible for the injected propagation delay.
        let exists = w.service_accounts.values().any(|sa| {
            !sa.deleted
                && sa.body["email"].as_str() == Some(rest)
                && w.clock.now_ms >= sa.created_ms.saturating_add(w.clock.account_propagation_ms)
        });
        if !exists {
            return Err(ApiError::invalid(format!(
                "Service account {rest} does not exist."
            )));
        }
    }
    Ok(())
}

/// setIamPolicy: replaces the policy; a sent etag must match the current one.
pub fn set(c: &Call, w: &mut World, resource: &str, kind: Kind) -> ApiResult {
    c.allow_query(&[])?;
    let req = c.body(SET_REQUEST, "")?;
    let Some(new) = req.get("policy").cloned() else {
        return Err(ApiError::field(
            "policy",
            "Request contains an invalid argument: policy is required.",
        ));
    };
    let old = current(w, resource);
    if let Some(etag) = new.get("etag").and_then(Value::as_str) {
        if Some(etag) != old["etag"].as_str() {
            return Err(ApiError::aborted(
                "There were concurrent policy changes. Please retry the whole read-modify-write \
                 with exponential backoff. The request's ETag did not match the current policy's ETag.",
            )
            .reason("ETAG_MISMATCH", "iam.googleapis.com"));
        }
    }
    let mask: Vec<String> = req["updateMask"]
        .as_str()
        .map(super::request::parse_mask)
        .unwrap_or_else(|| vec!["bindings".into(), "etag".into()]);
    let mut out = json!({});
    let mut bindings: Vec<Value> = Vec::new();
    let mut has_condition = false;
    let source = if mask.iter().any(|m| m == "bindings") {
        &new
    } else {
        &old
    };
    for b in source["bindings"].as_array().cloned().unwrap_or_default() {
        let role = b["role"].as_str().unwrap_or_default();
        if !(role.starts_with("roles/")
            || role.starts_with("projects/")
            || role.starts_with("organizations/"))
        {
            return Err(ApiError::invalid(format!(
                "Role {role} is not supported for this resource."
            )));
        }
        let members: Vec<&str> = b["members"]
            .as_array()
            .map(|m| m.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for m in &members {
            check_member(m, kind, w)?;
            if kind == Kind::Project && role == "roles/owner" && m.starts_with("user:") {
                // Owners who are users must accept an invitation; setIamPolicy refuses [D].
                return Err(ApiError::failed_precondition(format!(
                    "Request contains an invalid argument: {m} cannot be made owner via setIamPolicy; send an invitation instead."
                )));
            }
        }
        if members.is_empty() {
            continue; // empty bindings are dropped, as the server does
        }
        has_condition |= b.get("condition").is_some();
        bindings.push(b);
    }
    let version = new["version"].as_i64().unwrap_or(0);
    if has_condition && version != 3 {
        return Err(ApiError::invalid(
            "Conditional role bindings require policy version 3 (set policy.version to 3).",
        ));
    }
    if !bindings.is_empty() {
        out["version"] = json!(if has_condition { 3 } else { version.max(1) });
        out["bindings"] = Value::Array(bindings);
    }
    let audit = if mask.iter().any(|m| m == "auditConfigs") {
        &new["auditConfigs"]
    } else {
        &old["auditConfigs"]
    };
    if audit.as_array().is_some_and(|a| !a.is_empty()) {
        out["auditConfigs"] = audit.clone();
    }
    out["etag"] = json!(new_etag(w));
    let previous = (w.clock.iam_propagation_ms > 0).then(|| in_force(w, resource));
    w.policies.insert(
        resource.to_string(),
        StoredPolicy {
            policy: out.clone(),
            previous,
            visible_ms: w.clock.now_ms + w.clock.iam_propagation_ms,
        },
    );
    Ok(out)
}

/// A fresh policy etag: base64 of 8 bytes, unique per write (`BwW...` like real ones).
pub fn new_etag(w: &mut World) -> String {
    use base64::Engine;
    let n = w.next_rand();
    let mut bytes = vec![0x07, 0x05];
    bytes.extend_from_slice(&n.to_be_bytes()[..6]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// testIamPermissions: the emulator's caller is all-powerful, so every asked permission holds.
pub fn test(c: &Call) -> ApiResult {
    c.allow_query(&[])?;
    let req = c.body(TEST_REQUEST, "")?;
    let perms = req.get("permissions").cloned().unwrap_or(json!([]));
    if perms.as_array().is_some_and(|a| a.is_empty()) {
        return Ok(json!({}));
    }
    Ok(json!({ "permissions": perms }))
}

/// Rewrites members when a service account is deleted or restored, as IAM does [D]:
/// `serviceAccount:E` ⇄ `deleted:serviceAccount:E?uid=U`.
pub fn rename_member(w: &mut World, from: &str, to: &str) {
    for p in w.policies.values_mut() {
        if let Some(bindings) = p.policy["bindings"].as_array_mut() {
            for b in bindings {
                if let Some(members) = b["members"].as_array_mut() {
                    for m in members.iter_mut() {
                        if m.as_str() == Some(from) {
                            *m = Value::String(to.to_string());
                        }
                    }
                }
            }
        }
    }
}
