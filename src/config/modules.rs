//! The module tree: each `module` call's folder found from its `source` (a local path, or
//! the copy `keyway init` installed under `.keyway/modules/` for a git or registry source),
//! loaded once per call into [`Config::children`], checked on its own (references inside a
//! module resolve in the module), and the call's arguments checked against the module's
//! variables. Instances are made later, by `config::expand`.

use std::path::{Component, Path, PathBuf};

use crate::config::model::{Config, ModuleCall};
use crate::diagnostics::Diagnostic;

/// How deep modules may nest: a module calling itself would otherwise recurse forever.
pub const MAX_DEPTH: usize = 16;

/// Where `keyway init` puts the modules it downloads, under the root folder.
pub const INSTALL_DIR: &str = ".keyway/modules";

/// True when `source` is a path on this machine (Terraform's rule: it starts with `./` or
/// `../`); anything else is fetched by `keyway init`.
pub fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// Loads the folder of every module call of `config`, recursively.
pub fn load_children(config: &mut Config, diags: &mut Vec<Diagnostic>) {
    let root = config.dir.clone();
    let chain = vec![canonical(&root)];
    load_calls(config, &root, "", &chain, diags);
}

/// A folder's identity for cycle detection.
fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| normalize(dir))
}

/// The folder of module `key` (dotted call names, `api.inner`) installed by `keyway init`.
pub fn installed_dir(root: &Path, key: &str) -> PathBuf {
    root.join(INSTALL_DIR).join(key)
}

/// Loads the calls of `parent`; `chain` holds the folders of the calls that led here (the
/// root first), so a module calling itself, directly or not, is an error rather than an
/// endless (or exponential) load.
fn load_calls(
    parent: &mut Config,
    root: &Path,
    key_prefix: &str,
    chain: &[PathBuf],
    diags: &mut Vec<Diagnostic>,
) {
    let depth = chain.len() - 1;
    let calls: Vec<ModuleCall> = parent.module_calls.values().cloned().collect();
    for call in calls {
        let key = format!("{key_prefix}{}", call.name);
        if depth >= MAX_DEPTH {
            diags.push(
                Diagnostic::error(
                    "config::module_depth",
                    format!("Modules nest more than {MAX_DEPTH} deep at `module.{key}`"),
                )
                .at(call.file, call.span.clone())
                .help("does a module call itself?"),
            );
            continue;
        }
        let Some(dir) = folder_of(&call, &parent.dir, root, &key, diags) else {
            continue;
        };
        if !dir.is_dir() {
            diags.push(
                Diagnostic::error(
                    "config::module_missing",
                    format!(
                        "Module `{}`: no folder at `{}` (source `{}`)",
                        call.name,
                        display(&dir),
                        call.source
                    ),
                )
                .at(call.file, call.source_span.clone()),
            );
            continue;
        }
        let id = canonical(&dir);
        if chain.contains(&id) {
            diags.push(
                Diagnostic::error(
                    "config::module_cycle",
                    format!(
                        "Module `module.{key}` calls the folder `{}`, which is already calling it",
                        display(&dir)
                    ),
                )
                .at(call.file, call.source_span.clone())
                .help("a module cannot call itself, directly or through other modules"),
            );
            continue;
        }
        let mut child = Config {
            dir: dir.clone(),
            sources: std::mem::take(&mut parent.sources),
            ..Config::default()
        };
        let shown = format!("{}/", display(&dir));
        let mut own = Vec::new();
        if crate::config::load::read_folder(&mut child, &dir, &shown, &mut own) {
            let mut deeper = chain.to_vec();
            deeper.push(id);
            load_calls(&mut child, root, &format!("{key}."), &deeper, &mut own);
            crate::config::validate::check(&child, &mut own);
        }
        parent.sources = std::mem::take(&mut child.sources);
        let place = parent.sources.get(call.file).name.clone();
        let line = call
            .span
            .as_ref()
            .map_or(1, |s| parent.sources.line_col(call.file, s.start).0);
        diags.extend(own.into_iter().map(|d| called_from(d, &key, &place, line)));
        check_arguments(&call, &child, diags);
        parent.children.insert(call.name.clone(), child);
    }
}

/// The folder a call's source names: a local path relative to the calling module's folder,
/// else the installed copy.
fn folder_of(
    call: &ModuleCall,
    parent_dir: &Path,
    root: &Path,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<PathBuf> {
    if is_local(&call.source) {
        return Some(normalize(&parent_dir.join(&call.source)));
    }
    let dir = installed_dir(root, key);
    if dir.join(SOURCE_FILE).is_file() {
        return Some(normalize(&dir));
    }
    diags.push(
        Diagnostic::error(
            "config::module_not_installed",
            format!(
                "Module `{}` is not installed (source `{}`)",
                call.name, call.source
            ),
        )
        .at(call.file, call.source_span.clone())
        .help("run `keyway init` to fetch the modules this configuration calls"),
    );
    None
}

/// The file `keyway init` writes in an installed module's folder, recording where it came
/// from (a changed `source` or `version` makes it fetch again).
pub const SOURCE_FILE: &str = ".keyway-module-source";

/// Lexically removes `.` and `a/..` components, so that paths shown in diagnostics and
/// `path.module` read as Terraform's (`modules/api`, not `./modules/./api`).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A diagnostic from inside a module, saying which call brought the module in.
fn called_from(mut d: Diagnostic, key: &str, place: &str, line: usize) -> Diagnostic {
    let note = format!(
        "in module `module.{}`, called at {place} line {line}",
        key.replace('.', ".module.")
    );
    d.help = Some(match d.help.take() {
        Some(h) => format!("{h}\n{note}"),
        None => note,
    });
    d
}

/// Each argument of the call is a variable the module declares; each variable without a
/// default is set.
fn check_arguments(call: &ModuleCall, child: &Config, diags: &mut Vec<Diagnostic>) {
    for (name, e) in &call.args {
        if !child.variables.contains_key(name) {
            let help = crate::lang::eval::suggest(name, child.variables.keys().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("module `{}` declares no variable `{name}`", call.name));
            diags.push(
                Diagnostic::error(
                    "config::module_argument",
                    format!("Unsupported argument `{name}` for module `{}`", call.name),
                )
                .at(e.file, e.span())
                .help(help),
            );
        }
    }
    for (name, v) in &child.variables {
        if v.default.is_none() && !call.args.contains_key(name) {
            diags.push(
                Diagnostic::error(
                    "config::module_argument",
                    format!(
                        "Missing required argument: module `{}` needs `{name}`",
                        call.name
                    ),
                )
                .at(call.file, call.span.clone())
                .help(format!("the module's variable `{name}` has no default: set `{name} = ...` in the module block")),
            );
        }
    }
}
