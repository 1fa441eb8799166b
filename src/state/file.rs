//! The versioned on-disk state format (`"format": "keyway-state"`, `"version": 1`): serde
//! DTOs and their conversion to and from the in-memory model.
//!
//! Output is deterministic: resources sorted by address, object keys sorted at every depth,
//! pretty-printed with a trailing newline, so identical states give identical bytes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::error::Error;
use super::model::{CheckResult, CheckStatus, Output, PendingCreate, ResourceInstance, State};

/// Value of the `format` field identifying a keyway state file.
pub const FORMAT: &str = "keyway-state";
/// The newest (and only) format version this build reads and writes.
pub const VERSION: u64 = 1;

// ---- reading --------------------------------------------------------------------------------

/// Just enough of the file to decide whether the rest can be understood; read first so a file
/// from a newer keyway gets a version error rather than a confusing "missing field" one.
#[derive(Deserialize)]
struct Header {
    format: Option<Value>,
    version: Option<Value>,
    keyway_version: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFileIn {
    #[allow(dead_code)] // checked via `Header`
    format: String,
    #[allow(dead_code)] // checked via `Header`
    version: u64,
    #[allow(dead_code)] // informational only
    keyway_version: String,
    lineage: String,
    serial: u64,
    resources: Vec<ResourceIn>,
    outputs: BTreeMap<String, OutputIn>,
    #[serde(default)]
    check_results: Vec<CheckIn>,
    /// Creations sent but not confirmed (absent from older files and when there are none).
    #[serde(default)]
    pending_creates: Vec<ResourceIn>,
}

/// A `check` block's result after the last apply (absent from older files).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckIn {
    name: String,
    status: String,
    #[serde(default)]
    problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceIn {
    address: String,
    #[serde(rename = "type")]
    resource_type: String,
    provider: String,
    attributes: Value,
    #[serde(default)]
    sensitive_paths: Vec<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    create_before_destroy: bool,
    #[serde(default)]
    tainted: bool,
    /// Pending creations only: when the creation was recorded (Unix seconds).
    #[serde(default)]
    recorded_at: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputIn {
    value: Value,
    #[serde(default)]
    sensitive: bool,
}

/// Parses the text of a state file. `path` only names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<State, Error> {
    let corrupt = |problem: String| Error::Corrupt {
        path: path.to_path_buf(),
        problem,
    };
    let header: Header = serde_json::from_str(text)
        .map_err(|e| corrupt(format!("not a valid state document: {e}")))?;
    match header.format {
        Some(Value::String(f)) if f == FORMAT => {}
        Some(other) => {
            return Err(corrupt(format!(
                "`format` is {other}, expected \"{FORMAT}\""
            )))
        }
        None => {
            return Err(corrupt(format!(
                "no `format` field (expected \"{FORMAT}\")"
            )))
        }
    }
    let version = match header.version {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| corrupt(format!("`version` {n} is not a positive integer")))?,
        Some(other) => return Err(corrupt(format!("`version` is {other}, expected a number"))),
        None => return Err(corrupt("no `version` field".to_string())),
    };
    if version > VERSION {
        return Err(Error::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: VERSION,
            written_by: match header.keyway_version {
                Some(Value::String(v)) => format!("keyway {v}"),
                _ => "an unknown keyway version".to_string(),
            },
        });
    }
    if version == 0 {
        return Err(corrupt("`version` 0 does not exist".to_string()));
    }

    let file: StateFileIn = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    if file.lineage.is_empty() {
        return Err(corrupt("`lineage` is empty".to_string()));
    }
    if let Some(r) = file.resources.iter().find(|r| r.recorded_at.is_some()) {
        return Err(corrupt(format!(
            "resource `{}` has `recorded_at`, which only pending creations have",
            r.address
        )));
    }
    let resources = instances(file.resources, "resource", &corrupt)?
        .into_iter()
        .map(|(a, (r, _))| (a, r))
        .collect();
    let pending = instances(file.pending_creates, "pending creation", &corrupt)?
        .into_iter()
        .map(|(a, (instance, at))| {
            let recorded_at = at.unwrap_or(0);
            (
                a,
                PendingCreate {
                    instance,
                    recorded_at,
                },
            )
        })
        .collect();
    let outputs = file
        .outputs
        .into_iter()
        .map(|(name, o)| {
            (
                name,
                Output {
                    value: o.value,
                    sensitive: o.sensitive,
                },
            )
        })
        .collect();
    let mut checks = Vec::new();
    for c in file.check_results {
        let status = CheckStatus::from_name(&c.status).ok_or_else(|| {
            corrupt(format!(
                "check `{}` has unknown status `{}`",
                c.name, c.status
            ))
        })?;
        checks.push(CheckResult {
            name: c.name,
            status,
            problems: c.problems,
        });
    }
    Ok(State {
        lineage: file.lineage,
        serial: file.serial,
        resources,
        outputs,
        checks,
        pending,
    })
}

/// The instances of one list, keyed by address; `what` names the list in errors.
fn instances(
    list: Vec<ResourceIn>,
    what: &str,
    corrupt: &dyn Fn(String) -> Error,
) -> Result<BTreeMap<String, (ResourceInstance, Option<u64>)>, Error> {
    let mut out = BTreeMap::new();
    for r in list {
        if !r.attributes.is_object() {
            return Err(corrupt(format!(
                "attributes of {what} `{}` are not a JSON object",
                r.address
            )));
        }
        let instance = ResourceInstance {
            resource_type: r.resource_type,
            provider: r.provider,
            attributes: r.attributes,
            sensitive_paths: r.sensitive_paths,
            dependencies: r.dependencies,
            create_before_destroy: r.create_before_destroy,
            tainted: r.tainted,
        };
        if out
            .insert(r.address.clone(), (instance, r.recorded_at))
            .is_some()
        {
            return Err(corrupt(format!("{what} `{}` appears twice", r.address)));
        }
    }
    Ok(out)
}

// ---- writing --------------------------------------------------------------------------------

// Borrowing DTOs: serializing is one straight pass over the model, with no cloning, because
// the engine persists state after every resource operation.

#[derive(Serialize)]
struct StateFileOut<'a> {
    format: &'static str,
    version: u64,
    keyway_version: &'static str,
    lineage: &'a str,
    serial: u64,
    resources: Vec<ResourceOut<'a>>,
    outputs: BTreeMap<&'a str, OutputOut<'a>>,
    // Omitted when empty, so states without checks keep their exact bytes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    check_results: Vec<CheckOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pending_creates: Vec<ResourceOut<'a>>,
}

#[derive(Serialize)]
struct CheckOut<'a> {
    name: &'a str,
    status: &'static str,
    problems: &'a [String],
}

#[derive(Serialize)]
struct ResourceOut<'a> {
    address: &'a str,
    #[serde(rename = "type")]
    resource_type: &'a str,
    provider: &'a str,
    attributes: Canonical<'a>,
    sensitive_paths: &'a [String],
    dependencies: &'a [String],
    create_before_destroy: bool,
    tainted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    recorded_at: Option<u64>,
}

#[derive(Serialize)]
struct OutputOut<'a> {
    value: Canonical<'a>,
    sensitive: bool,
}

fn resource_out<'a>((address, r): (&'a String, &'a ResourceInstance)) -> ResourceOut<'a> {
    ResourceOut {
        address,
        resource_type: &r.resource_type,
        provider: &r.provider,
        attributes: Canonical(&r.attributes),
        sensitive_paths: &r.sensitive_paths,
        dependencies: &r.dependencies,
        create_before_destroy: r.create_before_destroy,
        tainted: r.tainted,
        recorded_at: None,
    }
}

fn pending_out<'a>((address, p): (&'a String, &'a PendingCreate)) -> ResourceOut<'a> {
    ResourceOut {
        recorded_at: Some(p.recorded_at),
        ..resource_out((address, &p.instance))
    }
}

/// Serializes a JSON value with object keys sorted at every level, whatever map type
/// serde_json was built with (its `preserve_order` feature keeps insertion order).
struct Canonical<'a>(&'a Value);

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut m = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, &Canonical(v))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut s = serializer.serialize_seq(Some(items.len()))?;
                for v in items {
                    s.serialize_element(&Canonical(v))?;
                }
                s.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// Renders `state` in the current file format: pretty JSON with a trailing newline.
pub fn to_bytes(state: &State) -> Result<Vec<u8>, Error> {
    let out = StateFileOut {
        format: FORMAT,
        version: VERSION,
        keyway_version: env!("CARGO_PKG_VERSION"),
        lineage: &state.lineage,
        serial: state.serial,
        // `resources` is a BTreeMap, so this list is already sorted by address.
        resources: state.resources.iter().map(resource_out).collect(),
        outputs: state
            .outputs
            .iter()
            .map(|(name, o)| {
                (
                    name.as_str(),
                    OutputOut {
                        value: Canonical(&o.value),
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect(),
        check_results: state
            .checks
            .iter()
            .map(|c| CheckOut {
                name: &c.name,
                status: c.status.name(),
                problems: &c.problems,
            })
            .collect(),
        pending_creates: state.pending.iter().map(pending_out).collect(),
    };
    // Rough pre-size to avoid repeated reallocation on large states.
    let mut buf = Vec::with_capacity(256 + state.resources.len() * 512);
    serde_json::to_writer_pretty(&mut buf, &out).map_err(Error::Serialize)?;
    buf.push(b'\n');
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> State {
        let mut s = State::new();
        s.serial = 7;
        s.resources.insert(
            "terraform_data.web[\"b\"]".to_string(),
            ResourceInstance {
                resource_type: "terraform_data".into(),
                provider: "builtin".into(),
                attributes: json!({"z": 1, "a": {"y": true, "b": [3, {"k": "v", "c": null}]}}),
                sensitive_paths: vec!["/a/y".into()],
                dependencies: vec!["terraform_data.base".into()],
                create_before_destroy: true,
                tainted: false,
            },
        );
        s.resources.insert(
            "terraform_data.base".to_string(),
            ResourceInstance {
                resource_type: "terraform_data".into(),
                provider: "builtin".into(),
                attributes: json!({"id": "x"}),
                tainted: true,
                ..Default::default()
            },
        );
        s.outputs.insert(
            "key".into(),
            Output {
                value: json!("secret"),
                sensitive: true,
            },
        );
        s.pending.insert(
            "google_apikeys_key.k".to_string(),
            PendingCreate {
                instance: ResourceInstance {
                    resource_type: "google_apikeys_key".into(),
                    provider: "google".into(),
                    attributes: json!({"name": "k", "key_string": null}),
                    ..Default::default()
                },
                recorded_at: 1_796_000_000,
            },
        );
        s
    }

    #[test]
    fn states_without_pending_creations_keep_their_bytes() {
        let mut s = sample();
        s.pending.clear();
        let text = String::from_utf8(to_bytes(&s).expect("serialize")).expect("utf8");
        assert!(!text.contains("pending_creates"), "{text}");
    }

    fn p() -> &'static Path {
        Path::new("/tmp/x/state.json")
    }

    #[test]
    fn round_trips_through_the_file_format() {
        let s = sample();
        let bytes = to_bytes(&s).expect("serialize");
        let text = String::from_utf8(bytes).expect("utf8");
        assert_eq!(parse(p(), &text).expect("parse"), s);
    }

    #[test]
    fn output_is_deterministic_sorted_and_newline_terminated() {
        let s = sample();
        let a = to_bytes(&s).expect("serialize");
        let b = to_bytes(&s.clone()).expect("serialize");
        assert_eq!(a, b);
        let text = String::from_utf8(a).expect("utf8");
        assert!(text.ends_with("}\n"));
        assert!(text.contains("\n  \"format\": \"keyway-state\""));
        assert!(text.contains("\"version\": 1"));
        assert!(text.contains(&format!(
            "\"keyway_version\": \"{}\"",
            env!("CARGO_PKG_VERSION")
        )));
        // resources sorted by address
        let base = text.find("terraform_data.base").expect("base");
        let web = text.find("terraform_data.web").expect("web");
        assert!(base < web);
        // nested object keys sorted
        let a_pos = text.find("\"a\": {").expect("a");
        let z_pos = text.find("\"z\": 1").expect("z");
        assert!(a_pos < z_pos);
        assert!(text.find("\"c\": null").expect("c") < text.find("\"k\": \"v\"").expect("k"));
    }

    #[test]
    fn rejects_bad_json_naming_the_file() {
        let err = parse(p(), "{ not json").expect_err("must fail");
        assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("/tmp/x/state.json"), "{msg}");
        assert!(msg.contains("line 1"), "{msg}");
    }

    #[test]
    fn rejects_wrong_format() {
        let err = parse(p(), r#"{"format":"terraform","version":1}"#).expect_err("must fail");
        assert!(
            err.to_string().contains("expected \"keyway-state\""),
            "{err}"
        );
        let err = parse(p(), r#"{"version": 4, "serial": 1}"#).expect_err("must fail");
        assert!(err.to_string().contains("no `format` field"), "{err}");
        let err = parse(p(), "[1,2]").expect_err("must fail");
        assert!(matches!(err, Error::Corrupt { .. }));
    }

    #[test]
    fn rejects_missing_fields() {
        let text = r#"{"format":"keyway-state","version":1,"keyway_version":"0.1.0","serial":1,"resources":[],"outputs":{}}"#;
        let err = parse(p(), text).expect_err("must fail");
        assert!(err.to_string().contains("missing field `lineage`"), "{err}");
    }

    #[test]
    fn rejects_duplicate_addresses_and_non_object_attributes() {
        let r = r#"{"address":"a.b","type":"a","provider":"builtin","attributes":{}}"#;
        let text = format!(
            r#"{{"format":"keyway-state","version":1,"keyway_version":"0","lineage":"l","serial":1,"resources":[{r},{r}],"outputs":{{}}}}"#
        );
        assert!(parse(p(), &text)
            .expect_err("dup")
            .to_string()
            .contains("appears twice"));
        let text = r#"{"format":"keyway-state","version":1,"keyway_version":"0","lineage":"l","serial":1,"resources":[{"address":"a.b","type":"a","provider":"builtin","attributes":3}],"outputs":{}}"#;
        assert!(parse(p(), text)
            .expect_err("attrs")
            .to_string()
            .contains("not a JSON object"));
    }

    #[test]
    fn rejects_newer_version_saying_what_is_supported() {
        let text =
            r#"{"format":"keyway-state","version":2,"keyway_version":"9.0.0","something_new":[]}"#;
        let err = parse(p(), text).expect_err("must fail");
        match &err {
            Error::UnsupportedVersion {
                found, supported, ..
            } => assert_eq!((*found, *supported), (2, 1)),
            other => panic!("unexpected {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("version 2") && msg.contains("version 1 at most"),
            "{msg}"
        );
        assert!(msg.contains("/tmp/x/state.json"));
    }
}
