//! Folders written the way people write them for Terraform (`tests/real_world/`): several
//! files, `terraform.tfvars`, `required_providers` with version constraints, `google-beta`,
//! local modules, `for_each` / `count` / `dynamic`, `templatefile`, `random_*`, data sources,
//! `lifecycle`, a different mix of Google types in each. Each must validate, apply on the
//! emulator, re-plan clean and destroy to an empty state, with nothing left in the cloud.

use crate::support::{emulator, root, Work};
use keyway::emulator::Emulator;

fn requests(emu: &Emulator) -> u64 {
    emu.counters().values().sum()
}

async fn run_folder(name: &str) {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("tests/real_world").join(name));
    w.on(&emu, &["validate"]).ok();
    let applied = w.on(&emu, &["apply", "-auto-approve"]).ok();
    assert!(
        applied.stdout.contains("Apply complete!"),
        "{name}\n{}",
        applied.stdout
    );
    let before = requests(&emu);
    w.on(&emu, &["plan", "-detailed-exitcode"]).ok();
    let refresh = requests(&emu) - before;
    let destroyed = w.on(&emu, &["destroy", "-auto-approve"]).ok();
    assert!(
        destroyed.stdout.contains("Destroy complete!"),
        "{name}\n{}",
        destroyed.stdout
    );
    assert_eq!(w.on(&emu, &["state", "list"]).ok().stdout, "", "{name}");
    let left = live_objects(&emu.world());
    assert!(left.is_empty(), "{name}: destroy left {left:?}");
    println!("{name}: no-change plan cost {refresh} requests");
    emu.shutdown().await;
}

/// Every object still alive in the emulator's cloud: what a destroy must leave none of
/// (finished operations, a deleted instance's reserved name and the like are records, not
/// objects).
fn live_objects(w: &keyway::emulator::World) -> Vec<String> {
    let records = ["/operations/", "sqladmin:deleted/"];
    let mut out: Vec<String> = w
        .generic
        .keys()
        .filter(|k| !records.iter().any(|r| k.contains(r)))
        .cloned()
        .collect();
    out.extend(w.run_services.keys().cloned());
    out.extend(w.apis.keys().cloned());
    out.extend(w.api_configs.keys().cloned());
    out.extend(w.gateways.keys().cloned());
    out.extend(
        w.keys
            .iter()
            .filter(|(_, k)| k.deleted_ms.is_none())
            .map(|(n, _)| n.clone()),
    );
    out.extend(
        w.service_accounts
            .iter()
            .filter(|(_, a)| !a.deleted)
            .map(|(n, _)| n.clone()),
    );
    out
}

macro_rules! folders {
    ($($test:ident => $dir:literal),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $test() {
                run_folder($dir).await;
            }
        )*

        /// Every folder of tests/real_world has its test above.
        #[test]
        fn every_folder_is_run() {
            let mut found: Vec<String> = std::fs::read_dir(root().join("tests/real_world"))
                .expect("folders")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            found.sort();
            let mut listed = vec![$($dir),*];
            listed.sort();
            assert_eq!(found, listed);
        }
    };
}

folders!(
    cloudrun_v1_gateway => "cloudrun-v1-gateway",
    cloudsql_private_run => "cloudsql-private-run",
    events_pipeline => "events-pipeline",
);
