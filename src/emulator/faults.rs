//! Seeded, reproducible fault and latency injection: per-API request latency, a rate of 429 and
//! 503 answers, and a rate of long-running operations that finish with an error.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::errors::ApiError;
use super::world::splitmix;

/// What to inject. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Seed of the fault PRNG: the same seed and request order give the same faults.
    pub seed: u64,
    /// Latency added to every API request.
    pub latency: Duration,
    /// Extra latency per API, keyed by the method-name prefix (`apikeys`, `run`, `iam`,
    /// `serviceusage`, `cloudresourcemanager`, `apigateway`; for AWS the botocore service:
    /// `apigateway`, `apigatewayv2`, `lambda`, `iam`, `sts`, so `apigateway` and `iam` name both
    /// clouds' APIs); replaces `latency` for that API.
    pub api_latency: BTreeMap<String, Duration>,
    /// Operation duration per API (same keys as `api_latency`); replaces
    /// `Options::operation_delay` for that API.
    pub api_operation_delay: BTreeMap<String, Duration>,
    /// Fraction (0.0–1.0) of requests answered `429 RESOURCE_EXHAUSTED`.
    pub rate_429: f64,
    /// Fraction of requests answered `503 UNAVAILABLE`.
    pub rate_503: f64,
    /// Fraction of long-running operations that finish with an error (nothing is changed).
    pub operation_failure_rate: f64,
    /// After a service is enabled, calls to it keep failing with 403 SERVICE_DISABLED for this
    /// long (real enablement propagates over minutes).
    pub enable_propagation: Duration,
    /// A service enabled less than this long ago cannot be disabled (`FAILED_PRECONDITION`).
    /// Zero by default, so tests that enable and disable at once keep working; a service whose
    /// enabling operation is still running cannot be disabled whatever this is (see
    /// `serviceusage::recently_enabled`).
    pub recent_enable_window: Duration,
    /// After a service account is created, policies naming it are refused with 400 "does not
    /// exist" for this long (IAM is eventually consistent).
    pub service_account_propagation: Duration,
    /// After a policy is written, reads (and permission checks) keep seeing the previous policy
    /// for this long (IAM changes take effect over seconds to minutes).
    pub iam_propagation: Duration,
    /// The first N long-running operations started by each named method (`apigateway.gateways.create`)
    /// finish with an error: a targeted failure in the middle of an apply.
    pub fail_operations: BTreeMap<String, u32>,
    /// The first N requests of each named method are carried out, then answered
    /// `503 UNAVAILABLE` as if the answer were lost on the way: the client cannot tell
    /// whether its request took effect.
    pub lose_responses: BTreeMap<String, u32>,
}

#[derive(Debug)]
pub struct Faults {
    pub config: FaultConfig,
    state: u64,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Self {
        let state = config.seed;
        Faults { config, state }
    }

    /// Uniform in [0, 1).
    fn roll(&mut self) -> f64 {
        self.state = self.state.wrapping_add(1);
        (splitmix(self.state) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn latency(&self, method: &str) -> Duration {
        let api = method.split('.').next().unwrap_or_default();
        self.config
            .api_latency
            .get(api)
            .copied()
            .unwrap_or(self.config.latency)
    }

    pub fn operation_delay(&self, method: &str, default: Duration) -> Duration {
        let api = method.split('.').next().unwrap_or_default();
        self.config
            .api_operation_delay
            .get(api)
            .copied()
            .unwrap_or(default)
    }

    /// An injected error for this request, if the dice say so.
    pub fn request_fault(&mut self) -> Option<ApiError> {
        if self.config.rate_429 > 0.0 && self.roll() < self.config.rate_429 {
            return Some(
                ApiError::new(429, "RESOURCE_EXHAUSTED", "Quota exceeded (injected by the keyway emulator).")
                    .reason("RATE_LIMIT_EXCEEDED", "googleapis.com")
                    .with(json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"})),
            );
        }
        if self.config.rate_503 > 0.0 && self.roll() < self.config.rate_503 {
            return Some(ApiError::new(
                503,
                "UNAVAILABLE",
                "The service is currently unavailable (injected by the keyway emulator).",
            ));
        }
        None
    }

    /// True if the answer to this call of `method` is to be lost (see
    /// [`FaultConfig::lose_responses`]).
    pub fn response_lost(&mut self, method: &str) -> bool {
        match self.config.lose_responses.get_mut(method) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }

    pub fn operation_fails(&mut self, method: &str) -> bool {
        if let Some(left) = self.config.fail_operations.get_mut(method) {
            if *left > 0 {
                *left -= 1;
                return true;
            }
        }
        self.config.operation_failure_rate > 0.0 && self.roll() < self.config.operation_failure_rate
    }
}

/// The error an injected operation failure finishes with.
pub fn operation_failure() -> ApiError {
    ApiError::new(
        500,
        "INTERNAL",
        "Operation failed (injected by the keyway emulator); nothing was changed.",
    )
}
