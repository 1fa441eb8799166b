//! Fuzzing, in-process and deterministic: random small folders (variables, locals,
//! `terraform_data` with `count`/`for_each`, outputs, calls of every keyway function with
//! random arguments, and malformed fragments) go through load, graph, variables and plan.
//! No input may panic, and none may take longer than the per-input bound (a hang). A stack
//! overflow would abort the whole test binary, so it fails too.
//!
//! `KEYWAY_FUZZ_INPUTS` and `KEYWAY_FUZZ_SEED` widen a run by hand (`KEYWAY_FUZZ_WHY` says
//! where each input stopped):
//! `KEYWAY_FUZZ_INPUTS=20000 cargo test --test suite fuzz -- --nocapture`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Inputs in a default run: a few seconds in CI.
const DEFAULT_INPUTS: u64 = 1000;
/// Longest one input may take before it counts as a hang.
const PER_INPUT: Duration = Duration::from_secs(10);
/// The stack each input is planned on: the main thread's, as `keyway` plans on it.
const STACK: usize = 8 * 1024 * 1024;

/// xorshift64*: small, deterministic, good enough to pick grammar productions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Numbers and strings that found bugs before, or sit on an edge.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "0.5",
    "-0.5",
    "16",
    "31",
    "32",
    "128",
    "1024",
    "100000",
    "100001",
    "10000000",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "-1e308",
    "1e-308",
];
const STRINGS: &[&str] = &[
    "\"\"",
    "\"a\"",
    "\"abc\"",
    "\"a,b,c\"",
    "\"%d\"",
    "\"%999999999999d\"",
    "\"%v %s\"",
    "\"%[3]d\"",
    "\"%.999999f\"",
    "\"%.65536f\"",
    "\"10.0.0.0/8\"",
    "\"2024-01-01T00:00:00Z\"",
    "\"1h\"",
    "\"/dev/zero\"",
    "\"/proc\"",
    "\".\"",
    "\"**\"",
    "\"*/*\"",
    "\"{a,b}{c,d}\"",
    "\"a.txt\"",
    "\"t.tpl\"",
    "\"[\"",
    "\"$${\"",
    "\"[1,[2,[3]]]\"",
    "\"{\\\"a\\\":1}\"",
    "\"a: [1, {b: 2}]\"",
    "\"&a [*a, *a]\"",
    "\"YWJj\"",
    "\"^a(b\"",
    "\"(a*)*b\"",
    "\"é\"",
    "\"UTF-16LE\"",
    "\"2\"",
    "\"true\"",
];
/// Valid only where declared, so each part of a folder draws from its own list (see
/// `Gen::folder`); now and then an undeclared one, for the errors.
const UNDECLARED: &[&str] = &[
    "var.nope",
    "local.nope",
    "terraform_data.nope.id",
    "each.key",
];
/// Left out: `bcrypt` below cost 4 means cost 10, seconds in a debug build, and
/// its limit has its own tests; the file functions read only the fuzz folder.
const SKIPPED: &[&str] = &["bcrypt"];

struct Gen {
    rng: Rng,
    functions: Vec<&'static str>,
    /// References the expression being generated may use.
    refs: Vec<&'static str>,
}

impl Gen {
    fn expr(&mut self, depth: usize) -> String {
        let leaf = depth == 0 || self.rng.chance(30);
        if leaf {
            return match self.rng.below(5) {
                0 => self.rng.pick(NUMBERS).to_owned(),
                1 => self.rng.pick(STRINGS).to_owned(),
                2 if self.refs.is_empty() || self.rng.chance(3) => {
                    self.rng.pick(UNDECLARED).to_owned()
                }
                2 => self.refs[self.rng.below(self.refs.len())].to_owned(),
                3 => self.rng.pick(&["true", "false", "null"]).to_owned(),
                _ => self
                    .rng
                    .pick(&["[]", "{}", "[1, 2, 2]", "{a = 1, b = \"x\"}"])
                    .to_owned(),
            };
        }
        let d = depth - 1;
        match self.rng.below(10) {
            0..=3 => self.call(d),
            4 => format!("[{}]", self.list(d)),
            5 => format!("{{ k = {}, \"x\" = {} }}", self.expr(d), self.expr(d)),
            6 => {
                let op = self
                    .rng
                    .pick(&["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||"]);
                format!("({} {op} {})", self.expr(d), self.expr(d))
            }
            7 => format!("({} ? {} : {})", self.expr(d), self.expr(d), self.expr(d)),
            8 => match self.rng.below(3) {
                0 => format!("[for x in {} : {}]", self.expr(d), self.expr(d)),
                1 => format!("{{for k, v in {} : k => v...}}", self.expr(d)),
                _ => format!("{}[*].a", self.expr(d)),
            },
            _ => format!(
                "\"pre-${{{}}}-%{{ if {} }}y%{{ endif }}\"",
                self.expr(d),
                self.expr(d)
            ),
        }
    }

    /// A variable's default: literal values only.
    fn literal(&mut self) -> String {
        match self.rng.below(4) {
            0 => self.rng.pick(NUMBERS).to_owned(),
            1 => self.rng.pick(STRINGS).to_owned(),
            2 => format!("[{}, {}]", self.rng.pick(NUMBERS), self.rng.pick(NUMBERS)),
            _ => format!("{{ a = {} }}", self.rng.pick(STRINGS)),
        }
    }

    fn list(&mut self, depth: usize) -> String {
        let n = self.rng.below(4);
        (0..n)
            .map(|_| self.expr(depth))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn call(&mut self, depth: usize) -> String {
        let name = self.functions[self.rng.below(self.functions.len())];
        let args = self.list(depth);
        let expand = if !args.is_empty() && self.rng.chance(5) {
            "..."
        } else {
            ""
        };
        format!("{name}({args}{expand})")
    }

    /// An argument's expression: half of them inside `try`, so that a folder whose
    /// random calls fail still reaches the planner and everything after them.
    fn top(&mut self, depth: usize) -> String {
        let expr = self.expr(depth);
        if self.rng.chance(80) {
            format!("try({expr}, \"fallback\")")
        } else {
            expr
        }
    }

    /// Two variables, three locals (each may read the ones before it), a resource with
    /// `count`, one with `for_each`, a plain one, and an output reading anything.
    fn folder(&mut self) -> String {
        let mut out = String::new();
        self.refs = vec![];
        for i in 0..2 {
            let (ty, default) = match self.rng.below(6) {
                0 => ("  type = string\n", self.rng.pick(STRINGS).to_owned()),
                1 => {
                    let n = self.rng.pick(NUMBERS);
                    ("  type = list(number)\n", format!("[{n}, {n}]"))
                }
                2 => ("  type = any\n", self.literal()),
                _ => ("", self.literal()),
            };
            out += &format!("variable \"v{i}\" {{\n{ty}  default = {default}\n}}\n");
        }
        self.refs = vec!["var.v0", "var.v1", "path.module"];
        out += "locals {\n";
        for (i, name) in ["local.l0", "local.l1", "local.l2"].into_iter().enumerate() {
            out += &format!("  l{i} = {}\n", self.top(3));
            self.refs.push(name);
        }
        out += "}\n";
        let count = if self.rng.chance(70) {
            self.rng.pick(&["0", "1", "2", "3"]).to_owned()
        } else {
            self.expr(2)
        };
        let for_each = if self.rng.chance(60) {
            self.rng
                .pick(&["{}", "toset([\"a\", \"b\"])", "{a = 1, b = 2}"])
                .to_owned()
        } else {
            self.expr(2)
        };
        self.refs.push("count.index");
        out += &format!(
            "resource \"terraform_data\" \"r0\" {{\n  count = {count}\n  input = {}\n}}\n",
            self.top(3)
        );
        self.refs.pop();
        self.refs.extend(["each.key", "each.value"]);
        out += &format!(
            "resource \"terraform_data\" \"r1\" {{\n  for_each = {for_each}\n  input = {}\n}}\n",
            self.top(3)
        );
        self.refs.truncate(self.refs.len() - 2);
        self.refs.extend([
            "terraform_data.r0[0].output",
            "terraform_data.r0",
            "terraform_data.r1",
        ]);
        out += &format!(
            "resource \"terraform_data\" \"r2\" {{\n  input = {}\n}}\n",
            self.top(3)
        );
        self.refs.push("terraform_data.r2.output");
        out += &format!("output \"o\" {{\n  value = {}\n}}\n", self.top(4));
        if self.rng.chance(15) {
            out = self.malform(out);
        }
        out
    }

    /// Cuts, duplicates or inserts a fragment: unbalanced braces, stray quotes, heredocs.
    fn malform(&mut self, text: String) -> String {
        let at = self.rng.below(text.len() + 1);
        let at = (0..=at)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        let fragment = self.rng.pick(&[
            "{",
            "}",
            "(",
            "\"",
            "${",
            "%{",
            "<<EOF\n",
            "\n",
            "=",
            "[",
            "\\",
            "/*",
            "#",
            "\u{0}",
            "resource \"terraform_data\" \"x\" {",
            "...",
            "[*]",
            "?",
            ":",
        ]);
        match self.rng.below(3) {
            0 => text[..at].to_owned(),
            1 => format!("{}{fragment}{}", &text[..at], &text[at..]),
            _ => format!(
                "{}{}",
                &text[..at],
                text[at..].replacen(['}', ')', '"'], "", 1)
            ),
        }
    }
}

/// What one input did.
enum Outcome {
    Done(Stage),
    Panicked(String),
    Hung,
}

/// How far an input got: the fuzz report counts them, to show the planner is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    LoadFailed,
    GraphFailed,
    VarsFailed,
    PlanFailed,
    Planned,
}

/// With `KEYWAY_FUZZ_WHY` set, says why an input stopped: to tune the generator.
fn why(stage: &str, diags: &[keyway::diagnostics::Diagnostic]) {
    if std::env::var_os("KEYWAY_FUZZ_WHY").is_some() {
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        eprintln!("{stage}: {}", messages.join(" | "));
    }
}

/// Formats `main.tf` as `keyway fmt` does (its own scanner), then loads and plans the
/// folder as `keyway plan` does, in-process.
fn plan_folder(dir: &Path) -> Stage {
    if let Ok(text) = std::fs::read_to_string(dir.join("main.tf")) {
        let _ = keyway::config::format::format(&text);
    }
    let config = match keyway::config::load(dir) {
        Ok(c) => c,
        Err(e) => {
            why("load", &e.0);
            return Stage::LoadFailed;
        }
    };
    let Ok(graph) = keyway::graph::build(&config) else {
        return Stage::GraphFailed;
    };
    let mut sources = config.sources.clone();
    let env = BTreeMap::new();
    let vars = match keyway::config::vars::resolve(&config, &[], &env, &mut sources) {
        Ok(v) => v,
        Err(e) => {
            why("vars", &e);
            return Stage::VarsFailed;
        }
    };
    let planned = keyway::plan::plan(
        &config,
        &graph,
        vars,
        keyway::state::State::new(),
        Vec::new(),
        &Default::default(),
        &keyway::plan::NoData,
    );
    match planned {
        Ok(_) => Stage::Planned,
        Err(e) => {
            why("plan", &e.0);
            Stage::PlanFailed
        }
    }
}

fn run_one(dir: &Path, text: &str) -> Outcome {
    std::fs::write(dir.join("main.tf"), text).expect("write main.tf");
    let (tx, rx) = mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let result = std::panic::catch_unwind(|| plan_folder(&dir));
            let _ = tx.send(result.map_err(|e| {
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            }));
        })
        .expect("spawn");
    match rx.recv_timeout(PER_INPUT) {
        Ok(Ok(stage)) => Outcome::Done(stage),
        Ok(Err(message)) => Outcome::Panicked(message),
        // A hung thread is left behind; the test fails anyway.
        Err(_) => Outcome::Hung,
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_folders_never_panic_or_hang() {
    let inputs = env_number("KEYWAY_FUZZ_INPUTS", DEFAULT_INPUTS);
    let seed = env_number("KEYWAY_FUZZ_SEED", 0x6b65_7977_6179);
    let mut gen = Gen {
        // Mixed, so that neighbouring seeds (2 and 3) do not start alike; odd, as xorshift needs.
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        functions: keyway::lang::functions::names()
            .iter()
            .copied()
            .filter(|f| !SKIPPED.contains(f))
            .chain(["try", "can"])
            .collect(),
        refs: Vec::new(),
    };
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(work.path().join("a.txt"), "hello\n").expect("write");
    std::fs::write(work.path().join("t.tpl"), "${templatefile(\"t.tpl\", {})}").expect("write");
    let started = Instant::now();
    let (mut panics, mut hangs) = (Vec::new(), Vec::new());
    let mut stages: BTreeMap<Stage, usize> = BTreeMap::new();
    for i in 0..inputs {
        let text = gen.folder();
        match run_one(work.path(), &text) {
            Outcome::Done(stage) => *stages.entry(stage).or_default() += 1,
            Outcome::Panicked(message) => panics.push(format!("input {i}: {message}\n{text}")),
            Outcome::Hung => hangs.push(format!("input {i}\n{text}")),
        }
    }
    eprintln!(
        "fuzz: {inputs} inputs (seed {seed:#x}) in {:?}: {} panics, {} hangs; ended {stages:?}",
        started.elapsed(),
        panics.len(),
        hangs.len()
    );
    // A generator whose folders never reach the planner would test nothing.
    let planned = stages.get(&Stage::Planned).copied().unwrap_or(0);
    assert!(
        planned * 10 >= inputs as usize,
        "only {planned} inputs were planned"
    );
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n---\n"));
    assert!(hangs.is_empty(), "hangs:\n{}", hangs.join("\n---\n"));
}

/// tokio's default worker stack: `apply` evaluates expressions again on its workers.
const WORKER_STACK: usize = 2 * 1024 * 1024;

/// The deepest inputs keyway's limits let through, or stop at the limit, fit a worker's
/// stack: the limits are low enough for every thread that evaluates.
#[test]
fn inputs_at_the_depth_limits_fit_a_worker_stack() {
    let mut deep = "1".to_owned();
    for _ in 0..42 {
        deep = format!("({deep} + 1 + 1)");
    }
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        work.path().join("self.tpl"),
        "${templatefile(\"self.tpl\", {})}",
    )
    .expect("write");
    let deep_yaml = format!("{}{}", "[".repeat(127), "]".repeat(127));
    std::fs::write(work.path().join("deep.yaml"), deep_yaml).expect("write");
    for value in [
        deep.as_str(),
        "templatefile(\"self.tpl\", {})",
        "yamldecode(file(\"deep.yaml\"))",
    ] {
        let text = format!("output \"o\" {{\n  value = {value}\n}}\n");
        std::fs::write(work.path().join("main.tf"), text).expect("write");
        let dir = work.path().to_path_buf();
        let stage = std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn(move || plan_folder(&dir))
            .expect("spawn")
            .join()
            .expect("no panic");
        assert!(stage >= Stage::PlanFailed, "{value}: {stage:?}");
    }
}

/// Calls per function in `every_function_with_edge_arguments`.
const CALLS_PER_FUNCTION: usize = 60;

/// Every function, called with zero to three arguments drawn from the edge values (and
/// lists of them), each call an output of its own inside `try` so one error stops nothing.
#[test]
fn every_function_with_edge_arguments() {
    let mut rng = Rng(0x6564_6765);
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(work.path().join("a.txt"), "hello\n").expect("write");
    let mut calls = 0;
    for name in keyway::lang::functions::names() {
        if SKIPPED.contains(name) {
            continue;
        }
        let mut text = String::new();
        for i in 0..CALLS_PER_FUNCTION {
            let args: Vec<String> = (0..rng.below(4)).map(|_| edge_argument(&mut rng)).collect();
            text += &format!(
                "output \"o{i}\" {{\n  value = try({name}({}), null)\n}}\n",
                args.join(", ")
            );
            calls += 1;
        }
        match run_one(work.path(), &text) {
            Outcome::Done(stage) => {
                assert!(stage >= Stage::PlanFailed, "{name}: {stage:?}\n{text}")
            }
            Outcome::Panicked(message) => panic!("{name} panicked: {message}\n{text}"),
            Outcome::Hung => panic!("{name} hung\n{text}"),
        }
    }
    eprintln!("fuzz: {calls} calls with edge arguments: 0 panics, 0 hangs");
}

fn edge_argument(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 | 1 => rng.pick(NUMBERS).to_owned(),
        2 => rng.pick(STRINGS).to_owned(),
        3 => format!("[{}, {}]", rng.pick(NUMBERS), rng.pick(STRINGS)),
        _ => format!("{{ a = {} }}", rng.pick(STRINGS)),
    }
}
