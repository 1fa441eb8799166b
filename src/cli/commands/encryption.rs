//! The `encryption` block evaluated (variables allowed, as OpenTofu allows): the codec a
//! store encrypts state with, and the one saved plan files use.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use miette::Report;

use crate::cli::workspace::{reports, Failure};
use crate::config::model::{EncryptionBlock, NestedBlock};
use crate::config::vars::resolve;
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::lang::Value;
use crate::state::crypt::{Codec, KeyProvider, Method, Pbkdf2};
use crate::state::Store;

/// What the block says for state and for plans (`None`: kept in clear).
#[derive(Default)]
pub struct Codecs {
    pub state: Option<Arc<Codec>>,
    pub plan: Option<Arc<Codec>>,
}

fn error(e: &EncryptionBlock, config: &Config, message: String) -> Failure {
    let d = Diagnostic::error("config::encryption", message).at(e.file, e.span.clone());
    Failure(reports(&[d], &config.sources))
}

/// Evaluates the configuration's `encryption` block.
pub fn codecs(config: &Config, vars: Option<&BTreeMap<String, Value>>) -> Result<Codecs, Failure> {
    let Some(e) = &config.encryption else {
        return Ok(Codecs::default());
    };
    let vars = match vars {
        Some(v) => v.clone(),
        None => {
            let env: BTreeMap<String, String> = std::env::vars().collect();
            let mut sources = config.sources.clone();
            resolve(config, &[], &env, &mut sources).map_err(|d| Failure(reports(&d, &sources)))?
        }
    };
    let values = crate::plan::scope::Values {
        dir: config.dir.clone(),
        vars,
        ..Default::default()
    };
    let scope = crate::plan::scope::EvalScope::new(&values, config);
    let eval =
        |body: &crate::config::model::Body, k: &str| -> Result<Option<Value>, Failure> {
            let Some(expr) = body.attrs.get(k) else {
                return Ok(None);
            };
            crate::lang::eval::eval(&expr.expr, &scope)
                .map(|v| Some(v.unmarked().clone()))
                .map_err(|err| {
                    Failure(reports(
                        &[Diagnostic::error("config::encryption", err.message)
                            .at(expr.file, err.span)],
                        &config.sources,
                    ))
                })
        };
    let mut keys: BTreeMap<String, KeyProvider> = BTreeMap::new();
    for kp in &e.key_providers {
        if kp.kind == "aws_kms" {
            let text = |k: &str| -> Result<Option<String>, Failure> {
                Ok(eval(&kp.body, k)?.and_then(|v| v.as_str().map(str::to_owned)))
            };
            let name = format!("key_provider.aws_kms.{}", kp.name);
            let key_id = text("kms_key_id")?
                .ok_or_else(|| error(e, config, format!("{name} needs a kms_key_id")))?;
            let mut endpoints = crate::aws::Endpoints::default();
            for nested in kp.body.blocks.iter().filter(|b| b.ty == "endpoints") {
                if let Some(url) =
                    eval(&nested.body, "kms")?.and_then(|v| v.as_str().map(str::to_owned))
                {
                    endpoints.set("kms", &url);
                }
            }
            let auth = crate::aws::AuthSettings {
                region: text("region")?,
                profile: text("profile")?,
                access_key: text("access_key")?,
                secret_key: text("secret_key")?,
                ..Default::default()
            };
            let kms = crate::aws::kms::Kms {
                name: name.clone(),
                key_id,
                key_spec: text("key_spec")?.unwrap_or_else(|| "AES_256".into()),
                auth,
                endpoints,
            };
            keys.insert(name, KeyProvider::Remote(Arc::new(kms)));
            continue;
        }
        if kp.kind != "pbkdf2" {
            return Err(error(
                e,
                config,
                format!(
                    "key_provider \"{}\" is not supported (pbkdf2 and aws_kms are)",
                    kp.kind
                ),
            ));
        }
        let passphrase = eval(&kp.body, "passphrase")?
            .and_then(|v| v.as_str().map(str::to_owned))
            .ok_or_else(|| {
                error(
                    e,
                    config,
                    format!("key_provider.pbkdf2.{} needs a passphrase", kp.name),
                )
            })?;
        if passphrase.chars().count() < 16 {
            return Err(error(
                e,
                config,
                format!(
                    "key_provider.pbkdf2.{}: the passphrase must be at least 16 characters",
                    kp.name
                ),
            ));
        }
        let num = |k: &str, d: u64| -> Result<u64, Failure> {
            Ok(eval(&kp.body, k)?
                .and_then(|v| match v {
                    Value::Number(n) => n.as_i64().and_then(|i| u64::try_from(i).ok()),
                    _ => None,
                })
                .unwrap_or(d))
        };
        let hash_function = eval(&kp.body, "hash_function")?
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "sha512".into());
        keys.insert(
            format!("key_provider.pbkdf2.{}", kp.name),
            KeyProvider::Pbkdf2(Pbkdf2 {
                name: format!("key_provider.pbkdf2.{}", kp.name),
                passphrase,
                iterations: u32::try_from(num("iterations", 600_000)?).unwrap_or(600_000),
                salt_length: usize::try_from(num("salt_length", 32)?).unwrap_or(32),
                hash_function,
            }),
        );
    }
    let mut methods: BTreeMap<String, Method> = BTreeMap::new();
    for m in &e.methods {
        let method = match m.kind.as_str() {
            "unencrypted" => Method::Unencrypted,
            "aes_gcm" => {
                let r = reference(&m.body, "keys").ok_or_else(|| {
                    error(
                        e,
                        config,
                        format!(
                            "method.aes_gcm.{} needs `keys = key_provider.KIND.NAME`",
                            m.name
                        ),
                    )
                })?;
                let key = keys.get(&r).cloned().ok_or_else(|| {
                    error(
                        e,
                        config,
                        format!("method.aes_gcm.{}: no {r} is declared", m.name),
                    )
                })?;
                Method::AesGcm { key }
            }
            other => {
                return Err(error(
                    e,
                    config,
                    format!("method \"{other}\" is not supported (aes_gcm, unencrypted)"),
                ))
            }
        };
        methods.insert(format!("method.{}.{}", m.kind, m.name), method);
    }
    let target = |b: &Option<NestedBlock>| -> Result<Option<Arc<Codec>>, Failure> {
        let Some(b) = b else { return Ok(None) };
        let pick = |body: &crate::config::model::Body| -> Result<Method, Failure> {
            let r = reference(body, "method").ok_or_else(|| {
                error(e, config, "`method = method.KIND.NAME` is required".into())
            })?;
            methods
                .get(&r)
                .cloned()
                .ok_or_else(|| error(e, config, format!("no {r} is declared")))
        };
        let method = pick(&b.body)?;
        let fallback = match b.body.blocks.iter().find(|n| n.ty == "fallback") {
            Some(f) => Some(pick(&f.body)?),
            None => None,
        };
        let enforced = eval(&b.body, "enforced")?
            .and_then(|v| match v {
                Value::Bool(b) => Some(b),
                _ => None,
            })
            .unwrap_or(false);
        Ok(Some(Arc::new(Codec::new(method, fallback, enforced))))
    };
    Ok(Codecs {
        state: target(&e.state)?,
        plan: target(&e.plan)?,
    })
}

/// The text of a reference argument (`key_provider.pbkdf2.main`).
fn reference(body: &crate::config::model::Body, k: &str) -> Option<String> {
    body.attrs
        .get(k)
        .and_then(|e| crate::config::lower::reference_text(&e.expr))
}

/// The current workspace's store with the configuration's state encryption applied, for the
/// commands that read state without planning (`state`, `output`).
pub fn open_store() -> Result<Store, Failure> {
    let store = Store::open(Path::new(".")).map_err(Report::new)?;
    if let Ok(config) = crate::config::load(Path::new(".")) {
        if let Some(c) = codecs(&config, None)?.state {
            store.set_codec(c);
        }
    }
    Ok(store)
}
