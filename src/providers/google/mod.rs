//! The Google provider: `Settings` (project, region, endpoint, credentials), the `Google`
//! `Provider` that dispatches each resource type to its own module, and the helpers those
//! modules share (attribute access, project fallback, error wording).
//!
//! Modules: `client` (the one HTTP client), `auth`, `retry` (named retry predicates),
//! `operation` (long-running operations); one module per resource type or data-source family.

pub mod api_gateway_api;
pub mod api_gateway_api_config;
pub mod api_gateway_gateway;
pub mod apikeys_key;
pub mod auth;
pub mod client;
pub mod cloud_run_service;
pub mod cloud_run_service_iam_member;
pub mod data_sources;
pub mod generic;
pub mod iam_policy;
pub mod import_id;
pub mod operation;
pub mod project_iam_member;
pub mod project_service;
pub mod retry;
pub mod service_account;
pub mod service_networking_connection;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use crate::lang::Value;
use crate::providers::{Creation, Provider, ProviderError, Result};

pub use client::{Api, Client, GoogleError};

/// Where the provider sends its requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Google's real APIs (`https://<api>.googleapis.com`), with credentials.
    Google,
    /// keyway's emulator: one base URL for all six APIs, no credentials.
    Emulator(String),
    /// Per-API base URLs keyed by `serviceusage`, `iam`, `cloudresourcemanager`, `run`,
    /// `apigateway`, `apikeys`; APIs not in the map use Google's host. Credentials as for Google.
    Custom(BTreeMap<String, String>),
}

/// Provider configuration (the integrator fills it from `provider "google"` and the
/// environment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Default project for resources that do not set `project`.
    pub project: Option<String>,
    /// Default region for resources that do not set `region`/`location`.
    pub region: Option<String>,
    /// Where requests go.
    pub endpoint: Endpoint,
    /// An explicit OAuth access token; otherwise Application Default Credentials.
    pub access_token: Option<String>,
    /// Quota project sent as `x-goog-user-project` (Terraform's `billing_project`).
    pub billing_project: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            project: None,
            region: None,
            endpoint: Endpoint::Google,
            access_token: None,
            billing_project: None,
        }
    }
}

impl Settings {
    /// Settings from the provider block's `project`/`region` (which win), else the usual
    /// environment variables: GOOGLE_CLOUD_PROJECT, GOOGLE_PROJECT, CLOUDSDK_CORE_PROJECT for
    /// the project; GOOGLE_REGION, CLOUDSDK_COMPUTE_REGION for the region; GOOGLE_OAUTH_ACCESS_TOKEN
    /// for a token and GOOGLE_BILLING_PROJECT for the quota project. Endpoint: Google.
    pub fn from_env_and(project: Option<String>, region: Option<String>) -> Settings {
        Settings::from_lookup(project, region, |k| std::env::var(k).ok())
    }

    fn from_lookup(
        project: Option<String>,
        region: Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Settings {
        let first = |keys: &[&str]| {
            keys.iter()
                .filter_map(|k| env(k))
                .find(|v| !v.trim().is_empty())
        };
        Settings {
            project: project.or_else(|| {
                first(&[
                    "GOOGLE_CLOUD_PROJECT",
                    "GOOGLE_PROJECT",
                    "CLOUDSDK_CORE_PROJECT",
                ])
            }),
            region: region.or_else(|| first(&["GOOGLE_REGION", "CLOUDSDK_COMPUTE_REGION"])),
            endpoint: Endpoint::Google,
            access_token: first(&["GOOGLE_OAUTH_ACCESS_TOKEN"]),
            billing_project: first(&["GOOGLE_BILLING_PROJECT"]),
        }
    }
}

/// The Google provider.
pub struct Google {
    settings: Settings,
    client: Client,
    /// Serialises project-policy read-modify-writes within this process (one lock per
    /// project), so keyway's own grants never race each other; other writers still can, and
    /// the ABORTED retry covers those.
    policy_locks: std::sync::Mutex<BTreeMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    /// For server-named generated types: the earliest time an earlier run may have created
    /// an object it never heard back about (its pending creation has no name to look up).
    unnamed_since: std::sync::Mutex<BTreeMap<String, std::time::SystemTime>>,
}

impl Google {
    /// A provider for these settings. Credentials are looked up lazily, on the first request to
    /// Google, so building the provider never fails for lack of them; with
    /// `Endpoint::Emulator` no credentials are used at all.
    pub fn new(settings: Settings) -> std::result::Result<Google, ProviderError> {
        let (auth, backoff) = match &settings.endpoint {
            Endpoint::Emulator(base) => {
                if !(base.starts_with("http://") || base.starts_with("https://")) {
                    return Err(ProviderError::new(format!(
                        "emulator address `{base}` must be a URL such as http://127.0.0.1:8080"
                    )));
                }
                (auth::Auth::None, retry::Backoff::local())
            }
            Endpoint::Google | Endpoint::Custom(_) => {
                let auth = match &settings.access_token {
                    Some(t) if !t.trim().is_empty() => auth::Auth::Token(t.trim().to_owned()),
                    _ => auth::Auth::Adc(tokio::sync::OnceCell::new()),
                };
                (auth, retry::Backoff::google())
            }
        };
        let client = Client::new(
            settings.endpoint.clone(),
            auth,
            settings.billing_project.clone(),
            backoff,
        )
        .map_err(|e| ProviderError::new(format!("google provider: {e}")))?;
        Ok(Google {
            settings,
            client,
            policy_locks: std::sync::Mutex::new(BTreeMap::new()),
            unnamed_since: std::sync::Mutex::new(BTreeMap::new()),
        })
    }

    /// Replaces the retry backoff (tests use a tiny one).
    pub fn with_backoff(mut self, backoff: retry::Backoff) -> Google {
        self.client.backoff = backoff;
        self
    }

    /// Looks up credentials now (a no-op for the emulator), so a command can fail before doing
    /// anything when the user meant Google and has no credentials. The error says how to
    /// authenticate and how to use `--emulator` instead.
    /// The lookup is bounded: off Google Cloud, gcp_auth's metadata-server probe retries, and
    /// where the network drops packets each attempt waits for a timeout.
    pub async fn check_credentials(&self) -> std::result::Result<(), ProviderError> {
        let limit = std::time::Duration::from_secs(20);
        match tokio::time::timeout(limit, self.client.access_token()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(ProviderError::new(format!(
                "google provider: {}",
                e.message
            ))),
            Err(_) => Err(ProviderError::new(format!(
                "google provider: no Google credentials found (looking for them took more than \
                 {}s). {}",
                limit.as_secs(),
                auth::CREDENTIALS_HELP
            ))),
        }
    }

    /// The settings this provider was built with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The provider's HTTP client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The resource's `project`, else the provider's.
    pub(crate) fn project_of(&self, ty: &str, obj: &Map<String, Json>) -> Result<String> {
        str_attr(obj, "project")
            .or_else(|| self.settings.project.clone())
            .ok_or_else(|| {
                ProviderError::new(format!(
                    "{ty}: no project: set `project` on the resource or in the provider \"google\" \
                     block, or set GOOGLE_CLOUD_PROJECT"
                ))
            })
    }

    /// Remembers that an object of server-named type `ty` may have been created `age` ago.
    fn note_unnamed(&self, ty: &str, age: std::time::Duration) {
        // A minute of slack for the difference between this machine's clock and Google's.
        let since = std::time::SystemTime::now()
            .checked_sub(age + std::time::Duration::from_secs(60))
            .unwrap_or(std::time::UNIX_EPOCH);
        let mut m = self
            .unnamed_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let e = m.entry(ty.to_owned()).or_insert(since);
        *e = (*e).min(since);
    }

    /// When an unnamed object of `ty` may have been created, if an earlier run left one.
    pub(crate) fn unnamed_since(&self, ty: &str) -> Option<std::time::SystemTime> {
        self.unnamed_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(ty)
            .copied()
    }

    /// The lock serialising this process's writes to one project's IAM policy.
    pub(crate) fn policy_lock(&self, project: &str) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .policy_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.entry(project.to_owned()).or_default().clone()
    }
}

/// A non-empty string attribute.
pub(crate) fn str_attr(obj: &Map<String, Json>, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A boolean attribute (`None` when unset).
pub(crate) fn bool_attr(obj: &Map<String, Json>, key: &str) -> Option<bool> {
    obj.get(key).and_then(Json::as_bool)
}

/// A required string attribute.
pub(crate) fn required(obj: &Map<String, Json>, ty: &str, key: &str) -> Result<String> {
    str_attr(obj, key).ok_or_else(|| ProviderError::new(format!("{ty}: `{key}` is required")))
}

/// The attribute object of a value.
pub(crate) fn object(ty: &str, v: &Value) -> Result<Map<String, Json>> {
    match v.to_json() {
        Json::Object(m) => Ok(m),
        other => Err(ProviderError::new(format!(
            "{ty}: expected an object of attributes, got {other}"
        ))),
    }
}

/// A Google error as a provider error, naming the resource type and the action, with
/// instructions for the errors users can fix themselves.
pub(crate) fn api_err(ty: &str, action: &str, e: GoogleError) -> ProviderError {
    if let Some(service) = retry::service_disabled(&e) {
        let consumer = e.metadata.get("consumer").cloned().unwrap_or_default();
        return ProviderError::new(format!(
            "{ty}: {action}: the API {service} is not enabled in {consumer}. Enable it by adding \
             to the configuration\n\n  resource \"google_project_service\" \"{}\" {{\n    \
             service = \"{service}\"\n  }}\n\nand referencing it (or `depends_on`) from this \
             resource, or run `gcloud services enable {service}`. Google said: {e}",
            service.split('.').next().unwrap_or("api"),
        ));
    }
    if e.status == "ALREADY_EXISTS" && e.resent {
        return ProviderError::new(format!(
            "{ty}: {action}: {e}. The request had to be sent again, so the object there may \
             be what the first attempt made: it stays recorded as a pending creation, and the \
             next run looks it up and adopts it"
        ));
    }
    let err = ProviderError::new(format!("{ty}: {action}: {e}"));
    if e.status == "ALREADY_EXISTS" {
        return err.already_exists();
    }
    err
}

/// Resource types this provider implements.
pub const RESOURCE_TYPES: &[&str] = &[
    "google_api_gateway_api",
    "google_api_gateway_api_config",
    "google_api_gateway_gateway",
    "google_apikeys_key",
    "google_cloud_run_v2_service",
    "google_cloud_run_v2_service_iam_member",
    "google_project_iam_member",
    "google_project_service",
    "google_service_account",
    "google_service_networking_connection",
];

/// Data sources this provider implements.
pub const DATA_SOURCES: &[&str] = &[
    "google_client_config",
    "google_project",
    "google_service_account",
];

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::new(format!(
        "resource type `{ty}` is not supported by the google provider yet"
    ))
}

/// An import ID that names nothing: the reads are lists, so there is no Google error to quote.
fn not_found(ty: &str, id: &str) -> ProviderError {
    ProviderError::new(format!(
        "Cannot import non-existent remote object: no {ty} \"{id}\" exists (Google lists no \
         such object in that project and location)"
    ))
}

fn to_values(v: Vec<Option<Map<String, Json>>>) -> Vec<Option<Value>> {
    v.into_iter()
        .map(|o| o.map(|m| Value::from_json(&Json::Object(m))))
        .collect()
}

fn to_value(m: Map<String, Json>) -> Value {
    Value::from_json(&Json::Object(m))
}

#[async_trait]
impl Provider for Google {
    fn note_recent_creation(&self, ty: &str, planned: &Value, age: std::time::Duration) {
        if crate::schema::lookup_in(ty, false)
            .and_then(|s| s.api.as_ref())
            .is_some_and(|a| a.server_named)
        {
            self.note_unnamed(ty, age);
        }
        if ty == "google_service_account" {
            if let Ok(p) = object(ty, planned) {
                service_account::note_recent(self, &p, age);
            }
        }
    }

    async fn refresh(&self, ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        let objs = priors
            .iter()
            .map(|p| object(ty, p))
            .collect::<Result<Vec<_>>>()?;
        let out = match ty {
            "google_project_service" => project_service::refresh(self, &objs).await?,
            "google_service_account" => service_account::refresh(self, &objs).await?,
            "google_api_gateway_api" => api_gateway_api::refresh(self, &objs).await?,
            "google_api_gateway_api_config" => api_gateway_api_config::refresh(self, &objs).await?,
            "google_api_gateway_gateway" => api_gateway_gateway::refresh(self, &objs).await?,
            "google_apikeys_key" => apikeys_key::refresh(self, &objs).await?,
            "google_project_iam_member" => project_iam_member::refresh(self, &objs).await?,
            "google_cloud_run_v2_service" => cloud_run_service::refresh(self, &objs).await?,
            "google_cloud_run_v2_service_iam_member" => {
                cloud_run_service_iam_member::refresh(self, &objs).await?
            }
            "google_service_networking_connection" => {
                service_networking_connection::refresh(self, &objs).await?
            }
            _ if crate::schema::is_generated(ty) => generic::refresh(self, ty, &objs).await?,
            _ => return Err(unsupported(ty)),
        };
        Ok(to_values(out))
    }

    async fn prepare_create(&self, ty: &str, planned: &Value, note: Option<&str>) -> Result<Value> {
        match ty {
            "google_api_gateway_api_config" => {
                let p = object(ty, planned)?;
                Ok(to_value(api_gateway_api_config::prepare(self, &p).await?))
            }
            "google_apikeys_key" => {
                let p = object(ty, planned)?;
                Ok(to_value(apikeys_key::prepare(self, &p, note).await?))
            }
            // Every other type is created under a name the configuration gives.
            _ => Ok(planned.clone()),
        }
    }

    async fn create(&self, ty: &str, planned: &Value) -> Result<Value> {
        let p = object(ty, planned)?;
        let out = match ty {
            "google_project_service" => project_service::create(self, &p).await?,
            "google_service_account" => service_account::create(self, &p).await?,
            "google_api_gateway_api" => api_gateway_api::create(self, &p).await?,
            "google_api_gateway_api_config" => api_gateway_api_config::create(self, &p).await?,
            "google_api_gateway_gateway" => api_gateway_gateway::create(self, &p).await?,
            "google_apikeys_key" => apikeys_key::create(self, &p).await?,
            "google_project_iam_member" => project_iam_member::create(self, &p).await?,
            "google_cloud_run_v2_service" => cloud_run_service::create(self, &p).await?,
            "google_cloud_run_v2_service_iam_member" => {
                cloud_run_service_iam_member::create(self, &p).await?
            }
            "google_service_networking_connection" => {
                service_networking_connection::create(self, &p).await?
            }
            _ if crate::schema::is_generated(ty) => generic::create(self, ty, &p).await?,
            _ => return Err(unsupported(ty)),
        };
        Ok(to_value(out))
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value) -> Result<Value> {
        let (prior, p) = (object(ty, prior)?, object(ty, planned)?);
        let out = match ty {
            "google_project_service" => project_service::update(self, &prior, &p).await?,
            "google_service_account" => service_account::update(self, &prior, &p).await?,
            "google_api_gateway_api" => api_gateway_api::update(self, &prior, &p).await?,
            "google_api_gateway_api_config" => {
                api_gateway_api_config::update(self, &prior, &p).await?
            }
            "google_api_gateway_gateway" => api_gateway_gateway::update(self, &prior, &p).await?,
            "google_apikeys_key" => apikeys_key::update(self, &prior, &p).await?,
            "google_project_iam_member" => project_iam_member::update(self, &prior, &p).await?,
            "google_cloud_run_v2_service" => cloud_run_service::update(self, &prior, &p).await?,
            "google_cloud_run_v2_service_iam_member" => {
                cloud_run_service_iam_member::update(self, &prior, &p).await?
            }
            "google_service_networking_connection" => {
                service_networking_connection::update(self, &prior, &p).await?
            }
            _ if crate::schema::is_generated(ty) => generic::update(self, ty, &prior, &p).await?,
            _ => return Err(unsupported(ty)),
        };
        Ok(to_value(out))
    }

    async fn delete(&self, ty: &str, prior: &Value) -> Result<()> {
        let prior = object(ty, prior)?;
        match ty {
            "google_project_service" => project_service::delete(self, &prior).await,
            "google_service_account" => service_account::delete(self, &prior).await,
            "google_api_gateway_api" => api_gateway_api::delete(self, &prior).await,
            "google_api_gateway_api_config" => api_gateway_api_config::delete(self, &prior).await,
            "google_api_gateway_gateway" => api_gateway_gateway::delete(self, &prior).await,
            "google_apikeys_key" => apikeys_key::delete(self, &prior).await,
            "google_project_iam_member" => project_iam_member::delete(self, &prior).await,
            "google_cloud_run_v2_service" => cloud_run_service::delete(self, &prior).await,
            "google_cloud_run_v2_service_iam_member" => {
                cloud_run_service_iam_member::delete(self, &prior).await
            }
            "google_service_networking_connection" => {
                service_networking_connection::delete(self, &prior).await
            }
            _ if crate::schema::is_generated(ty) => generic::delete(self, ty, &prior).await,
            _ => Err(unsupported(ty)),
        }
    }

    async fn import(&self, ty: &str, id: &str, config: &Value) -> Result<Value> {
        if crate::schema::is_generated(ty) {
            let config = match config.to_json() {
                Json::Object(m) => m,
                _ => Map::new(),
            };
            return Ok(to_value(generic::import(self, ty, id, &config).await?));
        }
        let named = match ty {
            "google_service_networking_connection" => service_networking_connection::parse_id(id)?,
            _ => import_id::parse(ty, id)?,
        };
        let mut prior = match config.to_json() {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        for (k, v) in named {
            // A configured spelling of the same object (`name` as the service's full resource
            // name where the ID gave its short one) is kept, so the next plan shows no change.
            let same = match (prior.get(&k), &v) {
                (Some(Json::String(c)), Json::String(n)) => c == n || c.ends_with(&format!("/{n}")),
                _ => false,
            };
            if !same {
                prior.insert(k, v);
            }
        }
        let found = self
            .refresh(ty, &[to_value(prior.clone())])
            .await?
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| not_found(ty, id))?;
        let found = object(ty, &found)?;
        // Lists leave API config documents out; the full view has them.
        let out = match ty {
            "google_api_gateway_api_config" => {
                api_gateway_api_config::with_documents(self, found).await?
            }
            _ => found,
        };
        Ok(to_value(out))
    }

    async fn creation_notes(&self, ty: &str, planned: &[Creation]) -> Result<Vec<Option<String>>> {
        match ty {
            "google_apikeys_key" => {
                let objs = planned
                    .iter()
                    .map(|c| {
                        Ok(Creation {
                            planned: object(ty, &c.planned)?,
                            replaces: c.replaces,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                apikeys_key::creation_notes(self, &objs).await
            }
            _ => Ok(vec![None; planned.len()]),
        }
    }

    async fn create_as_noted(&self, ty: &str, planned: &Value, note: &str) -> Result<Value> {
        if ty == "google_apikeys_key" {
            let p = object(ty, planned)?;
            if note == apikeys_key::UNDELETE_NOTE {
                return Ok(to_value(apikeys_key::restore(self, &p).await?));
            }
            if note.starts_with(apikeys_key::ROTATE_NOTE) {
                return Ok(to_value(apikeys_key::rotate(self, &p).await?));
            }
        }
        self.create(ty, planned).await
    }

    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        let c = object(ty, config)?;
        let out = match ty {
            "google_project" => data_sources::project(self, &c).await?,
            "google_client_config" => data_sources::client_config(self, &c).await?,
            "google_service_account" => data_sources::service_account(self, &c).await?,
            _ => generic::read_data(self, ty, &c).await?,
        };
        Ok(to_value(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_prefer_the_block_then_the_environment_in_order() {
        let env: BTreeMap<&str, &str> = [
            ("GOOGLE_PROJECT", "from-google-project"),
            ("CLOUDSDK_CORE_PROJECT", "from-gcloud"),
            ("CLOUDSDK_COMPUTE_REGION", "europe-west1"),
        ]
        .into_iter()
        .collect();
        let look = |k: &str| env.get(k).map(|s| s.to_string());
        let s = Settings::from_lookup(None, None, look);
        assert_eq!(s.project.as_deref(), Some("from-google-project"));
        assert_eq!(s.region.as_deref(), Some("europe-west1"));
        let s = Settings::from_lookup(Some("block".into()), Some("us-central1".into()), look);
        assert_eq!(s.project.as_deref(), Some("block"));
        assert_eq!(s.region.as_deref(), Some("us-central1"));
        assert_eq!(s.endpoint, Endpoint::Google);
    }

    #[test]
    fn emulator_endpoint_must_be_a_url() {
        let s = Settings {
            endpoint: Endpoint::Emulator("127.0.0.1:1".into()),
            ..Settings::default()
        };
        assert!(Google::new(s).is_err());
    }

    #[test]
    fn service_disabled_errors_say_how_to_enable() {
        let mut e = GoogleError::local(403, "PERMISSION_DENIED", "IAM API has not been used");
        e.reason = Some("SERVICE_DISABLED".into());
        e.metadata
            .insert("service".into(), "iam.googleapis.com".into());
        e.metadata.insert("consumer".into(), "projects/123".into());
        let msg = api_err("google_service_account", "create", e).message;
        assert!(msg.contains("iam.googleapis.com is not enabled in projects/123"));
        assert!(msg.contains("google_project_service"));
        assert!(msg.contains("gcloud services enable iam.googleapis.com"));
    }
}
