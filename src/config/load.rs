//! Loading a folder: reads every `*.tf` file (sorted by name), as Terraform does (a
//! `backend.hcl` for `-backend-config` or `.terraform.lock.hcl` beside them are not
//! configuration), parses them with
//! hcl-edit and lowers them into a [`Config`], collecting every error before returning.

use std::path::Path;

use crate::config::lower::lower_file;
use crate::config::model::Config;
use crate::diagnostics::{Diagnostic, Diagnostics, FileId, Sources};

/// Loads the configuration folder `dir`.
pub fn load(dir: &Path) -> Result<Config, Diagnostics> {
    load_with_sources(dir).map_err(|(d, _)| d)
}

/// Loads the configuration folder `dir` and the modules it calls; on failure, the
/// diagnostics come with every file read (the modules' too), so that they can be shown.
pub fn load_with_sources(dir: &Path) -> Result<Config, (Diagnostics, Sources)> {
    let mut config = Config {
        dir: dir.to_path_buf(),
        ..Config::default()
    };
    let mut diags = Vec::new();
    if !read_folder(&mut config, dir, "", &mut diags) {
        return Err((Diagnostics(diags), config.sources));
    }
    crate::config::modules::load_children(&mut config, &mut diags);
    let sources = config.sources.clone();
    finish(config, diags).map_err(|d| (d, sources))
}

/// Reads and lowers every `*.tf` file of `dir` into `config`, naming each file
/// `shown` + its file name in diagnostics (`modules/api/` for a module's). False when the
/// folder cannot be read or holds no configuration file (the reason is in `diags`).
pub(crate) fn read_folder(
    config: &mut Config,
    dir: &Path,
    shown: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::error(
                "config::read",
                format!(
                    "Cannot read the configuration folder `{}`: {e}",
                    dir.display()
                ),
            ));
            return false;
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("tf")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        diags.push(
            Diagnostic::error(
                "config::empty",
                format!("No configuration files (`*.tf`) in `{}`", dir.display()),
            )
            .help("run keyway in a folder holding your configuration, or pass the folder: `keyway plan DIR`"),
        );
        return false;
    }
    for path in paths {
        let name = path
            .file_name()
            .map(|n| format!("{shown}{}", n.to_string_lossy()))
            .unwrap_or_default();
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    let id = config.sources.add(path.clone(), name, text);
                    parse_into(config, id, diags);
                }
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let text = crate::diagnostics::lossy(e.as_bytes());
                    let id = config.sources.add(path.clone(), name, text);
                    diags.push(invalid_encoding(id, at));
                }
            },
            Err(e) => diags.push(Diagnostic::error(
                "config::read",
                format!("Cannot read `{}`: {e}", path.display()),
            )),
        }
    }
    true
}

/// Parses configuration text from memory (tests, `-chdir`-less callers).
pub fn load_str(text: &str) -> Result<Config, Diagnostics> {
    let mut config = Config::default();
    let mut diags = Vec::new();
    let id = config
        .sources
        .add("main.tf".into(), "main.tf".into(), text.to_owned());
    parse_into(&mut config, id, &mut diags);
    finish(config, diags)
}

/// Static checks and advice; errors fail the load, warnings travel with the config.
fn finish(mut config: Config, mut diags: Vec<Diagnostic>) -> Result<Config, Diagnostics> {
    crate::config::validate::check(&config, &mut diags);
    if diags
        .iter()
        .any(|d| d.severity == crate::diagnostics::Severity::Error)
    {
        return Err(Diagnostics(diags));
    }
    crate::config::advice::check(&config, &mut diags);
    config.warnings = diags;
    Ok(config)
}

fn parse_into(config: &mut Config, id: FileId, diags: &mut Vec<Diagnostic>) {
    let text = config.sources.get(id).text.clone();
    match hcl_edit::parser::parse_body(&text) {
        Ok(mut body) => {
            crate::lang::template::restore_flush_heredocs(&mut body, &text);
            lower_file(config, id, &mut body, diags)
        }
        Err(e) => {
            let offset = e.location().offset();
            // Only when the parser ran out of file: an error inside the block comes first.
            let at_end = offset >= text.trim_end().len();
            if let Some(brace) = crate::config::braces::unclosed(&text).filter(|_| at_end) {
                diags.push(unclosed_block(id, brace));
                return;
            }
            diags.push(
                Diagnostic::error(
                    "config::syntax",
                    format!("Invalid HCL syntax: {}", first_line(&e.to_string())),
                )
                .at(id, Some(offset..offset + 1))
                .label(e.message().to_owned()),
            );
        }
    }
}

/// Terraform's error for a block whose `{` is never closed, at that brace: the parser stops
/// at the end of the file, which says nothing of which block is open.
fn unclosed_block(id: FileId, brace: usize) -> Diagnostic {
    Diagnostic::error("config::unclosed_block", "Unclosed configuration block")
        .at(id, Some(brace..brace + 1))
        .label("this block is never closed")
        .help("There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.")
}

/// Terraform's error for a file that is not UTF-8, at the first offending byte (the file is
/// kept with `?` in its place so that the error can show the line).
fn invalid_encoding(id: FileId, at: usize) -> Diagnostic {
    Diagnostic::error("config::encoding", "Invalid character encoding")
        .at(id, Some(at..at + 1))
        .label("not UTF-8")
        .help("All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in your editor.")
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_owned()
}
