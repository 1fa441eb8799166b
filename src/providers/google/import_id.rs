//! Import IDs: the formats Terraform's Google provider documents in each resource's "Import"
//! section, as one table of templates. A template's `{attr}` placeholders name the attribute
//! the matched text sets; parts a shorter format leaves out (project, region, location) come
//! from the resource's configuration or the provider's settings, as the refresh code already
//! falls back to them.

use serde_json::{json, Map, Value as Json};

use crate::providers::{ProviderError, Result};

/// The accepted formats of each importable type, most specific first.
const FORMATS: &[(&str, &[&str])] = &[
    ("google_project_service", &["{project}/{service}"]),
    (
        "google_service_account",
        &[
            "projects/{project}/serviceAccounts/{email}",
            "{project}/{email}",
            "{email}",
        ],
    ),
    ("google_project_iam_member", &["{project} {role} {member}"]),
    (
        "google_cloud_run_v2_service",
        &[
            "projects/{project}/locations/{location}/services/{name}",
            "{project}/{location}/{name}",
            "{location}/{name}",
            "{name}",
        ],
    ),
    (
        "google_cloud_run_v2_service_iam_member",
        &[
            "projects/{project}/locations/{location}/services/{name} {role} {member}",
            "{project}/{location}/{name} {role} {member}",
            "{location}/{name} {role} {member}",
            "{name} {role} {member}",
        ],
    ),
    (
        "google_api_gateway_api",
        &[
            "projects/{project}/locations/global/apis/{api_id}",
            "{project}/{api_id}",
            "{api_id}",
        ],
    ),
    (
        "google_api_gateway_api_config",
        &[
            "projects/{project}/locations/global/apis/{api}/configs/{api_config_id}",
            "{project}/{api}/{api_config_id}",
            "{api}/{api_config_id}",
        ],
    ),
    (
        "google_api_gateway_gateway",
        &[
            "projects/{project}/locations/{region}/gateways/{gateway_id}",
            "{project}/{region}/{gateway_id}",
            "{region}/{gateway_id}",
            "{gateway_id}",
        ],
    ),
    (
        "google_apikeys_key",
        &[
            "projects/{project}/locations/global/keys/{name}",
            "{project}/{name}",
            "{name}",
        ],
    ),
];

/// Attributes an import ID fixes to empty: the documented member ID names an unconditional
/// grant, whatever condition the configuration sets.
const CLEARED: &[(&str, &str)] = &[("google_project_iam_member", "condition")];

/// The formats `ty` accepts (empty when it cannot be imported).
pub fn formats(ty: &str) -> &'static [&'static str] {
    FORMATS
        .iter()
        .find(|(t, _)| *t == ty)
        .map(|(_, f)| *f)
        .unwrap_or(&[])
}

/// The attributes an import ID names, from the first format it matches.
pub fn parse(ty: &str, id: &str) -> Result<Map<String, Json>> {
    let formats = formats(ty);
    if formats.is_empty() {
        return Err(ProviderError::new(format!(
            "resource type `{ty}` cannot be imported"
        )));
    }
    let mut named = formats
        .iter()
        .find_map(|f| match_template(f, id))
        .ok_or_else(|| {
            let list: Vec<String> = formats.iter().map(|f| format!("  {f}")).collect();
            ProviderError::new(format!(
                "Invalid import ID \"{id}\" for {ty}. Accepted formats:\n{}",
                list.join("\n")
            ))
        })?;
    for (_, attr) in CLEARED.iter().filter(|(t, _)| *t == ty) {
        named.insert((*attr).into(), json!([]));
    }
    Ok(named)
}

/// Matches `id` against one template. Words are separated by single spaces (IAM members);
/// inside a word, `/` separates segments and a placeholder takes one non-empty segment, except
/// `{role}` and `{member}`, which take a whole word (`roles/run.invoker`,
/// `projects/p/roles/custom`).
fn match_template(template: &str, id: &str) -> Option<Map<String, Json>> {
    let (twords, iwords): (Vec<&str>, Vec<&str>) =
        (template.split(' ').collect(), id.split(' ').collect());
    if twords.len() != iwords.len() {
        return None;
    }
    let mut out = Map::new();
    for (t, w) in twords.into_iter().zip(iwords) {
        if w.is_empty() {
            return None;
        }
        if let Some(attr @ ("role" | "member")) = placeholder(t) {
            out.insert(attr.into(), json!(w));
            continue;
        }
        let (tsegs, wsegs): (Vec<&str>, Vec<&str>) =
            (t.split('/').collect(), w.split('/').collect());
        if tsegs.len() != wsegs.len() {
            return None;
        }
        for (ts, ws) in tsegs.into_iter().zip(wsegs) {
            match placeholder(ts) {
                Some(_) if ws.is_empty() => return None,
                Some(attr) => {
                    out.insert(attr.into(), json!(ws));
                }
                None if ts != ws => return None,
                None => {}
            }
        }
    }
    Some(out)
}

fn placeholder(seg: &str) -> Option<&str> {
    seg.strip_prefix('{')?.strip_suffix('}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ty: &str, id: &str) -> Json {
        match parse(ty, id) {
            Ok(m) => Json::Object(m),
            Err(e) => panic!("{ty} {id}: {e}"),
        }
    }

    fn bad(ty: &str, id: &str) -> String {
        match parse(ty, id) {
            Ok(m) => panic!("{ty} {id} parsed as {m:?}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn project_service() {
        assert_eq!(
            ok("google_project_service", "p1/run.googleapis.com"),
            json!({"project": "p1", "service": "run.googleapis.com"})
        );
        bad("google_project_service", "run.googleapis.com");
        bad("google_project_service", "p1/");
    }

    #[test]
    fn service_account() {
        let email = "sa@p1.iam.gserviceaccount.com";
        let full = json!({"project": "p1", "email": email});
        let t = "google_service_account";
        assert_eq!(ok(t, &format!("projects/p1/serviceAccounts/{email}")), full);
        assert_eq!(ok(t, &format!("p1/{email}")), full);
        assert_eq!(ok(t, email), json!({ "email": email }));
        bad(t, "projects/p1/serviceAccounts/");
    }

    #[test]
    fn project_iam_member() {
        let t = "google_project_iam_member";
        assert_eq!(
            ok(
                t,
                "p1 roles/run.invoker serviceAccount:a@p1.iam.gserviceaccount.com"
            ),
            json!({"project": "p1", "role": "roles/run.invoker", "condition": [],
                   "member": "serviceAccount:a@p1.iam.gserviceaccount.com"})
        );
        let msg = bad(t, "p1 roles/run.invoker");
        assert!(msg.contains("{project} {role} {member}"), "{msg}");
        bad(t, "p1  roles/viewer user:a@x.com");
    }

    #[test]
    fn cloud_run_service() {
        let t = "google_cloud_run_v2_service";
        let full = json!({"project": "p1", "location": "us-central1", "name": "svc"});
        assert_eq!(
            ok(t, "projects/p1/locations/us-central1/services/svc"),
            full
        );
        assert_eq!(ok(t, "p1/us-central1/svc"), full);
        assert_eq!(
            ok(t, "us-central1/svc"),
            json!({"location": "us-central1", "name": "svc"})
        );
        assert_eq!(ok(t, "svc"), json!({"name": "svc"}));
        bad(t, "projects/p1/locations/us-central1/jobs/svc");
        bad(t, "a/b/c/d");
    }

    #[test]
    fn cloud_run_service_iam_member() {
        let t = "google_cloud_run_v2_service_iam_member";
        let want = json!({"project": "p1", "location": "l", "name": "svc",
                          "role": "roles/run.invoker", "member": "allUsers"});
        assert_eq!(
            ok(
                t,
                "projects/p1/locations/l/services/svc roles/run.invoker allUsers"
            ),
            want
        );
        assert_eq!(ok(t, "p1/l/svc roles/run.invoker allUsers"), want);
        assert_eq!(
            ok(t, "svc roles/run.invoker allUsers"),
            json!({"name": "svc", "role": "roles/run.invoker", "member": "allUsers"})
        );
        bad(t, "projects/p1/locations/l/services/svc roles/run.invoker");
        bad(t, "a/b/c/d roles/run.invoker allUsers");
    }

    #[test]
    fn api_gateway_api() {
        let t = "google_api_gateway_api";
        let full = json!({"project": "p1", "api_id": "a"});
        assert_eq!(ok(t, "projects/p1/locations/global/apis/a"), full);
        assert_eq!(ok(t, "p1/a"), full);
        assert_eq!(ok(t, "a"), json!({"api_id": "a"}));
        bad(t, "projects/p1/locations/us-central1/apis/a");
    }

    #[test]
    fn api_gateway_api_config() {
        let t = "google_api_gateway_api_config";
        let full = json!({"project": "p1", "api": "a", "api_config_id": "c"});
        assert_eq!(ok(t, "projects/p1/locations/global/apis/a/configs/c"), full);
        assert_eq!(ok(t, "p1/a/c"), full);
        assert_eq!(ok(t, "a/c"), json!({"api": "a", "api_config_id": "c"}));
        bad(t, "c");
    }

    #[test]
    fn api_gateway_gateway() {
        let t = "google_api_gateway_gateway";
        let full = json!({"project": "p1", "region": "r", "gateway_id": "g"});
        assert_eq!(ok(t, "projects/p1/locations/r/gateways/g"), full);
        assert_eq!(ok(t, "p1/r/g"), full);
        assert_eq!(ok(t, "r/g"), json!({"region": "r", "gateway_id": "g"}));
        assert_eq!(ok(t, "g"), json!({"gateway_id": "g"}));
        bad(t, "projects/p1/locations/r/gateways/");
    }

    #[test]
    fn apikeys_key() {
        let t = "google_apikeys_key";
        let full = json!({"project": "p1", "name": "k"});
        assert_eq!(ok(t, "projects/p1/locations/global/keys/k"), full);
        assert_eq!(ok(t, "p1/k"), full);
        assert_eq!(ok(t, "k"), json!({"name": "k"}));
        let msg = bad(t, "projects/p1/keys/k");
        assert!(
            msg.contains("projects/{project}/locations/global/keys/{name}"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_types_cannot_be_imported() {
        assert!(bad("google_storage_bucket", "b").contains("cannot be imported"));
    }
}
