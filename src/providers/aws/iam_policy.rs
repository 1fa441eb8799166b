//! `aws_iam_policy`: a customer managed IAM policy. The document lives in versions: an update
//! makes a new default version (dropping the oldest when IAM's five are used), a delete removes
//! the other versions first. The name is chosen before the create, so a run killed around it
//! finds the policy again by name in the one ListPolicies call refresh makes.

use serde_json::{Map, Value as Json};

use super::client::xml_text;
use super::iam::{call, p, percent_decode, s, same_json_kept};
use super::{api_err, Aws};
use crate::providers::{ProviderError, Result};

type Obj = Map<String, Json>;

const TY: &str = "aws_iam_policy";

/// The name, generated where the configuration gives none.
pub fn prepare(planned: &Obj) -> Obj {
    super::iam::with_name(planned)
}

fn tag_params(tags: Option<&Json>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, (k, v)) in tags
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .enumerate()
    {
        out.push(p(&format!("Tags.member.{}.Key", i + 1), k));
        out.push(p(
            &format!("Tags.member.{}.Value", i + 1),
            v.as_str().unwrap_or_default(),
        ));
    }
    out
}

pub async fn create(aws: &Aws, planned: &Obj) -> Result<Obj> {
    let planned = prepare(planned);
    let name = s(&planned, "name").unwrap_or_default().to_owned();
    let mut params = vec![
        p("PolicyName", &name),
        p("Path", s(&planned, "path").unwrap_or("/")),
        p("PolicyDocument", s(&planned, "policy").unwrap_or_default()),
    ];
    if let Some(d) = s(&planned, "description") {
        params.push(p("Description", d));
    }
    params.extend(tag_params(aws.tags_to_send(TY, &planned).get("tags")));
    let xml = call(aws, "CreatePolicy", params)
        .await
        .map_err(|e| super::create_err(TY, &format!("create policy {name}"), e))?;
    let doc = roxmltree::Document::parse(&xml)
        .map_err(|e| ProviderError::new(format!("{TY}: IAM answered invalid XML: {e}")))?;
    let node = doc
        .descendants()
        .find(|n| n.has_tag_name("Policy"))
        .ok_or_else(|| ProviderError::new(format!("{TY}: no Policy in the CreatePolicy answer")))?;
    Ok(from_node(node, &planned).0)
}

/// The attributes of a `<Policy>` (or ListPolicies `<member>`) element, `base` supplying the
/// document and what a list leaves out (description, tags), and the default version's ID.
fn from_node(node: roxmltree::Node<'_, '_>, base: &Obj) -> (Obj, Option<String>) {
    let child = |name: &str| {
        node.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .map(str::to_owned)
    };
    let mut out = base.clone();
    for (attr, field) in [
        ("name", "PolicyName"),
        ("arn", "Arn"),
        ("id", "Arn"),
        ("path", "Path"),
        ("policy_id", "PolicyId"),
    ] {
        if let Some(v) = child(field) {
            out.insert(attr.to_owned(), Json::String(v));
        }
    }
    if let Some(d) = child("Description") {
        out.insert("description".to_owned(), Json::String(d));
    }
    if let Some(n) = child("AttachmentCount").and_then(|n| n.parse::<i64>().ok()) {
        out.insert("attachment_count".to_owned(), Json::from(n));
    }
    if let Some(tags) = node.children().find(|c| c.has_tag_name("Tags")) {
        let pairs = tags
            .children()
            .filter(|m| m.has_tag_name("member"))
            .filter_map(|m| {
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
        out.insert("tags_all".to_owned(), Json::Object(pairs.collect()));
    }
    if !out.get("tags_all").is_some_and(Json::is_object) {
        out.insert("tags_all".to_owned(), Json::Object(Map::new()));
    }
    (out, child("DefaultVersionId"))
}

/// Fills `policy` from the document of `version` (the default one).
async fn with_document(aws: &Aws, (mut obj, version): (Obj, Option<String>)) -> Result<Obj> {
    let (Some(arn), Some(version)) = (s(&obj, "arn").map(str::to_owned), version) else {
        return Ok(obj);
    };
    let version = version.as_str();
    let xml = call(
        aws,
        "GetPolicyVersion",
        vec![p("PolicyArn", &arn), p("VersionId", version)],
    )
    .await
    .map_err(|e| api_err(TY, &format!("read the document of {arn}"), e))?;
    if let Some(doc) = xml_text(&xml, "Document") {
        let doc = percent_decode(&doc);
        let kept = same_json_kept(&doc, obj.get("policy"));
        obj.insert("policy".to_owned(), kept);
    }
    Ok(obj)
}

async fn get(aws: &Aws, arn: &str, base: &Obj) -> Result<Option<Obj>> {
    let xml = match call(aws, "GetPolicy", vec![p("PolicyArn", arn)]).await {
        Ok(x) => x,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(api_err(TY, &format!("read {arn}"), e)),
    };
    let doc = roxmltree::Document::parse(&xml)
        .map_err(|e| ProviderError::new(format!("{TY}: IAM answered invalid XML: {e}")))?;
    let Some(node) = doc.descendants().find(|n| n.has_tag_name("Policy")) else {
        return Ok(None);
    };
    Ok(Some(with_document(aws, from_node(node, base)).await?))
}

/// Every customer managed policy (ListPolicies, Scope=Local, all pages).
async fn list(aws: &Aws) -> Result<Vec<String>> {
    let mut pages = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut params = vec![p("Scope", "Local")];
        params.extend(marker.iter().map(|m| p("Marker", m)));
        let xml = call(aws, "ListPolicies", params)
            .await
            .map_err(|e| api_err(TY, "list policies", e))?;
        let truncated = xml_text(&xml, "IsTruncated").as_deref() == Some("true");
        marker = xml_text(&xml, "Marker");
        pages.push(xml);
        if !truncated || marker.is_none() {
            return Ok(pages);
        }
    }
}

pub async fn refresh(aws: &Aws, priors: &[Obj]) -> Result<Vec<Option<Obj>>> {
    let pages = list(aws).await?;
    let docs: Vec<roxmltree::Document<'_>> = pages
        .iter()
        .filter_map(|x| roxmltree::Document::parse(x).ok())
        .collect();
    let mut out = Vec::with_capacity(priors.len());
    for prior in priors {
        // By ARN; a creation whose answer was lost has none yet: by name and path.
        let wanted = |m: &roxmltree::Node<'_, '_>| {
            let text = |n: &str| {
                m.children()
                    .find(|c| c.has_tag_name(n))
                    .and_then(|c| c.text())
            };
            match s(prior, "arn") {
                Some(arn) => text("Arn") == Some(arn),
                None => {
                    text("PolicyName") == s(prior, "name")
                        && text("Path") == Some(s(prior, "path").unwrap_or("/"))
                }
            }
        };
        let found = docs.iter().find_map(|d| {
            d.descendants()
                .filter(|n| n.has_tag_name("member"))
                .find(|m| wanted(m))
                .map(|m| from_node(m, prior))
        });
        out.push(match found {
            Some(obj) => Some(with_document(aws, obj).await?),
            None => None,
        });
    }
    Ok(out)
}

/// The version IDs of a policy, oldest first, and which is the default.
async fn versions(aws: &Aws, arn: &str) -> Result<Vec<(String, bool)>> {
    let xml = call(aws, "ListPolicyVersions", vec![p("PolicyArn", arn)])
        .await
        .map_err(|e| api_err(TY, &format!("list the versions of {arn}"), e))?;
    let doc = roxmltree::Document::parse(&xml)
        .map_err(|e| ProviderError::new(format!("{TY}: IAM answered invalid XML: {e}")))?;
    let mut out: Vec<(String, bool, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("member"))
        .filter_map(|m| {
            let text = |n: &str| {
                m.children()
                    .find(|c| c.has_tag_name(n))
                    .and_then(|c| c.text())
            };
            Some((
                text("VersionId")?.to_owned(),
                text("IsDefaultVersion") == Some("true"),
                text("CreateDate").unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    out.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0)));
    Ok(out.into_iter().map(|(v, d, _)| (v, d)).collect())
}

async fn delete_version(aws: &Aws, arn: &str, version: &str) -> Result<()> {
    match call(
        aws,
        "DeletePolicyVersion",
        vec![p("PolicyArn", arn), p("VersionId", version)],
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err(
            TY,
            &format!("delete version {version} of {arn}"),
            e,
        )),
    }
}

pub async fn update(aws: &Aws, prior: &Obj, planned: &Obj) -> Result<Obj> {
    let arn = s(prior, "arn").unwrap_or_default().to_owned();
    if prior.get("policy") != planned.get("policy") {
        // IAM keeps five versions: the oldest non-default one makes room.
        let held = versions(aws, &arn).await?;
        if held.len() >= 5 {
            if let Some((oldest, _)) = held.iter().find(|(_, default)| !default) {
                delete_version(aws, &arn, oldest).await?;
            }
        }
        let params = vec![
            p("PolicyArn", &arn),
            p("PolicyDocument", s(planned, "policy").unwrap_or_default()),
            p("SetAsDefault", "true"),
        ];
        call(aws, "CreatePolicyVersion", params)
            .await
            .map_err(|e| api_err(TY, &format!("make a new version of {arn}"), e))?;
    }
    retag(aws, &arn, prior, planned).await?;
    let mut base = planned.clone();
    base.insert("arn".to_owned(), Json::String(arn.clone()));
    get(aws, &arn, &base)
        .await?
        .ok_or_else(|| ProviderError::new(format!("{TY}: {arn} vanished during the update")))
}

/// Tags added or changed go by TagPolicy, tags removed by UntagPolicy.
async fn retag(aws: &Aws, arn: &str, prior: &Obj, planned: &Obj) -> Result<()> {
    let before = aws
        .tags_to_send(TY, prior)
        .get("tags")
        .cloned()
        .unwrap_or(Json::Null);
    let after = aws
        .tags_to_send(TY, planned)
        .get("tags")
        .cloned()
        .unwrap_or(Json::Null);
    if before == after {
        return Ok(());
    }
    let empty = Map::new();
    let (b, a) = (
        before.as_object().unwrap_or(&empty),
        after.as_object().unwrap_or(&empty),
    );
    let gone: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    if !gone.is_empty() {
        let mut params = vec![p("PolicyArn", arn)];
        for (i, k) in gone.iter().enumerate() {
            params.push(p(&format!("TagKeys.member.{}", i + 1), k));
        }
        call(aws, "UntagPolicy", params)
            .await
            .map_err(|e| api_err(TY, "untag", e))?;
    }
    let changed: Map<String, Json> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !changed.is_empty() {
        let mut params = vec![p("PolicyArn", arn)];
        params.extend(tag_params(Some(&Json::Object(changed))));
        call(aws, "TagPolicy", params)
            .await
            .map_err(|e| api_err(TY, "tag", e))?;
    }
    Ok(())
}

pub async fn delete(aws: &Aws, prior: &Obj) -> Result<()> {
    let arn = s(prior, "arn").unwrap_or_default().to_owned();
    let held = match versions(aws, &arn).await {
        Ok(v) => v,
        Err(_) if get(aws, &arn, prior).await?.is_none() => return Ok(()),
        Err(e) => return Err(e),
    };
    for (version, default) in held {
        if !default {
            delete_version(aws, &arn, &version).await?;
        }
    }
    match call(aws, "DeletePolicy", vec![p("PolicyArn", &arn)]).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err(TY, &format!("delete {arn}"), e)),
    }
}

/// Terraform's import ID: the policy's ARN.
pub async fn import(aws: &Aws, id: &str, config: &Obj) -> Result<Obj> {
    get(aws, id, config).await?.ok_or_else(|| {
        ProviderError::new(format!(
            "Cannot import non-existent remote object: no policy {id}"
        ))
    })
}
