//! Terraform's version constraints (`= 1.2.0`, `>= 1.0, < 2.0`, `~> 1.2`, `!= 1.3.1`), as a
//! module's `version` argument uses them to pick a registry version.

/// A version's numeric parts (missing ones are 0) and whether it is a pre-release.
fn parse(v: &str) -> Option<([u64; 3], bool)> {
    let v = v.trim().trim_start_matches('v');
    let (core, pre) = match v.split_once(['-', '+']) {
        Some((c, rest)) => (c, !rest.is_empty() && v.contains('-')),
        None => (v, false),
    };
    let mut out = [0u64; 3];
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    for (i, p) in parts.iter().enumerate() {
        out[i] = p.parse().ok()?;
    }
    Some((out, pre))
}

/// True when `version` meets every comma-separated part of `constraint` (empty: any).
pub fn matches(version: &str, constraint: &str) -> bool {
    let Some((v, pre)) = parse(version) else {
        return false;
    };
    let mut exact = false;
    for part in constraint
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (op, want) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|w| (*op, w)))
            .unwrap_or(("=", part));
        let Some((w, _)) = parse(want) else {
            return false;
        };
        let written = want.trim().split('.').count();
        let ok = match op {
            "=" => {
                exact = true;
                v == w
            }
            "!=" => v != w,
            ">" => v > w,
            ">=" => v >= w,
            "<" => v < w,
            "<=" => v <= w,
            // `~> 1.2` allows 1.x from 1.2; `~> 1.2.3` allows 1.2.x from 1.2.3.
            _ => {
                let fixed = written.saturating_sub(1).max(1);
                v >= w && v[..fixed] == w[..fixed]
            }
        };
        if !ok {
            return false;
        }
    }
    // Pre-releases only when asked for exactly, as Terraform does.
    !pre || exact
}

/// The newest of `available` meeting `constraint`.
pub fn newest_matching(available: &[String], constraint: &str) -> Option<String> {
    available
        .iter()
        .filter(|v| matches(v, constraint))
        .max_by_key(|v| parse(v).map(|(p, _)| p))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_pick_as_terraform_does() {
        let av: Vec<String> = [
            "0.9.0",
            "1.0.0",
            "1.2.0",
            "1.2.5",
            "1.3.0",
            "2.0.0",
            "2.1.0-beta",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let pick = |c: &str| newest_matching(&av, c);
        assert_eq!(pick("").as_deref(), Some("2.0.0"));
        assert_eq!(pick("~> 1.2").as_deref(), Some("1.3.0"));
        assert_eq!(pick("~> 1.2.0").as_deref(), Some("1.2.5"));
        assert_eq!(pick(">= 1.0, < 2.0, != 1.3.0").as_deref(), Some("1.2.5"));
        assert_eq!(pick("1.0.0").as_deref(), Some("1.0.0"));
        assert_eq!(pick("= 2.1.0-beta").as_deref(), Some("2.1.0-beta"));
        assert_eq!(pick("> 3.0"), None);
    }
}
