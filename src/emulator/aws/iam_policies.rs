//! IAM customer managed policies over the query protocol: create / get / list / delete, their
//! versions (at most five, one default; the default cannot be deleted), tags, and the check
//! that a policy is free before it goes (`DeleteConflict` while attached or while other
//! versions remain). Documents are answered URL-encoded, as IAM sends them.

use serde::{Deserialize, Serialize};

use super::super::world::World;
use super::iam::{
    invalid, merge_tags, ok, paged, policy_arn, policy_document, required, tag_keys, tag_xml,
    tags_answer, tags_from,
};
use super::wire::{iam_unique_id, iso_secs, AwsError, AwsResult, Req, ACCOUNT};
use super::xml::{self, X};
use super::Handler;

/// IAM's limit of versions per managed policy.
const MAX_VERSIONS: usize = 5;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    pub id: String,
    pub description: Option<String>,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets (`v{n}`); never reused.
    pub next_version: u32,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub default: bool,
    pub created_ms: u64,
}

impl ManagedPolicy {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:policy{}{}", self.path, self.name)
    }

    fn default_version(&self) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.default)
    }
}

pub fn route(action: &str) -> Option<(&'static str, Handler)> {
    let h: (&'static str, Handler) = match action {
        "CreatePolicy" => ("CreatePolicy", create),
        "GetPolicy" => ("GetPolicy", get),
        "ListPolicies" => ("ListPolicies", list),
        "DeletePolicy" => ("DeletePolicy", delete),
        "GetPolicyVersion" => ("GetPolicyVersion", get_version),
        "CreatePolicyVersion" => ("CreatePolicyVersion", create_version),
        "ListPolicyVersions" => ("ListPolicyVersions", list_versions),
        "DeletePolicyVersion" => ("DeletePolicyVersion", delete_version),
        "TagPolicy" => ("TagPolicy", tag),
        "UntagPolicy" => ("UntagPolicy", untag),
        "ListPolicyTags" => ("ListPolicyTags", list_tags),
        _ => return None,
    };
    Some(h)
}

/// True when a role may attach `arn`: an AWS managed policy, or a customer policy that exists.
pub fn attachable(world: &World, arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::aws:policy/") || world.aws.policies.contains_key(arn)
}

fn no_such(arn: &str) -> AwsError {
    AwsError::new(404, "NoSuchEntity", format!("Policy {arn} was not found."))
}

fn policy<'a>(world: &'a mut World, arn: &str) -> Result<&'a mut ManagedPolicy, AwsError> {
    world.aws.policies.get_mut(arn).ok_or_else(|| no_such(arn))
}

fn attachments(world: &World, arn: &str) -> usize {
    world
        .aws
        .roles
        .values()
        .filter(|r| r.attached.iter().any(|a| a == arn))
        .count()
}

fn policy_xml(p: &ManagedPolicy, attached: usize) -> Vec<X> {
    let mut out = vec![
        X::text("PolicyName", p.name.clone()),
        X::text("PolicyId", p.id.clone()),
        X::text("Arn", p.arn()),
        X::text("Path", p.path.clone()),
        X::text(
            "DefaultVersionId",
            p.default_version()
                .map(|v| v.id.clone())
                .unwrap_or_default(),
        ),
        X::text("AttachmentCount", attached.to_string()),
        X::text("PermissionsBoundaryUsageCount", "0"),
        X::text("IsAttachable", "true"),
        X::text("CreateDate", iso_secs(p.created_ms)),
        X::text("UpdateDate", iso_secs(p.updated_ms)),
    ];
    if let Some(d) = &p.description {
        out.push(X::text("Description", d.clone()));
    }
    if !p.tags.is_empty() {
        out.push(tag_xml(&p.tags));
    }
    out
}

fn version_xml(v: &PolicyVersion, with_document: bool) -> Vec<X> {
    let mut out = Vec::new();
    if with_document {
        out.push(X::text("Document", xml::url_encode(&v.document)));
    }
    out.extend([
        X::text("VersionId", v.id.clone()),
        X::text("IsDefaultVersion", v.default.to_string()),
        X::text("CreateDate", iso_secs(v.created_ms)),
    ]);
    out
}

/// Names and paths as IAM checks them: `[\w+=,.@-]{1,128}`, paths `/…/`.
fn name_and_path(req: &Req) -> Result<(String, String), AwsError> {
    let name = required(req, "PolicyName")?;
    let name_ok = name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !name_ok {
        return Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'policyName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )));
    }
    let path = req.param("Path").unwrap_or("/");
    if !path.starts_with('/') || !path.ends_with('/') {
        return Err(invalid(format!(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters: {path}"
        )));
    }
    Ok((name.to_owned(), path.to_owned()))
}

fn create(req: &Req, world: &mut World) -> AwsResult {
    let (name, path) = name_and_path(req)?;
    let document = required(req, "PolicyDocument")?.to_owned();
    policy_document(&document)?;
    let tags = tags_from(req)?;
    let taken = world.aws.policies.values().any(|p| p.name == name);
    if taken {
        return Err(AwsError::new(
            409,
            "EntityAlreadyExists",
            format!("A policy called {name} already exists. Duplicate names are not allowed."),
        ));
    }
    let p = ManagedPolicy {
        name,
        path,
        id: iam_unique_id(world, "ANPA"),
        description: req.param("Description").map(str::to_owned),
        created_ms: req.now_ms,
        updated_ms: req.now_ms,
        versions: vec![PolicyVersion {
            id: "v1".into(),
            document,
            default: true,
            created_ms: req.now_ms,
        }],
        next_version: 2,
        tags,
    };
    let out = policy_xml(&p, 0);
    world.aws.policies.insert(p.arn(), p);
    ok(req, "CreatePolicy", Some(vec![X::Elem("Policy", out)]))
}

fn get(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let attached = attachments(world, &arn);
    let out = policy_xml(policy(world, &arn)?, attached);
    ok(req, "GetPolicy", Some(vec![X::Elem("Policy", out)]))
}

fn list(req: &Req, world: &mut World) -> AwsResult {
    let scope = req.param("Scope").unwrap_or("All");
    if !["All", "AWS", "Local"].contains(&scope) {
        return Err(invalid(format!("Invalid Scope {scope}")));
    }
    let prefix = req.param("PathPrefix").unwrap_or("/");
    let only_attached = req.param("OnlyAttached") == Some("true");
    // The emulator holds no AWS managed policies: Scope=AWS lists none.
    let items: Vec<Vec<X>> = world
        .aws
        .policies
        .values()
        .filter(|_| scope != "AWS")
        .filter(|p| p.path.starts_with(prefix))
        .map(|p| (p, attachments(world, &p.arn())))
        .filter(|(_, n)| !only_attached || *n > 0)
        .map(|(p, n)| policy_xml(p, n))
        .collect();
    let (items, tail) = paged(req, items)?;
    let mut out = vec![X::list("Policies", items)];
    out.extend(tail);
    ok(req, "ListPolicies", Some(out))
}

fn delete(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let attached = attachments(world, &arn);
    let p = policy(world, &arn)?;
    if attached > 0 {
        return Err(conflict("Cannot delete a policy attached to entities."));
    }
    if p.versions.len() > 1 {
        return Err(conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    world.aws.policies.remove(&arn);
    ok(req, "DeletePolicy", None)
}

fn conflict(message: &str) -> AwsError {
    AwsError::new(409, "DeleteConflict", message)
}

fn version_id(req: &Req) -> Result<String, AwsError> {
    Ok(required(req, "VersionId")?.to_owned())
}

fn get_version(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let id = version_id(req)?;
    let p = policy(world, &arn)?;
    let v = p.versions.iter().find(|v| v.id == id).ok_or_else(|| {
        AwsError::new(
            404,
            "NoSuchEntity",
            format!("Policy {arn} version {id} does not exist or is not attachable."),
        )
    })?;
    let out = version_xml(v, true);
    ok(
        req,
        "GetPolicyVersion",
        Some(vec![X::Elem("PolicyVersion", out)]),
    )
}

fn create_version(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let document = required(req, "PolicyDocument")?.to_owned();
    policy_document(&document)?;
    let make_default = req.param("SetAsDefault") == Some("true");
    let p = policy(world, &arn)?;
    if p.versions.len() >= MAX_VERSIONS {
        return Err(AwsError::new(
            409,
            "LimitExceeded",
            format!("A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version."),
        ));
    }
    if make_default {
        p.versions.iter_mut().for_each(|v| v.default = false);
    }
    let v = PolicyVersion {
        id: format!("v{}", p.next_version),
        document,
        default: make_default,
        created_ms: req.now_ms,
    };
    p.next_version += 1;
    p.updated_ms = req.now_ms;
    let out = version_xml(&v, false);
    p.versions.push(v);
    ok(
        req,
        "CreatePolicyVersion",
        Some(vec![X::Elem("PolicyVersion", out)]),
    )
}

fn list_versions(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let p = policy(world, &arn)?;
    // Newest first, as IAM lists them.
    let items: Vec<Vec<X>> = p
        .versions
        .iter()
        .rev()
        .map(|v| version_xml(v, false))
        .collect();
    let (items, tail) = paged(req, items)?;
    let mut out = vec![X::list("Versions", items)];
    out.extend(tail);
    ok(req, "ListPolicyVersions", Some(out))
}

fn delete_version(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let id = version_id(req)?;
    let p = policy(world, &arn)?;
    let Some(i) = p.versions.iter().position(|v| v.id == id) else {
        return Err(AwsError::new(
            404,
            "NoSuchEntity",
            format!("Policy {arn} version {id} does not exist."),
        ));
    };
    if p.versions[i].default {
        return Err(conflict("Cannot delete the default version of a policy."));
    }
    p.versions.remove(i);
    ok(req, "DeletePolicyVersion", None)
}

fn tag(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let tags = tags_from(req)?;
    merge_tags(&mut policy(world, &arn)?.tags, tags);
    ok(req, "TagPolicy", None)
}

fn untag(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let keys = tag_keys(req);
    policy(world, &arn)?.tags.retain(|(k, _)| !keys.contains(k));
    ok(req, "UntagPolicy", None)
}

fn list_tags(req: &Req, world: &mut World) -> AwsResult {
    let arn = policy_arn(req)?;
    let tags = policy(world, &arn)?.tags.clone();
    tags_answer(req, "ListPolicyTags", &tags)
}
