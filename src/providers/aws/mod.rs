//! The AWS provider: API Gateway (REST and HTTP APIs), Lambda, IAM and STS, with the
//! Terraform AWS provider's type names and arguments. Types declared with an `aws` binding go
//! through `rest.rs`; IAM (the query protocol), Lambda functions (zip uploads, state waits)
//! and permissions (a statement of a policy) are written by hand.

mod client;
mod data_sources;
mod document;
mod fixups;
mod iam;
mod iam_policy;
mod lambda_function;
mod lambda_permission;
mod method_settings;
mod patch;
mod policy_document;
mod regions;
mod rest;
pub mod retry;
mod role_policy;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

pub use client::{AwsError, Client};

use crate::aws::{Auth, AuthSettings, Endpoints};
use crate::lang::Value;
use crate::providers::{Provider, ProviderError, Result};

/// What `provider "aws"` blocks and the environment say.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub auth: AuthSettings,
    pub endpoints: Endpoints,
    /// Fixed credentials, no chain (keyway's emulator).
    pub fixed: bool,
    /// `default_tags { tags = {...} }`: added to every taggable resource's tags.
    pub default_tags: Map<String, Json>,
}

/// The AWS provider.
#[derive(Debug)]
pub struct Aws {
    client: Client,
    default_tags: Map<String, Json>,
}

impl Aws {
    /// Resolves the region (and the credential chain, lazily) now.
    pub async fn new(settings: Settings) -> std::result::Result<Aws, crate::aws::AwsAuthError> {
        let auth = if settings.fixed {
            let region = settings.auth.region.as_deref().unwrap_or("us-east-1");
            Auth::fixed(region, "keyway-emulator", "keyway-emulator")
        } else {
            Auth::load(&settings.auth).await?
        };
        Ok(Aws {
            client: Client::new(auth, settings.endpoints),
            default_tags: settings.default_tags,
        })
    }

    /// The tags a create or update sends: the provider's `default_tags` under the resource's
    /// own (which win), for types that take tags.
    pub(crate) fn tags_to_send(&self, ty: &str, planned: &Map<String, Json>) -> Map<String, Json> {
        let mut out = planned.clone();
        let taggable = crate::schema::lookup_in(ty, false)
            .is_some_and(|s| s.attributes.contains_key("tags_all"));
        if !taggable || self.default_tags.is_empty() {
            return out;
        }
        let mut tags = self.default_tags.clone();
        if let Some(Json::Object(own)) = planned.get("tags") {
            tags.extend(own.clone());
        }
        out.insert("tags".to_owned(), Json::Object(tags));
        out
    }

    /// Checks the credentials once (STS GetCallerIdentity), before planning.
    pub async fn check(&self) -> std::result::Result<String, AwsError> {
        self.client.account().await
    }
}

/// An AWS error as a provider error naming the type and the action.
pub(crate) fn api_err(ty: &str, action: &str, e: AwsError) -> ProviderError {
    ProviderError::new(format!("{ty}: could not {action}: {e}"))
}

/// A refused create: a 409 that says the name is taken (`ResourceConflictException` for a
/// Lambda function or permission statement, `EntityAlreadyExists` for an IAM role,
/// `ConflictException` for API Gateway) belongs to an object this run did not make, so apply
/// must not adopt it later.
pub(crate) fn create_err(ty: &str, action: &str, e: AwsError) -> ProviderError {
    let taken = matches!(
        e.code.as_str(),
        "ResourceConflictException" | "EntityAlreadyExists" | "ConflictException"
    ) && (e.status == 409 || e.code == "EntityAlreadyExists");
    let err = api_err(ty, action, e);
    if taken {
        err.already_exists()
    } else {
        err
    }
}

fn object(ty: &str, v: &Value) -> Result<Map<String, Json>> {
    match v.to_json() {
        Json::Object(m) => Ok(m),
        other => Err(ProviderError::new(format!(
            "{ty}: expected an object of attributes, got {other}"
        ))),
    }
}

fn to_value(m: Map<String, Json>) -> Value {
    Value::from_json(&Json::Object(m))
}

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::new(format!(
        "resource type `{ty}` is not supported by the aws provider yet"
    ))
}

#[async_trait]
impl Provider for Aws {
    async fn refresh(&self, ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        let objs = priors
            .iter()
            .map(|p| object(ty, p))
            .collect::<Result<Vec<_>>>()?;
        let out = match ty {
            "aws_iam_role" => iam::refresh_roles(self, &objs).await?,
            "aws_iam_role_policy_attachment" => iam::refresh_attachments(self, &objs).await?,
            "aws_iam_role_policy" => role_policy::refresh(self, &objs).await?,
            "aws_iam_policy" => iam_policy::refresh(self, &objs).await?,
            "aws_lambda_function" => lambda_function::refresh(self, &objs).await?,
            "aws_lambda_permission" => lambda_permission::refresh(self, &objs).await?,
            "aws_api_gateway_method_settings" => method_settings::refresh(self, &objs).await?,
            _ if rest::handles(ty) => rest::refresh(self, ty, &objs).await?,
            _ => return Err(unsupported(ty)),
        };
        Ok(out.into_iter().map(|o| o.map(to_value)).collect())
    }

    async fn prepare_create(
        &self,
        ty: &str,
        planned: &Value,
        _note: Option<&str>,
    ) -> Result<Value> {
        // Names keyway generates are chosen before the create is recorded, so a run killed
        // before the answer leaves the name the next refresh looks for.
        let p = object(ty, planned)?;
        let named = match ty {
            "aws_iam_role" => iam::prepare_role(&p),
            "aws_iam_role_policy" => role_policy::prepare(&p),
            "aws_iam_policy" => iam_policy::prepare(&p),
            "aws_lambda_permission" => lambda_permission::prepare(&p),
            _ => p,
        };
        Ok(to_value(named))
    }

    async fn create(&self, ty: &str, planned: &Value) -> Result<Value> {
        let p = object(ty, planned)?;
        let out = match ty {
            "aws_iam_role" => iam::create_role(self, &p).await?,
            "aws_iam_role_policy_attachment" => iam::attach(self, &p).await?,
            "aws_iam_role_policy" => role_policy::put(self, &p).await?,
            "aws_iam_policy" => iam_policy::create(self, &p).await?,
            "aws_lambda_function" => lambda_function::create(self, &p).await?,
            "aws_lambda_permission" => lambda_permission::create(self, &p).await?,
            "aws_api_gateway_method_settings" => method_settings::create(self, &p).await?,
            _ if rest::handles(ty) => rest::create(self, ty, &p).await?,
            _ => return Err(unsupported(ty)),
        };
        Ok(to_value(out))
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value) -> Result<Value> {
        let (prior, p) = (object(ty, prior)?, object(ty, planned)?);
        let out = match ty {
            "aws_iam_role" => iam::update_role(self, &prior, &p).await?,
            "aws_iam_role_policy" => role_policy::put(self, &p).await?,
            "aws_iam_policy" => iam_policy::update(self, &prior, &p).await?,
            "aws_lambda_function" => lambda_function::update(self, &prior, &p).await?,
            "aws_api_gateway_method_settings" => method_settings::update(self, &prior, &p).await?,
            _ if rest::handles(ty) => rest::update(self, ty, &prior, &p).await?,
            _ => {
                return Err(ProviderError::new(format!(
                    "{ty} cannot be updated in place"
                )))
            }
        };
        Ok(to_value(out))
    }

    async fn delete(&self, ty: &str, prior: &Value) -> Result<()> {
        let p = object(ty, prior)?;
        match ty {
            "aws_iam_role" => iam::delete_role(self, &p).await,
            "aws_iam_role_policy_attachment" => iam::detach(self, &p).await,
            "aws_iam_role_policy" => role_policy::delete(self, &p).await,
            "aws_iam_policy" => iam_policy::delete(self, &p).await,
            "aws_lambda_function" => lambda_function::delete(self, &p).await,
            "aws_lambda_permission" => lambda_permission::delete(self, &p).await,
            "aws_api_gateway_method_settings" => method_settings::delete(self, &p).await,
            _ if rest::handles(ty) => rest::delete(self, ty, &p).await,
            _ => Err(unsupported(ty)),
        }
    }

    async fn import(&self, ty: &str, id: &str, config: &Value) -> Result<Value> {
        let c = object(ty, config).unwrap_or_default();
        let out = match ty {
            "aws_iam_role" => iam::import_role(self, id, &c).await?,
            "aws_iam_role_policy_attachment" => iam::import_attachment(self, id, &c).await?,
            "aws_iam_role_policy" => role_policy::import(self, id, &c).await?,
            "aws_iam_policy" => iam_policy::import(self, id, &c).await?,
            "aws_lambda_function" => lambda_function::import(self, id, &c).await?,
            "aws_lambda_permission" => lambda_permission::import(self, id, &c).await?,
            "aws_api_gateway_method_settings" => method_settings::import(self, id, &c).await?,
            _ if rest::handles(ty) => rest::import(self, ty, id, &c).await?,
            _ => return Err(unsupported(ty)),
        };
        Ok(to_value(out))
    }

    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        let c = object(ty, config)?;
        Ok(to_value(data_sources::read(self, ty, &c).await?))
    }
}
