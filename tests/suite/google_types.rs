//! Every generated Google type through its whole life on the emulator, from data: each folder
//! of `tests/google_types/` holds `main.tf` (created, then re-planned clean), `update.tf` (an
//! in-place change), `replace.tf` (a change that forces replacement) and `expect.txt` (what
//! those plans must say, and the IDs that import the objects back after `state rm` with a
//! clean plan after). Each case ends with destroy, and prints the requests its no-change
//! refresh cost.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{root, Run, Work};
use keyway::emulator::{Emulator, Options};

/// A case's `expect.txt`: `step: summary` lines and `import: ADDR ID` lines.
struct Expect {
    summaries: BTreeMap<String, String>,
    imports: Vec<(String, String)>,
}

fn expect_of(dir: &Path) -> Expect {
    let text = std::fs::read_to_string(dir.join("expect.txt")).expect("expect.txt");
    let mut e = Expect {
        summaries: BTreeMap::new(),
        imports: Vec::new(),
    };
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (key, rest) = line.split_once(':').expect("`key: value` lines");
        let rest = rest.trim();
        if key == "import" {
            let (addr, id) = rest.split_once(' ').expect("import: ADDR ID");
            e.imports.push((addr.to_owned(), id.to_owned()));
        } else {
            e.summaries.insert(key.to_owned(), rest.to_owned());
        }
    }
    e
}

async fn emulator() -> Emulator {
    Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(5),
    })
    .await
    .expect("emulator")
}

fn requests(emu: &Emulator) -> u64 {
    emu.counters().values().sum()
}

async fn run_case(name: &str) {
    let dir = root().join("tests/google_types").join(name);
    let expect = expect_of(&dir);
    let emu = emulator().await;
    let base = emu.base_url();
    let w = Work::new("");
    std::fs::copy(dir.join("main.tf"), w.path().join("main.tf")).expect("copy main.tf");
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    let clean = |step: &str| {
        let r = run(&["plan", "-detailed-exitcode"]);
        assert_eq!(
            r.code, 0,
            "{name}: plan after {step} is not clean\n{}\n{}",
            r.stdout, r.stderr
        );
    };
    run(&["apply", "-auto-approve"]).ok();
    let before = requests(&emu);
    clean("create");
    let refresh_cost = requests(&emu) - before;
    for step in ["update", "replace"] {
        let Some(want) = expect.summaries.get(step) else {
            continue;
        };
        std::fs::copy(dir.join(format!("{step}.tf")), w.path().join("main.tf")).expect("copy");
        let plan = run(&["plan"]).ok();
        assert!(
            plan.stdout.contains(&format!("Plan: {want}.")),
            "{name}: {step} plan should say {want}\n{}",
            plan.stdout
        );
        run(&["apply", "-auto-approve"]).ok();
        clean(step);
    }
    for (addr, id) in &expect.imports {
        run(&["state", "rm", addr]).ok();
        run(&["import", addr, id]).ok();
    }
    clean("import");
    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(
        run(&["state", "list"]).ok().stdout,
        "",
        "{name}: destroy left state"
    );
    println!("{name}: no-change refresh cost {refresh_cost} requests");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_manager_secret() {
    run_case("secret_manager_secret").await;
}
