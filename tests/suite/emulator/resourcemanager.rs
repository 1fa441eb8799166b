//! Cloud Resource Manager v1/v3.

use serde_json::json;

use super::common::{assert_error, reason, Env};

#[tokio::test]
async fn project_get_by_id_and_number() {
    let env = Env::new().await;
    let v3 = env.ok("GET", "/v3/projects/crm-proj", None).await;
    let number = v3["name"]
        .as_str()
        .expect("name")
        .trim_start_matches("projects/")
        .to_string();
    assert_eq!(v3["projectId"], "crm-proj");
    assert_eq!(v3["state"], "ACTIVE");
    let by_number = env.ok("GET", &format!("/v3/projects/{number}"), None).await;
    assert_eq!(by_number["projectId"], "crm-proj");
    let v1 = env.ok("GET", "/v1/projects/crm-proj", None).await;
    assert_eq!(v1["projectNumber"], json!(number), "int64 as a string");
    assert_eq!(v1["lifecycleState"], "ACTIVE");
    // Stable: a fresh emulator derives the same number.
    let other = Env::new().await;
    assert_eq!(
        other.ok("GET", "/v1/projects/crm-proj", None).await["projectNumber"],
        json!(number)
    );
    // An unknown number cannot be resolved: 403, as for a missing project.
    assert_error(
        &env.call("GET", "/v3/projects/999999999999", None).await,
        403,
        "PERMISSION_DENIED",
    );
}

#[tokio::test]
async fn project_policy_read_modify_write_with_etags() {
    let env = Env::new().await;
    let empty = env
        .ok(
            "POST",
            "/v3/projects/pol-proj:getIamPolicy",
            Some(json!({"options": {"requestedPolicyVersion": 3}})),
        )
        .await;
    assert_eq!(empty, json!({"etag": "ACAB"}));
    let binding = json!({"role": "roles/run.invoker", "members": ["user:a@example.com"]});
    let set = env
        .ok(
            "POST",
            "/v3/projects/pol-proj:setIamPolicy",
            Some(json!({"policy": {"bindings": [binding], "etag": "ACAB"}})),
        )
        .await;
    let etag = set["etag"].as_str().expect("etag").to_string();
    // v1 and v3 see the same policy.
    assert_eq!(
        env.ok(
            "POST",
            "/v1/projects/pol-proj:getIamPolicy",
            Some(json!({}))
        )
        .await,
        set
    );
    // A stale etag is 409 ABORTED and changes nothing.
    let stale = env
        .call(
            "POST",
            "/v1/projects/pol-proj:setIamPolicy",
            Some(json!({"policy": {"bindings": [], "etag": "ACAB"}})),
        )
        .await;
    assert_error(&stale, 409, "ABORTED");
    assert!(stale.1["error"]["message"]
        .as_str()
        .expect("msg")
        .contains("concurrent policy changes"));
    assert_eq!(
        env.ok("POST", "/v3/projects/pol-proj:getIamPolicy", None)
            .await["etag"],
        json!(etag)
    );
    // Without an etag the write is blind; removing every member drops the bindings.
    let cleared = env
        .ok(
            "POST",
            "/v3/projects/pol-proj:setIamPolicy",
            Some(json!({"policy": {}})),
        )
        .await;
    assert!(cleared.get("bindings").is_none());
    // Conditions need version 3.
    let cond = json!({"role": "roles/viewer", "members": ["user:b@example.com"], "condition": {"expression": "true", "title": "t"}});
    assert_error(
        &env.call(
            "POST",
            "/v3/projects/pol-proj:setIamPolicy",
            Some(json!({"policy": {"bindings": [cond]}})),
        )
        .await,
        400,
        "INVALID_ARGUMENT",
    );
    let v3 = env
        .ok(
            "POST",
            "/v3/projects/pol-proj:setIamPolicy",
            Some(json!({"policy": {"version": 3, "bindings": [cond]}})),
        )
        .await;
    assert_eq!(v3["version"], json!(3));
}

#[tokio::test]
async fn project_policy_rules() {
    let env = Env::new().await;
    let set = |b: serde_json::Value| Some(json!({"policy": {"bindings": [b]}}));
    let cases = [
        (
            set(json!({"role": "roles/viewer", "members": ["allUsers"]})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            set(json!({"role": "roles/owner", "members": ["user:x@example.com"]})),
            400,
            "FAILED_PRECONDITION",
        ),
        (
            set(json!({"role": "viewer", "members": ["user:x@example.com"]})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            set(json!({"role": "roles/viewer", "members": ["bogus:x"]})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            set(
                json!({"role": "roles/viewer", "members": ["serviceAccount:nobody@rule-proj.iam.gserviceaccount.com"]}),
            ),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            set(json!({"role": "roles/viewer", "members": ["user:x@example.com"], "extra": 1})),
            400,
            "INVALID_ARGUMENT",
        ),
        (Some(json!({})), 400, "INVALID_ARGUMENT"),
    ];
    for (body, http, status) in cases {
        assert_error(
            &env.call("POST", "/v3/projects/rule-proj:setIamPolicy", body)
                .await,
            http,
            status,
        );
    }
    // Service accounts may be owners; Google-managed agents are not checked for existence.
    env.ok("POST", "/v3/projects/rule-proj:setIamPolicy", set(json!({"role": "roles/owner", "members": ["serviceAccount:x@developer.gserviceaccount.com"]}))).await;
}

#[tokio::test]
async fn disabled_resource_manager_gives_service_disabled() {
    let env = Env::new().await;
    env.ok(
        "POST",
        "/v1/projects/off-proj/services/cloudresourcemanager.googleapis.com:disable",
        None,
    )
    .await;
    let err = env.call("GET", "/v3/projects/off-proj", None).await;
    assert_error(&err, 403, "PERMISSION_DENIED");
    assert_eq!(reason(&err.1).as_deref(), Some("SERVICE_DISABLED"));
}
