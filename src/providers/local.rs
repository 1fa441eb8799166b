//! The `local` provider (hashicorp/local): `local_file` and `local_sensitive_file` write a
//! file on apply and remove it on destroy; `data "local_file"` reads one. Built in; a
//! `provider "local"` block is accepted. Relative paths are relative to the working folder
//! (keyway runs in the configuration's folder, as Terraform does).
//!
//! Refresh reads the file back: a file deleted outside keyway is gone (the plan creates it
//! again, as Terraform's does); a file whose bytes no longer match is reported with the bytes
//! found as its content, so the plan shows the difference and replaces it.

use std::path::Path;

use async_trait::async_trait;
use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::lang::Value;
use crate::providers::args::Args;
use crate::providers::{Provider, ProviderError, Result};

/// The local provider.
pub struct Local;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The content hashes hashicorp/local exports (`content_md5` ... `content_base64sha512`),
/// plus `id` (SHA-1, hex).
fn content_hashes(bytes: &[u8]) -> Vec<(&'static str, Value)> {
    vec![
        ("id", Value::string(hex::encode(Sha1::digest(bytes)))),
        (
            "content_md5",
            Value::string(hex::encode(Md5::digest(bytes))),
        ),
        (
            "content_sha1",
            Value::string(hex::encode(Sha1::digest(bytes))),
        ),
        (
            "content_sha256",
            Value::string(hex::encode(Sha256::digest(bytes))),
        ),
        (
            "content_base64sha256",
            Value::string(B64.encode(Sha256::digest(bytes))),
        ),
        (
            "content_sha512",
            Value::string(hex::encode(Sha512::digest(bytes))),
        ),
        (
            "content_base64sha512",
            Value::string(B64.encode(Sha512::digest(bytes))),
        ),
    ]
}

/// The arguments that can hold what the file contains.
const CONTENT_ARGS: &[&str] = &["content", "sensitive_content", "content_base64", "source"];

/// The bytes to write: exactly one content argument must be set.
fn content(a: &Args) -> Result<Vec<u8>> {
    let set: Vec<&str> = CONTENT_ARGS
        .iter()
        .copied()
        .filter(|n| a.get(n).is_some())
        .collect();
    let [name] = set[..] else {
        return Err(ProviderError::new(format!(
            "{}: exactly one of {} must be set ({} are)",
            a.ty(),
            CONTENT_ARGS.join(", "),
            set.len()
        )));
    };
    let text = a.required_string(name)?;
    match name {
        "content_base64" => B64
            .decode(text.trim())
            .map_err(|e| a.error(name, format!("is not valid base64: {e}"))),
        "source" => std::fs::read(&text).map_err(|e| a.error(name, format!("cannot be read: {e}"))),
        _ => Ok(text.into_bytes()),
    }
}

/// An octal permission argument such as `"0644"`.
fn mode(a: &Args, name: &str) -> Result<u32> {
    let text = a.string(name)?.unwrap_or_else(|| "0777".into());
    match u32::from_str_radix(&text, 8) {
        Ok(m) if m <= 0o7777 && (3..=4).contains(&text.len()) => Ok(m),
        _ => Err(a.error(
            name,
            "must be an octal mode of 3 or 4 digits such as \"0644\"",
        )),
    }
}

fn write(a: &Args, path: &Path, bytes: &[u8]) -> Result<()> {
    let (file_mode, dir_mode) = (
        mode(a, "file_permission")?,
        mode(a, "directory_permission")?,
    );
    let fail = |e: std::io::Error| a.error("filename", format!("`{}`: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, dir_mode);
        b.create(dir).map_err(fail)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    // The mode applies before the umask, as hashicorp/local documents.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, file_mode);
    #[cfg(not(unix))]
    let _ = (file_mode, dir_mode);
    let mut f = o.open(path).map_err(fail)?;
    std::io::Write::write_all(&mut f, bytes).map_err(fail)
}

#[async_trait]
impl Provider for Local {
    async fn refresh(&self, ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        priors.iter().map(|p| reread(ty, p)).collect()
    }

    async fn create(&self, ty: &str, planned: &Value) -> Result<Value> {
        let a = Args::new(ty, false, planned)?;
        let bytes = content(&a)?;
        let filename = a.required_string("filename")?;
        write(&a, Path::new(&filename), &bytes)?;
        Ok(a.finish(content_hashes(&bytes)))
    }

    async fn update(&self, ty: &str, _prior: &Value, planned: &Value) -> Result<Value> {
        // Every argument forces replacement: an update only rewrites state.
        Ok(Args::new(ty, false, planned)?.finish([]))
    }

    async fn delete(&self, ty: &str, prior: &Value) -> Result<()> {
        let a = Args::new(ty, false, prior)?;
        let filename = a.required_string("filename")?;
        match std::fs::remove_file(&filename) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(a.error("filename", format!("`{filename}` cannot be removed: {e}")))
            }
            _ => Ok(()),
        }
    }

    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        if ty != "local_file" && ty != "local_sensitive_file" {
            return Err(ProviderError::new(format!(
                "data source `{ty}` is not supported"
            )));
        }
        let a = Args::new(ty, true, config)?;
        let filename = a.required_string("filename")?;
        let bytes = std::fs::read(&filename)
            .map_err(|e| a.error("filename", format!("`{filename}` cannot be read: {e}")))?;
        let mut computed = content_hashes(&bytes);
        computed.push(("content", Value::string(String::from_utf8_lossy(&bytes))));
        computed.push(("content_base64", Value::string(B64.encode(&bytes))));
        Ok(a.finish(computed))
    }
}

/// The object as the file on disk now is: gone, unchanged, or changed (see the module doc).
fn reread(ty: &str, prior: &Value) -> Result<Option<Value>> {
    let a = Args::new(ty, false, prior)?;
    let filename = a.required_string("filename")?;
    let bytes = match std::fs::read(&filename) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(a.error("filename", format!("`{filename}` cannot be read: {e}"))),
    };
    if a.string("id")? == Some(hex::encode(Sha1::digest(&bytes))) {
        return Ok(Some(prior.clone()));
    }
    let mut changed = content_hashes(&bytes);
    // Report what is there in the argument that held the content (`content` when the file
    // came from `source`), so that argument differs from the configuration.
    let holder = ["content_base64", "sensitive_content"]
        .into_iter()
        .find(|n| a.get(n).is_some())
        .unwrap_or("content");
    let found = match holder {
        "content_base64" => B64.encode(&bytes),
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    };
    changed.push((holder, Value::string(found)));
    Ok(Some(a.finish(changed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_terraforms() {
        let h: std::collections::BTreeMap<_, _> = content_hashes(b"hello").into_iter().collect();
        assert_eq!(
            h["id"].as_str(),
            Some("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")
        );
        assert_eq!(
            h["content_md5"].as_str(),
            Some("5d41402abc4b2a76b9719d911017c592")
        );
        assert_eq!(
            h["content_base64sha256"].as_str(),
            Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
        );
    }
}
