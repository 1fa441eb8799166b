//! Runs the pytest conformance suite (`tests/conformance/`) — Google's own Python clients over
//! REST, and boto3 for the AWS half — against an in-process emulator on a loopback port. The
//! virtualenv comes from `scripts/conformance.sh`; without it this test fails rather than
//! skipping silently.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use keyway::emulator::{Emulator, FaultConfig, Options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_python_clients_conform() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/conformance.sh once to create the virtualenv with the pinned Google clients",
        python.display()
    );
    // Cloud Run and API Keys operations take a moment, so the clients really poll them; the
    // other APIs finish at once to keep the run short.
    let mut faults = FaultConfig::default();
    for api in ["run", "apikeys"] {
        faults
            .api_operation_delay
            .insert(api.to_string(), Duration::from_millis(300));
    }
    let emu = Emulator::start(Options {
        faults,
        ..Options::default()
    })
    .await
    .expect("emulator starts");
    let url = emu.base_url();
    let suite = root.join("tests/conformance");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            // `-s`: the schema checks print their figures (bodies checked, problems found).
            .args(["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"])
            .arg(&suite)
            .env("EMULATOR_URL", url)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
    })
    .await
    .expect("join")
    .expect("pytest runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    let counters = emu.counters();
    println!("emulator served {} methods: {counters:?}", counters.len());
    // The AWS half was driven too (boto3, through the same port).
    for aws in [
        "apigateway.CreateDeployment",
        "apigatewayv2.CreateRoute",
        "lambda.CreateFunction",
        "iam.CreateRole",
        "sts.GetCallerIdentity",
        "apigatewayv2.ReimportApi",
        "apigateway.PutRestApi",
    ] {
        assert!(
            counters.get(aws).is_some_and(|n| *n > 0),
            "{aws} was never called"
        );
    }
    for polled in ["run.operations.get", "apikeys.operations.get"] {
        assert!(
            counters.get(polled).is_some_and(|n| *n > 0),
            "{polled} was never polled"
        );
    }
    emu.shutdown().await;
    assert!(
        out.status.success(),
        "pytest conformance suite failed:\n{stdout}"
    );
}
