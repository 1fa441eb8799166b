//! `google.rpc.Status` error bodies, as Google's front ends return them (HTTP status in `code`,
//! canonical name in `status`, typed `details` such as `ErrorInfo` and `ResourceInfo`).

use serde_json::{json, Value};

/// An error answer: becomes `{"error": {code, message, status, details}}` on the wire, or the
/// `error` of a finished long-running operation (then with the numeric canonical code).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub http: u16,
    pub status: &'static str,
    pub message: String,
    pub details: Vec<Value>,
}

/// google.rpc.Code numbers, used inside `Operation.error` (which carries the canonical code,
/// not the HTTP status).
fn canonical_number(status: &str) -> i64 {
    match status {
        "CANCELLED" => 1,
        "UNKNOWN" => 2,
        "INVALID_ARGUMENT" => 3,
        "DEADLINE_EXCEEDED" => 4,
        "NOT_FOUND" => 5,
        "ALREADY_EXISTS" => 6,
        "PERMISSION_DENIED" => 7,
        "RESOURCE_EXHAUSTED" => 8,
        "FAILED_PRECONDITION" => 9,
        "ABORTED" => 10,
        "OUT_OF_RANGE" => 11,
        "UNIMPLEMENTED" => 12,
        "INTERNAL" => 13,
        "UNAVAILABLE" => 14,
        "DATA_LOSS" => 15,
        "UNAUTHENTICATED" => 16,
        _ => 2,
    }
}

pub type ApiResult<T = Value> = Result<T, ApiError>;

impl ApiError {
    pub fn new(http: u16, status: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            http,
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn with(mut self, detail: Value) -> Self {
        self.details.push(detail);
        self
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(400, "INVALID_ARGUMENT", message)
    }

    /// 400 with a `BadRequest.fieldViolations` entry, the usual shape for a bad ID or field.
    pub fn field(field: &str, description: impl Into<String>) -> Self {
        let description = description.into();
        ApiError::invalid(description.clone()).with(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": description}],
        }))
    }

    pub fn failed_precondition(message: impl Into<String>) -> Self {
        ApiError::new(400, "FAILED_PRECONDITION", message)
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        ApiError::new(403, "PERMISSION_DENIED", message)
    }

    pub fn aborted(message: impl Into<String>) -> Self {
        ApiError::new(409, "ABORTED", message)
    }

    pub fn not_found(resource_type: &str, name: &str) -> Self {
        ApiError::new(404, "NOT_FOUND", format!("Resource '{name}' was not found"))
            .with(resource_info(resource_type, name))
    }

    pub fn already_exists(resource_type: &str, name: &str, message: impl Into<String>) -> Self {
        ApiError::new(409, "ALREADY_EXISTS", message).with(resource_info(resource_type, name))
    }

    /// Adds an `ErrorInfo` detail (reason + domain), which clients key retries on.
    pub fn reason(self, reason: &str, domain: &str) -> Self {
        self.with(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": domain,
        }))
    }

    /// The HTTP error body.
    pub fn body(&self) -> Value {
        let mut e = json!({"code": self.http, "message": self.message, "status": self.status});
        if !self.details.is_empty() {
            e["details"] = Value::Array(self.details.clone());
        }
        json!({ "error": e })
    }

    /// The `Operation.error` form: numeric canonical code.
    pub fn operation_status(&self) -> Value {
        let mut e = json!({"code": canonical_number(self.status), "message": self.message});
        if !self.details.is_empty() {
            e["details"] = Value::Array(self.details.clone());
        }
        e
    }
}

pub fn resource_info(resource_type: &str, name: &str) -> Value {
    json!({
        "@type": "type.googleapis.com/google.rpc.ResourceInfo",
        "resourceType": resource_type,
        "resourceName": name,
    })
}

/// The 403 a call gets when the API's service is not enabled in the consumer project. Text and
/// metadata follow observed real bodies (reference §8).
pub fn service_disabled(service: &str, title: &str, project_number: &str) -> ApiError {
    let url = format!(
        "https://console.developers.google.com/apis/api/{service}/overview?project={project_number}"
    );
    let message = format!(
        "{title} has not been used in project {project_number} before or it is disabled. Enable it \
         by visiting {url} then retry. If you enabled this API recently, wait a few minutes for the \
         action to propagate to our systems and retry."
    );
    ApiError::permission_denied(message.clone())
        .with(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "SERVICE_DISABLED",
            "domain": "googleapis.com",
            "metadata": {
                "service": service,
                "consumer": format!("projects/{project_number}"),
                "serviceTitle": title,
                "containerInfo": project_number,
                "activationUrl": url,
            },
        }))
        .with(json!({
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": message,
        }))
        .with(json!({
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Google developers console API activation", "url": url}],
        }))
}
