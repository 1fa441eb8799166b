//! Providers: the only code that talks to the outside world about resources. The planner
//! calls `refresh`; apply calls `create`, `update`, `delete`; data sources are `read_data`.
//!
//! Values crossing this boundary are whole attribute objects without sensitive marks (the
//! schema says what is sensitive).

pub mod archive;
pub mod args;
pub mod aws;
pub mod builtin;
pub mod external;
pub mod google;
pub mod http;
pub mod local;
pub mod null;
pub mod random;
pub mod template;
pub mod time;
pub mod timeouts;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::lang::Value;

/// A failed provider call.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// What went wrong, with the remote API's own message where there is one.
    pub message: String,
    /// A create was refused because the name is taken (`409 ALREADY_EXISTS`): the object
    /// there is not one this call made, so apply must not adopt it behind the user's back.
    pub already_exists: bool,
}

impl ProviderError {
    /// A provider error.
    pub fn new(message: impl Into<String>) -> ProviderError {
        ProviderError {
            message: message.into(),
            already_exists: false,
        }
    }

    /// Marks the error as a refused create of a name that is taken.
    pub fn already_exists(mut self) -> ProviderError {
        self.already_exists = true;
        self
    }
}

/// Result of provider calls.
pub type Result<T> = std::result::Result<T, ProviderError>;

/// A creation in a plan, as [`Provider::creation_notes`] sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Creation<T = Value> {
    /// The planned object.
    pub planned: T,
    /// True when it replaces an existing object (`-replace`, a forcing change), false for a
    /// plain creation.
    pub replaces: bool,
}

/// One provider (builtin, google, ...).
#[async_trait]
pub trait Provider: Send + Sync {
    /// Re-reads instances of one type, in one batch (a provider may use one list call per
    /// collection); `None` means the object is gone.
    async fn refresh(&self, ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>>;

    /// True if objects of this type exist only in state, so refreshing them cannot find
    /// anything new (`terraform_data`): refresh skips them.
    fn state_only(&self, ty: &str) -> bool {
        let _ = ty;
        false
    }

    /// The object exactly as [`Provider::create`] will create it, with every part of its name
    /// filled in (an ID the provider derives from the content). Apply records this in state
    /// before sending the create, so that a run killed before the answer leaves enough for
    /// the next run to find the object with [`Provider::refresh`]. May read the cloud (a
    /// derived ID already taken by the object being replaced). `note` is the plan's creation
    /// note, which [`Provider::create_as_noted`] will receive.
    async fn prepare_create(&self, ty: &str, planned: &Value, note: Option<&str>) -> Result<Value> {
        let _ = (ty, note);
        Ok(planned.clone())
    }

    /// Tells the provider that an object like `planned` may have been created `age` ago by
    /// a run that stopped before it heard back, so a lookup that misses it should allow for
    /// the time the cloud takes to list new objects.
    fn note_recent_creation(&self, ty: &str, planned: &Value, age: std::time::Duration) {
        let _ = (ty, planned, age);
    }

    /// Creates an object; returns its full attributes.
    async fn create(&self, ty: &str, planned: &Value) -> Result<Value>;

    /// Updates an object in place; returns its full attributes.
    async fn update(&self, ty: &str, prior: &Value, planned: &Value) -> Result<Value>;

    /// Deletes an object.
    async fn delete(&self, ty: &str, prior: &Value) -> Result<()>;

    /// Reads an existing object named by a user's import ID (`keyway import ADDR ID`) with the
    /// code refresh uses. `config` is the resource's configured attributes (unknowns as null):
    /// it supplies what a short ID leaves out and the arguments the API does not hold (such as
    /// `deletion_protection`). Returns the full attributes, unmarked (the caller marks sensitive
    /// ones from the schema).
    async fn import(&self, ty: &str, id: &str, config: &Value) -> Result<Value> {
        let _ = (id, config);
        Err(ProviderError::new(format!(
            "resource type `{ty}` cannot be imported"
        )))
    }

    /// For objects planned for creation, plainly or as a replacement (one batch per type), an
    /// optional description of what the create will really do: `undeleted and updated ...` when
    /// the name belongs to a recently deleted object the create restores, or what a replacement
    /// makes anew. Advisory: an error means no notes.
    async fn creation_notes(&self, ty: &str, planned: &[Creation]) -> Result<Vec<Option<String>>> {
        let _ = ty;
        Ok(vec![None; planned.len()])
    }

    /// Creates an object the plan described with a note from [`Provider::creation_notes`], so
    /// the provider can do what the note announced without trying a plain create first.
    async fn create_as_noted(&self, ty: &str, planned: &Value, note: &str) -> Result<Value> {
        let _ = note;
        self.create(ty, planned).await
    }

    /// Reads a data source.
    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        let _ = config;
        Err(ProviderError::new(format!(
            "data source `{ty}` is not supported"
        )))
    }
}

/// Providers by name.
#[derive(Clone, Default)]
pub struct Registry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
}

impl Registry {
    /// The registry with every provider that needs no configuration: `terraform_data`, and
    /// the utility providers real folders pull in (http, random, null, time, local, archive,
    /// external), built in so that no download or `provider` block is needed.
    pub fn builtin() -> Registry {
        let mut r = Registry::default();
        r.insert("builtin", Arc::new(builtin::Builtin));
        r.insert("http", Arc::new(http::Http::default()));
        r.insert("random", Arc::new(random::Random));
        r.insert("null", Arc::new(null::Null));
        r.insert("time", Arc::new(time::Time));
        r.insert("local", Arc::new(local::Local));
        r.insert("archive", Arc::new(archive::Archive));
        r.insert("external", Arc::new(external::External));
        r
    }

    /// Adds or replaces a provider.
    pub fn insert(&mut self, name: &str, provider: Arc<dyn Provider>) {
        self.providers.insert(name.to_owned(), provider);
    }

    /// The provider for a name.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Provider>> {
        self.providers.get(name).cloned()
    }
}
