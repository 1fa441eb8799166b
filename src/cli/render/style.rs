//! Terminal colour, off for `NO_COLOR`, `-no-color` and non-terminals.

/// ANSI styling, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Whether to emit colour codes.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    /// Green (creations).
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Red (deletions).
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    /// Yellow (updates).
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
}
