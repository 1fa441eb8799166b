//! A failing resource stops its dependents while independent branches finish, and state keeps
//! everything that completed; the next run finishes the job. Uses the library directly with a
//! provider that fails on demand.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use keyway::lang::Value;
use keyway::providers::{builtin::Builtin, Provider, ProviderError, Registry};
use keyway::state::State;

/// Fails to create any object whose input is "boom" while `fail` is set.
struct Flaky {
    fail: Arc<AtomicBool>,
}

#[async_trait]
impl Provider for Flaky {
    async fn refresh(
        &self,
        ty: &str,
        priors: &[Value],
    ) -> keyway::providers::Result<Vec<Option<Value>>> {
        Builtin.refresh(ty, priors).await
    }
    async fn create(&self, ty: &str, planned: &Value) -> keyway::providers::Result<Value> {
        let boom =
            matches!(planned, Value::Object(m) if m.get("input") == Some(&Value::string("boom")));
        if boom && self.fail.load(Ordering::SeqCst) {
            return Err(ProviderError::new("injected failure"));
        }
        Builtin.create(ty, planned).await
    }
    async fn update(
        &self,
        ty: &str,
        prior: &Value,
        planned: &Value,
    ) -> keyway::providers::Result<Value> {
        Builtin.update(ty, prior, planned).await
    }
    async fn delete(&self, ty: &str, prior: &Value) -> keyway::providers::Result<()> {
        Builtin.delete(ty, prior).await
    }
}

const CONFIG: &str = r#"
resource "terraform_data" "bad" { input = "boom" }
resource "terraform_data" "child" { input = terraform_data.bad.output }
resource "terraform_data" "grandchild" { input = terraform_data.child.output }
resource "terraform_data" "other" { input = "fine" }
resource "terraform_data" "other_child" { input = terraform_data.other.output }
"#;

/// Counts serials; writes nowhere.
struct Counting;

impl keyway::apply::StateWriter for Counting {
    fn encode(&mut self, state: &mut State) -> Result<Vec<u8>, String> {
        state.serial += 1;
        Ok(Vec::new())
    }
    fn commit(&mut self, _bytes: Vec<u8>) -> Result<(), String> {
        Ok(())
    }
}

async fn run(fail: bool, state: State) -> keyway::apply::Outcome {
    let config = keyway::config::load_str(CONFIG).expect("config");
    let graph = keyway::graph::build(&config).expect("graph");
    let mut reg = Registry::default();
    reg.insert(
        "builtin",
        Arc::new(Flaky {
            fail: Arc::new(AtomicBool::new(fail)),
        }),
    );
    let plan = keyway::plan::plan(
        &config,
        &graph,
        BTreeMap::new(),
        state,
        Vec::new(),
        &Default::default(),
        &keyway::plan::NoData,
    )
    .expect("plan");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let persist: keyway::apply::Persist = Box::new(Counting);
    let outcome = keyway::apply::apply(
        config,
        graph,
        plan,
        BTreeMap::new(),
        reg,
        4,
        persist,
        tx,
        keyway::apply::Interrupt::new(),
        None,
    )
    .await;
    rx.close();
    outcome
}

#[tokio::test]
async fn failure_stops_dependents_and_independent_branches_finish() {
    let outcome = run(true, State::new()).await;
    let addrs: Vec<&String> = outcome.state.resources.keys().collect();
    assert_eq!(
        addrs,
        ["terraform_data.other", "terraform_data.other_child"]
    );
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    let msg = &outcome.errors[0].message;
    assert!(
        msg.contains("terraform_data.bad") && msg.contains("injected failure"),
        "{msg}"
    );

    let second = run(false, outcome.state).await;
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(second.state.resources.len(), 5);
}
