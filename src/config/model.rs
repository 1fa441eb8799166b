//! The lowered configuration: every block of a folder, with expressions kept unevaluated and
//! located, so later stages can evaluate them and point errors at their source.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use hcl_edit::expr::Expression;
use hcl_edit::Span;

use crate::diagnostics::{FileId, Sources};
use crate::lang::types::Type;

/// An unevaluated expression, the file it came from and the module instance whose names it
/// sees (`var.x`, `local.y`, `type.name` resolve inside that module).
#[derive(Clone, Debug)]
pub struct Expr {
    /// The file.
    pub file: FileId,
    /// The syntax tree (spans are byte offsets into the file).
    pub expr: Expression,
    /// The module instance it is evaluated in (the root module unless it came from a module).
    pub module: ModuleRef,
}

/// The resource block of an instance address: `t.n` for `t.n["k"]` and `t.n[0]`.
pub fn instance_block(addr: &str) -> &str {
    crate::address::key_start(addr).map_or(addr, |i| &addr[..i])
}

/// One instance of a module in the module tree; the root module has an empty prefix.
#[derive(Clone, Debug, Default)]
pub struct ModuleInstance {
    /// What every address inside it starts with: `` (root), `module.api.`,
    /// `module.keys["acme"].module.inner.`.
    pub prefix: String,
    /// Its folder (`path.module`); empty for the root, whose folder is the configuration's.
    pub dir: PathBuf,
    /// The module call's `depends_on` (evaluated in the parent): everything inside waits for
    /// them.
    pub depends_on: Vec<Expr>,
    /// The calling module instance (`None` for the root).
    pub parent: Option<ModuleRef>,
}

/// A shared handle on a module instance: every expression of the instance points at it.
pub type ModuleRef = Arc<ModuleInstance>;

/// The root module instance, shared by every expression of the root folder.
pub fn root_module() -> ModuleRef {
    static ROOT: std::sync::OnceLock<ModuleRef> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| Arc::new(ModuleInstance::default()))
        .clone()
}

impl ModuleInstance {
    /// The key of `local.name` of this module in [`Config::locals`].
    pub fn local_key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}local.{name}", self.prefix)
        }
    }

    /// The key of `var.name` of this (non-root) module in [`Config::locals`].
    pub fn var_key(&self, name: &str) -> String {
        format!("{}var.{name}", self.prefix)
    }

    /// The key of output `name` of this (non-root) module in [`Config::locals`].
    pub fn output_key(&self, name: &str) -> String {
        format!("{}output.{name}", self.prefix)
    }

    /// The key of the module call `name` made from this module in [`Config::module_instances`].
    pub fn call_key(&self, name: &str) -> String {
        format!("{}module.{name}", self.prefix)
    }
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
    /// `import` blocks (root module only, as in Terraform).
    pub imports: Vec<Import>,
    /// `module` blocks of this folder, by name.
    pub module_calls: BTreeMap<String, ModuleCall>,
    /// The folder each module call loads, by call name (loaded once per call, instantiated
    /// per instance by `config::expand`).
    pub children: BTreeMap<String, Config>,
    /// After expansion: each module call of the tree (`module.a`, `module.a["k"].module.b`)
    /// and the instances it expanded into.
    pub module_instances: BTreeMap<String, CallInstances>,
    /// The root module's `terraform { backend "KIND" { ... } }` block, if any: where state
    /// lives, settled by `keyway init`.
    pub backend: Option<BackendBlock>,
    /// The root module's `terraform { encryption { ... } }` block (OpenTofu's syntax).
    pub encryption: Option<EncryptionBlock>,
}

/// An `encryption` block: key providers and methods by kind and name, and what the state and
/// saved plans use.
#[derive(Clone, Debug)]
pub struct EncryptionBlock {
    pub file: FileId,
    pub span: Option<Range<usize>>,
    /// `key_provider "pbkdf2" "NAME" { ... }`.
    pub key_providers: Vec<LabeledBlock>,
    /// `method "aes_gcm" "NAME" { keys = key_provider.pbkdf2.NAME }`, `method "unencrypted"`.
    pub methods: Vec<LabeledBlock>,
    /// `state { method = ..., enforced = ..., fallback { method = ... } }`.
    pub state: Option<NestedBlock>,
    /// `plan { ... }`, the same for saved plan files.
    pub plan: Option<NestedBlock>,
}

/// A block with a kind and a name label.
#[derive(Clone, Debug)]
pub struct LabeledBlock {
    pub kind: String,
    pub name: String,
    pub file: FileId,
    pub span: Option<Range<usize>>,
    pub body: Body,
}

/// A `backend` block: its kind and arguments (expressions: keyway allows variables in them).
#[derive(Clone, Debug)]
pub struct BackendBlock {
    /// `gcs`, `pg`, `s3`, `local`.
    pub kind: String,
    /// Where it is.
    pub file: FileId,
    /// The label's span.
    pub span: Option<Range<usize>>,
    /// Arguments and nested blocks (`endpoints { s3 = ... }`).
    pub body: Body,
    /// The block's source text, to tell whether it changed since `keyway init`.
    pub text: String,
}

impl Config {
    /// True when the expanded configuration has the module instance `path`
    /// (`module.keys["a"]`, no final dot).
    pub fn has_module_instance(&self, path: &str) -> bool {
        self.module_instances
            .values()
            .flat_map(|c| &c.instances)
            .any(|(_, m)| m.prefix.strip_suffix('.') == Some(path))
    }
}

/// A `module` block.
#[derive(Clone, Debug)]
pub struct ModuleCall {
    /// The call's name.
    pub name: String,
    /// Where the block is.
    pub file: FileId,
    /// The block label's span.
    pub span: Option<Range<usize>>,
    /// `source`: a local path (`./modules/x`), a git URL or a registry address.
    pub source: String,
    /// `source`'s span.
    pub source_span: Option<Range<usize>>,
    /// `version` (registry modules).
    pub version: Option<String>,
    /// `count`.
    pub count: Option<Expr>,
    /// `for_each`.
    pub for_each: Option<Expr>,
    /// `depends_on`.
    pub depends_on: Vec<Expr>,
    /// The input variables it sets.
    pub args: Attrs,
}

/// How a module call expanded.
#[derive(Clone, Debug)]
pub struct CallInstances {
    /// No `count`/`for_each` (one instance), `count` (a list) or `for_each` (a map).
    pub repetition: Repetition,
    /// Each instance's key and module instance, in key order.
    pub instances: Vec<(String, ModuleRef)>,
    /// The output names the called module declares.
    pub outputs: Vec<String>,
}

/// Whether a block repeats, and how its instances are keyed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repetition {
    /// Neither `count` nor `for_each`.
    Single,
    /// `count`: integer keys.
    Count,
    /// `for_each`: string keys.
    ForEach,
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

/// One `locals` entry — or, inside an expanded module, one of the module's input variables
/// or outputs, which are named values of the module instance in the same way.
#[derive(Clone, Debug)]
pub struct Local {
    /// Name.
    pub name: String,
    /// Value (an input variable's: the call's argument, else the variable's default).
    pub value: Expr,
    /// What kind of named value it is.
    pub kind: LocalKind,
}

impl Local {
    /// `count.index` and `each` as its expression sees them: a module call's argument sees
    /// the call instance's.
    pub fn instance(&self) -> (Option<usize>, Option<(String, crate::lang::Value)>) {
        match &self.kind {
            LocalKind::Input(i) if i.set => (i.count_index, i.each.clone()),
            _ => (None, None),
        }
    }
}

/// The kinds of named values the graph walks like locals.
#[derive(Clone, Debug, Default)]
pub enum LocalKind {
    /// A `locals` entry.
    #[default]
    Plain,
    /// A module's input variable, set by its call.
    Input(Box<ModuleInput>),
    /// A module's `output` (root outputs stay in [`Config::outputs`]).
    Output {
        /// `sensitive = true`.
        sensitive: bool,
        /// `depends_on`: what must be applied before the output's value is used.
        depends_on: Vec<Expr>,
    },
}

/// A module input variable's declaration and the call instance setting it.
#[derive(Clone, Debug)]
pub struct ModuleInput {
    /// The `variable` block in the module.
    pub variable: Variable,
    /// True when the call sets it (`value` is the argument), false when `value` is the
    /// default.
    pub set: bool,
    /// `count.index` of the call instance (for the argument's expression).
    pub count_index: Option<usize>,
    /// `each.key` / `each.value` of the call instance.
    pub each: Option<(String, crate::lang::Value)>,
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
    /// The module instance it belongs to (the root module unless expanded from a module).
    pub module: ModuleRef,
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
    /// The address: `type.name` or `data.type.name`, after its module's prefix.
    pub fn address(&self) -> String {
        let prefix = &self.module.prefix;
        match self.mode {
            Mode::Managed => format!("{prefix}{}.{}", self.ty, self.name),
            Mode::Data => format!("{prefix}data.{}.{}", self.ty, self.name),
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

    /// Expressions in name order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Expr> {
        self.0.iter_mut().map(|(_, v)| v)
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

/// An `import` block: the existing object `id` becomes the instance `to` at the next apply.
#[derive(Clone, Debug)]
pub struct Import {
    /// Where it is.
    pub file: FileId,
    /// The block header's span.
    pub span: Option<Range<usize>>,
    /// `to`: a managed resource instance address (with `to_key`: the resource address).
    pub to: String,
    /// `to`'s instance key when an expression gives it (`google_apikeys_key.k[each.key]`).
    pub to_key: Option<Expr>,
    /// `id`: the provider's import ID (an expression: variables and locals may build it).
    pub id: Expr,
    /// `for_each` (Terraform 1.7): one import per element, `each.key` / `each.value` in
    /// `to` and `id`.
    pub for_each: Option<Expr>,
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
