//! `keyway workspace list|new|select|show|delete`: separate states of one configuration, as
//! Terraform's local backend keeps them (here `.keyway/workspaces/{name}/`, the default
//! workspace in `.keyway/` itself); the selection is `.keyway/environment`, overridden by
//! `TF_WORKSPACE`.

use std::path::Path;
use std::process::ExitCode;

use miette::Report;

use crate::cli::args::WorkspaceCommand;
use crate::cli::workspace::Failure;
use crate::state::{
    current_workspace, select_workspace, BackendSettings, State, Store, DEFAULT_WORKSPACE,
};

fn here() -> &'static Path {
    Path::new(".")
}

fn fail(msg: String) -> Failure {
    Report::msg(msg).into()
}

fn check_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 90
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(fail(format!(
            "The workspace name \"{name}\" is not allowed: use letters, digits, `-` and `_`"
        )))
    }
}

fn not_overridden() -> Result<(), Failure> {
    match std::env::var("TF_WORKSPACE") {
        Ok(w) if !w.trim().is_empty() => Err(fail(format!(
            "The selected workspace is currently overridden using the TF_WORKSPACE environment \
             variable (\"{}\"): unset it to select another workspace",
            w.trim()
        ))),
        _ => Ok(()),
    }
}

fn backend() -> Result<BackendSettings, Failure> {
    BackendSettings::recorded(here()).map_err(|e| Failure::from(Report::new(e)))
}

/// The workspaces of the folder's backend.
fn workspaces() -> Result<Vec<String>, Failure> {
    Store::workspaces(&backend()?, here()).map_err(|e| Failure::from(Report::new(e)))
}

fn exists(name: &str) -> Result<bool, Failure> {
    Ok(workspaces()?.iter().any(|w| w == name))
}

/// A new workspace: its folder for local state, an empty state in a remote backend (as
/// Terraform writes one).
fn create(name: &str) -> Result<(), Failure> {
    let b = backend()?;
    let store = Store::with(&b, here(), name).map_err(Report::new)?;
    store.ensure_dir().map_err(Report::new)?;
    if !b.is_local() {
        let _held = store.lock("workspace new").map_err(Report::new)?;
        if store.read_raw().map_err(Report::new)?.is_none() {
            store.write(&mut State::new()).map_err(Report::new)?;
        }
    }
    Ok(())
}

/// Runs one workspace command.
pub fn run(c: WorkspaceCommand) -> Result<ExitCode, Failure> {
    let current = current_workspace(here());
    match c {
        WorkspaceCommand::List => {
            for w in workspaces()? {
                let mark = if w == current { "*" } else { " " };
                println!("{mark} {w}");
            }
        }
        WorkspaceCommand::Show => println!("{current}"),
        WorkspaceCommand::New { name } => {
            check_name(&name)?;
            not_overridden()?;
            if exists(&name)? {
                return Err(fail(format!("Workspace \"{name}\" already exists")));
            }
            create(&name)?;
            select_workspace(here(), &name).map_err(Report::new)?;
            println!(
                "Created and switched to workspace \"{name}\"!\n\nYou're now on a new, empty \
                 workspace. Workspaces isolate their state, so if you run \"keyway plan\" keyway \
                 will not see any existing state for this configuration."
            );
        }
        WorkspaceCommand::Select { name, or_create } => {
            check_name(&name)?;
            not_overridden()?;
            if !exists(&name)? {
                if !or_create {
                    return Err(fail(format!(
                        "Workspace \"{name}\" doesn't exist.\n\nYou can create this workspace \
                         with the \"new\" subcommand or include the \"-or-create\" flag with the \
                         \"select\" subcommand."
                    )));
                }
                create(&name)?;
            }
            select_workspace(here(), &name).map_err(Report::new)?;
            println!("Switched to workspace \"{name}\".");
        }
        WorkspaceCommand::Delete { name, force } => delete(&name, &current, force)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn delete(name: &str, current: &str, force: bool) -> Result<(), Failure> {
    if name == DEFAULT_WORKSPACE {
        return Err(fail("The \"default\" workspace cannot be deleted".into()));
    }
    if !exists(name)? {
        return Err(fail(format!("Workspace \"{name}\" doesn't exist.")));
    }
    if name == current {
        return Err(fail(format!(
            "Workspace \"{name}\" is your active workspace.\n\nYou cannot delete the currently \
             active workspace. Please switch to another workspace and try again."
        )));
    }
    let store = Store::with(&backend()?, here(), name).map_err(Report::new)?;
    let held = store.lock("workspace delete").map_err(Report::new)?;
    let tracked: Vec<String> = store
        .read()
        .map_err(Report::new)?
        .map(|s| {
            s.resources
                .keys()
                .chain(s.pending.keys())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if !tracked.is_empty() && !force {
        return Err(fail(format!(
            "Workspace \"{name}\" is currently tracking the following resource instances:\n{}\n\n\
             Deleting this workspace would cause keyway to lose track of any associated remote \
             objects, which would then require you to delete them manually outside of keyway. \
             You should destroy these objects with keyway before deleting the workspace.\n\n\
             If you want to delete this workspace anyway, and have keyway forget about these \
             managed objects, use the -force option.",
            tracked
                .iter()
                .map(|a| format!("  - {a}"))
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    if store.local().is_some() {
        // The lock file lives in the folder being deleted.
        drop(held);
        store.delete_state().map_err(Report::new)?;
    } else {
        store.delete_state().map_err(Report::new)?;
        drop(held);
    }
    println!("Deleted workspace \"{name}\"!");
    Ok(())
}
