//! Cloud Resource Manager v1 and v3: projects.get (by ID or number; projects spring into
//! existence on first use of an ID) and the project IAM policy (etag, `409 ABORTED`).

use serde_json::json;

use super::policy::{self, Kind};
use super::request::{handler, Call, Route};
use super::world::{ProjectRef, World};

const SERVICE: &str = "cloudresourcemanager.googleapis.com";

pub fn route(c: &Call) -> Option<Route> {
    let segs = c.segs();
    let ["projects", p] = segs.as_slice() else {
        return None;
    };
    let p = (*p).to_string();
    let v3 = match c.version.as_str() {
        "v1" => false,
        "v3" => true,
        _ => return None,
    };
    let m: &'static str = match (c.http.as_str(), c.verb(), v3) {
        ("GET", None, false) => "cloudresourcemanager.projects.get",
        ("GET", None, true) => "cloudresourcemanager.v3.projects.get",
        ("POST", Some("getIamPolicy"), false) => "cloudresourcemanager.projects.getIamPolicy",
        ("POST", Some("getIamPolicy"), true) => "cloudresourcemanager.v3.projects.getIamPolicy",
        ("POST", Some("setIamPolicy"), false) => "cloudresourcemanager.projects.setIamPolicy",
        ("POST", Some("setIamPolicy"), true) => "cloudresourcemanager.v3.projects.setIamPolicy",
        ("POST", Some("testIamPermissions"), false) => {
            "cloudresourcemanager.projects.testIamPermissions"
        }
        ("POST", Some("testIamPermissions"), true) => {
            "cloudresourcemanager.v3.projects.testIamPermissions"
        }
        _ => return None,
    };
    handler(m, move |c, w| {
        let proj = w.consume(&p, c.user_project.as_deref(), SERVICE)?;
        // One policy per project, whichever version or name form addressed it.
        let resource = format!("projects/{}", proj.id);
        match c.verb() {
            None => {
                c.allow_query(&[])?;
                Ok(if v3 {
                    project_v3(w, &proj)
                } else {
                    project_v1(w, &proj)
                })
            }
            Some("getIamPolicy") => policy::get(c, w, &resource, true),
            Some("setIamPolicy") => policy::set(c, w, &resource, Kind::Project),
            _ => policy::test(c),
        }
    })
}

fn create_time(w: &World, p: &ProjectRef) -> String {
    w.projects
        .get(&p.id)
        .map(|x| x.create_time.clone())
        .unwrap_or_default()
}

fn project_v1(w: &World, p: &ProjectRef) -> serde_json::Value {
    json!({
        "projectNumber": p.number,
        "projectId": p.id,
        "lifecycleState": "ACTIVE",
        "name": p.id,
        "createTime": create_time(w, p),
    })
}

fn project_v3(w: &World, p: &ProjectRef) -> serde_json::Value {
    let t = create_time(w, p);
    json!({
        "name": format!("projects/{}", p.number),
        "projectId": p.id,
        "state": "ACTIVE",
        "displayName": p.id,
        "createTime": t,
        "updateTime": t,
        "etag": format!("W/\"{:016x}\"", super::world::fnv(&p.id)),
    })
}
