//! Expression evaluation over hcl-edit's spanned syntax tree.
//!
//! References (`var.x`, `aws_thing.name.attr`, `each.key`, ...) are resolved through the
//! [`Scope`] trait, so this module knows nothing of configuration or state. Unknown values
//! propagate ("known after apply"); sensitive marks propagate through every operation.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;

use crate::lang::functions::{self, FuncContext};
use crate::lang::template::Kind as TemplateKind;
use crate::lang::Value;
use crate::limits;

/// An evaluation error, located at the span of the expression that failed.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// One-sentence message.
    pub message: String,
    /// Byte range in the source file, when known.
    pub span: Option<Range<usize>>,
    /// Optional help text ("did you mean ...").
    pub help: Option<String>,
}

impl EvalError {
    fn new(message: impl Into<String>, span: Option<Range<usize>>) -> EvalError {
        EvalError {
            message: message.into(),
            span,
            help: None,
        }
    }
}

type Result<T> = std::result::Result<T, EvalError>;

/// The prefix of a failed function call's message.
const CALL_FAILED: &str = "Error in function call: ";

/// Resolves references for the evaluator.
pub trait Scope {
    /// Resolves the reference whose leading names are `names` (`["var", "x", ...]`): returns
    /// the value and how many names it consumed. Errors are messages; the evaluator adds the
    /// span.
    fn resolve(&self, names: &[&str]) -> std::result::Result<(Value, usize), ResolveError>;

    /// `path.module`, the folder file functions resolve against.
    fn base_dir(&self) -> &Path;
}

/// Why a reference did not resolve.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolveError {
    /// The message.
    pub message: String,
    /// Help text such as a suggestion.
    pub help: Option<String>,
}

impl ResolveError {
    /// A resolve error without help.
    pub fn new(message: impl Into<String>) -> ResolveError {
        ResolveError {
            message: message.into(),
            help: None,
        }
    }
}

/// A scope holding only plain variables (for `templatefile` and tests).
pub struct VarScope<'a> {
    /// The variables.
    pub vars: &'a BTreeMap<String, Value>,
    /// The base folder.
    pub base_dir: &'a Path,
}

impl Scope for VarScope<'_> {
    fn resolve(&self, names: &[&str]) -> std::result::Result<(Value, usize), ResolveError> {
        match self.vars.get(names[0]) {
            Some(v) => Ok((v.clone(), 1)),
            None => Err(ResolveError::new(format!(
                "Unknown variable `{}`",
                names[0]
            ))),
        }
    }
    fn base_dir(&self) -> &Path {
        self.base_dir
    }
}

/// Evaluates an expression in a scope. An error never quotes a sensitive value: when the
/// expression reads one, the error's detail is withheld (see [`crate::lang::withhold`]).
pub fn eval(expr: &Expression, scope: &dyn Scope) -> Result<Value> {
    eval_bound(expr, scope, &[])
}

/// Evaluates an expression with local names already bound (a `dynamic` block's iterator), the
/// way a `for` expression binds its variables: they shadow the scope's names.
pub fn eval_bound(
    expr: &Expression,
    scope: &dyn Scope,
    bound: &[(String, Value)],
) -> Result<Value> {
    let mut evaluator = Evaluator::new(scope);
    evaluator.locals = bound.to_vec();
    evaluator
        .expr(expr)
        .and_then(|v| shallow_enough(v, expr))
        .map_err(|e| crate::lang::withhold::error(e, expr, scope))
}

/// A value nested deeper than [`limits::MAX_VALUE_DEPTH`] is an error at its expression:
/// values built from values (locals wrapping locals) would otherwise grow until a walk of
/// one overflowed the stack. Checked once per evaluation, so the walk itself stays shallow.
fn shallow_enough(v: Value, expr: &Expression) -> Result<Value> {
    let depth = v.depth();
    if depth > limits::MAX_VALUE_DEPTH {
        return Err(EvalError::new(
            format!(
                "The value nests {depth} levels deep, more than keyway's limit of {}",
                limits::MAX_VALUE_DEPTH
            ),
            span_of(expr),
        ));
    }
    Ok(v)
}

/// Evaluates a parsed template (used by `templatefile`).
pub fn eval_template(template: &Template, scope: &dyn Scope) -> Result<Value> {
    Evaluator::new(scope).template(template, TemplateKind::Lines)
}

/// Renders a template source with variables, as `templatefile` does.
pub fn render_template(
    source: &str,
    vars: &BTreeMap<String, Value>,
    base_dir: &Path,
) -> std::result::Result<Value, String> {
    render_nested(source, vars, base_dir, Budget::default())
}

/// Renders a template inside an evaluation that has already spent `budget`: a template that
/// renders itself through `templatefile` recurses, and the depth limit must see it.
fn render_nested(
    source: &str,
    vars: &BTreeMap<String, Value>,
    base_dir: &Path,
    budget: Budget,
) -> std::result::Result<Value, String> {
    let template = hcl_edit::parser::parse_template(source)
        .map_err(|e| format!("Invalid template: {}", e.message()))?;
    let scope = VarScope { vars, base_dir };
    let mut evaluator = Evaluator::new(&scope);
    evaluator.budget = Budget {
        templates: budget.templates + 1,
        ..budget
    };
    evaluator
        .template(&template, TemplateKind::Lines)
        .map_err(|e| e.message)
}

/// What one evaluation has spent of keyway's limits (see [`crate::limits`]).
#[derive(Clone, Copy, Default)]
struct Budget {
    /// Expressions being evaluated inside one another, templates included.
    depth: usize,
    /// Templates (`templatefile`) being rendered inside one another.
    templates: usize,
    /// Iterations of `for` expressions and template `for` directives so far.
    iterations: usize,
}

struct Evaluator<'s> {
    scope: &'s dyn Scope,
    /// Variables bound by `for` expressions and template `for` directives, innermost last.
    locals: Vec<(String, Value)>,
    budget: Budget,
}

fn span_of(expr: &Expression) -> Option<Range<usize>> {
    expr.span()
}

/// Keeps a sensitive mark from `from` on `v`.
fn carry_mark(v: Value, marked: bool) -> Value {
    if marked {
        v.sensitive()
    } else {
        v
    }
}

impl<'s> Evaluator<'s> {
    fn new(scope: &'s dyn Scope) -> Evaluator<'s> {
        Evaluator {
            scope,
            locals: Vec::new(),
            budget: Budget::default(),
        }
    }

    /// Evaluates a nested expression, one level deeper: keyway's stack is fixed, so the
    /// depth is bounded (see [`crate::limits::MAX_DEPTH`]).
    fn expr(&mut self, expr: &Expression) -> Result<Value> {
        if let Err(msg) = limits::check_depth(self.budget.depth + 1, "Expressions") {
            let hint = if self.budget.templates > 0 {
                " (templates rendered by templatefile count: does a template render itself?)"
            } else {
                ""
            };
            return Err(EvalError::new(format!("{msg}{hint}"), span_of(expr)));
        }
        self.budget.depth += 1;
        let result = self.expr_here(expr);
        self.budget.depth -= 1;
        // An error found below without a place of its own is at this expression.
        result.map_err(|mut e| {
            e.span = e.span.or_else(|| span_of(expr));
            e
        })
    }

    /// Counts one iteration of a `for`; errors past [`crate::limits::MAX_ELEMENTS`].
    fn iterate(&mut self, span: Option<Range<usize>>) -> Result<()> {
        self.budget.iterations += 1;
        if self.budget.iterations > limits::MAX_ELEMENTS {
            return Err(EvalError::new(
                format!(
                    "The `for` expressions of this expression iterate more than {} times, keyway's limit",
                    limits::MAX_ELEMENTS
                ),
                span,
            ));
        }
        Ok(())
    }

    fn expr_here(&mut self, expr: &Expression) -> Result<Value> {
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => {
                let f = n.value().as_f64().unwrap_or(0.0);
                Ok(Value::number(f))
            }
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.expr(item)?);
                }
                Ok(Value::List(out))
            }
            Expression::Object(obj) => {
                let mut out = BTreeMap::new();
                for (key, value) in obj.iter() {
                    let k = match key {
                        ObjectKey::Ident(id) => Value::string(id.as_str()),
                        ObjectKey::Expression(e) => self.object_key(e)?,
                    };
                    let v = self.expr(value.expr())?;
                    match k {
                        Value::Unknown => return Ok(Value::Unknown),
                        Value::String(k) => {
                            out.insert(k, v);
                        }
                        _ => {
                            return Err(EvalError::new(
                                "Object keys must be strings",
                                key_span(key),
                            ))
                        }
                    }
                }
                Ok(Value::Object(out))
            }
            Expression::StringTemplate(t) => self.template(t, TemplateKind::Quoted),
            Expression::HeredocTemplate(h) => {
                // `restore_flush_heredocs` marks `<<-` heredocs with an indent.
                let kind = match h.indent() {
                    Some(_) => TemplateKind::FlushLines,
                    None => TemplateKind::Lines,
                };
                self.template(&h.template, kind)
            }
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(_) | Expression::Traversal(_) => self.traversal(expr),
            Expression::Conditional(c) => {
                let cond = self.expr(&c.cond_expr)?;
                let marked = cond.has_sensitive();
                match cond.unmarked() {
                    Value::Unknown => Ok(Value::Unknown),
                    Value::Bool(true) => Ok(carry_mark(self.expr(&c.true_expr)?, marked)),
                    Value::Bool(false) => Ok(carry_mark(self.expr(&c.false_expr)?, marked)),
                    other => match to_bool(other) {
                        Some(true) => Ok(carry_mark(self.expr(&c.true_expr)?, marked)),
                        Some(false) => Ok(carry_mark(self.expr(&c.false_expr)?, marked)),
                        None => Err(EvalError::new(
                            format!(
                                "The condition value must be a bool, not {}",
                                other.type_name()
                            ),
                            span_of(&c.cond_expr),
                        )),
                    },
                }
            }
            Expression::FuncCall(call) => self.func_call(call, span_of(expr)),
            Expression::UnaryOp(op) => {
                let v = self.expr(&op.expr)?;
                let marked = v.has_sensitive();
                let inner = v.unmarked();
                let out = match (op.operator.value(), inner) {
                    (_, Value::Unknown) => Value::Unknown,
                    (UnaryOperator::Neg, v) => match to_number(v) {
                        Some(n) => Value::number(-n),
                        None => {
                            return Err(EvalError::new(
                                "Unsuitable value for unary operand: number required",
                                span_of(&op.expr),
                            ))
                        }
                    },
                    (UnaryOperator::Not, v) => match to_bool(v) {
                        Some(b) => Value::Bool(!b),
                        None => {
                            return Err(EvalError::new(
                                "Unsuitable value for unary operand: bool required",
                                span_of(&op.expr),
                            ))
                        }
                    },
                };
                Ok(carry_mark(out, marked))
            }
            Expression::BinaryOp(op) => self.binary(op),
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    fn object_key(&mut self, e: &Expression) -> Result<Value> {
        // A bare name in parentheses-free key position is a literal key in HCL; hcl-edit
        // gives those as `ObjectKey::Ident`, so anything here is a real expression.
        let v = self.expr(e)?;
        match v.unmarked() {
            Value::String(s) => Ok(Value::String(s.clone())),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            Value::Unknown => Ok(Value::Unknown),
            other => Err(EvalError::new(
                format!("Object keys must be strings, not {}", other.type_name()),
                span_of(e),
            )),
        }
    }

    fn lookup_local(&self, name: &str) -> Option<&Value> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn traversal(&mut self, expr: &Expression) -> Result<Value> {
        let (root, ops): (
            &hcl_edit::Decorated<hcl_edit::Ident>,
            &[hcl_edit::Decorated<TraversalOperator>],
        ) = match expr {
            Expression::Variable(v) => (v, &[]),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => (v, &t.operators[..]),
                inner => {
                    let base = self.expr(inner)?;
                    return self.apply_ops(base, &t.operators, span_of(expr));
                }
            },
            _ => return self.expr(expr),
        };
        let root_name = root.as_str();
        if let Some(v) = self.lookup_local(root_name) {
            let v = v.clone();
            return self.apply_ops(v, ops, span_of(expr));
        }
        // Collect the leading attribute names: the scope decides how many it needs.
        let mut names = vec![root_name];
        for op in ops {
            match op.value() {
                TraversalOperator::GetAttr(id) => names.push(id.as_str()),
                _ => break,
            }
        }
        let (value, used) = self.scope.resolve(&names).map_err(|e| EvalError {
            message: e.message,
            span: span_of(expr),
            help: e.help,
        })?;
        let consumed_ops = used.saturating_sub(1).min(ops.len());
        self.apply_ops(value, &ops[consumed_ops..], span_of(expr))
    }

    fn apply_ops(
        &mut self,
        mut value: Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        span: Option<Range<usize>>,
    ) -> Result<Value> {
        for (i, op) in ops.iter().enumerate() {
            match op.value() {
                TraversalOperator::GetAttr(id) => {
                    value = get_attr(value, id.as_str(), span.clone())?
                }
                TraversalOperator::Index(e) => {
                    let key = self.expr(e)?;
                    value = index(value, &key, span_of(e).or(span.clone()))?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    value = index(value, &Value::number(*n.value() as f64), span.clone())?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return self.splat(value, &ops[i + 1..], span);
                }
            }
        }
        Ok(value)
    }

    fn splat(
        &mut self,
        value: Value,
        rest: &[hcl_edit::Decorated<TraversalOperator>],
        span: Option<Range<usize>>,
    ) -> Result<Value> {
        let marked = value.has_sensitive();
        let items = match value.unmarked().clone() {
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null => return Ok(Value::List(Vec::new())),
            Value::List(v) | Value::Set(v) => v,
            // A splat on a single value treats it as a one-element list, as HCL does.
            other => vec![other],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.apply_ops(item, rest, span.clone())?);
        }
        Ok(carry_mark(Value::List(out), marked))
    }

    fn func_call(
        &mut self,
        call: &hcl_edit::expr::FuncCall,
        span: Option<Range<usize>>,
    ) -> Result<Value> {
        let name = call.name.name.as_str();
        match name {
            "try" => return self.try_fn(call, span),
            "can" => {
                if call.args.len() != 1 {
                    return Err(EvalError::new(
                        "Function `can` takes exactly one argument",
                        span,
                    ));
                }
                let arg = call.args.iter().next().expect("invariant: one argument");
                return Ok(match self.expr(arg) {
                    Ok(v) if v.has_unknown() => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let mut args = Vec::with_capacity(call.args.len());
        for arg in call.args.iter() {
            args.push(self.expr(arg)?);
        }
        if call.args.expand_final() {
            // `f(a, list...)`: the final argument's elements become separate arguments.
            match args.pop().map(|v| v.unmarked().clone()) {
                Some(Value::List(items)) | Some(Value::Set(items)) => args.extend(items),
                Some(Value::Unknown) => return Ok(Value::Unknown),
                _ => {
                    return Err(EvalError::new(
                        "The final argument of an expanding call must be a list, set or tuple",
                        span,
                    ))
                }
            }
        }
        let base_dir = self.scope.base_dir().to_path_buf();
        let budget = self.budget;
        let render =
            |src: &str, vars: &BTreeMap<String, Value>| render_nested(src, vars, &base_dir, budget);
        let ctx = FuncContext {
            base_dir: &base_dir,
            render_template: &render,
        };
        functions::call(name, args, &ctx).map_err(|message| {
            let help = if functions::names().binary_search(&name).is_err() {
                suggest(name, functions::names().iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
            } else {
                None
            };
            // A call failing inside a template another call renders says so once.
            let prefix = if message.starts_with(CALL_FAILED) {
                ""
            } else {
                CALL_FAILED
            };
            EvalError {
                message: format!("{prefix}{message}"),
                span,
                help,
            }
        })
    }

    fn try_fn(
        &mut self,
        call: &hcl_edit::expr::FuncCall,
        span: Option<Range<usize>>,
    ) -> Result<Value> {
        let mut last_err = None;
        for arg in call.args.iter() {
            match self.expr(arg) {
                // An unknown result may still fail later, so the whole call is unknown.
                Ok(v) if v.has_unknown() => return Ok(Value::Unknown),
                Ok(v) => return Ok(v),
                Err(e) => last_err = Some(e),
            }
        }
        Err(EvalError::new(
            format!(
                "Call to function `try` failed: no expression succeeded{}",
                last_err
                    .map(|e| format!(" (last error: {})", e.message))
                    .unwrap_or_default()
            ),
            span,
        ))
    }

    fn binary(&mut self, op: &hcl_edit::expr::BinaryOp) -> Result<Value> {
        let lhs = self.expr(&op.lhs_expr)?;
        let rhs = self.expr(&op.rhs_expr)?;
        let marked = lhs.has_sensitive() || rhs.has_sensitive();
        let (l, r) = (lhs.unmarked(), rhs.unmarked());
        let operator = *op.operator.value();
        let span = op
            .lhs_expr
            .span()
            .zip(op.rhs_expr.span())
            .map(|(a, b)| a.start..b.end);
        use BinaryOperator as B;
        let out = match operator {
            B::Eq | B::NotEq => {
                if l.has_unknown() || r.has_unknown() {
                    Value::Unknown
                } else {
                    let eq = values_equal(&lhs.clone().deep_unmark(), &rhs.clone().deep_unmark());
                    Value::Bool(if operator == B::Eq { eq } else { !eq })
                }
            }
            B::And | B::Or => {
                if matches!(l, Value::Unknown) || matches!(r, Value::Unknown) {
                    Value::Unknown
                } else {
                    let (a, b) = match (to_bool(l), to_bool(r)) {
                        (Some(a), Some(b)) => (a, b),
                        _ => {
                            return Err(EvalError::new(
                                "Unsuitable value for logical operand: bool required",
                                span,
                            ))
                        }
                    };
                    Value::Bool(if operator == B::And { a && b } else { a || b })
                }
            }
            _ => {
                if matches!(l, Value::Unknown) || matches!(r, Value::Unknown) {
                    Value::Unknown
                } else {
                    let (a, b) = match (to_number(l), to_number(r)) {
                        (Some(a), Some(b)) => (a, b),
                        _ => {
                            let bad = if to_number(l).is_none() { l } else { r };
                            return Err(EvalError::new(
                                format!(
                                    "Unsuitable value for arithmetic operand: number required, got {}",
                                    bad.type_name()
                                ),
                                span,
                            ));
                        }
                    };
                    arith(operator, a, b, span)?
                }
            }
        };
        Ok(carry_mark(out, marked))
    }

    fn for_expr(&mut self, f: &ForExpr) -> Result<Value> {
        let coll = self.expr(&f.intro.collection_expr)?;
        let marked = coll.has_sensitive();
        let pairs = match iteration_pairs(coll.unmarked()) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(Value::Unknown),
            Err(msg) => return Err(EvalError::new(msg, span_of(&f.intro.collection_expr))),
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_owned());
        let value_var = f.intro.value_var.as_str().to_owned();
        let mut list = Vec::new();
        let mut object: BTreeMap<String, Value> = BTreeMap::new();
        let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, v) in pairs {
            self.iterate(span_of(&f.intro.collection_expr))?;
            let depth = self.locals.len();
            if let Some(kv) = &key_var {
                self.locals.push((kv.clone(), k));
            }
            self.locals.push((value_var.clone(), v));
            let result = self.for_item(f, &mut list, &mut object, &mut grouped);
            self.locals.truncate(depth);
            if let Some(unknown) = result? {
                return Ok(unknown);
            }
        }
        let out = if f.key_expr.is_some() {
            if f.grouping {
                Value::Object(
                    grouped
                        .into_iter()
                        .map(|(k, v)| (k, Value::List(v)))
                        .collect(),
                )
            } else {
                Value::Object(object)
            }
        } else {
            Value::List(list)
        };
        Ok(carry_mark(out, marked))
    }

    /// Evaluates one iteration; returns `Some(Unknown)` when the whole result is unknown.
    fn for_item(
        &mut self,
        f: &ForExpr,
        list: &mut Vec<Value>,
        object: &mut BTreeMap<String, Value>,
        grouped: &mut BTreeMap<String, Vec<Value>>,
    ) -> Result<Option<Value>> {
        if let Some(cond) = &f.cond {
            let c = self.expr(&cond.expr)?;
            match c.unmarked() {
                Value::Unknown => return Ok(Some(Value::Unknown)),
                v => match to_bool(v) {
                    Some(true) => {}
                    Some(false) => return Ok(None),
                    None => {
                        return Err(EvalError::new(
                            "The `if` clause of a `for` expression must be a bool",
                            span_of(&cond.expr),
                        ))
                    }
                },
            }
        }
        let value = self.expr(&f.value_expr)?;
        match &f.key_expr {
            None => list.push(value),
            Some(key_expr) => {
                let key = self.object_key(key_expr)?;
                let key = match key {
                    Value::String(s) => s,
                    _ => return Ok(Some(Value::Unknown)),
                };
                if f.grouping {
                    grouped.entry(key).or_default().push(value);
                } else {
                    match object.entry(key) {
                        std::collections::btree_map::Entry::Occupied(e) => {
                            return Err(EvalError::new(
                                format!("Duplicate object key `{}` in `for` expression; add `...` after the value to group values by key", e.key()),
                                span_of(key_expr),
                            ));
                        }
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert(value);
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    fn template(&mut self, template: &Template, kind: TemplateKind) -> Result<Value> {
        // "${expr}" alone yields the expression's value unconverted, as in Terraform.
        if kind == TemplateKind::Quoted && template.len() == 1 {
            if let Some(Element::Interpolation(i)) = template.iter().next() {
                return self.expr(&i.expr);
            }
        }
        let normalized = crate::lang::template::normalize(template, kind);
        let template = normalized.as_ref().unwrap_or(template);
        let mut out = String::new();
        let mut marked = false;
        let mut unknown = false;
        self.render_elements(template, &mut out, &mut marked, &mut unknown)?;
        if unknown {
            return Ok(Value::Unknown);
        }
        Ok(carry_mark(Value::String(out), marked))
    }

    /// Renders elements whose whitespace `template::normalize` has already settled.
    fn render_elements(
        &mut self,
        elements: &Template,
        out: &mut String,
        marked: &mut bool,
        unknown: &mut bool,
    ) -> Result<()> {
        for el in elements.iter() {
            match el {
                Element::Literal(lit) => out.push_str(lit.value()),
                Element::Interpolation(interp) => {
                    let v = self.expr(&interp.expr)?;
                    *marked |= v.has_sensitive();
                    match template_string(v.unmarked()) {
                        Ok(Some(s)) => out.push_str(&s),
                        Ok(None) => *unknown = true,
                        Err(msg) => return Err(EvalError::new(msg, span_of(&interp.expr))),
                    }
                }
                Element::Directive(d) => self.directive(d, out, marked, unknown)?,
            }
            limits::check_string_bytes(out.len())
                .map_err(|msg| EvalError::new(format!("Template too long: {msg}"), None))?;
        }
        Ok(())
    }

    fn directive(
        &mut self,
        d: &Directive,
        out: &mut String,
        marked: &mut bool,
        unknown: &mut bool,
    ) -> Result<()> {
        match d {
            Directive::If(ifd) => {
                let c = self.expr(&ifd.if_expr.cond_expr)?;
                *marked |= c.has_sensitive();
                let branch = match c.unmarked() {
                    Value::Unknown => {
                        *unknown = true;
                        return Ok(());
                    }
                    v => to_bool(v).ok_or_else(|| {
                        EvalError::new(
                            "Template `if` condition must be a bool",
                            span_of(&ifd.if_expr.cond_expr),
                        )
                    })?,
                };
                let tpl = if branch {
                    Some(&ifd.if_expr.template)
                } else {
                    ifd.else_expr.as_ref().map(|e| &e.template)
                };
                if let Some(tpl) = tpl {
                    self.render_elements(tpl, out, marked, unknown)?;
                }
                Ok(())
            }
            Directive::For(ford) => {
                let f = &ford.for_expr;
                let coll = self.expr(&f.collection_expr)?;
                *marked |= coll.has_sensitive();
                let pairs = match iteration_pairs(coll.unmarked()) {
                    Ok(Some(p)) => p,
                    Ok(None) => {
                        *unknown = true;
                        return Ok(());
                    }
                    Err(msg) => return Err(EvalError::new(msg, span_of(&f.collection_expr))),
                };
                for (k, v) in pairs {
                    self.iterate(span_of(&f.collection_expr))?;
                    let depth = self.locals.len();
                    if let Some(kv) = &f.key_var {
                        self.locals.push((kv.as_str().to_owned(), k));
                    }
                    self.locals.push((f.value_var.as_str().to_owned(), v));
                    let r = self.render_elements(&f.template, out, marked, unknown);
                    self.locals.truncate(depth);
                    r?;
                }
                Ok(())
            }
        }
    }
}

/// The (key, value) pairs a `for` iterates: index or element for lists, the element twice for
/// sets, key and value for objects. `None` when the collection is unknown.
fn iteration_pairs(coll: &Value) -> std::result::Result<Option<Vec<(Value, Value)>>, String> {
    Ok(Some(match coll.clone() {
        Value::Unknown => return Ok(None),
        Value::List(items) => items.into_iter().enumerate().map(|(i, v)| (Value::number(i as f64), v)).collect(),
        Value::Set(items) => items.into_iter().map(|v| (v.clone(), v)).collect(),
        Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        Value::Null => return Err("Iteration over null value: a null value cannot be used as the collection in a `for` expression".into()),
        other => {
            return Err(format!(
                "Iteration over non-iterable value: a value of type {} cannot be used as the collection in a `for` expression",
                other.type_name()
            ))
        }
    }))
}

fn key_span(key: &ObjectKey) -> Option<Range<usize>> {
    match key {
        ObjectKey::Ident(id) => id.span(),
        ObjectKey::Expression(e) => e.span(),
    }
}

/// The string a value contributes to a template; `None` if unknown.
fn template_string(v: &Value) -> std::result::Result<Option<String>, String> {
    match v {
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Unknown => Ok(None),
        Value::Null => {
            Err("Invalid template interpolation value: the expression result is null".into())
        }
        Value::Sensitive(inner) => template_string(inner),
        other => Err(format!(
            "Invalid template interpolation value: cannot include a {} in a string template",
            other.type_name()
        )),
    }
}

/// Converts to a number as Terraform's automatic conversion does (numeric strings too).
pub fn to_number(v: &Value) -> Option<f64> {
    match v.unmarked() {
        Value::Number(n) => Some(n.0),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|_| !s.trim().is_empty()),
        _ => None,
    }
}

/// Converts to a bool as Terraform's automatic conversion does ("true"/"false" strings).
pub fn to_bool(v: &Value) -> Option<bool> {
    match v.unmarked() {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// Deep equality; numbers compare numerically, lists and sets by elements.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    a == b
}

fn arith(op: BinaryOperator, a: f64, b: f64, span: Option<Range<usize>>) -> Result<Value> {
    use BinaryOperator as B;
    Ok(match op {
        B::Plus => Value::number(a + b),
        B::Minus => Value::number(a - b),
        B::Mul => Value::number(a * b),
        B::Div => {
            if b == 0.0 {
                return Err(EvalError::new("Division by zero is not allowed", span));
            }
            Value::number(a / b)
        }
        B::Mod => {
            if b == 0.0 {
                return Err(EvalError::new("Modulo by zero is not allowed", span));
            }
            Value::number(a % b)
        }
        B::Less => Value::Bool(a < b),
        B::LessEq => Value::Bool(a <= b),
        B::Greater => Value::Bool(a > b),
        B::GreaterEq => Value::Bool(a >= b),
        _ => return Err(EvalError::new("Unsupported operator", span)),
    })
}

/// `value.name`.
fn get_attr(value: Value, name: &str, span: Option<Range<usize>>) -> Result<Value> {
    let marked = matches!(value, Value::Sensitive(_));
    let out = match value.unmarked() {
        Value::Unknown => Value::Unknown,
        Value::Object(m) => match m.get(name) {
            Some(v) => v.clone(),
            None => {
                let mut err = EvalError::new(
                    format!("Unsupported attribute: this object does not have an attribute named `{name}`"),
                    span,
                );
                err.help = suggest(name, m.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                return Err(err);
            }
        },
        Value::Null => {
            return Err(EvalError::new(
                format!("Attempt to get attribute `{name}` from a null value"),
                span,
            ))
        }
        other => {
            return Err(EvalError::new(
                format!(
                    "Unsupported attribute: can't access attribute `{name}` on a {}",
                    other.type_name()
                ),
                span,
            ))
        }
    };
    Ok(carry_mark(out, marked))
}

/// `value[key]`.
pub fn index(value: Value, key: &Value, span: Option<Range<usize>>) -> Result<Value> {
    let marked = matches!(value, Value::Sensitive(_)) || key.has_sensitive();
    let out = match (value.unmarked(), key.unmarked()) {
        (Value::Unknown, _) | (_, Value::Unknown) => Value::Unknown,
        (Value::List(items), k) => {
            let i = to_number(k)
                .filter(|n| n.fract() == 0.0)
                .ok_or_else(|| EvalError::new("Invalid index: a whole number is required", span.clone()))?;
            if i < 0.0 || i as usize >= items.len() {
                return Err(EvalError::new(
                    "Invalid index: the given key does not identify an element in this collection value",
                    span,
                ));
            }
            items[i as usize].clone()
        }
        (Value::Object(m), k) => {
            let k = match k {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(EvalError::new("Invalid index: a string key is required", span)),
            };
            match m.get(&k) {
                Some(v) => v.clone(),
                None => {
                    return Err(EvalError::new(
                        format!("Invalid index: the given key `{k}` does not identify an element in this collection value"),
                        span,
                    ))
                }
            }
        }
        (Value::Set(_), _) => {
            return Err(EvalError::new(
                "Invalid index: elements of a set are identified only by their value and don't have any separate index or key to select with",
                span,
            ))
        }
        (Value::Null, _) => return Err(EvalError::new("Attempt to index a null value", span)),
        (other, _) => {
            return Err(EvalError::new(
                format!("Invalid index: this value of type {} does not have any indices", other.type_name()),
                span,
            ))
        }
    };
    Ok(carry_mark(out, marked))
}

/// The closest candidate to `name` by edit distance, if it is close enough to be a typo.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.len() / 3).max(1);
    candidates
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Optimal-string-alignment distance: Levenshtein plus adjacent transpositions, so that
/// `inptu` is one edit from `input`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}
