//! Renders a [`Plan`] for people, in Terraform's layout: one block per changed instance with
//! per-attribute changes, the reason for replacements and deletions, and a summary line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use crate::cli::render::body::{render_body, Level};
use crate::cli::render::style::Style;
use crate::cli::render::value::{key, quote, render, render_marked};
use crate::lang::Value;
use crate::plan::{Action, Mode, OutputChange, Plan, ResourceChange};
use crate::schema;

/// Renders the plan.
pub fn render_plan(plan: &Plan, st: &Style) -> String {
    let mut out = String::new();
    if !plan.drift.is_empty() && plan.mode != Mode::Destroy {
        let _ = writeln!(
            out,
            "Objects changed outside of keyway since the last apply: {}\n",
            plan.drift.join(", ")
        );
    }
    for (from, to) in &plan.moved {
        let _ = writeln!(out, "  # {from} has moved to {to}\n");
    }
    let shown_change =
        |c: &ResourceChange| c.action.is_change() || plan.imported.contains_key(&c.addr);
    let changed: Vec<&ResourceChange> = plan.changes.iter().filter(|c| shown_change(c)).collect();
    if changed.is_empty() && !outputs_change(plan) {
        if plan.mode == Mode::RefreshOnly && !plan.drift.is_empty() {
            out.push_str(
                "This is a refresh-only plan: applying it records the objects' current state.\n",
            );
        } else {
            out.push_str(&st.bold("No changes."));
            out.push_str(" Your infrastructure matches the configuration.\n");
        }
        return out;
    }
    if !changed.is_empty() {
        out.push_str("keyway will perform the following actions:\n\n");
        // Data sources read during apply are listed with the changes, in plan order.
        let shown = plan
            .changes
            .iter()
            .filter(|c| shown_change(c) || read_during_apply(c));
        for c in shown {
            render_change(&mut out, c, plan.imported.get(&c.addr), st);
            out.push('\n');
        }
        let (add, change, destroy) = plan.counts();
        let import = match plan.imported.len() {
            0 => String::new(),
            n => format!("{n} to import, "),
        };
        let forget = match plan.forgets() {
            0 => String::new(),
            n => format!(", {n} to forget"),
        };
        let _ = writeln!(
            out,
            "{} {import}{add} to add, {change} to change, {destroy} to destroy{forget}.",
            st.bold("Plan:")
        );
        let forgotten: Vec<&str> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Forget)
            .map(|c| c.addr.as_str())
            .collect();
        if !forgotten.is_empty() {
            let _ = writeln!(
                out,
                "\n{} Some objects will no longer be managed by keyway\n\nIf you apply this plan, \
                 keyway will discard its tracking information for the following objects, but it \
                 will not delete them:\n{}\n\nAfter applying this plan, keyway will no longer \
                 manage these objects. You will need to import them to manage them again.",
                st.yellow("Warning:"),
                forgotten
                    .iter()
                    .map(|a| format!(" - {a}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    if outputs_change(plan) {
        out.push_str("\nChanges to Outputs:\n");
        // `=` aligned over the outputs that change, as after apply.
        let width = plan
            .outputs
            .iter()
            .filter(|(_, o)| output_changes(o))
            .map(|(n, _)| n.len())
            .max()
            .unwrap_or(0);
        for (name, o) in &plan.outputs {
            let name = format!("{name:width$}");
            let (b, a) = (o.before.as_ref(), o.after.as_ref());
            let redact = |v: &Value| {
                if o.sensitive {
                    Value::string("").sensitive()
                } else {
                    v.clone()
                }
            };
            match (b, a) {
                (None, Some(a)) => {
                    let _ = writeln!(
                        out,
                        "  {} {name} = {}",
                        st.green("+"),
                        render(&redact(a), 4)
                    );
                }
                (Some(_), None) => {
                    let _ = writeln!(out, "  {} {name} = null", st.red("-"));
                }
                (Some(b), Some(a)) if b.to_json() != a.to_json() || a.has_unknown() => {
                    let _ = writeln!(
                        out,
                        "  {} {name} = {} -> {}",
                        st.yellow("~"),
                        render(&redact(b), 4),
                        render(&redact(a), 4)
                    );
                }
                _ => {}
            }
        }
    }
    out
}

fn outputs_change(plan: &Plan) -> bool {
    plan.outputs.values().any(output_changes)
}

fn output_changes(o: &OutputChange) -> bool {
    match (&o.before, &o.after) {
        (Some(b), Some(a)) => b.to_json() != a.to_json() || a.has_unknown(),
        (None, None) => false,
        _ => true,
    }
}

fn header(c: &ResourceChange) -> String {
    match &c.action {
        Action::Create => format!("will be {}", c.note.as_deref().unwrap_or("created")),
        Action::Update => "will be updated in-place".into(),
        Action::Replace {
            create_first: false,
            ..
        } => replaced("must be replaced", c.note.as_deref()),
        Action::Replace {
            create_first: true, ..
        } => replaced(
            "must be replaced (the new object is created first)",
            c.note.as_deref(),
        ),
        Action::Delete { reason } if reason == "destroy" => {
            forgotten(c, "will be destroyed".into())
        }
        Action::Delete { reason } => {
            forgotten(c, format!("will be destroyed\n  # (because {reason})"))
        }
        Action::Read => format!("will be read during apply\n  # ({})", read_reason(c)),
        Action::Forget => "will no longer be managed by keyway".into(),
        Action::NoOp => String::new(),
    }
}

/// A destroy of a type whose API cannot delete (an IAP brand, by its schema): it is only
/// removed from state, which the plan says.
fn forgotten(c: &ResourceChange, header: String) -> String {
    if schema::lookup_in(&c.ty, false).is_some_and(|s| s.destroy_only_forgets()) {
        format!("{header}\n  # (the API cannot delete it: it is only removed from state and stays in the cloud)")
    } else {
        header
    }
}

/// A data source whose read waits for apply: its planned result is not known yet.
fn read_during_apply(c: &ResourceChange) -> bool {
    c.action == Action::Read && c.after.as_ref().is_some_and(Value::has_unknown)
}

/// Terraform's reason for a deferred read: an argument not known yet, or else a dependency
/// with changes planned.
fn read_reason(c: &ResourceChange) -> &'static str {
    let schema = schema::lookup_in(&c.ty, true);
    let args_unknown = obj(c.after.as_ref().unwrap_or(&Value::Null))
        .iter()
        .any(|(k, v)| {
            v.has_unknown()
                && schema
                    .and_then(|s| s.attributes.get(k))
                    .is_none_or(|a| !a.computed || a.optional)
        });
    if args_unknown {
        "config refers to values not yet known"
    } else {
        "depends on a resource or a module with changes pending"
    }
}

/// A replacement's header, with the provider's note on the new object on its own line.
fn replaced(header: &str, note: Option<&str>) -> String {
    match note {
        Some(n) => format!("{header}\n  # ({n})"),
        None => header.to_owned(),
    }
}

fn symbol(action: &Action, st: &Style) -> String {
    let s = action.symbol();
    match action {
        Action::Create => st.green(s),
        Action::Delete { .. } => st.red(s),
        Action::Update => st.yellow(s),
        Action::Replace {
            create_first: false,
            ..
        } => format!("{}{}{}", st.red("-"), "/", st.green("+")),
        Action::Replace {
            create_first: true, ..
        } => format!("{}{}{}", st.green("+"), "/", st.red("-")),
        _ => s.to_owned(),
    }
}

fn render_change(out: &mut String, c: &ResourceChange, import: Option<&String>, st: &Style) {
    let header = match (import, &c.action) {
        (Some(_), Action::NoOp) => "will be imported".to_owned(),
        (Some(id), _) => format!("{}\n  # (imported from {})", header(c), quote(id)),
        (None, _) => header(c),
    };
    let _ = writeln!(out, "  {} {header}", st.bold(&format!("# {}", c.addr)));
    if let (Some(_), Action::NoOp, Some(object)) = (import, &c.action, &c.before) {
        // Imported as it is: the object, nothing marked.
        let name = c.resource.rsplit('.').next().unwrap_or_default();
        let _ = writeln!(
            out,
            "    resource {} {} {}",
            quote(&c.ty),
            quote(name),
            render(&hide_sensitive(&c.ty, object), 4)
        );
        return;
    }
    let name = c.resource.rsplit('.').next().unwrap_or_default();
    let kind = if c.resource.starts_with("data.") {
        "data"
    } else {
        "resource"
    };
    let sym = symbol(&c.action, st);
    // The symbols line up on their last character, as in Terraform (`-/+`, ` <=`, `  +`).
    let pad = if matches!(c.action, Action::Replace { .. }) {
        ""
    } else if c.action == Action::Read {
        " "
    } else {
        "  "
    };
    let _ = writeln!(out, "{pad}{sym} {kind} {} {} {{", quote(&c.ty), quote(name));
    let empty = Value::Object(Default::default());
    let before = c.before.as_ref().unwrap_or(&empty);
    let after = c.after.as_ref().unwrap_or(&empty);
    let forces: BTreeSet<&str> = match &c.action {
        Action::Replace { reasons, .. } => reasons.iter().map(String::as_str).collect(),
        _ => BTreeSet::new(),
    };
    let none = (BTreeMap::new(), BTreeMap::new());
    let level = match schema::lookup_in(&c.ty, c.mode == crate::config::Mode::Data) {
        Some(s) => Level {
            attributes: &s.attributes,
            blocks: &s.blocks,
        },
        None => Level {
            attributes: &none.0,
            blocks: &none.1,
        },
    };
    let scope = Scope {
        st,
        forces: Some(&forces),
    };
    render_body(out, level, before, after, &c.action, 6, &scope);
    let ao = obj(after);
    for r in forces.iter().filter(|r| !ao.contains_key(**r)) {
        let _ = writeln!(out, "        # (replacement forced by {r})");
    }
    out.push_str("    }\n");
}

/// The object without its null attributes, its sensitive ones (by the schema) shown as
/// `(sensitive value)`.
fn hide_sensitive(ty: &str, v: &Value) -> Value {
    let v = match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    match schema::lookup_in(ty, false) {
        Some(schema) => crate::plan::diff::mark(schema, v),
        None => v,
    }
}

/// What nested renderers need: the style, and the top-level arguments forcing replacement.
pub struct Scope<'a> {
    pub st: &'a Style,
    pub forces: Option<&'a BTreeSet<&'a str>>,
}

impl Scope<'_> {
    /// Appends Terraform's `# forces replacement` to the line of argument `k` if it does.
    pub fn mark_forced(&self, out: &mut String, k: &str) {
        if self.forces.is_some_and(|f| f.contains(k)) {
            out.push_str(&self.st.red(" # forces replacement"));
        }
    }
}

fn obj(v: &Value) -> std::collections::BTreeMap<String, Value> {
    match v.unmarked() {
        Value::Object(m) => m.clone(),
        _ => Default::default(),
    }
}

/// One attribute's line (or lines) in a block whose symbols sit at column `col`. `None`
/// when the attribute does not change (or, on create, is null).
pub fn attr_line_at(
    k: &str,
    width: usize,
    b: &Value,
    a: &Value,
    action: &Action,
    st: &Style,
    col: usize,
) -> Option<String> {
    let key = format!("{k:width$}");
    let pad = " ".repeat(col);
    let inner = col + 2;
    if let (Action::Delete { .. }, Some(summary)) = (action, summary(b)) {
        return Some(format!("{pad}{} {key} = {summary} -> null", st.red("-")));
    }
    if let Some((b, a)) = decoded(b, a) {
        let line = attr_line_at(k, width, &b, &a, action, st, col)?;
        return Some(line.replacen(" = ", " = (base64-decoded) ", 1));
    }
    if b != a || a.has_unknown() {
        if let Some((b, a)) = super::jsonencode::documents(b, a) {
            return Some(super::jsonencode::line(&key, &b, &a, action, st, col));
        }
    }
    let plus = st.green("+");
    let minus = st.red("-");
    match action {
        Action::Create => (!a.is_null())
            .then(|| format!("{pad}{plus} {key} = {}", render_marked(a, inner, &plus))),
        Action::Delete { .. } => (!b.is_null()).then(|| {
            format!(
                "{pad}{minus} {key} = {} -> null",
                render_marked(b, inner, &minus)
            )
        }),
        _ => {
            if b == a && !a.has_unknown() {
                return None;
            }
            match (b, a) {
                (Value::Sensitive(_), Value::Sensitive(_)) => {
                    return Some(format!("{pad}{} {key} = (sensitive value)", st.yellow("~")));
                }
                (Value::String(x), Value::String(y)) if x.contains('\n') || y.contains('\n') => {
                    return Some(format!(
                        "{pad}{} {key} = {}",
                        st.yellow("~"),
                        line_diff(x, y, st, col)
                    ));
                }
                (Value::Object(x), Value::Object(y)) => {
                    return Some(format!(
                        "{pad}{} {key} = {}",
                        st.yellow("~"),
                        object_diff(x, y, st, col)
                    ));
                }
                (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y))
                    if !a.has_unknown() =>
                {
                    return Some(format!(
                        "{pad}{} {key} = {}",
                        st.yellow("~"),
                        list_diff(x, y, st, inner)
                    ));
                }
                _ => {}
            }
            Some(match (b.is_null(), a.is_null()) {
                (true, false) => format!("{pad}{plus} {key} = {}", render_marked(a, inner, &plus)),
                (false, true) => format!(
                    "{pad}{minus} {key} = {} -> null",
                    render_marked(b, inner, &minus)
                ),
                // The old value goes away whole: its elements are marked as removed.
                _ => format!(
                    "{pad}{} {key} = {} -> {}",
                    st.yellow("~"),
                    render_marked(b, inner, &minus),
                    render_marked(a, inner, &plus)
                ),
            })
        }
    }
}

/// Values longer than this are summarised in a deletion rather than printed whole.
const LONG: usize = 200;

/// A deleted string too long to be worth reading (an OpenAPI document, base64 or not).
fn summary(v: &Value) -> Option<String> {
    let Value::String(s) = v else { return None };
    if s.len() <= LONG && !s.contains('\n') {
        return None;
    }
    Some(match base64_text(s) {
        Some(text) => format!("(base64 of {} bytes of text, not shown)", text.len()),
        None => format!("({} bytes, not shown)", s.len()),
    })
}

/// Both sides with base64 text replaced by the text, when either side is base64 of text (the
/// other being the same kind, or null or unknown): a document is diffed as what it says.
fn decoded(b: &Value, a: &Value) -> Option<(Value, Value)> {
    let text = |v: &Value| match v {
        Value::String(s) => base64_text(s).map(Value::String),
        _ => None,
    };
    let other = |v: &Value| matches!(v, Value::Null | Value::Unknown);
    match (text(b), text(a)) {
        (Some(x), Some(y)) => Some((x, y)),
        (Some(x), None) if other(a) => Some((x, a.clone())),
        (None, Some(y)) if other(b) => Some((b.clone(), y)),
        _ => None,
    }
}

/// The text `s` encodes, if `s` is standard base64 of printable UTF-8 text with at least one
/// space or newline (so that keys, hashes and IDs are never taken for text).
fn base64_text(s: &str) -> Option<String> {
    use base64::Engine;
    if s.len() < 24 || !s.len().is_multiple_of(4) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    (printable && text.contains([' ', '\n'])).then_some(text)
}

/// A change inside an object, key by key, as Terraform shows nested changes.
pub(super) fn object_diff(
    b: &std::collections::BTreeMap<String, Value>,
    a: &std::collections::BTreeMap<String, Value>,
    st: &Style,
    col: usize,
) -> String {
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let null = Value::Null;
    let lines: Vec<(&String, &Value, &Value)> = keys
        .into_iter()
        .map(|k| (k, b.get(k).unwrap_or(&null), a.get(k).unwrap_or(&null)))
        .collect();
    let shown: Vec<&(&String, &Value, &Value)> = lines
        .iter()
        .filter(|(_, x, y)| x != y || y.has_unknown())
        .collect();
    let width = shown
        .iter()
        .map(|(k, _, _)| key(k).len())
        .max()
        .unwrap_or(0);
    let mut out = String::from("{\n");
    for (k, x, y) in &shown {
        let action = match (x.is_null(), y.is_null()) {
            (true, false) => Action::Create,
            (false, true) => Action::Delete {
                reason: String::new(),
            },
            _ => Action::Update,
        };
        if let Some(l) = attr_line_at(&key(k), width, x, y, &action, st, col + 4) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    let hidden = lines.len() - shown.len();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{}# ({hidden} unchanged element{} hidden)",
            " ".repeat(col + 6),
            if hidden == 1 { "" } else { "s" }
        );
    }
    let _ = write!(out, "{}}}", " ".repeat(col + 2));
    out
}

/// A list change element by element, as Terraform shows it: removed elements marked `-`,
/// added ones `+`, one replaced in place `~ old -> new`, unchanged ones counted.
pub(super) fn list_diff(b: &[Value], a: &[Value], st: &Style, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    let text = |v: &Value| render(v, indent + 4);
    let (old, new): (Vec<String>, Vec<String>) =
        (b.iter().map(text).collect(), a.iter().map(text).collect());
    let mut out = String::from("[\n");
    let mut hidden = 0;
    let (plus, minus, tilde) = (st.green("+"), st.red("-"), st.yellow("~"));
    let marked = |out: &mut String, items: &[Value], mark: &str| {
        for v in items {
            let _ = writeln!(out, "{pad}{mark} {},", render_marked(v, indent + 4, mark));
        }
    };
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
        match op {
            similar::DiffOp::Equal { len, .. } => hidden += len,
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => marked(&mut out, &b[old_index..old_index + old_len], &minus),
            similar::DiffOp::Insert {
                new_index, new_len, ..
            } => marked(&mut out, &a[new_index..new_index + new_len], &plus),
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } if old_len == new_len => {
                let pairs = (old_index..old_index + old_len).zip(new_index..new_index + new_len);
                for (i, j) in pairs {
                    // Two objects: the change inside, key by key, as Terraform shows it.
                    let line = match (&b[i], &a[j]) {
                        (Value::Object(x), Value::Object(y)) => object_diff(x, y, st, indent + 2),
                        _ => format!("{} -> {}", old[i], new[j]),
                    };
                    let _ = writeln!(out, "{pad}{tilde} {line},");
                }
            }
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                marked(&mut out, &b[old_index..old_index + old_len], &minus);
                marked(&mut out, &a[new_index..new_index + new_len], &plus);
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{pad}  # ({hidden} unchanged element{} hidden)",
            if hidden == 1 { "" } else { "s" }
        );
    }
    let _ = write!(out, "{}]", " ".repeat(indent));
    out
}

/// A multi-line string change as a line diff.
fn line_diff(old: &str, new: &str, st: &Style, col: usize) -> String {
    let pad = " ".repeat(col + 4);
    let mut s = String::from("<<-EOT\n");
    let diff = TextDiff::from_lines(old, new);
    // Three lines of context around each change, as Terraform shows a long document; the
    // unchanged lines between are counted.
    let hidden = |s: &mut String, n: usize| {
        if n > 0 {
            let _ = writeln!(
                s,
                "{pad}  # ({n} unchanged line{} hidden)",
                if n == 1 { "" } else { "s" }
            );
        }
    };
    let mut seen = 0;
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        hidden(&mut s, first.old_range().start - seen);
        seen = last.old_range().end;
        for change in group.iter().flat_map(|op| diff.iter_changes(op)) {
            let line = change.value().trim_end_matches('\n');
            let _ = match change.tag() {
                ChangeTag::Delete => writeln!(s, "{pad}{} {line}", st.red("-")),
                ChangeTag::Insert => writeln!(s, "{pad}{} {line}", st.green("+")),
                ChangeTag::Equal => writeln!(s, "{pad}  {line}"),
            };
        }
    }
    hidden(&mut s, diff.old_slices().len().saturating_sub(seen));
    let _ = write!(s, "{}EOT", " ".repeat(col + 2));
    s
}
