//! The working folder: loads configuration, variables, graph and state, and hands out the
//! providers and the state store. The IO edge between the cli and the engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::Report;

use crate::cli::args::PlanFlags;
use crate::config::vars::{resolve, VarArg};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::graph::Graph;
use crate::lang::Value;
use crate::providers::Registry;
use crate::state::{LocalStore, State};

/// A loaded working folder.
pub struct Workspace {
    /// The configuration.
    pub config: Config,
    /// Its dependency graph.
    pub graph: Graph,
    /// The state store.
    pub store: Arc<LocalStore>,
    /// Providers.
    pub providers: Registry,
}

/// Failure of a command, already rendered into reports.
pub struct Failure(pub Vec<Report>);

impl From<Report> for Failure {
    fn from(r: Report) -> Failure {
        Failure(vec![r])
    }
}

/// Reports for diagnostics.
pub fn reports(diags: &[Diagnostic], sources: &Sources) -> Vec<Report> {
    diags.iter().map(|d| d.to_report(sources)).collect()
}

/// Changes into the folder (`-chdir`, or a folder argument), as Terraform does, so that
/// `path.module` is `.` and relative paths behave the same.
pub fn enter(dir: Option<&Path>) -> Result<(), Failure> {
    if let Some(d) = dir {
        std::env::set_current_dir(d)
            .map_err(|e| Report::msg(format!("Cannot change into `{}`: {e}", d.display())))?;
    }
    Ok(())
}

impl Workspace {
    /// Loads the configuration of the current folder and builds its graph.
    pub fn load() -> Result<Workspace, Failure> {
        Workspace::load_with(Arc::new(LocalStore::new(Path::new("."))))
    }

    /// Loads the configuration, using an already opened state store.
    pub fn load_with(store: Arc<LocalStore>) -> Result<Workspace, Failure> {
        let config = match crate::config::load(Path::new(".")) {
            Ok(c) => c,
            Err(Diagnostics(d)) => return Err(Failure(reports(&d, &loaded_sources()))),
        };
        let graph = crate::graph::build(&config)
            .map_err(|Diagnostics(d)| Failure(reports(&d, &config.sources)))?;
        Ok(Workspace {
            config,
            graph,
            store,
            providers: Registry::builtin(),
        })
    }

    /// Resolves input variables from flags, files and the environment.
    pub fn vars(
        &mut self,
        flags: &PlanFlags,
    ) -> Result<(BTreeMap<String, Value>, Vec<Report>), Failure> {
        let mut args = Vec::new();
        for v in &flags.vars {
            let Some((k, val)) = v.split_once('=') else {
                return Err(
                    Report::msg(format!("Invalid -var option `{v}`: expected NAME=VALUE")).into(),
                );
            };
            args.push(VarArg::Value(k.trim().to_owned(), val.to_owned()));
        }
        args.extend(flags.var_files.iter().cloned().map(VarArg::File));
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let mut sources = self.config.sources.clone();
        match resolve(&self.config, &args, &env, &mut sources) {
            Ok(v) => Ok((v, Vec::new())),
            Err(d) => Err(Failure(reports(&d, &sources))),
        }
    }

    /// The current state, or a fresh one.
    pub fn state(&self) -> Result<State, Failure> {
        match self.store.read() {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Ok(State::new()),
            Err(e) => Err(Report::new(e).into()),
        }
    }
}

/// The sources of a failed load: re-read so the diagnostics can show their lines.
fn loaded_sources() -> Sources {
    let mut s = Sources::default();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(".")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("tf") | Some("hcl")
            )
        })
        .collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Ok(text) = std::fs::read_to_string(&p) {
            s.add(p.clone(), name, text);
        }
    }
    s
}
