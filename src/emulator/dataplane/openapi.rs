//! The OpenAPI 2.0 subset a gateway serves from: `basePath`, `paths` with `{param}` templates,
//! operations with `operationId`, `x-google-backend` (top level and per operation), and API-key
//! `securityDefinitions` with top-level or per-operation `security`. Parsed once per config.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "options", "head"];

/// How the backend path is built (Google's `x-google-backend.path_translation`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Translation {
    /// Backend path = address path + the request path.
    Append,
    /// Backend path = address path; path parameters become query parameters.
    Constant,
}

#[derive(Debug, Clone)]
pub struct Backend {
    pub address: String,
    pub translation: Translation,
    /// Parsed for completeness; the echo backend needs no identity token.
    pub jwt_audience: Option<String>,
    /// Parsed; the in-process echo answers at once, so no deadline can expire.
    pub deadline_s: Option<f64>,
}

/// Where a request may carry its API key.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyLocation {
    Query(String),
    Header(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Lit(String),
    Param(String),
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// Upper-case HTTP method.
    pub method: String,
    /// The full template as written (base path included), for the 405 message.
    pub template: String,
    segs: Vec<Seg>,
    pub operation_id: String,
    pub backend: Option<Backend>,
    /// `None`: callable without a key. `Some(locations)`: a key is required.
    pub key_locations: Option<Vec<KeyLocation>>,
}

#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub ops: Vec<Operation>,
}

/// What a request path and method resolve to.
pub enum Match<'a> {
    Found(&'a Operation, BTreeMap<String, String>),
    /// The path matches a template, but no operation has this method.
    WrongMethod(&'a str),
    NotFound,
}

/// Parses a config's `openapiDocuments` (base64 YAML or JSON contents) into one spec.
pub fn parse_documents(docs: &[Value]) -> Result<Spec, String> {
    let mut spec = Spec::default();
    for d in docs {
        let b64 = d
            .pointer("/document/contents")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("document is not base64: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|_| "document is not UTF-8".to_string())?;
        let doc = load(&text)?;
        spec.ops.extend(operations(&doc));
    }
    Ok(spec)
}

/// A document as JSON, read as JSON first and as YAML otherwise.
pub(in crate::emulator) fn load(text: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    expansion_is_bounded(text)?;
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    Ok(docs.first().map(yaml_to_json).unwrap_or(Value::Null))
}

/// Most nodes a document may stand for once its aliases are expanded.
const MAX_EXPANDED_NODES: u64 = 1_000_000;

/// yaml-rust2's loader copies an anchored node at every alias, so ten lines of nested anchors
/// ("billion laughs") would exhaust memory. One pass over the parser's events counts the nodes
/// the document expands to, without building anything, and refuses it past the limit.
fn expansion_is_bounded(text: &str) -> Result<(), String> {
    #[derive(Default)]
    struct Counter {
        nodes: u64,
        /// Node count when each open collection began, with its anchor.
        open: Vec<(usize, u64)>,
        /// Size of each anchored node.
        sizes: std::collections::HashMap<usize, u64>,
    }
    impl yaml_rust2::parser::MarkedEventReceiver for Counter {
        fn on_event(&mut self, ev: yaml_rust2::Event, _: yaml_rust2::scanner::Marker) {
            use yaml_rust2::Event;
            match ev {
                Event::Scalar(_, _, anchor, _) => {
                    self.nodes += 1;
                    if anchor > 0 {
                        self.sizes.insert(anchor, 1);
                    }
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    self.nodes += 1;
                    self.open.push((anchor, self.nodes));
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    if let Some((anchor, start)) = self.open.pop() {
                        if anchor > 0 {
                            self.sizes.insert(anchor, self.nodes - start + 1);
                        }
                    }
                }
                Event::Alias(id) => {
                    let size = self.sizes.get(&id).copied().unwrap_or(1);
                    self.nodes = self.nodes.saturating_add(size);
                }
                _ => {}
            }
        }
    }
    let mut counter = Counter::default();
    yaml_rust2::parser::Parser::new_from_str(text)
        .load(&mut counter, true)
        .map_err(|e| format!("invalid YAML: {e}"))?;
    if counter.nodes > MAX_EXPANDED_NODES {
        return Err("invalid YAML: the document contains excessive aliasing".into());
    }
    Ok(())
}

fn yaml_to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(s.clone())),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) | Yaml::Real(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => String::new(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

/// `x-google-backend`, with Google's default translation for where it sits.
fn backend(v: &Value, default: Translation) -> Option<Backend> {
    let address = v.get("address")?.as_str()?.to_string();
    let translation = match v.get("path_translation").and_then(Value::as_str) {
        Some("APPEND_PATH_TO_ADDRESS") => Translation::Append,
        Some("CONSTANT_ADDRESS") => Translation::Constant,
        _ => default,
    };
    Some(Backend {
        address,
        translation,
        jwt_audience: v
            .get("jwt_audience")
            .and_then(Value::as_str)
            .map(str::to_string),
        deadline_s: v.get("deadline").and_then(Value::as_f64),
    })
}

/// The API-key locations a `security` list requires, or `None` when the method is open
/// (no list, an empty list, or an alternative with no requirement at all).
fn key_locations(security: Option<&Value>, defs: &Value) -> Option<Vec<KeyLocation>> {
    let alternatives = security?.as_array()?;
    if alternatives.is_empty()
        || alternatives
            .iter()
            .any(|a| a.as_object().is_some_and(|o| o.is_empty()))
    {
        return None;
    }
    let mut out = Vec::new();
    for alt in alternatives {
        for scheme in alt.as_object().into_iter().flat_map(|o| o.keys()) {
            let def = &defs[scheme];
            if def["type"] != "apiKey" {
                continue;
            }
            let name = def["name"].as_str().unwrap_or("key").to_string();
            let loc = match def["in"].as_str() {
                Some("header") => KeyLocation::Header(name.to_ascii_lowercase()),
                _ => KeyLocation::Query(name),
            };
            if !out.contains(&loc) {
                out.push(loc);
            }
        }
    }
    Some(out)
}

fn operations(doc: &Value) -> Vec<Operation> {
    let base = doc["basePath"]
        .as_str()
        .unwrap_or("/")
        .trim_end_matches('/');
    let defs = &doc["securityDefinitions"];
    let top_backend = backend(&doc["x-google-backend"], Translation::Append);
    let mut out = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return out;
    };
    for (path, item) in paths {
        let template = format!("{base}{path}");
        let segs = template_segments(&template);
        for m in METHODS {
            let Some(op) = item.get(*m).filter(|o| o.is_object()) else {
                continue;
            };
            let operation_id = op["operationId"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{m}{}", path.replace(['/', '{', '}'], "_")));
            let security = op.get("security").or_else(|| doc.get("security"));
            out.push(Operation {
                method: m.to_ascii_uppercase(),
                template: template.clone(),
                segs: segs.clone(),
                operation_id,
                backend: backend(&op["x-google-backend"], Translation::Constant)
                    .or_else(|| top_backend.clone()),
                key_locations: key_locations(security, defs),
            });
        }
    }
    out
}

fn template_segments(t: &str) -> Vec<Seg> {
    t.split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                // `{name=*}` binds one segment like `{name}`.
                Some(p) => Seg::Param(p.split('=').next().unwrap_or(p).to_string()),
                None => Seg::Lit(s.to_string()),
            },
        )
        .collect()
}

impl Operation {
    fn bind(&self, segs: &[&str]) -> Option<BTreeMap<String, String>> {
        if segs.len() != self.segs.len() {
            return None;
        }
        let mut params = BTreeMap::new();
        for (want, got) in self.segs.iter().zip(segs) {
            match want {
                Seg::Lit(l) if l == got => {}
                Seg::Param(p) if !got.is_empty() => {
                    params.insert(p.clone(), (*got).to_string());
                }
                _ => return None,
            }
        }
        Some(params)
    }

    fn literals(&self) -> usize {
        self.segs
            .iter()
            .filter(|s| matches!(s, Seg::Lit(_)))
            .count()
    }
}

impl Spec {
    /// Routes a request. A trailing slash is ignored, as ESPv2's routes accept both forms; a
    /// literal segment beats a parameter when two templates match.
    pub fn find(&self, method: &str, path: &str) -> Match<'_> {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut best: Option<(&Operation, BTreeMap<String, String>)> = None;
        let mut wrong: Option<&Operation> = None;
        for op in &self.ops {
            let Some(params) = op.bind(&segs) else {
                continue;
            };
            if op.method != method {
                if wrong.is_none_or(|w| op.literals() > w.literals()) {
                    wrong = Some(op);
                }
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(b, _)| op.literals() > b.literals())
            {
                best = Some((op, params));
            }
        }
        match (best, wrong) {
            (Some((op, params)), _) => Match::Found(op, params),
            (None, Some(op)) => Match::WrongMethod(&op.template),
            (None, None) => Match::NotFound,
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn aliases_load_but_a_billion_laughs_is_refused() {
        let ok = load("a: &x [1, 2]\nb: *x\n").expect("aliases work");
        assert_eq!(ok["b"], serde_json::json!([1, 2]));
        let mut bomb = String::from("swagger: '2.0'\nl0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
        for i in 1..9 {
            let p = i - 1;
            let items = vec![format!("*l{p}"); 10].join(", ");
            bomb.push_str(&format!("l{i}: &l{i} [{items}]\n"));
        }
        let err = load(&bomb).expect_err("refused");
        assert!(err.contains("excessive aliasing"), "{err}");
    }

    use super::*;

    fn spec(yaml: &str) -> Spec {
        let contents = base64::engine::general_purpose::STANDARD.encode(yaml);
        parse_documents(&[serde_json::json!({"document": {"contents": contents}})]).expect("parses")
    }

    const DOC: &str = "swagger: '2.0'
basePath: /v1
x-google-backend:
  address: https://top.example
securityDefinitions:
  api_key:
    type: apiKey
    name: key
    in: query
  hdr:
    type: apiKey
    name: X-API-Key
    in: header
security:
  - api_key: []
  - hdr: []
paths:
  /items/{id}:
    get:
      operationId: getItem
    delete:
      operationId: delItem
      security: []
      x-google-backend:
        address: https://one.example/x
  /items/special:
    get:
      operationId: special
";

    #[test]
    fn routes_templates_methods_and_security() {
        let s = spec(DOC);
        let Match::Found(op, params) = s.find("GET", "/v1/items/42/") else {
            panic!("no match");
        };
        assert_eq!(op.operation_id, "getItem");
        assert_eq!(params["id"], "42");
        assert_eq!(
            op.key_locations,
            Some(vec![
                KeyLocation::Query("key".into()),
                KeyLocation::Header("x-api-key".into())
            ])
        );
        let b = op.backend.as_ref().expect("top-level backend");
        assert_eq!(b.translation, Translation::Append);
        let Match::Found(op, _) = s.find("GET", "/v1/items/special") else {
            panic!("no match");
        };
        assert_eq!(op.operation_id, "special", "literal beats parameter");
        let Match::Found(op, _) = s.find("DELETE", "/v1/items/1") else {
            panic!("no match");
        };
        assert_eq!(op.key_locations, None);
        let b = op.backend.as_ref().expect("own backend");
        assert_eq!(b.translation, Translation::Constant);
        assert!(matches!(
            s.find("POST", "/v1/items/1"),
            Match::WrongMethod("/v1/items/{id}")
        ));
        assert!(matches!(s.find("GET", "/items/1"), Match::NotFound));
    }

    #[test]
    fn json_documents_parse_too() {
        let s = spec(r#"{"swagger": "2.0", "paths": {"/a": {"post": {"operationId": "A"}}}}"#);
        assert!(matches!(s.find("POST", "/a"), Match::Found(..)));
        assert!(matches!(s.find("GET", "/a"), Match::WrongMethod("/a")));
    }
}
