//! Terraform's state (format version 4, `terraform.tfstate`) read into keyway's, so that a
//! team can switch a stack without recreating anything: every managed instance of a type
//! keyway knows is adopted with its attributes (those keyway's schema has), sensitivity,
//! dependencies, taint and deposed objects; lineage and outputs are kept. What cannot be
//! adopted is named with the reason, for the user to decide before anything is written.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::error::Error;
use super::model::{Output, ResourceInstance, State};
use crate::schema::{self, BlockSchema, ResourceSchema};

/// What reading a Terraform state gives.
#[derive(Debug)]
pub struct Adoption {
    /// The keyway state holding every adopted instance.
    pub state: State,
    /// Terraform's serial, for the summary.
    pub serial: u64,
    /// Adopted instance addresses, sorted.
    pub adopted: Vec<String>,
    /// Resources left out, with why.
    pub refused: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct TfState {
    version: u64,
    #[serde(default)]
    serial: u64,
    #[serde(default)]
    lineage: String,
    #[serde(default)]
    outputs: BTreeMap<String, TfOutput>,
    #[serde(default)]
    resources: Vec<TfResource>,
}

#[derive(Deserialize)]
struct TfOutput {
    value: Json,
    #[serde(default)]
    sensitive: bool,
}

#[derive(Deserialize)]
struct TfResource {
    #[serde(default)]
    module: Option<String>,
    mode: String,
    #[serde(rename = "type")]
    ty: String,
    name: String,
    #[serde(default)]
    instances: Vec<TfInstance>,
}

#[derive(Deserialize)]
struct TfInstance {
    #[serde(default)]
    index_key: Option<Json>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    deposed: Option<String>,
    #[serde(default)]
    attributes: Option<Map<String, Json>>,
    #[serde(default)]
    sensitive_attributes: Json,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    create_before_destroy: bool,
}

/// Whether `text` is a Terraform state (rather than keyway's): what a team's backend holds
/// until keyway adopts it.
pub fn is_terraform_state(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Head {
        #[serde(default)]
        terraform_version: Option<String>,
        #[serde(default)]
        format: Option<String>,
    }
    serde_json::from_str::<Head>(text)
        .is_ok_and(|h| h.terraform_version.is_some() && h.format.is_none())
}

/// Reads `text` (the content of `path`) as a Terraform state.
pub fn read(path: &Path, text: &str) -> Result<Adoption, Error> {
    let corrupt = |problem: String| Error::Corrupt {
        path: path.to_owned(),
        problem,
    };
    let tf: TfState =
        serde_json::from_str(text).map_err(|e| corrupt(format!("not a Terraform state: {e}")))?;
    if tf.version != 4 {
        return Err(corrupt(format!(
            "Terraform state format version {} (keyway reads version 4, written by Terraform \
             0.12 and later)",
            tf.version
        )));
    }
    let mut state = State::new();
    if !tf.lineage.is_empty() {
        state.lineage = tf.lineage;
    }
    let mut adopted = Vec::new();
    let mut refused = Vec::new();
    for r in &tf.resources {
        let base = resource_address(r);
        if r.mode != "managed" {
            // Data sources are read again by every plan.
            continue;
        }
        let Some(schema) = schema::lookup_in(&r.ty, false) else {
            refused.push((base, format!("keyway has no resource type `{}`", r.ty)));
            continue;
        };
        let mut deposed_slots = 0;
        for inst in &r.instances {
            let addr = format!("{base}{}", index(inst.index_key.as_ref()));
            let addr = match &inst.deposed {
                None => addr,
                Some(_) => {
                    deposed_slots += 1;
                    match deposed_slots {
                        1 => format!("{addr} (deposed)"),
                        n => format!("{addr} (deposed {n})"),
                    }
                }
            };
            let attrs = inst.attributes.clone().unwrap_or_default();
            state.resources.insert(
                addr.clone(),
                ResourceInstance {
                    resource_type: r.ty.clone(),
                    provider: schema.provider.clone(),
                    attributes: Json::Object(known_attributes(schema, attrs)),
                    sensitive_paths: sensitive_paths(&inst.sensitive_attributes),
                    dependencies: dependencies(&inst.dependencies),
                    create_before_destroy: inst.create_before_destroy,
                    tainted: inst.status.as_deref() == Some("tainted"),
                },
            );
            adopted.push(addr);
        }
    }
    for (name, o) in tf.outputs {
        state.outputs.insert(
            name,
            Output {
                value: o.value,
                sensitive: o.sensitive,
            },
        );
    }
    adopted.sort();
    Ok(Adoption {
        state,
        serial: tf.serial,
        adopted,
        refused,
    })
}

fn resource_address(r: &TfResource) -> String {
    let own = match r.mode.as_str() {
        "data" => format!("data.{}.{}", r.ty, r.name),
        _ => format!("{}.{}", r.ty, r.name),
    };
    match &r.module {
        Some(m) => format!("{m}.{own}"),
        None => own,
    }
}

fn index(key: Option<&Json>) -> String {
    match key {
        Some(Json::Number(n)) => format!("[{n}]"),
        Some(Json::String(s)) => format!("[{}]", Json::String(s.clone())),
        _ => String::new(),
    }
}

/// The attributes keyway's schema has: Terraform's provider records more (computed
/// attributes keyway does not model) and keyway must not carry them as configuration.
fn known_attributes(schema: &ResourceSchema, attrs: Map<String, Json>) -> Map<String, Json> {
    filter(&schema.attributes, &schema.blocks, attrs)
}

fn filter(
    attributes: &BTreeMap<String, crate::schema::Attribute>,
    blocks: &BTreeMap<String, BlockSchema>,
    attrs: Map<String, Json>,
) -> Map<String, Json> {
    let mut out = Map::new();
    for (k, v) in attrs {
        if let Some(a) = attributes.get(&k) {
            out.insert(
                k,
                if a.ty.as_deref() == Some("dynamic") {
                    dynamic(v)
                } else {
                    v
                },
            );
        } else if let Some(b) = blocks.get(&k) {
            let items = match v {
                Json::Array(items) => items
                    .into_iter()
                    .map(|i| match i {
                        Json::Object(m) => Json::Object(filter(&b.attributes, &b.blocks, m)),
                        other => other,
                    })
                    .collect(),
                Json::Null => Vec::new(),
                other => vec![other],
            };
            out.insert(k, Json::Array(items));
        }
    }
    out
}

/// A dynamically typed attribute (`terraform_data`'s `input`), which Terraform's state
/// records as `{"type": ..., "value": ...}`.
fn dynamic(v: Json) -> Json {
    match v {
        Json::Object(mut m) if m.len() == 2 && m.contains_key("type") => {
            m.remove("value").unwrap_or(Json::Null)
        }
        other => other,
    }
}

/// Terraform's `sensitive_attributes` (lists of path steps) as keyway's JSON pointers.
fn sensitive_paths(v: &Json) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|path| {
            let steps = path.as_array()?;
            let mut p = String::new();
            for s in steps {
                let value = s.get("value")?;
                p.push('/');
                match value {
                    Json::String(k) => p.push_str(&k.replace('~', "~0").replace('/', "~1")),
                    Json::Number(n) => p.push_str(&n.to_string()),
                    _ => return None,
                }
            }
            (!p.is_empty()).then_some(p)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Terraform records instance addresses of dependencies; keyway records resource addresses.
fn dependencies(deps: &[String]) -> Vec<String> {
    let mut out: Vec<String> = deps
        .iter()
        .map(|d| match d.find('[') {
            Some(i) => d[..i].to_owned(),
            None => d.clone(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TFSTATE: &str = r#"{
      "version": 4, "terraform_version": "1.11.4", "serial": 7,
      "lineage": "0b6a0c1e-1111-2222-3333-444455556666",
      "outputs": {"key": {"value": "AIza-secret", "type": "string", "sensitive": true}},
      "resources": [
        {"mode": "managed", "type": "google_apikeys_key", "name": "k",
         "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
         "instances": [{"schema_version": 0,
           "attributes": {"id": "projects/p/locations/global/keys/k", "name": "k",
             "project": "p", "display_name": "", "key_string": "AIza-secret",
             "uid": "u", "restrictions": [], "timeouts": null, "terraform_labels": {}},
           "sensitive_attributes": [[{"type": "get_attr", "value": "key_string"}]],
           "dependencies": ["google_project_service.apis[\"apikeys.googleapis.com\"]"]}]},
        {"mode": "managed", "type": "terraform_data", "name": "t",
         "provider": "provider[\"terraform.io/builtin/terraform\"]",
         "instances": [
           {"index_key": "a", "status": "tainted", "attributes": {"id": "1", "input": "x", "output": "x", "triggers_replace": null}},
           {"index_key": "a", "deposed": "00aa11bb", "attributes": {"id": "0", "input": "w", "output": "w", "triggers_replace": null}}]},
        {"mode": "data", "type": "google_project", "name": "p", "instances": []},
        {"mode": "managed", "type": "aws_s3_bucket", "name": "b", "instances": [{"attributes": {}}]},
        {"module": "module.net", "mode": "managed", "type": "terraform_data", "name": "n", "instances": [{"attributes": {}}]}
      ]
    }"#;

    #[test]
    fn a_terraform_state_is_adopted_with_what_keyway_cannot_take_named() {
        let a = read(Path::new("terraform.tfstate"), TFSTATE).expect("reads");
        assert_eq!(a.serial, 7);
        assert_eq!(a.state.lineage, "0b6a0c1e-1111-2222-3333-444455556666");
        assert_eq!(
            a.adopted,
            vec![
                "google_apikeys_key.k".to_owned(),
                "module.net.terraform_data.n".to_owned(),
                "terraform_data.t[\"a\"]".to_owned(),
                "terraform_data.t[\"a\"] (deposed)".to_owned(),
            ]
        );
        let key = &a.state.resources["google_apikeys_key.k"];
        assert_eq!(key.provider, "google");
        assert_eq!(key.sensitive_paths, vec!["/key_string".to_owned()]);
        assert_eq!(
            key.dependencies,
            vec!["google_project_service.apis".to_owned()]
        );
        assert!(
            key.attributes.get("terraform_labels").is_none(),
            "unknown attributes dropped"
        );
        assert!(key.attributes.get("timeouts").is_none());
        assert!(a.state.resources["terraform_data.t[\"a\"]"].tainted);
        let refused: Vec<&str> = a.refused.iter().map(|(addr, _)| addr.as_str()).collect();
        assert_eq!(refused, vec!["aws_s3_bucket.b"]);
        assert!(a.state.outputs["key"].sensitive);
    }

    #[test]
    fn other_files_and_versions_are_refused() {
        let p = Path::new("terraform.tfstate");
        assert!(read(p, "{\"version\": 3}").is_err());
        assert!(read(p, "not json").is_err());
    }
}
