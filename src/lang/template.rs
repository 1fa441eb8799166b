//! Terraform's whitespace rules for templates: strip markers (`~`) and the indentation a
//! `<<-` heredoc removes, applied to a copy of the parsed template before it is rendered.
//!
//! HCL works on a flat stream of tokens in which the literal text of a template file or a
//! heredoc is cut after every newline, and directives' bodies are not nested. A `~}` trims
//! the whitespace at the start of the next literal token only, a `${~` / `%{~` the end of the
//! one before; so `%{ for x in xs ~}` at the end of a line eats that line's newline and keeps
//! the indentation of the next. Quoted strings are one token each. After that, a `<<-`
//! heredoc removes the smallest indentation of the tokens that start a line, counting a line
//! that begins with a directive, or with a literal a `~` emptied, as indented by zero.
//! hcl-edit nests directive bodies and dedents heredocs at parse time, so this module
//! flattens its tree back into HCL's order, and [`restore_flush_heredocs`] undoes its dedent.

use hcl_edit::structure::Body;
use hcl_edit::template::{Directive, Element, HeredocTemplate, Strip, Template};
use hcl_edit::visit_mut::{visit_heredoc_template_mut, VisitMut};
use hcl_edit::Span;

/// How a template was written, which decides how its literal text is cut into tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A quoted string: each literal is one token.
    Quoted,
    /// A template file or a `<<` heredoc: literals are cut after each newline.
    Lines,
    /// A `<<-` heredoc: as `Lines`, then the common indentation is removed.
    FlushLines,
}

/// The template as Terraform renders it, with every literal already trimmed and dedented;
/// `None` when there is nothing to change (no strip marker, no `<<-`), the common case.
pub fn normalize(template: &Template, kind: Kind) -> Option<Template> {
    if kind != Kind::FlushLines && !has_strip_marker(template) {
        return None;
    }
    let mut copy = template.clone();
    let mut parts = Vec::new();
    flatten(&mut copy, kind, &mut parts);
    strip(&mut parts);
    if kind == Kind::FlushLines {
        flush(&mut parts);
    }
    for part in parts {
        if let Part::Literal { text, tokens } = part {
            *text = tokens.concat();
        }
    }
    Some(copy)
}

/// One token of HCL's flat stream: literal text (cut into tokens), or the opening or closing
/// of an interpolation or directive with its strip marker.
enum Part<'a> {
    Literal {
        text: &'a mut String,
        tokens: Vec<String>,
    },
    Marker(Strip),
}

fn flatten<'a>(template: &'a mut Template, kind: Kind, out: &mut Vec<Part<'a>>) {
    for element in template.iter_mut() {
        match element {
            Element::Literal(lit) => {
                let text: &'a mut String = lit.as_mut();
                let tokens = match kind {
                    Kind::Quoted => vec![text.clone()],
                    _ => text.split_inclusive('\n').map(str::to_owned).collect(),
                };
                out.push(Part::Literal { text, tokens });
            }
            Element::Interpolation(i) => out.push(Part::Marker(i.strip)),
            Element::Directive(d) => match d.as_mut() {
                Directive::If(d) => {
                    out.push(Part::Marker(d.if_expr.strip));
                    flatten(&mut d.if_expr.template, kind, out);
                    if let Some(e) = &mut d.else_expr {
                        out.push(Part::Marker(e.strip));
                        flatten(&mut e.template, kind, out);
                    }
                    out.push(Part::Marker(d.endif_expr.strip));
                }
                Directive::For(d) => {
                    out.push(Part::Marker(d.for_expr.strip));
                    flatten(&mut d.for_expr.template, kind, out);
                    out.push(Part::Marker(d.endfor_expr.strip));
                }
            },
        }
    }
}

fn strips_left(s: Strip) -> bool {
    matches!(s, Strip::Start | Strip::Both)
}

fn strips_right(s: Strip) -> bool {
    matches!(s, Strip::End | Strip::Both)
}

/// Applies the strip markers: each trims only the adjacent literal token.
fn strip(parts: &mut [Part<'_>]) {
    let mut trim_next = false;
    for i in 0..parts.len() {
        match &mut parts[i] {
            Part::Literal { tokens, .. } => {
                if trim_next {
                    if let Some(first) = tokens.first_mut() {
                        *first = first.trim_start().to_owned();
                    }
                }
                trim_next = false;
            }
            Part::Marker(s) => {
                let (left, right) = (strips_left(*s), strips_right(*s));
                trim_next = right;
                if left && i > 0 {
                    if let Part::Literal { tokens, .. } = &mut parts[i - 1] {
                        if let Some(last) = tokens.last_mut() {
                            *last = last.trim_end().to_owned();
                        }
                    }
                }
            }
        }
    }
}

/// Removes the common indentation of the tokens that start a line (`<<-`). A whitespace-only
/// line is left out of the count and keeps its spaces, as in Terraform.
fn flush(parts: &mut [Part<'_>]) {
    let mut min = usize::MAX;
    let mut at_line_start = true;
    let mut adjust = Vec::new();
    for (p, part) in parts.iter().enumerate() {
        match part {
            Part::Literal { tokens, .. } => {
                for (t, token) in tokens.iter().enumerate() {
                    if at_line_start {
                        let rest = token.trim_start();
                        if !(rest.is_empty() && token.ends_with('\n')) {
                            min = min.min(token[..token.len() - rest.len()].chars().count());
                            adjust.push((p, t));
                        }
                    }
                    at_line_start = token.ends_with('\n');
                }
            }
            Part::Marker(_) => {
                if at_line_start {
                    min = 0;
                }
                at_line_start = false;
            }
        }
    }
    if min == 0 || min == usize::MAX {
        return;
    }
    for (p, t) in adjust {
        if let Part::Literal { tokens, .. } = &mut parts[p] {
            let token = &mut tokens[t];
            let cut = token
                .char_indices()
                .nth(min)
                .map_or(token.len(), |(i, _)| i);
            token.replace_range(..cut, "");
        }
    }
}

fn has_strip_marker(template: &Template) -> bool {
    template.iter().any(|element| match element {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip != Strip::None,
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => {
                d.if_expr.strip != Strip::None
                    || d.endif_expr.strip != Strip::None
                    || has_strip_marker(&d.if_expr.template)
                    || d.else_expr
                        .as_ref()
                        .is_some_and(|e| e.strip != Strip::None || has_strip_marker(&e.template))
            }
            Directive::For(d) => {
                d.for_expr.strip != Strip::None
                    || d.endfor_expr.strip != Strip::None
                    || has_strip_marker(&d.for_expr.template)
            }
        },
    })
}

/// Puts back the literal text of every `<<-` heredoc in `body` as written in `source`
/// (hcl-edit removes indentation at parse time, before strip markers and without the
/// directive bodies, which gives other results than Terraform's), and marks each with an
/// indent of zero so that [`Kind::FlushLines`] applies when it is evaluated.
pub fn restore_flush_heredocs(body: &mut Body, source: &str) {
    Restorer { source }.visit_body_mut(body);
}

struct Restorer<'s> {
    source: &'s str,
}

impl VisitMut for Restorer<'_> {
    fn visit_heredoc_template_mut(&mut self, node: &mut HeredocTemplate) {
        let flush = node
            .span()
            .and_then(|s| self.source.get(s.start..))
            .is_some_and(|text| text.starts_with("<<-"));
        if flush {
            for element in node.template.iter_mut() {
                if let Element::Literal(lit) = element {
                    if let Some(raw) = lit.span().and_then(|s| self.source.get(s)) {
                        *lit.as_mut() = unescape_heredoc(raw);
                    }
                }
            }
            node.set_indent(0);
        }
        visit_heredoc_template_mut(self, node);
    }
}

/// The value of a heredoc literal's source text: `$${` and `%%{` stand for `${` and `%{`.
fn unescape_heredoc(raw: &str) -> String {
    raw.replace("$${", "${").replace("%%{", "%{")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use crate::lang::eval::render_template;
    use crate::lang::Value;

    fn render(source: &str) -> String {
        match render_template(source, &BTreeMap::new(), Path::new(".")) {
            Ok(Value::String(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    /// The three probes of the issue, with Terraform 1.11's results; the larger table is
    /// `tests/equivalence/templates`, compared with live Terraform.
    #[test]
    fn strip_markers_trim_one_line_token_as_terraform_does() {
        let cases = [
            (
                "a\n%{ for p in [\"x\",\"y\"] ~}\n  ${p}:\n%{ endfor ~}\nz\n",
                "a\n  x:\n  y:\nz\n",
            ),
            (
                "%{ for p in [\"x\",\"y\"] ~}\n  ${p}:\n%{ endfor ~}\n",
                "  x:\n  y:\n",
            ),
            (
                "A %{ for p in [\"x\",\"y\"] ~}   \n\n  ${p} %{~ endfor } B\n",
                "A \n  x\n  y B\n",
            ),
        ];
        for (source, want) in cases {
            assert_eq!(render(source), want, "{source:?}");
        }
    }

    #[test]
    fn templates_without_markers_are_not_copied() {
        let t: hcl_edit::template::Template = "a ${1} b\n".parse().expect("parses");
        assert!(super::normalize(&t, super::Kind::Lines).is_none());
        assert!(super::normalize(&t, super::Kind::FlushLines).is_some());
    }
}
