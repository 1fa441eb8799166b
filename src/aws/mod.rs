//! AWS requests, shared by the AWS provider and the S3 state backend: credentials from the
//! standard chain (`aws-config`), SigV4 signing (`aws-sigv4`) of requests keyway sends with its
//! own reqwest client, and where each service's endpoint is.
//!
//! keyway calls AWS's HTTP APIs directly instead of through the SDK's service crates: the
//! wire formats of the five services it uses are small, and each service crate is tens of
//! thousands of generated lines to compile.

pub mod credentials;
pub mod endpoint;
pub mod kms;
pub mod sign;

pub use credentials::{Auth, AuthSettings};
pub use endpoint::{Endpoints, Service};

/// Something went wrong before a request reached AWS.
#[derive(Debug, thiserror::Error)]
pub enum AwsAuthError {
    /// The credential chain found nothing usable.
    #[error("no AWS credentials: {0}")]
    Credentials(String),
    /// No region in the settings, the environment or the profile.
    #[error(
        "no AWS region: set `region` in the provider or backend block, AWS_REGION, or a profile's `region`"
    )]
    NoRegion,
    /// The request could not be signed.
    #[error("could not sign the AWS request: {0}")]
    Signing(String),
}
