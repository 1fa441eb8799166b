//! Google's discovery documents (the trimmed copies in `discovery/`) as a method table: each
//! method's HTTP verb, path template, custom verb, request and response schemas, and the kind
//! of thing it does (create, get, list, patch, delete, IAM, or a custom verb).

use std::sync::OnceLock;

use serde_json::Value;

/// One API's document.
pub struct Doc {
    /// `secretmanager`.
    pub name: String,
    /// `secretmanager.googleapis.com`: what must be enabled to call it.
    pub service: String,
    /// What every path starts with (`storage/v1/`; empty for documents whose `flatPath`s
    /// hold the version).
    pub service_path: String,
    /// The document's schemas.
    pub schemas: Value,
}

/// What a method does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Create,
    Get,
    List,
    Patch,
    Delete,
    GetIamPolicy,
    SetIamPolicy,
    TestIamPermissions,
    /// Any other custom verb (`addVersion`, `access`, `destroy`, ...).
    Custom(String),
}

/// One method of a document.
pub struct Method {
    /// `secretmanager.projects.secrets.create`.
    pub id: String,
    pub doc: &'static Doc,
    pub http: String,
    /// `v1`.
    pub version: String,
    /// Segments after the version: literals, or `None` for a placeholder.
    pub segs: Vec<Option<String>>,
    /// The custom verb after `:`, if any.
    pub verb: Option<String>,
    pub kind: Kind,
    pub request: Option<String>,
    pub response: Option<String>,
    /// Query parameters the method declares.
    pub query: Vec<String>,
    /// The path is one `{+resource}` after the version (IAP's `v1/{+resource}:getIamPolicy`):
    /// its placeholder takes any number of segments. Such methods are tried after the others.
    pub rest: bool,
}

const SOURCES: &[&str] = &[
    include_str!("discovery/artifactregistry.v1.json"),
    include_str!("discovery/cloudscheduler.v1.json"),
    include_str!("discovery/cloudtasks.v2.json"),
    include_str!("discovery/compute.v1.json"),
    include_str!("discovery/eventarc.v1.json"),
    include_str!("discovery/firestore.v1.json"),
    include_str!("discovery/iam.v1.json"),
    include_str!("discovery/iap.v1.json"),
    include_str!("discovery/pubsub.v1.json"),
    include_str!("discovery/run.v1.json"),
    include_str!("discovery/run.v2.json"),
    include_str!("discovery/secretmanager.v1.json"),
    include_str!("discovery/servicenetworking.v1.json"),
    include_str!("discovery/sqladmin.v1.json"),
    include_str!("discovery/storage.v1.json"),
    include_str!("discovery/vpcaccess.v1.json"),
];

fn docs() -> &'static Vec<(Doc, Value)> {
    static DOCS: OnceLock<Vec<(Doc, Value)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        SOURCES
            .iter()
            .map(|text| {
                // Vendored files compiled in and parsed by a test: a broken one is a build
                // defect, never input.
                let v: Value = serde_json::from_str(text)
                    .unwrap_or_else(|e| panic!("invariant: vendored discovery document: {e}"));
                let name = v["name"].as_str().unwrap_or_default().to_owned();
                let doc = Doc {
                    service: format!("{name}.googleapis.com"),
                    service_path: v["servicePath"].as_str().unwrap_or_default().to_owned(),
                    name,
                    schemas: v["schemas"].clone(),
                };
                (doc, v)
            })
            .collect()
    })
}

/// The title of the API whose service is `service` (`cloudtasks.googleapis.com` → `Cloud
/// Tasks API`), when a vendored document describes it: each such API can be enabled.
pub fn service_title(service: &str) -> Option<String> {
    docs()
        .iter()
        .find(|(d, _)| d.service == service)
        .map(|(_, v)| v["title"].as_str().unwrap_or(service).to_owned())
}

/// Every method of every vendored document.
pub fn methods() -> &'static Vec<Method> {
    static METHODS: OnceLock<Vec<Method>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let mut out = Vec::new();
        for (doc, v) in docs() {
            collect(doc, &v["resources"], &mut out);
        }
        out
    })
}

fn collect(doc: &'static Doc, resources: &Value, out: &mut Vec<Method>) {
    let Some(map) = resources.as_object() else {
        return;
    };
    for r in map.values() {
        for (name, m) in r["methods"].as_object().into_iter().flatten() {
            if let Some(method) = method(doc, name, m) {
                out.push(method);
            }
        }
        collect(doc, &r["resources"], out);
    }
}

fn method(doc: &'static Doc, name: &str, m: &Value) -> Option<Method> {
    // Older APIs (Cloud Storage) give only `path`, already without `{+name}` forms.
    let template = m["flatPath"].as_str().or_else(|| m["path"].as_str())?;
    let flat = format!("{}{}", doc.service_path, template);
    let (path, verb) = match flat.split_once(':') {
        Some((p, v)) => (p, Some(v.to_owned())),
        None => (flat.as_str(), None),
    };
    let mut parts = path.split('/');
    let version = parts.next()?.to_owned();
    let segs: Vec<Option<String>> = parts
        .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
        .collect();
    let rest = segs.len() == 1
        && segs[0].is_none()
        && m["path"]
            .as_str()
            .is_some_and(|p| p.starts_with(&format!("{version}/{{+")));
    let kind = match (name, verb.is_some()) {
        ("getIamPolicy", _) => Kind::GetIamPolicy,
        ("setIamPolicy", _) => Kind::SetIamPolicy,
        ("testIamPermissions", _) => Kind::TestIamPermissions,
        (_, true) => Kind::Custom(verb.clone().unwrap_or_default()),
        // `insert` in the older APIs (Cloud Storage, Compute).
        ("create" | "insert", false) => Kind::Create,
        ("get", false) => Kind::Get,
        ("list", false) => Kind::List,
        ("patch", false) => Kind::Patch,
        ("delete", false) => Kind::Delete,
        // Knative's PUT of the whole object (Cloud Run v1).
        ("replaceService", false) => Kind::Custom("replaceService".into()),
        // Compute's `operations/{op}/wait`; the older APIs' whole-object PUT.
        ("wait", false) => Kind::Custom("wait".into()),
        ("update", false) => Kind::Custom("update".into()),
        // Service Networking's delete: a POST to the connection itself.
        ("deleteConnection", false) => Kind::Custom("deleteConnection".into()),
        _ => return None,
    };
    let query = m["parameters"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, p)| p["location"] == "query")
        .map(|(k, _)| k.clone())
        .collect();
    Some(Method {
        id: m["id"].as_str().unwrap_or(name).to_owned(),
        doc,
        http: m["httpMethod"].as_str().unwrap_or("GET").to_owned(),
        version,
        segs,
        verb,
        kind,
        request: m["request"]["$ref"].as_str().map(str::to_owned),
        response: m["response"]["$ref"].as_str().map(str::to_owned),
        query,
        rest,
    })
}

impl Method {
    /// True if this method serves `http` on `version`/`segs`:`verb`.
    pub fn matches(&self, http: &str, version: &str, segs: &[&str], verb: Option<&str>) -> bool {
        if self.rest {
            return self.http == http
                && self.version == version
                && self.verb.as_deref() == verb
                && !segs.is_empty()
                && segs.iter().all(|s| !s.is_empty());
        }
        self.http == http
            && self.version == version
            && self.verb.as_deref() == verb
            && self.segs.len() == segs.len()
            && self
                .segs
                .iter()
                .zip(segs)
                .all(|(t, s)| t.as_deref().is_none_or(|lit| lit == *s) && !s.is_empty())
    }

    /// The request schema, if any.
    pub fn request_schema(&self) -> Option<&'static Value> {
        self.request.as_ref().map(|r| &self.doc.schemas[r.as_str()])
    }

    /// The response schema, if any.
    pub fn response_schema(&self) -> Option<&'static Value> {
        self.response
            .as_ref()
            .map(|r| &self.doc.schemas[r.as_str()])
    }

    /// True if the method answers with a long-running operation (`Operation`, or
    /// `GoogleLongrunningOperation` as some documents name it).
    pub fn is_lro(&self) -> bool {
        self.response_schema().is_some_and(|s| {
            s["properties"].get("done").is_some() && s["properties"].get("response").is_some()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendored_document_gives_its_standard_methods() {
        let ids: Vec<&str> = methods().iter().map(|m| m.id.as_str()).collect();
        for id in [
            "secretmanager.projects.secrets.create",
            "secretmanager.projects.secrets.versions.access",
            "artifactregistry.projects.locations.repositories.patch",
            "pubsub.projects.topics.create",
            "cloudscheduler.projects.locations.jobs.list",
        ] {
            assert!(ids.contains(&id), "{id} missing");
        }
        let create = methods()
            .iter()
            .find(|m| m.id == "artifactregistry.projects.locations.repositories.create")
            .expect("create");
        assert!(create.is_lro());
        assert!(create.query.contains(&"repositoryId".to_owned()));
    }

    /// IAP's policy methods (`v1/{+resource}:getIamPolicy`) take a resource of any length;
    /// the others keep one segment per placeholder.
    #[test]
    fn a_plus_path_takes_any_resource() {
        let get = methods()
            .iter()
            .find(|m| m.id == "iap.getIamPolicy")
            .expect("iap.getIamPolicy");
        assert!(get.rest);
        let segs = ["projects", "p", "iap_web"];
        assert!(get.matches("POST", "v1", &segs, Some("getIamPolicy")));
        assert!(!get.matches("POST", "v1", &segs, Some("setIamPolicy")));
        assert!(!get.matches("POST", "v1", &["projects", ""], Some("getIamPolicy")));
        let rest: Vec<&str> = methods()
            .iter()
            .filter(|m| m.rest)
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(rest, ["iap.getIamPolicy", "iap.setIamPolicy"]);
    }

    /// Two methods matching the same request would make routing depend on document order.
    #[test]
    fn no_two_methods_share_a_path_template() {
        let mut seen = std::collections::BTreeMap::new();
        for m in methods() {
            let shape: Vec<String> = m
                .segs
                .iter()
                .map(|s| s.clone().unwrap_or_else(|| "*".into()))
                .collect();
            let k = (
                m.http.clone(),
                m.version.clone(),
                shape.join("/"),
                m.verb.clone(),
            );
            if let Some(other) = seen.insert(k, m.id.clone()) {
                panic!("{} and {other} share a path template", m.id);
            }
        }
    }
}
