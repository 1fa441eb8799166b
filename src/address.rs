//! Instance addresses as text (`module.keys["a"].t.n[0]`): where the module path ends and
//! where the instance key starts, skipping quoted keys. Below config and plan, which both
//! read addresses written by users.

/// The module instance part of a resource address, without its final dot:
/// `module.keys["a"].module.leaf` for `module.keys["a"].module.leaf.t.n[0]`, `` at the root.
pub fn module_of(addr: &str) -> &str {
    let mut end = 0;
    let mut rest = addr;
    while let Some(after) = rest.strip_prefix("module.") {
        let name_len = after.find(['.', '[']).unwrap_or(after.len());
        let mut used = "module.".len() + name_len;
        let tail = &after[name_len..];
        if tail.starts_with('[') {
            match closing_bracket(tail) {
                Some(close) => used += close + 1,
                None => break,
            }
        }
        if !rest[used..].starts_with('.') {
            break;
        }
        end += used;
        rest = &rest[used + 1..];
        end += 1;
    }
    addr[..end].trim_end_matches('.')
}

/// The index of the `]` closing the `[` that `s` starts with, skipping quoted keys.
fn closing_bracket(s: &str) -> Option<usize> {
    let (mut in_str, mut escaped) = (false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            ']' if !in_str => return Some(i),
            _ => {}
        }
    }
    None
}

/// Where the instance key of `addr` starts: the last `[` outside a quoted key, when the
/// address ends with `]` (`module.keys["a"].t.n[0]` → the `[0]`; `module.keys["a"].t.n` has
/// none: its brackets belong to the module).
pub fn key_start(addr: &str) -> Option<usize> {
    if !addr.ends_with(']') {
        return None;
    }
    let (mut in_str, mut escaped, mut last) = (false, false, None);
    for (i, c) in addr.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '[' if !in_str => last = Some(i),
            _ => {}
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_of_names_the_module_instance() {
        assert_eq!(
            module_of(r#"module.keys["a.b"].module.leaf.t.n[0]"#),
            r#"module.keys["a.b"].module.leaf"#
        );
        assert_eq!(module_of("module.app.data.t.n"), "module.app");
        assert_eq!(module_of("t.n"), "");
        assert_eq!(module_of("module_thing.n"), "");
    }

    #[test]
    fn keys_start_at_the_last_bracket_outside_quotes() {
        assert_eq!(key_start(r#"t.n["a[0]"]"#), Some(3));
        assert_eq!(key_start(r#"module.k["x"].t.n"#), None);
    }
}
