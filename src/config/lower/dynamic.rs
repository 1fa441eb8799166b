//! Lowering of `dynamic "TYPE" { for_each = ...; iterator = ...; content { ... } }`: a nested
//! block of type `TYPE` whose body is the `content`, marked with what repeats it (see
//! [`Dynamic`]). Expansion happens at evaluation (`plan::body`), where `for_each` is known.

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};
use hcl_edit::Span;

use super::Lower;
use crate::config::model::{Body, Dynamic, Expr, NestedBlock};

/// What a `dynamic` block holds, gathered before it is checked whole.
#[derive(Default)]
struct Parts {
    for_each: Option<Expr>,
    iterator: Option<String>,
    content: Option<Body>,
}

impl Lower<'_> {
    /// A `dynamic` block as the nested block it generates; `None` (with errors) when malformed.
    pub(super) fn dynamic(&mut self, b: &mut Block) -> Option<NestedBlock> {
        let label = self.want_labels(b, 1, "the type of the blocks to generate")?;
        let label = label.into_iter().next()?;
        let mut parts = Parts::default();
        for mut s in std::mem::take(&mut b.body) {
            match &mut s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "for_each" => parts.for_each = Some(self.take(&mut a.value)),
                    "iterator" => parts.iterator = self.iterator_name(&a.value),
                    // Labels of the generated blocks: no nested block type keyway knows takes
                    // labels, so they are accepted and unused, as the schema would ignore them.
                    "labels" => {}
                    other => {
                        let other = other.to_owned();
                        self.unexpected_arg(&other, a, &["for_each", "iterator", "labels"]);
                    }
                },
                Structure::Block(inner) if inner.ident.as_str() == "content" => {
                    if parts.content.is_some() {
                        self.error(
                            "config::dynamic",
                            "A `dynamic` block may have only one `content` block".into(),
                            inner.ident.span(),
                        );
                    }
                    parts.content = Some(self.nested(inner).body);
                }
                Structure::Block(inner) => self.unexpected_block(inner),
            }
        }
        self.assemble(b, label, parts)
    }

    /// `iterator = NAME` takes a bare name, as Terraform requires.
    fn iterator_name(&mut self, e: &Expression) -> Option<String> {
        match e {
            Expression::Variable(v) => Some(v.as_str().to_owned()),
            _ => {
                self.error(
                    "config::dynamic",
                    "The `iterator` of a `dynamic` block must be a single name, such as `iterator = item`".into(),
                    e.span(),
                );
                None
            }
        }
    }

    fn assemble(&mut self, b: &Block, label: String, parts: Parts) -> Option<NestedBlock> {
        let span = b.labels.first().and_then(|l| l.span());
        let missing = |what: &str| format!("A `dynamic` block needs {what}");
        let Some(for_each) = parts.for_each else {
            self.error("config::dynamic", missing("a `for_each` argument"), span);
            return None;
        };
        let Some(body) = parts.content else {
            self.error("config::dynamic", missing("a `content` block"), span);
            return None;
        };
        let iterator = parts.iterator.unwrap_or_else(|| label.clone());
        Some(NestedBlock {
            ty: label,
            file: self.file,
            span,
            body,
            dynamic: Some(Box::new(Dynamic { for_each, iterator })),
        })
    }
}
