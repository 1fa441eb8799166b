//! Editing IAM policies (`google.iam.v1.Policy`, shared by Resource Manager, Cloud Run and the
//! other APIs of the stack): adding or removing one member of one binding, as the
//! `*_iam_member` resources do in their read-modify-write loops.

use serde_json::{json, Value as Json};

/// The policy's bindings (empty when it has none).
pub fn bindings(policy: &Json) -> Vec<Json> {
    policy
        .get("bindings")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The policy's etag, sent back on write so that concurrent changes are detected.
pub fn etag(policy: &Json) -> String {
    policy
        .get("etag")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// True if a binding accepted by `matches` holds `member`.
pub fn has_member(policy: &Json, member: &str, matches: impl Fn(&Json) -> bool) -> bool {
    bindings(policy).iter().any(|b| {
        matches(b)
            && b.get("members")
                .and_then(Json::as_array)
                .is_some_and(|ms| ms.iter().any(|m| m.as_str() == Some(member)))
    })
}

/// Adds (`add`) or removes `member` in the bindings accepted by `matches`; a new binding, when
/// one is needed, is `new_binding()` (role, optional condition, no members yet). Returns
/// false when the policy already says so.
pub fn edit(
    policy: &mut Json,
    member: &str,
    add: bool,
    matches: impl Fn(&Json) -> bool,
    new_binding: impl FnOnce() -> Json,
) -> bool {
    if has_member(policy, member, &matches) == add {
        return false;
    }
    let mut list = bindings(policy);
    if add {
        match list.iter_mut().find(|b| matches(b)) {
            Some(b) => match b.get_mut("members").and_then(Json::as_array_mut) {
                Some(ms) => ms.push(json!(member)),
                None => b["members"] = json!([member]),
            },
            None => {
                let mut b = new_binding();
                b["members"] = json!([member]);
                list.push(b);
            }
        }
    } else {
        for b in list.iter_mut().filter(|b| matches(b)) {
            if let Some(ms) = b.get_mut("members").and_then(Json::as_array_mut) {
                ms.retain(|m| m.as_str() != Some(member));
            }
        }
        // A binding without members is not allowed to linger.
        list.retain(|b| {
            b.get("members")
                .and_then(Json::as_array)
                .is_some_and(|ms| !ms.is_empty())
        });
    }
    let conditional = list.iter().any(|b| b.get("condition").is_some());
    policy["bindings"] = Json::Array(list);
    // Version 3 is required when any binding has a condition, or a write would downgrade
    // them (reference §1.6).
    policy["version"] = json!(if conditional { 3 } else { 1 });
    true
}
