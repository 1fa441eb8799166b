//! `google_apikeys_key` on keyway's emulator (loopback only): create with a sensitive key
//! string, refresh with one list call, restrictions updated in place, soft delete, and a
//! re-created name taking the undelete path; then the real binary never printing the key
//! while `output -raw` hands it over.

use crate::support::{root, Work};
use keyway::emulator::{Emulator, Options};
use keyway::lang::Value;
use keyway::providers::google::apikeys_key::UNDELETE_NOTE;
use keyway::providers::google::{retry::Backoff, Endpoint, Google, Settings};
use keyway::providers::Provider;
use serde_json::{json, Value as Json};

const TY: &str = "google_apikeys_key";

async fn emulator() -> Emulator {
    Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(20),
    })
    .await
    .expect("emulator")
}

fn provider(emu: &Emulator) -> Google {
    Google::new(Settings {
        project: Some("keyway-demo".into()),
        region: Some("us-central1".into()),
        endpoint: Endpoint::Emulator(emu.base_url()),
        ..Settings::default()
    })
    .expect("provider")
    .with_backoff(Backoff::local())
}

fn v(j: Json) -> Value {
    Value::from_json(&j)
}

fn s(v: &Json, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

fn restrictions(service: &str, client: (&str, Json)) -> Json {
    let mut r = json!({
        "api_targets": [{"service": service, "methods": null}],
        "browser_key_restrictions": [],
        "server_key_restrictions": [],
        "android_key_restrictions": [],
        "ios_key_restrictions": [],
    });
    r[client.0] = json!([client.1]);
    json!([r])
}

fn methods_since(emu: &Emulator, before: usize) -> Vec<String> {
    emu.request_log()
        .into_iter()
        .skip(before)
        .map(|r| r.method)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn key_lifecycle_and_undelete_through_the_provider() {
    let schema = keyway::schema::lookup(TY).expect("schema");
    assert!(schema.attributes["key_string"].sensitive);
    assert!(schema.attributes["key_string"].computed);
    assert!(schema.attributes["name"].forces_replacement);

    let emu = emulator().await;
    let g = provider(&emu);
    g.create(
        "google_project_service",
        &v(json!({"service": "apikeys.googleapis.com"})),
    )
    .await
    .expect("enable");

    let planned = json!({
        "name": "demo-key",
        "display_name": "Demo",
        "project": null,
        "restrictions": restrictions(
            "translate.googleapis.com",
            ("browser_key_restrictions", json!({"allowed_referrers": ["https://example.com/*"]})),
        ),
    });
    let key = g
        .create(TY, &v(planned.clone()))
        .await
        .expect("create")
        .to_json();
    let ks = s(&key, "key_string");
    assert!(ks.starts_with("AIza") && ks.len() == 39, "{key}");
    assert_eq!(
        s(&key, "id"),
        "projects/keyway-demo/locations/global/keys/demo-key"
    );
    assert_eq!(s(&key, "name"), "demo-key");
    assert!(!s(&key, "uid").is_empty(), "{key}");
    assert_eq!(
        key["restrictions"][0]["browser_key_restrictions"][0]["allowed_referrers"],
        json!(["https://example.com/*"])
    );
    assert_eq!(
        key["restrictions"][0]["api_targets"][0]["service"],
        "translate.googleapis.com"
    );

    // Refresh: one list call; the key string is kept from state, not read again.
    let before = emu.request_log().len();
    let r = g.refresh(TY, &[v(key.clone())]).await.expect("refresh");
    assert_eq!(methods_since(&emu, before), vec!["apikeys.keys.list"]);
    assert_eq!(r[0].as_ref().map(Value::to_json), Some(key.clone()));
    // Without a key string in state (an import), it is read once.
    let mut bare = key.clone();
    bare["key_string"] = Json::Null;
    let before = emu.request_log().len();
    let r = g.refresh(TY, &[v(bare)]).await.expect("refresh");
    assert_eq!(
        methods_since(&emu, before),
        vec!["apikeys.keys.list", "apikeys.keys.getKeyString"]
    );
    assert_eq!(
        r[0].as_ref().map(|o| s(&o.to_json(), "key_string")),
        Some(ks.clone())
    );

    // Restrictions change in place: browser → server, same key string.
    let mut changed = key.clone();
    changed["restrictions"] = restrictions(
        "translate.googleapis.com",
        (
            "server_key_restrictions",
            json!({"allowed_ips": ["10.0.0.0/8"]}),
        ),
    );
    let updated = g
        .update(TY, &v(key.clone()), &v(changed))
        .await
        .expect("update")
        .to_json();
    assert_eq!(
        updated["restrictions"][0]["browser_key_restrictions"],
        json!([])
    );
    assert_eq!(
        updated["restrictions"][0]["server_key_restrictions"][0]["allowed_ips"],
        json!(["10.0.0.0/8"])
    );
    assert_eq!(s(&updated, "key_string"), ks);
    let raw: Json = reqwest::get(format!(
        "{}/v2/projects/keyway-demo/locations/global/keys/demo-key",
        emu.base_url()
    ))
    .await
    .expect("get")
    .json()
    .await
    .expect("json");
    assert!(
        raw["restrictions"]["browserKeyRestrictions"].is_null(),
        "{raw}"
    );
    assert_eq!(
        raw["restrictions"]["serverKeyRestrictions"]["allowedIps"],
        json!(["10.0.0.0/8"])
    );

    // Delete is soft: the key is gone for refresh, deleting again is fine.
    g.delete(TY, &v(updated.clone())).await.expect("delete");
    let r = g.refresh(TY, &[v(updated.clone())]).await.expect("refresh");
    assert_eq!(r, vec![None]);
    g.delete(TY, &v(updated.clone()))
        .await
        .expect("delete again");

    // Re-creating the name within 30 days: undeleted and set to the new configuration.
    let mut again = planned.clone();
    again["display_name"] = json!("Demo again");
    again["restrictions"] = restrictions(
        "translate.googleapis.com",
        (
            "android_key_restrictions",
            json!({"allowed_applications": [{"package_name": "com.example.app", "sha1_fingerprint": "16:99:46:6a:14:2d:46:82:a5:f9:1b:50:fd:f4:00:f2:35:8e:2b:0b"}]}),
        ),
    );
    let before = emu.request_log().len();
    let back = g
        .create_as_noted(TY, &v(again.clone()), UNDELETE_NOTE)
        .await
        .expect("re-create")
        .to_json();
    let m = methods_since(&emu, before);
    assert!(m.contains(&"apikeys.keys.undelete".to_owned()), "{m:?}");
    assert_eq!(
        s(&back, "key_string"),
        ks,
        "the undeleted key keeps its string"
    );
    assert_eq!(s(&back, "uid"), s(&key, "uid"));
    assert_eq!(s(&back, "display_name"), "Demo again");
    assert_eq!(
        back["restrictions"][0]["android_key_restrictions"][0]["allowed_applications"][0]
            ["package_name"],
        "com.example.app"
    );
    // Google stores the fingerprint without colons; the configured spelling is kept.
    assert_eq!(
        back["restrictions"][0]["android_key_restrictions"][0]["allowed_applications"][0]
            ["sha1_fingerprint"],
        "16:99:46:6a:14:2d:46:82:a5:f9:1b:50:fd:f4:00:f2:35:8e:2b:0b"
    );
    assert_eq!(
        back["restrictions"][0]["browser_key_restrictions"],
        json!([])
    );
    let r = g.refresh(TY, &[v(back.clone())]).await.expect("refresh");
    assert_eq!(r[0].as_ref().map(Value::to_json), Some(back.clone()));

    // A live key with the same ID is a real conflict, said plainly.
    let e = g.create(TY, &v(planned.clone())).await.expect_err("taken");
    assert!(e.message.contains("already exists"), "{}", e.message);

    // A plain create the plan did not announce as an undelete never brings an old string
    // back: the reserved ID gives way to the next free one.
    g.delete(TY, &v(back.clone())).await.expect("delete");
    let fresh = g.create(TY, &v(again)).await.expect("create").to_json();
    assert_eq!(
        s(&fresh, "id"),
        "projects/keyway-demo/locations/global/keys/demo-key-2"
    );
    assert_eq!(s(&fresh, "name"), "demo-key");
    assert_ne!(s(&fresh, "key_string"), ks);
    let r = g.refresh(TY, &[v(fresh.clone())]).await.expect("refresh");
    assert_eq!(r[0].as_ref().map(Value::to_json), Some(fresh.clone()));
    g.delete(TY, &v(fresh.clone())).await.expect("delete");
    assert_eq!(
        g.refresh(TY, &[v(fresh)]).await.expect("refresh"),
        vec![None]
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn key_string_never_reaches_the_terminal_through_the_binary() {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("tests/fixtures/google-apikeys"));
    let run = |args: &[&str]| {
        let out = w
            .command(args)
            .env("KEYWAY_EMULATOR", emu.base_url())
            .output()
            .expect("run keyway");
        crate::support::Run::from(out)
    };
    let plan = run(&["plan"]).ok();
    let apply = run(&["apply", "-auto-approve"]).ok();
    assert!(
        apply.stdout.contains("Apply complete! Resources: 2 added"),
        "{}",
        apply.stdout
    );
    let key = run(&["output", "-raw", "key"]).ok().stdout;
    assert!(key.starts_with("AIza") && key.len() == 39, "{key}");
    for out in [&plan, &apply] {
        assert!(!out.stdout.contains(&key) && !out.stderr.contains(&key));
    }
    let shown = run(&["output"]).ok();
    assert!(!shown.stdout.contains(&key), "{}", shown.stdout);
    let state = run(&["state", "show", "google_apikeys_key.key"]).ok();
    assert!(!state.stdout.contains(&key), "{}", state.stdout);

    let before = emu.request_log().len();
    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(!plan.stdout.contains(&key));
    let keys: Vec<String> = methods_since(&emu, before)
        .into_iter()
        .filter(|m| m.starts_with("apikeys."))
        .collect();
    assert_eq!(keys, vec!["apikeys.keys.list"]);

    // The key is restricted to the target service on the emulator.
    let raw: Json = reqwest::get(format!(
        "{}/v2/projects/keyway-demo/locations/global/keys/hello-key",
        emu.base_url()
    ))
    .await
    .expect("get")
    .json()
    .await
    .expect("json");
    assert_eq!(
        raw["restrictions"]["apiTargets"][0]["service"], "translate.googleapis.com",
        "{raw}"
    );

    // Restricting the key to another service is an in-place update; the key stays the same.
    let main = std::fs::read_to_string(w.path().join("main.tf")).expect("main.tf");
    w.write(
        "main.tf",
        &main.replace("translate.googleapis.com", "vision.googleapis.com"),
    );
    let plan = run(&["plan", "-detailed-exitcode"]).code(2);
    assert!(
        plan.stdout
            .contains("google_apikeys_key.key will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains(&key));
    let apply = run(&["apply", "-auto-approve"]).ok();
    assert!(
        apply
            .stdout
            .contains("Resources: 0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    assert!(!apply.stdout.contains(&key));
    assert_eq!(run(&["output", "-raw", "key"]).ok().stdout, key);
    run(&["plan", "-detailed-exitcode"]).code(0);

    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");

    // The name is reserved by the soft-deleted key: apply undeletes it instead of failing.
    let apply = run(&["apply", "-auto-approve"]).ok();
    assert!(!apply.stdout.contains(&key), "{}", apply.stdout);
    let again = run(&["output", "-raw", "key"]).ok().stdout;
    assert_eq!(again, key);
    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    run(&["destroy", "-auto-approve"]).ok();
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_in_a_project_without_the_api_says_how_to_enable_it() {
    let emu = emulator().await;
    let g = provider(&emu);
    let e = g
        .create(TY, &v(json!({"name": "no-api", "restrictions": []})))
        .await
        .expect_err("apikeys.googleapis.com is not enabled");
    assert!(
        e.message.contains("apikeys.googleapis.com is not enabled"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("google_project_service"),
        "{}",
        e.message
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destroyed_key_is_planned_as_undeleted_and_applied_without_a_create() {
    let emu = emulator().await;
    let w = Work::copy_of(&root().join("tests/fixtures/google-apikeys"));
    let run = |args: &[&str]| {
        let out = w
            .command(args)
            .env("KEYWAY_EMULATOR", emu.base_url())
            .output()
            .expect("run keyway");
        crate::support::Run::from(out)
    };
    // A fresh project: nothing to undelete, a plain creation.
    let first = run(&["plan"]).ok();
    assert!(
        first
            .stdout
            .contains("# google_apikeys_key.key will be created"),
        "{}",
        first.stdout
    );
    run(&["apply", "-auto-approve"]).ok();
    run(&["destroy", "-auto-approve"]).ok();

    let plan = run(&["plan", "-detailed-exitcode"]).code(2);
    assert!(
        plan.stdout.contains(
            "# google_apikeys_key.key will be undeleted and updated (same key string as \
                 before)\n"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("# google_project_service.apikeys will be created"),
        "{}",
        plan.stdout
    );
    run(&["plan", "-out=noted.plan"]).ok();
    let json: Json =
        serde_json::from_str(&run(&["show", "-json", "noted.plan"]).ok().stdout).expect("json");
    let key = json["resource_changes"]
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["address"] == "google_apikeys_key.key")
                .cloned()
        })
        .expect("key change");
    assert_eq!(key["change"]["actions"], json!(["create"]));
    assert_eq!(
        key["keyway_note"],
        json!("undeleted and updated (same key string as before)")
    );

    // A saved plan carries the note and applies as it says: an undelete, no create.
    run(&["plan", "-out", "tfplan"]).ok();
    let saved = std::fs::read_to_string(w.path().join("tfplan")).expect("plan file");
    assert!(
        saved.contains("\"note\": \"undeleted and updated (same key string as before)\""),
        "{saved}"
    );
    let before = emu.counters();
    let apply = run(&["apply", "tfplan"]).ok();
    assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
    let after = emu.counters();
    let delta = |m: &str| after.get(m).copied().unwrap_or(0) - before.get(m).copied().unwrap_or(0);
    assert_eq!(delta("apikeys.keys.undelete"), 1, "{after:?}");
    assert_eq!(delta("apikeys.keys.create"), 0, "{after:?}");
    run(&["plan", "-detailed-exitcode"]).code(0);
    emu.shutdown().await;
}

/// The tutorial's stack on an emulator started here, and a runner pointing the binary at it.
fn stack(emu: &Emulator) -> (Work, impl Fn(&Work, &[&str]) -> crate::support::Run) {
    let base = emu.base_url();
    let run = move |w: &Work, args: &[&str]| {
        crate::support::Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .output()
                .expect("run keyway"),
        )
    };
    (
        Work::copy_of(&root().join("examples/api-gateway-keys")),
        run,
    )
}

/// The status the emulator's gateway answers for GET /hello with `key`.
async fn gateway_status(emu: &Emulator, gateway_url: &str, key: &str) -> u16 {
    let host = gateway_url.trim_start_matches("https://");
    let url = format!("{}/__host/{host}/hello?key={key}", emu.base_url());
    reqwest::get(url).await.expect("gateway").status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn replacing_a_key_rotates_its_string_in_one_apply() {
    let emu = emulator().await;
    let (w, run) = stack(&emu);
    run(&w, &["apply", "-auto-approve"]).ok();
    let gateway = run(&w, &["output", "-raw", "gateway_url"]).ok().stdout;
    let old = run(&w, &["output", "-raw", "api_key"]).ok().stdout;
    assert_eq!(gateway_status(&emu, &gateway, &old).await, 200);

    // The plan says what a replacement makes: a new string, under a new key ID.
    let replace = ["-replace=google_apikeys_key.key"];
    let plan = run(&w, &[&["plan"][..], &replace].concat()).ok();
    assert!(
        plan.stdout.contains(
            "# google_apikeys_key.key must be replaced\n  # (the new key gets a new key string \
             under the key ID `hello-key-2`: `hello-key` stays with the old key, as Google keeps \
             a deleted key's ID reserved for 30 days; the old key string stops working)"
        ),
        "{}",
        plan.stdout
    );
    let apply = run(&w, &[&["apply", "-auto-approve"][..], &replace].concat()).ok();
    assert!(
        apply.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );
    let new = run(&w, &["output", "-raw", "api_key"]).ok().stdout;
    assert!(
        new.starts_with("AIza") && new != old,
        "the key string did not change"
    );
    assert_eq!(gateway_status(&emu, &gateway, &new).await, 200);
    assert_eq!(
        gateway_status(&emu, &gateway, &old).await,
        400,
        "the replaced key still works"
    );
    let state = run(&w, &["state", "show", "google_apikeys_key.key"])
        .ok()
        .stdout;
    assert!(state.contains("keys/hello-key-2"), "{state}");
    run(&w, &["plan", "-detailed-exitcode"]).code(0);

    // Replacing again skips every ID still reserved.
    let again = run(&w, &[&["apply", "-auto-approve"][..], &replace].concat()).ok();
    assert!(
        again.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        again.stdout
    );
    let third = run(&w, &["output", "-raw", "api_key"]).ok().stdout;
    assert!(third != new && third != old);
    let state = run(&w, &["state", "show", "google_apikeys_key.key"])
        .ok()
        .stdout;
    assert!(state.contains("keys/hello-key-3"), "{state}");

    // Created before the old key is deleted, the new key cannot have `hello-key` either.
    w.edit(
        "main.tf",
        "  depends_on = [google_project_service.managed]\n}",
        "  depends_on = [google_project_service.managed]\n  lifecycle {\n    \
         create_before_destroy = true\n  }\n}",
    );
    run(&w, &[&["apply", "-auto-approve"][..], &replace].concat()).ok();
    let fourth = run(&w, &["output", "-raw", "api_key"]).ok().stdout;
    assert!(fourth != third && fourth != new && fourth != old);
    assert_eq!(gateway_status(&emu, &gateway, &third).await, 400);
    assert_eq!(gateway_status(&emu, &gateway, &fourth).await, 200);
    let state = run(&w, &["state", "show", "google_apikeys_key.key"])
        .ok()
        .stdout;
    assert!(state.contains("keys/hello-key-4"), "{state}");

    // Destroy then apply restores the key last in use, and the plan says so.
    run(&w, &["destroy", "-auto-approve"]).ok();
    let plan = run(&w, &["plan"]).ok();
    assert!(
        plan.stdout.contains(
            "# google_apikeys_key.key will be undeleted and updated (same key string as before)"
        ),
        "{}",
        plan.stdout
    );
    run(&w, &["apply", "-auto-approve"]).ok();
    assert_eq!(run(&w, &["output", "-raw", "api_key"]).ok().stdout, fourth);
    run(&w, &["destroy", "-auto-approve"]).ok();
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undelete_whose_update_fails_is_deleted_back() {
    // One more failure than the client re-sends a failed operation.
    let faults = keyway::emulator::FaultConfig {
        fail_operations: [("apikeys.keys.patch".to_owned(), 9)].into(),
        ..Default::default()
    };
    let emu = Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults,
        operation_delay: std::time::Duration::from_millis(5),
    })
    .await
    .expect("emulator");
    let g = provider(&emu);
    g.create(
        "google_project_service",
        &v(json!({"service": "apikeys.googleapis.com"})),
    )
    .await
    .expect("enable");
    let planned = v(json!({"name": "k", "display_name": "K", "restrictions": []}));
    let key = g.create(TY, &planned).await.expect("create");
    g.delete(TY, &key).await.expect("delete");
    let e = g
        .create_as_noted(TY, &planned, UNDELETE_NOTE)
        .await
        .expect_err("the update fails");
    assert!(e.message.contains("update undeleted k"), "{}", e.message);
    let url = format!(
        "{}/v2/projects/keyway-demo/locations/global/keys/k",
        emu.base_url()
    );
    let raw: Json = reqwest::get(url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(raw.get("deleteTime").is_some(), "left live: {raw}");
    let back = g
        .create_as_noted(TY, &planned, UNDELETE_NOTE)
        .await
        .expect("restored once the API works")
        .to_json();
    assert_eq!(s(&back, "key_string"), s(&key.to_json(), "key_string"));
    emu.shutdown().await;
}
