//! Identity-Aware Proxy (`iap/v1`), served with the generic collections but for what Google
//! does beyond the document: a project's OAuth brand is named by the project's number
//! (`projects/{number}/brands/{number}`, whichever way the request names the project), a
//! project has at most one (a second create is ALREADY_EXISTS), and the API cannot delete it;
//! a client's ID and secret are made by the server; and the policy methods of
//! `v1/{+resource}` serve the `projects/{p}/iap_web` policy (the one Terraform's
//! `google_iap_web_iam_*` edit).

use serde_json::{json, Value};

use super::body;
use super::collection::{self, key};
use super::doc::{Kind, Method};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::policy;
use crate::emulator::request::Call;
use crate::emulator::world::{fnv, World};

/// True for IAP's methods.
pub fn is_iap(m: &Method) -> bool {
    m.doc.name == "iap"
}

/// Runs one method; `c.segs` is `projects/{p}/...` (the version is apart).
pub fn run(c: &Call, w: &mut World, m: &'static Method) -> ApiResult {
    let path = c.segs.join("/");
    let (Some("projects"), Some(project)) = (
        c.segs.first().map(String::as_str),
        c.segs.get(1).filter(|p| !p.is_empty()),
    ) else {
        return Err(ApiError::not_found("resource", &path));
    };
    let p = w.consume(project, c.user_project.as_deref(), &m.doc.service)?;
    if matches!(m.kind, Kind::GetIamPolicy | Kind::SetIamPolicy) {
        // Only the project's web policy is emulated (not per backend service or App Engine).
        if c.segs.len() != 3 || c.segs[2] != "iap_web" {
            return Err(ApiError::not_found("iap_web", &path));
        }
        let resource = format!("projects/{}/iap_web", p.id);
        return match m.kind {
            Kind::GetIamPolicy => policy::get(c, w, &resource, true),
            _ => policy::set(c, w, &resource, policy::Kind::Resource),
        };
    }
    // Brands and clients live under the project's number.
    let mut canonical = c.clone();
    canonical.segs[1] = p.number.clone();
    let path = canonical.segs.join("/");
    match (&m.kind, canonical.segs.len()) {
        (Kind::Create, 3) => create_brand(&canonical, w, m, &path, &p.number),
        (Kind::Create, 5) => create_client(&canonical, w, m, &path),
        (Kind::Custom(v), 6) if v == "resetSecret" => reset_secret(w, m, &path),
        _ => collection::run(&canonical, w, m),
    }
}

fn create_brand(
    c: &Call,
    w: &mut World,
    m: &'static Method,
    parent: &str,
    number: &str,
) -> ApiResult {
    c.allow_query(&[])?;
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let mut brand = body::check(m.doc, schema, &c.body, "brand")?;
    for field in ["supportEmail", "applicationTitle"] {
        if brand[field].as_str().is_none_or(str::is_empty) {
            return Err(ApiError::field(
                field,
                format!("Request contains an invalid argument: {field} is required."),
            ));
        }
    }
    let name = format!("{parent}/{number}");
    if w.generic.contains_key(&key(m, &name)) {
        // One brand per project, named by its number.
        return Err(ApiError::already_exists(
            "Brand",
            &name,
            "Requested entity already exists",
        ));
    }
    brand["name"] = json!(name);
    // Brands made through the API are for the organization's users only.
    brand["orgInternalOnly"] = json!(true);
    w.generic.insert(key(m, &name), brand.clone());
    Ok(body::visible(schema, &brand))
}

fn create_client(c: &Call, w: &mut World, m: &'static Method, parent: &str) -> ApiResult {
    c.allow_query(&[])?;
    let brand = parent.trim_end_matches("/identityAwareProxyClients");
    if !w.generic.contains_key(&key(m, brand)) {
        return Err(ApiError::not_found("Brand", brand));
    }
    let schema = m.request_schema().unwrap_or(&Value::Null);
    let mut client = body::check(m.doc, schema, &c.body, "identity_aware_proxy_client")?;
    if client["displayName"].as_str().is_none_or(str::is_empty) {
        return Err(ApiError::field(
            "displayName",
            "Request contains an invalid argument: displayName is required.",
        ));
    }
    // The ID is derived from the brand and display name (the first free one), not from the
    // world's sequence, so that a run's clients have the same IDs whatever order calls came in.
    let number = brand.rsplit('/').next().unwrap_or_default();
    let title = client["displayName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = (0u32..)
        .map(|n| {
            let digest = fnv(&format!("{brand}/{title}/{n}"));
            format!("{parent}/{number}-{digest:016x}.apps.googleusercontent.com")
        })
        .find(|name| !w.generic.contains_key(&key(m, name)))
        .unwrap_or_default();
    client["name"] = json!(name);
    client["secret"] = json!(secret(w));
    w.generic.insert(key(m, &name), client.clone());
    Ok(body::visible(schema, &client))
}

fn reset_secret(w: &mut World, m: &'static Method, path: &str) -> ApiResult {
    let name = path.to_owned();
    let fresh = secret(w);
    let stored = w
        .generic
        .get_mut(&key(m, &name))
        .ok_or_else(|| ApiError::not_found("IdentityAwareProxyClient", &name))?;
    stored["secret"] = json!(fresh);
    let out = stored.clone();
    let schema = m.response_schema().unwrap_or(&Value::Null);
    Ok(body::visible(schema, &out))
}

fn secret(w: &mut World) -> String {
    format!("GOCSPX-{:016x}{:08x}", w.next_rand(), w.next_rand() as u32)
}
