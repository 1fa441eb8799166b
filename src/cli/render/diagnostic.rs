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
