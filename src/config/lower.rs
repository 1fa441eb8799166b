//! Lowering: hcl-edit's spanned syntax tree to the [`Config`] model, reporting unknown blocks,
//! misplaced arguments and duplicate names at their spans.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body as HclBody, Structure};
use hcl_edit::Span;

use crate::config::model::*;
use crate::diagnostics::{Diagnostic, FileId};
use crate::lang::types::Type;

mod dynamic;
mod module;

/// Lowers one parsed file into `config`.
pub fn lower_file(
    config: &mut Config,
    file: FileId,
    body: &mut HclBody,
    diags: &mut Vec<Diagnostic>,
) {
    let mut cx = Lower { file, diags };
    for mut structure in std::mem::take(body) {
        match &mut structure {
            Structure::Attribute(attr) => cx.diags.push(
                Diagnostic::error("config::unexpected_argument", format!("An argument named `{}` is not expected here", attr.key.as_str()))
                    .at(file, attr.span())
                    .help("top-level arguments are not allowed; did you mean to put it in a `locals` block?"),
            ),
            Structure::Block(block) => cx.top_block(config, block),
        }
    }
}

struct Lower<'d> {
    file: FileId,
    diags: &'d mut Vec<Diagnostic>,
}

fn labels(block: &Block) -> Vec<String> {
    block
        .labels
        .iter()
        .map(|l| match l {
            BlockLabel::Ident(i) => i.as_str().to_owned(),
            BlockLabel::String(s) => s.value().clone(),
        })
        .collect()
}

/// Renders a static reference (`a.b["c"][0]`) as text, if the expression is one.
pub fn reference_text(expr: &Expression) -> Option<String> {
    match expr {
        Expression::Variable(v) => Some(v.as_str().to_owned()),
        Expression::Traversal(t) => {
            let mut s = reference_text(&t.expr)?;
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(id) => {
                        s.push('.');
                        s.push_str(id.as_str());
                    }
                    TraversalOperator::Index(Expression::Number(n)) => {
                        s.push_str(&format!("[{}]", n.value()));
                    }
                    TraversalOperator::Index(Expression::String(k)) => {
                        s.push_str(&format!("[{:?}]", k.value()));
                    }
                    TraversalOperator::LegacyIndex(n) => s.push_str(&format!("[{}]", n.value())),
                    _ => return None,
                }
            }
            Some(s)
        }
        _ => None,
    }
}

impl Lower<'_> {
    /// Moves an expression out of the syntax tree (which is dropped after lowering), so that
    /// large configurations are not held twice in memory.
    fn take(&self, e: &mut Expression) -> Expr {
        Expr {
            file: self.file,
            expr: std::mem::replace(e, Expression::null()),
            module: root_module(),
        }
    }

    fn expr(&self, e: &Expression) -> Expr {
        Expr {
            file: self.file,
            expr: e.clone(),
            module: root_module(),
        }
    }

    fn error(&mut self, code: &'static str, msg: String, span: Option<std::ops::Range<usize>>) {
        self.diags
            .push(Diagnostic::error(code, msg).at(self.file, span));
    }

    fn want_labels(&mut self, block: &Block, n: usize, what: &str) -> Option<Vec<String>> {
        let l = labels(block);
        if l.len() != n {
            self.error(
                "config::labels",
                format!(
                    "A `{}` block needs {n} label(s): {what}",
                    block.ident.as_str()
                ),
                block.ident.span(),
            );
            return None;
        }
        Some(l)
    }

    fn top_block(&mut self, config: &mut Config, block: &mut Block) {
        match block.ident.as_str() {
            "variable" => self.variable(config, block),
            "locals" => self.locals(config, block),
            "resource" => self.resource(config, block, Mode::Managed),
            "data" => self.resource(config, block, Mode::Data),
            "output" => self.output(config, block),
            "provider" => self.provider(config, block),
            "check" => self.check(config, block),
            "moved" => self.moved(config, block),
            "terraform" => self.terraform(config, block),
            // keyway's own settings.
            "keyway" => {}
            "removed" => self.removed(config, block),
            "import" => self.import(config, block),
            "module" => self.module_call(config, block),
            other => {
                let known = [
                    "variable",
                    "locals",
                    "resource",
                    "data",
                    "output",
                    "provider",
                    "terraform",
                    "keyway",
                    "check",
                    "moved",
                    "import",
                    "removed",
                    "module",
                ];
                let help = crate::lang::eval::suggest(other, known.iter().copied());
                self.diags.push(
                    Diagnostic::error(
                        "config::unknown_block",
                        format!("Blocks of type `{other}` are not expected here"),
                    )
                    .at(self.file, block.ident.span())
                    .maybe_help(help.map(|h| format!("did you mean `{h}`?"))),
                );
            }
        }
    }

    /// The `terraform` block: version and provider requirements are accepted as Terraform
    /// accepts them; a `backend` block is kept for `keyway init` to settle (a folder whose
    /// backend is not initialised is refused at plan time, never planned against local
    /// state); Terraform Cloud's `cloud` block is refused.
    fn terraform(&mut self, config: &mut Config, block: &mut Block) {
        for inner in block.body.blocks_mut() {
            match inner.ident.as_str() {
                "backend" => self.backend(config, inner),
                "encryption" => self.encryption(config, inner),
                "cloud" => self.diags.push(
                    Diagnostic::error(
                        "config::backend",
                        "Terraform Cloud (`cloud` block) is not a backend keyway can use",
                    )
                    .at(self.file, inner.ident.span())
                    .help(
                        "refused rather than ignored: against an empty local state the plan \
                         would create a second copy of everything the workspace's state \
                         manages. Use a `backend` block (gcs, s3, pg, local) instead",
                    ),
                ),
                _ => {}
            }
        }
    }

    fn encryption(&mut self, config: &mut Config, block: &mut Block) {
        use crate::config::model::{EncryptionBlock, LabeledBlock};
        let mut e = EncryptionBlock {
            file: self.file,
            span: block.ident.span(),
            key_providers: Vec::new(),
            methods: Vec::new(),
            state: None,
            plan: None,
        };
        for inner in block.body.blocks_mut() {
            let ident = inner.ident.as_str().to_owned();
            match ident.as_str() {
                kind @ ("key_provider" | "method") => {
                    let Some(l) = self.want_labels(inner, 2, "its type and name") else {
                        continue;
                    };
                    let labeled = LabeledBlock {
                        kind: l[0].clone(),
                        name: l[1].clone(),
                        file: self.file,
                        span: inner.labels.first().and_then(|l| l.span()),
                        body: self.nested(inner).body,
                    };
                    if kind == "method" {
                        e.methods.push(labeled);
                    } else {
                        e.key_providers.push(labeled);
                    }
                }
                "state" => e.state = Some(self.nested(inner)),
                "plan" => e.plan = Some(self.nested(inner)),
                // Reading other stacks' encrypted state: accepted, applied by nothing yet.
                "remote_state_data_sources" => {}
                _ => self.unexpected_block(inner),
            }
        }
        config.encryption = Some(e);
    }

    fn backend(&mut self, config: &mut Config, block: &mut Block) {
        let Some(l) = self.want_labels(block, 1, "the backend's type") else {
            return;
        };
        let kind = l[0].clone();
        let span = block.labels.first().and_then(|l| l.span());
        // Rendered before its expressions are taken out of the tree.
        let text = HclBody::from_iter([Structure::Block(block.clone())]).to_string();
        if let Some(first) = &config.backend {
            self.diags.push(
                Diagnostic::error(
                    "config::backend",
                    format!(
                        "Duplicate backend configuration: a `{}` backend is already declared",
                        first.kind
                    ),
                )
                .at(self.file, span.clone()),
            );
            return;
        }
        let nested = self.nested(block);
        config.backend = Some(crate::config::model::BackendBlock {
            kind,
            file: self.file,
            span,
            body: nested.body,
            text,
        });
    }

    fn variable(&mut self, config: &mut Config, block: &Block) {
        let Some(l) = self.want_labels(block, 1, "the variable's name") else {
            return;
        };
        let name = l[0].clone();
        let mut var = Variable {
            name: name.clone(),
            file: self.file,
            span: block.labels.first().and_then(|l| l.span()),
            ty: None,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
        };
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "type" => match Type::from_expr(&a.value) {
                        Ok(t) => var.ty = Some(t),
                        Err(e) => self.error(
                            "config::type",
                            format!("Invalid type constraint: {e}"),
                            a.value.span(),
                        ),
                    },
                    "default" => var.default = Some(self.expr(&a.value)),
                    "description" => var.description = a.value.as_str().map(str::to_owned),
                    "sensitive" => var.sensitive = self.bool_literal(a),
                    "nullable" => var.nullable = self.bool_literal(a),
                    "ephemeral" => {}
                    other => self.unexpected_arg(
                        other,
                        a,
                        &[
                            "type",
                            "default",
                            "description",
                            "sensitive",
                            "nullable",
                            "validation",
                        ],
                    ),
                },
                Structure::Block(b) if b.ident.as_str() == "validation" => {
                    if let Some(v) = self.validation(b, "error_message") {
                        var.validations.push(v);
                    }
                }
                Structure::Block(b) => self.unexpected_block(b),
            }
        }
        match config.variables.entry(name) {
            std::collections::btree_map::Entry::Occupied(e) => {
                let msg = format!(
                    "Duplicate variable `{}`: a variable with this name is already declared",
                    e.key()
                );
                self.error("config::duplicate", msg, var.span.clone());
            }
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(var);
            }
        }
    }

    fn bool_literal(&mut self, a: &Attribute) -> bool {
        match a.value.as_bool() {
            Some(b) => b,
            None => {
                self.error(
                    "config::type",
                    format!("`{}` must be `true` or `false`", a.key.as_str()),
                    a.value.span(),
                );
                false
            }
        }
    }

    fn unexpected_arg(&mut self, name: &str, a: &Attribute, known: &[&str]) {
        let help = crate::lang::eval::suggest(name, known.iter().copied());
        self.diags.push(
            Diagnostic::error(
                "config::unexpected_argument",
                format!("An argument named `{name}` is not expected here"),
            )
            .at(self.file, a.key.span())
            .maybe_help(help.map(|h| format!("did you mean `{h}`?"))),
        );
    }

    fn unexpected_block(&mut self, b: &Block) {
        self.error(
            "config::unknown_block",
            format!(
                "Blocks of type `{}` are not expected here",
                b.ident.as_str()
            ),
            b.ident.span(),
        );
    }

    fn validation(&mut self, b: &Block, message_attr: &str) -> Option<Validation> {
        let cond = b.body.get_attribute("condition");
        let msg = b.body.get_attribute(message_attr);
        match (cond, msg) {
            (Some(c), Some(m)) => Some(Validation {
                condition: self.expr(&c.value),
                error_message: self.expr(&m.value),
            }),
            _ => {
                self.error(
                    "config::missing_argument",
                    format!(
                        "A `{}` block needs `condition` and `{message_attr}`",
                        b.ident.as_str()
                    ),
                    b.ident.span(),
                );
                None
            }
        }
    }

    fn locals(&mut self, config: &mut Config, block: &Block) {
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let name = a.key.as_str().to_owned();
                    if config.locals.contains_key(&name) {
                        self.error(
                            "config::duplicate",
                            format!("Duplicate local value `{name}`"),
                            a.key.span(),
                        );
                    } else {
                        config.locals.insert(
                            name.clone(),
                            Local {
                                name,
                                value: self.expr(&a.value),
                                kind: LocalKind::Plain,
                            },
                        );
                    }
                }
                Structure::Block(b) => self.unexpected_block(b),
            }
        }
    }

    fn resource(&mut self, config: &mut Config, block: &mut Block, mode: Mode) {
        let Some(l) = self.want_labels(block, 2, "the resource type and name") else {
            return;
        };
        let res = self.resource_body(block, mode, l[0].clone(), l[1].clone());
        let addr = res.address();
        match config.resources.entry(addr) {
            std::collections::btree_map::Entry::Occupied(e) => {
                let msg = format!(
                    "Duplicate resource `{}`: a block with this type and name is already declared",
                    e.key()
                );
                self.error("config::duplicate", msg, res.span.clone());
            }
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(res);
            }
        }
    }

    fn resource_body(
        &mut self,
        block: &mut Block,
        mode: Mode,
        ty: String,
        name: String,
    ) -> Resource {
        let mut res = Resource {
            mode,
            ty,
            name,
            file: self.file,
            span: block.labels.get(1).and_then(|l| l.span()),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            provider: None,
            lifecycle: Lifecycle::default(),
            body: Body::default(),
            provisioners: Vec::new(),
            module: root_module(),
        };
        for mut s in std::mem::take(&mut block.body) {
            match &mut s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "count" => res.count = Some(self.take(&mut a.value)),
                    "for_each" => res.for_each = Some(self.take(&mut a.value)),
                    "depends_on" => res.depends_on = self.reference_list(&a.value),
                    "provider" => {
                        res.provider =
                            reference_text(&a.value).or_else(|| a.value.as_str().map(str::to_owned))
                    }
                    _ => {
                        res.body
                            .attrs
                            .insert(a.key.as_str().to_owned(), self.take(&mut a.value));
                    }
                },
                Structure::Block(b) if b.ident.as_str() == "lifecycle" => {
                    res.lifecycle = self.lifecycle(b)
                }
                Structure::Block(b) if b.ident.as_str() == "provisioner" => {
                    if let Some(p) = self.provisioner(b) {
                        res.provisioners.push(p);
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "connection" => self.error(
                    "config::unsupported",
                    "`connection` blocks are not supported: keyway runs no commands on remote \
                     machines (only `local-exec` provisioners)"
                        .into(),
                    b.ident.span(),
                ),
                Structure::Block(b) => res.body.blocks.extend(self.nested_or_dynamic(b)),
            }
        }
        if res.count.is_some() && res.for_each.is_some() {
            self.error(
                "config::count_and_for_each",
                "A resource cannot use both `count` and `for_each`".into(),
                res.span.clone(),
            );
        }
        res
    }

    /// A `provisioner` block: `local-exec` only; `when` and `on_failure` are keywords.
    fn provisioner(&mut self, b: &mut Block) -> Option<Provisioner> {
        let kind = labels(b).into_iter().next().unwrap_or_default();
        if kind != "local-exec" {
            let why = match kind.as_str() {
                "file" | "remote-exec" => format!(
                    "The `{kind}` provisioner is not supported: keyway runs no commands on \
                     remote machines"
                ),
                "" => "A provisioner block needs its type: `provisioner \"local-exec\"`".into(),
                _ => format!("Unknown provisioner type `{kind}`"),
            };
            let d = Diagnostic::error("config::unsupported", why)
                .at(self.file, b.ident.span())
                .help("use `provisioner \"local-exec\"`, or bake the step into the image");
            self.diags.push(d);
            return None;
        }
        let mut p = Provisioner {
            when_destroy: false,
            on_failure_continue: false,
            file: self.file,
            span: b.ident.span(),
            body: Body::default(),
        };
        for mut s in std::mem::take(&mut b.body) {
            match &mut s {
                Structure::Attribute(a) if a.key.as_str() == "when" => {
                    p.when_destroy = self.keyword(&a.value, &["create", "destroy"]) == "destroy";
                }
                Structure::Attribute(a) if a.key.as_str() == "on_failure" => {
                    p.on_failure_continue =
                        self.keyword(&a.value, &["fail", "continue"]) == "continue";
                }
                Structure::Attribute(a) => match a.key.as_str() {
                    "command" | "interpreter" | "environment" | "working_dir" | "quiet" => {
                        p.body
                            .attrs
                            .insert(a.key.as_str().to_owned(), self.take(&mut a.value));
                    }
                    other => self.error(
                        "config::unknown_argument",
                        format!(
                            "Unsupported argument `{other}` in a local-exec provisioner \
                             (it takes command, interpreter, environment, working_dir, quiet, \
                             when and on_failure)"
                        ),
                        a.key.span(),
                    ),
                },
                Structure::Block(inner) if inner.ident.as_str() == "connection" => self.error(
                    "config::unsupported",
                    "`connection` blocks are not supported: a local-exec provisioner runs \
                     on this machine"
                        .into(),
                    inner.ident.span(),
                ),
                Structure::Block(inner) => self.unexpected_block(inner),
            }
        }
        if !p.body.attrs.contains_key("command") {
            self.error(
                "config::missing_argument",
                "A local-exec provisioner needs `command`".into(),
                b.ident.span(),
            );
        }
        Some(p)
    }

    /// A bare keyword (`destroy`, `continue`) out of `allowed`; the first one otherwise,
    /// after an error.
    fn keyword<'k>(&mut self, e: &Expression, allowed: &[&'k str]) -> &'k str {
        if let Expression::Variable(v) = e {
            if let Some(k) = allowed.iter().find(|k| **k == v.as_str()) {
                return k;
            }
        }
        self.error(
            "config::type",
            format!("Expected one of the keywords {}", allowed.join(", ")),
            e.span(),
        );
        allowed[0]
    }

    fn nested(&mut self, b: &mut Block) -> NestedBlock {
        let mut body = Body::default();
        for mut s in std::mem::take(&mut b.body) {
            match &mut s {
                Structure::Attribute(a) => {
                    body.attrs
                        .insert(a.key.as_str().to_owned(), self.take(&mut a.value));
                }
                Structure::Block(inner) => body.blocks.extend(self.nested_or_dynamic(inner)),
            }
        }
        NestedBlock {
            ty: b.ident.as_str().to_owned(),
            file: self.file,
            span: b.ident.span(),
            body,
            dynamic: None,
        }
    }

    /// A nested block, or the blocks a `dynamic` block stands for (none when it is malformed).
    fn nested_or_dynamic(&mut self, b: &mut Block) -> Option<NestedBlock> {
        if b.ident.as_str() == "dynamic" {
            self.dynamic(b)
        } else {
            Some(self.nested(b))
        }
    }

    fn reference_list(&mut self, e: &Expression) -> Vec<Expr> {
        match e.as_array() {
            Some(items) => items.iter().map(|i| self.expr(i)).collect(),
            None => {
                self.error(
                    "config::type",
                    "Expected a list of references, like `[terraform_data.a]`".into(),
                    e.span(),
                );
                Vec::new()
            }
        }
    }

    fn lifecycle(&mut self, b: &Block) -> Lifecycle {
        let mut lc = Lifecycle::default();
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "create_before_destroy" => lc.create_before_destroy = Some(self.expr(&a.value)),
                    "prevent_destroy" => lc.prevent_destroy = Some(self.expr(&a.value)),
                    "replace_triggered_by" => {
                        lc.replace_triggered_by = self.reference_list(&a.value)
                    }
                    "ignore_changes" => lc.ignore_changes = self.ignore_changes(&a.value),
                    other => self.unexpected_arg(
                        other,
                        a,
                        &[
                            "create_before_destroy",
                            "prevent_destroy",
                            "ignore_changes",
                            "replace_triggered_by",
                        ],
                    ),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "precondition" => lc
                        .preconditions
                        .extend(self.validation(inner, "error_message")),
                    "postcondition" => lc
                        .postconditions
                        .extend(self.validation(inner, "error_message")),
                    _ => self.unexpected_block(inner),
                },
            }
        }
        lc
    }

    fn ignore_changes(&mut self, e: &Expression) -> IgnoreChanges {
        if let Expression::Variable(v) = e {
            if v.as_str() == "all" {
                return IgnoreChanges::All;
            }
        }
        let Some(items) = e.as_array() else {
            self.error(
                "config::type",
                "`ignore_changes` must be `all` or a list of attribute names".into(),
                e.span(),
            );
            return IgnoreChanges::None;
        };
        let mut attrs = Vec::new();
        for item in items.iter() {
            let text = reference_text(item).or_else(|| item.as_str().map(str::to_owned));
            match text {
                // Nested paths ignore their whole top-level attribute: coarser than Terraform
                // but never shows a change the user asked to ignore.
                Some(t) => attrs.push(t.split(['.', '[']).next().unwrap_or_default().to_owned()),
                None => self.error(
                    "config::type",
                    "Expected an attribute name".into(),
                    item.span(),
                ),
            }
        }
        IgnoreChanges::Attrs(attrs)
    }

    fn output(&mut self, config: &mut Config, block: &Block) {
        let Some(l) = self.want_labels(block, 1, "the output's name") else {
            return;
        };
        let name = l[0].clone();
        let span = block.labels.first().and_then(|l| l.span());
        let mut value = None;
        let mut out_sensitive = false;
        let mut description = None;
        let mut depends_on = Vec::new();
        let mut preconditions = Vec::new();
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "value" => value = Some(self.expr(&a.value)),
                    "sensitive" => out_sensitive = self.bool_literal(a),
                    "description" => description = a.value.as_str().map(str::to_owned),
                    "depends_on" => depends_on = self.reference_list(&a.value),
                    "ephemeral" => {}
                    other => self.unexpected_arg(
                        other,
                        a,
                        &["value", "sensitive", "description", "depends_on"],
                    ),
                },
                Structure::Block(b) if b.ident.as_str() == "precondition" => {
                    preconditions.extend(self.validation(b, "error_message"))
                }
                Structure::Block(b) => self.unexpected_block(b),
            }
        }
        let Some(value) = value else {
            self.error(
                "config::missing_argument",
                format!("Output `{name}` needs a `value` argument"),
                span,
            );
            return;
        };
        if config.outputs.contains_key(&name) {
            self.error(
                "config::duplicate",
                format!("Duplicate output `{name}`"),
                span,
            );
            return;
        }
        config.outputs.insert(
            name.clone(),
            Output {
                name,
                file: self.file,
                span,
                value,
                sensitive: out_sensitive,
                description,
                depends_on,
                preconditions,
            },
        );
    }

    fn provider(&mut self, config: &mut Config, block: &mut Block) {
        let Some(l) = self.want_labels(block, 1, "the provider's name") else {
            return;
        };
        let nested = self.nested(block);
        let alias = nested
            .body
            .attrs
            .get("alias")
            .and_then(|e| e.expr.as_str().map(str::to_owned));
        config.providers.push(ProviderBlock {
            name: l[0].clone(),
            alias,
            file: self.file,
            body: nested.body,
        });
    }

    fn check(&mut self, config: &mut Config, block: &mut Block) {
        let Some(l) = self.want_labels(block, 1, "the check's name") else {
            return;
        };
        let mut check = Check {
            name: l[0].clone(),
            file: self.file,
            data: Vec::new(),
            asserts: Vec::new(),
        };
        for mut s in std::mem::take(&mut block.body) {
            match &mut s {
                Structure::Block(b) if b.ident.as_str() == "assert" => {
                    check.asserts.extend(self.validation(b, "error_message"))
                }
                Structure::Block(b) if b.ident.as_str() == "data" => {
                    if let Some(l) = self.want_labels(b, 2, "the data source type and name") {
                        let res = self.resource_body(b, Mode::Data, l[0].clone(), l[1].clone());
                        check.data.push(res);
                    }
                }
                Structure::Block(b) => self.unexpected_block(b),
                Structure::Attribute(a) => self.unexpected_arg(a.key.as_str(), a, &[]),
            }
        }
        config.checks.insert(check.name.clone(), check);
    }

    fn removed(&mut self, config: &mut Config, block: &Block) {
        let Some(from) = block
            .body
            .get_attribute("from")
            .and_then(|a| reference_text(&a.value))
        else {
            self.error(
                "config::missing_argument",
                "A `removed` block needs `from`: the address of the resource that left the \
                 configuration"
                    .into(),
                block.ident.span(),
            );
            return;
        };
        let mut destroy = true;
        for inner in block.body.blocks() {
            match inner.ident.as_str() {
                "lifecycle" => {
                    if let Some(a) = inner.body.get_attribute("destroy") {
                        match &a.value {
                            Expression::Bool(b) => destroy = *b.value(),
                            other => self.error(
                                "config::type",
                                "`destroy` must be `true` or `false`".into(),
                                other.span(),
                            ),
                        }
                    }
                }
                // Destroy-time provisioners of removed resources: not run by keyway.
                _ => self.unexpected_block(inner),
            }
        }
        config.removed.push(Removed {
            file: self.file,
            span: block.ident.span(),
            from,
            destroy,
        });
    }

    fn import(&mut self, config: &mut Config, block: &Block) {
        let mut to = None;
        let mut id = None;
        let mut for_each = None;
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "to" => to = self.import_target(&a.value),
                    "id" => id = Some(self.expr(&a.value)),
                    "for_each" => for_each = Some(self.expr(&a.value)),
                    // keyway has one configuration per provider.
                    "provider" => {}
                    other => self.unexpected_arg(other, a, &["to", "id", "for_each", "provider"]),
                },
                Structure::Block(b) => self.unexpected_block(b),
            }
        }
        match (to, id) {
            (Some((to, to_key)), Some(id)) => config.imports.push(Import {
                file: self.file,
                span: block.ident.span(),
                to,
                to_key,
                id,
                for_each,
            }),
            _ => self.error(
                "config::missing_argument",
                "An `import` block needs `to` (a resource address) and `id`".into(),
                block.ident.span(),
            ),
        }
    }

    /// An import's `to`: a static address, or a resource address indexed by an expression.
    fn import_target(&self, e: &Expression) -> Option<(String, Option<Expr>)> {
        if let Some(text) = reference_text(e) {
            return Some((text, None));
        }
        let Expression::Traversal(t) = e else {
            return None;
        };
        let (last, rest) = t.operators.split_last()?;
        let TraversalOperator::Index(key) = last.value() else {
            return None;
        };
        let mut base = t.clone();
        base.operators = rest.to_vec();
        let block = reference_text(&Expression::Traversal(base))?;
        Some((block, Some(self.expr(key))))
    }

    fn moved(&mut self, config: &mut Config, block: &Block) {
        let get = |k: &str| {
            block
                .body
                .get_attribute(k)
                .and_then(|a| reference_text(&a.value))
        };
        match (get("from"), get("to")) {
            (Some(from), Some(to)) => config.moved.push(Moved {
                file: self.file,
                from,
                to,
            }),
            _ => self.error(
                "config::missing_argument",
                "A `moved` block needs `from` and `to` addresses".into(),
                block.ident.span(),
            ),
        }
    }
}

/// Attribute names used in a body, for checks against a schema.
pub fn attr_names(body: &Body) -> BTreeMap<&str, &Expr> {
    body.attrs.iter().map(|(k, v)| (k.as_str(), v)).collect()
}
