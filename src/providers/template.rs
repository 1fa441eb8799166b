//! Path templates of API-bound types (Google's `v1/projects/{project}/secrets/{secret_id}`,
//! AWS's `/v2/apis/{api_id}/routes/{id}`): filled from an object's attributes, and matched
//! against names the API returns or users import.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::providers::{ProviderError, Result};

/// Where a placeholder's value comes from when the object does not set it.
#[derive(Clone, Debug, Default)]
pub struct Fallbacks {
    /// The provider's project.
    pub project: Option<String>,
    /// The provider's region (for `{region}` and `{location}`).
    pub region: Option<String>,
}

/// The placeholder names of a template, in order.
pub fn placeholders(tpl: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = tpl;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    out
}

/// The value a placeholder takes for `obj`.
pub fn value_of(name: &str, obj: &Map<String, Json>, fb: &Fallbacks) -> Option<String> {
    let own = match obj.get(name) {
        Some(Json::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    own.or_else(|| match name {
        "project" => fb.project.clone(),
        "region" | "location" => fb.region.clone(),
        _ => None,
    })
}

/// Fills `tpl` from `obj`. A value holding a full resource name (`projects/p/secrets/s`, as
/// Terraform accepts for parents) replaces the template's own spelling of that name up to
/// the placeholder, so `v1/projects/{project}/secrets/{secret}` with `secret` =
/// `projects/p/secrets/s` is `v1/projects/p/secrets/s`.
pub fn fill(ty: &str, tpl: &str, obj: &Map<String, Json>, fb: &Fallbacks) -> Result<String> {
    let mut out = String::new();
    let mut rest = tpl;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| ProviderError::new(format!("{ty}: malformed path template {tpl}")))?;
        let name = rest[open + 1..close].trim_start_matches('+');
        // `{host?}`: a part some objects lack (a Postgres user's host) fills as nothing.
        let value = match name.strip_suffix('?') {
            Some(name) => value_of(name, obj, fb).unwrap_or_default(),
            None => value_of(name, obj, fb).ok_or_else(|| missing(ty, name))?,
        };
        out.push_str(&rest[..open]);
        if value.starts_with("projects/") && value.contains('/') {
            if let Some(at) = out.find("projects/") {
                out.truncate(at);
            }
        }
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn missing(ty: &str, name: &str) -> ProviderError {
    let hint = match name {
        "project" => ": set `project` on the resource or in the provider \"google\" block, or set GOOGLE_CLOUD_PROJECT",
        "region" | "location" => ": set it on the resource or `region` in the provider \"google\" block",
        _ => "",
    };
    ProviderError::new(format!("{ty}: no `{name}`{hint}"))
}

/// Matches `text` against `tpl` segment by segment (`/`-separated; a placeholder takes one
/// segment, or the rest when it is the template's last; `{+name}`, as in Google's paths,
/// takes one or more, a full resource name: `{+brand}/identityAwareProxyClients/{client_id}`).
/// Returns the placeholders' values.
pub fn match_path(tpl: &str, text: &str) -> Option<BTreeMap<String, String>> {
    let t: Vec<&str> = tpl.split('/').collect();
    let s: Vec<&str> = text.split('/').collect();
    match_segs(&t, &s)
}

fn match_segs(t: &[&str], s: &[&str]) -> Option<BTreeMap<String, String>> {
    if let Some(at) = t.iter().position(|seg| seg.starts_with("{+")) {
        let name = t[at].trim_start_matches("{+").trim_end_matches('}');
        let after = &t[at + 1..];
        // The longest run of segments that lets the rest match (a following last
        // placeholder would otherwise take the rest of the name).
        for end in (at + 1..=s.len().saturating_sub(after.len())).rev() {
            let taken = &s[at..end];
            if taken.iter().any(|x| x.is_empty()) {
                continue;
            }
            let (Some(mut out), Some(rest)) =
                (match_segs(&t[..at], &s[..at]), match_segs(after, &s[end..]))
            else {
                continue;
            };
            out.insert(name.to_owned(), taken.join("/"));
            out.extend(rest);
            return Some(out);
        }
        return None;
    }
    if t.is_empty() {
        return s.is_empty().then(BTreeMap::new);
    }
    let mut out = BTreeMap::new();
    for (i, seg) in t.iter().enumerate() {
        let last = i + 1 == t.len();
        match seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
            Some(name) if last => {
                let rest = s.get(i..).filter(|r| !r.is_empty())?.join("/");
                if rest.is_empty() {
                    return None;
                }
                out.insert(name.to_owned(), rest);
            }
            Some(name) => {
                let v = s.get(i).filter(|v| !v.is_empty())?;
                out.insert(name.to_owned(), (*v).to_owned());
            }
            None => {
                if s.get(i) != Some(seg) {
                    return None;
                }
            }
        }
        if last {
            return Some(out);
        }
    }
    (s.len() == t.len()).then_some(out)
}

/// The template without its leading version segments (`v1/`, `compute/v1/`): the relative
/// resource name the API returns in `name`.
pub fn relative(tpl: &str) -> &str {
    match tpl.find("projects/").or_else(|| tpl.find('{')) {
        Some(at) => &tpl[at..],
        None => tpl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn fills_from_attributes_then_the_provider() {
        let fb = Fallbacks {
            project: Some("p".into()),
            region: Some("r".into()),
        };
        let o = obj(json!({"secret_id": "s"}));
        let got = fill("t", "v1/projects/{project}/secrets/{secret_id}", &o, &fb);
        assert_eq!(got.ok().as_deref(), Some("v1/projects/p/secrets/s"));
        let o = obj(json!({"name": "j"}));
        let got = fill(
            "t",
            "v1/projects/{project}/locations/{location}/jobs/{name}",
            &o,
            &fb,
        );
        assert_eq!(
            got.ok().as_deref(),
            Some("v1/projects/p/locations/r/jobs/j")
        );
        let none = fill("t", "v1/{x}", &o, &fb);
        assert!(none.is_err_and(|e| e.message.contains("no `x`")));
    }

    #[test]
    fn a_full_name_replaces_the_templates_spelling() {
        let o = obj(json!({"secret": "projects/q/secrets/s", "project": "p"}));
        let got = fill(
            "t",
            "v1/projects/{project}/secrets/{secret}/versions",
            &o,
            &Fallbacks::default(),
        );
        assert_eq!(
            got.ok().as_deref(),
            Some("v1/projects/q/secrets/s/versions")
        );
    }

    #[test]
    fn matches_names_and_import_ids() {
        let m = match_path(
            "projects/{project}/secrets/{secret_id}",
            "projects/p/secrets/s",
        );
        assert_eq!(
            m.and_then(|m| m.get("secret_id").cloned()).as_deref(),
            Some("s")
        );
        assert!(match_path("projects/{project}/secrets/{secret_id}", "projects/p/x/s").is_none());
        assert!(match_path("{project}/{secret_id}", "p").is_none());
        let m = match_path(
            "{secret}/versions/{version}",
            "projects/p/secrets/s/versions/3",
        );
        assert!(m.is_none(), "a middle placeholder takes one segment");
        let m = match_path(
            "{+brand}/identityAwareProxyClients/{client_id}",
            "projects/1/brands/1/identityAwareProxyClients/c",
        );
        assert_eq!(
            m.as_ref().and_then(|m| m.get("brand")).map(String::as_str),
            Some("projects/1/brands/1")
        );
        assert_eq!(
            m.as_ref()
                .and_then(|m| m.get("client_id"))
                .map(String::as_str),
            Some("c")
        );
        let m = match_path("{+brand}/{client_id}", "projects/1/brands/1/c");
        assert_eq!(
            m.and_then(|m| m.get("brand").cloned()).as_deref(),
            Some("projects/1/brands/1")
        );
        assert!(match_path("{+brand}/identityAwareProxyClients/{client_id}", "x/y").is_none());
        assert!(match_path("{+brand}/{client_id}", "c").is_none());
        assert_eq!(
            relative("v1/projects/{project}/secrets/{s}"),
            "projects/{project}/secrets/{s}"
        );
        assert_eq!(relative("storage/v1/b/{name}"), "{name}");
    }
}
