//! The Google provider under keyway's own engine (library API, no CLI wiring): plan → apply →
//! refresh → plan shows no changes → destroy, against the in-process emulator, with the
//! refresh's request count read from the emulator's counters.

use std::collections::BTreeMap;
use std::sync::Arc;

use keyway::emulator::{Emulator, Options};
use keyway::providers::google::{Endpoint, Google, Settings};
use keyway::providers::Registry;
use keyway::state::State;

const CONFIG: &str = r#"
resource "google_project_service" "svc" {
  for_each = toset(["iam.googleapis.com", "run.googleapis.com", "apikeys.googleapis.com"])
  service  = each.key
}
resource "google_service_account" "gw" {
  account_id   = "gateway-sa"
  display_name = "API Gateway"
  depends_on   = [google_project_service.svc]
}
resource "google_project_iam_member" "invoker" {
  project = "kw-engine"
  role    = "roles/run.invoker"
  member  = google_service_account.gw.member
}
"#;

struct Discard;

impl keyway::apply::StateWriter for Discard {
    fn encode(&mut self, state: &mut State) -> Result<Vec<u8>, String> {
        state.serial += 1;
        Ok(Vec::new())
    }
    fn commit(&mut self, _bytes: Vec<u8>) -> Result<(), String> {
        Ok(())
    }
}

async fn apply(
    registry: &Registry,
    state: State,
    mode: keyway::plan::Mode,
) -> (bool, keyway::apply::Outcome) {
    let config = keyway::config::load_str(CONFIG).expect("config");
    let graph = keyway::graph::build(&config).expect("graph");
    let refreshed = keyway::plan::refresh::refresh(state, registry)
        .await
        .expect("refresh");
    let (state, drift) = (refreshed.state, refreshed.drift);
    let opts = keyway::plan::Options {
        mode,
        ..Default::default()
    };
    let plan = keyway::plan::plan(
        &config,
        &graph,
        BTreeMap::new(),
        state,
        drift,
        &opts,
        &keyway::plan::NoData,
    )
    .expect("plan");
    let changes = plan.has_changes();
    for c in plan.changes.iter().filter(|c| c.action.is_change()) {
        eprintln!(
            "{} {}: {:?}\n  -> {:?}",
            c.action.name(),
            c.addr,
            c.before.as_ref().map(|v| v.to_json()),
            c.after.as_ref().map(|v| v.to_json())
        );
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let outcome = keyway::apply::apply(
        config,
        graph,
        plan,
        BTreeMap::new(),
        registry.clone(),
        4,
        Box::new(Discard),
        tx,
        keyway::apply::Interrupt::new(),
        None,
    )
    .await;
    rx.close();
    (changes, outcome)
}

#[tokio::test]
async fn plan_apply_replan_destroy_on_the_emulator() {
    let emu = Emulator::start(Options::default()).await.expect("emulator");
    let google = Google::new(Settings {
        project: Some("kw-engine".into()),
        endpoint: Endpoint::Emulator(emu.base_url()),
        ..Settings::default()
    })
    .expect("provider");
    let mut registry = Registry::builtin();
    registry.insert("google", Arc::new(google));

    let (changes, first) = apply(&registry, State::new(), keyway::plan::Mode::Normal).await;
    assert!(changes);
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.state.resources.len(), 5);

    let before = emu.counters();
    let (changes, second) = apply(&registry, first.state, keyway::plan::Mode::Normal).await;
    assert!(!changes, "a second plan must show no changes");
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    let after = emu.counters();
    let sent: u64 = after
        .iter()
        .map(|(k, v)| v - before.get(k).copied().unwrap_or(0))
        .sum();
    // One list of services, one list of accounts, one policy read.
    assert_eq!(sent, 3, "refresh requests: {after:?} vs {before:?}");

    let (_, gone) = apply(&registry, second.state, keyway::plan::Mode::Destroy).await;
    assert!(gone.errors.is_empty(), "{:?}", gone.errors);
    assert!(gone.state.resources.is_empty());
    let world = emu.world();
    assert!(world.service_accounts.values().all(|sa| sa.deleted));
    // Services stay enabled: nothing asked for `disable_on_destroy = true`.
    assert!(world.projects["kw-engine"].services["iam.googleapis.com"].enabled);
}
