//! `plan`, `apply` and `destroy`.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use miette::Report;

use crate::apply::Event;
use crate::cli::args::{ApplyArgs, PlanArgs, PlanFlags};
use crate::cli::render::json::digest_json;
use crate::cli::render::plan::render_plan;
use crate::cli::render::style::Style;
use crate::cli::render::tfjson;
use crate::cli::workspace::{enter, reports, Failure, Workspace};
use crate::diagnostics::Diagnostics;
use crate::lang::Value;
use crate::plan::file::{self as planfile, PlanFile, SavedVar};
use crate::plan::{Mode, Options, Plan};
use crate::state::{Lock, State, Store};

fn options(flags: &PlanFlags, mode: Mode) -> Options {
    let mode = if flags.refresh_only {
        Mode::RefreshOnly
    } else {
        mode
    };
    Options {
        mode,
        targets: flags.targets.clone(),
        excludes: flags.excludes.clone(),
        replace: flags.replace.clone(),
        skip_checks_and_notes: false,
    }
}

/// Takes the state lock, waiting up to `-lock-timeout`.
pub async fn lock(store: &Store, op: &str, timeout: Option<&str>) -> Result<Lock, Failure> {
    let limit = parse_duration(timeout.unwrap_or("0s"))
        .ok_or_else(|| Report::msg("Invalid -lock-timeout: use a duration like `10s` or `2m`"))?;
    let start = std::time::Instant::now();
    loop {
        match store.lock(op) {
            Ok(l) => return Ok(l),
            Err(e) if start.elapsed() >= limit => return Err(Report::new(e).into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn parse_duration(s: &str) -> Option<Duration> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().ok()?;
    Some(match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n * 60),
        _ => return None,
    })
}

/// Refreshes (unless told not to) and plans.
pub async fn make_plan(
    ws: &Workspace,
    vars: BTreeMap<String, Value>,
    state: State,
    opts: &Options,
    refresh: bool,
) -> Result<Plan, Failure> {
    let (state, pending_notes) = crate::plan::intents::resolve(state, &ws.providers)
        .await
        .map_err(|d| Failure(reports(&d, &ws.config.sources)))?;
    let (prior, drift, drifted_from) =
        if refresh && opts.mode != Mode::Destroy || opts.mode == Mode::RefreshOnly {
            let r = crate::plan::refresh::refresh(state, &ws.providers)
                .await
                .map_err(|d| Failure(reports(&d, &ws.config.sources)))?;
            (r.state, r.drift, r.before)
        } else {
            (state, Vec::new(), BTreeMap::new())
        };
    let (prior, imported) =
        crate::cli::commands::import::import_blocks(ws, &vars, prior, opts).await?;
    let mut plan = crate::plan::plan(
        &ws.config,
        &ws.graph,
        vars,
        prior,
        drift,
        opts,
        &ProviderReader(&ws.providers),
    )
    .map_err(|Diagnostics(d)| Failure(reports(&d, &ws.config.sources)))?;
    plan.imported = imported;
    plan.drifted_from = drifted_from;
    if !opts.skip_checks_and_notes {
        crate::plan::notes::annotate(&mut plan, &ws.providers).await;
    }
    plan.warnings.splice(0..0, pending_notes);
    Ok(plan)
}

/// Settles the creations an interrupted run left pending and records the outcome in state
/// at once, whatever is planned next: an adopted object must not depend on this run
/// finishing to be remembered.
pub(crate) async fn settle_pending(ws: &Workspace, state: State) -> Result<State, Failure> {
    if state.pending.is_empty() {
        return Ok(state);
    }
    let (mut state, notes) = crate::plan::intents::resolve(state, &ws.providers)
        .await
        .map_err(|d| Failure(reports(&d, &ws.config.sources)))?;
    for n in &notes {
        eprintln!("{:?}", n.to_report(&ws.config.sources));
    }
    ws.store
        .write(&mut state)
        .map_err(|e| Failure(vec![Report::new(e)]))?;
    Ok(state)
}

/// Says which cloud this run talks to when it is not Google itself.
fn print_cloud(ws: &Workspace) {
    if let Some(cloud) = &ws.cloud {
        let verb = if ws.emulated.len() > 1 { "are" } else { "is" };
        println!("{} here {verb} {cloud}.\n", ws.emulated_clouds(" and "));
    }
}

/// Prints the warnings that come before the plan (deprecations, ...) on stderr.
fn print_warnings(plan: &Plan, ws: &Workspace) {
    for w in plan.warnings.iter().filter(|w| w.within.is_none()) {
        eprintln!("{:?}", w.to_report(&ws.config.sources));
    }
}

/// Prints check warnings after the plan, Terraform's way (on stdout; boxed with colour).
fn print_check_warnings(
    warnings: &[crate::diagnostics::Diagnostic],
    sources: &crate::diagnostics::Sources,
    st: &Style,
) {
    for w in warnings.iter().filter(|w| w.within.is_some()) {
        print!(
            "{}",
            crate::cli::render::diagnostic::terraform_style(w, sources, st.color)
        );
    }
}

/// The digest a saved plan is checked against. Check results and data source reads are
/// left out: they depend on what endpoints answer right now (an HTTP `Date` header changes
/// every second), and whatever a changed read would change in managed resources still shows
/// in their planned values.
fn digest(plan: &Plan) -> String {
    let mut j = digest_json(plan);
    if let Some(m) = j.as_object_mut() {
        m.remove("checks");
        if let Some(serde_json::Value::Array(changes)) = m.get_mut("resource_changes") {
            changes.retain(|c| c["mode"] != "data");
        }
    }
    planfile::plan_digest(&j)
}

/// Locks the state, then reads it on another thread while the configuration loads.
pub(crate) async fn open(
    op: &str,
    timeout: Option<&str>,
) -> Result<(Workspace, Lock, State), Failure> {
    let store = Arc::new(Store::open(Path::new(".")).map_err(Report::new)?);
    let held = lock(&store, op, timeout).await?;
    let reader = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.read())
    };
    let ws = Workspace::load_with(store)?;
    crate::cli::commands::backend::check(&ws.config)?;
    let codec = crate::cli::commands::encryption::codecs(&ws.config, None)?.state;
    let encrypted = codec.is_some();
    if let Some(c) = &codec {
        ws.store.set_codec(c.clone());
    }
    // With encryption, what the early read saw is read again through the codec (it decrypts,
    // and refuses clear state unless migrating).
    let read = if encrypted {
        let _ = reader.await;
        Ok(ws.store.read())
    } else {
        reader.await
    };
    let state = match read {
        Ok(Ok(Some(s))) => s,
        Ok(Ok(None)) => {
            crate::cli::commands::adopt::guard()?;
            State::new()
        }
        Ok(Err(e)) => return Err(Report::new(e).into()),
        Err(e) => return Err(Report::msg(format!("Reading state failed: {e}")).into()),
    };
    let mut state = state;
    if codec.is_some_and(|c| c.fell_back()) && op != "plan" && op != "import" {
        // Read through the fallback (clear state being encrypted, an old key rotated out):
        // written again now with the configured method.
        ws.store.write(&mut state).map_err(Report::new)?;
    }
    Ok((ws, held, state))
}

/// `keyway plan`. With `-json`, Terraform's streamed machine-readable UI: a `version` line
/// first, and errors as `diagnostic` lines (exit 1) rather than reports on stderr.
pub async fn plan(args: PlanArgs, st: Style) -> Result<ExitCode, Failure> {
    if !args.json {
        return plan_run(args, st).await;
    }
    println!("{}", tfjson::stream::version());
    match plan_run(args, st).await {
        Ok(code) => Ok(code),
        Err(Failure(reports)) => {
            for r in &reports {
                println!("{}", tfjson::stream::error(&format!("{r}")));
            }
            Ok(ExitCode::from(1))
        }
    }
}

async fn plan_run(args: PlanArgs, st: Style) -> Result<ExitCode, Failure> {
    enter(args.dir.as_deref())?;
    let (mut ws, _lock, state) = open("plan", args.flags.lock_timeout.as_deref()).await?;
    let (vars, _) = ws.vars(&args.flags)?;
    ws.configure_providers(&vars, &state).await?;
    let mode = if args.destroy {
        Mode::Destroy
    } else {
        Mode::Normal
    };
    let opts = options(&args.flags, mode);
    // Apply settles pending creations in state before it checks a saved plan's serial: do
    // it here first, or every plan saved from such a state would be stale.
    let state = if args.out.is_some() {
        settle_pending(&ws, state).await?
    } else {
        state
    };
    // The saved plan records which state it was made against; the state itself moves on.
    let made_against = (state.lineage.clone(), state.serial);
    let plan = make_plan(&ws, vars.clone(), state, &opts, args.flags.refresh).await?;
    if args.json {
        let refreshed =
            args.flags.refresh && mode != Mode::Destroy || opts.mode == Mode::RefreshOnly;
        for line in tfjson::stream::lines(&plan, &ws.config, &ws.config.sources, refreshed) {
            println!("{line}");
        }
    } else {
        print_cloud(&ws);
        print_warnings(&plan, &ws);
        print!("{}", render_plan(&plan, &st));
        print_check_warnings(&plan.warnings, &ws.config.sources, &st);
    }
    if let Some(out) = &args.out {
        let file = save(&ws, &plan, &made_against, &vars, &opts, args.flags.refresh);
        let text = serde_json::to_string_pretty(&file).map_err(|e| Report::msg(e.to_string()))?;
        let bytes = crate::state::crypt::seal(plan_codec(&ws)?.as_deref(), text.into_bytes())
            .map_err(Report::new)?;
        write_private(out, &bytes)
            .map_err(|e| Report::msg(format!("Cannot write plan file `{}`: {e}", out.display())))?;
        if !args.json {
            println!(
                "\nSaved the plan to: {}\nTo perform exactly these actions, run: keyway apply {}",
                out.display(),
                out.display()
            );
        }
    }
    let changes = plan.has_changes();
    // The process ends right after; freeing thousands of values one by one would only add
    // to the wall time (compilers and ripgrep skip it too).
    std::mem::forget(plan);
    std::mem::forget(ws);
    Ok(if args.detailed_exitcode && changes {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn save(
    ws: &Workspace,
    plan: &Plan,
    made_against: &(String, u64),
    vars: &BTreeMap<String, Value>,
    opts: &Options,
    refresh: bool,
) -> PlanFile {
    let salt = uuid::Uuid::new_v4().to_string();
    PlanFile {
        format: planfile::FORMAT.into(),
        version: planfile::VERSION,
        keyway_version: env!("CARGO_PKG_VERSION").into(),
        lineage: made_against.0.clone(),
        serial: made_against.1,
        mode: opts.mode,
        refresh,
        targets: opts.targets.clone(),
        excludes: opts.excludes.clone(),
        replace: opts.replace.clone(),
        variables: planfile::saved_vars(vars, &salt),
        salt,
        config_digest: planfile::config_digest(&ws.config.sources),
        changes: planfile::saved_changes(plan),
        plan_digest: digest(plan),
        checks: planfile::saved_checks(&plan.checks),
    }
}

/// How saved plan files are encrypted (the `encryption` block's `plan`).
fn plan_codec(ws: &Workspace) -> Result<Option<Arc<crate::state::crypt::Codec>>, Failure> {
    Ok(crate::cli::commands::encryption::codecs(&ws.config, None)?.plan)
}

/// `keyway apply` and `keyway destroy`.
pub async fn apply(args: ApplyArgs, st: Style, destroy: bool) -> Result<ExitCode, Failure> {
    let saved = match &args.path {
        Some(p) if p.is_file() => Some(p.clone()),
        Some(p) => {
            enter(Some(p))?;
            None
        }
        None => None,
    };
    let op = if destroy { "destroy" } else { "apply" };
    let (mut ws, _lock, state) = open(op, args.flags.lock_timeout.as_deref()).await?;
    let (mut vars, _) = ws.vars(&args.flags)?;
    ws.configure_providers(&vars, &state).await?;
    let state = settle_pending(&ws, state).await?;
    let plan = match &saved {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                Report::msg(format!("Cannot read plan file `{}`: {e}", path.display()))
            })?;
            let text = crate::state::crypt::open_text(
                plan_codec(&ws)?.as_deref(),
                bytes,
                &path.display().to_string(),
            )
            .map_err(Report::new)?;
            let file = planfile::parse(&text)
                .map_err(|e| Report::msg(format!("`{}`: {e}", path.display())))?;
            check_saved(&ws, &file, &state, &mut vars)?;
            ws.expand(&vars)?;
            let opts = Options {
                mode: file.mode,
                targets: file.targets.clone(),
                excludes: file.excludes.clone(),
                replace: file.replace.clone(),
                skip_checks_and_notes: false,
            };
            let plan = make_plan(&ws, vars.clone(), state, &opts, file.refresh).await?;
            if planfile::saved_changes(&plan) != file.changes || digest(&plan) != file.plan_digest {
                return Err(Report::msg("Saved plan is stale: the objects it was made against changed since (refresh found differences)")
                    .wrap_err("run `keyway plan -out` again").into());
            }
            plan
        }
        None => {
            let mode = if destroy { Mode::Destroy } else { Mode::Normal };
            let opts = options(&args.flags, mode);
            let plan = make_plan(&ws, vars.clone(), state, &opts, args.flags.refresh).await?;
            print_cloud(&ws);
            print_warnings(&plan, &ws);
            print!("{}", render_plan(&plan, &st));
            if !plan.has_changes() {
                // Nothing to apply: the plan's check results are the final ones.
                print_check_warnings(&plan.warnings, &ws.config.sources, &st);
                print_check_summary(&plan.checks);
                save_checks(&ws.store, plan.checks)?;
                return Ok(ExitCode::SUCCESS);
            }
            if !args.auto_approve && !confirm(destroy) {
                println!("\n{} cancelled.", if destroy { "Destroy" } else { "Apply" });
                return Ok(ExitCode::from(1));
            }
            // A blank line between the plan (or the answer) and the first progress line.
            println!();
            plan
        }
    };
    run_apply(ws, plan, vars, args.parallelism, st).await
}

/// Nothing to apply: the plan's check results are kept in state, as an apply keeps its own,
/// on the state as stored (a refresh's findings are not accepted behind the user's back).
/// The state is left alone when they did not change.
fn save_checks(store: &Store, checks: Vec<crate::state::CheckResult>) -> Result<(), Failure> {
    let mut state = store
        .read()
        .map_err(Report::new)?
        .unwrap_or_else(State::new);
    if state.checks == checks {
        return Ok(());
    }
    state.checks = checks;
    store.write(&mut state).map_err(|e| Report::new(e).into())
}

fn check_saved(
    ws: &Workspace,
    file: &PlanFile,
    state: &State,
    vars: &mut BTreeMap<String, Value>,
) -> Result<(), Failure> {
    let fresh = file.lineage.is_empty() || file.serial == 0;
    if !(fresh && state.serial == 0)
        && (file.lineage != state.lineage || file.serial != state.serial)
    {
        return Err(Report::msg(format!(
            "Saved plan is stale: the state changed since the plan was made (serial {} then, {} now)",
            file.serial, state.serial
        )).into());
    }
    if planfile::config_digest(&ws.config.sources) != file.config_digest {
        return Err(Report::msg(
            "Saved plan does not match the configuration: files changed since the plan was made",
        )
        .into());
    }
    for (name, saved) in &file.variables {
        match saved {
            SavedVar::Value(v) => {
                vars.insert(name.clone(), planfile::loaded_var(&ws.config, name, v));
            }
            SavedVar::Sha256(digest) => {
                let given = vars.get(name).cloned().unwrap_or(Value::Null).deep_unmark();
                if &planfile::secret_digest(&file.salt, &given) != digest {
                    return Err(Report::msg(format!("The saved plan used a different value for the sensitive variable `{name}`"))
                        .wrap_err("sensitive values are not stored in plan files: pass the same value again (-var, -var-file or TF_VAR_)").into());
                }
            }
        }
    }
    Ok(())
}

fn confirm(destroy: bool) -> bool {
    let what = if destroy {
        "destroy all remote objects managed by this configuration"
    } else {
        "perform the actions described above"
    };
    print!("\nDo you want to {}?\n  keyway will {what}.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", if destroy { "really destroy all resources" } else { "perform these actions" });
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim() == "yes"
}

async fn run_apply(
    ws: Workspace,
    plan: Plan,
    vars: BTreeMap<String, Value>,
    parallelism: usize,
    st: Style,
) -> Result<ExitCode, Failure> {
    let interrupt = crate::apply::Interrupt::new();
    tokio::spawn(watch_interrupts(interrupt.clone()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::task::spawn_blocking(move || {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        if std::io::stdout().is_terminal() {
            drop(out);
            let mut live = crate::cli::render::progress::Live::new();
            while let Some(e) = rx.blocking_recv() {
                live.event(&e, &event_line(&e));
            }
            live.finish();
            return;
        }
        while let Some(e) = rx.blocking_recv() {
            let _ = writeln!(out, "{}", event_line(&e));
        }
        let _ = out.flush();
    });
    let (add, change, destroy) = plan.counts();
    let forgotten = match plan.forgets() {
        0 => String::new(),
        n => format!(", {n} forgotten"),
    };
    let imported = match plan.imported.len() {
        0 => String::new(),
        n => format!("{n} imported, "),
    };
    let destroying = plan.mode == Mode::Destroy;
    let persist: crate::apply::Persist = Box::new(StoreWriter(ws.store.clone()));
    let sources = ws.config.sources.clone();
    let cloud = ws.cloud.clone();
    let real = ws.emulated_clouds(" or ");
    let after = (!ws.config.checks.is_empty()).then(|| check_hook(ws.providers.clone()));
    let outcome = crate::apply::apply(
        ws.config,
        ws.graph,
        plan,
        vars,
        ws.providers,
        parallelism,
        persist,
        tx,
        interrupt.clone(),
        after,
    )
    .await;
    if interrupt.is_abandoned() {
        // An abandoned operation may still hold an event sender for a moment: do not wait on it.
        let _ = tokio::time::timeout(Duration::from_secs(1), printer).await;
    } else {
        let _ = printer.await;
    }
    if !outcome.errors.is_empty() {
        let mut r = reports(&outcome.errors, &sources);
        r.push(Report::msg(format!("{} failed: state holds everything that completed; fix the errors above and run it again", if destroying { "Destroy" } else { "Apply" })));
        return Err(Failure(r));
    }
    if destroying {
        println!(
            "\n{} Resources: {destroy} destroyed{forgotten}.",
            st.bold(&st.green("Destroy complete!"))
        );
    } else {
        println!(
            "\n{} Resources: {imported}{add} added, {change} changed, {destroy} destroyed{forgotten}.",
            st.bold(&st.green("Apply complete!"))
        );
        print_check_warnings(&outcome.warnings, &sources, &st);
        print_check_summary(&outcome.state.checks);
        crate::cli::commands::output::print_outputs(&outcome.state);
    }
    if let Some(cloud) = cloud {
        println!("\n(Applied to {cloud}, not to {real}.)");
    }
    Ok(ExitCode::SUCCESS)
}

/// How long in-flight operations may run after the first Ctrl-C before they are abandoned as
/// if Ctrl-C were pressed again: long enough for the slowest Google operation (an API
/// Gateway's creation), bounded so an operation that hangs cannot hold the run forever.
const INTERRUPT_GRACE: Duration = Duration::from_secs(600);

/// Turns Ctrl-C into `interrupt`, as Terraform does: the first stops new work and lets what is
/// in flight finish; the second (or the grace period running out) exits at once, saving the
/// state known so far.
async fn watch_interrupts(interrupt: crate::apply::Interrupt) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    eprintln!("\nInterrupt received: letting operations in flight finish and saving state...\nPress Ctrl-C again to exit immediately.");
    interrupt.stop();
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if r.is_err() {
                return;
            }
            eprintln!("\nTwo interrupts received. Exiting immediately... (saving the state known so far)");
        }
        () = tokio::time::sleep(INTERRUPT_GRACE) => {
            eprintln!("\nOperations in flight did not finish within {} minutes: exiting, saving the state known so far...", INTERRUPT_GRACE.as_secs() / 60);
        }
    }
    interrupt.abandon();
}

/// Evaluates the check blocks after apply, reading their data sources through the providers.
fn check_hook(providers: crate::providers::Registry) -> crate::apply::AfterApply {
    Box::new(move |config, values| {
        let reader = ProviderReader(&providers);
        crate::plan::checks::evaluate(config, values, &mut |p: &str, t: &str, c: &Value| {
            crate::plan::DataReader::read(&reader, p, t, c)
        })
    })
}

/// One line per check, so a newcomer sees them run: `Check "api": passed`.
fn print_check_summary(checks: &[crate::state::CheckResult]) {
    if checks.is_empty() {
        return;
    }
    println!();
    for c in checks {
        let word = match c.status {
            crate::state::CheckStatus::Pass => "passed",
            crate::state::CheckStatus::Fail => "failed",
            crate::state::CheckStatus::Unknown => "unknown",
        };
        println!("Check \"{}\": {word}", c.name);
    }
}

fn event_line(e: &Event) -> String {
    let secs = |d: &Duration| {
        if d.as_secs() >= 1 {
            format!("{}s", d.as_secs())
        } else {
            format!("{}ms", d.as_millis())
        }
    };
    match e {
        Event::Started { addr, action } => format!("{addr}: {}...", verb_ing(action)),
        Event::Progress {
            addr,
            action,
            elapsed,
        } => format!(
            "{addr}: Still {}... [{} elapsed]",
            verb_ing(action).to_lowercase(),
            secs(elapsed)
        ),
        Event::Finished {
            addr,
            action,
            elapsed,
            id,
        } => {
            let id = id
                .as_ref()
                .map(|i| format!(" [id={i}]"))
                .unwrap_or_default();
            format!(
                "{addr}: {} complete after {}{id}",
                capital(action),
                secs(elapsed)
            )
        }
        Event::Failed { addr, message } => format!("{addr}: failed: {message}"),
        Event::Skipped { addr, reason } => format!("{addr}: skipped ({reason})"),
        Event::Output { addr, line } => format!("{addr}{line}"),
    }
}

fn verb_ing(action: &str) -> &'static str {
    match action {
        "create" => "Creating",
        "update" => "Modifying",
        "destroy" => "Destroying",
        _ => "Working",
    }
}

fn capital(action: &str) -> String {
    match action {
        "created" => "Creation".into(),
        "updated" => "Modifications".into(),
        "destroyed" => "Destruction".into(),
        other => other.into(),
    }
}

/// Apply's state writer on the local store.
struct StoreWriter(Arc<Store>);

impl crate::apply::StateWriter for StoreWriter {
    fn encode(&mut self, state: &mut State) -> Result<Vec<u8>, String> {
        self.0.encode_next(state).map_err(|e| e.to_string())
    }

    fn commit(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        self.0.commit(&bytes).map_err(|e| e.to_string())
    }
}

/// Reads data sources through the providers while the (synchronous) planner walks.
pub(crate) struct ProviderReader<'a>(pub(crate) &'a crate::providers::Registry);

impl crate::plan::DataReader for ProviderReader<'_> {
    fn read(&self, provider: &str, ty: &str, config: &Value) -> Result<Value, String> {
        let p = self
            .0
            .get(provider)
            .ok_or_else(|| format!("provider `{provider}` is not configured"))?;
        // The planner is synchronous; this thread may block while the read runs.
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(p.read_data(ty, config))
        })
        .map_err(|e| e.message)
    }
}
