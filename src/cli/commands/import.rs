//! `keyway import ADDRESS ID`: reads an existing object through its provider and records it
//! in state at a resource instance the configuration declares, as Terraform's command does.

use std::collections::BTreeMap;
use std::process::ExitCode;

use miette::Report;

use crate::cli::args::{ImportArgs, PlanFlags};
use crate::cli::commands::plan::{make_plan, open};
use crate::cli::render::style::Style;
use crate::cli::workspace::{reports, Failure, Workspace};
use crate::config::Mode as ResourceMode;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::lang::Value;
use crate::plan::values::{from_state, sensitive_paths};
use crate::plan::{Action, InstanceKey, Mode, Options, ResourceChange};
use crate::state::{ResourceInstance, State};

/// `import` blocks: each object not yet in state is read through its provider (with the
/// instance's configured values filling what the ID leaves out) and put into the prior
/// state the plan is made against, so the plan shows it imported (and updated where the
/// configuration differs); apply records it. Nothing happens when destroying, nor for an
/// instance already in state (the block has done its job).
pub(crate) async fn import_blocks(
    ws: &Workspace,
    vars: &BTreeMap<String, Value>,
    mut prior: State,
    opts: &Options,
) -> Result<(State, BTreeMap<String, String>), Failure> {
    let mut imported = BTreeMap::new();
    if ws.config.imports.is_empty() || opts.mode != Mode::Normal {
        return Ok((prior, imported));
    }
    let values = crate::plan::scope::Values {
        dir: ws.config.dir.clone(),
        vars: vars.clone(),
        ..Default::default()
    };
    let mut diags = Vec::new();
    let mut ids = Vec::new();
    for i in &ws.config.imports {
        match import_targets(i, &values, &ws.config) {
            Ok(found) => ids.extend(found),
            Err(d) => diags.push(d),
        }
    }
    if !diags.is_empty() {
        return Err(Failure(reports(&diags, &ws.config.sources)));
    }
    ids.retain(|(addr, _)| !prior.resources.contains_key(addr));
    if ids.is_empty() {
        return Ok((prior, imported));
    }
    // What each instance would be created with fills what an ID leaves out.
    let plan_opts = Options {
        mode: Mode::Normal,
        targets: ids.iter().map(|(addr, _)| addr.clone()).collect(),
        excludes: Vec::new(),
        replace: Vec::new(),
        skip_checks_and_notes: true,
    };
    let planned = crate::plan::plan(
        &ws.config,
        &ws.graph,
        vars.clone(),
        prior.clone(),
        Vec::new(),
        &plan_opts,
        &crate::cli::commands::plan::ProviderReader(&ws.providers),
    )
    .map_err(|Diagnostics(d)| Failure(reports(&d, &ws.config.sources)))?;
    for (addr, id) in ids {
        let block = InstanceKey::split(&addr).0;
        let change = instance_change(&planned.changes, &addr, block)?;
        let provider = ws.providers.get(&change.provider).ok_or_else(|| {
            Report::msg(format!("Provider `{}` is not configured", change.provider))
        })?;
        let configured = change.after.clone().unwrap_or(Value::Null);
        let read = provider
            .import(&change.ty, &id, &configured.clone().deep_unmark())
            .await
            .map_err(|e| Report::msg(format!("Import of `{addr}` (ID \"{id}\") failed: {e}")))?;
        let marked = mark(&change.ty, &configured, read);
        prior.resources.insert(
            addr.clone(),
            ResourceInstance {
                resource_type: change.ty.clone(),
                provider: change.provider.clone(),
                attributes: marked.to_json(),
                sensitive_paths: sensitive_paths(&marked),
                dependencies: change.dependencies.clone(),
                create_before_destroy: false,
                tainted: false,
            },
        );
        imported.insert(addr, id);
    }
    Ok((prior, imported))
}

/// The (instance address, ID) pairs an `import` block names: one, or one per element of its
/// `for_each`.
fn import_targets(
    i: &crate::config::Import,
    values: &crate::plan::scope::Values,
    config: &crate::config::Config,
) -> Result<Vec<(String, String)>, Diagnostic> {
    let at = |e: &crate::config::Expr, err: crate::lang::eval::EvalError| {
        Diagnostic::error("plan::import", err.message).at(e.file, err.span.or_else(|| e.span()))
    };
    let root = crate::plan::scope::EvalScope::new(values, config);
    let each: Vec<Option<(String, Value)>> = match &i.for_each {
        None => vec![None],
        Some(e) => match crate::lang::eval::eval(&e.expr, &root).map_err(|err| at(e, err))? {
            Value::Object(m) => m.into_iter().map(Some).collect(),
            Value::Set(items) => items
                .into_iter()
                .map(|v| Some((v.as_str().unwrap_or_default().to_owned(), v)))
                .collect(),
            other => {
                return Err(Diagnostic::error(
                    "plan::import",
                    format!(
                        "An import's `for_each` needs a map or a set, not {}",
                        other.type_name()
                    ),
                )
                .at(e.file, e.span()))
            }
        },
    };
    let mut out = Vec::new();
    for each in each {
        let scope = crate::plan::scope::EvalScope {
            each: each.clone(),
            ..crate::plan::scope::EvalScope::new(values, config)
        };
        let text = |e: &crate::config::Expr| -> Result<Value, Diagnostic> {
            crate::lang::eval::eval(&e.expr, &scope)
                .map(|v| v.deep_unmark())
                .map_err(|err| at(e, err))
        };
        let id = match text(&i.id)? {
            Value::String(s) => s,
            other => {
                return Err(Diagnostic::error(
                    "plan::import_id",
                    format!(
                        "The import ID must be a known string, not {}",
                        other.type_name()
                    ),
                )
                .at(i.id.file, i.id.span()))
            }
        };
        let addr = match &i.to_key {
            None => i.to.clone(),
            Some(k) => match text(k)? {
                Value::String(s) => format!("{}{}", i.to, InstanceKey::Str(s).suffix()),
                Value::Number(n) => format!("{}[{n}]", i.to),
                other => {
                    return Err(Diagnostic::error(
                        "plan::import",
                        format!(
                            "An instance key must be a string or a number, not {}",
                            other.type_name()
                        ),
                    )
                    .at(k.file, k.span()))
                }
            },
        };
        out.push((addr, id));
    }
    Ok(out)
}

/// Runs `keyway import`.
pub async fn import(args: ImportArgs, st: Style) -> Result<ExitCode, Failure> {
    let (mut ws, _lock, state) = open("import", args.lock_timeout.as_deref()).await?;
    let flags = PlanFlags {
        vars: args.vars.clone(),
        var_files: args.var_files.clone(),
        ..PlanFlags::default()
    };
    let (vars, _) = ws.vars(&flags)?;
    let (block, _) = InstanceKey::split(&args.addr);
    let declared = ws
        .config
        .resources
        .get(block)
        .is_some_and(|r| r.mode == ResourceMode::Managed);
    if !declared {
        return Err(unknown_resource(&args.addr, block, &ws.config).into());
    }
    ws.configure_providers(&vars, &state).await?;
    // A creation an interrupted run left pending may be this very object: settle it first,
    // so it is either in state (and refused below) or known not to exist.
    let mut state = crate::cli::commands::plan::settle_pending(&ws, state).await?;
    if state.resources.contains_key(&args.addr) {
        return Err(Report::msg(format!(
            "Resource already managed by keyway: `{}` is already in state. To import to this \
             address you must first remove the existing object from the state (`keyway state \
             rm {}`).",
            args.addr, args.addr
        ))
        .into());
    }
    // The configured values of the instance (what a plan would create) fill what the ID leaves
    // out; no refresh, since only this one object is read, and no checks or creation notes,
    // whose calls would only be thrown away.
    let opts = Options {
        mode: Mode::Normal,
        targets: vec![block.to_owned()],
        excludes: Vec::new(),
        replace: Vec::new(),
        skip_checks_and_notes: true,
    };
    let plan = make_plan(&ws, vars, state.clone(), &opts, false).await?;
    let change = instance_change(&plan.changes, &args.addr, block)?;
    let provider = ws
        .providers
        .get(&change.provider)
        .ok_or_else(|| Report::msg(format!("Provider `{}` is not configured", change.provider)))?;
    let configured = change.after.clone().unwrap_or(Value::Null);
    println!(
        "{}: Importing from ID \"{}\"...",
        st.bold(&args.addr),
        args.id
    );
    let read = provider
        .import(&change.ty, &args.id, &configured.clone().deep_unmark())
        .await
        .map_err(|e| Report::msg(format!("Import of `{}` failed: {e}", args.addr)))?;
    let marked = mark(&change.ty, &configured, read);
    let id = marked
        .to_json()
        .get("id")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    state.resources.insert(
        args.addr.clone(),
        ResourceInstance {
            resource_type: change.ty.clone(),
            provider: change.provider.clone(),
            attributes: marked.to_json(),
            sensitive_paths: sensitive_paths(&marked),
            dependencies: change.dependencies.clone(),
            create_before_destroy: false,
            tainted: false,
        },
    );
    ws.store.write(&mut state).map_err(Report::new)?;
    println!(
        "{}: Import prepared!\n  Prepared {} for import\n{}: Refreshing state...{}",
        st.bold(&args.addr),
        change.ty,
        st.bold(&args.addr),
        id.map(|i| format!(" [id={i}]")).unwrap_or_default()
    );
    println!(
        "\n{}\n\nThe resources that were imported are shown above. These resources are now in\n\
         your keyway state and will henceforth be managed by keyway.",
        st.bold(&st.green("Import successful!"))
    );
    Ok(ExitCode::SUCCESS)
}

/// The planned creation of the instance being imported, or an error naming the instances the
/// configuration does declare.
fn instance_change<'a>(
    changes: &'a [ResourceChange],
    addr: &str,
    block: &str,
) -> Result<&'a ResourceChange, Failure> {
    if let Some(c) = changes
        .iter()
        .find(|c| c.addr == addr && c.action == Action::Create)
    {
        return Ok(c);
    }
    let known: Vec<&str> = changes
        .iter()
        .filter(|c| c.resource == block)
        .map(|c| c.addr.as_str())
        .collect();
    let help = match crate::lang::eval::suggest(addr, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if known.is_empty() => {
            "the resource has no instances (count = 0 or empty for_each)".into()
        }
        None => format!("its instances are: {}", known.join(", ")),
    };
    Err(Report::msg(format!(
        "Configuration for import target does not exist: `{block}` declares no instance `{addr}`; {help}"
    ))
    .into())
}

fn unknown_resource(addr: &str, block: &str, config: &crate::config::Config) -> Report {
    let managed = config
        .resources
        .iter()
        .filter(|(_, r)| r.mode == ResourceMode::Managed)
        .map(|(a, _)| a.as_str());
    let help = crate::lang::eval::suggest(block, managed)
        .map(|s| format!(" Did you mean `{s}`?"))
        .unwrap_or_default();
    Report::msg(format!(
        "Configuration for import target does not exist: the configuration declares no resource \
         `{block}` (import address `{addr}`).{help} Add a `resource` block for it first; keyway \
         imports only into resources the configuration declares."
    ))
}

/// Sensitive marks for the read object: the schema's, and wherever the configuration's value
/// was sensitive.
fn mark(ty: &str, configured: &Value, read: Value) -> Value {
    let inst = ResourceInstance {
        attributes: read.deep_unmark().to_json(),
        sensitive_paths: sensitive_paths(configured),
        ..Default::default()
    };
    let v = from_state(&inst);
    match crate::schema::lookup_in(ty, false) {
        Some(schema) => crate::plan::diff::mark(schema, v),
        None => v,
    }
}
