//! Canonical formatting of HCL sources, byte-for-byte the style of `terraform fmt`
//! (`keyway fmt`).
//!
//! The input is first parsed with hcl-edit so malformed sources are rejected with a location.
//! Formatting then works on a token stream, as Terraform's formatter does, because canonical
//! style is about whitespace between tokens, not about the syntax tree:
//!
//! 1. lex the source into tokens (whitespace dropped; comments, newlines and the literal parts
//!    of strings and heredocs kept verbatim);
//! 2. apply Terraform's own rewrites: an attribute value that is a lone interpolation
//!    (`"${var.x}"`) is unwrapped, and legacy `type` constraints in `variable` blocks
//!    (`"string"`, `list`) get their modern spelling;
//! 3. split into lines, each with up to three cells: *lead*, *assign* (from `=` when the value
//!    fits on the line) and a trailing *comment*;
//! 4. indent each line by two spaces per open bracket level, decide the single space or none
//!    between neighbouring tokens, and pad the assign and comment cells of consecutive lines so
//!    their `=` and comments line up.

use std::borrow::Cow;

/// A source that cannot be formatted because it does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("invalid HCL at line {line}, column {column}: {message}")]
#[diagnostic(
    code(config::fmt_syntax),
    help("fix the syntax error first; nothing was reformatted")
)]
pub struct FormatError {
    /// One-based line of the error.
    pub line: usize,
    /// One-based column of the error.
    pub column: usize,
    pub message: String,
}

/// Formats an HCL source in canonical style.
pub fn format(source: &str) -> Result<String, FormatError> {
    if let Err(e) = hcl_edit::parser::parse_body(source) {
        let message = if e.message().is_empty() {
            "syntax error".to_string()
        } else {
            e.message().to_string()
        };
        return Err(FormatError {
            line: e.location().line(),
            column: e.location().column(),
            message,
        });
    }
    Ok(reformat(source))
}

/// The formatting proper. Total: it never fails or panics, whatever the input, so that even
/// an input the parser accepted but the lexer reads differently cannot crash `keyway fmt`.
fn reformat(source: &str) -> String {
    let tokens = Lexer::new(source).run();
    let mut tokens = rewrite_body_values(tokens);
    let lines = split_lines(&tokens);
    format_indent(&mut tokens, &lines);
    format_spaces(&mut tokens, &lines);
    format_cells(&mut tokens, &lines);

    let mut out = String::with_capacity(source.len() + source.len() / 8);
    for t in &tokens {
        for _ in 0..t.spaces {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    // Terraform always ends a non-empty file with a newline.
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

// ---- tokens ---------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Newline,
    /// `#` and `//` comments include their newline; `/* */` comments do not.
    Comment,
    Ident,
    Number,
    OQuote,
    CQuote,
    /// Literal text inside a quoted string.
    QuotedLit,
    /// Literal text inside a heredoc, at most one line (including its newline).
    StringLit,
    /// `<<EOT` or `<<-EOT`, including the newline that ends the line.
    OHeredoc,
    /// The closing marker line of a heredoc, with its leading whitespace, without newline.
    CHeredoc,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Comma,
    Dot,
    Ellipsis,
    Equal,
    Colon,
    DoubleColon,
    Question,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    EqualOp,
    NotEqual,
    Greater,
    GreaterEq,
    Less,
    LessEq,
    And,
    Or,
    Bang,
    FatArrow,
    Invalid,
}

#[derive(Clone, Debug)]
struct Token<'a> {
    kind: Kind,
    text: Cow<'a, str>,
    /// Spaces written before the token; computed by the formatting passes.
    spaces: usize,
}

impl<'a> Token<'a> {
    fn new(kind: Kind, text: &'a str) -> Token<'a> {
        Token {
            kind,
            text: Cow::Borrowed(text),
            spaces: 0,
        }
    }

    fn synthetic(kind: Kind, text: &'static str) -> Token<'a> {
        Token::new(kind, text)
    }

    fn is_line_end(&self) -> bool {
        self.kind == Kind::Newline || (self.kind == Kind::Comment && self.text.ends_with('\n'))
    }
}

fn bracket_change(kind: Kind) -> i32 {
    match kind {
        Kind::OBrace
        | Kind::OBrack
        | Kind::OParen
        | Kind::TemplateControl
        | Kind::TemplateInterp => 1,
        Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
        _ => 0,
    }
}

// ---- lexer ----------------------------------------------------------------------------------

enum Mode {
    /// Expressions and structure; `interp` when inside `${ }` / `%{ }` of a template, where
    /// a `}` at brace depth 0 closes the template sequence.
    Expr {
        interp: bool,
        braces: usize,
    },
    Quoted,
    Heredoc {
        marker: String,
        line_start: bool,
    },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    modes: Vec<Mode>,
    out: Vec<Token<'a>>,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            modes: vec![Mode::Expr {
                interp: false,
                braces: 0,
            }],
            out: Vec::with_capacity(src.len() / 3),
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn emit(&mut self, kind: Kind, len: usize) {
        let text = &self.src[self.pos..self.pos + len];
        self.out.push(Token::new(kind, text));
        self.pos += len;
    }

    fn run(mut self) -> Vec<Token<'a>> {
        while self.pos < self.src.len() {
            match self.modes.last() {
                Some(Mode::Quoted) => self.quoted(),
                Some(Mode::Heredoc { .. }) => self.heredoc(),
                Some(Mode::Expr { .. }) => self.expr(),
                None => {
                    // Unbalanced input cannot reach here after parsing; recover by
                    // continuing at the top level.
                    self.modes.push(Mode::Expr {
                        interp: false,
                        braces: 0,
                    });
                }
            }
        }
        self.out
    }

    fn expr(&mut self) {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return;
        };
        let starts = |s: &str| rest.starts_with(s);
        match c {
            ' ' | '\t' => self.pos += 1,
            '\r' if starts("\r\n") => self.emit(Kind::Newline, 2),
            '\n' => self.emit(Kind::Newline, 1),
            '#' => self.line_comment(),
            '/' if starts("//") => self.line_comment(),
            '/' if starts("/*") => {
                let len = rest[2..].find("*/").map_or(rest.len(), |i| i + 4);
                self.emit(Kind::Comment, len);
            }
            '"' => {
                self.emit(Kind::OQuote, 1);
                self.modes.push(Mode::Quoted);
            }
            '<' if starts("<<") => {
                if let Some((len, marker)) = heredoc_header(rest) {
                    self.emit(Kind::OHeredoc, len);
                    self.modes.push(Mode::Heredoc {
                        marker,
                        line_start: true,
                    });
                } else {
                    self.emit(Kind::Less, 1);
                }
            }
            '{' => {
                if let Some(Mode::Expr { braces, .. }) = self.modes.last_mut() {
                    *braces += 1;
                }
                self.emit(Kind::OBrace, 1);
            }
            '}' => self.close_brace(1),
            '~' if starts("~}") => self.close_brace(2),
            '[' => self.emit(Kind::OBrack, 1),
            ']' => self.emit(Kind::CBrack, 1),
            '(' => self.emit(Kind::OParen, 1),
            ')' => self.emit(Kind::CParen, 1),
            ',' => self.emit(Kind::Comma, 1),
            '?' => self.emit(Kind::Question, 1),
            '+' => self.emit(Kind::Plus, 1),
            '-' => self.emit(Kind::Minus, 1),
            '*' => self.emit(Kind::Star, 1),
            '/' => self.emit(Kind::Slash, 1),
            '%' => self.emit(Kind::Percent, 1),
            '.' if starts("...") => self.emit(Kind::Ellipsis, 3),
            '.' => self.emit(Kind::Dot, 1),
            ':' if starts("::") => self.emit(Kind::DoubleColon, 2),
            ':' => self.emit(Kind::Colon, 1),
            '=' if starts("==") => self.emit(Kind::EqualOp, 2),
            '=' if starts("=>") => self.emit(Kind::FatArrow, 2),
            '=' => self.emit(Kind::Equal, 1),
            '!' if starts("!=") => self.emit(Kind::NotEqual, 2),
            '!' => self.emit(Kind::Bang, 1),
            '<' if starts("<=") => self.emit(Kind::LessEq, 2),
            '<' => self.emit(Kind::Less, 1),
            '>' if starts(">=") => self.emit(Kind::GreaterEq, 2),
            '>' => self.emit(Kind::Greater, 1),
            '&' if starts("&&") => self.emit(Kind::And, 2),
            '|' if starts("||") => self.emit(Kind::Or, 2),
            '0'..='9' => {
                let len = number_len(rest);
                self.emit(Kind::Number, len);
            }
            c if is_ident_start(c) => {
                let len = rest
                    .char_indices()
                    .find(|&(_, c)| !is_ident_continue(c))
                    .map_or(rest.len(), |(i, _)| i);
                self.emit(Kind::Ident, len);
            }
            other => self.emit(Kind::Invalid, other.len_utf8()),
        }
    }

    fn line_comment(&mut self) {
        let len = self.rest().find('\n').map_or(self.rest().len(), |i| i + 1);
        self.emit(Kind::Comment, len);
    }

    fn close_brace(&mut self, len: usize) {
        match self.modes.last_mut() {
            Some(Mode::Expr {
                interp: true,
                braces: 0,
            }) => {
                self.modes.pop();
                self.emit(Kind::TemplateSeqEnd, len);
            }
            Some(Mode::Expr { braces, .. }) if len == 1 => {
                *braces = braces.saturating_sub(1);
                self.emit(Kind::CBrace, 1);
            }
            _ => self.emit(Kind::Invalid, len),
        }
    }

    /// Starts a template sequence (`${`, `${~`, `%{`, `%{~`) at the current position.
    fn template_open(&mut self, kind: Kind) {
        let len = if self.rest()[2..].starts_with('~') {
            3
        } else {
            2
        };
        self.emit(kind, len);
        self.modes.push(Mode::Expr {
            interp: true,
            braces: 0,
        });
    }

    fn quoted(&mut self) {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' | b'\n' => break,
                b'\\' => {
                    // Skip the escaped character whole (it may be multi-byte).
                    i += 1;
                    if let Some(c) = rest[i..].chars().next() {
                        i += c.len_utf8();
                    }
                }
                b'$' | b'%' if rest[i + 1..].starts_with("{") => break,
                b'$' if rest[i..].starts_with("$${") => i += 3,
                b'%' if rest[i..].starts_with("%%{") => i += 3,
                _ => i += 1,
            }
        }
        let i = i.min(bytes.len());
        if i > 0 {
            self.emit(Kind::QuotedLit, i);
        }
        let rest = self.rest();
        if rest.starts_with('"') {
            self.emit(Kind::CQuote, 1);
            self.modes.pop();
        } else if rest.starts_with("${") {
            self.template_open(Kind::TemplateInterp);
        } else if rest.starts_with("%{") {
            self.template_open(Kind::TemplateControl);
        } else {
            // Unterminated string (rejected by the parser before we get here).
            self.modes.pop();
        }
    }

    fn heredoc(&mut self) {
        let rest = self.rest();
        let Some(Mode::Heredoc { marker, line_start }) = self.modes.last_mut() else {
            return;
        };
        if *line_start {
            let line_end = rest.find('\n').unwrap_or(rest.len());
            let line = rest[..line_end].trim_end_matches('\r');
            if line.trim_start_matches([' ', '\t']) == marker.as_str() {
                let len = line.len();
                self.modes.pop();
                self.emit(Kind::CHeredoc, len);
                return;
            }
            *line_start = false;
        }
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    i += 1;
                    if let Some(Mode::Heredoc { line_start, .. }) = self.modes.last_mut() {
                        *line_start = true;
                    }
                    break;
                }
                b'$' if rest[i..].starts_with("$${") => i += 3,
                b'%' if rest[i..].starts_with("%%{") => i += 3,
                b'$' | b'%' if rest[i + 1..].starts_with("{") => break,
                _ => i += 1,
            }
        }
        if i > 0 {
            self.emit(Kind::StringLit, i);
        }
        let rest = self.rest();
        let at_line_start = matches!(
            self.modes.last(),
            Some(Mode::Heredoc {
                line_start: true,
                ..
            })
        );
        if !at_line_start {
            if rest.starts_with("${") {
                self.template_open(Kind::TemplateInterp);
            } else if rest.starts_with("%{") {
                self.template_open(Kind::TemplateControl);
            }
        }
    }
}

/// Length of a `<<EOT` / `<<-EOT` header including its newline, and the marker.
fn heredoc_header(rest: &str) -> Option<(usize, String)> {
    let after = rest.strip_prefix("<<")?;
    let (dash, after) = match after.strip_prefix('-') {
        Some(a) => (1, a),
        None => (0, after),
    };
    let first = after.chars().next()?;
    if !is_ident_start(first) {
        return None;
    }
    let ident_len = after
        .char_indices()
        .find(|&(_, c)| !is_ident_continue(c))
        .map_or(after.len(), |(i, _)| i);
    let tail = &after[ident_len..];
    let nl = if tail.starts_with("\r\n") {
        2
    } else if tail.starts_with('\n') {
        1
    } else {
        return None;
    };
    Some((2 + dash + ident_len + nl, after[..ident_len].to_string()))
}

fn number_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(0);
    if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        i = digits(i + 1);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    i
}

// ---- Terraform's value rewrites ---------------------------------------------------------------

/// Walks bodies (the file and block contents) and rewrites attribute values as `terraform fmt`
/// does.
fn rewrite_body_values(tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    rewrite_body(&tokens, &mut i, &mut out, None, false);
    // Anything left (only possible for inputs the parser accepted but we misread) is kept.
    out.extend(tokens[i.min(tokens.len())..].iter().cloned());
    out
}

fn rewrite_body<'a>(
    tokens: &[Token<'a>],
    i: &mut usize,
    out: &mut Vec<Token<'a>>,
    block_type: Option<&str>,
    nested: bool,
) {
    while let Some(t) = tokens.get(*i) {
        match t.kind {
            Kind::Newline | Kind::Comment => {
                out.push(t.clone());
                *i += 1;
            }
            Kind::CBrace if nested => return,
            Kind::Ident if tokens.get(*i + 1).map(|t| t.kind) == Some(Kind::Equal) => {
                out.push(t.clone());
                out.push(tokens[*i + 1].clone());
                *i += 2;
                let start = *i;
                let mut depth = 0i32;
                while let Some(t) = tokens.get(*i) {
                    if depth == 0
                        && (t.kind == Kind::Newline
                            || t.kind == Kind::Comment
                            || (t.kind == Kind::CBrace && nested))
                    {
                        break;
                    }
                    depth += bracket_change(t.kind);
                    *i += 1;
                }
                let value = &tokens[start..*i];
                let value = unwrap_interpolation(value);
                let value = if block_type == Some("variable") && t.text == "type" {
                    legacy_type(value)
                } else {
                    value
                };
                out.extend(value);
            }
            Kind::Ident => {
                // A block: type, labels, `{`, body, `}`.
                let name = t.text.clone();
                let header_start = *i;
                while let Some(h) = tokens.get(*i) {
                    if h.kind == Kind::Ident && *i > header_start {
                        // Terraform writes every block label quoted: `resource "a" "b"`.
                        out.push(Token::synthetic(Kind::OQuote, "\""));
                        out.push(Token {
                            kind: Kind::QuotedLit,
                            ..h.clone()
                        });
                        out.push(Token::synthetic(Kind::CQuote, "\""));
                        *i += 1;
                        continue;
                    }
                    out.push(h.clone());
                    *i += 1;
                    if h.kind == Kind::OBrace || h.is_line_end() {
                        break;
                    }
                }
                if out.last().map(|t| t.kind) == Some(Kind::OBrace) {
                    rewrite_body(tokens, i, out, Some(&name), true);
                    if let Some(close) = tokens.get(*i) {
                        out.push(close.clone());
                        *i += 1;
                    }
                }
            }
            _ => {
                out.push(t.clone());
                *i += 1;
            }
        }
    }
}

/// `"${expr}"` becomes `expr`, when the whole value is that one interpolation.
fn unwrap_interpolation<'a>(value: &[Token<'a>]) -> Vec<Token<'a>> {
    let n = value.len();
    let wrapped = n >= 5
        && value[0].kind == Kind::OQuote
        && value[1].kind == Kind::TemplateInterp
        && value[n - 2].kind == Kind::TemplateSeqEnd
        && value[n - 1].kind == Kind::CQuote;
    if wrapped {
        // The `${` at 1 must be closed by the `}` at n-2, not earlier (`"${a}${b}"`).
        let mut depth = 0;
        let closes_at_end = value[1..n - 1].iter().enumerate().all(|(k, t)| {
            depth += bracket_change(t.kind);
            depth > 0 || k == n - 3
        });
        if closes_at_end {
            let inner = &value[2..n - 2];
            let first = inner.iter().position(|t| t.kind != Kind::Newline);
            let last = inner.iter().rposition(|t| t.kind != Kind::Newline);
            if let (Some(a), Some(b)) = (first, last) {
                return inner[a..=b].to_vec();
            }
        }
    }
    value.to_vec()
}

/// Pre-0.12 type constraints in `variable` blocks, spelled the modern way.
fn legacy_type(value: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let call = |name: &'static str, arg: &'static str| {
        vec![
            Token::synthetic(Kind::Ident, name),
            Token::synthetic(Kind::OParen, "("),
            Token::synthetic(Kind::Ident, arg),
            Token::synthetic(Kind::CParen, ")"),
        ]
    };
    match value.as_slice() {
        [t] if t.kind == Kind::Ident => match t.text.as_ref() {
            "list" => call("list", "any"),
            "map" => call("map", "any"),
            "set" => call("set", "any"),
            _ => value,
        },
        [o, lit, c]
            if o.kind == Kind::OQuote && lit.kind == Kind::QuotedLit && c.kind == Kind::CQuote =>
        {
            match lit.text.as_ref() {
                "string" => vec![Token::synthetic(Kind::Ident, "string")],
                "list" => call("list", "string"),
                "map" => call("map", "string"),
                _ => value,
            }
        }
        _ => value,
    }
}

// ---- lines and cells ------------------------------------------------------------------------

/// Token index ranges of one line's cells.
#[derive(Clone, Debug, Default)]
struct Line {
    lead: (usize, usize),
    assign: Option<(usize, usize)>,
    comment: Option<(usize, usize)>,
}

fn split_lines(tokens: &[Token<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_line_end() {
            lines.push(Line {
                lead: (start, i + 1),
                ..Line::default()
            });
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(Line {
            lead: (start, tokens.len()),
            ..Line::default()
        });
    }
    for line in &mut lines {
        let (s, mut e) = line.lead;
        if e - s > 1 && tokens[e - 1].kind == Kind::Comment {
            line.comment = Some((e - 1, e));
            e -= 1;
            line.lead = (s, e);
        }
        // The `=` starts the assign cell only when the value closes on this line; an opening
        // `{`/`[` means a multi-line value, which is not aligned.
        if let Some(eq) = (s + 1..e).find(|&k| tokens[k].kind == Kind::Equal) {
            let net: i32 = tokens[eq..e].iter().map(|t| bracket_change(t.kind)).sum();
            if net == 0 {
                line.assign = Some((eq, e));
                line.lead = (s, eq);
            }
        }
    }
    lines
}

fn format_indent(tokens: &mut [Token<'_>], lines: &[Line]) {
    // Each entry is the number of brackets one indented line opened, so lines that close
    // several levels at once (or fewer than opened) dedent sensibly.
    let mut indents: Vec<i32> = Vec::new();
    for line in lines {
        let (s, e) = line.lead;
        if s == e {
            continue;
        }
        if tokens[s].kind == Kind::Newline {
            tokens[s].spaces = 0;
            continue;
        }
        let mut net = 0;
        for t in &tokens[s..e] {
            net += bracket_change(t.kind);
            if t.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some((as_, ae)) = line.assign {
            net += tokens[as_..ae]
                .iter()
                .map(|t| bracket_change(t.kind))
                .sum::<i32>();
        }
        if net > 0 {
            tokens[s].spaces = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else {
                    break;
                };
                if closed >= *top {
                    closed -= *top;
                    indents.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            tokens[s].spaces = 2 * indents.len();
        }
    }
}

fn format_spaces(tokens: &mut [Token<'_>], lines: &[Line]) {
    for line in lines {
        space_cell(tokens, line.lead);
        if let Some((s, e)) = line.assign {
            tokens[s].spaces = 1;
            space_cell(tokens, (s, e));
        }
    }
}

fn space_cell(tokens: &mut [Token<'_>], (s, e): (usize, usize)) {
    for i in s..e.saturating_sub(1) {
        let before = if i > s {
            Some(tokens[i - 1].kind)
        } else {
            None
        };
        let space = space_after(&tokens[i], before, &tokens[i + 1]);
        tokens[i + 1].spaces = usize::from(space);
    }
}

/// Whether one space separates `subject` from the following token `after`.
fn space_after(subject: &Token<'_>, before: Option<Kind>, after: &Token<'_>) -> bool {
    use Kind::*;
    let (s, a) = (subject.kind, after.kind);
    match () {
        _ if a == Newline => false,
        _ if s == Ident && a == OParen => false,
        _ if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) => false,
        _ if s == Dot || a == Dot => false,
        _ if a == Comma || a == Ellipsis => false,
        _ if s == Comma => true,
        _ if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
            || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc) =>
        {
            false
        }
        // `in` of a `for` expression followed by a tuple: `for x in [a] : x`.
        _ if s == Ident && subject.text == "in" && before == Some(Ident) => true,
        _ if a == OBrack && (s == Ident || s == Number || bracket_change(s) < 0) => false,
        _ if s == Bang => false,
        _ if s == Minus => !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | Greater
                    | GreaterEq
                    | Less
                    | LessEq
                    | And
                    | Or
                    | Bang
            )
        ),
        // Braces are spaced inside (`{ a = 1 }`), except an empty pair.
        _ if s == OBrace || a == CBrace => !(s == OBrace && a == CBrace),
        _ if (s == TemplateInterp || s == TemplateControl) && a == OBrace => true,
        _ if s == CBrace && a == TemplateSeqEnd => true,
        _ if s == TemplateSeqEnd && (a == TemplateInterp || a == TemplateControl) => false,
        _ if bracket_change(s) > 0 => false,
        _ if bracket_change(a) < 0 => false,
        _ => true,
    }
}

fn columns(tokens: &[Token<'_>], (s, e): (usize, usize)) -> usize {
    tokens[s..e]
        .iter()
        .map(|t| t.spaces + t.text.chars().count())
        .sum()
}

fn format_cells(tokens: &mut [Token<'_>], lines: &[Line]) {
    // `=` of consecutive lines with an assign cell line up one space after the longest lead.
    let mut k = 0;
    while k < lines.len() {
        if lines[k].assign.is_none() {
            k += 1;
            continue;
        }
        let start = k;
        while k < lines.len() && lines[k].assign.is_some() {
            k += 1;
        }
        let width = lines[start..k]
            .iter()
            .map(|l| columns(tokens, l.lead))
            .max()
            .unwrap_or(0);
        for l in &lines[start..k] {
            if let Some((s, _)) = l.assign {
                tokens[s].spaces = width - columns(tokens, l.lead) + 1;
            }
        }
    }
    // Then trailing comments of consecutive lines line up after the longest code.
    let code_width = |tokens: &[Token<'_>], l: &Line| {
        columns(tokens, l.lead) + l.assign.map_or(0, |a| columns(tokens, a))
    };
    let mut k = 0;
    while k < lines.len() {
        if lines[k].comment.is_none() {
            k += 1;
            continue;
        }
        let start = k;
        while k < lines.len() && lines[k].comment.is_some() {
            k += 1;
        }
        let width = lines[start..k]
            .iter()
            .map(|l| code_width(tokens, l))
            .max()
            .unwrap_or(0);
        for l in &lines[start..k] {
            if let Some((s, _)) = l.comment {
                tokens[s].spaces = width - code_width(tokens, l) + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_malformed_input_with_location() {
        let err = format("a = {\n  b = \n").expect_err("must fail");
        assert!(err.line >= 2, "{err:?}");
        assert!(err.column >= 1);
        assert!(err.to_string().contains("line"));
    }

    #[test]
    fn never_panics_on_truncated_or_odd_input() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fmt");
        let mut samples = vec![
            "a = \"${".to_string(),
            "x = <<EOT\nno end".to_string(),
            "}}}]])) ~} %{ ${".to_string(),
            "a = \"\\".to_string(),
            "<<-\n<<A\r\nA".to_string(),
            "\u{e9}\u{1F600} = 1 # \u{e9}".to_string(),
        ];
        if let Ok(dir) = std::fs::read_dir(root) {
            for entry in dir.flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path().join("in.tf")) {
                    samples.push(text);
                }
            }
        }
        for text in &samples {
            for (i, _) in text.char_indices() {
                let _ = reformat(&text[..i]);
                let _ = reformat(&text[i..]);
            }
        }
    }

    #[test]
    fn empty_input_stays_empty() {
        assert_eq!(format("").expect("fmt"), "");
    }

    #[test]
    fn adds_final_newline() {
        assert_eq!(format("x=1").expect("fmt"), "x = 1\n");
    }
}
