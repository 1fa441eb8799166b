//! IAM roles and their managed-policy attachments, over IAM's query protocol (form requests,
//! XML answers). IAM is global: one endpoint, signed for us-east-1.

use serde_json::{Map, Value as Json};

use super::client::{xml_text, AwsError};
use super::{api_err, Aws};
use crate::aws::Service;
use crate::providers::{ProviderError, Result};

type Obj = Map<String, Json>;

const VERSION: &str = "2010-05-08";

pub(super) fn s<'a>(o: &'a Obj, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Json::as_str).filter(|v| !v.is_empty())
}

pub(super) async fn call(
    aws: &Aws,
    action: &str,
    params: Vec<(String, String)>,
) -> std::result::Result<String, AwsError> {
    aws.client
        .query(Service::Iam, action, VERSION, &params)
        .await
}

pub(super) fn p(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// A generated name where the configuration gives none (`terraform-` and a timestamp, or
/// `name_prefix`), as Terraform names them.
pub fn prepare_role(planned: &Obj) -> Obj {
    with_name(planned)
}

/// `planned` with a `name`: its own, else one generated from `name_prefix` (roles, policies
/// and inline policies name themselves alike).
pub(super) fn with_name(planned: &Obj) -> Obj {
    let mut out = planned.clone();
    if s(planned, "name").is_none() {
        let prefix = s(planned, "name_prefix").unwrap_or("terraform-");
        out.insert("name".to_owned(), Json::String(unique_name(prefix)));
    }
    out
}

/// `prefix` + a UTC timestamp to the microsecond + 4 random hex digits: unique and sortable.
pub fn unique_name(prefix: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:06}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    );
    let random = &uuid::Uuid::new_v4().simple().to_string()[..4];
    format!("{prefix}{stamp}{random}")
}

pub async fn create_role(aws: &Aws, planned: &Obj) -> Result<Obj> {
    let ty = "aws_iam_role";
    let planned = prepare_role(planned);
    let sent = aws.tags_to_send(ty, &planned);
    let name = s(&planned, "name").unwrap_or_default().to_owned();
    let mut params = vec![
        p("RoleName", &name),
        p(
            "AssumeRolePolicyDocument",
            s(&planned, "assume_role_policy").unwrap_or_default(),
        ),
        p("Path", s(&planned, "path").unwrap_or("/")),
    ];
    if let Some(d) = s(&planned, "description") {
        params.push(p("Description", d));
    }
    if let Some(n) = planned.get("max_session_duration").and_then(Json::as_i64) {
        params.push(p("MaxSessionDuration", &n.to_string()));
    }
    if let Some(b) = s(&planned, "permissions_boundary") {
        params.push(p("PermissionsBoundary", b));
    }
    if let Some(tags) = sent.get("tags").and_then(Json::as_object) {
        for (i, (k, v)) in tags.iter().enumerate() {
            params.push(p(&format!("Tags.member.{}.Key", i + 1), k));
            params.push(p(
                &format!("Tags.member.{}.Value", i + 1),
                v.as_str().unwrap_or_default(),
            ));
        }
    }
    let xml = call(aws, "CreateRole", params)
        .await
        .map_err(|e| super::create_err(ty, &format!("create role {name}"), e))?;
    role_from_xml(&xml, &planned)
        .ok_or_else(|| ProviderError::new(format!("{ty}: no Role in the CreateRole answer")))
}

/// The role's attributes from the first `<Role>` (or `<member>`) element below `node`.
fn role_from_node(node: roxmltree::Node<'_, '_>, base: &Obj) -> Obj {
    let child = |name: &str| {
        node.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .map(str::to_owned)
    };
    let mut out = base.clone();
    let name = child("RoleName").unwrap_or_default();
    out.insert("name".to_owned(), Json::String(name.clone()));
    out.insert("id".to_owned(), Json::String(name));
    for (attr, field) in [
        ("arn", "Arn"),
        ("unique_id", "RoleId"),
        ("path", "Path"),
        ("create_date", "CreateDate"),
    ] {
        out.insert(
            attr.to_owned(),
            child(field).map(Json::String).unwrap_or(Json::Null),
        );
    }
    out.insert(
        "description".to_owned(),
        child("Description").map(Json::String).unwrap_or(Json::Null),
    );
    if let Some(n) = child("MaxSessionDuration").and_then(|n| n.parse::<i64>().ok()) {
        out.insert("max_session_duration".to_owned(), Json::from(n));
    }
    if let Some(doc) = child("AssumeRolePolicyDocument") {
        let doc = percent_decode(&doc);
        out.insert(
            "assume_role_policy".to_owned(),
            same_json_kept(&doc, base.get("assume_role_policy")),
        );
    }
    let tags = node
        .children()
        .find(|c| c.has_tag_name("Tags"))
        .map(|t| {
            let members = t.children().filter(|m| m.has_tag_name("member"));
            let pairs = members.filter_map(|m| {
                let text = |n: &str| {
                    m.children()
                        .find(|c| c.has_tag_name(n))
                        .and_then(|c| c.text())
                };
                Some((
                    text("Key")?.to_owned(),
                    Json::String(text("Value").unwrap_or_default().to_owned()),
                ))
            });
            Json::Object(pairs.collect())
        })
        // ListRoles leaves tags out: what was recorded stands.
        .or_else(|| base.get("tags_all").filter(|t| !t.is_null()).cloned())
        .or_else(|| out.get("tags").cloned())
        .unwrap_or(Json::Null);
    out.insert(
        "tags_all".to_owned(),
        if tags.is_null() {
            Json::Object(Map::new())
        } else {
            tags
        },
    );
    out
}

fn role_from_xml(xml: &str, base: &Obj) -> Option<Obj> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let role = doc.descendants().find(|n| n.has_tag_name("Role"))?;
    Some(role_from_node(role, base))
}

/// A policy AWS returns (normalised) keeps the configuration's spelling when it means the
/// same JSON, so a `jsonencode` policy never shows as drift.
pub fn same_json_kept(read: &str, kept: Option<&Json>) -> Json {
    let same = kept
        .and_then(Json::as_str)
        .and_then(|k| serde_json::from_str::<Json>(k).ok())
        .zip(serde_json::from_str::<Json>(read).ok())
        .is_some_and(|(a, b)| a == b);
    match kept {
        Some(k) if same => k.clone(),
        _ => Json::String(read.to_owned()),
    }
}

/// `%7B%22Version...` → `{"Version...` (IAM URL-encodes policy documents in its answers).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = (
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        );
        match (bytes[i], pair) {
            (b'%', (Some(hi), Some(lo))) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every role (ListRoles, all pages), by name: one collection read for all of them.
async fn list_roles(aws: &Aws) -> Result<Vec<(String, String)>> {
    let mut xmls = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let params = marker.iter().map(|m| p("Marker", m)).collect();
        let xml = call(aws, "ListRoles", params)
            .await
            .map_err(|e| api_err("aws_iam_role", "list roles", e))?;
        let truncated = xml_text(&xml, "IsTruncated").as_deref() == Some("true");
        marker = xml_text(&xml, "Marker");
        xmls.push(xml);
        if !truncated || marker.is_none() {
            break;
        }
    }
    Ok(xmls.into_iter().map(|x| (String::new(), x)).collect())
}

pub async fn refresh_roles(aws: &Aws, priors: &[Obj]) -> Result<Vec<Option<Obj>>> {
    let pages = list_roles(aws).await?;
    let docs: Vec<roxmltree::Document<'_>> = pages
        .iter()
        .filter_map(|(_, x)| roxmltree::Document::parse(x).ok())
        .collect();
    Ok(priors
        .iter()
        .map(|prior| {
            let name = s(prior, "name")?;
            docs.iter().find_map(|doc| {
                doc.descendants()
                    .filter(|n| n.has_tag_name("member"))
                    .find(|m| {
                        m.children()
                            .any(|c| c.has_tag_name("RoleName") && c.text() == Some(name))
                    })
                    .map(|m| role_from_node(m, prior))
            })
        })
        .collect())
}

pub async fn update_role(aws: &Aws, prior: &Obj, planned: &Obj) -> Result<Obj> {
    let ty = "aws_iam_role";
    let name = s(prior, "name").unwrap_or_default().to_owned();
    if prior.get("assume_role_policy") != planned.get("assume_role_policy") {
        let doc = s(planned, "assume_role_policy").unwrap_or_default();
        call(
            aws,
            "UpdateAssumeRolePolicy",
            vec![p("RoleName", &name), p("PolicyDocument", doc)],
        )
        .await
        .map_err(|e| api_err(ty, "update the assume-role policy", e))?;
    }
    let mut params = vec![p("RoleName", &name)];
    params.push(p(
        "Description",
        s(planned, "description").unwrap_or_default(),
    ));
    if let Some(n) = planned.get("max_session_duration").and_then(Json::as_i64) {
        params.push(p("MaxSessionDuration", &n.to_string()));
    }
    call(aws, "UpdateRole", params)
        .await
        .map_err(|e| api_err(ty, "update", e))?;
    let xml = call(aws, "GetRole", vec![p("RoleName", &name)])
        .await
        .map_err(|e| api_err(ty, "read", e))?;
    let mut base = planned.clone();
    base.insert("name".to_owned(), Json::String(name));
    role_from_xml(&xml, &base)
        .ok_or_else(|| ProviderError::new(format!("{ty}: no Role in GetRole")))
}

pub async fn delete_role(aws: &Aws, prior: &Obj) -> Result<()> {
    let ty = "aws_iam_role";
    let name = s(prior, "name").unwrap_or_default().to_owned();
    if prior.get("force_detach_policies").and_then(Json::as_bool) == Some(true) {
        for arn in attached(aws, &name).await?.unwrap_or_default() {
            let _ = call(
                aws,
                "DetachRolePolicy",
                vec![p("RoleName", &name), p("PolicyArn", &arn)],
            )
            .await;
        }
    }
    match call(aws, "DeleteRole", vec![p("RoleName", &name)]).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err(ty, &format!("delete role {name}"), e)),
    }
}

pub async fn import_role(aws: &Aws, id: &str, config: &Obj) -> Result<Obj> {
    let xml = call(aws, "GetRole", vec![p("RoleName", id)])
        .await
        .map_err(|e| api_err("aws_iam_role", &format!("import role {id}"), e))?;
    role_from_xml(&xml, config)
        .ok_or_else(|| ProviderError::new("aws_iam_role: no Role in GetRole"))
}

/// The ARNs of the managed policies attached to a role; `None` when the role is gone.
async fn attached(aws: &Aws, role: &str) -> Result<Option<Vec<String>>> {
    let xml = match call(aws, "ListAttachedRolePolicies", vec![p("RoleName", role)]).await {
        Ok(x) => x,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => {
            return Err(api_err(
                "aws_iam_role_policy_attachment",
                "list attached policies",
                e,
            ))
        }
    };
    let doc = roxmltree::Document::parse(&xml)
        .map_err(|e| ProviderError::new(format!("IAM answered invalid XML: {e}")))?;
    Ok(Some(
        doc.descendants()
            .filter(|n| n.has_tag_name("PolicyArn"))
            .filter_map(|n| n.text().map(str::to_owned))
            .collect(),
    ))
}

fn attachment(role: &str, arn: &str, base: &Obj) -> Obj {
    let mut out = base.clone();
    out.insert("role".to_owned(), Json::String(role.to_owned()));
    out.insert("policy_arn".to_owned(), Json::String(arn.to_owned()));
    out.insert("id".to_owned(), Json::String(format!("{role}/{arn}")));
    out
}

pub async fn attach(aws: &Aws, planned: &Obj) -> Result<Obj> {
    let (role, arn) = (
        s(planned, "role").unwrap_or_default(),
        s(planned, "policy_arn").unwrap_or_default(),
    );
    call(
        aws,
        "AttachRolePolicy",
        vec![p("RoleName", role), p("PolicyArn", arn)],
    )
    .await
    .map_err(|e| {
        api_err(
            "aws_iam_role_policy_attachment",
            &format!("attach {arn} to {role}"),
            e,
        )
    })?;
    Ok(attachment(role, arn, planned))
}

pub async fn refresh_attachments(aws: &Aws, priors: &[Obj]) -> Result<Vec<Option<Obj>>> {
    let mut by_role: std::collections::BTreeMap<String, Option<Vec<String>>> = Default::default();
    let mut out = Vec::new();
    for prior in priors {
        let role = s(prior, "role").unwrap_or_default().to_owned();
        if !by_role.contains_key(&role) {
            let arns = attached(aws, &role).await?;
            by_role.insert(role.clone(), arns);
        }
        let arn = s(prior, "policy_arn").unwrap_or_default();
        let present = by_role
            .get(&role)
            .and_then(|a| a.as_ref())
            .is_some_and(|arns| arns.iter().any(|a| a == arn));
        out.push(present.then(|| attachment(&role, arn, prior)));
    }
    Ok(out)
}

pub async fn detach(aws: &Aws, prior: &Obj) -> Result<()> {
    let (role, arn) = (
        s(prior, "role").unwrap_or_default(),
        s(prior, "policy_arn").unwrap_or_default(),
    );
    match call(
        aws,
        "DetachRolePolicy",
        vec![p("RoleName", role), p("PolicyArn", arn)],
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err("aws_iam_role_policy_attachment", "detach", e)),
    }
}

/// Terraform's import ID: `{role}/{policy_arn}`.
pub async fn import_attachment(aws: &Aws, id: &str, config: &Obj) -> Result<Obj> {
    let (role, arn) = id.split_once('/').ok_or_else(|| {
        ProviderError::new(format!(
            "aws_iam_role_policy_attachment: import ID \"{id}\" is not in the form {{role}}/{{policy_arn}}"
        ))
    })?;
    let found = attached(aws, role).await?.unwrap_or_default();
    if !found.iter().any(|a| a == arn) {
        return Err(ProviderError::new(format!(
            "Cannot import non-existent remote object: {arn} is not attached to role {role}"
        )));
    }
    Ok(attachment(role, arn, config))
}

#[cfg(test)]
mod tests {
    #[test]
    fn policies_decode_and_keep_their_spelling() {
        let doc = super::percent_decode("%7B%22Version%22%3A%222012-10-17%22%7D");
        assert_eq!(doc, r#"{"Version":"2012-10-17"}"#);
        let kept = serde_json::json!("{ \"Version\" : \"2012-10-17\" }");
        assert_eq!(super::same_json_kept(&doc, Some(&kept)), kept);
        assert!(super::unique_name("terraform-").starts_with("terraform-20"));
    }
}
