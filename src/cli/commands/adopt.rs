//! Switching from Terraform: `keyway init` offers to adopt the folder's `terraform.tfstate`
//! (`state::terraform` reads it), and commands that use state refuse to start from an empty
//! keyway state while Terraform's says objects exist — planning then would create every one
//! of them a second time.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use miette::Report;

use crate::cli::workspace::Failure;
use crate::state::terraform::{read, Adoption};
use crate::state::Store;

/// Terraform's default local state file.
const TFSTATE: &str = "terraform.tfstate";

/// Terraform's state of the current workspace (`terraform.tfstate` for `default`, else
/// `terraform.tfstate.d/{name}/terraform.tfstate`).
fn terraform_state() -> Result<Option<Adoption>, Failure> {
    let ws = crate::state::current_workspace(Path::new("."));
    let path = if ws == crate::state::DEFAULT_WORKSPACE {
        std::path::PathBuf::from(TFSTATE)
    } else {
        Path::new("terraform.tfstate.d").join(&ws).join(TFSTATE)
    };
    let path = path.as_path();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Report::msg(format!("cannot read {}: {e}", path.display())).into()),
    };
    read(path, &text)
        .map(Some)
        .map_err(|e| Report::new(e).into())
}

/// Refuses to go on from an empty keyway state when Terraform's state manages objects here.
pub fn guard() -> Result<(), Failure> {
    let Some(a) = terraform_state()? else {
        return Ok(());
    };
    let managed = a.adopted.len() + a.refused.len();
    if managed == 0 {
        return Ok(());
    }
    Err(Report::msg(format!(
        "This folder has Terraform's state ({TFSTATE}, {managed} managed resources) and no keyway \
         state: planning now would create every object it manages a second time.\n\nRun \
         `keyway init` to adopt Terraform's state (keyway shows what it takes over and asks \
         first), or move {TFSTATE} away if this folder is meant to start afresh."
    ))
    .into())
}

/// `keyway init`'s offer: adopts `terraform.tfstate` into an empty keyway state after showing
/// what is taken over and what is not, when the user agrees (or passed `-force-copy`).
pub fn offer(store: &Store, force_copy: bool) -> Result<(), Failure> {
    let _held = store.lock("init").map_err(Report::new)?;
    let remote = match store.read_raw().map_err(Report::new)? {
        // The team's backend still holds Terraform's state: adopt it in place.
        Some(text) if crate::state::terraform::is_terraform_state(&text) => {
            let location = store.location();
            Some(read(Path::new(&location), &text).map_err(Report::new)?)
        }
        Some(_) => return Ok(()),
        None => None,
    };
    let from = if remote.is_some() {
        store.location()
    } else {
        TFSTATE.to_owned()
    };
    let Some(mut a) = remote.map_or_else(terraform_state, |a| Ok(Some(a)))? else {
        return Ok(());
    };
    if a.adopted.is_empty() && a.refused.is_empty() {
        return Ok(());
    }
    println!(
        "Terraform's state found in {from} (serial {}, lineage {}).",
        a.serial, a.state.lineage
    );
    if !a.adopted.is_empty() {
        println!("\nkeyway can take over these {} objects:", a.adopted.len());
        for addr in &a.adopted {
            println!("  {addr}");
        }
    }
    if !a.refused.is_empty() {
        println!("\nkeyway cannot take over these, which stay Terraform's to manage:");
        for (addr, why) in &a.refused {
            println!("  {addr}: {why}");
        }
    }
    if a.adopted.is_empty() {
        println!("\nNothing to adopt; keyway's state stays empty.");
        return Ok(());
    }
    if !force_copy && !agreed()? {
        return Err(Report::msg("Adoption cancelled: nothing was written").into());
    }
    // The next serial of the same lineage, so the history stays one.
    a.state.serial = a.serial;
    store.write(&mut a.state).map_err(Report::new)?;
    if from == TFSTATE {
        println!(
            "\nkeyway's state now holds them ({}). {TFSTATE} was left as it is: run `keyway plan` \
             to check that nothing changes, and stop applying this folder with Terraform.",
            store.location()
        );
    } else {
        println!(
            "\nkeyway's state now holds them, in place of Terraform's ({from}, serial {}). Run \
             `keyway plan` to check that nothing changes; Terraform can no longer read this \
             state, so stop applying this folder with it.",
            a.state.serial
        );
    }
    Ok(())
}

fn agreed() -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Report::msg(
            "keyway will not adopt Terraform's state without a yes: run `keyway init` in a \
             terminal, or `keyway init -force-copy` to agree in advance",
        )
        .into());
    }
    print!(
        "\nDo you want keyway to adopt them?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    Ok(line.trim() == "yes")
}
