//! The `null` provider (hashicorp/null): `null_resource`, which does nothing but get replaced
//! when its `triggers` change, and the deprecated `data "null_data_source"`, which copies
//! `inputs` to `outputs`. Built in; a `provider "null"` block is accepted but not needed.

use async_trait::async_trait;
use rand::RngExt;

use crate::lang::Value;
use crate::providers::args::Args;
use crate::providers::{Provider, ProviderError, Result};

/// The null provider.
pub struct Null;

/// A random non-negative number as a string, as hashicorp/null's IDs are.
fn random_id() -> String {
    rand::rng().random_range(0..i64::MAX).to_string()
}

#[async_trait]
impl Provider for Null {
    async fn refresh(&self, _ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        Ok(priors.iter().cloned().map(Some).collect())
    }

    fn state_only(&self, _ty: &str) -> bool {
        true
    }

    async fn create(&self, ty: &str, planned: &Value) -> Result<Value> {
        if ty != "null_resource" {
            return Err(ProviderError::new(format!("unknown resource type `{ty}`")));
        }
        let a = Args::new(ty, false, planned)?;
        a.string_map("triggers")?;
        Ok(a.finish([("id", Value::string(random_id()))]))
    }

    async fn update(&self, ty: &str, _prior: &Value, planned: &Value) -> Result<Value> {
        Ok(Args::new(ty, false, planned)?.finish([]))
    }

    async fn delete(&self, _ty: &str, _prior: &Value) -> Result<()> {
        Ok(())
    }

    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        if ty != "null_data_source" {
            return Err(ProviderError::new(format!(
                "data source `{ty}` is not supported"
            )));
        }
        let a = Args::new(ty, true, config)?;
        let outputs = a
            .string_map("inputs")?
            .into_iter()
            .map(|(k, v)| (k, Value::string(v)))
            .collect();
        let default = a
            .string("has_computed_default")?
            .unwrap_or_else(|| "default".into());
        Ok(a.finish([
            ("outputs", Value::Object(outputs)),
            ("has_computed_default", Value::string(default)),
            ("random", Value::string(random_id())),
            ("id", Value::string("static")),
        ]))
    }
}
