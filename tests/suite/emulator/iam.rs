//! IAM v1 service accounts.

use serde_json::json;

use super::common::{assert_error, Env};

async fn env() -> Env {
    let env = Env::new().await;
    env.enable("iam-proj", &["iam.googleapis.com"]).await;
    env
}

#[tokio::test]
async fn service_account_lifecycle() {
    let env = env().await;
    let sa = env
        .ok(
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "gateway-sa", "serviceAccount": {"displayName": "Gateway"}})),
        )
        .await;
    let email = "gateway-sa@iam-proj.iam.gserviceaccount.com";
    assert_eq!(sa["email"], email);
    assert_eq!(
        sa["name"],
        json!(format!("projects/iam-proj/serviceAccounts/{email}"))
    );
    assert_eq!(sa["projectId"], "iam-proj");
    assert_eq!(sa["displayName"], "Gateway");
    let uid = sa["uniqueId"].as_str().expect("uniqueId").to_string();
    assert_eq!(uid.len(), 21);
    assert!(sa.get("disabled").is_none(), "false is omitted");

    // get by email, by unique ID, and through projects/-.
    for path in [
        format!("/v1/projects/iam-proj/serviceAccounts/{email}"),
        format!("/v1/projects/iam-proj/serviceAccounts/{uid}"),
        format!("/v1/projects/-/serviceAccounts/{email}"),
    ] {
        assert_eq!(env.ok("GET", &path, None).await, sa);
    }
    let list = env
        .ok("GET", "/v1/projects/iam-proj/serviceAccounts", None)
        .await;
    assert_eq!(list["accounts"].as_array().expect("accounts").len(), 1);

    // patch: the mask lives in the body.
    let path = format!("/v1/projects/iam-proj/serviceAccounts/{email}");
    let patched = env
        .ok("PATCH", &path, Some(json!({"serviceAccount": {"description": "calls run"}, "updateMask": "description"})))
        .await;
    assert_eq!(patched["description"], "calls run");
    assert_eq!(patched["displayName"], "Gateway");

    // IAM policy on the account.
    let pol = env.ok("POST", &format!("{path}:getIamPolicy"), None).await;
    assert_eq!(pol, json!({"etag": "ACAB"}));
    let set = env
        .ok("POST", &format!("{path}:setIamPolicy"), Some(json!({"policy": {"bindings": [{"role": "roles/iam.serviceAccountUser", "members": ["user:a@example.com"]}], "etag": "ACAB"}})))
        .await;
    assert_eq!(set["version"], json!(1));
    assert_ne!(set["etag"], "ACAB");

    // Soft delete: gone from get/list, back with undelete by unique ID.
    assert_eq!(env.ok("DELETE", &path, None).await, json!({}));
    assert_error(&env.call("GET", &path, None).await, 404, "NOT_FOUND");
    assert_error(
        &env.call(
            "GET",
            &format!("/v1/projects/-/serviceAccounts/{email}"),
            None,
        )
        .await,
        403,
        "PERMISSION_DENIED",
    );
    assert_eq!(
        env.ok("GET", "/v1/projects/iam-proj/serviceAccounts", None)
            .await,
        json!({})
    );
    let restored = env
        .ok(
            "POST",
            &format!("/v1/projects/iam-proj/serviceAccounts/{uid}:undelete"),
            Some(json!({})),
        )
        .await;
    assert_eq!(restored["restoredAccount"]["email"], email);
    env.ok("GET", &path, None).await;
    assert_error(
        &env.call(
            "POST",
            &format!("/v1/projects/iam-proj/serviceAccounts/{uid}:undelete"),
            None,
        )
        .await,
        400,
        "FAILED_PRECONDITION",
    );

    // disable / enable
    env.ok("POST", &format!("{path}:disable"), Some(json!({})))
        .await;
    assert_eq!(env.ok("GET", &path, None).await["disabled"], json!(true));
    env.ok("POST", &format!("{path}:enable"), Some(json!({})))
        .await;
    assert!(env.ok("GET", &path, None).await.get("disabled").is_none());
}

#[tokio::test]
async fn deleted_account_members_are_rewritten() {
    let env = env().await;
    let sa = env
        .ok(
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "runtime-sa"})),
        )
        .await;
    let email = sa["email"].as_str().expect("email").to_string();
    let uid = sa["uniqueId"].as_str().expect("uid").to_string();
    let member = format!("serviceAccount:{email}");
    env.ok(
        "POST",
        "/v1/projects/iam-proj:setIamPolicy",
        Some(json!({"policy": {"bindings": [{"role": "roles/viewer", "members": [member]}]}})),
    )
    .await;
    env.ok(
        "DELETE",
        &format!("/v1/projects/iam-proj/serviceAccounts/{email}"),
        None,
    )
    .await;
    let pol = env
        .ok(
            "POST",
            "/v1/projects/iam-proj:getIamPolicy",
            Some(json!({})),
        )
        .await;
    assert_eq!(
        pol["bindings"][0]["members"][0],
        json!(format!("deleted:serviceAccount:{email}?uid={uid}"))
    );
    env.ok(
        "POST",
        &format!("/v1/projects/iam-proj/serviceAccounts/{uid}:undelete"),
        None,
    )
    .await;
    let pol = env
        .ok(
            "POST",
            "/v1/projects/iam-proj:getIamPolicy",
            Some(json!({})),
        )
        .await;
    assert_eq!(pol["bindings"][0]["members"][0], json!(member));
}

#[tokio::test]
async fn error_cases() {
    let env = env().await;
    env.ok(
        "POST",
        "/v1/projects/iam-proj/serviceAccounts",
        Some(json!({"accountId": "taken-sa"})),
    )
    .await;
    let sa = "/v1/projects/iam-proj/serviceAccounts/taken-sa@iam-proj.iam.gserviceaccount.com";
    let cases = [
        (
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "taken-sa"})),
            409,
            "ALREADY_EXISTS",
        ),
        (
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "short"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "Upper-case"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "ends-with-"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "this-id-is-way-too-long-for-iam-1"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "good-id", "unknownField": 1})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "PATCH",
            sa,
            Some(json!({"serviceAccount": {"displayName": "x"}})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "PATCH",
            sa,
            Some(json!({"serviceAccount": {"email": "x"}, "updateMask": "email"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "GET",
            "/v1/projects/iam-proj/serviceAccounts/missing@iam-proj.iam.gserviceaccount.com",
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "POST",
            "/v1/projects/iam-proj/serviceAccounts/123456789012345678901:undelete",
            None,
            403,
            "PERMISSION_DENIED",
        ),
        (
            "GET",
            "/v1/projects/iam-proj/serviceAccounts?pageSize=abc",
            None,
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "GET",
            "/v1/projects/other-proj/serviceAccounts",
            None,
            403,
            "PERMISSION_DENIED",
        ),
    ];
    for (m, p, b, http, status) in cases {
        assert_error(&env.call(m, p, b).await, http, status);
    }
    let dup = env
        .call(
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": "taken-sa"})),
        )
        .await;
    assert_eq!(
        dup.1["error"]["message"],
        "Service account taken-sa already exists within project projects/iam-proj."
    );
}

#[tokio::test]
async fn list_pages_at_most_100() {
    let env = env().await;
    for i in 0..25 {
        env.ok(
            "POST",
            "/v1/projects/iam-proj/serviceAccounts",
            Some(json!({"accountId": format!("account-{i:02}")})),
        )
        .await;
    }
    let first = env
        .ok("GET", "/v1/projects/iam-proj/serviceAccounts", None)
        .await;
    assert_eq!(
        first["accounts"].as_array().expect("accounts").len(),
        20,
        "default page size 20"
    );
    let token = first["nextPageToken"].as_str().expect("token");
    let second = env
        .ok(
            "GET",
            &format!("/v1/projects/iam-proj/serviceAccounts?pageToken={token}"),
            None,
        )
        .await;
    assert_eq!(second["accounts"].as_array().expect("accounts").len(), 5);
    assert!(second.get("nextPageToken").is_none());
}

/// Deleted accounts can be undeleted for 30 days; after that they are gone for good.
#[tokio::test]
async fn deleted_accounts_are_purged_after_30_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("world.json");
    let opts = keyway::emulator::Options {
        data_file: Some(file.clone()),
        ..keyway::emulator::Options::default()
    };
    let env = Env::with(opts.clone()).await;
    env.enable("purge-proj", &["iam.googleapis.com"]).await;
    let mut uids = Vec::new();
    for id in ["old-account", "young-account"] {
        let sa = env
            .ok(
                "POST",
                "/v1/projects/purge-proj/serviceAccounts",
                Some(json!({"accountId": id})),
            )
            .await;
        let email = sa["email"].as_str().expect("email").to_string();
        env.ok(
            "DELETE",
            &format!("/v1/projects/purge-proj/serviceAccounts/{email}"),
            None,
        )
        .await;
        uids.push(sa["uniqueId"].as_str().expect("uid").to_string());
    }
    env.emu.shutdown().await;
    super::common::rewrite_world(&file, |w| {
        let accounts = &mut w["service_accounts"];
        assert!(accounts[&uids[0]]["deleted_ms"].is_u64(), "{accounts}");
        accounts[&uids[0]]["deleted_ms"] = json!(super::common::days_ago_ms(31));
        accounts[&uids[1]]["deleted_ms"] = json!(super::common::days_ago_ms(29));
    });
    let env = Env::with(opts).await;
    let undelete = |uid: &str| format!("/v1/projects/purge-proj/serviceAccounts/{uid}:undelete");
    assert_error(
        &env.call("POST", &undelete(&uids[0]), None).await,
        403,
        "PERMISSION_DENIED",
    );
    let back = env.ok("POST", &undelete(&uids[1]), None).await;
    assert_eq!(back["restoredAccount"]["uniqueId"], json!(uids[1]));
    env.emu.shutdown().await;
}
