//! `google_service_networking_connection`: the private services connection between a VPC
//! network and a producer service (Cloud SQL's private IP), on Service Networking v1.
//! Hand-written because Google's document does not say what this API needs beyond its
//! methods: there is no GET (an object is read by listing a service's connections for one
//! network), the network must be named by its project's NUMBER, the connection's own name
//! is the peering's, updates go to `connections/-` with `force`, and deletion is a POST to
//! the connection taking the network in its body. Terraform's ID is `{network}:{service}` with the
//! network URL-escaped.

use serde_json::{json, Map, Value as Json};

use super::client::{encode_query, Api};
use super::operation::{self, Request};
use super::{api_err, bool_attr, required, str_attr, Google};
use crate::providers::{ProviderError, Result};

const TY: &str = "google_service_networking_connection";
const API: Api = Api::Host("servicenetworking");

/// The network as configured (self link, `projects/P/global/networks/N`, or a name in the
/// provider's project): its project ID and name.
fn network_parts(g: &Google, network: &str) -> Result<(String, String)> {
    let name = network.rsplit('/').next().unwrap_or(network).to_owned();
    let project = match network.find("projects/") {
        Some(i) => network[i + "projects/".len()..]
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned(),
        None => g.settings().project.clone().ok_or_else(|| {
            ProviderError::new(format!(
                "{TY}: `network` \"{network}\" names no project: give its self link or set a project in the provider \"google\" block"
            ))
        })?,
    };
    if name.is_empty() || project.is_empty() {
        return Err(ProviderError::new(format!(
            "{TY}: `network` \"{network}\" is not a network's name, ID or self link"
        )));
    }
    Ok((project, name))
}

/// `projects/{number}/global/networks/{name}`, as Service Networking requires.
async fn consumer_network(g: &Google, network: &str) -> Result<String> {
    let (project, name) = network_parts(g, network)?;
    let number = if project.bytes().all(|b| b.is_ascii_digit()) {
        project
    } else {
        let p = g
            .client()
            .get(Api::ResourceManager, &format!("v1/projects/{project}"))
            .await
            .map_err(|e| api_err(TY, &format!("read project {project}"), e))?;
        p.get("projectNumber")
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ProviderError::new(format!("{TY}: project {project} has no number")))?
    };
    Ok(format!("projects/{number}/global/networks/{name}"))
}

fn service_path(service: &str) -> String {
    format!("v1/services/{service}/connections")
}

fn ranges(p: &Map<String, Json>) -> Json {
    p.get("reserved_peering_ranges")
        .cloned()
        .unwrap_or_else(|| json!([]))
}

/// Terraform's ID: the configured network, URL-escaped, and the service.
fn id_of(network: &str, service: &str) -> String {
    format!("{}:{service}", encode_query(network).replace(':', "%3A"))
}

async fn wait(
    g: &Google,
    method: reqwest::Method,
    path: &str,
    body: &Json,
    p: &Map<String, Json>,
    action: &str,
) -> std::result::Result<Json, super::client::GoogleError> {
    let r = Request {
        api: API,
        version: "v1",
        method,
        path,
        body: Some(body),
        timeout: operation::timeout_of(p, action),
    };
    operation::call_and_wait(g.client(), r).await
}

/// Reads the connection of `p`'s network to its service; `None` when there is none.
async fn read(g: &Google, p: &Map<String, Json>) -> Result<Option<Map<String, Json>>> {
    let network = required(p, TY, "network")?;
    let service = required(p, TY, "service")?;
    let net = consumer_network(g, &network).await?;
    let path = format!("{}?network={}", service_path(&service), encode_query(&net));
    let listed = match g.client().get(API, &path).await {
        Ok(v) => v,
        Err(e) if e.code == 404 => return Ok(None),
        Err(e) => return Err(api_err(TY, "list connections", e)),
    };
    let found = listed
        .get("connections")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .find(|c| {
            c.get("network").and_then(Json::as_str) == Some(net.as_str())
                && c.get("service").and_then(Json::as_str)
                    == Some(format!("services/{service}").as_str())
        });
    Ok(found.map(|c| {
        let mut out = p.clone();
        out.insert(
            "reserved_peering_ranges".into(),
            c.get("reservedPeeringRanges")
                .cloned()
                .unwrap_or_else(|| json!([])),
        );
        out.insert(
            "peering".into(),
            c.get("peering").cloned().unwrap_or(Json::Null),
        );
        out.insert("id".into(), json!(id_of(&network, &service)));
        out
    }))
}

pub async fn refresh(
    g: &Google,
    objs: &[Map<String, Json>],
) -> Result<Vec<Option<Map<String, Json>>>> {
    let mut out = Vec::with_capacity(objs.len());
    for p in objs {
        out.push(read(g, p).await?);
    }
    Ok(out)
}

async fn read_back(g: &Google, p: &Map<String, Json>, action: &str) -> Result<Map<String, Json>> {
    read(g, p).await?.ok_or_else(|| {
        ProviderError::new(format!(
            "{TY}: {action}: the connection is not listed afterwards"
        ))
    })
}

/// Creates the connection; one that exists already (Google refuses to change its ranges in a
/// create) is updated instead when `update_on_creation_fail` says so, as Terraform does.
pub async fn create(g: &Google, p: &Map<String, Json>) -> Result<Map<String, Json>> {
    let service = required(p, TY, "service")?;
    let net = consumer_network(g, &required(p, TY, "network")?).await?;
    let body = json!({"network": net, "reservedPeeringRanges": ranges(p)});
    let path = service_path(&service);
    match wait(g, reqwest::Method::POST, &path, &body, p, "create").await {
        Ok(_) => {}
        Err(e) if e.code == 400 && bool_attr(p, "update_on_creation_fail") == Some(true) => {
            patch(g, p, &service, &body).await?;
        }
        Err(e) => return Err(api_err(TY, "create", e)),
    }
    read_back(g, p, "create").await
}

async fn patch(g: &Google, p: &Map<String, Json>, service: &str, body: &Json) -> Result<()> {
    let path = format!(
        "{}/-?updateMask=reservedPeeringRanges&force=true",
        service_path(service)
    );
    wait(g, reqwest::Method::PATCH, &path, body, p, "update")
        .await
        .map(|_| ())
        .map_err(|e| api_err(TY, "update", e))
}

/// Changes the reserved ranges (the only argument that does not force replacement).
pub async fn update(
    g: &Google,
    _prior: &Map<String, Json>,
    p: &Map<String, Json>,
) -> Result<Map<String, Json>> {
    let service = required(p, TY, "service")?;
    let net = consumer_network(g, &required(p, TY, "network")?).await?;
    let body = json!({"network": net, "reservedPeeringRanges": ranges(p)});
    patch(g, p, &service, &body).await?;
    read_back(g, p, "update").await
}

/// Deletes the connection (`deleteConnection`), or forgets it with `deletion_policy =
/// "ABANDON"`; one already gone is deleted.
pub async fn delete(g: &Google, prior: &Map<String, Json>) -> Result<()> {
    if str_attr(prior, "deletion_policy").as_deref() == Some("ABANDON") {
        return Ok(());
    }
    let service = required(prior, TY, "service")?;
    let net = consumer_network(g, &required(prior, TY, "network")?).await?;
    let peering =
        str_attr(prior, "peering").unwrap_or_else(|| "servicenetworking-googleapis-com".into());
    // `deleteConnection` is a POST to the connection itself (`v1/{+name}`), no custom verb.
    let path = format!("{}/{peering}", service_path(&service));
    let body = json!({"consumerNetwork": net});
    match wait(g, reqwest::Method::POST, &path, &body, prior, "delete").await {
        Ok(_) => Ok(()),
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(api_err(TY, "delete", e)),
    }
}

/// `{network}:{service}` (the network URL-escaped or not) → the attributes naming it.
pub fn parse_id(id: &str) -> Result<Map<String, Json>> {
    let (network, service) = id.rsplit_once(':').ok_or_else(|| {
        ProviderError::new(format!(
            "{TY}: import ID \"{id}\" is not `{{network}}:{{service}}`"
        ))
    })?;
    let network = percent_decode(network);
    if network.is_empty() || service.is_empty() {
        return Err(ProviderError::new(format!(
            "{TY}: import ID \"{id}\" is not `{{network}}:{{service}}`"
        )));
    }
    let mut out = Map::new();
    out.insert("network".into(), json!(network));
    out.insert("service".into(), json!(service));
    Ok(out)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_with_escaped_networks() {
        let id = id_of(
            "projects/p/global/networks/vpc",
            "servicenetworking.googleapis.com",
        );
        assert_eq!(
            id,
            "projects%2Fp%2Fglobal%2Fnetworks%2Fvpc:servicenetworking.googleapis.com"
        );
        let back = parse_id(&id).expect("parses");
        assert_eq!(back["network"], json!("projects/p/global/networks/vpc"));
        assert_eq!(back["service"], json!("servicenetworking.googleapis.com"));
        let plain = parse_id("vpc:servicenetworking.googleapis.com").expect("parses");
        assert_eq!(plain["network"], json!("vpc"));
        assert!(parse_id("no-service").is_err());
        assert!(parse_id(":x").is_err());
    }
}
