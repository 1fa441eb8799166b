//! SigV4 signing of a reqwest request, in place: the `Authorization`, `X-Amz-Date` and (for
//! temporary credentials) `X-Amz-Security-Token` headers.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use reqwest::header::{HeaderName, HeaderValue};

use super::{Auth, AwsAuthError};

/// Signs `request` for `service` (the signing name: `apigateway`, `lambda`, `iam`, `sts`,
/// `s3`) in `region`. S3 signs its payload hash into `X-Amz-Content-Sha256` and keys paths
/// as they are; every other service normalises them.
pub async fn sign_request(
    auth: &Auth,
    service: &str,
    region: &str,
    request: &mut reqwest::Request,
) -> Result<(), AwsAuthError> {
    let credentials = auth.credentials().await?;
    let identity: Identity = credentials.into();
    let mut settings = SigningSettings::default();
    if service == "s3" {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| AwsAuthError::Signing(e.to_string()))?
        .into();
    let body = request
        .body()
        .and_then(|b| b.as_bytes())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let signable = SignableRequest::new(
        request.method().as_str(),
        request.url().as_str(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| AwsAuthError::Signing(e.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| AwsAuthError::Signing(e.to_string()))?
        .into_parts();
    let (new_headers, _) = instructions.into_parts();
    for header in new_headers {
        let name = HeaderName::from_bytes(header.name().as_bytes())
            .map_err(|e| AwsAuthError::Signing(e.to_string()))?;
        let mut value = HeaderValue::from_str(header.value())
            .map_err(|e| AwsAuthError::Signing(e.to_string()))?;
        value.set_sensitive(header.sensitive());
        request.headers_mut().insert(name, value);
    }
    Ok(())
}
