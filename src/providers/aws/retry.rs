//! When an AWS error means "not yet" rather than "no": each retry predicate names the AWS
//! behaviour it answers, and how long it is worth waiting for.

use std::time::Duration;

use super::client::AwsError;
use crate::aws::Service;

/// Why a failed call is worth sending again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Rate limits: `TooManyRequestsException` (API Gateway allows a few control-plane calls
    /// per second per account), `ThrottlingException`, `Throttling`, HTTP 429.
    Throttled,
    /// A 5xx or no answer at all: AWS's own trouble, or the connection dropped.
    Unavailable,
    /// API Gateway v1 refuses concurrent changes to one REST API ("Unable to complete
    /// operation due to concurrent modification. Please try again later.").
    ConcurrentModification,
    /// A role created seconds ago is not yet visible to Lambda ("The role defined for the
    /// function cannot be assumed by Lambda."): IAM is eventually consistent.
    RoleNotYetAssumable,
    /// Lambda refuses a change while the function is still being created or updated
    /// (`ResourceConflictException` "... An update is in progress ...").
    FunctionBusy,
}

impl Reason {
    /// How long to keep trying for this reason.
    pub fn budget(self) -> Duration {
        match self {
            Reason::Throttled => Duration::from_secs(120),
            Reason::Unavailable => Duration::from_secs(30),
            Reason::ConcurrentModification => Duration::from_secs(60),
            Reason::RoleNotYetAssumable => Duration::from_secs(90),
            Reason::FunctionBusy => Duration::from_secs(120),
        }
    }
}

/// The reason to retry `err`, if any. A non-idempotent create that got no answer is not
/// re-sent blindly: apply's pending record and the next refresh find what it made.
pub fn reason(service: Service, verb: &str, err: &AwsError) -> Option<Reason> {
    let code = err.code.as_str();
    if err.status == 429
        || matches!(
            code,
            "TooManyRequestsException"
                | "ThrottlingException"
                | "Throttling"
                | "RequestLimitExceeded"
        )
    {
        return Some(Reason::Throttled);
    }
    if err.status >= 500 || (err.status == 0 && code == "RequestError") {
        let resendable = verb != "POST" || matches!(service, Service::Iam | Service::Sts);
        return resendable.then_some(Reason::Unavailable);
    }
    if service == Service::ApiGateway
        && code == "ConflictException"
        && err.message.contains("concurrent modification")
    {
        return Some(Reason::ConcurrentModification);
    }
    if service == Service::Lambda
        && code == "InvalidParameterValueException"
        && err.message.contains("cannot be assumed by Lambda")
    {
        return Some(Reason::RoleNotYetAssumable);
    }
    if service == Service::Lambda
        && code == "ResourceConflictException"
        && (err.message.contains("in progress") || err.message.contains("Pending"))
    {
        return Some(Reason::FunctionBusy);
    }
    None
}

/// 0.5 s doubling to 8 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, code: &str, message: &str) -> AwsError {
        AwsError {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    #[test]
    fn each_predicate_and_what_it_leaves_alone() {
        let v2 = Service::ApiGatewayV2;
        assert_eq!(
            reason(
                v2,
                "POST",
                &err(429, "TooManyRequestsException", "Too Many Requests")
            ),
            Some(Reason::Throttled)
        );
        assert_eq!(
            reason(
                Service::Iam,
                "POST",
                &err(400, "Throttling", "Rate exceeded")
            ),
            Some(Reason::Throttled)
        );
        assert_eq!(
            reason(v2, "GET", &err(503, "ServiceUnavailableException", "")),
            Some(Reason::Unavailable)
        );
        // A create that failed with 5xx may have happened: not re-sent.
        assert_eq!(reason(v2, "POST", &err(500, "InternalError", "")), None);
        assert_eq!(
            reason(
                Service::ApiGateway,
                "PUT",
                &err(409, "ConflictException", "Unable to complete operation due to concurrent modification. Please try again later.")
            ),
            Some(Reason::ConcurrentModification)
        );
        // A duplicate route key is a real conflict.
        assert_eq!(
            reason(
                v2,
                "POST",
                &err(
                    409,
                    "ConflictException",
                    "Route with key GET /a already exists"
                )
            ),
            None
        );
        assert_eq!(
            reason(
                Service::Lambda,
                "POST",
                &err(
                    400,
                    "InvalidParameterValueException",
                    "The role defined for the function cannot be assumed by Lambda."
                )
            ),
            Some(Reason::RoleNotYetAssumable)
        );
        assert_eq!(
            reason(
                Service::Lambda,
                "PUT",
                &err(409, "ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: arn:...")
            ),
            Some(Reason::FunctionBusy)
        );
        assert_eq!(
            reason(
                Service::Lambda,
                "POST",
                &err(
                    400,
                    "InvalidParameterValueException",
                    "Unzipped size must be smaller"
                )
            ),
            None
        );
        assert_eq!(reason(v2, "GET", &err(404, "NotFoundException", "")), None);
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(9), Duration::from_secs(8));
    }
}
