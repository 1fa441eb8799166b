//! What the emulated AWS account holds, persisted in the world's data file under `aws`.
//! Objects are kept as the JSON AWS emits (`body`), plus what AWS keeps but never shows
//! (deployment snapshots, Lambda code, policy statements) for the data plane to serve.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Regional objects are keyed `{region}/{id}`; IAM roles are global, keyed by name.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AwsWorld {
    pub rest_apis: BTreeMap<String, RestApi>,
    pub api_keys: BTreeMap<String, Value>,
    pub usage_plans: BTreeMap<String, UsagePlan>,
    pub http_apis: BTreeMap<String, HttpApi>,
    /// Lambda functions by `{region}/{name}`.
    pub functions: BTreeMap<String, Function>,
    pub roles: BTreeMap<String, Role>,
    /// Customer managed IAM policies by ARN (global, like roles).
    pub policies: BTreeMap<String, super::iam_policies::ManagedPolicy>,
}

/// An API Gateway v1 REST API: resources (methods nested as `resourceMethods`, as AWS embeds
/// them), deployments and stages by ID / name.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RestApi {
    pub body: Value,
    pub resources: BTreeMap<String, Value>,
    pub deployments: BTreeMap<String, Deployment>,
    pub stages: BTreeMap<String, Value>,
}

/// A deployment and the snapshot of its API taken when it was made: what its stages serve
/// (changes after it stay invisible to traffic until the next deployment, as on AWS).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Deployment {
    pub body: Value,
    pub snapshot: Value,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct UsagePlan {
    pub body: Value,
    /// API key IDs in the plan.
    pub keys: Vec<String>,
}

/// An API Gateway v2 (HTTP or WebSocket) API and its children by ID (stages by name).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpApi {
    pub body: Value,
    pub routes: BTreeMap<String, Value>,
    pub integrations: BTreeMap<String, Value>,
    pub authorizers: BTreeMap<String, Value>,
    pub stages: BTreeMap<String, Value>,
    pub deployments: BTreeMap<String, Deployment>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Function {
    /// `FunctionConfiguration` without the fields computed on read (`State`, ...).
    pub config: Value,
    /// The deployment package, base64, as uploaded: the data plane runs the handler from it.
    pub zip_b64: String,
    pub created_ms: u64,
    /// When the last code or configuration update started.
    pub updated_ms: u64,
    /// Resource-based policy statements, in the order they were added.
    pub statements: Vec<Value>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Role {
    pub path: String,
    pub name: String,
    pub id: String,
    pub created_ms: u64,
    /// The trust policy as sent (JSON text); answers URL-encode it as IAM does.
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub tags: Vec<(String, String)>,
    /// Managed policy ARNs attached, in attachment order.
    pub attached: Vec<String>,
    /// Inline policies: name → document (JSON text).
    pub inline: BTreeMap<String, String>,
}

impl Role {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            super::ACCOUNT,
            self.path,
            self.name
        )
    }
}
