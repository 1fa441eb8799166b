//! Service account keys (IAM v1 `projects.serviceAccounts.keys`), served with the generic
//! collections but for what Google does beyond the document: the account in a key's path may
//! be named by email or unique ID under `projects/-/`, keys are stored under the account's
//! canonical name; a key's ID is made by the server, and its private key is in the create
//! answer only (never stored, never read back).

use base64::Engine as _;
use serde_json::{json, Value};

use super::collection::key;
use super::doc::Method;
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::request::Call;
use crate::emulator::world::{rfc3339, World};

/// `projects/{p}/serviceAccounts/{a}/rest` with the account's project and email, or 404
/// when no live account answers to `a` there.
pub fn canonical(w: &World, path: &str) -> ApiResult<String> {
    let segs: Vec<&str> = path.split('/').collect();
    let (["projects", p, "serviceAccounts", a], rest) = segs.split_at(4.min(segs.len())) else {
        return Ok(path.to_owned());
    };
    let found = w.service_accounts.values().find(|sa| {
        !sa.deleted
            && (sa.body["email"].as_str() == Some(a) || sa.body["uniqueId"].as_str() == Some(a))
            && (*p == "-" || sa.project == *p)
    });
    let Some(sa) = found else {
        return Err(ApiError::not_found(
            "iam.googleapis.com/ServiceAccount",
            &format!("projects/{p}/serviceAccounts/{a}"),
        ));
    };
    let email = sa.body["email"].as_str().unwrap_or(a);
    let mut out = format!("projects/{}/serviceAccounts/{email}", sa.project);
    for r in rest {
        out.push('/');
        out.push_str(r);
    }
    Ok(out)
}

/// `keys.create`: a new user-managed key; the answer holds its private key, as a credentials
/// file (base64), which the emulator forgets at once, as Google does.
pub fn create(c: &Call, w: &mut World, m: &'static Method, parent: &str) -> ApiResult {
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let req = super::body::check(m.doc, schema, &c.body, "create_service_account_key_request")?;
    let id: String = (0..5)
        .map(|_| format!("{:08x}", w.next_rand() as u32))
        .collect();
    let name = format!("{parent}/{id}");
    let account = parent.trim_end_matches("/keys");
    let email = account.rsplit('/').next().unwrap_or_default().to_owned();
    let project = account.split('/').nth(1).unwrap_or_default().to_owned();
    let algorithm = req["keyAlgorithm"].as_str().unwrap_or("KEY_ALG_RSA_2048");
    let key_type = req["privateKeyType"]
        .as_str()
        .unwrap_or("TYPE_GOOGLE_CREDENTIALS_FILE");
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let material = b64(&format!("keyway-emulator-key-{id}"));
    let stored = json!({
        "name": name,
        "keyAlgorithm": algorithm,
        "publicKeyData": b64(&format!("-----BEGIN CERTIFICATE-----\n{material}\n-----END CERTIFICATE-----\n")),
        "validAfterTime": rfc3339(c.now_ms),
        "validBeforeTime": "9999-12-31T23:59:59Z",
        "keyOrigin": "GOOGLE_PROVIDED",
        "keyType": "USER_MANAGED",
    });
    w.generic.insert(key(m, &name), stored.clone());
    let credentials = json!({
        "type": "service_account",
        "project_id": project,
        "private_key_id": id,
        "private_key": format!("-----BEGIN PRIVATE KEY-----\n{material}\n-----END PRIVATE KEY-----\n"),
        "client_email": email,
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let mut answer = stored;
    answer["privateKeyType"] = json!(key_type);
    answer["privateKeyData"] = json!(b64(&credentials.to_string()));
    Ok(answer)
}

/// True for the methods of this collection.
pub fn is_key_method(m: &Method) -> bool {
    m.id.starts_with("iam.projects.serviceAccounts.keys.")
}
