//! `keyway emulator`: serves the local Google Cloud emulator until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use miette::Report;

use crate::cli::args::EmulatorArgs;
use crate::cli::workspace::Failure;
use crate::emulator::{Emulator, FaultConfig, Options};

/// Runs the emulator.
pub async fn run(a: EmulatorArgs) -> Result<ExitCode, Failure> {
    for (name, rate) in [
        ("rate-429", a.rate_429),
        ("rate-503", a.rate_503),
        ("operation-failure-rate", a.operation_failure_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            return Err(
                Report::msg(format!("--{name} must be between 0 and 1, got {rate}")).into(),
            );
        }
    }
    let faults = FaultConfig {
        seed: a.seed,
        latency: Duration::from_millis(a.latency_ms),
        rate_429: a.rate_429,
        rate_503: a.rate_503,
        operation_failure_rate: a.operation_failure_rate,
        recent_enable_window: Duration::from_millis(a.recent_enable_window_ms),
        enable_propagation: Duration::from_millis(a.enable_propagation_ms),
        service_account_propagation: Duration::from_millis(a.account_propagation_ms),
        iam_propagation: Duration::from_millis(a.iam_propagation_ms),
        fail_operations: counts(&a.fail_operation),
        lose_responses: counts(&a.lose_response),
        ..FaultConfig::default()
    };
    let opts = Options {
        port: a.port,
        data_file: a.data.clone(),
        reset: a.reset,
        faults,
        operation_delay: Duration::from_millis(a.operation_delay_ms),
    };
    let emu = Emulator::start(opts)
        .await
        .map_err(|e| Report::msg(format!("Cannot start the emulator: {e}")))?;
    println!("keyway emulator listening on {}", emu.base_url());
    println!(
        "Point keyway at it with:  export KEYWAY_EMULATOR={}",
        emu.base_url()
    );
    if let Some(d) = &a.data {
        println!("The emulated cloud is saved to {}", d.display());
    }
    println!(
        "Counters: {}/__emulator/counters   Press Ctrl-C to stop.",
        emu.base_url()
    );
    let _ = tokio::signal::ctrl_c().await;
    emu.shutdown().await;
    println!("Emulator stopped.");
    Ok(ExitCode::SUCCESS)
}

/// How many times each method is named.
fn counts(methods: &[String]) -> std::collections::BTreeMap<String, u32> {
    methods.iter().fold(Default::default(), |mut m, method| {
        *m.entry(method.clone()).or_insert(0) += 1;
        m
    })
}
