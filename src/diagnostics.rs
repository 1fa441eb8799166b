//! Diagnostics: located errors and warnings about the user's input, rendered by miette.
//!
//! Every layer reports problems in the configuration as [`Diagnostic`]s pointing into a
//! [`Sources`] file, so that all of them can be shown together with the span underlined.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode};

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub usize);

/// One loaded source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Full path.
    pub path: PathBuf,
    /// Name shown to users (relative to the working folder).
    pub name: String,
    /// Contents.
    pub text: Arc<str>,
}

/// Every source file of a configuration, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: PathBuf, name: String, text: String) -> FileId {
        self.files.push(SourceFile {
            path,
            name,
            text: text.into(),
        });
        FileId(self.files.len() - 1)
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// All files in load order (sorted by name).
    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let text = &self.get(id).text;
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

/// The text of a file that is not all UTF-8, each invalid byte replaced by `?`: one byte for
/// one, so that byte offsets, lines and columns stay those of the file.
pub fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(after.len());
                out.extend(std::iter::repeat_n('?', bad));
                rest = &after[bad..];
            }
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Stops the command.
    Error,
    /// Reported; the command goes on.
    Warning,
}

/// A problem with the user's input.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, `<layer>::<kind>`.
    pub code: &'static str,
    /// One sentence.
    pub message: String,
    /// Where, when known.
    pub location: Option<(FileId, Range<usize>)>,
    /// The label under the span.
    pub label: Option<String>,
    /// Help text.
    pub help: Option<String>,
    /// The block it belongs to when that is not the one its span names, e.g. `check "api"`
    /// (rendered Terraform's way: `on main.tf line 3, in check "api":`).
    pub within: Option<String>,
    /// Values of the expression's references, Terraform's way (`var.want is "blue"`).
    pub expression_values: Vec<String>,
    /// Further labelled spans in the same file (the other members of a cycle).
    pub also: Vec<(Range<usize>, String)>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
            label: None,
            help: None,
            within: None,
            expression_values: Vec::new(),
            also: Vec::new(),
        }
    }

    /// A warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Attaches a location.
    pub fn at(mut self, file: FileId, span: Option<Range<usize>>) -> Diagnostic {
        self.location = Some((file, span.unwrap_or(0..0)));
        self
    }

    /// Attaches a label.
    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Attaches help text.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Names the enclosing block.
    pub fn within(mut self, block: impl Into<String>) -> Diagnostic {
        self.within = Some(block.into());
        self
    }

    /// Attaches the values of the expression's references.
    pub fn with_values(mut self, values: Vec<String>) -> Diagnostic {
        self.expression_values = values;
        self
    }

    /// Labels another span in the file of the location.
    pub fn also(mut self, span: Range<usize>, label: impl Into<String>) -> Diagnostic {
        self.also.push((span, label.into()));
        self
    }

    /// Attaches optional help text.
    pub fn maybe_help(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    /// A miette report of this diagnostic with its source attached.
    pub fn to_report(&self, sources: &Sources) -> miette::Report {
        let source = self.location.as_ref().map(|(file, _)| {
            let f = sources.get(*file);
            NamedSource::new(f.name.clone(), f.text.to_string()).with_language("hcl")
        });
        miette::Report::new(Rendered {
            diag: self.clone(),
            source,
        })
    }
}

/// A diagnostic together with its source, for miette.
#[derive(Debug)]
struct Rendered {
    diag: Diagnostic,
    source: Option<NamedSource<String>>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, span) = self.diag.location.as_ref()?;
        let label = LabeledSpan::new(self.diag.label.clone(), span.start, span.len());
        let also = self
            .diag
            .also
            .iter()
            .map(|(span, text)| LabeledSpan::new(Some(text.clone()), span.start, span.len()));
        Some(Box::new(std::iter::once(label).chain(also)))
    }
}

/// A failed command's diagnostics (at least one error), as a Rust error.
#[derive(Debug, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{}", d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl Diagnostics {
    /// True if any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
}
