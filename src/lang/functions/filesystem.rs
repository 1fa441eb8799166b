//! Filesystem functions: reading files next to the configuration, paths, `fileset` globbing
//! and `templatefile`. Relative paths resolve against the module's folder.

use std::path::{Component, Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{f, Args, Func};
use crate::lang::Value;

pub(super) const FUNCS: &[Func] = &[
    f("abspath", &["path"], abspath),
    f("basename", &["path"], |a| Ok(basename(&a.str(0)?).into())),
    f("dirname", &["path"], |a| Ok(dirname(&a.str(0)?).into())),
    f("file", &["path"], file),
    f("filebase64", &["path"], |a| {
        Ok(STANDARD.encode(read_file(a, 0)?).into())
    }),
    f("fileexists", &["path"], fileexists),
    f("fileset", &["path", "pattern"], fileset),
    f("pathexpand", &["path"], pathexpand),
    f("templatefile", &["path", "vars"], templatefile),
];

fn resolve(a: &Args, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        a.ctx.base_dir.join(path)
    }
}

/// Reads argument `i`'s file, with Terraform's message for a missing file.
pub(super) fn read_file(a: &Args, i: usize) -> Result<Vec<u8>, String> {
    let name = a.str(i)?;
    std::fs::read(resolve(a, &name)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => a.err(i, format!(
            "no file exists at {name:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"
        )),
        _ => a.err(i, format!("failed to read file {name:?}: {e}")),
    })
}

fn read_text(a: &Args, i: usize) -> Result<String, String> {
    let bytes = read_file(a, i)?;
    String::from_utf8(bytes).map_err(|_| {
        a.err(i, "contents of the file are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead")
    })
}

fn file(a: &Args) -> Result<Value, String> {
    read_text(a, 0).map(Value::String)
}

fn fileexists(a: &Args) -> Result<Value, String> {
    let name = a.str(0)?;
    match std::fs::metadata(resolve(a, &name)) {
        Ok(meta) if meta.is_dir() => Err(a.fail(format!("{name:?} is a directory, not a file"))),
        Ok(_) => Ok(Value::Bool(true)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(e) => Err(a.fail(format!("failed to stat {name:?}: {e}"))),
    }
}

fn templatefile(a: &Args) -> Result<Value, String> {
    let source = read_text(a, 0)?;
    let vars = match a.raw(1) {
        Value::Object(map) => map.clone(),
        _ => return Err(a.err(1, "invalid vars value: must be a map")),
    };
    (a.ctx.render_template)(&source, &vars)
}

fn pathexpand(a: &Args) -> Result<Value, String> {
    let path = a.str(0)?;
    let home = std::env::var("HOME").unwrap_or_default();
    let expanded = match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
        _ => path,
    };
    Ok(expanded.into())
}

/// Lexically cleans a path like Go's filepath.Clean (no filesystem access).
fn clean(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let absolute = path.is_absolute();
    for comp in path.components() {
        match comp {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            Component::ParentDir if !absolute => parts.push("..".into()),
            _ => {}
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn abspath(a: &Args) -> Result<Value, String> {
    let path = a.str(0)?;
    let cwd = std::env::current_dir().map_err(|e| a.fail(e))?;
    Ok(clean(&cwd.join(path)).into())
}

fn dirname(path: &str) -> String {
    match path.rfind('/') {
        None => ".".into(),
        Some(i) => clean(Path::new(if i == 0 { "/" } else { &path[..i] })),
    }
}

fn basename(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).into()
}

/// Files (not folders) under `path` whose relative, slash-separated names match the
/// pattern; `**` spans folders, `*`, `?`, `[...]` and `{a,b}` work within one name.
fn fileset(a: &Args) -> Result<Value, String> {
    let (root, pattern) = (a.str(0)?, a.str(1)?);
    let base = resolve(a, &root);
    let pattern: Vec<&str> = pattern
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let mut found = Vec::new();
    walk(&base, String::new(), &mut found);
    let matched = found
        .into_iter()
        .filter(|rel| {
            let segs: Vec<&str> = rel.split('/').collect();
            match_path(&pattern, &segs)
        })
        .map(Value::String)
        .collect();
    Ok(Value::set(matched))
}

fn walk(dir: &Path, prefix: String, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        match entry.metadata() {
            Ok(meta) if meta.is_dir() => walk(&entry.path(), rel, out),
            Ok(_) => out.push(rel),
            Err(_) => {}
        }
    }
}

fn match_path(pattern: &[&str], segs: &[&str]) -> bool {
    match pattern.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (0..=segs.len()).any(|skip| match_path(rest, &segs[skip..])),
        Some((first, rest)) => match segs.split_first() {
            Some((seg, more)) => match_segment(first, seg) && match_path(rest, more),
            None => false,
        },
    }
}

/// Matches one path segment, expanding `{a,b}` alternatives first.
fn match_segment(pattern: &str, name: &str) -> bool {
    if let Some(open) = pattern.find('{') {
        if let Some(len) = pattern[open..].find('}') {
            let (head, tail) = (&pattern[..open], &pattern[open + len + 1..]);
            return pattern[open + 1..open + len]
                .split(',')
                .any(|alt| match_segment(&format!("{head}{alt}{tail}"), name));
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_chars(&p, &n)
}

fn match_chars(p: &[char], n: &[char]) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        // Runs of stars are one star; collapsing them keeps matching polynomial.
        Some(('*', rest)) if rest.first() == Some(&'*') => match_chars(rest, n),
        Some(('*', rest)) => (0..=n.len()).any(|i| match_chars(rest, &n[i..])),
        Some(('?', rest)) => !n.is_empty() && match_chars(rest, &n[1..]),
        Some(('[', rest)) => match (rest.iter().position(|c| *c == ']'), n.first()) {
            (Some(end), Some(c)) => {
                class_matches(&rest[..end], *c) && match_chars(&rest[end + 1..], &n[1..])
            }
            _ => false,
        },
        Some(('\\', rest)) if !rest.is_empty() => {
            n.first() == rest.first() && match_chars(&rest[1..], &n[1..])
        }
        Some((c, rest)) => n.first() == Some(c) && match_chars(rest, &n[1..]),
    }
}

fn class_matches(class: &[char], c: char) -> bool {
    let (negate, class) = match class.split_first() {
        Some(('^' | '!', rest)) => (true, rest),
        _ => (false, class),
    };
    let mut hit = false;
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == '-' {
            hit |= (class[i]..=class[i + 2]).contains(&c);
            i += 3;
        } else {
            hit |= class[i] == c;
            i += 1;
        }
    }
    hit != negate
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (r#"basename("foo/bar/")"#, r#""bar""#),
            (r#"basename("")"#, r#"".""#),
            (r#"basename("/a")"#, r#""a""#),
            (r#"dirname("foo/bar/baz.txt")"#, r#""foo/bar""#),
            (r#"dirname("foo/bar/")"#, r#""foo/bar""#),
            (r#"dirname("")"#, r#"".""#),
            (r#"dirname("/")"#, r#""/""#),
            (r#"file("d/a.txt")"#, r#""hi\n""#),
            (r#"file("nope")"#, r#"!no file exists at "nope""#),
            (r#"filebase64("d/a.txt")"#, r#""aGkK""#),
            (r#"fileexists("d/a.txt")"#, r#"true"#),
            (r#"fileexists("d/none.txt")"#, r#"false"#),
            (r#"fileexists("d")"#, r#"!"d" is a directory, not a file"#),
            (
                r#"fileset("d", "**")"#,
                r#"["a.txt","sub/b.txt","sub/c.md"]"#,
            ),
            (r#"fileset("d", "*.txt")"#, r#"["a.txt"]"#),
            (
                r#"fileset("d", "**/*.{txt,md}")"#,
                r#"["a.txt","sub/b.txt","sub/c.md"]"#,
            ),
            (r#"fileset("d", "sub/?.txt")"#, r#"["sub/b.txt"]"#),
            (r#"fileset(".", "d/[a-b].txt")"#, r#"["d/a.txt"]"#),
            (r#"fileset("nope", "*")"#, r#"[]"#),
            (
                r#"templatefile("tpl.txt", {name = "keyway"})"#,
                r#""Hello, keyway!""#,
            ),
        ]);
    }
}
