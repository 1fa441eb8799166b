//! `provider "aws"` blocks and the environment, as the AWS provider's settings: identity for
//! the credential chain, the `endpoints` block, and `--emulator` / `KEYWAY_EMULATOR`, which
//! point every AWS service at keyway's emulator with fixed credentials.

use std::collections::BTreeMap;

use crate::cli::workspace::{reports, Failure, Workspace, EMBEDDED_EMULATOR};
use crate::diagnostics::Diagnostic;
use crate::lang::Value;
use crate::providers::aws::Settings;

impl Workspace {
    pub(crate) async fn aws_settings(
        &mut self,
        vars: &BTreeMap<String, Value>,
    ) -> Result<Settings, Failure> {
        let values = crate::plan::scope::Values {
            dir: self.config.dir.clone(),
            vars: vars.clone(),
            ..Default::default()
        };
        let scope = crate::plan::scope::EvalScope::new(&values, &self.config);
        let mut args: BTreeMap<String, Value> = BTreeMap::new();
        let mut endpoints: BTreeMap<String, String> = BTreeMap::new();
        let mut default_tags = serde_json::Map::new();
        let blocks = self
            .config
            .providers
            .iter()
            .filter(|p| p.name == "aws" && p.alias.is_none());
        for block in blocks {
            let eval = |e: &crate::config::model::Expr| {
                crate::lang::eval::eval(&e.expr, &scope).map_err(|err| {
                    Failure(reports(
                        &[Diagnostic::error("config::provider", err.message).at(e.file, err.span)],
                        &self.config.sources,
                    ))
                })
            };
            for (k, e) in block.body.attrs.iter() {
                args.insert(k.clone(), eval(e)?.deep_unmark());
            }
            for nested in block.body.blocks.iter().filter(|b| b.ty == "default_tags") {
                if let Some(e) = nested.body.attrs.get("tags") {
                    if let serde_json::Value::Object(tags) = eval(e)?.deep_unmark().to_json() {
                        default_tags.extend(tags);
                    }
                }
            }
            for nested in block.body.blocks.iter().filter(|b| b.ty == "endpoints") {
                for (k, e) in nested.body.attrs.iter() {
                    if let Some(url) = eval(e)?.unmarked().as_str() {
                        endpoints.insert(k.clone(), url.to_owned());
                    }
                }
            }
        }
        let text = |k: &str| args.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let paths = |k: &str| -> Vec<std::path::PathBuf> {
            match args.get(k).map(Value::to_json) {
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(std::path::PathBuf::from))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let mut settings = Settings::default();
        settings.auth.region = text("region");
        settings.auth.profile = text("profile");
        settings.auth.access_key = text("access_key");
        settings.auth.secret_key = text("secret_key");
        settings.auth.token = text("token");
        settings.auth.shared_config_files = paths("shared_config_files");
        settings.auth.shared_credentials_files = paths("shared_credentials_files");
        settings.default_tags = default_tags;
        for (key, url) in &endpoints {
            if !settings.endpoints.set(key, url) {
                // Services keyway does not call need no endpoint: accepted, as Terraform
                // folders list many.
                continue;
            }
        }
        let emulator = if EMBEDDED_EMULATOR.load(std::sync::atomic::Ordering::SeqCst) {
            Some(self.embedded_emulator().await?)
        } else if let Ok(url) = std::env::var("KEYWAY_EMULATOR") {
            self.cloud = Some(format!("the keyway emulator at {url}"));
            Some(url)
        } else {
            None
        };
        if let Some(url) = emulator {
            settings.endpoints = crate::aws::Endpoints::all_at(&url);
            settings.fixed = true;
            settings
                .auth
                .region
                .get_or_insert_with(|| "us-east-1".to_owned());
        }
        Ok(settings)
    }
}
