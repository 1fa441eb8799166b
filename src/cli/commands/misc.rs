//! `init`, `validate`, `fmt`, `show` and `graph`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use miette::Report;

use crate::cli::render::json::diagnostic as diagnostic_json;
use crate::cli::render::plan::render_plan;
use crate::cli::render::style::Style;
use crate::cli::render::tfjson;
use crate::cli::render::value::render;
use crate::cli::workspace::{enter, Failure, Workspace};
use crate::diagnostics::{Diagnostics, Severity};
use crate::graph::Node;
use crate::plan::values::from_state;

/// `keyway init`.
pub async fn init(a: crate::cli::args::InitArgs) -> Result<ExitCode, Failure> {
    use crate::config::fetch::Installed;
    enter(a.dir.as_deref())?;
    let installed = crate::config::fetch::install(Path::new("."), a.upgrade)
        .await
        .map_err(Report::msg)?;
    if !installed.is_empty() {
        println!("Initializing modules...");
    }
    for i in &installed {
        match i {
            Installed::Fetched(key, source, version) => {
                let v = version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                println!("- {key}: downloaded {source}{v}");
            }
            Installed::Kept(key) => println!("- {key}: already installed"),
        }
    }
    let ws = Workspace::load()?;
    let switch = crate::cli::commands::backend::Switch {
        migrate: a.migrate_state,
        reconfigure: a.reconfigure,
        force_copy: a.force_copy,
    };
    crate::cli::commands::backend::settle(&ws.config, &a.backend_config, switch)?;
    let store = crate::state::Store::open(Path::new(".")).map_err(Report::new)?;
    if let Some(c) = crate::cli::commands::encryption::codecs(&ws.config, None)?.state {
        store.set_codec(c);
    }
    store.ensure_dir().map_err(Report::new)?;
    crate::cli::commands::adopt::offer(&store, a.force_copy)?;
    println!(
        "keyway has been successfully initialized! ({} resources in configuration)",
        ws.config.resources.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `keyway validate`.
pub fn validate(dir: Option<PathBuf>, json: bool) -> Result<ExitCode, Failure> {
    enter(dir.as_deref())?;
    if json {
        return Ok(validate_json());
    }
    let ws = Workspace::load()?;
    for w in &ws.config.warnings {
        eprintln!("{:?}", w.to_report(&ws.config.sources));
    }
    println!("Success! The configuration is valid.");
    Ok(ExitCode::SUCCESS)
}

/// `keyway validate -json`: Terraform's document, each diagnostic with its source range.
fn validate_json() -> ExitCode {
    let (diags, sources) = match crate::config::load_with_sources(Path::new(".")) {
        Ok(config) => match crate::graph::build(&config) {
            Ok(_) => (config.warnings.clone(), config.sources),
            Err(Diagnostics(d)) => (d, config.sources),
        },
        Err((Diagnostics(d), sources)) => (d, sources),
    };
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let errors = count(Severity::Error);
    let doc = serde_json::json!({
        "format_version": "1.0",
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": count(Severity::Warning),
        "diagnostics": diags.iter().map(|d| diagnostic_json(d, &sources)).collect::<Vec<_>>(),
    });
    println!("{doc:#}");
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn hcl_files(path: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() && recursive && !name.starts_with('.') {
            hcl_files(&p, recursive, out);
        } else if p.is_file()
            && (name.ends_with(".tf") || name.ends_with(".hcl") || name.ends_with(".tfvars"))
        {
            out.push(p);
        }
    }
}

/// `keyway fmt`.
pub fn fmt(
    paths: Vec<PathBuf>,
    check: bool,
    diff: bool,
    recursive: bool,
) -> Result<ExitCode, Failure> {
    let roots = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    let mut files = Vec::new();
    for r in &roots {
        hcl_files(r, recursive, &mut files);
    }
    let mut errors = Vec::new();
    let mut changed = false;
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| Report::msg(format!("Cannot read `{}`: {e}", f.display())))?;
        match crate::config::format::format(&text) {
            Ok(new) if new != text => {
                changed = true;
                println!("{}", f.display());
                if diff {
                    let d = similar::TextDiff::from_lines(&text, &new);
                    print!(
                        "{}",
                        d.unified_diff()
                            .header(&f.display().to_string(), &f.display().to_string())
                    );
                }
                if !check {
                    std::fs::write(&f, new)
                        .map_err(|e| Report::msg(format!("Cannot write `{}`: {e}", f.display())))?;
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(Report::msg(format!("{}:{e}", f.display()))),
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    Ok(if check && changed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// `keyway show [PLANFILE] [-json]`; `-json` writes Terraform's plan or state representation.
pub async fn show(path: Option<PathBuf>, json: bool, st: Style) -> Result<ExitCode, Failure> {
    let Some(path) = path else {
        let ws = Workspace::load()?;
        crate::cli::commands::backend::check(&ws.config)?;
        let state = ws.state()?;
        if json {
            println!("{}", tfjson::state::document(&state, Some(&ws.config)));
        } else if state.resources.is_empty() {
            println!("The state is empty.");
        } else {
            for (a, i) in &state.resources {
                let (block, _) = crate::plan::InstanceKey::split(a);
                let name = block.rsplit('.').next().unwrap_or_default();
                println!(
                    "# {a}:\nresource \"{}\" \"{name}\" {}\n",
                    i.resource_type,
                    render(&from_state(i), 0)
                );
            }
            crate::cli::commands::output::print_outputs(&state);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| Report::msg(format!("Cannot read `{}`: {e}", path.display())))?;
    let mut ws = Workspace::load_with(std::sync::Arc::new(
        crate::cli::commands::encryption::open_store()?,
    ))?;
    // An encrypted plan opens with the configuration's plan encryption, as `apply` does.
    let codec = crate::cli::commands::encryption::codecs(&ws.config, None)?.plan;
    let text = crate::state::crypt::open_text(codec.as_deref(), bytes, &path.display().to_string())
        .map_err(Report::new)?;
    let file = crate::plan::file::parse(&text)
        .map_err(|e| Report::msg(format!("`{}`: {e}", path.display())))?;
    let mut vars = ws.vars(&Default::default())?.0;
    for (k, v) in &file.variables {
        if let crate::plan::file::SavedVar::Value(v) = v {
            vars.insert(k.clone(), crate::plan::file::loaded_var(&ws.config, k, v));
        }
    }
    ws.expand(&vars)?;
    let state = ws.state()?;
    ws.configure_providers(&vars, &state).await?;
    let opts = crate::plan::Options {
        mode: file.mode,
        targets: file.targets.clone(),
        excludes: file.excludes.clone(),
        replace: file.replace.clone(),
        skip_checks_and_notes: false,
    };
    let mut plan =
        crate::cli::commands::plan::make_plan(&ws, vars.clone(), state, &opts, file.refresh)
            .await?;
    // The saved results, not a new evaluation: `show` reports what the plan found.
    plan.checks = crate::plan::file::loaded_checks(&file.checks);
    if json {
        println!("{}", tfjson::plan::document(&plan, &ws.config, &vars));
    } else {
        print!("{}", render_plan(&plan, &st));
    }
    Ok(ExitCode::SUCCESS)
}

/// `keyway graph`: DOT, dependencies pointing from dependent to dependency as Terraform draws.
pub fn graph(dir: Option<PathBuf>) -> Result<ExitCode, Failure> {
    enter(dir.as_deref())?;
    let ws = Workspace::load()?;
    println!("digraph {{\n  compound = \"true\"\n  newrank = \"true\"\n  rankdir = \"RL\"");
    for n in &ws.graph.order {
        let shape = match n {
            Node::Resource(_) => "box",
            Node::Local(_) => "note",
            Node::Output(_) => "ellipse",
        };
        println!("  \"{n}\" [label = \"{n}\", shape = \"{shape}\"]");
    }
    for (n, deps) in &ws.graph.deps {
        for d in deps {
            println!("  \"{n}\" -> \"{d}\"");
        }
    }
    println!("}}");
    Ok(ExitCode::SUCCESS)
}
