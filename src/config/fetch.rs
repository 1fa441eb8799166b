//! `keyway init`'s module installer: every module call whose `source` is not a local path is
//! fetched into `.keyway/modules/<call path>` (`api`, `api.inner`), where `config::modules`
//! finds it. Git sources (`git::URL//subdir?ref=REF`, `github.com/OWNER/REPO`) go through
//! the `git` program; registry sources (`HOST/NAMESPACE/NAME/PROVIDER` with a `version`
//! constraint) follow Terraform's module registry protocol (service discovery, the versions
//! list, the download answer's `X-Terraform-Get`). An installed copy records its source and
//! version, so a later `init` fetches again only when they changed (or with `-upgrade`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::model::Config;
use crate::config::modules::{installed_dir, is_local, normalize, SOURCE_FILE};

/// What one `init` did for one module call.
#[derive(Debug, PartialEq)]
pub enum Installed {
    /// Fetched now (key, source, resolved version if any).
    Fetched(String, String, Option<String>),
    /// Already installed from the same source and version.
    Kept(String),
}

/// Installs every remote module the folder `root` calls, recursively.
pub async fn install(root: &Path, upgrade: bool) -> Result<Vec<Installed>, String> {
    let mut done = Vec::new();
    let mut queue: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = queue.pop() {
        for call in calls_in(&dir)? {
            let key = format!("{prefix}{}", call.0);
            let (source, version) = (call.1, call.2);
            let child = if is_local(&source) {
                normalize(&dir.join(&source))
            } else {
                let dest = installed_dir(root, &key);
                let record = format!("{source}\n{}", version.clone().unwrap_or_default());
                let current = std::fs::read_to_string(dest.join(SOURCE_FILE)).ok();
                if !upgrade && current.as_deref() == Some(record.as_str()) {
                    done.push(Installed::Kept(key.clone()));
                } else {
                    let resolved = fetch(&source, version.as_deref(), &dest).await?;
                    std::fs::write(dest.join(SOURCE_FILE), record)
                        .map_err(|e| format!("Cannot record module `{key}`: {e}"))?;
                    done.push(Installed::Fetched(key.clone(), source.clone(), resolved));
                }
                dest
            };
            queue.push((child, format!("{key}.")));
        }
    }
    done.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    Ok(done)
}

/// The module calls of one folder: (name, source, version). Syntax errors are left to the
/// load that follows `init`.
fn calls_in(dir: &Path) -> Result<Vec<(String, String, Option<String>)>, String> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut config = Config {
        dir: dir.to_path_buf(),
        ..Config::default()
    };
    let mut diags = Vec::new();
    crate::config::load::read_folder(&mut config, dir, "", &mut diags);
    Ok(config
        .module_calls
        .into_values()
        .map(|c| (c.name, c.source, c.version))
        .collect())
}

/// Fetches `source` into `dest` (replacing it); the registry version chosen, if any.
async fn fetch(source: &str, version: Option<&str>, dest: &Path) -> Result<Option<String>, String> {
    if let Some(git) = git_source(source) {
        if version.is_some() {
            return Err(format!(
                "Module source `{source}`: `version` applies only to registry modules; pin a git source with `?ref=`"
            ));
        }
        git_fetch(&git, dest)?;
        return Ok(None);
    }
    let Some(addr) = registry_address(source) else {
        return Err(format!(
            "Module source `{source}` is not one keyway can fetch: use a local path (`./...`), a git URL (`git::https://...`, `github.com/OWNER/REPO`) or a registry address (`HOST/NAMESPACE/NAME/PROVIDER`)"
        ));
    };
    let (location, chosen) = registry_download(&addr, version).await?;
    let Some(git) = git_source(&location) else {
        return Err(format!(
            "Module `{source}` {chosen}: the registry offers `{location}`, and keyway fetches registry modules only from git sources so far"
        ));
    };
    git_fetch(&git, dest)?;
    Ok(Some(chosen))
}

/// A git source: the URL to clone, the ref to check out and the folder inside.
#[derive(Debug, PartialEq)]
pub struct GitSource {
    url: String,
    reference: Option<String>,
    subdir: Option<String>,
}

/// Parses Terraform's git source forms; `None` for anything else.
pub fn git_source(source: &str) -> Option<GitSource> {
    let rest = if let Some(r) = source.strip_prefix("git::") {
        r.to_owned()
    } else if let Some(r) = source.strip_prefix("github.com/") {
        let (path, tail) = split_tail(r);
        let path = path.trim_end_matches(".git");
        format!("https://github.com/{path}.git{tail}")
    } else {
        return None;
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r.to_owned(), Some(q.to_owned())),
        None => (rest, None),
    };
    let reference = query.as_deref().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("ref=").map(str::to_owned))
    });
    // The subdirectory follows `//` after the scheme's own `://`.
    let after_scheme = rest.find("://").map_or(0, |i| i + 3);
    let (url, subdir) = match rest[after_scheme..].find("//") {
        Some(i) => (
            rest[..after_scheme + i].to_owned(),
            Some(rest[after_scheme + i + 2..].to_owned()),
        ),
        None => (rest.clone(), None),
    };
    Some(GitSource {
        url,
        reference,
        subdir: subdir.filter(|s| !s.is_empty()),
    })
}

/// `owner/repo//sub?ref=x` → (`owner/repo`, `//sub?ref=x`).
fn split_tail(s: &str) -> (&str, &str) {
    let cut = [s.find("//"), s.find('?')]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(s.len());
    s.split_at(cut)
}

fn git(args: &[&str], cwd: Option<&Path>) -> Result<(), String> {
    let mut cmd = Command::new("git");
    cmd.args(["-c", "advice.detachedHead=false"]).args(args);
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("Cannot run git (needed for git module sources): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn git_fetch(src: &GitSource, dest: &Path) -> Result<(), String> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("Cannot create `{}`: {e}", parent.display()))?;
    let tmp = Scratch(parent.join(format!(".fetch-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&tmp.0);
    let clone = tmp.0.join("repo");
    let clone_s = clone.to_string_lossy().into_owned();
    git(&["clone", "--quiet", &src.url, &clone_s], None)?;
    if let Some(r) = &src.reference {
        git(&["checkout", "--quiet", r], Some(&clone))?;
    }
    let _ = std::fs::remove_dir_all(clone.join(".git"));
    let from = match &src.subdir {
        Some(sub) => clone.join(sub),
        None => clone.clone(),
    };
    if !from.is_dir() {
        return Err(format!(
            "`{}` has no folder `{}`",
            src.url,
            src.subdir.as_deref().unwrap_or_default()
        ));
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .map_err(|e| format!("Cannot replace `{}`: {e}", dest.display()))?;
    }
    std::fs::rename(&from, dest)
        .map_err(|e| format!("Cannot install into `{}`: {e}", dest.display()))
}

/// A scratch folder removed when dropped, whatever happened.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A registry module address: host, namespace, name, provider.
#[derive(Debug, PartialEq)]
pub struct RegistryAddress {
    host: String,
    path: String,
}

/// `HOST/NS/NAME/PROVIDER` or `NS/NAME/PROVIDER` (the public registry).
pub fn registry_address(source: &str) -> Option<RegistryAddress> {
    let parts: Vec<&str> = source.split('/').collect();
    let valid = |p: &[&str]| p.iter().all(|s| !s.is_empty() && !s.contains(':'));
    match parts.as_slice() {
        [ns, name, provider] if valid(&parts) => Some(RegistryAddress {
            host: "registry.terraform.io".into(),
            path: format!("{ns}/{name}/{provider}"),
        }),
        [host, ns, name, provider] if host.contains('.') || host.contains(':') => {
            Some(RegistryAddress {
                host: (*host).to_owned(),
                path: format!("{ns}/{name}/{provider}"),
            })
        }
        _ => None,
    }
}

/// Terraform requires HTTPS; a registry on this machine (tests, mirrors) may use HTTP.
fn scheme(host: &str) -> &'static str {
    let name = host.split(':').next().unwrap_or(host);
    if name == "127.0.0.1" || name == "localhost" {
        "http"
    } else {
        "https"
    }
}

/// Discovery, the versions list and the download answer: the source to fetch, and the
/// version chosen.
async fn registry_download(
    addr: &RegistryAddress,
    constraint: Option<&str>,
) -> Result<(String, String), String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let origin = format!("{}://{}", scheme(&addr.host), addr.host);
    let get = |url: String| {
        let client = client.clone();
        async move {
            client
                .get(&url)
                .send()
                .await
                .map_err(|e| format!("Cannot reach the module registry at `{url}`: {e}"))
        }
    };
    let disco: serde_json::Value = get(format!("{origin}/.well-known/terraform.json"))
        .await?
        .json()
        .await
        .map_err(|e| {
            format!(
                "`{}` answered no service discovery document: {e}",
                addr.host
            )
        })?;
    let base = disco["modules.v1"]
        .as_str()
        .ok_or_else(|| format!("`{}` offers no module registry (modules.v1)", addr.host))?;
    let base = if base.starts_with("http") {
        base.to_owned()
    } else {
        format!("{origin}{base}")
    };
    let base = format!("{}/", base.trim_end_matches('/'));
    let versions: serde_json::Value = get(format!("{base}{}/versions", addr.path))
        .await?
        .json()
        .await
        .map_err(|e| format!("Module `{}`: unreadable versions list: {e}", addr.path))?;
    let available: Vec<String> = versions["modules"][0]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_str().map(str::to_owned))
        .collect();
    let chosen = crate::config::version::newest_matching(&available, constraint.unwrap_or(""))
        .ok_or_else(|| {
            format!(
                "Module `{}/{}`: no version matches `{}` (available: {})",
                addr.host,
                addr.path,
                constraint.unwrap_or("any"),
                available.join(", ")
            )
        })?;
    let answer = get(format!("{base}{}/{chosen}/download", addr.path)).await?;
    let header = answer
        .headers()
        .get("x-terraform-get")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let location = match header {
        Some(h) => h,
        None => {
            let body: serde_json::Value = answer.json().await.unwrap_or_default();
            body["location"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!(
                        "Module `{}` {chosen}: the registry gave no download location",
                        addr.path
                    )
                })?
        }
    };
    Ok((location, chosen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sources_parse_as_terraform_reads_them() {
        let g = git_source("git::https://example.com/net.git//modules/vpc?ref=v1.2.0")
            .expect("git source");
        assert_eq!(g.url, "https://example.com/net.git");
        assert_eq!(g.subdir.as_deref(), Some("modules/vpc"));
        assert_eq!(g.reference.as_deref(), Some("v1.2.0"));
        let f = git_source("git::file:///tmp/repo//sub").expect("git source");
        assert_eq!(
            (f.url.as_str(), f.subdir.as_deref()),
            ("file:///tmp/repo", Some("sub"))
        );
        let h = git_source("github.com/acme/mods//gw?ref=main").expect("git source");
        assert_eq!(h.url, "https://github.com/acme/mods.git");
        assert_eq!(h.subdir.as_deref(), Some("gw"));
        assert!(git_source("./local").is_none());
    }

    #[test]
    fn registry_addresses() {
        let a = registry_address("127.0.0.1:8080/acme/gateway/google").expect("registry address");
        assert_eq!(
            (a.host.as_str(), a.path.as_str()),
            ("127.0.0.1:8080", "acme/gateway/google")
        );
        let p =
            registry_address("terraform-google-modules/network/google").expect("registry address");
        assert_eq!(p.host, "registry.terraform.io");
        assert!(registry_address("./x").is_none());
    }
}
