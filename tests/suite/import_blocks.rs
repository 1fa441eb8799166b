//! `import` blocks (Terraform 1.5) through the real binary on the emulator: objects dropped
//! from state come back through blocks in the configuration: the plan says `will be imported`
//! (or updated in place, `imported from`, where the configuration differs), `show -json`
//! carries `importing`, apply records them, and the next plan is clean. A block whose target
//! the configuration does not declare is an error at the block.

use crate::support::{emulator, root, Work};

const IMPORTS: &str = r#"
import {
  to = google_apikeys_key.key
  id = "projects/${var.project}/locations/global/keys/hello-key"
}

import {
  to = google_service_account.gateway
  id = "projects/keyway-demo/serviceAccounts/api-gateway@keyway-demo.iam.gserviceaccount.com"
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn import_blocks_bring_objects_back_into_state() {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    let run = |args: &[&str]| w.on(&emu, args);
    run(&["apply", "-auto-approve"]).ok();
    let key = w.state_json()["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "google_apikeys_key.key"))
        .map(|r| r["attributes"]["key_string"].clone())
        .expect("key in state");
    run(&[
        "state",
        "rm",
        "google_apikeys_key.key",
        "google_service_account.gateway",
    ])
    .ok();
    let main = std::fs::read_to_string(w.path().join("main.tf")).expect("main.tf");
    w.write("main.tf", &format!("{main}{IMPORTS}"));
    // The key's display name differs from the object's: imported, then updated in place.
    w.edit(
        "main.tf",
        "\"Hello API key\"",
        "\"Hello API key (imported)\"",
    );

    let plan = run(&["plan", "-out=import.plan"]).ok().stdout;
    for want in [
        "# google_service_account.gateway will be imported",
        "# google_apikeys_key.key will be updated in-place\n  # (imported from \"projects/keyway-demo/locations/global/keys/hello-key\")",
        "Plan: 2 to import, 0 to add, 1 to change, 0 to destroy.",
    ] {
        assert!(plan.contains(want), "{want} in:\n{plan}");
    }
    assert!(!plan.contains(key.as_str().unwrap_or("?")), "{plan}");
    let json: serde_json::Value =
        serde_json::from_str(&run(&["show", "-json", "import.plan"]).ok().stdout).expect("json");
    let sa = json["resource_changes"]
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["address"] == "google_service_account.gateway")
        })
        .expect("service account change");
    assert_eq!(sa["change"]["actions"], serde_json::json!(["no-op"]));
    assert_eq!(
        sa["change"]["importing"]["id"],
        "projects/keyway-demo/serviceAccounts/api-gateway@keyway-demo.iam.gserviceaccount.com"
    );

    let applied = run(&["apply", "import.plan"]).ok().stdout;
    assert!(
        applied.contains("Resources: 2 imported, 0 added, 1 changed, 0 destroyed."),
        "{applied}"
    );
    let after = w.state_json();
    let imported = after["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "google_apikeys_key.key"))
        .expect("key back in state");
    assert_eq!(imported["attributes"]["key_string"], key);
    assert_eq!(
        imported["attributes"]["display_name"],
        "Hello API key (imported)"
    );
    let again = run(&["plan", "-detailed-exitcode"]).code(0).stdout;
    assert!(again.contains("No changes."), "{again}");
}

#[test]
fn an_import_into_an_undeclared_resource_is_an_error_at_the_block() {
    let w = Work::new(
        "import {\n  to = google_apikeys_key.missing\n  id = \"projects/p/locations/global/keys/k\"\n}\n",
    );
    let out = w.run(&["validate", "-no-color"]).code(1).stderr;
    assert!(
        out.contains(
            "Configuration for import target does not exist: `google_apikeys_key.missing`"
        ),
        "{out}"
    );
    assert!(out.contains("main.tf:1:1"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_block_with_for_each_imports_every_instance() {
    let emu = emulator().await;
    let w = Work::new(
        r#"
provider "google" {
  project = "keyway-demo"
}

variable "keys" {
  type    = set(string)
  default = ["acme", "globex"]
}

resource "google_project_service" "apikeys" {
  service = "apikeys.googleapis.com"
}

resource "google_apikeys_key" "k" {
  for_each     = var.keys
  name         = each.key
  display_name = "key for ${each.key}"
  depends_on   = [google_project_service.apikeys]
}
"#,
    );
    let run = |args: &[&str]| w.on(&emu, args);
    run(&["apply", "-auto-approve"]).ok();
    run(&["state", "rm", "google_apikeys_key.k"]).ok();
    let main = std::fs::read_to_string(w.path().join("main.tf")).expect("main.tf");
    w.write(
        "main.tf",
        &format!(
            "{main}\nimport {{\n  for_each = var.keys\n  to       = google_apikeys_key.k[each.key]\n  id       = \"projects/keyway-demo/locations/global/keys/${{each.value}}\"\n}}\n"
        ),
    );
    let plan = run(&["plan"]).ok().stdout;
    for want in [
        "# google_apikeys_key.k[\"acme\"] will be imported",
        "# google_apikeys_key.k[\"globex\"] will be imported",
        "Plan: 2 to import, 0 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(plan.contains(want), "{want} in:\n{plan}");
    }
    let applied = run(&["apply", "-auto-approve"]).ok().stdout;
    assert!(
        applied.contains("Resources: 2 imported, 0 added"),
        "{applied}"
    );
    run(&["plan", "-detailed-exitcode"]).code(0);
}

/// An object changed outside keyway shows in `show -json` as Terraform's `resource_drift`:
/// the instance as state held it and as the refresh found it.
#[tokio::test(flavor = "multi_thread")]
async fn drift_is_shown_as_resource_drift() {
    let emu = emulator().await;
    let base = emu.base_url();
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    let run = |args: &[&str]| w.on(&emu, args);
    run(&["apply", "-auto-approve"]).ok();
    let changed = reqwest::Client::new()
        .patch(format!(
            "{base}/v2/projects/keyway-demo/locations/global/keys/hello-key?updateMask=displayName"
        ))
        .json(&serde_json::json!({"displayName": "changed by hand"}))
        .send()
        .await
        .expect("patch");
    assert!(changed.status().is_success(), "{}", changed.status());
    run(&["plan", "-out=drift.plan"]).ok();
    let plan: serde_json::Value =
        serde_json::from_str(&run(&["show", "-json", "drift.plan"]).ok().stdout).expect("json");
    let drift = plan["resource_drift"].as_array().expect("resource_drift");
    let key = drift
        .iter()
        .find(|d| d["address"] == "google_apikeys_key.key")
        .expect("the key drifted");
    assert_eq!(key["change"]["actions"], serde_json::json!(["update"]));
    assert_eq!(key["change"]["before"]["display_name"], "Hello API key");
    assert_eq!(key["change"]["after"]["display_name"], "changed by hand");
    assert_eq!(
        key["change"]["before"]["key_string"],
        serde_json::Value::Null
    );
}
