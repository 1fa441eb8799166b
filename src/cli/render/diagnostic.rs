//! Terraform's diagnostic layout, for warnings users compare with Terraform's own (`check`
//! blocks): summary, `on FILE line N, in BLOCK:`, the source line, the values it refers to,
//! then the detail. Boxed (`╷ │ ╵`) with colour, plain without, as Terraform does.

use crate::diagnostics::{Diagnostic, Severity, Sources};

/// The diagnostic in Terraform's layout, starting with a blank line.
pub fn terraform_style(d: &Diagnostic, sources: &Sources, boxed: bool) -> String {
    let kind = match d.severity {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
    };
    let mut lines = vec![format!("{kind}: {}", d.message), String::new()];
    if let Some((file, span)) = &d.location {
        let f = sources.get(*file);
        let (line, _) = sources.line_col(*file, span.start);
        let within = d
            .within
            .as_ref()
            .map(|w| format!(", in {w}"))
            .unwrap_or_default();
        lines.push(format!("  on {} line {line}{within}:", f.name));
        let text = f.text.lines().nth(line - 1).unwrap_or_default();
        lines.push(format!("{line:>4}: {text}"));
        if !d.expression_values.is_empty() {
            lines.push("    ├────────────────".to_owned());
            for v in &d.expression_values {
                lines.push(format!("    │ {v}"));
            }
        }
        lines.push(String::new());
    }
    if let Some(detail) = d.help.as_ref().or(d.label.as_ref()) {
        lines.extend(detail.lines().map(str::to_owned));
    }
    let mut out = String::from("\n");
    if boxed {
        out.push_str("╷\n");
    }
    for l in lines {
        match (boxed, l.is_empty()) {
            (true, true) => out.push_str("│\n"),
            (true, false) => out.push_str(&format!("│ {l}\n")),
            (false, _) => out.push_str(&format!("{l}\n")),
        }
    }
    if boxed {
        out.push_str("╵\n");
    }
    out
}

/// A diagnostic Terraform users know by its layout (a failed condition), carried as a miette
/// report so it travels with the other errors, and printed in Terraform's layout instead of
/// miette's: boxed when stderr has colour, plain otherwise.
#[derive(Debug)]
pub struct TerraformLayout {
    plain: String,
    boxed: String,
    summary: String,
}

impl TerraformLayout {
    /// Renders `d` both ways; the printer picks one.
    pub fn new(d: &Diagnostic, sources: &Sources) -> TerraformLayout {
        TerraformLayout {
            plain: terraform_style(d, sources, false),
            boxed: terraform_style(d, sources, true),
            summary: d.message.clone(),
        }
    }

    /// The text to print.
    pub fn text(&self, boxed: bool) -> &str {
        if boxed {
            &self.boxed
        } else {
            &self.plain
        }
    }
}

impl std::fmt::Display for TerraformLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for TerraformLayout {}

impl miette::Diagnostic for TerraformLayout {}
