//! `state list|show|mv|rm|pull|push` and `force-unlock`.

use std::path::Path;
use std::process::ExitCode;

use miette::Report;

use crate::cli::args::StateCommand;
use crate::cli::render::value::render;
use crate::cli::workspace::Failure;
use crate::plan::values::from_state;
use crate::plan::InstanceKey;
use crate::state::Store;

/// How `state list` and `state rm` show a creation an interrupted run left pending.
const PENDING: &str = " (pending creation)";

fn matches(addr: &str, filter: &str) -> bool {
    addr == filter || InstanceKey::split(addr).0 == filter
}

/// Runs a `state` subcommand.
pub fn state(cmd: StateCommand) -> Result<ExitCode, Failure> {
    let store = crate::cli::commands::encryption::open_store()?;
    match cmd {
        StateCommand::List { addrs } => {
            let state = store.read().map_err(Report::new)?.unwrap_or_default();
            for a in state
                .resources
                .keys()
                .filter(|a| addrs.is_empty() || addrs.iter().any(|f| matches(a, f)))
            {
                println!("{a}");
            }
            for a in state
                .pending
                .keys()
                .filter(|a| addrs.is_empty() || addrs.iter().any(|f| matches(a, f)))
            {
                println!("{a}{PENDING}");
            }
        }
        StateCommand::Show { addr } => {
            let state = store.read().map_err(Report::new)?.unwrap_or_default();
            let inst = state
                .resources
                .get(&addr)
                .ok_or_else(|| Report::msg(format!("No instance `{addr}` in state")))?;
            let (block, _) = InstanceKey::split(&addr);
            let name = block.rsplit('.').next().unwrap_or_default();
            println!(
                "# {addr}:\nresource \"{}\" \"{name}\" {}",
                inst.resource_type,
                render(&from_state(inst), 0)
            );
        }
        StateCommand::Mv { from, to } => {
            let _lock = store.lock("state mv").map_err(Report::new)?;
            let mut state = store.read().map_err(Report::new)?.unwrap_or_default();
            let moving: Vec<String> = state
                .resources
                .keys()
                .filter(|a| matches(a, &from))
                .cloned()
                .collect();
            if moving.is_empty() {
                return Err(Report::msg(format!("No instance `{from}` in state")).into());
            }
            for a in &moving {
                let new = if a == &from {
                    to.clone()
                } else {
                    format!("{to}{}", &a[from.len()..])
                };
                if state.resources.contains_key(&new) {
                    return Err(Report::msg(format!(
                        "Cannot move to `{new}`: it already exists in state"
                    ))
                    .into());
                }
                if let Some(inst) = state.resources.remove(a) {
                    state.resources.insert(new.clone(), inst);
                }
                println!("Moved {a} to {new}");
            }
            store.write(&mut state).map_err(Report::new)?;
        }
        StateCommand::Rm { addrs } => {
            let _lock = store.lock("state rm").map_err(Report::new)?;
            let mut state = store.read().map_err(Report::new)?.unwrap_or_default();
            let picked = |keys: &mut dyn Iterator<Item = &String>| -> Vec<String> {
                keys.filter(|a| addrs.iter().any(|f| matches(a, f)))
                    .cloned()
                    .collect()
            };
            let gone = picked(&mut state.resources.keys());
            // A pending creation the next run cannot settle (its lookup keeps failing) would
            // block every run: removing it is the way out, as for any recorded object.
            let gone_pending = picked(&mut state.pending.keys());
            if gone.is_empty() && gone_pending.is_empty() {
                return Err(Report::msg("No matching instances in state").into());
            }
            for a in &gone {
                state.resources.remove(a);
                println!("Removed {a}");
            }
            for a in &gone_pending {
                state.pending.remove(a);
                println!("Removed {a}{PENDING}");
            }
            store.write(&mut state).map_err(Report::new)?;
            println!(
                "Successfully removed {} resource instance(s).",
                gone.len() + gone_pending.len()
            );
        }
        StateCommand::Pull => {
            if let Some(text) = store.read_raw().map_err(Report::new)? {
                print!("{text}");
            }
        }
        StateCommand::Push { file, force } => {
            let _lock = store.lock("state push").map_err(Report::new)?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Report::msg(format!("Cannot read `{}`: {e}", file.display())))?;
            store.write_raw(&text, force).map_err(Report::new)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `keyway force-unlock [-force -holder=PID] ID`.
pub fn force_unlock(id: &str, holder: Option<u32>) -> Result<ExitCode, Failure> {
    Store::open(Path::new("."))
        .and_then(|s| s.force_unlock(id, holder))
        .map_err(Report::new)?;
    println!("keyway state has been successfully unlocked!");
    Ok(ExitCode::SUCCESS)
}
