//! The `archive` provider (hashicorp/archive): `data "archive_file"` zips files and writes
//! the archive when it is read, at plan time as in Terraform, so the hashes are known to the
//! resources that upload it. Entries get fixed timestamps and a sorted order: the same
//! inputs always give the same bytes, and a re-plan is clean. Built in; `provider "archive"`
//! is accepted. Only `type = "zip"` is supported.

mod sources;
mod zip;

use std::path::Path;

use async_trait::async_trait;
use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::lang::Value;
use crate::providers::args::{number, Args};
use crate::providers::{Provider, ProviderError, Result};

/// The archive provider.
pub struct Archive;

#[async_trait]
impl Provider for Archive {
    async fn refresh(&self, _ty: &str, priors: &[Value]) -> Result<Vec<Option<Value>>> {
        Ok(priors.iter().cloned().map(Some).collect())
    }

    async fn create(&self, ty: &str, _planned: &Value) -> Result<Value> {
        Err(ProviderError::new(format!("unknown resource type `{ty}`")))
    }

    async fn update(&self, ty: &str, _prior: &Value, _planned: &Value) -> Result<Value> {
        Err(ProviderError::new(format!("unknown resource type `{ty}`")))
    }

    async fn delete(&self, _ty: &str, _prior: &Value) -> Result<()> {
        Ok(())
    }

    async fn read_data(&self, ty: &str, config: &Value) -> Result<Value> {
        if ty != "archive_file" {
            return Err(ProviderError::new(format!(
                "data source `{ty}` is not supported"
            )));
        }
        let a = Args::new(ty, true, config)?;
        let kind = a.required_string("type")?;
        if kind != "zip" {
            return Err(a.error(
                "type",
                format!("\"{kind}\" is not supported: keyway writes \"zip\" archives"),
            ));
        }
        let output = a.required_string("output_path")?;
        let mut entries = entries(&a, Path::new(&output))?;
        if let Some(m) = a.string("output_file_mode")? {
            let mode = u32::from_str_radix(m.trim_start_matches("0o"), 8).map_err(|_| {
                a.error("output_file_mode", "must be an octal mode such as \"0644\"")
            })?;
            entries.iter_mut().for_each(|e| e.mode = mode);
        }
        let bytes =
            zip::write(&entries).map_err(|e| ProviderError::new(format!("archive_file: {e}")))?;
        write_output(&a, Path::new(&output), &bytes)?;
        Ok(a.finish(output_hashes(&bytes)))
    }
}

/// The entries from whichever source argument is set (exactly one kind must be).
fn entries(a: &Args, output: &Path) -> Result<Vec<zip::Entry>> {
    let blocks = a.blocks("source");
    let given = [
        a.get("source_file").is_some(),
        a.get("source_dir").is_some(),
        a.get("source_content").is_some() || a.get("source_content_filename").is_some(),
        !blocks.is_empty(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ProviderError::new(
            "archive_file: exactly one of source_file, source_dir, source_content (with source_content_filename) or source blocks must be set",
        ));
    }
    if let Some(path) = a.string("source_file")? {
        let name = Path::new(&path)
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| a.error("source_file", "does not name a file"))?
            .to_owned();
        return Ok(vec![
            sources::file(Path::new(&path), name).map_err(|e| a.error("source_file", e))?
        ]);
    }
    if let Some(dir) = a.string("source_dir")? {
        let walk = sources::Walk {
            excludes: &a.strings("excludes")?,
            skip_symlink_dirs: a.bool("exclude_symlink_directories")?,
            output: std::fs::canonicalize(output).ok(),
        };
        let found = sources::dir(Path::new(&dir), &walk).map_err(|e| a.error("source_dir", e))?;
        return Ok(found);
    }
    if given[2] {
        let name = a.required_string("source_content_filename")?;
        let text = a.required_string("source_content")?;
        return Ok(vec![sources::content(&name, &text)]);
    }
    let mut out = Vec::new();
    for b in blocks {
        let arg = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(name), Some(text)) = (arg("filename"), arg("content")) else {
            return Err(a.error("source", "blocks need `filename` and `content` strings"));
        };
        out.push(sources::content(&name, &text));
    }
    // A set of blocks has no order: sort by name so the bytes do not depend on it.
    out.sort_by(|x, y| x.name.cmp(&y.name));
    Ok(out)
}

/// Writes the archive unless it already holds exactly these bytes (its modification time is
/// then left alone, which keeps tools that watch it quiet).
fn write_output(a: &Args, path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    let fail = |e: std::io::Error| a.error("output_path", format!("`{}`: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, bytes).map_err(fail)
}

fn output_hashes(bytes: &[u8]) -> Vec<(&'static str, Value)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let sha1 = hex::encode(Sha1::digest(bytes));
    vec![
        ("id", Value::string(sha1.clone())),
        ("output_sha", Value::string(sha1)),
        ("output_md5", Value::string(hex::encode(Md5::digest(bytes)))),
        (
            "output_sha256",
            Value::string(hex::encode(Sha256::digest(bytes))),
        ),
        (
            "output_base64sha256",
            Value::string(b64.encode(Sha256::digest(bytes))),
        ),
        (
            "output_sha512",
            Value::string(hex::encode(Sha512::digest(bytes))),
        ),
        (
            "output_base64sha512",
            Value::string(b64.encode(Sha512::digest(bytes))),
        ),
        ("output_size", number(bytes.len() as i64)),
    ]
}
