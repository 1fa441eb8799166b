//! How the Google client authenticates: Application Default Credentials through `gcp_auth`
//! (key file via GOOGLE_APPLICATION_CREDENTIALS, gcloud user credentials, metadata server), an
//! explicit access token, or nothing at all for the local emulator.

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::client::GoogleError;

/// The OAuth scope that covers all six APIs (reference §1.1).
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// What the client puts in `Authorization`.
pub enum Auth {
    /// The emulator: no header. Only ever chosen for `Endpoint::Emulator`, never as a fallback.
    None,
    /// An access token given explicitly (provider argument or environment).
    Token(String),
    /// Application Default Credentials, discovered on first use so that commands which never
    /// call Google (validate, plan against an emulator) do not look for credentials.
    Adc(OnceCell<Arc<dyn gcp_auth::TokenProvider>>),
}

impl Auth {
    /// The bearer token for the next request, if any.
    pub async fn bearer(&self) -> Result<Option<String>, GoogleError> {
        match self {
            Auth::None => Ok(None),
            Auth::Token(t) => Ok(Some(t.clone())),
            Auth::Adc(cell) => {
                let provider = cell
                    .get_or_try_init(|| async { gcp_auth::provider().await })
                    .await
                    .map_err(|e| no_credentials(&e.to_string()))?;
                let token = provider
                    .token(&[SCOPE])
                    .await
                    .map_err(|e| no_credentials(&e.to_string()))?;
                Ok(Some(token.as_str().to_owned()))
            }
        }
    }
}

/// How to get credentials, or to run without them: the help of every "no credentials" error.
pub const CREDENTIALS_HELP: &str = "Authenticate with `gcloud auth application-default login`, \
     or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run on a machine \
     with a metadata server, or pass an access token (`access_token` in the provider \"google\" \
     block, or GOOGLE_OAUTH_ACCESS_TOKEN). To run against keyway's local emulator instead, use \
     `keyway --emulator ...`.";

/// The error for "meant Google, has no usable credentials": say how to authenticate, and how to
/// use the emulator instead. keyway never falls back to the emulator by itself.
fn no_credentials(detail: &str) -> GoogleError {
    GoogleError::local(
        401,
        "UNAUTHENTICATED",
        format!("no Google credentials found ({detail}). {CREDENTIALS_HELP}"),
    )
}
