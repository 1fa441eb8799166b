//! API Keys v2.

use serde_json::{json, Value};

use super::common::{assert_error, Env};

const KEYS: &str = "/v2/projects/key-proj/locations/global/keys";

async fn env() -> Env {
    let env = Env::new().await;
    env.enable("key-proj", &["apikeys.googleapis.com"]).await;
    env
}

#[tokio::test]
async fn key_lifecycle_with_soft_delete() {
    let env = env().await;
    let body = json!({"displayName": "k1", "restrictions": {"browserKeyRestrictions": {"allowedReferrers": ["*.example.com"]}, "apiTargets": [{"service": "translate.googleapis.com", "methods": ["Get*"]}]}});
    let op = env
        .ok(
            "POST",
            &format!("{KEYS}?keyId=my-key&$alt=json;enum-encoding=int"),
            Some(body),
        )
        .await;
    assert_eq!(op["done"], json!(true));
    let opname = op["name"].as_str().expect("name");
    assert!(opname.starts_with("operations/akmf.p7-"), "{opname}");
    let key = &op["response"];
    assert_eq!(
        key["@type"],
        "type.googleapis.com/google.api.apikeys.v2.Key"
    );
    let ks = key["keyString"]
        .as_str()
        .expect("create result carries keyString")
        .to_string();
    assert!(ks.starts_with("AIza") && ks.len() == 39, "{ks}");
    let number = env.ok("GET", "/v1/projects/key-proj", None).await["projectNumber"]
        .as_str()
        .expect("n")
        .to_string();
    assert_eq!(
        key["name"],
        json!(format!("projects/{number}/locations/global/keys/my-key"))
    );
    assert!(key["etag"].as_str().expect("etag").starts_with("W/\""));
    assert_eq!(env.ok("GET", &format!("/v2/{opname}"), None).await, op);

    let path = format!("{KEYS}/my-key");
    let got = env.ok("GET", &path, None).await;
    assert!(
        got.get("keyString").is_none(),
        "get never shows the key string"
    );
    assert_eq!(
        env.ok("GET", &format!("{path}/keyString"), None).await,
        json!({"keyString": ks})
    );
    let found = env
        .ok("GET", &format!("/v2/keys:lookupKey?keyString={ks}"), None)
        .await;
    assert_eq!(
        found,
        json!({"parent": format!("projects/{number}"), "name": got["name"]})
    );

    // Patch with a mask, with none (fields present), and the oneof rule.
    let op = env
        .ok(
            "PATCH",
            &format!("{path}?updateMask=display_name"),
            Some(json!({"displayName": "k2"})),
        )
        .await;
    assert_eq!(op["response"]["displayName"], "k2");
    assert_eq!(
        op["response"]["restrictions"]["apiTargets"][0]["service"],
        "translate.googleapis.com"
    );
    assert_ne!(op["response"]["etag"], got["etag"]);
    let op = env
        .ok("PATCH", &path, Some(json!({"annotations": {"a": "b"}})))
        .await;
    assert_eq!(
        op["response"]["displayName"], "k2",
        "absent fields untouched without a mask"
    );
    let both = json!({"restrictions": {"browserKeyRestrictions": {}, "serverKeyRestrictions": {"allowedIps": ["1.2.3.4"]}}});
    assert_error(
        &env.call(
            "PATCH",
            &format!("{path}?updateMask=restrictions"),
            Some(both),
        )
        .await,
        400,
        "INVALID_ARGUMENT",
    );

    // Delete: stale etag refused; soft delete keeps it readable and reserved; undelete.
    assert_error(
        &env.call("DELETE", &format!("{path}?etag=W/%22nope%22"), None)
            .await,
        409,
        "ABORTED",
    );
    let op = env.ok("DELETE", &path, None).await;
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.api.apikeys.v2.Key"
    );
    assert!(op["response"]["deleteTime"].is_string());
    assert!(env.ok("GET", &path, None).await["deleteTime"].is_string());
    assert_eq!(env.ok("GET", KEYS, None).await, json!({}));
    let shown = env
        .ok("GET", &format!("{KEYS}?showDeleted=true"), None)
        .await;
    assert_eq!(shown["keys"].as_array().expect("keys").len(), 1);
    assert_error(
        &env.call("POST", &format!("{KEYS}?keyId=my-key"), Some(json!({})))
            .await,
        409,
        "ALREADY_EXISTS",
    );
    assert_error(
        &env.call("PATCH", &path, Some(json!({"displayName": "x"})))
            .await,
        400,
        "FAILED_PRECONDITION",
    );
    let op = env
        .ok("POST", &format!("{path}:undelete"), Some(json!({})))
        .await;
    assert!(op["response"].get("deleteTime").is_none());
    assert_error(
        &env.call("POST", &format!("{path}:undelete"), None).await,
        400,
        "FAILED_PRECONDITION",
    );
    assert_eq!(
        env.ok("GET", KEYS, None).await["keys"]
            .as_array()
            .expect("keys")
            .len(),
        1
    );
}

#[tokio::test]
async fn generated_ids_and_fingerprints() {
    let env = env().await;
    let body = json!({"restrictions": {"androidKeyRestrictions": {"allowedApplications": [{"packageName": "com.x", "sha1Fingerprint": "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09"}]}}});
    let op = env.ok("POST", KEYS, Some(body)).await;
    let key = &op["response"];
    let id = key["name"]
        .as_str()
        .expect("name")
        .rsplit('/')
        .next()
        .expect("id")
        .to_string();
    assert_eq!(key["uid"], json!(id), "server-chosen ID is the uid");
    assert_eq!(id.len(), 36);
    assert_eq!(
        key["restrictions"]["androidKeyRestrictions"]["allowedApplications"][0]["sha1Fingerprint"],
        "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
    );
}

#[tokio::test]
async fn error_cases() {
    let env = env().await;
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            "POST",
            format!("{KEYS}?keyId=Bad"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{KEYS}?keyId=1abc"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{KEYS}?keyId=123e4567-e89b-42d3-a456-426614174000"),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{KEYS}?keyId=ok"),
            Some(json!({"keyStrin": "x"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{KEYS}?keyId=ok"),
            Some(json!({"restrictions": {"iosKeyRestrictions": {}, "browserKeyRestrictions": {}}})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            format!("{KEYS}?keyId=ok"),
            Some(json!({"displayName": "x".repeat(64)})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/v2/projects/key-proj/locations/us-east1/keys?keyId=ok".to_string(),
            Some(json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        ("GET", format!("{KEYS}/missing"), None, 404, "NOT_FOUND"),
        ("DELETE", format!("{KEYS}/missing"), None, 404, "NOT_FOUND"),
        (
            "GET",
            "/v2/keys:lookupKey".to_string(),
            None,
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "GET",
            "/v2/keys:lookupKey?keyString=AIzaNope".to_string(),
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "GET",
            "/v2/operations/akmf.p7-1-missing".to_string(),
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "GET",
            "/v2/projects/keys-off/locations/global/keys".to_string(),
            None,
            403,
            "PERMISSION_DENIED",
        ),
    ];
    for (m, p, b, http, status) in cases {
        assert_error(&env.call(m, &p, b).await, http, status);
    }
    env.ok("POST", &format!("{KEYS}?keyId=k"), Some(json!({})))
        .await;
    assert_error(
        &env.call(
            "PATCH",
            &format!("{KEYS}/k?updateMask=serviceAccountEmail"),
            Some(json!({})),
        )
        .await,
        400,
        "INVALID_ARGUMENT",
    );
}

/// A deleted key stays reserved and undeletable for 30 days, then is purged: gone from get and
/// `showDeleted`, its ID free again, and `lookupKey` names only the project.
#[tokio::test]
async fn deleted_keys_are_purged_after_30_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("world.json");
    let opts = keyway::emulator::Options {
        data_file: Some(file.clone()),
        ..keyway::emulator::Options::default()
    };
    let env = Env::with(opts.clone()).await;
    env.enable("kpurge-proj", &["apikeys.googleapis.com"]).await;
    let keys = "/v2/projects/kpurge-proj/locations/global/keys";
    let op = env
        .ok("POST", &format!("{keys}?keyId=old"), Some(json!({})))
        .await;
    let key_string = op["response"]["keyString"]
        .as_str()
        .expect("keyString")
        .to_string();
    env.ok("DELETE", &format!("{keys}/old"), None).await;
    env.emu.shutdown().await;
    super::common::rewrite_world(&file, |w| {
        let k = &mut w["keys"]["projects/kpurge-proj/locations/global/keys/old"];
        assert!(k["deleted_ms"].is_u64(), "{k}");
        k["deleted_ms"] = json!(super::common::days_ago_ms(31));
    });
    let env = Env::with(opts).await;
    assert_error(
        &env.call("GET", &format!("{keys}/old"), None).await,
        404,
        "NOT_FOUND",
    );
    let listed = env
        .ok("GET", &format!("{keys}?showDeleted=true"), None)
        .await;
    assert_eq!(listed, json!({}));
    let found = env
        .ok(
            "GET",
            &format!("/v2/keys:lookupKey?keyString={key_string}"),
            None,
        )
        .await;
    assert!(found.get("name").is_none(), "{found}");
    assert!(found["parent"]
        .as_str()
        .is_some_and(|p| p.starts_with("projects/")));
    env.ok("POST", &format!("{keys}?keyId=old"), Some(json!({})))
        .await;
    env.emu.shutdown().await;
}

#[tokio::test]
async fn list_paginates() {
    let env = env().await;
    for id in ["page-a", "page-b", "page-c"] {
        env.ok("POST", &format!("{KEYS}?keyId={id}"), Some(json!({})))
            .await;
    }
    let pages = env.pages(KEYS, "keys").await;
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|p| p.len() == 1));
    let mut names: Vec<String> = pages.concat();
    names.dedup();
    assert_eq!(names.len(), 3);
    assert_error(
        &env.call("GET", &format!("{KEYS}?pageToken=garbage"), None)
            .await,
        400,
        "INVALID_ARGUMENT",
    );
}

#[tokio::test]
async fn the_request_log_never_holds_a_key_string() {
    let env = env().await;
    let op = env
        .ok("POST", &format!("{KEYS}?keyId=logged"), Some(json!({})))
        .await;
    let ks = op["response"]["keyString"]
        .as_str()
        .expect("keyString")
        .to_string();
    env.ok("GET", &format!("{KEYS}/logged/keyString"), None)
        .await;
    env.ok("GET", &format!("/v2/keys:lookupKey?keyString={ks}"), None)
        .await;
    let log = env
        .ok("GET", "/__emulator/requests", None)
        .await
        .to_string();
    assert!(log.contains("apikeys.keys.lookupKey"), "{log}");
    assert!(!log.contains(&ks), "a key string reached the request log");
    let in_memory = format!("{:?}", env.emu.request_log());
    assert!(!in_memory.contains(&ks));
}
