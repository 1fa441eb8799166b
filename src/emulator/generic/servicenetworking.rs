//! Service Networking (`servicenetworking/v1`): private services connections between a
//! consumer's VPC network and a producer service, as Cloud SQL's private IP uses them. The
//! network is named by its project's number (`projects/{number}/global/networks/{n}`), must
//! exist, and every reserved range must be one of its global addresses with purpose
//! `VPC_PEERING`; one connection per network and service (a second create is refused: its
//! ranges change through `patch` on `connections/-`). Changes answer with operations polled
//! at `v1/operations/{id}`; there is no GET, only a list filtered by network.

use serde_json::{json, Map, Value};

use super::body;
use super::doc::{Kind, Method};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::operations;
use crate::emulator::request::Call;
use crate::emulator::world::World;

const SERVICE: &str = "servicenetworking.googleapis.com";
const PEERING: &str = "servicenetworking-googleapis-com";

/// True for Service Networking's methods.
pub fn is_servicenetworking(m: &Method) -> bool {
    m.doc.name == "servicenetworking"
}

/// Runs one method; `c.segs` is `services/{service}/connections[/{name}]`.
pub fn run(c: &Call, w: &mut World, m: &'static Method) -> ApiResult {
    let service = c.segs.get(1).cloned().unwrap_or_default();
    if service != SERVICE {
        return Err(ApiError::permission_denied(format!(
            "Service 'services/{service}' does not offer private service connections (only {SERVICE} is emulated)."
        )));
    }
    match &m.kind {
        Kind::Create => create(c, w, m),
        Kind::List => list(c, w),
        Kind::Patch => patch(c, w, m),
        Kind::Custom(v) if v == "deleteConnection" => delete(c, w, m),
        _ => Err(ApiError::new(
            501,
            "UNIMPLEMENTED",
            format!("{} is not emulated", m.id),
        )),
    }
}

/// `projects/{number}/global/networks/{name}` → the project's ID and the network's name,
/// checking the project is named by number and enabled Service Networking.
fn consumer(c: &Call, w: &mut World, network: &str) -> ApiResult<(String, String)> {
    let parts: Vec<&str> = network.split('/').collect();
    let (number, name) = match parts.as_slice() {
        ["projects", n, "global", "networks", name] if !name.is_empty() => (*n, *name),
        _ => {
            return Err(ApiError::invalid(format!(
                "Invalid network '{network}': expected projects/{{project_number}}/global/networks/{{network}}."
            )))
        }
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(format!(
            "Invalid network '{network}': the project must be given by its number."
        )));
    }
    let project = w.project(number)?.id;
    w.consume(&project, c.user_project.as_deref(), SERVICE)?;
    let link = format!("compute:v1/projects/{project}/global/networks/{name}");
    if !w.generic.contains_key(&link) {
        return Err(ApiError::invalid(format!(
            "Network '{network}' was not found."
        )));
    }
    Ok((project, name.to_owned()))
}

fn key(number_network: &str) -> String {
    format!("servicenetworking:services/{SERVICE}/connections/{number_network}")
}

fn checked(c: &Call, m: &Method) -> ApiResult<Map<String, Value>> {
    let schema = m.request_schema().unwrap_or(&Value::Null);
    match body::check(m.doc, schema, &c.body, "connection")? {
        Value::Object(o) => Ok(o),
        _ => Err(ApiError::invalid("the body must be an object")),
    }
}

/// Each reserved range must be a `VPC_PEERING` global address of the network.
fn check_ranges(w: &World, project: &str, network: &str, ranges: &Value) -> ApiResult<Vec<Value>> {
    let list = ranges.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return Err(ApiError::invalid(
            "At least one reserved peering range is required.",
        ));
    }
    let link = format!(
        "https://www.googleapis.com/compute/v1/projects/{project}/global/networks/{network}"
    );
    for r in &list {
        let name = r.as_str().unwrap_or_default();
        let addr = w.generic.get(&format!(
            "compute:v1/projects/{project}/global/addresses/{name}"
        ));
        let ok = addr.is_some_and(|a| {
            a["purpose"].as_str() == Some("VPC_PEERING")
                && a["network"].as_str() == Some(link.as_str())
        });
        if !ok {
            return Err(ApiError::failed_precondition(format!(
                "Allocated IP range '{name}' not found in network."
            )));
        }
    }
    Ok(list)
}

fn answer(c: &Call, w: &mut World, number: &str) -> Value {
    let name = format!("operations/pssn.p24-{number}-{}", w.uuid());
    // The operation's result is not read by clients; Google documents it as empty here.
    let done = json!({"@type": "type.googleapis.com/google.protobuf.Empty"});
    operations::start(w, c, name, None, Ok(done))
}

/// `connections.create`: refused when the network already has a connection to the service.
fn create(c: &Call, w: &mut World, m: &Method) -> ApiResult {
    let sent = checked(c, m)?;
    let network = sent
        .get("network")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (project, name) = consumer(c, w, &network)?;
    let ranges = check_ranges(
        w,
        &project,
        &name,
        sent.get("reservedPeeringRanges").unwrap_or(&Value::Null),
    )?;
    let number = network.split('/').nth(1).unwrap_or_default().to_owned();
    let k = key(&format!("{number}/{name}"));
    if w.generic.contains_key(&k) {
        return Err(ApiError::failed_precondition(
            "Cannot modify allocated ranges in CreateConnection. Please use UpdateConnection.",
        ));
    }
    let conn = json!({
        "network": network,
        "reservedPeeringRanges": ranges,
        "peering": PEERING,
        "service": format!("services/{SERVICE}"),
    });
    w.generic.insert(k, conn);
    Ok(answer(c, w, &number))
}

/// `connections.list?network=`: the network's connection to the service, if any.
fn list(c: &Call, w: &mut World) -> ApiResult {
    c.allow_query(&["network"])?;
    let network = c.q("network").unwrap_or_default().to_owned();
    if network.is_empty() {
        return Err(ApiError::invalid("network is required."));
    }
    let (_, name) = consumer(c, w, &network)?;
    let number = network.split('/').nth(1).unwrap_or_default();
    let found: Vec<Value> = w
        .generic
        .get(&key(&format!("{number}/{name}")))
        .cloned()
        .into_iter()
        .collect();
    Ok(json!({ "connections": found }))
}

/// `connections.patch` on `connections/-` (the network in the body) or the peering's name:
/// new reserved ranges.
fn patch(c: &Call, w: &mut World, m: &Method) -> ApiResult {
    c.allow_query(&["updateMask", "force"])?;
    let sent = checked(c, m)?;
    let network = sent
        .get("network")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (project, name) = consumer(c, w, &network)?;
    let number = network.split('/').nth(1).unwrap_or_default().to_owned();
    let k = key(&format!("{number}/{name}"));
    let Some(mut conn) = w.generic.get(&k).cloned() else {
        return Err(ApiError::new(
            404,
            "NOT_FOUND",
            format!("No connection for network '{network}'."),
        ));
    };
    if c.mask("updateMask")
        .is_some_and(|m| m.iter().any(|f| f == "reservedPeeringRanges"))
    {
        let ranges = check_ranges(
            w,
            &project,
            &name,
            sent.get("reservedPeeringRanges").unwrap_or(&Value::Null),
        )?;
        conn["reservedPeeringRanges"] = json!(ranges);
    }
    w.generic.insert(k, conn);
    Ok(answer(c, w, &number))
}

/// `deleteConnection` (a POST to the connection): `consumerNetwork` names which one.
fn delete(c: &Call, w: &mut World, m: &Method) -> ApiResult {
    let sent = checked(c, m)?;
    let network = sent
        .get("consumerNetwork")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (_, name) = consumer(c, w, &network)?;
    let number = network.split('/').nth(1).unwrap_or_default().to_owned();
    if w.generic
        .remove(&key(&format!("{number}/{name}")))
        .is_none()
    {
        return Err(ApiError::new(
            404,
            "NOT_FOUND",
            format!("No connection for network '{network}'."),
        ));
    }
    Ok(answer(c, w, &number))
}
