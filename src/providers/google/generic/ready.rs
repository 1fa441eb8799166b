//! When an object that reconciles after each change is ready (a schema's `api.ready`): Knative's
//! rule, which Terraform's Cloud Run v1 resource polls by — the status must describe the
//! latest generation, and its `Ready` condition be `True`; `False` is a failure with the
//! condition's reason and message; anything else (no status yet, `Unknown`) is waiting.

use serde_json::{Map, Value as Json};

use crate::providers::wire::get_path;
use crate::schema::ReadyRule;

/// What a read of the object says.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Ready,
    /// Not yet, and why.
    Waiting(String),
    /// It will not become ready: the condition's reason and message.
    Failed(String),
}

fn int_at(obj: &Map<String, Json>, path: &str) -> Option<i64> {
    match get_path(obj, path)? {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Judges one read of the object.
pub fn judge(rule: &ReadyRule, obj: &Map<String, Json>) -> Verdict {
    if let (Some(g), Some(o)) = (&rule.generation, &rule.observed) {
        let (want, seen) = (int_at(obj, g), int_at(obj, o));
        if let (Some(want), seen) = (want, seen) {
            if seen.is_none_or(|s| s < want) {
                return Verdict::Waiting(format!(
                    "generation {want} not yet observed (status is of {})",
                    seen.map_or_else(|| "none".to_owned(), |s| s.to_string())
                ));
            }
        }
    }
    let conditions = get_path(obj, &rule.conditions).and_then(Json::as_array);
    let found = conditions
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Json::as_str) == Some(rule.condition.as_str()));
    let Some(c) = found else {
        return Verdict::Waiting(format!("no {} condition yet", rule.condition));
    };
    let text = |k: &str| c.get(k).and_then(Json::as_str).unwrap_or_default();
    let why = match (text("reason"), text("message")) {
        ("", "") => format!("{} is {}", rule.condition, text("status")),
        (r, "") => r.to_owned(),
        ("", m) => m.to_owned(),
        (r, m) => format!("{r}: {m}"),
    };
    match text("status") {
        "True" => Verdict::Ready,
        "False" => Verdict::Failed(why),
        _ => Verdict::Waiting(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule() -> ReadyRule {
        serde_json::from_value(json!({
            "conditions": "status.conditions", "type": "Ready",
            "generation": "metadata.generation", "observed": "status.observedGeneration"
        }))
        .expect("rule")
    }

    fn judge_of(v: Json) -> Verdict {
        judge(&rule(), v.as_object().expect("object"))
    }

    #[test]
    fn ready_only_when_the_latest_generation_is_ready() {
        let ready = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
            "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(judge_of(ready), Verdict::Ready);
        let stale = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(matches!(judge_of(stale), Verdict::Waiting(_)));
        let unknown = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": "Unknown"}]}});
        assert!(matches!(judge_of(unknown), Verdict::Waiting(_)));
        assert!(matches!(judge_of(json!({})), Verdict::Waiting(_)));
        let failed = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainerMissing",
            "message": "Image not found"}]}});
        assert_eq!(
            judge_of(failed),
            Verdict::Failed("ContainerMissing: Image not found".into())
        );
    }
}
