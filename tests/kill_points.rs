//! The kill harness: `keyway apply` and `keyway destroy` of the tutorial's stack are killed
//! with SIGKILL at points spread over their request logs (the emulator adds latency, so kills
//! land while requests and operations are in flight), and after every kill the next runs must
//! converge: state readable, apply exits 0, the plan is clean, every object in the emulator is
//! in state (no orphan, no duplicate), and after `destroy` nothing of the stack remains.
//!
//! Not part of the ordinary suite (it takes minutes): CI runs it with
//! `cargo test --test kill_points -- --ignored --nocapture`. `KEYWAY_KILL_POINTS` sets the
//! number of kill points (default 200, half in apply, half in destroy), `KEYWAY_KILL_SEED`
//! the seed that picks them.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use keyway::emulator::{Emulator, FaultConfig, Options};
use serde_json::Value as Json;
use support::{root, Run, Work};

async fn emulator() -> Emulator {
    Emulator::start(Options {
        faults: FaultConfig {
            latency: Duration::from_millis(3),
            seed: 7,
            ..FaultConfig::default()
        },
        operation_delay: Duration::from_millis(25),
        ..Options::default()
    })
    .await
    .expect("emulator")
}

fn run(w: &Work, emu: &Emulator, args: &[&str]) -> Run {
    Run::from(
        w.command(args)
            .env("KEYWAY_EMULATOR", emu.base_url())
            .output()
            .expect("run keyway"),
    )
}

/// How many requests the emulator has answered.
fn answered(emu: &Emulator) -> u64 {
    emu.counters().values().sum()
}

/// Starts `keyway <phase>` and kills it once the emulator has answered `at` more requests
/// than before it started. Returns false if the run ended first.
async fn kill_at(w: &Work, emu: &Emulator, phase: &str, at: u64) -> bool {
    let base = answered(emu);
    let mut child = w
        .command(&[phase, "-auto-approve"])
        .env("KEYWAY_EMULATOR", emu.base_url())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn keyway");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if answered(emu) >= base + at {
            let _ = child.kill();
            let _ = child.wait();
            return true;
        }
        if child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

/// The names of the stack's live objects in the emulator (enabled services are meant to stay).
async fn live_objects(emu: &Emulator) -> Vec<String> {
    let world: Json = reqwest::get(format!("{}/__emulator/world", emu.base_url()))
        .await
        .expect("world")
        .json()
        .await
        .expect("json");
    let mut out = Vec::new();
    for coll in ["apis", "api_configs", "gateways", "run_services"] {
        if let Some(m) = world.get(coll).and_then(Json::as_object) {
            out.extend(m.keys().cloned());
        }
    }
    if let Some(keys) = world.get("keys").and_then(Json::as_object) {
        for (name, k) in keys {
            if k.get("deleted_ms").is_none_or(Json::is_null) {
                out.push(name.clone());
            }
        }
    }
    if let Some(sas) = world.get("service_accounts").and_then(Json::as_object) {
        for sa in sas.values() {
            if sa.get("deleted") != Some(&Json::Bool(true)) {
                let email = sa["body"]["email"].as_str().unwrap_or_default();
                out.push(email.to_owned());
            }
        }
    }
    out.sort();
    out
}

/// Every string in the state's resource attributes.
fn state_strings(w: &Work) -> BTreeSet<String> {
    fn walk(v: &Json, out: &mut BTreeSet<String>) {
        match v {
            Json::String(s) => {
                out.insert(s.clone());
            }
            Json::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Json::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if w.state_path().exists() {
        for r in w.state_json()["resources"].as_array().into_iter().flatten() {
            walk(&r["attributes"], &mut out);
        }
    }
    out
}

/// Live objects state does not name (by full name, last segment, or email).
async fn orphans(w: &Work, emu: &Emulator) -> Vec<String> {
    let known = state_strings(w);
    live_objects(emu)
        .await
        .into_iter()
        .filter(|o| {
            let last = o.rsplit('/').next().unwrap_or(o);
            !known.contains(o) && !known.contains(last)
        })
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    points: usize,
    ended_before_kill: usize,
    unreadable_state: usize,
    orphans: usize,
    duplicates: usize,
    failed_reapplies: usize,
    unclean_plans: usize,
    leftovers: usize,
}

/// A small deterministic generator (SplitMix64), so a failing point can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// Requests a whole apply and a whole destroy of the stack take.
async fn reference() -> (u64, u64) {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    let before = answered(&emu);
    run(&w, &emu, &["apply", "-auto-approve"]).ok();
    let applied = answered(&emu) - before;
    run(&w, &emu, &["destroy", "-auto-approve"]).ok();
    let destroyed = answered(&emu) - before - applied;
    emu.shutdown().await;
    (applied, destroyed)
}

/// One kill point: kill `phase` after `at` requests, then check that everything converges.
async fn round(phase: &str, at: u64, t: &mut Tally) -> Vec<String> {
    let mut problems = Vec::new();
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    if phase == "destroy" {
        run(&w, &emu, &["apply", "-auto-approve"]).ok();
    }
    if !kill_at(&w, &emu, phase, at).await {
        t.ended_before_kill += 1;
    }
    if run(&w, &emu, &["state", "list"]).code != 0 {
        t.unreadable_state += 1;
        problems.push("state unreadable".to_owned());
    }
    let again = run(&w, &emu, &["apply", "-auto-approve"]);
    if again.code != 0 {
        t.failed_reapplies += 1;
        problems.push(format!("re-apply exit {}: {}", again.code, again.stderr));
    }
    let plan = run(&w, &emu, &["plan", "-detailed-exitcode"]);
    if plan.code != 0 {
        t.unclean_plans += 1;
        problems.push(format!("plan exit {}: {}", plan.code, plan.stdout));
    }
    let lost = orphans(&w, &emu).await;
    if !lost.is_empty() {
        t.orphans += 1;
        let configs = lost.iter().filter(|o| o.contains("/configs/")).count();
        if configs > 0 {
            t.duplicates += 1;
        }
        problems.push(format!("not in state: {lost:?}"));
    }
    let destroy = run(&w, &emu, &["destroy", "-auto-approve"]);
    let left = live_objects(&emu).await;
    if destroy.code != 0 || !left.is_empty() {
        t.leftovers += 1;
        problems.push(format!(
            "after destroy (exit {}): {left:?} {}",
            destroy.code, destroy.stderr
        ));
    }
    emu.shutdown().await;
    problems
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "minutes long: run by CI with --ignored"]
async fn killed_anywhere_the_next_runs_converge_and_nothing_is_orphaned() {
    let points: usize = std::env::var("KEYWAY_KILL_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("KEYWAY_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261203);
    let (applied, destroyed) = reference().await;
    println!("reference: apply {applied} requests, destroy {destroyed} requests");
    let mut rng = Rng(seed);
    let mut t = Tally::default();
    let mut failures = Vec::new();
    let started = Instant::now();
    for i in 0..points {
        let (phase, total) = if i % 2 == 0 {
            ("apply", applied)
        } else {
            ("destroy", destroyed)
        };
        let at = 1 + rng.below(total);
        t.points += 1;
        let problems = round(phase, at, &mut t).await;
        if !problems.is_empty() {
            failures.push(format!("{phase} killed after {at} requests: {problems:#?}"));
        }
    }
    println!(
        "kill points tried: {} ({} ended before their point) in {:.0?}\n\
         unreadable states: {}, rounds with orphans: {}, with duplicates: {}, \
         failed re-applies: {}, unclean plans: {}, leftovers after destroy: {}",
        t.points,
        t.ended_before_kill,
        started.elapsed(),
        t.unreadable_state,
        t.orphans,
        t.duplicates,
        t.failed_reapplies,
        t.unclean_plans,
        t.leftovers
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
