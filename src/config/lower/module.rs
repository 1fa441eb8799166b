//! Lowering of `module "NAME" { source = ...; version = ...; count/for_each/depends_on/providers;
//! input variables }` into a [`ModuleCall`]; loading the folder it names is `config::modules`.

use hcl_edit::structure::{Block, Structure};
use hcl_edit::Span;

use super::Lower;
use crate::config::model::{Attrs, Config, ModuleCall};

impl Lower<'_> {
    /// A `module` block; reported and dropped when malformed.
    pub(super) fn module_call(&mut self, config: &mut Config, block: &mut Block) {
        let Some(l) = self.want_labels(block, 1, "the module call's name") else {
            return;
        };
        let name = l[0].clone();
        let span = block.labels.first().and_then(|l| l.span());
        let mut call = ModuleCall {
            name: name.clone(),
            file: self.file,
            span: span.clone(),
            source: String::new(),
            source_span: None,
            version: None,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            args: Attrs::default(),
        };
        let mut has_source = false;
        for mut s in std::mem::take(&mut block.body) {
            match &mut s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "source" => {
                        has_source = true;
                        call.source_span = a.value.span();
                        match a.value.as_str() {
                            Some(text) => call.source = text.to_owned(),
                            None => self.error(
                                "config::module_source",
                                "A module's `source` must be a literal string".into(),
                                a.value.span(),
                            ),
                        }
                    }
                    "version" => match a.value.as_str() {
                        Some(v) => call.version = Some(v.to_owned()),
                        None => self.error(
                            "config::module_version",
                            "A module's `version` must be a literal string".into(),
                            a.value.span(),
                        ),
                    },
                    "count" => call.count = Some(self.take(&mut a.value)),
                    "for_each" => call.for_each = Some(self.take(&mut a.value)),
                    "depends_on" => call.depends_on = self.reference_list(&a.value),
                    // keyway has one configuration per provider, which modules share, as
                    // they do when no `providers` map is given.
                    "providers" => {}
                    arg => {
                        let arg = arg.to_owned();
                        call.args.insert(arg, self.take(&mut a.value));
                    }
                },
                Structure::Block(b) => self.unexpected_block(b),
            }
        }
        if !has_source {
            self.error(
                "config::missing_argument",
                format!("Module call `{name}` needs a `source` argument"),
                span.clone(),
            );
            return;
        }
        if call.count.is_some() && call.for_each.is_some() {
            self.error(
                "config::count_and_for_each",
                "A module call cannot use both `count` and `for_each`".into(),
                span,
            );
            return;
        }
        if config.module_calls.contains_key(&name) {
            self.error(
                "config::duplicate",
                format!("Duplicate module call `{name}`"),
                span,
            );
            return;
        }
        config.module_calls.insert(name, call);
    }
}
