//! The standard methods of any collection a discovery document describes: create (with the
//! ID as a `{x}Id` query parameter, by PUT to the full name, or as `name` in the body), get,
//! list (paged), patch (by field mask, in the query or in an `Update...Request` body), delete
//! (children go too), and getIamPolicy / setIamPolicy on the object. Answers are long-running
//! operations where the document says so.

use serde_json::{json, Value};

use super::body::{self, field_name, output_only};
use super::doc::{Kind, Method};
use super::rules;
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::request::{list_body, Call};
use crate::emulator::world::{rfc3339, World};
use crate::emulator::{operations, policy};

/// The store key of an object.
pub fn key(m: &Method, name: &str) -> String {
    format!("{}:{name}", m.doc.name)
}

/// `projects/{p}/...` → `p`.
fn project_of(path: &str) -> ApiResult<&str> {
    let mut parts = path.split('/');
    match (parts.next(), parts.next()) {
        (Some("projects"), Some(p)) if !p.is_empty() => Ok(p),
        _ => Err(ApiError::invalid(format!("Invalid resource name: {path}"))),
    }
}

/// Checks the project and that the API is enabled in it.
pub fn consume(c: &Call, w: &mut World, m: &Method, path: &str) -> ApiResult<()> {
    let project = project_of(path)?.to_owned();
    w.consume(&project, c.user_project.as_deref(), &m.doc.service)?;
    Ok(())
}

fn allow(c: &Call, m: &Method) -> ApiResult<()> {
    let q: Vec<&str> = m.query.iter().map(String::as_str).collect();
    c.allow_query(&q)
}

/// The object type's name in errors: `Secret`.
fn kind_of(m: &Method) -> String {
    m.response
        .clone()
        .filter(|_| !m.is_lro())
        .filter(|r| r != "Empty")
        .or_else(|| m.request.clone())
        .unwrap_or_else(|| "resource".into())
}

/// Runs one method.
pub fn run(c: &Call, w: &mut World, m: &'static Method) -> ApiResult {
    let path = c.segs.join("/");
    consume(c, w, m, &path)?;
    allow(c, m)?;
    match &m.kind {
        Kind::Create => create(c, w, m, &path),
        Kind::Get => get(w, m, &path).map(|(obj, schema)| body::visible(schema, &obj)),
        Kind::List => list(c, w, m, &path),
        Kind::Patch => patch(c, w, m, &path),
        Kind::Delete => delete(c, w, m, &path),
        Kind::GetIamPolicy => {
            exists(w, m, &path)?;
            policy::get(c, w, &path, m.http == "POST")
        }
        Kind::SetIamPolicy => {
            exists(w, m, &path)?;
            policy::set(c, w, &path, policy::Kind::Resource)
        }
        Kind::TestIamPermissions => {
            exists(w, m, &path)?;
            Ok(json!({"permissions": c.body["permissions"].clone()}))
        }
        Kind::Custom(verb) => rules::custom(c, w, m, &path, verb),
    }
}

fn exists(w: &World, m: &Method, name: &str) -> ApiResult<()> {
    if w.generic.contains_key(&key(m, name)) {
        Ok(())
    } else {
        Err(ApiError::not_found(&kind_of(m), name))
    }
}

/// The stored object and its schema.
pub fn get(w: &World, m: &'static Method, name: &str) -> ApiResult<(Value, &'static Value)> {
    let obj = w
        .generic
        .get(&key(m, name))
        .cloned()
        .ok_or_else(|| ApiError::not_found(&kind_of(m), name))?;
    let schema = m
        .response_schema()
        .filter(|_| !m.is_lro())
        .or_else(|| m.request_schema())
        .unwrap_or(&Value::Null);
    Ok((obj, schema))
}

fn create(c: &Call, w: &mut World, m: &'static Method, path: &str) -> ApiResult {
    let schema_id = m.request.clone().unwrap_or_default();
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let mut obj = body::check(m.doc, schema, &c.body, &field_name(&schema_id))?;
    let id_param = m
        .query
        .iter()
        .find(|q| q.ends_with("Id") && !q.contains('.'));
    let name = if m.http == "PUT" {
        path.to_owned()
    } else if let Some(p) = id_param {
        let id = c.q(p).filter(|v| !v.is_empty()).ok_or_else(|| {
            ApiError::field(
                p,
                format!("Request contains an invalid argument: {p} is required."),
            )
        })?;
        format!("{path}/{id}")
    } else {
        let named = obj["name"].as_str().unwrap_or_default().to_owned();
        let prefix = format!("{path}/");
        if !named.starts_with(&prefix) || named.len() == prefix.len() {
            return Err(ApiError::field(
                "name",
                format!("Request contains an invalid argument: name must be {prefix}ID, got \"{named}\"."),
            ));
        }
        named
    };
    rules::check_id(m, &name)?;
    if w.generic.contains_key(&key(m, &name)) {
        return Err(ApiError::already_exists(
            &schema_id,
            &name,
            format!("Resource '{name}' already exists"),
        ));
    }
    let now = rfc3339(c.now_ms);
    let fields = &schema["properties"];
    let out = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::invalid("body must be an object"))?;
    out.insert("name".into(), Value::String(name.clone()));
    for f in ["createTime", "updateTime"] {
        if fields.get(f).is_some() {
            out.insert(f.into(), Value::String(now.clone()));
        }
    }
    if fields.get("etag").is_some() {
        out.insert("etag".into(), Value::String(etag(w)));
    }
    if fields.get("uid").is_some() {
        out.insert("uid".into(), Value::String(w.uuid()));
    }
    if let Some(state) = ready_state(&fields["state"]) {
        out.insert("state".into(), Value::String(state));
    }
    rules::defaults(m, out);
    w.generic.insert(key(m, &name), obj.clone());
    respond(c, w, m, &name, body::visible(schema, &obj))
}

/// The `state` a new object has when it is usable, if the schema has one.
fn ready_state(prop: &Value) -> Option<String> {
    let values: Vec<&str> = prop["enum"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ["ACTIVE", "ENABLED", "READY"]
        .into_iter()
        .find(|s| values.contains(s))
        .map(str::to_owned)
}

fn etag(w: &mut World) -> String {
    format!("\"{:x}\"", w.next_rand() & 0xffff_ffff_ffff)
}

/// The answer: the object, or an operation that finishes with it.
fn respond(c: &Call, w: &mut World, m: &Method, name: &str, result: Value) -> ApiResult {
    if !m.is_lro() {
        return Ok(result);
    }
    let parent = match name.find("/locations/") {
        Some(i) => {
            let rest = &name[i + "/locations/".len()..];
            let loc = rest.split('/').next().unwrap_or("global");
            format!("{}/locations/{loc}", &name[..i])
        }
        // Firestore keeps a database's operations under the database.
        None => name.to_owned(),
    };
    let op = format!("{parent}/operations/{}", w.uuid());
    Ok(operations::start(w, c, op, None, Ok(result)))
}

fn list(c: &Call, w: &mut World, m: &'static Method, parent: &str) -> ApiResult {
    let schema = m.response_schema().unwrap_or(&Value::Null);
    // The answer's one array of objects (`secrets`, `repositories`, ...).
    let field = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, p)| p["type"] == "array" && p["items"].get("$ref").is_some())
        .map(|(k, p)| {
            (
                k.clone(),
                p["items"]["$ref"].as_str().unwrap_or_default().to_owned(),
            )
        });
    let Some((field, item)) = field else {
        return Ok(json!({}));
    };
    let item_schema = &m.doc.schemas[item.as_str()];
    let prefix = format!("{}:{parent}/", m.doc.name);
    let items: Vec<Value> = w
        .generic
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, _)| !k[prefix.len()..].contains('/'))
        .map(|(_, v)| body::visible(item_schema, v))
        .collect();
    let (page, next) = c.page(items, 100, 1000)?;
    Ok(list_body(&field, page, next))
}

fn patch(c: &Call, w: &mut World, m: &'static Method, name: &str) -> ApiResult {
    let (stored, _) = get(w, m, name)?;
    let req_id = m.request.clone().unwrap_or_default();
    let req_schema = m.request_schema().unwrap_or(&Value::Null);
    let checked = body::check(m.doc, req_schema, &c.body, &field_name(&req_id))?;
    // Pub/Sub style: `{"topic": {...}, "updateMask": "a,b"}`; else the object itself, with the
    // mask in the query.
    let wrapped = req_id.starts_with("Update") && req_id.ends_with("Request");
    let (sent, mask) = if wrapped {
        let inner = req_schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .find(|(_, p)| p.get("$ref").is_some())
            .map(|(k, _)| k.clone())
            .unwrap_or_default();
        let mask = checked["updateMask"]
            .as_str()
            .map(crate::emulator::request::parse_mask);
        (checked[inner.as_str()].clone(), mask)
    } else {
        (checked, c.mask("updateMask"))
    };
    let object_schema = match wrapped {
        true => m.response_schema().unwrap_or(&Value::Null),
        false => req_schema,
    };
    let mut obj = stored.as_object().cloned().unwrap_or_default();
    let paths: Vec<String> = match mask {
        Some(paths) => paths,
        // No mask: every field the client may set is replaced.
        None => object_schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, p)| !output_only(p) && k.as_str() != "name")
            .map(|(k, _)| k.clone())
            .collect(),
    };
    for p in &paths {
        let top = p.split('.').next().unwrap_or(p);
        let Some(prop) = object_schema["properties"].get(top) else {
            return Err(ApiError::field(
                "update_mask",
                format!("Invalid update mask path: {p}"),
            ));
        };
        if output_only(prop) || top == "name" {
            return Err(ApiError::field(
                "update_mask",
                format!("The field {p} cannot be updated"),
            ));
        }
        body::set_path(&mut obj, p, body::get_path(&sent, p).cloned());
    }
    if object_schema["properties"].get("updateTime").is_some() {
        obj.insert("updateTime".into(), Value::String(rfc3339(c.now_ms)));
    }
    if object_schema["properties"].get("etag").is_some() {
        obj.insert("etag".into(), Value::String(etag(w)));
    }
    let obj = Value::Object(obj);
    w.generic.insert(key(m, name), obj.clone());
    respond(c, w, m, name, body::visible(object_schema, &obj))
}

/// `delete` for the per-API modules that route their own calls.
pub(super) fn run_delete(c: &Call, w: &mut World, m: &'static Method, name: &str) -> ApiResult {
    delete(c, w, m, name)
}

fn delete(c: &Call, w: &mut World, m: &'static Method, name: &str) -> ApiResult {
    let k = key(m, name);
    if w.generic.remove(&k).is_none() {
        return Err(ApiError::not_found(&kind_of(m), name));
    }
    // What lives below the object (a secret's versions) goes with it.
    let below = format!("{k}/");
    let children: Vec<String> = w
        .generic
        .range(below.clone()..)
        .take_while(|(key, _)| key.starts_with(&below))
        .map(|(key, _)| key.clone())
        .collect();
    for child in children {
        w.generic.remove(&child);
    }
    w.policies.remove(name);
    respond(c, w, m, name, json!({}))
}
