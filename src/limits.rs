//! Every limit keyway puts on configuration input, so that no input panics, aborts or hangs.

// Terraform has few such limits: Go grows its stacks, and most of its hangs are merely slow.
// keyway's stack is fixed, so recursion is bounded, and so is work that grows with a number in
// the configuration. Each limit is far above what a real configuration of keyway's stack
// needs; each error names the limit, at the expression that crossed it.

/// Largest file the file functions (`file`, `templatefile`, `filebase64`, the file hashes)
/// read: 64 MiB. Only regular files are read, so `/dev/zero` or a FIFO cannot hang a plan.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Deepest nesting of a decoded document (`jsondecode`, `yamldecode`), and of expressions
/// inside one another when evaluated, templates that `templatefile` renders included. (The
/// source itself is bounded by hcl-edit's parser: 64 nested levels, 128 chained binary
/// operators; `serde_json` stops at 128 levels too, and yaml-rust2's scanner at 256.)
pub const MAX_DEPTH: usize = 128;

/// Deepest nesting of a value. One expression nests at most [`MAX_DEPTH`] levels, but each
/// local may wrap the one before (`l2 = [local.l1]`), and every walk of a value recurses.
pub const MAX_VALUE_DEPTH: usize = 2 * MAX_DEPTH;

/// Most instances one resource block may expand to through `count` or `for_each`.
pub const MAX_INSTANCES: usize = 100_000;

/// Highest bcrypt cost `bcrypt()` accepts. Go's library accepts up to 31, which takes days;
/// each step doubles the time, and 16 already takes seconds.
pub const MAX_BCRYPT_COST: i64 = 16;

/// Most elements a collection function may produce, and most iterations of the `for`
/// expressions and template `for` directives of one expression, together.
pub const MAX_ELEMENTS: usize = 1_000_000;

/// Longest string a function or template may produce: 64 MiB.
pub const MAX_STRING_BYTES: usize = 64 * 1024 * 1024;

/// Widest width or precision a `format` verb takes (`%999999999999d` is padded to this):
/// Rust's formatter accepts no more than `u16::MAX`.
pub const MAX_FORMAT_WIDTH: usize = u16::MAX as usize;

/// Most folder entries `fileset` visits before giving up.
pub const MAX_FILESET_ENTRIES: usize = 100_000;

/// Folders `fileset` never enters: they are the kernel's, not files distributed with a
/// configuration, and some of them never end (`/proc/self/root/...`).
pub const FILESET_SKIPPED: &[&str] = &["/proc", "/sys", "/dev"];

/// The error for a result of `n` elements, if it is over [`MAX_ELEMENTS`].
pub fn check_elements(n: usize) -> Result<(), String> {
    if n > MAX_ELEMENTS {
        return Err(format!(
            "the result would have {n} elements, more than keyway's limit of {MAX_ELEMENTS}"
        ));
    }
    Ok(())
}

/// The error for a string of `n` bytes, if it is over [`MAX_STRING_BYTES`].
pub fn check_string_bytes(n: usize) -> Result<(), String> {
    if n > MAX_STRING_BYTES {
        return Err(format!(
            "the result would be a string of {n} bytes, more than keyway's limit of {MAX_STRING_BYTES} bytes (64 MiB)"
        ));
    }
    Ok(())
}

/// The error for nesting `depth` levels deep, if that is over [`MAX_DEPTH`]; `what` names
/// what nests ("expressions", "the JSON document").
pub fn check_depth(depth: usize, what: &str) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{what} nest more than {MAX_DEPTH} levels deep, keyway's limit"
        ));
    }
    Ok(())
}
