//! `keyway init`'s backend step, and the check every state-reading command makes: the
//! configuration's `backend` block is evaluated (variables allowed, `-backend-config` on
//! top), compared with what `init` recorded, and either recorded, migrated to
//! (`-migrate-state`: every workspace's state copied with its lineage and serial), or switched
//! to without moving (`-reconfigure`). A command never plans against a backend other than the
//! configured one: it stops and says to run `keyway init`.

use std::collections::BTreeMap;
use std::path::Path;

use miette::Report;
use sha2::{Digest, Sha256};

use crate::cli::workspace::{reports, Failure};
use crate::config::model::BackendBlock;
use crate::config::vars::resolve;
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::lang::Value;
use crate::state::backend::SUPPORTED;
use crate::state::{BackendSettings, Store};

/// How `init` may change the backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Switch {
    /// Copy state from the recorded backend to the configured one.
    pub migrate: bool,
    /// Use the configured backend without copying.
    pub reconfigure: bool,
    /// Agree in advance (no prompt), as Terraform's `-force-copy`.
    pub force_copy: bool,
}

fn digest(b: &BackendBlock) -> String {
    let text: String = b.text.split_whitespace().collect::<Vec<_>>().join(" ");
    hex::encode(Sha256::digest(format!("{}\n{text}", b.kind).as_bytes()))
}

/// The backend the configuration asks for, evaluated: arguments (variables allowed), nested
/// blocks as `block.arg`, then `-backend-config` (KEY=VALUE, or a file of `key = value`).
pub fn configured(config: &Config, extra: &[String]) -> Result<BackendSettings, Failure> {
    let Some(b) = &config.backend else {
        return Ok(BackendSettings::local());
    };
    if !SUPPORTED.contains(&b.kind.as_str()) {
        let d = Diagnostic::error(
            "config::backend",
            format!(
                "State backend `{}` is not supported yet (keyway stores state in: {})",
                b.kind,
                SUPPORTED.join(", ")
            ),
        )
        .at(b.file, b.span.clone())
        .help(
            "refused rather than ignored: against an empty local state the plan would create \
             a second copy of everything the backend's state manages",
        );
        return Err(Failure(reports(&[d], &config.sources)));
    }
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let mut sources = config.sources.clone();
    let vars =
        resolve(config, &[], &env, &mut sources).map_err(|d| Failure(reports(&d, &sources)))?;
    let values = crate::plan::scope::Values {
        dir: config.dir.clone(),
        vars,
        ..Default::default()
    };
    let scope = crate::plan::scope::EvalScope::new(&values, config);
    let mut settings = BTreeMap::new();
    let mut eval = |prefix: &str, body: &crate::config::model::Body| -> Result<(), Failure> {
        for (k, e) in &body.attrs {
            let v = crate::lang::eval::eval(&e.expr, &scope).map_err(|err| {
                Failure(reports(
                    &[Diagnostic::error("config::backend", err.message).at(e.file, err.span)],
                    &config.sources,
                ))
            })?;
            match v.unmarked() {
                // `endpoints = { s3 = ... }`, Terraform's form, read as the nested block's keys.
                Value::Object(fields) => {
                    for (field, fv) in fields {
                        settings.insert(format!("{prefix}{k}.{field}"), text_of(fv));
                    }
                }
                v => {
                    settings.insert(format!("{prefix}{k}"), text_of(v));
                }
            }
        }
        Ok(())
    };
    eval("", &b.body)?;
    for nested in &b.body.blocks {
        eval(&format!("{}.", nested.ty), &nested.body)?;
    }
    for arg in extra {
        merge_backend_config(arg, &mut settings)?;
    }
    if b.kind == "s3" {
        if let Err((message, help)) = check_s3(&settings) {
            let d = Diagnostic::error("config::backend", message)
                .at(b.file, b.span.clone())
                .help(help);
            return Err(Failure(reports(&[d], &config.sources)));
        }
    }
    if let Some(k) = settings
        .keys()
        .find(|k| b.kind == "local" && !["path", "workspace_dir"].contains(&k.as_str()))
    {
        let d = Diagnostic::error(
            "config::backend",
            format!("`{k}` is not an argument of the local backend"),
        )
        .at(b.file, b.span.clone())
        .help("it takes `path` (the default workspace's state file) and `workspace_dir`");
        return Err(Failure(reports(&[d], &config.sources)));
    }
    Ok(BackendSettings {
        kind: b.kind.clone(),
        settings,
        digest: digest(b),
    })
}

/// The `backend "s3"` arguments keyway takes: Terraform's, less the ones it cannot honour.
/// `skip_*` are accepted as they are because keyway's backend never calls STS, IAM or the
/// region list; the credential chain alone decides (`AWS_EC2_METADATA_DISABLED=true` keeps
/// it off instance metadata).
const S3_ARGUMENTS: &[&str] = &[
    "bucket",
    "key",
    "region",
    "use_lockfile",
    "encrypt",
    "kms_key_id",
    "endpoints.s3",
    "endpoints.sts",
    "endpoints.iam",
    "endpoints.sso",
    "endpoints.dynamodb",
    "endpoint",
    "use_path_style",
    "force_path_style",
    "workspace_key_prefix",
    "profile",
    "access_key",
    "secret_key",
    "token",
    "shared_config_files",
    "shared_credentials_files",
    "skip_credentials_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
    "skip_region_validation",
    "skip_s3_checksum",
    "max_retries",
];

/// Checks an s3 backend's settings as Terraform would (bucket and key present, key not a
/// folder) and refuses what keyway cannot do: (message, help).
fn check_s3(settings: &BTreeMap<String, String>) -> Result<(), (String, String)> {
    if settings.contains_key("dynamodb_table") {
        return Err((
            "keyway does not lock the s3 backend with a DynamoDB table (`dynamodb_table`)".into(),
            "keyway locks with a lock object beside the state (Terraform's `use_lockfile = \
             true`), created with S3's conditional writes (If-None-Match), and writes state \
             only over the version it read (If-Match); remove `dynamodb_table` and set \
             `use_lockfile = true` (Terraform 1.11 takes the same lock)"
                .into(),
        ));
    }
    if let Some(k) = settings
        .keys()
        .find(|k| !S3_ARGUMENTS.contains(&k.as_str()))
    {
        return Err((
            format!("`{k}` is not an argument keyway's s3 backend takes"),
            format!(
                "it takes: {}, and `endpoints` for s3, sts, iam, sso and dynamodb",
                S3_ARGUMENTS
                    .iter()
                    .filter(|a| !a.starts_with("endpoints."))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    for required in ["bucket", "key"] {
        if settings.get(required).is_none_or(|v| v.is_empty()) {
            return Err((
                format!("the s3 backend needs `{required}`"),
                format!("set it in the block or with `-backend-config={required}=...`"),
            ));
        }
    }
    let key = &settings["key"];
    if key.starts_with('/') || key.ends_with('/') {
        return Err((
            format!("the s3 backend's `key` must not start or end with `/` (it is `{key}`)"),
            "`key` names the state object, for example `app/terraform.tfstate`".into(),
        ));
    }
    if settings
        .get("workspace_key_prefix")
        .is_some_and(|p| p.starts_with('/') || p.ends_with('/'))
    {
        return Err((
            "the s3 backend's `workspace_key_prefix` must not start or end with `/`".into(),
            "Terraform's default is `env:`".into(),
        ));
    }
    Ok(())
}

fn text_of(v: &Value) -> String {
    let v = v.unmarked();
    match v.as_str() {
        Some(s) => s.to_owned(),
        None => v.to_json().to_string(),
    }
}

/// One `-backend-config`: `KEY=VALUE`, or a file of `key = "value"` lines (an object value
/// as `key.field` entries).
fn merge_backend_config(arg: &str, settings: &mut BTreeMap<String, String>) -> Result<(), Failure> {
    if let Some((k, v)) = arg.split_once('=') {
        settings.insert(k.trim().to_owned(), v.to_owned());
        return Ok(());
    }
    let text = std::fs::read_to_string(arg)
        .map_err(|e| Report::msg(format!("Cannot read -backend-config file `{arg}`: {e}")))?;
    let body: hcl_edit::structure::Body = text
        .parse()
        .map_err(|e| Report::msg(format!("-backend-config file `{arg}`: {e}")))?;
    let text_of = |e: &hcl_edit::expr::Expression| {
        e.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| e.to_string().trim().to_owned())
    };
    for a in body.attributes() {
        let Some(fields) = a.value.as_object() else {
            settings.insert(a.key.as_str().to_owned(), text_of(&a.value));
            continue;
        };
        // An object (`endpoints = { s3 = ... }`) as the nested block's keys.
        for (field, v) in fields.iter() {
            let field = match field {
                hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_owned(),
                hcl_edit::expr::ObjectKey::Expression(e) => text_of(e),
            };
            settings.insert(format!("{}.{field}", a.key.as_str()), text_of(v.expr()));
        }
    }
    Ok(())
}

/// Whether the recorded backend is the configured one; a mismatch is an error saying what
/// changed and to run `keyway init`.
pub fn check(config: &Config) -> Result<(), Failure> {
    let recorded = BackendSettings::recorded(Path::new(".")).map_err(Report::new)?;
    let wanted_digest = config.backend.as_ref().map(digest).unwrap_or_default();
    let plain_local = config
        .backend
        .as_ref()
        .is_none_or(|b| b.kind == "local" && (&b.body.attrs).into_iter().next().is_none());
    if recorded.digest == wanted_digest || (plain_local && recorded.is_local()) {
        return Ok(());
    }
    let reason = match (&config.backend, recorded.is_local()) {
        (Some(b), true) if recorded.digest.is_empty() => {
            format!(
                "Initial configuration of the requested backend \"{}\"",
                b.kind
            )
        }
        (Some(_), _) => "The backend configuration block has changed".to_owned(),
        (None, _) => format!(
            "The configuration no longer declares a backend, but this folder's state is in {}",
            recorded.describe()
        ),
    };
    let (file, span) = config
        .backend
        .as_ref()
        .map_or((None, None), |b| (Some(b.file), b.span.clone()));
    let mut d = Diagnostic::error(
        "state::backend_init",
        "Backend initialization required: run `keyway init`",
    )
    .help(format!(
        "Reason: {reason}. `keyway init` settles where state lives; with state to move, \
             `keyway init -migrate-state` copies it, `keyway init -reconfigure` switches \
             without copying"
    ));
    if let Some(f) = file {
        d = d.at(f, span);
    }
    Err(Failure(reports(&[d], &config.sources)))
}

/// `init`'s backend step.
pub fn settle(config: &Config, extra: &[String], switch: Switch) -> Result<(), Failure> {
    let here = Path::new(".");
    let wanted = configured(config, extra)?;
    let recorded = BackendSettings::recorded(here).map_err(Report::new)?;
    if wanted == recorded {
        if !wanted.is_local() {
            println!("Backend unchanged: state is in {}.", wanted.describe());
        }
        return Ok(());
    }
    let from_workspaces = Store::workspaces(&recorded, here).map_err(Report::new)?;
    let has_state = from_workspaces.iter().any(|w| {
        Store::with(&recorded, here, w)
            .and_then(|s| s.read_raw())
            .is_ok_and(|t| t.is_some())
    });
    if wanted.kind == recorded.kind && wanted.settings == recorded.settings {
        // The same backend written differently: nothing moves.
    } else if has_state && !switch.reconfigure {
        if !switch.migrate {
            return Err(Report::msg(format!(
                "Backend configuration changed: the state is in {} and the configuration asks \
                 for {}. Run `keyway init -migrate-state` to copy every workspace's state there \
                 (lineage and serial kept), or `keyway init -reconfigure` to use it without \
                 copying",
                recorded.describe(),
                wanted.describe()
            ))
            .into());
        }
        let codec = crate::cli::commands::encryption::codecs(config, None)?.state;
        migrate(
            &recorded,
            &wanted,
            &from_workspaces,
            switch.force_copy,
            codec,
        )?;
    }
    Store::with(&wanted, here, crate::state::DEFAULT_WORKSPACE)
        .and_then(|s| s.read_raw().map(|_| ()))
        .map_err(Report::new)?;
    wanted.record(here).map_err(Report::new)?;
    if wanted.kind == "s3" && !crate::state::remote::s3::flag(&wanted.settings, "use_lockfile") {
        let mut d = Diagnostic::warning(
            "config::backend",
            "keyway locks this s3 backend's state with a lock object although `use_lockfile` \
             is not true",
        )
        .help(
            "keyway never runs without a lock: it creates `<key>.tflock` with S3's conditional \
             writes, the lock Terraform 1.11 takes with `use_lockfile = true`; set it so that \
             Terraform locks the same way",
        );
        if let Some(b) = &config.backend {
            d = d.at(b.file, b.span.clone());
        }
        eprintln!("{:?}", d.to_report(&config.sources));
    }
    println!(
        "Successfully configured the backend \"{}\": state is in {}.",
        wanted.kind,
        wanted.describe()
    );
    Ok(())
}

/// Copies each workspace's state to the new backend under both locks, keeping lineage and
/// serial; a different state already there is left alone unless `force`.
fn migrate(
    from: &BackendSettings,
    to: &BackendSettings,
    workspaces: &[String],
    force: bool,
    codec: Option<std::sync::Arc<crate::state::crypt::Codec>>,
) -> Result<(), Failure> {
    let here = Path::new(".");
    for w in workspaces {
        let src = Store::with(from, here, w).map_err(Report::new)?;
        let dst = Store::with(to, here, w).map_err(Report::new)?;
        if let Some(c) = &codec {
            src.set_codec(c.clone());
            dst.set_codec(c.clone());
        }
        let _a = src.lock("migrate-state").map_err(Report::new)?;
        let Some(text) = src.read_raw().map_err(Report::new)? else {
            continue;
        };
        let _b = dst.lock("migrate-state").map_err(Report::new)?;
        match dst.write_raw(&text, force) {
            Ok(()) => println!(
                "Copied the state of workspace \"{w}\" to {}.",
                dst.location()
            ),
            Err(crate::state::Error::SerialNotNewer { current, pushed }) if current == pushed => {
                println!(
                    "Workspace \"{w}\": {} already holds this state.",
                    dst.location()
                );
            }
            Err(e) => {
                return Err(Report::new(e)
                    .wrap_err(format!(
                        "Workspace \"{w}\": {} already holds a different state; nothing was \
                         copied over it (pass -force-copy to replace it)",
                        dst.location()
                    ))
                    .into())
            }
        }
    }
    Ok(())
}
