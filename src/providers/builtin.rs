//! The built-in provider: `terraform_data`, with Terraform's semantics (`output` mirrors
//! `input`, `id` is a random UUID, `triggers_replace` forces replacement via the schema), and
//! `data "terraform_remote_state"` (another stack's root outputs, through `state::backend`).

use async_trait::async_trait;

use crate::lang::Value;
use crate::providers::{Provider, ProviderError, Result};

/// The built-in provider.
pub struct Builtin;

fn with(planned: &Value, id: Value) -> Result<Value> {
    match planned {
        Value::Object(m) => {
            let mut m = m.clone();
            let input = m.get("input").cloned().unwrap_or(Value::Null);
            m.insert("output".into(), input);
            m.insert("id".into(), id);
            Ok(Value::Object(m))
        }
        _ => Err(ProviderError::new("terraform_data: expected an object")),
    }
}

#[async_trait]
impl Provider for Builtin {
    async fn refresh(&self, _ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        // terraform_data lives only in state: what state says is what exists.
        Ok(priors.iter().cloned().map(Some).collect())
    }

    fn state_only(&self, _ty: &str) -> bool {
        true
    }

    async fn create(&self, _ty: &str, planned: &Value) -> Result<Value> {
        with(planned, Value::string(uuid::Uuid::new_v4().to_string()))
    }

    async fn update(&self, _ty: &str, prior: &Value, planned: &Value) -> Result<Value> {
        let id = match prior {
            Value::Object(m) => m.get("id").cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        };
        with(planned, id)
    }

    async fn delete(&self, _ty: &str, _prior: &Value) -> Result<()> {
        Ok(())
    }

    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        if ty != "terraform_remote_state" {
            return Err(ProviderError::new(format!(
                "data source `{ty}` is not supported"
            )));
        }
        let config = config.clone();
        tokio::task::spawn_blocking(move || remote_state(&config))
            .await
            .map_err(|e| ProviderError::new(format!("terraform_remote_state: {e}")))?
    }
}

fn remote_state(config: &Value) -> Result<Value> {
    let fail = |m: String| ProviderError::new(format!("data.terraform_remote_state: {m}"));
    let Value::Object(args) = config else {
        return Err(fail("expected an object".into()));
    };
    let text = |k: &str| {
        args.get(k)
            .and_then(|v| v.unmarked().as_str().map(str::to_owned))
    };
    let backend = text("backend").ok_or_else(|| fail("`backend` is required".into()))?;
    let workspace = text("workspace").unwrap_or_else(|| crate::state::DEFAULT_WORKSPACE.into());
    let mut settings = std::collections::BTreeMap::new();
    if let Some(Value::Object(c)) = args.get("config").map(Value::unmarked) {
        for (k, v) in c {
            let v = v.unmarked();
            let s = v
                .as_str()
                .map_or_else(|| v.to_json().to_string(), str::to_owned);
            settings.insert(k.clone(), s);
        }
    }
    let raw = if backend == "local" {
        let path = settings
            .get("path")
            .cloned()
            .unwrap_or_else(|| "terraform.tfstate".into());
        std::fs::read_to_string(&path).map_err(|e| fail(format!("cannot read `{path}`: {e}")))?
    } else {
        let b = crate::state::BackendSettings {
            kind: backend.clone(),
            settings,
            digest: String::new(),
        };
        let store = crate::state::Store::with(&b, std::path::Path::new("."), &workspace)
            .map_err(|e| fail(e.to_string()))?;
        store
            .read_raw()
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| {
                fail(format!(
                    "no state for workspace `{workspace}` in {}",
                    b.describe()
                ))
            })?
    };
    let outputs = outputs_of(&raw).map_err(fail)?;
    let mut merged: std::collections::BTreeMap<String, Value> = match args.get("defaults") {
        Some(Value::Object(d)) => d.clone(),
        _ => Default::default(),
    };
    for (k, (v, sensitive)) in outputs {
        let v = Value::from_json(&v);
        merged.insert(k, if sensitive { v.sensitive() } else { v });
    }
    let mut out = args.clone();
    out.insert("outputs".into(), Value::Object(merged));
    out.insert("id".into(), Value::string(format!("{backend}:{workspace}")));
    out.entry("workspace".into())
        .or_insert_with(|| Value::string(workspace));
    Ok(Value::Object(out))
}

/// The root outputs of a keyway or Terraform state: value and sensitivity.
fn outputs_of(
    raw: &str,
) -> std::result::Result<std::collections::BTreeMap<String, (serde_json::Value, bool)>, String> {
    let path = std::path::Path::new("<remote state>");
    let state = if crate::state::terraform::is_terraform_state(raw) {
        crate::state::terraform::read(path, raw).map(|a| a.state)
    } else {
        crate::state::file::parse(path, raw)
    }
    .map_err(|e| e.to_string())?;
    Ok(state
        .outputs
        .into_iter()
        .map(|(k, o)| (k, (o.value, o.sensitive)))
        .collect())
}
