//! Filesystem functions: reading files next to the configuration, paths, `fileset` globbing
//! and `templatefile`. Relative paths resolve against the module's folder.

use std::path::{Component, Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{f, Args, Func};
use crate::lang::Value;
use crate::limits::{FILESET_SKIPPED, MAX_FILESET_ENTRIES, MAX_FILE_BYTES};

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
    read_limited(&resolve(a, &name)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => a.err(i, format!(
            "no file exists at {name:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"
        )),
        _ => a.err(i, format!("failed to read file {name:?}: {e}")),
    })
}

/// Reads a regular file of at most [`MAX_FILE_BYTES`]: a device such as `/dev/zero` or a
/// FIFO would otherwise never end, and a huge file would exhaust memory.
fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(Error::new(ErrorKind::InvalidInput, format!("it is {what}")));
    }
    let too_big = || {
        Error::new(
            ErrorKind::InvalidInput,
            format!("it is larger than keyway's limit of {MAX_FILE_BYTES} bytes (64 MiB)"),
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    // The file may grow between the check and the read: never read past the limit.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
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
    let pattern = compile_pattern(&pattern).map_err(|e| a.err(1, e))?;
    let mut walk = Walk::default();
    walk.folder(&base, String::new());
    if walk.visited > MAX_FILESET_ENTRIES {
        return Err(a.fail(format!(
            "more than {MAX_FILESET_ENTRIES} entries under {root:?}, keyway's limit; give a folder holding only the files wanted"
        )));
    }
    let matched = walk
        .found
        .into_iter()
        .filter(|rel| {
            let segs: Vec<&str> = rel.split('/').collect();
            match_path(&pattern, &segs)
        })
        .map(Value::String)
        .collect();
    Ok(Value::set(matched))
}

/// A bounded walk of a folder tree for `fileset`.
#[derive(Default)]
struct Walk {
    /// Files found, relative to the root, slash-separated.
    found: Vec<String>,
    /// Entries seen so far; the walk stops past [`MAX_FILESET_ENTRIES`].
    visited: usize,
}

impl Walk {
    fn folder(&mut self, dir: &Path, prefix: String) {
        if FILESET_SKIPPED.iter().any(|skip| dir == Path::new(skip)) {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            self.visited += 1;
            if self.visited > MAX_FILESET_ENTRIES {
                return;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            // `DirEntry::metadata` does not follow symbolic links, so a link loop is no loop.
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => self.folder(&entry.path(), rel),
                Ok(_) => self.found.push(rel),
                Err(_) => {}
            }
        }
    }
}

/// One segment of a `fileset` pattern: `**`, or the alternatives its `{a,b}` expand to.
enum Segment {
    AnyFolders,
    Name(Vec<Vec<Tok>>),
}

/// One element of a name pattern.
enum Tok {
    Star,
    AnyChar,
    /// `[...]`: the class's characters (ranges included), `^`/`!` negation handled inside.
    Class(Vec<char>),
    Char(char),
    /// An unclosed `[`: matches nothing.
    Never,
}

/// Most names one segment's `{a,b}` alternatives may expand to: each `{...}` multiplies them.
const MAX_ALTERNATIVES: usize = 1024;

fn compile_pattern(pattern: &str) -> Result<Vec<Segment>, String> {
    pattern
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .map(|seg| match seg {
            "**" => Ok(Segment::AnyFolders),
            _ => {
                let mut names = Vec::new();
                expand(seg, &mut names)?;
                Ok(Segment::Name(names.iter().map(|n| tokens(n)).collect()))
            }
        })
        .collect()
}

/// Expands `{a,b}` alternatives, first brace first.
fn expand(pattern: &str, out: &mut Vec<String>) -> Result<(), String> {
    if let Some(open) = pattern.find('{') {
        if let Some(len) = pattern[open..].find('}') {
            let (head, tail) = (&pattern[..open], &pattern[open + len + 1..]);
            for alt in pattern[open + 1..open + len].split(',') {
                expand(&format!("{head}{alt}{tail}"), out)?;
            }
            return Ok(());
        }
    }
    if out.len() >= MAX_ALTERNATIVES {
        return Err(format!(
            "the pattern's {{a,b}} alternatives expand to more than {MAX_ALTERNATIVES} names"
        ));
    }
    out.push(pattern.to_owned());
    Ok(())
}

fn tokens(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (tok, width) = match chars[i] {
            '*' => (Tok::Star, 1),
            '?' => (Tok::AnyChar, 1),
            '[' => match chars[i + 1..].iter().position(|c| *c == ']') {
                Some(end) => (Tok::Class(chars[i + 1..i + 1 + end].to_vec()), end + 2),
                None => (Tok::Never, chars.len() - i),
            },
            '\\' if i + 1 < chars.len() => (Tok::Char(chars[i + 1]), 2),
            c => (Tok::Char(c), 1),
        };
        out.push(tok);
        i += width;
    }
    out
}

fn match_path(pattern: &[Segment], segs: &[&str]) -> bool {
    wildcard(
        pattern,
        segs,
        |p| matches!(p, Segment::AnyFolders),
        |p, seg| match p {
            Segment::Name(alts) => alts.iter().any(|alt| match_name(alt, seg)),
            Segment::AnyFolders => false,
        },
    )
}

fn match_name(pattern: &[Tok], name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    wildcard(
        pattern,
        &chars,
        |t| matches!(t, Tok::Star),
        |t, c| match t {
            Tok::AnyChar => true,
            Tok::Class(class) => class_matches(class, *c),
            Tok::Char(want) => want == c,
            Tok::Star | Tok::Never => false,
        },
    )
}

/// Matches `items` against `pattern`, whose `star` elements match any run of items and
/// whose other elements match one item each. Greedy, backtracking only to the last star:
/// at most pattern × items steps, where recursion on each star would be exponential.
fn wildcard<P, I>(
    pattern: &[P],
    items: &[I],
    star: impl Fn(&P) -> bool,
    one: impl Fn(&P, &I) -> bool,
) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while i < items.len() {
        if p < pattern.len() && star(&pattern[p]) {
            back = Some((p, i));
            p += 1;
        } else if p < pattern.len() && one(&pattern[p], &items[i]) {
            p += 1;
            i += 1;
        } else if let Some((star_at, from)) = back {
            back = Some((star_at, from + 1));
            p = star_at + 1;
            i = from + 1;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(star)
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
