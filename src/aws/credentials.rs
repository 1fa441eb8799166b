//! Credentials and region from the standard AWS chain: explicit keys, the environment, shared
//! config and credentials files with profiles, `credential_process`, the SSO cache, web
//! identity, container and instance metadata — all of it `aws-config`'s, not keyway's.

use std::path::PathBuf;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};

use super::AwsAuthError;

/// What a `provider "aws"` or `backend "s3"` block says about identity (all optional: the
/// chain fills the rest, as Terraform's does).
#[derive(Clone, Debug, Default)]
pub struct AuthSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub shared_config_files: Vec<PathBuf>,
    pub shared_credentials_files: Vec<PathBuf>,
}

impl AuthSettings {
    /// Fixed dummy credentials, for an emulator (moto or keyway's) that checks no signature.
    pub fn fixed(region: &str) -> Self {
        AuthSettings {
            region: Some(region.to_owned()),
            access_key: Some("keyway-emulator".to_owned()),
            secret_key: Some("keyway-emulator".to_owned()),
            ..Default::default()
        }
    }
}

/// A resolved identity: the region and a (caching, refreshing) credentials provider.
#[derive(Clone, Debug)]
pub struct Auth {
    region: String,
    provider: SharedCredentialsProvider,
}

/// How long the chain may take (an instance-metadata probe off EC2 can hang): past it, the
/// user is told no credentials were found rather than left waiting.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(20);

impl Auth {
    /// Resolves the region now; credentials are fetched (and cached) at the first request.
    pub async fn load(settings: &AuthSettings) -> Result<Auth, AwsAuthError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &settings.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if !settings.shared_config_files.is_empty() || !settings.shared_credentials_files.is_empty()
        {
            loader = loader.profile_files(profile_files(settings));
        }
        if let (Some(key), Some(secret)) = (&settings.access_key, &settings.secret_key) {
            let fixed = Credentials::new(key, secret, settings.token.clone(), None, "keyway");
            loader = loader.credentials_provider(fixed);
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|r| r.to_string())
            .ok_or(AwsAuthError::NoRegion)?;
        let provider = config.credentials_provider().ok_or_else(|| {
            AwsAuthError::Credentials("the AWS credential chain is empty".to_owned())
        })?;
        Ok(Auth { region, provider })
    }

    /// An identity with fixed credentials and no chain at all (tests, emulators).
    pub fn fixed(region: &str, key: &str, secret: &str) -> Auth {
        Auth {
            region: region.to_owned(),
            provider: SharedCredentialsProvider::new(Credentials::new(
                key, secret, None, None, "keyway",
            )),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The current credentials (the provider caches and refreshes them before expiry).
    pub async fn credentials(&self) -> Result<Credentials, AwsAuthError> {
        let fetch = self.provider.provide_credentials();
        match tokio::time::timeout(CHAIN_TIMEOUT, fetch).await {
            Ok(Ok(credentials)) => Ok(credentials),
            Ok(Err(err)) => Err(AwsAuthError::Credentials(chain_error(&err))),
            Err(_) => Err(AwsAuthError::Credentials(format!(
                "the credential chain found nothing within {}s",
                CHAIN_TIMEOUT.as_secs()
            ))),
        }
    }
}

fn profile_files(settings: &AuthSettings) -> ProfileFiles {
    let mut files = ProfileFiles::builder();
    for path in &settings.shared_config_files {
        files = files.with_file(ProfileFileKind::Config, path);
    }
    for path in &settings.shared_credentials_files {
        files = files.with_file(ProfileFileKind::Credentials, path);
    }
    if settings.shared_config_files.is_empty() {
        files = files.include_default_config_file(true);
    }
    if settings.shared_credentials_files.is_empty() {
        files = files.include_default_credentials_file(true);
    }
    files.build()
}

/// The chain's error with its causes: the first line alone ("an error occurred while loading
/// credentials") says nothing a user can act on.
fn chain_error(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
