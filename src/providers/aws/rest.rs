//! Every AWS type declared with an `aws` binding (`schemas/aws/*.json`) through one
//! implementation: create, read, update (a body of the changed fields, or API Gateway v1's
//! patch operations), delete, refresh by one list call per parent collection, and import by
//! the Terraform provider's ID formats.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::client::{encode, AwsError};
use super::{api_err, Aws};
use crate::aws::Service;
use crate::providers::wire::{self, Level};
use crate::providers::{template, ProviderError, Result};
use crate::schema::{AwsBinding, ResourceSchema};

type Obj = Map<String, Json>;

fn schema(ty: &str) -> Result<(&'static ResourceSchema, &'static AwsBinding)> {
    crate::schema::lookup_in(ty, false)
        .and_then(|s| s.aws.as_ref().map(|b| (s, b)))
        .ok_or_else(|| ProviderError::new(format!("resource type `{ty}` has no AWS binding")))
}

fn level(s: &ResourceSchema) -> Level<'_> {
    Level {
        attributes: &s.attributes,
        blocks: &s.blocks,
    }
}

pub fn service(b: &AwsBinding) -> Result<Service> {
    Service::ALL
        .into_iter()
        .find(|s| s.endpoints_key() == b.service)
        .ok_or_else(|| ProviderError::new(format!("unknown AWS service `{}`", b.service)))
}

/// `tpl` filled from `obj`'s attributes, `{region}` and `{account}`; path values are
/// percent-encoded (a stage named `$default`).
pub(super) async fn fill(aws: &Aws, ty: &str, tpl: &str, obj: &Obj, path: bool) -> Result<String> {
    let mut out = String::new();
    let mut rest = tpl;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| ProviderError::new(format!("{ty}: malformed template {tpl}")))?;
        let name = &rest[open + 1..close];
        let value = match name {
            "region" => aws.client.region().to_owned(),
            "account" => aws
                .client
                .account()
                .await
                .map_err(|e| api_err(ty, "read the account ID", e))?,
            _ => template::value_of(name, obj, &Default::default()).ok_or_else(|| {
                ProviderError::new(format!("{ty}: no `{name}` to name the object"))
            })?,
        };
        out.push_str(&rest[..open]);
        out.push_str(&if path { encode(&value) } else { value });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Creates the object and returns its attributes.
pub async fn create(aws: &Aws, ty: &str, planned: &Obj) -> Result<Obj> {
    let (s, b) = schema(ty)?;
    let path = fill(aws, ty, &b.create.path, planned, true).await?;
    let mut body = wire::to_wire(level(s), &aws.tags_to_send(ty, planned));
    let later = after_create(s);
    let set_later = later.iter().any(|k| body.contains_key(k));
    body.retain(|k, _| !later.contains(k));
    super::fixups::create_body(ty, &mut body);
    let body = Json::Object(body);
    let answer = aws
        .client
        .json(service(b)?, &b.create.verb, &path, Some(&body))
        .await
        .map_err(|e| super::create_err(ty, "create", e))?;
    let mut base = planned.clone();
    if let Some(field) = &b.id_field {
        let id = answer.get(field).and_then(Json::as_str).ok_or_else(|| {
            ProviderError::new(format!("{ty}: the create answer has no `{field}`"))
        })?;
        base.insert("id".to_owned(), Json::String(id.to_owned()));
    }
    let created = finish(
        aws,
        ty,
        answer.as_object().cloned().unwrap_or_default(),
        &base,
    )
    .await?;
    if super::document::held(b, planned).is_none() {
        // What the create call could not take goes in by an update at once.
        if set_later {
            return update(aws, ty, &created, planned).await;
        }
        return Ok(created);
    }
    let imported = import_document(aws, ty, &created).await?;
    let target = super::document::keep_filled(s, planned, &imported);
    update(aws, ty, &imported, &target).await
}

/// The wire fields the create call does not take (schema `after_create`).
fn after_create(s: &ResourceSchema) -> Vec<String> {
    let attrs = s
        .attributes
        .values()
        .filter(|a| a.after_create)
        .filter_map(|a| a.wire.clone());
    let blocks = s
        .blocks
        .values()
        .filter(|b| b.after_create)
        .filter_map(|b| b.wire.clone());
    attrs.chain(blocks).collect()
}

/// Imports the document `obj` holds and reads the object back as the import left it.
async fn import_document(aws: &Aws, ty: &str, obj: &Obj) -> Result<Obj> {
    let (_, b) = schema(ty)?;
    super::document::import(aws, ty, b, obj).await?;
    read(aws, ty, obj).await?.ok_or_else(|| {
        ProviderError::new(format!("{ty} disappeared while its document was imported"))
    })
}

/// The attributes of `json` (an answer), `base` supplying what AWS does not return.
async fn finish(aws: &Aws, ty: &str, json: Obj, base: &Obj) -> Result<Obj> {
    let (s, b) = schema(ty)?;
    let mut out = wire::from_wire(level(s), &json, base);
    if let Some(id) = base.get("id").filter(|v| !v.is_null()) {
        out.insert("id".to_owned(), id.clone());
    }
    if b.id_field.is_none() {
        let id = fill(aws, ty, &b.id, &out, false).await?;
        out.insert("id".to_owned(), Json::String(id));
    }
    for (name, tpl) in &b.derived {
        let v = fill(aws, ty, tpl, &out, false).await?;
        out.insert(name.clone(), Json::String(v));
    }
    super::fixups::after_read(ty, aws.client.region(), &mut out);
    Ok(out)
}

/// Reads one object; `None` when AWS says it is gone.
async fn read(aws: &Aws, ty: &str, prior: &Obj) -> Result<Option<Obj>> {
    let (_, b) = schema(ty)?;
    let path = fill(aws, ty, &b.self_path, prior, true).await?;
    match aws.client.json(service(b)?, "GET", &path, None).await {
        Ok(answer) => {
            let json = answer.as_object().cloned().unwrap_or_default();
            Ok(Some(finish(aws, ty, json, prior).await?))
        }
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(api_err(ty, "read", e)),
    }
}

/// What one list call (all pages) found.
enum Listed {
    Items(Vec<Obj>),
    /// The collection's parent is gone, and its children with it.
    ParentGone,
    /// The service failed to list (5xx; moto 5.2 answers 500 to GetAuthorizers): the
    /// objects are read one by one instead.
    Unavailable,
}

/// Re-reads every prior object: one list (all pages) per parent collection where the type
/// has a list call, else (or when the list fails) one GET each.
pub async fn refresh(aws: &Aws, ty: &str, priors: &[Obj]) -> Result<Vec<Option<Obj>>> {
    let (_, b) = schema(ty)?;
    let mut collections: BTreeMap<String, Listed> = BTreeMap::new();
    let mut out = Vec::with_capacity(priors.len());
    for p in priors {
        let id = p.get("id").and_then(Json::as_str);
        let listed = match &b.list {
            Some(list) if list.refresh || id.is_none() => {
                let path = fill(aws, ty, &list.path, p, true).await?;
                if !collections.contains_key(&path) {
                    let items = list_all(aws, ty, &path).await?;
                    collections.insert(path.clone(), items);
                }
                collections.get(&path)
            }
            _ => None,
        };
        let items = match listed {
            Some(Listed::ParentGone) => {
                out.push(None);
                continue;
            }
            Some(Listed::Items(items)) => items,
            Some(Listed::Unavailable) | None => {
                out.push(match id {
                    Some(_) => read(aws, ty, p).await?,
                    None => find_unconfirmed(aws, ty, p).await?,
                });
                continue;
            }
        };
        let found = match id {
            Some(id) => items
                .iter()
                .find(|item| item_id(ty, item) == Some(id.to_owned())),
            None => unique_match(ty, items, p),
        };
        let mut base = p.clone();
        if let (Some(item), None) = (found, id) {
            if let Some(found_id) = item_id(ty, item) {
                base.insert("id".to_owned(), Json::String(found_id));
            }
            // Whether its document went in is unknown: recorded as none, the next plan
            // imports it again (an import of the same document changes nothing).
            if let Some(doc) = &b.document {
                base.insert(doc.argument.clone(), Json::Null);
            }
        }
        out.push(match found {
            Some(item) => Some(finish(aws, ty, item.clone(), &base).await?),
            None => None,
        });
    }
    Ok(out)
}

/// An item's ID: its `id_field`, or (IDs known before create) its name attribute's field.
fn item_id(ty: &str, item: &Obj) -> Option<String> {
    let (s, b) = schema(ty).ok()?;
    match &b.id_field {
        Some(f) => item.get(f).and_then(Json::as_str).map(str::to_owned),
        None => s
            .attributes
            .values()
            .find(|a| a.name_part)
            .and_then(|a| a.wire.as_ref())
            .and_then(|w| wire::get_path(item, w))
            .and_then(Json::as_str)
            .map(str::to_owned),
    }
}

/// A creation whose answer never came (killed, timed out): the object of the collection
/// holding exactly the arguments the create sent, when exactly one does.
///
/// An API given a document may hold the document's title instead of the name sent, when the
/// run was killed between the import and putting the name back.
fn unique_match<'a>(ty: &str, items: &'a [Obj], prior: &Obj) -> Option<&'a Obj> {
    let (s, b) = schema(ty).ok()?;
    let sent = wire::to_wire(level(s), prior);
    let imported = super::document::info_fields(b, prior);
    let mut hits = items.iter().filter(|item| {
        sent.iter()
            .filter(|(_, v)| !v.is_object() && !v.is_array())
            .all(|(k, v)| {
                item.get(k) == Some(v) || imported.get(k).is_some_and(|w| item.get(k) == Some(w))
            })
    });
    let first = hits.next()?;
    hits.next().is_none().then_some(first)
}

async fn find_unconfirmed(aws: &Aws, ty: &str, prior: &Obj) -> Result<Option<Obj>> {
    let (_, b) = schema(ty)?;
    if b.id_field.is_some() {
        // No list to search: nothing can be found without the ID.
        return Ok(None);
    }
    read(aws, ty, prior).await
}

/// Every item of a collection (all pages).
async fn list_all(aws: &Aws, ty: &str, path: &str) -> Result<Listed> {
    let (_, b) = schema(ty)?;
    let Some(list) = &b.list else {
        return Ok(Listed::Unavailable);
    };
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let url = match &token {
            Some(t) => {
                let join = if path.contains('?') { '&' } else { '?' };
                format!("{path}{join}{}={}", list.token, encode(t))
            }
            None => path.to_owned(),
        };
        let answer = match aws.client.json(service(b)?, "GET", &url, None).await {
            Ok(a) => a,
            Err(e) if e.is_not_found() => return Ok(Listed::ParentGone),
            Err(e) if e.status >= 500 => return Ok(Listed::Unavailable),
            Err(e) => return Err(api_err(ty, "list", e)),
        };
        if let Some(page) = answer.get(&list.items).and_then(Json::as_array) {
            items.extend(page.iter().filter_map(Json::as_object).cloned());
        }
        token = answer
            .get(&list.next)
            .and_then(Json::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return Ok(Listed::Items(items));
        }
    }
}

/// Updates in place: the changed fields in one call.
pub async fn update(aws: &Aws, ty: &str, prior: &Obj, planned: &Obj) -> Result<Obj> {
    let (s, b) = schema(ty)?;
    let Some(call) = &b.update else {
        return Err(ProviderError::new(format!(
            "{ty} cannot be updated in place"
        )));
    };
    let mut target = planned.clone();
    if let Some(id) = prior.get("id") {
        target.insert("id".to_owned(), id.clone());
    }
    // A new document first: it overwrites the API, then the configured arguments are put
    // back on the object as the import left it.
    let imported;
    let prior = if super::document::changed(b, prior, planned) {
        imported = import_document(aws, ty, &target).await?;
        target = super::document::keep_filled(s, &target, &imported);
        &imported
    } else {
        prior
    };
    let planned = &target;
    let path = fill(aws, ty, &call.path, &target, true).await?;
    let changed = wire::changed_paths(level(s), prior, planned);
    let svc = service(b)?;
    super::fixups::before_update(aws, ty, svc, &path, &changed, planned).await?;
    let body = match call.style.as_deref() {
        Some("patch_operations") => {
            let (before, after) = (aws.tags_to_send(ty, prior), aws.tags_to_send(ty, planned));
            super::patch::operations(level(s), &before, &after, &changed)
        }
        _ => {
            let all = wire::to_wire(level(s), &aws.tags_to_send(ty, planned));
            let fields: Obj = all
                .into_iter()
                .filter(|(k, _)| {
                    changed
                        .iter()
                        .any(|c| c == k || c.starts_with(&format!("{k}.")))
                })
                .collect();
            Json::Object(fields)
        }
    };
    let nothing = |v: &Json| v.as_array().is_some_and(Vec::is_empty);
    let answer = if body.as_object().is_some_and(Map::is_empty)
        || body.get("patchOperations").is_some_and(nothing)
    {
        return read(aws, ty, &target)
            .await?
            .ok_or_else(|| ProviderError::new(format!("{ty} {path} disappeared during update")));
    } else {
        aws.client
            .json(svc, &call.verb, &path, Some(&body))
            .await
            .map_err(|e| api_err(ty, "update", e))?
    };
    finish(
        aws,
        ty,
        answer.as_object().cloned().unwrap_or_default(),
        &target,
    )
    .await
}

/// Deletes the object; one already gone is fine.
pub async fn delete(aws: &Aws, ty: &str, prior: &Obj) -> Result<()> {
    let (_, b) = schema(ty)?;
    let path = fill(aws, ty, &b.delete.path, prior, true).await?;
    match aws
        .client
        .json(service(b)?, &b.delete.verb, &path, None)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err(ty, "delete", e)),
    }
}

/// Reads the object a Terraform import ID names (`{api_id}/{id}`).
pub async fn import(aws: &Aws, ty: &str, id: &str, config: &Obj) -> Result<Obj> {
    let (_, b) = schema(ty)?;
    let parts = b
        .import
        .iter()
        .find_map(|tpl| template::match_path(tpl, id))
        .ok_or_else(|| {
            ProviderError::new(format!(
                "{ty}: import ID \"{id}\" is not in the form {}",
                b.import.join(" or ")
            ))
        })?;
    let mut base = config.clone();
    for (k, v) in parts {
        base.insert(k, Json::String(v));
    }
    read(aws, ty, &base).await?.ok_or_else(|| {
        ProviderError::new(format!(
            "Cannot import non-existent remote object: no {ty} \"{id}\" exists"
        ))
    })
}

/// True for types this module implements.
pub fn handles(ty: &str) -> bool {
    schema(ty).is_ok()
}

impl From<AwsError> for ProviderError {
    fn from(e: AwsError) -> ProviderError {
        ProviderError::new(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Json) -> Obj {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_lost_creation_is_found_under_its_documents_title_too() {
        let ty = "aws_api_gateway_rest_api";
        let body = r#"{"openapi":"3.0.1","info":{"title":"Catalog"},"paths":{}}"#;
        let prior =
            obj(json!({"name": "catalog", "body": body, "disable_execute_api_endpoint": false}));
        let other = obj(json!({"id": "a", "name": "other", "disableExecuteApiEndpoint": false}));
        let imported =
            obj(json!({"id": "b", "name": "Catalog", "disableExecuteApiEndpoint": false}));
        let items = [other.clone(), imported];
        assert_eq!(
            unique_match(ty, &items, &prior).and_then(|i| i.get("id")),
            Some(&json!("b"))
        );
        // Without a document, only the name sent matches.
        let plain = obj(json!({"name": "catalog", "disable_execute_api_endpoint": false}));
        assert!(unique_match(ty, &items, &plain).is_none());
        let sent = obj(json!({"id": "c", "name": "catalog", "disableExecuteApiEndpoint": false}));
        assert_eq!(
            unique_match(ty, &[other, sent], &plain).and_then(|i| i.get("id")),
            Some(&json!("c"))
        );
    }
}
