//! IAM roles over the query protocol: create / get / update / delete / list / tag, managed
//! policy attachments and inline policies, answered in IAM's documented XML (trust and inline
//! policy documents URL-encoded, `NoSuchEntity`, `EntityAlreadyExists`, `DeleteConflict`).

use super::super::world::World;
use super::store::Role;
use super::wire::{iam_unique_id, iso_secs, page, Answer, AwsError, AwsResult, Req};
use super::xml::{self, X};
use super::Handler;

pub const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

pub fn route(req: &Req) -> Option<(&'static str, Handler)> {
    let action = req.param("Action")?;
    let h: (&'static str, Handler) = match action {
        "CreateRole" => ("CreateRole", create_role),
        "GetRole" => ("GetRole", get_role),
        "UpdateRole" => ("UpdateRole", update_role),
        "UpdateAssumeRolePolicy" => ("UpdateAssumeRolePolicy", update_assume),
        "DeleteRole" => ("DeleteRole", delete_role),
        "ListRoles" => ("ListRoles", list_roles),
        "TagRole" => ("TagRole", tag_role),
        "UntagRole" => ("UntagRole", untag_role),
        "ListRoleTags" => ("ListRoleTags", list_role_tags),
        "AttachRolePolicy" => ("AttachRolePolicy", attach),
        "DetachRolePolicy" => ("DetachRolePolicy", detach),
        "ListAttachedRolePolicies" => ("ListAttachedRolePolicies", list_attached),
        "PutRolePolicy" => ("PutRolePolicy", put_inline),
        "GetRolePolicy" => ("GetRolePolicy", get_inline),
        "DeleteRolePolicy" => ("DeleteRolePolicy", delete_inline),
        "ListRolePolicies" => ("ListRolePolicies", list_inline),
        other => return super::iam_policies::route(other),
    };
    Some(h)
}

pub(super) fn ok(req: &Req, op: &str, result: Option<Vec<X>>) -> AwsResult {
    Ok(Answer::Xml(
        200,
        xml::response(NS, op, result, &request_id(req)),
    ))
}

/// The request ID in an XML body (the header carries another; clients read either).
fn request_id(req: &Req) -> String {
    format!("{:016x}-keyway", req.now_ms)
}

pub(super) fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationError", message)
}

pub(super) fn required<'a>(req: &'a Req, name: &str) -> Result<&'a str, AwsError> {
    req.param(name).filter(|v| !v.is_empty()).ok_or_else(|| {
        invalid(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(name)
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Role names: `[\w+=,.@-]{1,64}` (IAM's documented pattern).
fn role_name(req: &Req) -> Result<String, AwsError> {
    let name = required(req, "RoleName")?;
    let valid = name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !valid {
        return Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )));
    }
    Ok(name.to_string())
}

fn no_such_role(name: &str) -> AwsError {
    AwsError::new(
        404,
        "NoSuchEntity",
        format!("The role with name {name} cannot be found."),
    )
}

fn role<'a>(world: &'a mut World, name: &str) -> Result<&'a mut Role, AwsError> {
    world
        .aws
        .roles
        .get_mut(name)
        .ok_or_else(|| no_such_role(name))
}

/// A policy document must be JSON (IAM's grammar checks go further; JSON is what clients
/// most often get wrong).
pub(super) fn policy_document(text: &str) -> Result<(), AwsError> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if v.is_object() => Ok(()),
        _ => Err(AwsError::bad_request(
            "MalformedPolicyDocument",
            "This policy contains invalid Json",
        )),
    }
}

pub(super) fn tags_from(req: &Req) -> Result<Vec<(String, String)>, AwsError> {
    let mut out = Vec::new();
    for m in xml::members(&req.form, "Tags") {
        let get = |f: &str| m.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone());
        let key = get("Key").ok_or_else(|| invalid("Tag keys must not be null"))?;
        out.push((key, get("Value").unwrap_or_default()));
    }
    if out.len() > 50 {
        return Err(AwsError::bad_request(
            "LimitExceeded",
            "Cannot exceed quota for TagsPerRole: 50",
        ));
    }
    Ok(out)
}

pub(super) fn merge_tags(into: &mut Vec<(String, String)>, tags: Vec<(String, String)>) {
    for (k, v) in tags {
        match into.iter_mut().find(|(ek, _)| *ek == k) {
            Some(e) => e.1 = v,
            None => into.push((k, v)),
        }
    }
}

pub(super) fn tag_xml(tags: &[(String, String)]) -> X {
    X::list(
        "Tags",
        tags.iter()
            .map(|(k, v)| vec![X::text("Key", k.clone()), X::text("Value", v.clone())])
            .collect(),
    )
}

fn role_xml(r: &Role, full: bool) -> Vec<X> {
    let mut out = vec![
        X::text("Path", r.path.clone()),
        X::text("RoleName", r.name.clone()),
        X::text("RoleId", r.id.clone()),
        X::text("Arn", r.arn()),
        X::text("CreateDate", iso_secs(r.created_ms)),
        X::text(
            "AssumeRolePolicyDocument",
            xml::url_encode(&r.assume_role_policy),
        ),
    ];
    if let Some(d) = &r.description {
        out.push(X::text("Description", d.clone()));
    }
    out.push(X::text(
        "MaxSessionDuration",
        r.max_session_duration.to_string(),
    ));
    if !r.tags.is_empty() {
        out.push(tag_xml(&r.tags));
    }
    if full {
        // GetRole always shows RoleLastUsed (empty until the role is used).
        out.push(X::Elem("RoleLastUsed", Vec::new()));
    }
    out
}

fn max_session(req: &Req) -> Result<Option<i64>, AwsError> {
    match req.param("MaxSessionDuration") {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (3600..=43200).contains(&n) => Ok(Some(n)),
            _ => Err(invalid(format!(
                "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy \
                 constraint: Member must have value less than or equal to 43200 and greater than or equal to 3600"
            ))),
        },
    }
}

fn create_role(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let doc = required(req, "AssumeRolePolicyDocument")?.to_string();
    policy_document(&doc)?;
    let path = req.param("Path").unwrap_or("/").to_string();
    if !path.starts_with('/') || !path.ends_with('/') || path.len() > 512 {
        return Err(invalid(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
        ));
    }
    let max = max_session(req)?.unwrap_or(3600);
    let tags = tags_from(req)?;
    // Role names are unique case-insensitively.
    if world
        .aws
        .roles
        .keys()
        .any(|k| k.eq_ignore_ascii_case(&name))
    {
        return Err(AwsError::new(
            409,
            "EntityAlreadyExists",
            format!("Role with name {name} already exists."),
        ));
    }
    let role = Role {
        path,
        name: name.clone(),
        id: iam_unique_id(world, "AROA"),
        created_ms: req.now_ms,
        assume_role_policy: doc,
        description: req.param("Description").map(str::to_string),
        max_session_duration: max,
        tags,
        attached: Vec::new(),
        inline: Default::default(),
    };
    let body = role_xml(&role, false);
    world.aws.roles.insert(name, role);
    ok(req, "CreateRole", Some(vec![X::Elem("Role", body)]))
}

fn get_role(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let r = role(world, &name)?;
    let body = role_xml(r, true);
    ok(req, "GetRole", Some(vec![X::Elem("Role", body)]))
}

fn update_role(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let max = max_session(req)?;
    let r = role(world, &name)?;
    if let Some(d) = req.param("Description") {
        r.description = Some(d.to_string());
    }
    if let Some(m) = max {
        r.max_session_duration = m;
    }
    ok(req, "UpdateRole", Some(Vec::new()))
}

fn update_assume(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let doc = required(req, "PolicyDocument")?.to_string();
    policy_document(&doc)?;
    role(world, &name)?.assume_role_policy = doc;
    ok(req, "UpdateAssumeRolePolicy", None)
}

fn delete_role(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let r = role(world, &name)?;
    if !r.attached.is_empty() {
        return Err(AwsError::new(
            409,
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if !r.inline.is_empty() {
        return Err(AwsError::new(
            409,
            "DeleteConflict",
            "Cannot delete entity, must delete policies first.",
        ));
    }
    world.aws.roles.remove(&name);
    ok(req, "DeleteRole", None)
}

/// `Marker` / `MaxItems` (1–1000, default 100) paging with `IsTruncated`.
pub(super) fn paged<T>(req: &Req, items: Vec<T>) -> Result<(Vec<T>, Vec<X>), AwsError> {
    let (items, next) = page(items, req.param("Marker"), req.param("MaxItems"), 100, 1000)
        .map_err(|e| invalid(e.message))?;
    let mut tail = vec![X::text("IsTruncated", next.is_some().to_string())];
    if let Some(m) = next {
        tail.push(X::text("Marker", m));
    }
    Ok((items, tail))
}

fn list_roles(req: &Req, world: &mut World) -> AwsResult {
    let prefix = req.param("PathPrefix").unwrap_or("/");
    let roles: Vec<Vec<X>> = world
        .aws
        .roles
        .values()
        .filter(|r| r.path.starts_with(prefix))
        .map(|r| role_xml(r, false))
        .collect();
    let (items, tail) = paged(req, roles)?;
    let mut out = vec![X::list("Roles", items)];
    out.extend(tail);
    ok(req, "ListRoles", Some(out))
}

fn tag_role(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let tags = tags_from(req)?;
    let r = role(world, &name)?;
    merge_tags(&mut r.tags, tags);
    ok(req, "TagRole", None)
}

fn untag_role(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let keys = tag_keys(req);
    let r = role(world, &name)?;
    r.tags.retain(|(k, _)| !keys.contains(k));
    ok(req, "UntagRole", None)
}

/// The `TagKeys.member.N` an untag names.
pub(super) fn tag_keys(req: &Req) -> Vec<String> {
    req.form
        .iter()
        .filter(|(k, _)| k.starts_with("TagKeys.member."))
        .map(|(_, v)| v.clone())
        .collect()
}

/// A ListRoleTags / ListPolicyTags answer (one page: at most 50 tags exist).
pub(super) fn tags_answer(req: &Req, op: &str, tags: &[(String, String)]) -> AwsResult {
    ok(
        req,
        op,
        Some(vec![tag_xml(tags), X::text("IsTruncated", "false")]),
    )
}

fn list_role_tags(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let tags = role(world, &name)?.tags.clone();
    tags_answer(req, "ListRoleTags", &tags)
}

/// A policy ARN as IAM parses it (whether it exists is `iam_policies::attachable`'s
/// question).
pub(super) fn policy_arn(req: &Req) -> Result<String, AwsError> {
    let arn = required(req, "PolicyArn")?;
    let valid = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(":policy/"))
        .is_some_and(|(acct, name)| {
            (acct == "aws" || (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())))
                && !name.is_empty()
        });
    if !valid {
        return Err(AwsError::bad_request(
            "InvalidInput",
            format!("ARN {arn} is not valid."),
        ));
    }
    Ok(arn.to_string())
}

fn attach(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let arn = policy_arn(req)?;
    if !super::iam_policies::attachable(world, &arn) {
        return Err(AwsError::new(
            404,
            "NoSuchEntity",
            format!("Policy {arn} does not exist or is not attachable."),
        ));
    }
    let r = role(world, &name)?;
    if !r.attached.contains(&arn) {
        r.attached.push(arn);
    }
    ok(req, "AttachRolePolicy", None)
}

fn detach(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let arn = policy_arn(req)?;
    let r = role(world, &name)?;
    let before = r.attached.len();
    r.attached.retain(|a| *a != arn);
    if r.attached.len() == before {
        return Err(AwsError::new(
            404,
            "NoSuchEntity",
            format!("Policy {arn} was not found."),
        ));
    }
    ok(req, "DetachRolePolicy", None)
}

fn list_attached(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let attached = role(world, &name)?.attached.clone();
    let items: Vec<Vec<X>> = attached
        .iter()
        .map(|a| {
            let pname = a.rsplit('/').next().unwrap_or(a).to_string();
            vec![
                X::text("PolicyName", pname),
                X::text("PolicyArn", a.clone()),
            ]
        })
        .collect();
    let (items, tail) = paged(req, items)?;
    let mut out = vec![X::list("AttachedPolicies", items)];
    out.extend(tail);
    ok(req, "ListAttachedRolePolicies", Some(out))
}

fn policy_name(req: &Req) -> Result<String, AwsError> {
    let n = required(req, "PolicyName")?;
    if n.len() > 128
        || !n
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(invalid(format!(
            "The specified value for policyName is invalid: {n}"
        )));
    }
    Ok(n.to_string())
}

fn put_inline(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let pname = policy_name(req)?;
    let doc = required(req, "PolicyDocument")?.to_string();
    policy_document(&doc)?;
    role(world, &name)?.inline.insert(pname, doc);
    ok(req, "PutRolePolicy", None)
}

fn get_inline(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let pname = policy_name(req)?;
    let doc = role(world, &name)?
        .inline
        .get(&pname)
        .cloned()
        .ok_or_else(|| {
            AwsError::new(
                404,
                "NoSuchEntity",
                format!("The role policy with name {pname} cannot be found."),
            )
        })?;
    ok(
        req,
        "GetRolePolicy",
        Some(vec![
            X::text("RoleName", name),
            X::text("PolicyName", pname),
            X::text("PolicyDocument", xml::url_encode(&doc)),
        ]),
    )
}

fn delete_inline(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let pname = policy_name(req)?;
    if role(world, &name)?.inline.remove(&pname).is_none() {
        return Err(AwsError::new(
            404,
            "NoSuchEntity",
            format!("The role policy with name {pname} cannot be found."),
        ));
    }
    ok(req, "DeleteRolePolicy", None)
}

fn list_inline(req: &Req, world: &mut World) -> AwsResult {
    let name = role_name(req)?;
    let names: Vec<String> = role(world, &name)?.inline.keys().cloned().collect();
    let (items, tail) = paged(req, names)?;
    let mut out = vec![X::text_list("PolicyNames", items)];
    out.extend(tail);
    ok(req, "ListRolePolicies", Some(out))
}

/// Whether `arn` names an existing role (Lambda's `Role` check).
pub fn role_exists(world: &World, arn: &str) -> bool {
    world.aws.roles.values().any(|r| r.arn() == arn)
}
