//! Finds the `{` of a block left unclosed: hcl-edit stops at the end of the file and says
//! nothing of which block is open, where Terraform points at the block's opening brace.
//!
//! A scan, not a parse: it follows brackets, quoted strings with their `${...}` templates,
//! heredocs and comments, so that braces inside them are not counted.

/// What ends an open level.
#[derive(Clone, Copy, PartialEq)]
enum Close {
    /// `)`, `]` or `}`: code inside brackets or a template interpolation.
    Byte(u8),
    /// A quoted string's closing `"`.
    Quote,
    /// A heredoc's marker line: the marker's byte range.
    Heredoc(usize, usize),
}

/// An open level and where it opened.
struct Level {
    close: Close,
    opened: usize,
    /// Opened by a `{` in code (a block or an object), not by a template's `${`.
    brace: bool,
}

/// The offset of the innermost `{` still open at the end of `text`, if any.
pub fn unclosed(text: &str) -> Option<usize> {
    let mut scan = Scan {
        bytes: text.as_bytes(),
        at: 0,
        levels: Vec::new(),
    };
    while scan.at < scan.bytes.len() {
        match scan.levels.last().map(|l| l.close) {
            None | Some(Close::Byte(_)) => scan.code_byte(),
            Some(close) => scan.template_byte(close),
        }
    }
    scan.levels.iter().rev().find(|l| l.brace).map(|l| l.opened)
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    levels: Vec<Level>,
}

impl Scan<'_> {
    fn starts(&self, s: &str) -> bool {
        self.bytes[self.at..].starts_with(s.as_bytes())
    }

    fn open(&mut self, close: Close, width: usize) {
        let brace = self.bytes[self.at] == b'{';
        self.levels.push(Level {
            close,
            opened: self.at,
            brace,
        });
        self.at += width;
    }

    fn code_byte(&mut self) {
        let b = self.bytes[self.at];
        match b {
            b'#' => self.skip_to_line_end(),
            b'/' if self.starts("//") => self.skip_to_line_end(),
            b'/' if self.starts("/*") => {
                let end = self.bytes[self.at + 2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(self.bytes.len(), |i| self.at + 2 + i + 2);
                self.at = end;
            }
            b'"' => self.open(Close::Quote, 1),
            b'<' if self.starts("<<") => self.heredoc(),
            b'(' => self.open(Close::Byte(b')'), 1),
            b'[' => self.open(Close::Byte(b']'), 1),
            b'{' => self.open(Close::Byte(b'}'), 1),
            b')' | b']' | b'}' => {
                // A stray closer is the parser's to report; it closes nothing here.
                if self
                    .levels
                    .last()
                    .is_some_and(|l| l.close == Close::Byte(b))
                {
                    self.levels.pop();
                }
                self.at += 1;
            }
            _ => self.at += 1,
        }
    }

    fn skip_to_line_end(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at] != b'\n' {
            self.at += 1;
        }
    }

    /// `<<MARKER` or `<<-MARKER` then a line break opens a heredoc.
    fn heredoc(&mut self) {
        let mut i = self.at + 2;
        if self.bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        let start = i;
        while i < self.bytes.len()
            && (self.bytes[i].is_ascii_alphanumeric() || self.bytes[i] == b'_')
        {
            i += 1;
        }
        if i == start || self.bytes.get(i) != Some(&b'\n') {
            self.at += 2;
            return;
        }
        // The line break is the heredoc's: the marker line is looked for after each one.
        let width = i - self.at;
        self.open(Close::Heredoc(start, i), width);
    }

    fn template_byte(&mut self, close: Close) {
        if self.starts("$${") || self.starts("%%{") {
            self.at += 3;
            return;
        }
        if self.starts("${") || self.starts("%{") {
            self.open(Close::Byte(b'}'), 2);
            return;
        }
        match (close, self.bytes[self.at]) {
            (Close::Quote, b'\\') => self.at += 2,
            // A line break ends a quoted string too: the parser reports it unterminated.
            (Close::Quote, b'"' | b'\n') => {
                self.levels.pop();
                self.at += 1;
            }
            (Close::Heredoc(start, end), b'\n') => {
                self.at += 1;
                let line_end = self.bytes[self.at..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(self.bytes.len(), |n| self.at + n);
                if self.bytes[self.at..line_end].trim_ascii() == &self.bytes[start..end] {
                    self.levels.pop();
                    self.at = line_end;
                }
            }
            _ => self.at += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::unclosed;

    #[test]
    fn closed_files_have_no_unclosed_brace() {
        let text = r#"
locals {
  a = { k = "}", l = "${ {x = 1}.x }" }
  b = <<-EOT
    { ${local.a.k}
  EOT
  # a comment {
  /* and { another */
  c = "%{ if true }{%{ endif }"
}
"#;
        assert_eq!(unclosed(text), None);
    }

    #[test]
    fn the_innermost_unclosed_brace_is_found() {
        let text = "variable \"a\" {\n}\nresource \"x\" \"y\" {\n  lifecycle {\n  }\n";
        assert_eq!(unclosed(text), text.find("\"y\" {").map(|i| i + 4));
        let nested = "a {\n  b {\n    c = 1\n";
        assert_eq!(unclosed(nested), Some(8));
    }
}
