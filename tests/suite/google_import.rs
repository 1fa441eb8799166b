//! `keyway import` on the emulator: the tutorial stack applied, forgotten (`state rm`), imported
//! back instance by instance by Google resource names in several documented ID formats, and
//! re-planned with no changes; plus the error paths (malformed ID, missing object, address
//! already managed, address not in the configuration).

use crate::support::{root, Run, Work};
use keyway::emulator::{Emulator, Options};

async fn get_json(url: &str) -> serde_json::Value {
    reqwest::get(url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn forgotten_stack_is_imported_back_without_changes() {
    let emu = Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(5),
    })
    .await
    .expect("emulator");
    let base = emu.base_url();
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    run(&["apply", "-auto-approve"]).ok();
    let key = run(&["output", "-raw", "api_key"]).ok().stdout;
    let listed = run(&["state", "list"]).ok().stdout;
    let addrs: Vec<&str> = listed.lines().collect();
    assert_eq!(addrs.len(), 14, "{listed}");
    let mut rm = vec!["state", "rm"];
    rm.extend(addrs.iter().copied());
    run(&rm).ok();
    assert_eq!(run(&["state", "list"]).ok().stdout, "");

    // Names only the live cloud knows now.
    let api = get_json(&format!(
        "{base}/v1/projects/keyway-demo/locations/global/apis/hello-api"
    ))
    .await;
    let managed = api["managedService"].as_str().expect("managed service");
    let configs = get_json(&format!(
        "{base}/v1/projects/keyway-demo/locations/global/apis/hello-api/configs"
    ))
    .await;
    let config_name = configs["apiConfigs"][0]["name"].as_str().expect("config");
    let config_id = config_name.rsplit('/').next().unwrap_or_default();
    let sa = "api-gateway@keyway-demo.iam.gserviceaccount.com";

    let mut imports: Vec<(String, String)> = Vec::new();
    // google_project_service: its one documented format.
    for s in [
        "apigateway",
        "apikeys",
        "iam",
        "run",
        "servicecontrol",
        "servicemanagement",
    ] {
        imports.push((
            format!("google_project_service.apis[\"{s}.googleapis.com\"]"),
            format!("keyway-demo/{s}.googleapis.com"),
        ));
    }
    imports.extend(
        [
            (
                "google_project_service.managed",
                format!("keyway-demo/{managed}"),
            ),
            ("google_service_account.gateway", sa.to_owned()),
            (
                "google_cloud_run_v2_service.backend",
                "us-central1/hello-backend".to_owned(),
            ),
            (
                "google_cloud_run_v2_service_iam_member.gateway_invoker",
                format!(
                    "projects/keyway-demo/locations/us-central1/services/hello-backend \
                     roles/run.invoker serviceAccount:{sa}"
                ),
            ),
            ("google_api_gateway_api.api", "hello-api".to_owned()),
            (
                "google_api_gateway_api_config.config",
                format!("keyway-demo/hello-api/{config_id}"),
            ),
            (
                "google_api_gateway_gateway.gateway",
                "projects/keyway-demo/locations/us-central1/gateways/hello-gateway".to_owned(),
            ),
            ("google_apikeys_key.key", "keyway-demo/hello-key".to_owned()),
        ]
        .map(|(a, i)| (a.to_owned(), i)),
    );
    for (addr, id) in &imports {
        let out = run(&["import", addr, id]).ok();
        assert!(out.stdout.contains("Import successful!"), "{}", out.stdout);
        assert!(!out.stdout.contains(&key) && !out.stderr.contains(&key));
    }
    assert_eq!(run(&["state", "list"]).ok().stdout.lines().count(), 14);
    let state = w.state_json();
    let key_inst = state["resources"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["address"] == "google_apikeys_key.key")
                .cloned()
        })
        .unwrap_or_else(|| state["resources"]["google_apikeys_key.key"].clone());
    assert!(
        key_inst.to_string().contains("/key_string"),
        "key_string not marked sensitive: {key_inst}"
    );

    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    // Error paths.
    let again = run(&["import", "google_apikeys_key.key", "hello-key"]).code(1);
    assert!(
        again.stderr.contains("Resource already managed by keyway"),
        "{}",
        again.stderr
    );
    run(&["state", "rm", "google_apikeys_key.key"]).ok();
    let bad = run(&[
        "import",
        "google_apikeys_key.key",
        "projects/keyway-demo/keys/k",
    ])
    .code(1);
    assert!(bad.stderr.contains("Invalid import ID"), "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("projects/{project}/locations/global/keys/{name}"),
        "{}",
        bad.stderr
    );
    let missing = run(&[
        "import",
        "google_apikeys_key.key",
        "keyway-demo/no-such-key",
    ])
    .code(1);
    assert!(
        missing
            .stderr
            .contains("Cannot import non-existent remote object"),
        "{}",
        missing.stderr
    );
    let typo = run(&["import", "google_apikeys_key.kye", "hello-key"]).code(1);
    assert!(
        typo.stderr
            .contains("Did you mean `google_apikeys_key.key`?"),
        "{}",
        typo.stderr
    );
    let no_instance = run(&[
        "import",
        "google_project_service.apis[\"nope.googleapis.com\"]",
        "keyway-demo/nope.googleapis.com",
    ])
    .code(1);
    assert!(
        no_instance.stderr.contains("declares no instance"),
        "{}",
        no_instance.stderr
    );
    // Nothing of the failed attempts reached state; the key imports by its bare ID.
    assert!(!run(&["state", "list"])
        .ok()
        .stdout
        .contains("google_apikeys_key"));
    run(&["import", "google_apikeys_key.key", "hello-key"]).ok();
    run(&["plan", "-detailed-exitcode"]).code(0);
    emu.shutdown().await;
}

#[test]
fn an_invoker_grant_named_by_full_service_name_imports_without_a_replacement() {
    let w = Work::copy_of(&root().join("examples/api-gateway-keys"));
    // Terraform folders often give the service's full resource name (`.id`) here.
    w.edit(
        "main.tf",
        "  name     = google_cloud_run_v2_service.backend.name\n",
        "  name     = google_cloud_run_v2_service.backend.id\n",
    );
    let run = |args: &[&str]| {
        let mut all = vec!["--emulator"];
        all.extend_from_slice(args);
        w.run(&all)
    };
    run(&["apply", "-auto-approve"]).ok();
    let addr = "google_cloud_run_v2_service_iam_member.gateway_invoker";
    run(&["state", "rm", addr]).ok();
    run(&[
        "import",
        addr,
        "us-central1/hello-backend roles/run.invoker \
         serviceAccount:api-gateway@keyway-demo.iam.gserviceaccount.com",
    ])
    .ok();
    let plan = run(&["plan", "-detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn import_reads_no_check_data_and_asks_for_no_creation_notes() {
    let emu = Emulator::start(Options {
        port: 0,
        data_file: None,
        reset: true,
        faults: Default::default(),
        operation_delay: std::time::Duration::from_millis(5),
    })
    .await
    .expect("emulator");
    let base = emu.base_url();
    let w = Work::copy_of(&root().join("tests/fixtures/google-apikeys"));
    // A check whose data source is a request to the emulator, seen in its log.
    w.write(
        "check.tf",
        &format!(
            "check \"probe\" {{\n  data \"http\" \"p\" {{\n    url = \"{base}/import-probe\"\n  }}\n  assert {{\n    condition     = data.http.p.status_code == 200\n    error_message = \"probe\"\n  }}\n}}\n"
        ),
    );
    let run = |args: &[&str]| {
        Run::from(
            w.command(args)
                .env("KEYWAY_EMULATOR", &base)
                .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")
                .output()
                .expect("run keyway"),
        )
    };
    let probes = || {
        emu.request_log()
            .iter()
            .filter(|r| r.path.ends_with("/import-probe"))
            .count()
    };
    run(&["apply", "-auto-approve"]).ok();
    assert!(probes() > 0, "the probe reaches the emulator's log");
    run(&["state", "rm", "google_apikeys_key.key"]).ok();
    let (before, lists) = (probes(), emu.counters().get("apikeys.keys.list").copied());
    let out = run(&["import", "google_apikeys_key.key", "keyway-demo/hello-key"]).ok();
    assert!(out.stdout.contains("Import successful"), "{}", out.stdout);
    assert_eq!(probes(), before, "import read a check's data source");
    let lists_after = emu.counters().get("apikeys.keys.list").copied();
    // The import's own read may list keys once; a creation note would list them again.
    assert!(
        lists_after.unwrap_or(0) <= lists.unwrap_or(0) + 1,
        "{lists:?} -> {lists_after:?}"
    );
    emu.shutdown().await;
}
