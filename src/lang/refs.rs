//! Static reference analysis: which names an expression refers to (`var.x`, `local.y`,
//! `type.name`, ...), for dependency edges and "undeclared reference" checks.

use std::ops::Range;

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;

/// A reference: its leading names (root first, then attribute names up to the first index or
/// splat) and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// `["var", "region"]`, `["terraform_data", "a", "output"]`.
    pub names: Vec<String>,
    /// The whole static traversal after the root, as HCL sees one: attribute names and literal
    /// indices, up to the first splat or computed index (`a[0].b` is `[.a, [0], .b]`).
    pub steps: Vec<Step>,
    /// Where it is.
    pub span: Option<Range<usize>>,
}

/// One step of a static traversal.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.name`.
    Attr(String),
    /// `[0]` or `["key"]`: a literal index.
    Index(serde_json::Value),
}

/// Every reference in `expr`, in source order.
pub fn references(expr: &Expression) -> Vec<Reference> {
    analyse(expr).0
}

/// Every reference in `expr`, and whether it calls any function: an expression with neither
/// is a constant, as Terraform's JSON configuration tells them apart (`constant_value`).
pub fn analyse(expr: &Expression) -> (Vec<Reference>, bool) {
    let mut w = Walker {
        bound: Vec::new(),
        out: Vec::new(),
        calls: false,
    };
    w.expr(expr);
    (w.out, w.calls)
}

struct Walker {
    bound: Vec<String>,
    out: Vec<Reference>,
    calls: bool,
}

impl Walker {
    fn expr(&mut self, e: &Expression) {
        match e {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(a) => a.iter().for_each(|i| self.expr(i)),
            Expression::Object(o) => {
                for (k, v) in o.iter() {
                    if let ObjectKey::Expression(k) = k {
                        // `(local.key) = ...` is a reference; a bare word key is a literal.
                        if !matches!(k, Expression::Variable(_)) {
                            self.expr(k);
                        }
                    }
                    self.expr(v.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.reference(v.as_str(), &[], e.span()),
            Expression::Traversal(t) => {
                match &t.expr {
                    Expression::Variable(v) => self.reference(v.as_str(), &t.operators, e.span()),
                    other => self.expr(other),
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op.value() {
                        self.expr(i);
                    }
                }
            }
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(f) => {
                self.calls = true;
                f.args.iter().for_each(|a| self.expr(a));
            }
            Expression::UnaryOp(u) => self.expr(&u.expr),
            Expression::BinaryOp(b) => {
                self.expr(&b.lhs_expr);
                self.expr(&b.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let depth = self.bound.len();
                if let Some(k) = &f.intro.key_var {
                    self.bound.push(k.as_str().to_owned());
                }
                self.bound.push(f.intro.value_var.as_str().to_owned());
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(depth);
            }
        }
    }

    fn template(&mut self, t: &Template) {
        for el in t.iter() {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(i) => {
                        self.expr(&i.if_expr.cond_expr);
                        self.template(&i.if_expr.template);
                        if let Some(e) = &i.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(f) => {
                        let f = &f.for_expr;
                        self.expr(&f.collection_expr);
                        let depth = self.bound.len();
                        if let Some(k) = &f.key_var {
                            self.bound.push(k.as_str().to_owned());
                        }
                        self.bound.push(f.value_var.as_str().to_owned());
                        self.template(&f.template);
                        self.bound.truncate(depth);
                    }
                },
            }
        }
    }

    fn reference(
        &mut self,
        root: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        span: Option<Range<usize>>,
    ) {
        if self.bound.iter().any(|b| b == root) {
            return;
        }
        let mut names = vec![root.to_owned()];
        for op in ops {
            match op.value() {
                TraversalOperator::GetAttr(id) => names.push(id.as_str().to_owned()),
                _ => break,
            }
        }
        let mut steps = Vec::new();
        for op in ops {
            steps.push(match op.value() {
                TraversalOperator::GetAttr(id) => Step::Attr(id.as_str().to_owned()),
                TraversalOperator::LegacyIndex(n) => Step::Index(serde_json::json!(*n.value())),
                TraversalOperator::Index(Expression::Number(n)) => match n.value().as_u64() {
                    Some(i) => Step::Index(serde_json::json!(i)),
                    None => break,
                },
                TraversalOperator::Index(Expression::String(s)) => {
                    Step::Index(serde_json::json!(s.value().as_str()))
                }
                _ => break,
            });
        }
        self.out.push(Reference { names, steps, span });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<String> {
        let e = hcl_edit::parser::parse_expr(src).expect("parses");
        references(&e)
            .into_iter()
            .map(|r| r.names.join("."))
            .collect()
    }

    #[test]
    fn finds_references_and_skips_for_variables() {
        assert_eq!(names("var.a + local.b"), ["var.a", "local.b"]);
        assert_eq!(names("[for x in var.list : x.name if x.on]"), ["var.list"]);
        assert_eq!(
            names("\"${terraform_data.a.output}-${count.index}\""),
            ["terraform_data.a.output", "count.index"]
        );
        assert_eq!(names("terraform_data.a[0].id"), ["terraform_data.a"]);
        assert_eq!(
            names("{ (local.k) = 1, plain = data.x.y.z }"),
            ["local.k", "data.x.y.z"]
        );
    }
}
