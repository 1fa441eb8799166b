//! Retry policy of the Google client: each retryable situation is a named predicate over a
//! `GoogleError`, citing the API behaviour that makes it safe, plus bounded exponential backoff
//! with jitter.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use super::client::GoogleError;

/// 429 RESOURCE_EXHAUSTED: quota and rate limits. Google asks clients to back off and retry
/// (reference §1.5 "Retry guidance"); a `RetryInfo.retryDelay` detail, when present, is honoured.
pub fn is_rate_limited(e: &GoogleError) -> bool {
    e.code == 429 || e.status == "RESOURCE_EXHAUSTED"
}

/// 500/502/503/504 and UNAVAILABLE: transient server trouble that the reference lists as
/// retryable (§1.5). 501 UNIMPLEMENTED is a permanent answer and is not retried.
pub fn is_server_unavailable(e: &GoogleError) -> bool {
    matches!(e.code, 500 | 502 | 503 | 504) || e.status == "UNAVAILABLE"
}

/// No HTTP answer at all (connection reset, timeout): the request may be retried a few times.
/// Only idempotent use is safe in general; Google's create calls answer 409 ALREADY_EXISTS on a
/// replay, which the resource modules treat as "adopt or report", never as silent success.
pub fn is_transport_failure(e: &GoogleError) -> bool {
    e.code == 0
}

/// An operation that finished with INTERNAL (13), UNAVAILABLE (14), ABORTED (10) or
/// DEADLINE_EXCEEDED (4) in `Operation.error`: the operation-level form of a transient 5xx or a
/// concurrent modification (reference §1.5 "Retry guidance"), so the original request is sent
/// again, with backoff, on the transient budget. The operation's own outcome is unknown to the
/// retry (it may have half-happened): creates that meet 409 afterwards look the object up.
pub fn is_transient_operation_failure(e: &GoogleError) -> bool {
    matches!(
        e.status.as_str(),
        "INTERNAL" | "UNAVAILABLE" | "ABORTED" | "DEADLINE_EXCEEDED"
    )
}

/// `409 ABORTED` from setIamPolicy: "There were concurrent policy changes. Please retry the whole
/// read-modify-write with exponential backoff" (reference §1.6). The caller must re-read the
/// policy before retrying, so this predicate is used by the IAM read-modify-write loop, not by
/// the generic request retry.
pub fn is_concurrent_policy_change(e: &GoogleError) -> bool {
    e.code == 409 && e.status == "ABORTED"
}

/// 403 PERMISSION_DENIED with `ErrorInfo.reason = SERVICE_DISABLED`: the API is not enabled in
/// the consumer project, or was enabled so recently that the change has not propagated ("If you
/// enabled this API recently, wait a few minutes", reference §2.3 and §8). Returns the service's
/// DNS name. The client retries it only for a bounded window after keyway itself enabled that
/// service; otherwise it is reported with instructions.
pub fn service_disabled(e: &GoogleError) -> Option<&str> {
    if e.code == 403 && e.reason.as_deref() == Some("SERVICE_DISABLED") {
        Some(e.metadata.get("service").map_or("", String::as_str))
    } else {
        None
    }
}

/// A service account created moments ago is not yet usable as a policy member: setIamPolicy
/// answers `400 INVALID_ARGUMENT "Service account X does not exist."` for a short while (IAM reads
/// are eventually consistent, reference §3.3 and §8). Returns the account's email. The client
/// retries it only for accounts keyway itself created within a bounded window.
pub fn account_not_yet_visible(e: &GoogleError) -> Option<&str> {
    if e.code != 400 || e.status != "INVALID_ARGUMENT" {
        return None;
    }
    let rest = e.message.strip_prefix("Service account ")?;
    let email = rest.strip_suffix(" does not exist.")?;
    Some(email.trim())
}

/// Exponential backoff with jitter, bounded by a maximum delay and a number of attempts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// Delay before the first retry.
    pub initial: Duration,
    /// No single wait exceeds this.
    pub max_delay: Duration,
    /// Retries of transient errors (429, 5xx, transport) before giving up.
    pub max_retries: u32,
}

impl Backoff {
    /// For Google's real APIs: 1 s doubling to 32 s, 8 retries (about 2 minutes in all).
    pub fn google() -> Backoff {
        Backoff {
            initial: Duration::from_secs(1),
            max_delay: Duration::from_secs(32),
            max_retries: 8,
        }
    }

    /// For the local emulator: the same shape, scaled down (it answers in microseconds).
    pub fn local() -> Backoff {
        Backoff {
            initial: Duration::from_millis(20),
            max_delay: Duration::from_millis(500),
            max_retries: 8,
        }
    }

    /// The wait before retry number `attempt` (0-based): `initial * 2^attempt`, capped, with
    /// "equal jitter" (half fixed, half random) so concurrent writers spread out.
    pub fn delay(&self, attempt: u32, server_hint: Option<Duration>) -> Duration {
        let exp = self
            .initial
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.max_delay);
        let half = exp / 2;
        let jitter = half.mul_f64(random_unit());
        let d = half + jitter;
        match server_hint {
            Some(h) => d.max(h.min(self.max_delay)),
            None => d,
        }
    }
}

/// A random number in [0, 1) from the standard library's per-process random hasher keys.
fn random_unit() -> f64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn err(code: u16, status: &str, message: &str) -> GoogleError {
        GoogleError {
            code,
            status: status.into(),
            message: message.into(),
            reason: None,
            domain: None,
            metadata: BTreeMap::new(),
            retry_delay: None,
            resent: false,
        }
    }

    #[test]
    fn rate_limits_are_retried() {
        assert!(is_rate_limited(&err(429, "RESOURCE_EXHAUSTED", "Quota")));
        assert!(!is_rate_limited(&err(403, "PERMISSION_DENIED", "no")));
    }

    #[test]
    fn server_errors_are_retried_but_not_unimplemented() {
        for c in [500, 502, 503, 504] {
            assert!(is_server_unavailable(&err(c, "", "x")), "{c}");
        }
        assert!(is_server_unavailable(&err(0, "UNAVAILABLE", "x")));
        assert!(!is_server_unavailable(&err(501, "UNIMPLEMENTED", "x")));
        assert!(!is_server_unavailable(&err(404, "NOT_FOUND", "x")));
    }

    #[test]
    fn transport_failures_have_code_zero() {
        assert!(is_transport_failure(&err(0, "", "connection reset")));
        assert!(!is_transport_failure(&err(400, "INVALID_ARGUMENT", "x")));
    }

    #[test]
    fn transient_operation_failures_are_the_four_canonical_codes() {
        for c in [4, 10, 13, 14] {
            let e = GoogleError::from_status(&serde_json::json!({"code": c, "message": "m"}), None);
            assert!(is_transient_operation_failure(&e), "{c}");
        }
        for c in [3, 5, 6, 7, 9, 12] {
            let e = GoogleError::from_status(&serde_json::json!({"code": c, "message": "m"}), None);
            assert!(!is_transient_operation_failure(&e), "{c}");
        }
    }

    #[test]
    fn only_aborted_conflicts_are_policy_races() {
        assert!(is_concurrent_policy_change(&err(
            409,
            "ABORTED",
            "There were concurrent policy changes."
        )));
        assert!(!is_concurrent_policy_change(&err(
            409,
            "ALREADY_EXISTS",
            "exists"
        )));
    }

    #[test]
    fn service_disabled_names_the_service() {
        let mut e = err(403, "PERMISSION_DENIED", "IAM API has not been used");
        assert_eq!(service_disabled(&e), None);
        e.reason = Some("SERVICE_DISABLED".into());
        e.metadata
            .insert("service".into(), "iam.googleapis.com".into());
        assert_eq!(service_disabled(&e), Some("iam.googleapis.com"));
        e.code = 400;
        assert_eq!(service_disabled(&e), None);
    }

    #[test]
    fn invisible_new_account_is_recognised() {
        let e = err(
            400,
            "INVALID_ARGUMENT",
            "Service account gw@p.iam.gserviceaccount.com does not exist.",
        );
        assert_eq!(
            account_not_yet_visible(&e),
            Some("gw@p.iam.gserviceaccount.com")
        );
        assert_eq!(
            account_not_yet_visible(&err(400, "INVALID_ARGUMENT", "Invalid member: x")),
            None
        );
        assert_eq!(
            account_not_yet_visible(&err(404, "NOT_FOUND", "Service account a does not exist.")),
            None
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retries: 5,
        };
        let d0 = b.delay(0, None);
        assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
        let d3 = b.delay(3, None);
        assert!(d3 >= Duration::from_millis(400) && d3 <= Duration::from_millis(800));
        let d10 = b.delay(10, None);
        assert!(d10 <= Duration::from_millis(1000));
        // A server hint raises the wait, but never beyond the cap.
        assert!(b.delay(0, Some(Duration::from_millis(700))) >= Duration::from_millis(700));
        assert!(b.delay(0, Some(Duration::from_secs(60))) <= Duration::from_millis(1000));
    }
}
