//! Terraform's boxed diagnostic layout, for warnings users compare with Terraform's own
//! (failed `check` assertions): summary, `on FILE line N, in BLOCK:`, the source line, detail.

use crate::diagnostics::{Diagnostic, Severity, Sources};

/// The diagnostic in Terraform's layout, ending with a newline.
pub fn terraform_style(d: &Diagnostic, sources: &Sources) -> String {
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
        lines.push(String::new());
    }
    if let Some(detail) = d.help.as_ref().or(d.label.as_ref()) {
        lines.push(detail.clone());
    }
    let mut out = String::from("\n╷\n");
    for l in lines {
        if l.is_empty() {
            out.push_str("│\n");
        } else {
            out.push_str(&format!("│ {l}\n"));
        }
    }
    out.push_str("╵\n");
    out
}
