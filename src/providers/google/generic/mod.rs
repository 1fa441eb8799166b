//! The generic Google resource: create, read, update (a PATCH with a field mask), delete,
//! list-based refresh and import for every generated type, driven by its schema's `api`
//! binding (`schemas/google/README.md`), whatever the API. Long-running operations are
//! waited on in the API's style (`google.longrunning`, Compute, Cloud SQL Admin).

pub mod iam;
pub mod ops;
pub mod ready;

use serde_json::{Map, Value as Json};

use super::client::{encode_query, Api, GoogleError, Region};
use super::operation::{self, Request};
use super::{api_err, Google};
use crate::providers::template;
use crate::providers::wire::{self, Level};
use crate::providers::{ProviderError, Result};
use crate::schema::{self, ApiBinding, Method, ResourceSchema};
use template::Fallbacks;

/// One generated type, ready to call.
struct Kind<'a> {
    g: &'a Google,
    ty: &'a str,
    schema: &'static ResourceSchema,
    api: &'static ApiBinding,
}

impl<'a> Kind<'a> {
    fn of(g: &'a Google, ty: &'a str) -> Result<Kind<'a>> {
        let schema = schema::lookup_in(ty, false)
            .filter(|s| s.api.is_some())
            .ok_or_else(|| ProviderError::new(format!("`{ty}` is not a generated google type")))?;
        let api = schema
            .api
            .as_ref()
            .ok_or_else(|| ProviderError::new(format!("`{ty}` has no API binding")))?;
        Ok(Kind { g, ty, schema, api })
    }

    fn level(&self) -> Level<'static> {
        Level {
            attributes: &self.schema.attributes,
            blocks: &self.schema.blocks,
        }
    }

    /// The API's host for `obj`: per region when the API is regional (Cloud Run v1).
    fn host(&self, obj: &Map<String, Json>) -> Result<Api> {
        let host = self.api.host.as_str();
        let Some(attr) = &self.api.regional else {
            return Ok(Api::Host(host));
        };
        let region = template::value_of(attr, obj, &self.fallbacks()).ok_or_else(|| {
            ProviderError::new(format!(
                "{}: no `{attr}`: set it on the resource or `region` in the provider \"google\" block",
                self.ty
            ))
        })?;
        let r = Region::new(&region).ok_or_else(|| {
            ProviderError::new(format!(
                "{}: `{attr}` \"{region}\" is not a region",
                self.ty
            ))
        })?;
        Ok(Api::Regional(host, r))
    }

    /// The object's name in an answer (`name`, or the type's `name_field`).
    fn name_in<'j>(&self, answer: &'j Map<String, Json>) -> Option<&'j str> {
        let field = self.api.name_field.as_deref().unwrap_or("name");
        wire::get_path(answer, field).and_then(Json::as_str)
    }

    fn fallbacks(&self) -> Fallbacks {
        let s = self.g.settings();
        Fallbacks {
            project: s.project.clone(),
            region: s.region.clone(),
        }
    }

    fn fill(&self, tpl: &str, obj: &Map<String, Json>) -> Result<String> {
        template::fill(self.ty, tpl, obj, &self.fallbacks())
    }

    /// The method's path with its query parameters, filled from `obj`.
    fn url(&self, m: &Method, obj: &Map<String, Json>, extra: &[(&str, String)]) -> Result<String> {
        let mut path = self.fill(&m.path, obj)?;
        let mut query = Vec::new();
        for (k, tpl) in &m.query {
            query.push(format!("{k}={}", encode_query(&self.fill(tpl, obj)?)));
        }
        for (k, v) in extra {
            query.push(format!("{k}={}", encode_query(v)));
        }
        if !query.is_empty() {
            path.push(if path.contains('?') { '&' } else { '?' });
            path.push_str(&query.join("&"));
        }
        Ok(path)
    }

    /// Sends a call and, for an operation, waits for it; returns the answer (the operation's
    /// result for `google.longrunning`, the finished operation for the older styles).
    async fn send(
        &self,
        m: &Method,
        path: &str,
        body: Option<&Json>,
        action: &str,
        obj: &Map<String, Json>,
    ) -> std::result::Result<Json, GoogleError> {
        let verb = reqwest::Method::from_bytes(m.verb.as_bytes())
            .map_err(|_| GoogleError::local(0, "", format!("bad verb {}", m.verb)))?;
        let host = self
            .host(obj)
            .map_err(|e| GoogleError::local(0, "", e.message))?;
        let client = self.g.client();
        if !m.lro {
            return client.call(host, verb, path, body).await;
        }
        let timeout = operation::timeout_of(obj, action);
        match self.api.operations.as_str() {
            "compute" | "sqladmin" => {
                let style = if self.api.operations == "compute" {
                    ops::Style::Compute
                } else {
                    ops::Style::SqlAdmin
                };
                let op = client.call(host, verb, path, body).await?;
                ops::wait(client, host, style, op, timeout).await
            }
            _ => {
                let version = path.split('/').next().unwrap_or("v1");
                let r = Request {
                    api: host,
                    version,
                    method: verb,
                    path,
                    body,
                    timeout,
                };
                operation::call_and_wait(client, r).await
            }
        }
    }

    /// GETs one object; `None` when it is gone.
    async fn get(&self, obj: &Map<String, Json>) -> Result<Option<Map<String, Json>>> {
        let path = self.fill(&self.api.self_path, obj)?;
        match self.g.client().get(self.host(obj)?, &path).await {
            Ok(Json::Object(m)) => Ok(Some(m)),
            Ok(other) => Err(ProviderError::new(format!(
                "{}: read: expected an object, got {other}",
                self.ty
            ))),
            Err(e) if e.code == 404 => Ok(None),
            Err(e) => Err(api_err(self.ty, "read", e)),
        }
    }

    /// The attributes of an object the API returned, completed from `base`: path parameters
    /// from the returned name, `id` from its template.
    fn finish(&self, answer: &Map<String, Json>, base: &Map<String, Json>) -> Map<String, Json> {
        let mut obj = wire::from_wire(self.level(), answer, base);
        if let Some(name) = self.name_in(answer) {
            let found = template::match_path(template::relative(self.self_path()), name);
            for (k, v) in found.unwrap_or_default() {
                if obj.get(&k).is_none_or(Json::is_null) && self.schema.attributes.contains_key(&k)
                {
                    obj.insert(k, Json::String(v));
                }
            }
            let last = name.rsplit('/').next().unwrap_or(name);
            for (k, a) in &self.schema.attributes {
                if a.name_part && obj.get(k).is_none_or(Json::is_null) {
                    obj.insert(k.clone(), Json::String(last.to_owned()));
                }
            }
        }
        if obj.get("project").is_some_and(Json::is_null) {
            if let Some(p) = &self.g.settings().project {
                obj.insert("project".into(), Json::String(p.clone()));
            }
        }
        for (name, a) in &self.schema.attributes {
            if let Some(tpl) = &a.format {
                if let Ok(v) = self.fill(tpl, &obj) {
                    obj.insert(name.clone(), Json::String(v));
                }
            }
        }
        if let Some(labels) = obj.get("labels").cloned() {
            if self.schema.attributes.contains_key("terraform_labels") {
                obj.insert("terraform_labels".into(), labels);
            }
        }
        if self
            .schema
            .attributes
            .get("id")
            .is_some_and(|a| a.wire.is_none())
        {
            if let Ok(id) = self.fill(&self.api.id, &obj) {
                obj.insert("id".into(), Json::String(id));
            }
        }
        obj
    }

    /// `obj` with short names expanded where the API wants full ones (`expand`).
    fn expanded(&self, obj: &Map<String, Json>) -> Result<Map<String, Json>> {
        let mut out = obj.clone();
        for (name, a) in &self.schema.attributes {
            let (Some(tpl), Some(Json::String(v))) = (&a.expand, obj.get(name)) else {
                continue;
            };
            if !v.contains('/') {
                let full = self.fill(&tpl.replace("{}", v), obj)?;
                out.insert(name.clone(), Json::String(full));
            }
        }
        Ok(out)
    }

    /// The object's path without the query some APIs add to it (`?host={host?}`).
    fn self_path(&self) -> &str {
        let p = self.api.self_path.as_str();
        p.split_once('?').map_or(p, |(path, _)| path)
    }

    /// The key refresh matches listed objects by: the last segment of the object's name.
    fn key_of(&self, obj: &Map<String, Json>) -> Option<String> {
        let last = template::placeholders(self.self_path()).last().copied()?;
        let v = template::value_of(last, obj, &self.fallbacks())?;
        Some(v.rsplit('/').next().unwrap_or(&v).to_owned())
    }
}

fn is_iam(ty: &str) -> bool {
    schema::lookup_in(ty, false).is_some_and(|s| s.iam.is_some())
}

/// Creates an object; returns its attributes as read back.
pub async fn create(
    g: &Google,
    ty: &str,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    if is_iam(ty) {
        return iam::put(g, ty, planned).await;
    }
    let k = Kind::of(g, ty)?;
    let mut body = wire::to_wire(k.level(), &k.expanded(planned)?);
    for (path, tpl) in &k.api.create.set {
        wire::set_path(&mut body, path, Json::String(k.fill(tpl, planned)?));
    }
    let url = k.url(&k.api.create, planned, &[])?;
    let body = Json::Object(body);
    let answer = k
        .send(&k.api.create, &url, Some(&body), "create", planned)
        .await
        .map_err(|e| api_err(ty, "create", e))?;
    let mut named = planned.clone();
    if k.api.server_named {
        let name = answer
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default();
        if name.is_empty() {
            return Err(ProviderError::new(format!(
                "{ty}: create: the answer names no object"
            )));
        }
        if k.schema.attributes.contains_key("name") {
            named.insert("name".into(), Json::String(name.to_owned()));
        }
        // The name's last segment is the server-made ID (an IAP client's `client_id`), which
        // the object's path may name instead of the whole name.
        let last = name.rsplit('/').next().unwrap_or(name);
        for (attr, a) in k.level().attributes {
            if a.name_part {
                named.insert(attr.clone(), Json::String(last.to_owned()));
            }
        }
    }
    let mut out = read_back(&k, &named, "create").await?;
    // What only the create answer holds (a key's private key) is taken from it.
    if let Some(answer) = answer.as_object() {
        let from_answer = wire::from_wire(k.level(), answer, &named);
        for (attr, a) in k.level().attributes {
            if let (true, Some(v)) = (a.create_only, from_answer.get(attr)) {
                out.insert(attr.clone(), v.clone());
            }
        }
    }
    Ok(out)
}

/// The object as a GET shows it after a change (operation results and create answers can
/// leave output fields out).
async fn read_back(
    k: &Kind<'_>,
    obj: &Map<String, Json>,
    action: &str,
) -> Result<Map<String, Json>> {
    let timeout = operation::timeout_of(obj, action);
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(500);
    loop {
        let Some(found) = k.get(obj).await? else {
            return Err(ProviderError::new(format!(
                "{}: {action}: the object is not there when read back",
                k.ty
            )));
        };
        let Some(rule) = &k.api.ready else {
            return Ok(k.finish(&found, obj));
        };
        match ready::judge(rule, &found) {
            ready::Verdict::Ready => return Ok(k.finish(&found, obj)),
            ready::Verdict::Failed(why) => {
                return Err(ProviderError::new(format!(
                    "{}: {action}: the object is not ready: {why}",
                    k.ty
                )))
            }
            ready::Verdict::Waiting(why) => {
                if started.elapsed() + pause > timeout {
                    return Err(ProviderError::new(format!(
                        "{}: {action}: not ready after {}s: {why}",
                        k.ty,
                        timeout.as_secs()
                    )));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
        }
    }
}

/// Updates the changed arguments with one PATCH naming them in the field mask.
pub async fn update(
    g: &Google,
    ty: &str,
    prior: &Map<String, Json>,
    planned: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    if is_iam(ty) {
        return iam::put(g, ty, planned).await;
    }
    let k = Kind::of(g, ty)?;
    let Some(m) = &k.api.update else {
        return Err(ProviderError::new(format!(
            "{ty}: the API cannot update this type in place"
        )));
    };
    let mut target = planned.clone();
    if k.api.server_named {
        if let Some(name) = prior.get("name") {
            target.insert("name".into(), name.clone());
        }
    }
    // What the plan leaves to the server (a fingerprint the change must name) is the prior
    // object's as far as the request goes.
    for (key, v) in prior {
        if target.get(key).is_none_or(Json::is_null) {
            target.insert(key.clone(), v.clone());
        }
    }
    let changed = wire::changed_paths(k.level(), prior, planned);
    if !changed.is_empty() {
        let mut body = wire::to_wire(k.level(), &k.expanded(planned)?);
        for (path, tpl) in &m.set {
            wire::set_path(&mut body, path, Json::String(k.fill(tpl, &target)?));
        }
        let mask = m.mask.as_deref().map(|q| (q, changed.join(",")));
        let (body, extra): (Map<String, Json>, Vec<(&str, String)>) = match (&m.wrap, mask) {
            // The mask goes in the body, beside the object.
            (Some(field), Some((q, paths))) => {
                let mut wrapped = Map::new();
                wrapped.insert(field.clone(), Json::Object(body));
                wrapped.insert(q.to_owned(), Json::String(paths));
                (wrapped, Vec::new())
            }
            (_, mask) => (body, mask.into_iter().collect()),
        };
        let url = k.url(m, &target, &extra)?;
        let body = Json::Object(body);
        k.send(m, &url, Some(&body), "update", planned)
            .await
            .map_err(|e| api_err(ty, "update", e))?;
    }
    read_back(&k, &target, "update").await
}

/// Deletes an object; one already gone is deleted.
pub async fn delete(g: &Google, ty: &str, prior: &Map<String, Json>) -> Result<()> {
    if is_iam(ty) {
        return iam::delete(g, ty, prior).await;
    }
    let k = Kind::of(g, ty)?;
    let abandoned = k
        .api
        .abandon_when
        .iter()
        .any(|(attr, v)| prior.get(attr).and_then(Json::as_str) == Some(v.as_str()));
    if abandoned {
        // The configuration asked for the object to outlive its management.
        return Ok(());
    }
    protected(&k, prior)?;
    let Some(m) = &k.api.delete else {
        // The API has no delete (an IAP brand): destroy forgets the object, as Terraform's.
        return Ok(());
    };
    let url = k.url(m, prior, &[])?;
    match k.send(m, &url, None, "delete", prior).await {
        Ok(_) => Ok(()),
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(api_err(ty, "delete", e)),
    }
}

/// Refuses to delete an object whose `deletion_protection` (an argument only keyway holds,
/// as Terraform's provider does) is true.
fn protected(k: &Kind<'_>, prior: &Map<String, Json>) -> Result<()> {
    let guarded = k
        .schema
        .attributes
        .get("deletion_protection")
        .is_some_and(|a| a.wire.is_none());
    if guarded && prior.get("deletion_protection") == Some(&Json::Bool(true)) {
        return Err(ProviderError::new(format!(
            "{}: cannot destroy {} while deletion_protection is true. Set \
             `deletion_protection = false` on the resource, run apply, then destroy",
            k.ty,
            k.fill(&k.api.id, prior).unwrap_or_default()
        )));
    }
    Ok(())
}

/// Re-reads objects: one paged list per collection when the API lists, else a GET each.
pub async fn refresh(
    g: &Google,
    ty: &str,
    priors: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    if is_iam(ty) {
        return iam::refresh(g, ty, priors).await;
    }
    let k = Kind::of(g, ty)?;
    let Some(list) = &k.api.list else {
        let mut out = Vec::with_capacity(priors.len());
        for p in priors {
            out.push(k.get(p).await?.map(|found| k.finish(&found, p)));
        }
        return Ok(out);
    };
    let mut listed: std::collections::BTreeMap<String, Map<String, Json>> = Default::default();
    let mut taken = std::collections::BTreeSet::new();
    let mut out = vec![None; priors.len()];
    // Named records first, so that an unnamed one never takes an object a record names.
    let mut order: Vec<usize> = (0..priors.len()).collect();
    order.sort_by_key(|i| k.key_of(&priors[*i]).is_none());
    for i in order {
        let p = &priors[i];
        let path = k.fill(&list.path, p)?;
        // A regional API lists per region: the same path on another host is another list.
        let at = format!("{:?} {path}", k.host(p)?);
        if !listed.contains_key(&at) {
            let items = list_all(&k, list, &path, p).await?;
            listed.insert(at.clone(), items);
        }
        let items = listed.get(&at);
        let found = match k.key_of(p) {
            Some(key) => items.and_then(|items| items.get(&key)),
            None => unnamed(&k, p, items, &taken),
        };
        if let Some(name) = found.and_then(Json::as_object).and_then(|f| k.name_in(f)) {
            taken.insert(name.to_owned());
        }
        out[i] = found.and_then(Json::as_object).map(|f| k.finish(f, p));
    }
    Ok(out)
}

/// The object a create of a server-named type made when the run that sent it never heard
/// back (its pending record has no name): the newest listed object made since then that
/// holds what the create asked for and that no other record of this batch took.
fn unnamed<'i>(
    k: &Kind<'_>,
    prior: &Map<String, Json>,
    items: Option<&'i Map<String, Json>>,
    taken: &std::collections::BTreeSet<String>,
) -> Option<&'i Json> {
    let since = k.g.unnamed_since(k.ty)?;
    let since = time::OffsetDateTime::from(since);
    let mut asked = prior.clone();
    for (name, a) in &k.schema.attributes {
        if a.write_only || a.create_only {
            // Lists never return what a create sent but reads never show.
            asked.remove(name);
        }
    }
    let asked = Json::Object(wire::to_wire(k.level(), &asked));
    let field = k.api.created.as_deref().unwrap_or("createTime");
    let created = |item: &Json| {
        let t = item.get(field).and_then(Json::as_str)?;
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    };
    items?
        .values()
        .filter(|item| {
            let name = item.get("name").and_then(Json::as_str).unwrap_or_default();
            !taken.contains(name) && created(item).is_some_and(|t| t >= since)
        })
        .filter(|item| super::operation::holds(item, &asked))
        .max_by_key(|item| created(item))
}

/// Every object of one collection, by the last segment of its name.
async fn list_all(
    k: &Kind<'_>,
    list: &schema::ListMethod,
    path: &str,
    obj: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let mut out = Map::new();
    let mut token: Option<String> = None;
    loop {
        let mut query: Vec<String> = Vec::new();
        for (q, tpl) in &list.query {
            query.push(format!("{q}={}", encode_query(&k.fill(tpl, obj)?)));
        }
        if let Some(t) = &token {
            let param = list.token.as_deref().unwrap_or("pageToken");
            query.push(format!("{param}={}", encode_query(t)));
        }
        let url = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", query.join("&"))
        };
        let page = match k.g.client().get(k.host(obj)?, &url).await {
            Ok(page) => page,
            // The parent is gone (a deleted secret has no versions): so are its objects.
            Err(e) if e.code == 404 => return Ok(out),
            Err(e) => return Err(api_err(k.ty, "list", e)),
        };
        let items = page.get(&list.items).and_then(Json::as_array);
        for item in items.into_iter().flatten() {
            let name = item
                .as_object()
                .and_then(|o| k.name_in(o))
                .unwrap_or_default();
            let last = name.rsplit('/').next().unwrap_or(name);
            if !last.is_empty() {
                out.insert(last.to_owned(), item.clone());
            }
        }
        let next = list.next.as_deref().unwrap_or("nextPageToken");
        token = page
            .as_object()
            .and_then(|p| wire::get_path(p, next))
            .and_then(Json::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Reads the object an import ID names (one of the type's `import` formats), with the
/// configuration supplying what the ID leaves out.
pub async fn import(
    g: &Google,
    ty: &str,
    id: &str,
    config: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    if is_iam(ty) {
        return iam::import(g, ty, id, config).await;
    }
    let k = Kind::of(g, ty)?;
    let parsed = k
        .api
        .import
        .iter()
        .find_map(|tpl| template::match_path(tpl, id))
        .ok_or_else(|| {
            ProviderError::new(format!(
                "{ty}: import ID \"{id}\" matches none of the formats {}",
                k.api.import.join(", ")
            ))
        })?;
    let mut base = config.clone();
    for (key, v) in parsed {
        let same = base
            .get(&key)
            .and_then(Json::as_str)
            .is_some_and(|c| c == v || c.ends_with(&format!("/{v}")));
        if !same {
            base.insert(key, Json::String(v));
        }
    }
    match k.get(&base).await? {
        Some(found) => Ok(k.finish(&found, &base)),
        None => Err(ProviderError::new(format!(
            "Cannot import non-existent remote object: no {ty} \"{id}\" exists"
        ))),
    }
}

/// A data source of a generated collection: the object its arguments name, read with a GET.
pub async fn read_data(
    g: &Google,
    ty: &str,
    config: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    if ty == "google_iam_policy" {
        return Ok(iam::policy_document(config));
    }
    let schema = schema::lookup_in(ty, true).ok_or_else(|| {
        ProviderError::new(format!(
            "data source `{ty}` is not supported by the google provider yet"
        ))
    })?;
    let api = schema
        .api
        .as_ref()
        .ok_or_else(|| ProviderError::new(format!("data source `{ty}` has no API binding")))?;
    let k = Kind { g, ty, schema, api };
    // Documented defaults (`version = "latest"`) fill the path as the provider would.
    let mut config = config.clone();
    for (name, a) in &schema.attributes {
        if let (Some(d), true) = (&a.default, config.get(name).is_none_or(Json::is_null)) {
            config.insert(name.clone(), d.clone());
        }
    }
    let config = &config;
    match k.get(config).await? {
        Some(found) => Ok(k.finish(&found, config)),
        None => Err(ProviderError::new(format!(
            "{ty}: no such object: {}",
            k.fill(&api.self_path, config)?
        ))),
    }
}
