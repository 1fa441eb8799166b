//! The built-in provider: `terraform_data`, with Terraform's semantics (`output` mirrors
//! `input`, `id` is a random UUID, `triggers_replace` forces replacement via the schema).

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
}
