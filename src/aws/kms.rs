//! AWS KMS as a state-encryption key provider (OpenTofu's `key_provider "aws_kms"`): a data
//! key from GenerateDataKey for writing, Decrypt for the wrapped keys found in stored
//! envelopes. The state store is synchronous, so each call runs on a thread of its own with
//! its own small runtime (never inside the caller's).

use base64::Engine as _;
use serde_json::{json, Value as Json};

use super::{sign::sign_request, Auth, AuthSettings, Endpoints, Service};
use crate::state::crypt::DataKeys;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// One `key_provider "aws_kms" "NAME"`.
#[derive(Clone, Debug)]
pub struct Kms {
    /// `key_provider.aws_kms.NAME`.
    pub name: String,
    pub key_id: String,
    /// `AES_256` (the only spec an AES-256-GCM method can use).
    pub key_spec: String,
    pub auth: AuthSettings,
    pub endpoints: Endpoints,
}

impl Kms {
    /// One KMS JSON call (`TrentService.{action}`), on a thread with its own runtime.
    fn call(&self, action: &str, body: Json) -> Result<Json, String> {
        let this = self.clone();
        let action = action.to_owned();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(this.send(&action, &body))
        })
        .join()
        .map_err(|_| "the KMS call panicked".to_owned())?
    }

    async fn send(&self, action: &str, body: &Json) -> Result<Json, String> {
        let auth = Auth::load(&self.auth).await.map_err(|e| e.to_string())?;
        let region = auth.region().to_owned();
        let url = format!("{}/", self.endpoints.resolve(Service::Kms, &region));
        let client = reqwest::Client::new();
        let mut request = client
            .post(&url)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("TrentService.{action}"))
            .body(body.to_string())
            .build()
            .map_err(|e| e.to_string())?;
        sign_request(&auth, "kms", &region, &mut request)
            .await
            .map_err(|e| e.to_string())?;
        let response = client
            .execute(request)
            .await
            .map_err(|e| format!("{action} at {url}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        let answer: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        if !status.is_success() {
            let code = answer["__type"].as_str().unwrap_or("error");
            let message = answer["message"]
                .as_str()
                .or(answer["Message"].as_str())
                .unwrap_or(&text);
            return Err(format!("KMS {action} failed: {code}: {message}"));
        }
        Ok(answer)
    }
}

fn key_of(answer: &Json) -> Result<[u8; 32], String> {
    let plain = answer["Plaintext"]
        .as_str()
        .and_then(|p| B64.decode(p).ok())
        .ok_or("KMS answered no key")?;
    plain
        .try_into()
        .map_err(|_| "KMS's data key is not 32 bytes: use key_spec = \"AES_256\"".to_owned())
}

impl DataKeys for Kms {
    fn name(&self) -> &str {
        &self.name
    }

    fn generate(&self) -> Result<([u8; 32], Vec<u8>), String> {
        let answer = self.call(
            "GenerateDataKey",
            json!({"KeyId": self.key_id, "KeySpec": self.key_spec}),
        )?;
        let wrapped = answer["CiphertextBlob"]
            .as_str()
            .and_then(|b| B64.decode(b).ok())
            .ok_or("KMS answered no wrapped key")?;
        Ok((key_of(&answer)?, wrapped))
    }

    fn unwrap_key(&self, wrapped: &[u8]) -> Result<[u8; 32], String> {
        let answer = self.call(
            "Decrypt",
            json!({"KeyId": self.key_id, "CiphertextBlob": B64.encode(wrapped)}),
        )?;
        key_of(&answer)
    }
}
