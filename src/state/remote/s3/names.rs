//! The s3 backend's object names, as Terraform's s3 backend makes them, and keys written into
//! URLs.

/// Terraform's default `workspace_key_prefix`.
pub const DEFAULT_PREFIX: &str = "env:";

/// The state and lock keys of a workspace, as Terraform names them (`path.Join` of the
/// prefix, the workspace and the key).
pub fn keys(key: &str, prefix: &str, workspace: &str) -> (String, String) {
    let state = if workspace == crate::state::DEFAULT_WORKSPACE {
        key.to_owned()
    } else {
        [prefix, workspace, key]
            .iter()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("/")
    };
    let lock = format!("{state}.tflock");
    (state, lock)
}

/// Where to list workspaces: everything under `{prefix}/` (Terraform's ListObjectsV2 prefix).
pub fn list_prefix(prefix: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// The workspace an object key holds the state of: `{prefix}/{name}/{key}` exactly, as
/// Terraform's `keyEnv` decides (lock objects and other keys are not workspaces).
pub fn workspace_of(key: &str, prefix: &str, object: &str) -> Option<String> {
    let rest = object.strip_prefix(&list_prefix(prefix))?;
    let (name, tail) = rest.split_once('/')?;
    (!name.is_empty() && tail == key).then(|| name.to_owned())
}

/// Percent-encodes a key for a URL path (slashes kept: S3 keys name paths) or, with
/// `slash`, for a query value.
pub(super) fn enc(s: &str, slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (b == b'/' && !slash)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a bucket name can be a host name label (else path-style addressing is used, as the
/// SDKs do): lowercase letters, digits and hyphens (dots break TLS on `*.s3` certificates).
pub(super) fn dns_compatible(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_workspaces_follow_terraform() {
        let key = "app/terraform.tfstate";
        assert_eq!(
            keys(key, DEFAULT_PREFIX, "default"),
            (key.to_owned(), format!("{key}.tflock"))
        );
        assert_eq!(
            keys(key, DEFAULT_PREFIX, "staging").0,
            "env:/staging/app/terraform.tfstate"
        );
        assert_eq!(keys(key, "", "staging").0, "staging/app/terraform.tfstate");
        assert_eq!(
            workspace_of(key, DEFAULT_PREFIX, "env:/staging/app/terraform.tfstate").as_deref(),
            Some("staging")
        );
        assert_eq!(
            workspace_of(
                key,
                DEFAULT_PREFIX,
                "env:/staging/app/terraform.tfstate.tflock"
            ),
            None
        );
        assert_eq!(
            workspace_of(key, DEFAULT_PREFIX, "env:/x/other.tfstate"),
            None
        );
        assert_eq!(list_prefix(DEFAULT_PREFIX), "env:/");
    }

    #[test]
    fn keys_are_escaped_for_paths_and_queries() {
        assert_eq!(enc("env:/a b/t.tfstate", false), "env%3A/a%20b/t.tfstate");
        assert_eq!(enc("env:/", true), "env%3A%2F");
        assert!(dns_compatible("team-state"));
        assert!(!dns_compatible("team.state"));
        assert!(!dns_compatible("Team_State"));
    }
}
