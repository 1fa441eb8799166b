//! Reads an OpenAPI 3.0 or Swagger 2.0 document (JSON or YAML) into the neutral form both API
//! Gateway importers build from (`apigw/import.rs`, `apigwv2/import.rs`): info, base path,
//! operations with their effective security, parameters, responses and
//! `x-amazon-apigateway-integration`, the security schemes, and the top-level
//! `x-amazon-apigateway-*` extensions. A malformed document is an `Err` (the importers' 400);
//! what API Gateway would skip with a warning goes in `Doc::warnings`. Never panics: every
//! member is read by its JSON type.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Which specification the document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Swagger2,
    OpenApi3,
}

/// One security requirement: a scheme's name and the scopes it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub scheme: String,
    pub scopes: Vec<String>,
}

/// A request parameter (`in` is `path`, `query`, `header`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub location: String,
    pub name: String,
    pub required: bool,
}

/// A declared response: its status code and the header names it sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: String,
    pub headers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// The path as written (`/pets/{id}`, or `$default`).
    pub path: String,
    /// Upper case; `ANY` for `x-amazon-apigateway-any-method`.
    pub method: String,
    pub operation_id: Option<String>,
    /// The operation's `security`, or the document's when it has none.
    pub security: Vec<Requirement>,
    pub params: Vec<Param>,
    pub responses: Vec<Response>,
    pub integration: Option<Map<String, Value>>,
}

/// A security scheme (`securityDefinitions` / `components.securitySchemes`).
#[derive(Debug, Clone, Default)]
pub struct Scheme {
    /// `apiKey`, `http`, `oauth2`, `openIdConnect`.
    pub kind: String,
    /// The key's header or query name, for `apiKey`.
    pub name: String,
    pub location: String,
    pub authorizer: Option<Map<String, Value>>,
    /// `x-amazon-apigateway-authtype` (`awsSigv4`, `cognito_user_pools`, ...).
    pub auth_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub flavor: Flavor,
    pub title: Option<String>,
    pub description: Option<String>,
    pub version: Option<String>,
    /// `""` or `/a/b`: Swagger's `basePath`, or the path of OpenAPI 3's first server URL.
    pub base_path: String,
    pub ops: Vec<Operation>,
    pub schemes: BTreeMap<String, Scheme>,
    /// Top-level `x-amazon-apigateway-*` members by name.
    pub extensions: Map<String, Value>,
    pub warnings: Vec<String>,
}

impl Doc {
    pub fn extension(&self, name: &str) -> Option<&Value> {
        self.extensions.get(&format!("x-amazon-apigateway-{name}"))
    }
}

/// How `basepath=` places the base path: dropped, prepended to every path, or prepended
/// without its first segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseMode {
    Ignore,
    Prepend,
    Split,
}

impl BaseMode {
    pub fn parse(v: Option<&str>) -> Result<BaseMode, String> {
        match v.map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("ignore") => Ok(BaseMode::Ignore),
            Some("prepend") => Ok(BaseMode::Prepend),
            Some("split") => Ok(BaseMode::Split),
            Some(other) => Err(format!(
                "Invalid basepath {other}: must be ignore, prepend or split"
            )),
        }
    }

    /// `path` as imported under `base`.
    pub fn apply(self, base: &str, path: &str) -> String {
        let prefix = match self {
            BaseMode::Ignore => "",
            BaseMode::Prepend => base,
            BaseMode::Split => base
                .trim_start_matches('/')
                .split_once('/')
                .map_or("", |(_, rest)| rest),
        };
        let prefix = prefix.trim_matches('/');
        match (prefix.is_empty(), path) {
            (true, _) => path.to_string(),
            (false, "/") => format!("/{prefix}"),
            (false, _) => format!("/{prefix}{path}"),
        }
    }
}

const METHOD_KEYS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];
const ANY_METHOD: &str = "x-amazon-apigateway-any-method";
/// Path item members that carry no operation.
const PATH_ITEM_OTHER: &[&str] = &["summary", "description", "servers", "$ref", "parameters"];

/// API Gateway's extensions at the top of a document (the developer guide's list).
const TOP_EXTENSIONS: &[&str] = &[
    "api-key-source",
    "binary-media-types",
    "cors",
    "documentation",
    "endpoint-configuration",
    "gateway-responses",
    "importexport-version",
    "minimum-compression-size",
    "policy",
    "request-validators",
    "tag-value",
    "security-policy",
    "endpoint-access-mode",
];
/// API Gateway's extensions on an operation.
const OP_EXTENSIONS: &[&str] = &["integration", "auth", "request-validator"];

/// Reads `text` (JSON, or YAML) as an OpenAPI 3.0 or Swagger 2.0 document.
pub fn read(text: &str) -> Result<Doc, String> {
    let root = super::super::dataplane::openapi::load(text)
        .map_err(|e| format!("Invalid OpenAPI input: {e}"))?;
    let root = root
        .as_object()
        .ok_or("Invalid OpenAPI input: the document is not an object")?;
    let flavor = flavor(root)?;
    let info = root.get("info").and_then(Value::as_object);
    let info_str = |k: &str| info.and_then(|i| text_of(i.get(k)?));
    let mut doc = Doc {
        flavor,
        title: info_str("title"),
        description: info_str("description"),
        version: info_str("version"),
        base_path: base_path(root, flavor),
        ops: Vec::new(),
        schemes: schemes(root, flavor)?,
        extensions: Map::new(),
        warnings: Vec::new(),
    };
    let global = match root.get("security") {
        Some(v) => requirements(v, "security")?,
        None => Vec::new(),
    };
    let paths = match root.get("paths") {
        Some(Value::Object(p)) => p,
        Some(_) => return Err("Invalid OpenAPI input: paths must be an object".into()),
        None => return Err("Invalid OpenAPI input: paths is required".into()),
    };
    for (path, item) in paths {
        path_item(&mut doc, path, item, &global)?;
    }
    top_extensions(&mut doc, root);
    Ok(doc)
}

fn flavor(root: &Map<String, Value>) -> Result<Flavor, String> {
    let version = |k: &str| root.get(k).and_then(text_of);
    match (version("openapi"), version("swagger")) {
        (Some(v), _) if v.starts_with("3.0") => Ok(Flavor::OpenApi3),
        (Some(v), _) => Err(format!(
            "Invalid OpenAPI input: OpenAPI version {v} is not supported (3.0.x is)"
        )),
        (None, Some(v)) if v == "2.0" => Ok(Flavor::Swagger2),
        (None, Some(v)) => Err(format!(
            "Invalid OpenAPI input: Swagger version {v} is not supported (2.0 is)"
        )),
        (None, None) => Err(
            "Invalid OpenAPI input: the document names no version (openapi: 3.0.x or swagger: 2.0)"
                .into(),
        ),
    }
}

/// A scalar as text (YAML reads `version: 1.0` as a number, status codes as integers).
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The base path: Swagger's `basePath`; for OpenAPI 3 the path of the first server's URL,
/// with its `{basePath}` variable's default filled in (how API Gateway's exports write it).
fn base_path(root: &Map<String, Value>, flavor: Flavor) -> String {
    let raw = match flavor {
        Flavor::Swagger2 => root.get("basePath").and_then(text_of).unwrap_or_default(),
        Flavor::OpenApi3 => server_path(root.get("servers")),
    };
    let trimmed = raw.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

fn server_path(servers: Option<&Value>) -> String {
    let Some(server) = servers.and_then(|s| s.get(0)) else {
        return String::new();
    };
    let mut url = server.get("url").and_then(text_of).unwrap_or_default();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            let default = var.get("default").and_then(text_of).unwrap_or_default();
            url = url.replace(&format!("{{{name}}}"), &default);
        }
    }
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or(String::new(), |i| rest[i..].into()),
        None => url,
    }
}

fn schemes(root: &Map<String, Value>, flavor: Flavor) -> Result<BTreeMap<String, Scheme>, String> {
    let defs = match flavor {
        Flavor::Swagger2 => root.get("securityDefinitions"),
        Flavor::OpenApi3 => root
            .get("components")
            .and_then(|c| c.get("securitySchemes")),
    };
    let Some(defs) = defs.filter(|d| !d.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let defs = defs
        .as_object()
        .ok_or("Invalid OpenAPI input: security schemes must be an object")?;
    let mut out = BTreeMap::new();
    for (name, def) in defs {
        let def = def.as_object().ok_or_else(|| {
            format!("Invalid OpenAPI input: security scheme {name} must be an object")
        })?;
        let s = |k: &str| def.get(k).and_then(text_of).unwrap_or_default();
        let authorizer = match def.get("x-amazon-apigateway-authorizer") {
            None => None,
            Some(Value::Object(a)) => Some(a.clone()),
            Some(_) => {
                return Err(format!(
                "Invalid OpenAPI input: x-amazon-apigateway-authorizer of {name} must be an object"
            ))
            }
        };
        let scheme = Scheme {
            kind: s("type"),
            name: s("name"),
            location: s("in"),
            authorizer,
            auth_type: def.get("x-amazon-apigateway-authtype").and_then(text_of),
        };
        out.insert(name.clone(), scheme);
    }
    Ok(out)
}

/// A `security` list: alternatives, each naming schemes with their scopes. API Gateway
/// applies what they name together, so they are flattened in order.
fn requirements(v: &Value, at: &str) -> Result<Vec<Requirement>, String> {
    let bad = || format!("Invalid OpenAPI input: {at} must be a list of objects of scope lists");
    let mut out = Vec::new();
    for alt in v.as_array().ok_or_else(bad)? {
        for (scheme, scopes) in alt.as_object().ok_or_else(bad)? {
            let scopes = scopes
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|s| text_of(s).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Requirement {
                scheme: scheme.clone(),
                scopes,
            });
        }
    }
    Ok(out)
}

fn path_item(
    doc: &mut Doc,
    path: &str,
    item: &Value,
    global: &[Requirement],
) -> Result<(), String> {
    if path != "$default" && !path.starts_with('/') {
        return Err(format!(
            "Invalid OpenAPI input: path {path:?} must start with '/'"
        ));
    }
    let item = item
        .as_object()
        .ok_or_else(|| format!("Invalid OpenAPI input: paths.'{path}' must be an object"))?;
    let shared = match item.get("parameters") {
        Some(p) => params(p, &format!("paths.'{path}'.parameters"))?,
        None => Vec::new(),
    };
    for (key, op) in item {
        let method = if METHOD_KEYS.contains(&key.as_str()) {
            key.to_ascii_uppercase()
        } else if key == ANY_METHOD {
            "ANY".to_string()
        } else {
            note_other_member(doc, path, key);
            continue;
        };
        let at = format!("paths.'{path}'({key})");
        let op = op
            .as_object()
            .ok_or_else(|| format!("Invalid OpenAPI input: {at} must be an object"))?;
        let o = operation(doc, path, &method, op, &shared, global, &at)?;
        doc.ops.push(o);
    }
    Ok(())
}

/// A path item member that is no operation: ignored, with a warning when API Gateway cannot
/// honour it (`trace`, an extension it does not know, a member OpenAPI does not define).
fn note_other_member(doc: &mut Doc, path: &str, key: &str) {
    if PATH_ITEM_OTHER.contains(&key) || (key.starts_with("x-") && !is_aws_extension(key)) {
        return;
    }
    let why = match key {
        "trace" => "the TRACE method is not supported",
        k if is_aws_extension(k) => "unsupported extension",
        _ => "unknown member",
    };
    doc.warnings
        .push(format!("Ignoring paths.'{path}'.{key}: {why}"));
}

fn is_aws_extension(key: &str) -> bool {
    key.starts_with("x-amazon-apigateway-")
}

fn operation(
    doc: &mut Doc,
    path: &str,
    method: &str,
    op: &Map<String, Value>,
    shared: &[Param],
    global: &[Requirement],
    at: &str,
) -> Result<Operation, String> {
    let mut all = shared.to_vec();
    if let Some(p) = op.get("parameters") {
        for p in params(p, &format!("{at}.parameters"))? {
            // An operation's parameter overrides the path's of the same name and place.
            all.retain(|q| !(q.name == p.name && q.location == p.location));
            all.push(p);
        }
    }
    let security = match op.get("security") {
        Some(v) => requirements(v, &format!("{at}.security"))?,
        None => global.to_vec(),
    };
    let integration = match op.get("x-amazon-apigateway-integration") {
        None => None,
        Some(Value::Object(i)) => Some(i.clone()),
        Some(_) => {
            return Err(format!(
                "Invalid OpenAPI input: {at}.x-amazon-apigateway-integration must be an object"
            ))
        }
    };
    for key in op.keys().filter(|k| is_aws_extension(k)) {
        let name = &key["x-amazon-apigateway-".len()..];
        if !OP_EXTENSIONS.contains(&name) {
            doc.warnings
                .push(format!("Ignoring {at}.{key}: unsupported extension"));
        }
    }
    Ok(Operation {
        path: path.to_string(),
        method: method.to_string(),
        operation_id: op.get("operationId").and_then(text_of),
        security,
        params: all,
        responses: responses(op.get("responses"), at)?,
        integration,
    })
}

/// Parameters (a `$ref` is skipped: the importers need only a parameter's place and name).
fn params(v: &Value, at: &str) -> Result<Vec<Param>, String> {
    let list = v
        .as_array()
        .ok_or_else(|| format!("Invalid OpenAPI input: {at} must be a list"))?;
    let mut out = Vec::new();
    for p in list {
        let p = p
            .as_object()
            .ok_or_else(|| format!("Invalid OpenAPI input: {at} must hold objects"))?;
        let (Some(location), Some(name)) = (
            p.get("in").and_then(text_of),
            p.get("name").and_then(text_of),
        ) else {
            continue;
        };
        let required = p
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(location == "path");
        out.push(Param {
            location,
            name,
            required,
        });
    }
    Ok(out)
}

/// Declared responses with a status code (`default` has none to import).
fn responses(v: Option<&Value>, at: &str) -> Result<Vec<Response>, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let map = v
        .as_object()
        .ok_or_else(|| format!("Invalid OpenAPI input: {at}.responses must be an object"))?;
    let is_status = |c: &str| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit());
    Ok(map
        .iter()
        .filter(|(code, _)| is_status(code))
        .map(|(code, r)| Response {
            status: code.clone(),
            headers: r
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| h.keys().cloned().collect())
                .unwrap_or_default(),
        })
        .collect())
}

fn top_extensions(doc: &mut Doc, root: &Map<String, Value>) {
    for (key, v) in root.iter().filter(|(k, _)| is_aws_extension(k)) {
        let name = &key["x-amazon-apigateway-".len()..];
        if TOP_EXTENSIONS.contains(&name) {
            doc.extensions.insert(key.clone(), v.clone());
        } else {
            doc.warnings
                .push(format!("Ignoring {key}: unsupported extension"));
        }
    }
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
