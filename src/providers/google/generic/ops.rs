//! The operations of Google's older API styles, which are not `google.longrunning`: Compute's
//! (`status` PENDING → RUNNING → DONE, polled at the operation's own path under `global`,
//! `regions/{r}` or `zones/{z}`) and Cloud SQL Admin's (`status` DONE, polled at
//! `v1/projects/{project}/operations/{name}`). Both report failure as `error.errors[]`.

use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::super::client::{Api, Client, GoogleError};

/// Which of the two styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Compute,
    SqlAdmin,
}

/// Polls `op` until DONE; returns the finished operation, or its error.
pub async fn wait(
    client: &Client,
    api: Api,
    style: Style,
    mut op: Json,
    timeout: Duration,
) -> Result<Json, GoogleError> {
    let start = Instant::now();
    let mut attempt = 0u32;
    loop {
        if op.get("status").and_then(Json::as_str) == Some("DONE") {
            return match failure(&op) {
                Some(e) => Err(e),
                None => Ok(op),
            };
        }
        let path = poll_path(style, &op).ok_or_else(|| {
            GoogleError::local(500, "UNKNOWN", format!("cannot poll operation {op}"))
        })?;
        if start.elapsed() >= timeout {
            return Err(GoogleError::local(
                504,
                "DEADLINE_EXCEEDED",
                format!(
                    "operation {path} did not finish within {}s",
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(client.backoff.delay(attempt.min(3), None)).await;
        attempt += 1;
        op = client.get(api, &path).await?;
    }
}

/// Where the operation is read: from its `selfLink` (Compute), or its project and name.
fn poll_path(style: Style, op: &Json) -> Option<String> {
    let s = |k: &str| op.get(k).and_then(Json::as_str).filter(|v| !v.is_empty());
    match style {
        Style::Compute => {
            let link = s("selfLink")?;
            let at = link.find("compute/v1/")?;
            Some(link[at..].to_owned())
        }
        Style::SqlAdmin => Some(format!(
            "v1/projects/{}/operations/{}",
            s("targetProject")?,
            s("name")?
        )),
    }
}

/// The first error of a finished operation.
fn failure(op: &Json) -> Option<GoogleError> {
    let first = op.get("error")?.get("errors")?.as_array()?.first()?;
    let text = |k: &str| first.get(k).and_then(Json::as_str).unwrap_or_default();
    let code = op
        .get("httpErrorStatusCode")
        .and_then(Json::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(400);
    Some(GoogleError::local(code, text("code"), text("message")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_are_polled_where_each_style_keeps_them() {
        let op = json!({"selfLink": "https://compute.googleapis.com/compute/v1/projects/p/regions/r/operations/o"});
        assert_eq!(
            poll_path(Style::Compute, &op).as_deref(),
            Some("compute/v1/projects/p/regions/r/operations/o")
        );
        let op = json!({"targetProject": "p", "name": "u-1"});
        assert_eq!(
            poll_path(Style::SqlAdmin, &op).as_deref(),
            Some("v1/projects/p/operations/u-1")
        );
    }

    #[test]
    fn a_failed_operation_reports_its_first_error() {
        let op = json!({"status": "DONE", "httpErrorStatusCode": 409,
            "error": {"errors": [{"code": "RESOURCE_ALREADY_EXISTS", "message": "exists"}]}});
        let e = failure(&op).expect("an error");
        assert_eq!(
            (e.code, e.status.as_str(), e.message.as_str()),
            (409, "RESOURCE_ALREADY_EXISTS", "exists")
        );
        assert!(failure(&json!({"status": "DONE"})).is_none());
    }
}
