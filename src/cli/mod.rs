//! The command-line interface: parses arguments, runs the command, renders results and
//! errors. The only module that prints.

pub mod args;
mod aws_settings;
pub mod commands;
pub mod render;
pub mod workspace;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::args::{Cli, Command};
use crate::cli::render::style::Style;
use crate::cli::workspace::Failure;

/// Runs keyway with the process arguments; returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(args::normalize(std::env::args())) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let color =
        !cli.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let err_color =
        !cli.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(err_color)
                .unicode(err_color)
                .wrap_lines(err_color)
                .build(),
        )
    }));
    if let Some(dir) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            eprintln!("Error: cannot change into `{}`: {e}", dir.display());
            return ExitCode::from(1);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let st = Style { color };
    workspace::EMBEDDED_EMULATOR.store(cli.emulator, std::sync::atomic::Ordering::SeqCst);
    match runtime.block_on(run(cli.command, st)) {
        Ok(code) => code,
        Err(Failure(reports)) => {
            for r in reports {
                match r.downcast_ref::<render::diagnostic::TerraformLayout>() {
                    Some(t) => eprint!("{}", t.text(err_color)),
                    None => eprintln!("{r:?}"),
                }
            }
            ExitCode::from(1)
        }
    }
}

async fn run(command: Command, st: Style) -> Result<ExitCode, Failure> {
    use commands::*;
    match command {
        Command::Init(a) => misc::init(a).await,
        Command::Validate { dir, json } => misc::validate(dir, json),
        Command::Fmt {
            paths,
            check,
            diff,
            recursive,
        } => misc::fmt(paths, check, diff, recursive),
        Command::Plan(a) => plan::plan(a, st).await,
        Command::Apply(a) => plan::apply(a, st, false).await,
        Command::Destroy(a) => plan::apply(a, st, true).await,
        Command::Show { path, json } => misc::show(path, json, st).await,
        Command::Output { name, json, raw } => output::output(name, json, raw),
        Command::Workspace(c) => workspaces::run(c),
        Command::Import(a) => import::import(a, st).await,
        Command::State(c) => state::state(c),
        Command::Graph(d) => misc::graph(d.dir),
        Command::ForceUnlock { id, holder, .. } => state::force_unlock(&id, holder),
        Command::Emulator(a) => emulator::run(a).await,
    }
}
