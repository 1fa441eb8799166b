//! Regression tests for keyway's limits (`src/limits.rs`): each configuration here once made
//! `keyway plan` panic, abort on a stack overflow, or hang. Now each fails at once, with an
//! error naming the limit and pointing at the expression.

use std::time::{Duration, Instant};

use crate::support::{Run, Work};

/// Runs `keyway plan` in `work`; fails the test past `within` (a hang) or on a panic.
fn plan(work: &Work, within: Duration) -> Run {
    let started = Instant::now();
    let run = work.run(&["plan"]);
    assert!(
        started.elapsed() < within,
        "plan took {:?}\n{}",
        started.elapsed(),
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked") && run.code != 101 && run.code != -1,
        "plan crashed ({})\n{}",
        run.code,
        run.stderr
    );
    run
}

/// Plans `main.tf` = `text` and expects an error containing `needle` on line `line`.
fn refused(work: &Work, needle: &str, line: usize) {
    let run = plan(work, Duration::from_secs(30)).code(1);
    assert!(
        run.stderr.contains(needle),
        "want {needle:?} in\n{}",
        run.stderr
    );
    let at = format!("main.tf:{line}:");
    assert!(
        run.stderr.contains(&at),
        "want the error at {at} in\n{}",
        run.stderr
    );
}

fn output(value: &str) -> String {
    format!("resource \"terraform_data\" \"r\" {{\n  input = 1\n}}\n\noutput \"o\" {{\n  value = {value}\n}}\n")
}

#[test]
fn count_near_i64_max_is_refused_not_a_capacity_overflow() {
    let work = Work::new(
        "resource \"terraform_data\" \"r\" {\n  count = 9223372036854775807\n  input = 1\n}\n",
    );
    refused(
        &work,
        "more than keyway's limit of 100000 instances per resource",
        2,
    );
}

#[test]
fn count_of_ten_million_is_refused_not_a_hang() {
    let work = Work::new("resource \"terraform_data\" \"r\" {\n  count = 10000000\n}\n");
    refused(
        &work,
        "10000000 instances is more than keyway's limit of 100000",
        2,
    );
}

#[test]
fn for_each_over_too_many_keys_is_refused() {
    let work = Work::new(
        "resource \"terraform_data\" \"r\" {\n  for_each = toset([for p in setproduct(range(400), range(400)) : join(\"-\", p)])\n}\n",
    );
    refused(
        &work,
        "160000 instances is more than keyway's limit of 100000",
        2,
    );
}

#[test]
fn yamldecode_nested_30000_deep_is_refused_not_a_stack_overflow() {
    // yaml-rust2's scanner stops at 256 flow levels itself.
    let work = Work::new(&output("yamldecode(file(\"deep.yaml\"))"));
    work.write(
        "deep.yaml",
        &format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)),
    );
    refused(&work, "recursion limit exceeded", 6);
}

#[test]
fn yamldecode_nested_200_deep_is_refused_at_keyways_limit() {
    let work = Work::new(&output("yamldecode(file(\"deep.yaml\"))"));
    work.write(
        "deep.yaml",
        &format!("{}{}", "[".repeat(200), "]".repeat(200)),
    );
    refused(
        &work,
        "the document's sequences and mappings nest more than 128 levels deep, keyway's limit",
        6,
    );
}

#[test]
fn jsondecode_nested_30000_deep_is_refused() {
    let work = Work::new(&output("jsondecode(file(\"deep.json\"))"));
    work.write(
        "deep.json",
        &format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)),
    );
    refused(&work, "recursion limit exceeded", 6);
}

#[test]
fn a_template_rendering_itself_is_refused_not_a_stack_overflow() {
    let work = Work::new(&output("templatefile(\"self.tpl\", {})"));
    work.write("self.tpl", "x${templatefile(\"self.tpl\", {})}");
    refused(&work, "does a template render itself?", 6);
}

#[test]
fn file_of_dev_zero_is_refused_not_a_hang() {
    let work = Work::new(&output("file(\"/dev/zero\")"));
    refused(
        &work,
        "failed to read file \"/dev/zero\": it is not a regular file",
        6,
    );
}

#[test]
fn templatefile_of_dev_zero_is_refused_not_a_hang() {
    let work = Work::new(&output("templatefile(\"/dev/zero\", {})"));
    refused(&work, "it is not a regular file", 6);
}

#[test]
fn a_file_over_64_mib_is_refused() {
    let work = Work::new(&output("filesha256(\"big.bin\")"));
    let big = std::fs::File::create(work.path().join("big.bin")).expect("create");
    // Sparse: no disk is written, but the file is 64 MiB and one byte long.
    big.set_len(64 * 1024 * 1024 + 1).expect("grow");
    refused(
        &work,
        "larger than keyway's limit of 67108864 bytes (64 MiB)",
        6,
    );
}

#[test]
fn fileset_of_the_whole_filesystem_ends() {
    // Skips /proc, /sys and /dev, and stops after 100000 entries: ends either way.
    let work = Work::new(&output("length(fileset(\"/\", \"**\"))"));
    let run = plan(&work, Duration::from_secs(60));
    assert!(
        run.code == 0 || run.stderr.contains("more than 100000 entries under \"/\""),
        "{}",
        run.stderr
    );
}

#[test]
fn fileset_never_enters_proc() {
    let work = Work::new(&output("length(fileset(\"/proc\", \"**\"))"));
    let run = plan(&work, Duration::from_secs(30)).ok();
    assert!(run.stdout.contains("o = 0"), "{}", run.stdout);
}

#[test]
fn bcrypt_cost_31_is_refused_not_a_hang() {
    let work = Work::new(&output("bcrypt(\"secret\", 31)"));
    refused(&work, "cost 31 is above keyway's limit of 16", 6);
}

#[test]
fn setproduct_of_many_large_sets_is_refused_not_a_hang() {
    let work = Work::new(&output(
        "setproduct(range(1000), range(1000), range(1000), range(1000))",
    ));
    refused(
        &work,
        "1000000000000 elements, more than keyway's limit of 1000000",
        6,
    );
}

#[test]
fn nested_for_expressions_stop_at_a_million_iterations() {
    let work = Work::new(&output(
        "[for a in range(1000) : [for b in range(1000) : [for c in range(3) : c]]]",
    ));
    refused(&work, "iterate more than 1000000 times, keyway's limit", 6);
}

#[test]
fn parentheses_100000_deep_are_refused_by_the_parser_not_a_stack_overflow() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let work = Work::new(&output(&deep));
    refused(&work, "expected at most 64 nested levels", 6);
}

#[test]
fn expressions_nested_deeper_than_128_are_refused_at_evaluation() {
    // 60 parentheses, each around two additions: 180 levels, within the parser's bounds.
    let mut deep = "1".to_owned();
    for _ in 0..60 {
        deep = format!("({deep} + 1 + 1)");
    }
    let work = Work::new(&output(&deep));
    refused(
        &work,
        "Expressions nest more than 128 levels deep, keyway's limit",
        6,
    );
}

#[test]
fn format_with_a_huge_width_is_capped_not_a_capacity_overflow() {
    let work = Work::new(&output("length(format(\"%999999999999d\", 1))"));
    let run = plan(&work, Duration::from_secs(30)).ok();
    assert!(run.stdout.contains("o = 65535"), "{}", run.stdout);
}

#[test]
fn format_with_a_huge_precision_is_capped_not_a_panic() {
    let work = Work::new(&output("length(format(\"%.65536f\", 1))"));
    let run = plan(&work, Duration::from_secs(30)).ok();
    // "1." and 65535 zeros.
    assert!(run.stdout.contains("o = 65537"), "{}", run.stdout);
}

#[test]
fn locals_wrapping_locals_20000_deep_are_refused_not_a_stack_overflow() {
    let mut text = "locals {\n  l0 = 1\n".to_owned();
    for i in 1..20_000 {
        text += &format!("  l{i} = [local.l{}]\n", i - 1);
    }
    text += "}\n\noutput \"o\" {\n  value = length(local.l19999)\n}\n";
    let work = Work::new(&text);
    // The first local past the limit is l257, on line 259.
    refused(
        &work,
        "The value nests 257 levels deep, more than keyway's limit of 256",
        259,
    );
}
