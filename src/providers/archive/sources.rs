//! What goes into an `archive_file`: the entries named by `source_file`, `source_dir`
//! (walked in sorted order, `excludes` applied), `source_content` or `source` blocks.

use std::path::Path;

use super::zip::Entry;

/// Files read from disk keep their permission bits unless `output_file_mode` says otherwise;
/// entries made from content get this mode.
const CONTENT_MODE: u32 = 0o644;

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    CONTENT_MODE
}

/// An entry for content given in the configuration.
pub fn content(name: &str, data: &str) -> Entry {
    Entry {
        name: name.replace('\\', "/"),
        mode: CONTENT_MODE,
        data: data.as_bytes().to_vec(),
    }
}

/// An entry named `name` with the bytes and mode of the file at `path`.
pub fn file(path: &Path, name: String) -> Result<Entry, String> {
    let fail = |e: std::io::Error| format!("`{}`: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(fail)?;
    let data = std::fs::read(path).map_err(fail)?;
    Ok(Entry {
        name,
        mode: mode_of(&meta),
        data,
    })
}

/// What a directory walk needs besides the folder.
pub struct Walk<'a> {
    pub excludes: &'a [String],
    pub skip_symlink_dirs: bool,
    /// The archive itself, never archived into itself.
    pub output: Option<std::path::PathBuf>,
}

/// Every file under `dir`, named by its `/`-separated path below it, sorted by walk order
/// (names sorted within each folder, as Go's `filepath.Walk`).
pub fn dir(dir: &Path, walk: &Walk<'_>) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    visit(dir, "", walk, &mut out, 0)?;
    Ok(out)
}

fn visit(
    path: &Path,
    prefix: &str,
    walk: &Walk<'_>,
    out: &mut Vec<Entry>,
    depth: usize,
) -> Result<(), String> {
    // A symlink loop would otherwise recurse forever.
    if depth > 64 {
        return Err(format!("`{}`: folders nested too deep", path.display()));
    }
    let fail = |e: std::io::Error| format!("`{}`: {e}", path.display());
    let mut names: Vec<_> = std::fs::read_dir(path)
        .map_err(fail)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        let Some(name) = name.to_str().map(str::to_owned) else {
            return Err(format!("`{}`: a file name is not UTF-8", path.display()));
        };
        let child = path.join(&name);
        let rel = format!("{prefix}{name}");
        if walk.excludes.iter().any(|g| !g.is_empty() && glob(g, &rel)) {
            continue;
        }
        let link = std::fs::symlink_metadata(&child).map_err(fail)?;
        let meta = std::fs::metadata(&child).map_err(fail)?;
        if meta.is_dir() {
            if !(link.file_type().is_symlink() && walk.skip_symlink_dirs) {
                visit(&child, &format!("{rel}/"), walk, out, depth + 1)?;
            }
        } else if !is_output(&child, walk) {
            out.push(file(&child, rel)?);
        }
    }
    Ok(())
}

fn is_output(path: &Path, walk: &Walk<'_>) -> bool {
    let Some(output) = &walk.output else {
        return false;
    };
    std::fs::canonicalize(path).is_ok_and(|p| &p == output)
}

/// doublestar's path matching: `*` and `?` stay within one `/`-separated segment, `**` as a
/// whole segment matches any number of segments, `[abc]` a class.
pub fn glob(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = path.split('/').collect();
    segments(&p, &s)
}

fn segments(p: &[&str], s: &[&str]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((&"**", rest)) => (0..=s.len()).any(|i| segments(rest, &s[i..])),
        Some((first, rest)) => s.split_first().is_some_and(|(head, tail)| {
            segment(first.as_bytes(), head.as_bytes()) && segments(rest, tail)
        }),
    }
}

fn segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| segment(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && segment(rest, &s[1..]),
        Some((b'[', rest)) => match rest.iter().position(|&c| c == b']') {
            Some(end) if !s.is_empty() => {
                let class = &rest[..end];
                let (negate, class) = match class.split_first() {
                    Some((b'!' | b'^', c)) => (true, c),
                    _ => (false, class),
                };
                class_has(class, s[0]) != negate && segment(&rest[end + 1..], &s[1..])
            }
            _ => false,
        },
        Some((c, rest)) => s.first() == Some(c) && segment(rest, &s[1..]),
    }
}

fn class_has(class: &[u8], c: u8) -> bool {
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == b'-' {
            if (class[i]..=class[i + 2]).contains(&c) {
                return true;
            }
            i += 3;
        } else {
            if class[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_like_doublestar() {
        assert!(glob("*.txt", "a.txt"));
        assert!(!glob("*.txt", "d/a.txt"));
        assert!(glob("**/*.txt", "d/e/a.txt"));
        assert!(glob("**/*.txt", "a.txt"));
        assert!(glob("d/**", "d/e/a.txt"));
        assert!(glob("file[0-9].md", "file3.md"));
        assert!(!glob("file[!0-9].md", "file3.md"));
        assert!(glob("exact/name", "exact/name"));
        assert!(!glob("exact", "exact/name"));
    }
}
