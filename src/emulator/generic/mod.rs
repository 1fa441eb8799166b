//! Collections served generically from Google's discovery documents (vendored, trimmed, in
//! `discovery/`, refreshed by `scripts/vendor-discovery`): Secret Manager, Artifact Registry,
//! Pub/Sub, Cloud Scheduler, Cloud Run jobs and v1 (Knative) services (`knative`), Eventarc,
//! Serverless VPC Access, service account keys (`keys`), Cloud Storage buckets (`storage`),
//! Compute networks and addresses (`compute`), Cloud SQL instances, databases and users
//! (`sqladmin`), private services connections (`servicenetworking`) and Identity-Aware
//! Proxy's OAuth brands, clients and `iap_web` policy (`iap`). Requests are
//! matched against each method's path template (`doc`), bodies checked against the schemas
//! (`body`), the standard methods run on one store (`collection`), and per-API rules layered
//! on top where Google has them (`rules`). Nothing here knows keyway's generated schemas: the
//! two meet only in Google's documents.

mod body;
mod collection;
mod compute;
pub mod doc;
mod iap;
mod keys;
mod knative;
mod rules;
mod servicenetworking;
mod sqladmin;
mod storage;

use crate::emulator::request::{handler, Call, Route};

/// Routes a call to the generic method serving it, if any (after every hand-written API).
pub fn route(c: &Call) -> Option<Route> {
    let segs = c.segs();
    // Methods whose path is one `{+resource}` (IAP's policy methods) take what no other does.
    let found = |rest: bool| {
        doc::methods()
            .iter()
            .find(|m| m.rest == rest && m.matches(&c.http, &c.version, &segs, c.verb()))
    };
    let m = found(false).or_else(|| found(true))?;
    handler(m.id.as_str(), move |c, w| {
        if iap::is_iap(m) {
            return iap::run(c, w, m);
        }
        if storage::is_storage(m) {
            return storage::run(c, w, m);
        }
        if compute::is_compute(m) {
            return compute::run(c, w, m);
        }
        if sqladmin::is_sqladmin(m) {
            return sqladmin::run(c, w, m);
        }
        if servicenetworking::is_servicenetworking(m) {
            return servicenetworking::run(c, w, m);
        }
        if knative::is_knative(m) {
            return knative::run(c, w, m);
        }
        if keys::is_key_method(m) {
            let path = keys::canonical(w, &c.segs.join("/"))?;
            if m.kind == doc::Kind::Create {
                return keys::create(c, w, m, &path);
            }
            let mut c = c.clone();
            c.segs = path.split('/').map(str::to_owned).collect();
            return collection::run(&c, w, m);
        }
        if m.kind == doc::Kind::Get {
            // `.../versions/latest` names the newest version.
            let path = rules::resolve(w, m, &c.segs.join("/"));
            if path != c.segs.join("/") {
                let mut c = c.clone();
                c.segs = path.split('/').map(str::to_owned).collect();
                return collection::run(&c, w, m);
            }
        }
        collection::run(c, w, m)
    })
}
