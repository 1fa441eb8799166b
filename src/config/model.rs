//! The lowered configuration: every block of a folder, with expressions kept unevaluated and
//! located, so later stages can evaluate them and point errors at their source.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use hcl_edit::expr::Expression;
use hcl_edit::Span;

use crate::diagnostics::{FileId, Sources};
use crate::lang::types::Type;

/// An unevaluated expression and the file it came from.
#[derive(Clone, Debug)]
pub struct Expr {
    /// The file.
    pub file: FileId,
    /// The syntax tree (spans are byte offsets into the file).
    pub expr: Expression,
}

impl Expr {
    /// The expression's span.
    pub fn span(&self) -> Option<Range<usize>> {
        self.expr.span()
    }

    /// Where the name of the argument `name = <this expression>` is: the model keeps only
    /// the value's span, and the name ends before the `=` however far the `=` is aligned.
    /// `None` when the text before the value is not `name =`.
    pub fn argument_name_span(&self, sources: &Sources, name: &str) -> Option<Range<usize>> {
        let value = self.span()?;
        let text = &sources.get(self.file).text;
        let before = text.get(..value.start)?.trim_end_matches([' ', '\t']);
        let end = before
            .strip_suffix('=')?
            .trim_end_matches([' ', '\t'])
            .len();
        let start = end.checked_sub(name.len())?;
        (text.get(start..end) == Some(name)).then_some(start..end)
    }
}

/// A whole configuration folder.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The folder (`path.module`).
    pub dir: PathBuf,
    /// Its source files.
    pub sources: Sources,
    /// `variable` blocks by name.
    pub variables: BTreeMap<String, Variable>,
    /// `locals` entries by name.
    pub locals: BTreeMap<String, Local>,
    /// `resource` and `data` blocks by address (`type.name`, `data.type.name`).
    pub resources: BTreeMap<String, Resource>,
    /// `output` blocks by name.
    pub outputs: BTreeMap<String, Output>,
    /// `provider` blocks.
    pub providers: Vec<ProviderBlock>,
    /// `check` blocks by name.
    pub checks: BTreeMap<String, Check>,
    /// `moved` blocks.
    pub moved: Vec<Moved>,
    /// `removed` blocks.
    pub removed: Vec<Removed>,
    /// Warnings found while loading (advice on missing steps); shown by validate and plan.
    pub warnings: Vec<crate::diagnostics::Diagnostic>,
    /// The workspace (`terraform.workspace`); empty means `default`. The cli sets it.
    pub workspace: String,
}

/// A `variable` block.
#[derive(Clone, Debug)]
pub struct Variable {
    /// Name.
    pub name: String,
    /// Where the block is.
    pub file: FileId,
    /// The block's label span.
    pub span: Option<Range<usize>>,
    /// `type`.
    pub ty: Option<Type>,
    /// `default`.
    pub default: Option<Expr>,
    /// `description`.
    pub description: Option<String>,
    /// `sensitive`.
    pub sensitive: bool,
    /// `nullable` (default true).
    pub nullable: bool,
    /// `validation` blocks.
    pub validations: Vec<Validation>,
}

/// A `validation` (or `precondition` / `assert`) block.
#[derive(Clone, Debug)]
pub struct Validation {
    /// `condition`.
    pub condition: Expr,
    /// `error_message`.
    pub error_message: Expr,
}

/// One `locals` entry.
#[derive(Clone, Debug)]
pub struct Local {
    /// Name.
    pub name: String,
    /// Value.
    pub value: Expr,
}

/// Whether a resource block manages or only reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// `resource`.
    Managed,
    /// `data`.
    Data,
}

/// A `resource` or `data` block.
#[derive(Clone, Debug)]
pub struct Resource {
    /// Managed or data.
    pub mode: Mode,
    /// Resource type, e.g. `terraform_data`.
    pub ty: String,
    /// Name.
    pub name: String,
    /// Where the block is.
    pub file: FileId,
    /// The block header's span.
    pub span: Option<Range<usize>>,
    /// `count`.
    pub count: Option<Expr>,
    /// `for_each`.
    pub for_each: Option<Expr>,
    /// `depends_on` entries.
    pub depends_on: Vec<Expr>,
    /// `provider` meta-argument (`google-beta`, `google.alias`), verbatim.
    pub provider: Option<String>,
    /// `lifecycle`.
    pub lifecycle: Lifecycle,
    /// The resource's own arguments and nested blocks.
    pub body: Body,
    /// `provisioner "local-exec"` blocks, in source order.
    pub provisioners: Vec<Provisioner>,
}

/// A `provisioner "local-exec"` block: a command run on this machine after the object is
/// created (or, with `when = destroy`, before it is destroyed).
#[derive(Clone, Debug)]
pub struct Provisioner {
    /// Runs before the object is destroyed instead of after it is created.
    pub when_destroy: bool,
    /// `on_failure = continue`: a failure is a warning, not an error.
    pub on_failure_continue: bool,
    /// Where the block is.
    pub file: FileId,
    /// The block header's span.
    pub span: Option<Range<usize>>,
    /// `command`, `interpreter`, `environment`, `working_dir`, `quiet`.
    pub body: Body,
}

impl Resource {
    /// The address: `type.name` or `data.type.name`.
    pub fn address(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.ty, self.name),
            Mode::Data => format!("data.{}.{}", self.ty, self.name),
        }
    }
}

/// Arguments and nested blocks of a resource (or of a nested block).
#[derive(Clone, Debug, Default)]
pub struct Body {
    /// Arguments by name.
    pub attrs: Attrs,
    /// Nested blocks in source order.
    pub blocks: Vec<NestedBlock>,
}

/// A body's arguments, sorted by name. A sorted vector rather than a `BTreeMap`: bodies hold a
/// handful of arguments, and a map's node (room for eleven entries) per body is most of the
/// memory a 5,000-resource folder's model takes.
#[derive(Clone, Debug, Default)]
pub struct Attrs(Vec<(String, Expr)>);

impl Attrs {
    /// The argument `name`.
    pub fn get(&self, name: &str) -> Option<&Expr> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    /// True if the argument is set.
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets an argument, replacing an earlier one of the same name.
    pub fn insert(&mut self, name: String, e: Expr) {
        match self.find(&name) {
            Ok(i) => self.0[i].1 = e,
            Err(i) => self.0.insert(i, (name, e)),
        }
    }

    /// Arguments in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Expr)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Expressions in name order.
    pub fn values(&self) -> impl Iterator<Item = &Expr> {
        self.0.iter().map(|(_, v)| v)
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }
}

impl<'a> IntoIterator for &'a Attrs {
    type Item = (&'a String, &'a Expr);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Expr)>,
        fn(&'a (String, Expr)) -> (&'a String, &'a Expr),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// A nested block inside a resource body.
#[derive(Clone, Debug)]
pub struct NestedBlock {
    /// Block type, e.g. `template`.
    pub ty: String,
    /// Where it is.
    pub file: FileId,
    /// Its span.
    pub span: Option<Range<usize>>,
    /// Contents (a `dynamic` block's `content`).
    pub body: Body,
    /// Set when this is a `dynamic "ty"` block, which generates zero or more `ty` blocks.
    pub dynamic: Option<Box<Dynamic>>,
}

/// What makes a nested block `dynamic`: the collection it repeats over and the name each
/// repetition sees its element under. Its `content` is the nested block's body, its label the
/// block type, so schema checks and graph edges treat it as the blocks it generates.
#[derive(Clone, Debug)]
pub struct Dynamic {
    /// `for_each`.
    pub for_each: Expr,
    /// `iterator` (the label when absent): `NAME.key` and `NAME.value` inside `content`.
    pub iterator: String,
}

/// A `lifecycle` block.
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    /// `create_before_destroy` (an expression: keyway allows variables here).
    pub create_before_destroy: Option<Expr>,
    /// `prevent_destroy` (an expression: keyway allows variables here).
    pub prevent_destroy: Option<Expr>,
    /// `ignore_changes`.
    pub ignore_changes: IgnoreChanges,
    /// `replace_triggered_by` references.
    pub replace_triggered_by: Vec<Expr>,
    /// `precondition` blocks.
    pub preconditions: Vec<Validation>,
    /// `postcondition` blocks.
    pub postconditions: Vec<Validation>,
}

/// `ignore_changes`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum IgnoreChanges {
    /// Nothing ignored.
    #[default]
    None,
    /// Top-level attribute names (nested paths ignore their top-level attribute).
    Attrs(Vec<String>),
    /// `all`.
    All,
}

/// An `output` block.
#[derive(Clone, Debug)]
pub struct Output {
    /// Name.
    pub name: String,
    /// Where it is.
    pub file: FileId,
    /// Its span.
    pub span: Option<Range<usize>>,
    /// `value`.
    pub value: Expr,
    /// `sensitive`.
    pub sensitive: bool,
    /// `description`.
    pub description: Option<String>,
    /// `depends_on`.
    pub depends_on: Vec<Expr>,
    /// `precondition` blocks.
    pub preconditions: Vec<Validation>,
}

/// A `provider` block.
#[derive(Clone, Debug)]
pub struct ProviderBlock {
    /// Provider name (`google`).
    pub name: String,
    /// `alias`.
    pub alias: Option<String>,
    /// Where it is.
    pub file: FileId,
    /// Arguments.
    pub body: Body,
}

/// A `check` block.
#[derive(Clone, Debug)]
pub struct Check {
    /// Name.
    pub name: String,
    /// Where it is.
    pub file: FileId,
    /// Scoped data sources (`data.type.name` inside the check).
    pub data: Vec<Resource>,
    /// `assert` blocks.
    pub asserts: Vec<Validation>,
}

/// A `removed` block: the object at `from` leaves the configuration; with `destroy = false`
/// it is forgotten (dropped from state, left in the cloud) rather than destroyed.
#[derive(Clone, Debug)]
pub struct Removed {
    /// Where it is.
    pub file: FileId,
    /// The block header's span.
    pub span: Option<Range<usize>>,
    /// `from`: a resource (all its instances) or one instance.
    pub from: String,
    /// `lifecycle { destroy = ... }` (Terraform's default: true).
    pub destroy: bool,
}

/// A `moved` block.
#[derive(Clone, Debug)]
pub struct Moved {
    /// Where it is.
    pub file: FileId,
    /// `from` address.
    pub from: String,
    /// `to` address.
    pub to: String,
}
