//! Cloud Storage objects: uploads (`/upload/storage/v1/b/{b}/o`, media, multipart and
//! resumable), metadata reads, downloads (`?alt=media`, `/download/...`, the XML API's
//! `/{bucket}/{object}`), lists with prefixes, PATCH and DELETE, and GCS's preconditions
//! (`ifGenerationMatch` and friends; 412 `conditionNotMet`), checked and applied under the one
//! world lock so that a lock object created with `ifGenerationMatch=0` is created once. Served
//! before any other routing because bodies and answers here are bytes, not JSON.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::errors::ApiError;
use super::server::{lock, percent_decode, push_log, Shared};
use super::world::{now_ms, rfc3339, World};
use super::LoggedRequest;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SERVICE: &str = "storage.googleapis.com";

/// One live object: its resource (without the links, made per request) and its bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredObject {
    pub resource: Value,
    /// Base64 of the bytes.
    pub data: String,
}

/// A resumable upload between its starting POST and its last PUT.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadSession {
    pub bucket: String,
    pub name: String,
    /// The metadata sent with the starting POST.
    pub metadata: Value,
    /// The starting POST's query (its preconditions apply when the object is written).
    pub query: Vec<(String, String)>,
    /// Base64 of the bytes received so far.
    pub data: String,
}

/// What a handler answers.
enum Out {
    Json(u16, Value),
    Bytes(u16, Vec<u8>, Vec<(String, String)>),
    Empty(u16, Vec<(String, String)>),
}

/// An error in Cloud Storage's JSON shape.
fn fail(code: u16, reason: &str, message: &str) -> Out {
    Out::Json(
        code,
        json!({"error": {"code": code, "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}]}}),
    )
}

fn precondition_failed() -> Out {
    fail(
        412,
        "conditionNotMet",
        "At least one of the pre-conditions you specified did not hold.",
    )
}

fn no_bucket() -> Out {
    fail(404, "notFound", "The specified bucket does not exist.")
}

fn no_object(bucket: &str, name: &str) -> Out {
    fail(404, "notFound", &format!("No such object: {bucket}/{name}"))
}

fn invalid(message: &str) -> Out {
    fail(400, "invalid", message)
}

/// Which of this module's requests a path is.
#[derive(Debug, PartialEq)]
enum Target {
    Upload { bucket: String },
    Download { bucket: String, name: String },
    List { bucket: String },
    Object { bucket: String, name: String },
    Xml { bucket: String, name: String },
}

/// First path segments that belong to the other APIs, never to an XML-style bucket read.
fn reserved(first: &str) -> bool {
    let versioned = first.len() >= 2
        && first.starts_with('v')
        && first[1..].starts_with(|c: char| c.is_ascii_digit());
    versioned
        || first.starts_with("__")
        || [
            "storage", "upload", "download", "apis", "compute", "sql", "batch", "",
        ]
        .contains(&first)
}

fn target(method: &Method, path: &str) -> Option<Target> {
    let raw: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let name_from = |i: usize| percent_decode(&raw[i..].join("/"));
    match raw.as_slice() {
        ["upload", "storage", "v1", "b", b, "o"] => Some(Target::Upload {
            bucket: percent_decode(b),
        }),
        ["download", "storage", "v1", "b", b, "o", _, ..] => Some(Target::Download {
            bucket: percent_decode(b),
            name: name_from(6),
        }),
        ["storage", "v1", "b", b, "o"] => Some(Target::List {
            bucket: percent_decode(b),
        }),
        ["storage", "v1", "b", b, "o", _, ..] => Some(Target::Object {
            bucket: percent_decode(b),
            name: name_from(5),
        }),
        [b, _, ..] if (method == Method::GET || method == Method::HEAD) && !reserved(b) => {
            Some(Target::Xml {
                bucket: percent_decode(b),
                name: name_from(1),
            })
        }
        _ => None,
    }
}

/// Serves the request if it is an object request; `None` leaves it to the other APIs.
pub fn serve(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let target = target(method, uri.path())?;
    let query: Vec<(String, String)> =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|q| q.0)
            .unwrap_or_default();
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let req = Req {
        method: method.as_str(),
        query: &query,
        headers,
        body,
        base: format!("http://{host}"),
        path: uri.path(),
    };
    if let Target::Xml { bucket, .. } = &target {
        // Any other two-segment path stays with the other APIs unless it names a bucket.
        if !lock(&shared.world)
            .generic
            .contains_key(&bucket_key(bucket))
        {
            return None;
        }
    }
    // Injected 429/503s reach object calls too (before anything is done, as elsewhere).
    let fault = lock(&shared.faults).request_fault();
    let mut world = lock(&shared.world);
    let seq_before = (world.seq, world.object_generation);
    let mut logged_request = None;
    let (name, out) = match &target {
        _ if fault.is_some() => {
            let e = fault.unwrap_or_else(|| ApiError::new(503, "UNAVAILABLE", ""));
            (
                method_name(&target, req.method),
                Out::Json(e.http, e.body()),
            )
        }
        Target::Upload { bucket } => (
            "storage.objects.insert",
            upload(&req, &mut world, bucket, &mut logged_request),
        ),
        Target::Download { bucket, name } => (
            "storage.objects.get",
            read(&req, &mut world, bucket, name, true),
        ),
        Target::Xml { bucket, name } => (
            "storage.xml.get",
            read(&req, &mut world, bucket, name, true),
        ),
        Target::List { bucket } => match req.method {
            "GET" => ("storage.objects.list", list(&req, &mut world, bucket)),
            _ => ("unknown", not_served(&req)),
        },
        Target::Object { bucket, name } => match req.method {
            "GET" => {
                let media = req.q("alt") == Some("media");
                (
                    "storage.objects.get",
                    read(&req, &mut world, bucket, name, media),
                )
            }
            "PATCH" => {
                logged_request = serde_json::from_slice(body).ok();
                (
                    "storage.objects.patch",
                    patch(&req, &mut world, bucket, name),
                )
            }
            "DELETE" => (
                "storage.objects.delete",
                delete(&req, &mut world, bucket, name),
            ),
            _ => ("unknown", not_served(&req)),
        },
    };
    let status = match &out {
        Out::Json(s, _) | Out::Bytes(s, _, _) | Out::Empty(s, _) => *s,
    };
    if (200..300).contains(&status) && req.method != "GET" && req.method != "HEAD"
        || (world.seq, world.object_generation) != seq_before
    {
        if let Err(e) = shared.persist(&world) {
            eprintln!("keyway emulator: cannot persist world: {e}");
        }
    }
    drop(world);
    *lock(&shared.counters).entry(name.to_string()).or_insert(0) += 1;
    push_log(
        shared,
        LoggedRequest {
            method: name.to_string(),
            http_method: req.method.to_string(),
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            status,
            request_body: logged_request,
            response_body: match &out {
                Out::Json(_, v) => v.clone(),
                _ => Value::Null,
            },
        },
    );
    Some(respond(out))
}

/// The Google method name a request is logged and counted under.
fn method_name(target: &Target, http: &str) -> &'static str {
    match (target, http) {
        (Target::Upload { .. }, _) => "storage.objects.insert",
        (Target::Download { .. }, _) => "storage.objects.get",
        (Target::Xml { .. }, _) => "storage.xml.get",
        (Target::List { .. }, "GET") => "storage.objects.list",
        (Target::Object { .. }, "GET") => "storage.objects.get",
        (Target::Object { .. }, "PATCH") => "storage.objects.patch",
        (Target::Object { .. }, "DELETE") => "storage.objects.delete",
        _ => "unknown",
    }
}

fn not_served(req: &Req) -> Out {
    fail(
        405,
        "methodNotAllowed",
        &format!("{} is not served on {}", req.method, req.path),
    )
}

fn respond(out: Out) -> Response {
    let (status, body, headers) = match out {
        Out::Json(s, v) => (
            s,
            Body::from(v.to_string()),
            vec![(
                "content-type".to_owned(),
                "application/json; charset=UTF-8".to_owned(),
            )],
        ),
        Out::Bytes(s, b, h) => (s, Body::from(b), h),
        Out::Empty(s, h) => (s, Body::empty(), h),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::try_from(k.as_str()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

struct Req<'a> {
    method: &'a str,
    query: &'a [(String, String)],
    headers: &'a HeaderMap,
    body: &'a [u8],
    /// `http://host:port`, for the links in answers.
    base: String,
    path: &'a str,
}

impl Req<'_> {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }
}

fn bucket_key(bucket: &str) -> String {
    format!("storage:v1/b/{bucket}")
}

fn object_key(bucket: &str, name: &str) -> String {
    format!("{bucket}/{name}")
}

/// True when the bucket holds an object (it cannot be deleted then).
pub fn bucket_has_objects(w: &World, bucket: &str) -> bool {
    let prefix = format!("{bucket}/");
    w.objects
        .range(prefix.clone()..)
        .next()
        .is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// The bucket exists and Cloud Storage is enabled for its project (counted as a use).
fn check_bucket(req: &Req, w: &mut World, bucket: &str) -> Result<(), Out> {
    let Some(b) = w.generic.get(&bucket_key(bucket)) else {
        return Err(no_bucket());
    };
    let number = b["projectNumber"].as_str().unwrap_or_default().to_owned();
    let user_project = req
        .header("x-goog-user-project")
        .or_else(|| req.q("userProject"))
        .map(str::to_owned);
    w.consume(&number, user_project.as_deref(), SERVICE)
        .map(|_| ())
        .map_err(|e| Out::Json(e.http, e.body()))
}

/// GCS's four preconditions from a query.
#[derive(Debug, Default, PartialEq)]
struct Preconditions {
    generation_match: Option<u64>,
    generation_not_match: Option<u64>,
    metageneration_match: Option<u64>,
    metageneration_not_match: Option<u64>,
}

impl Preconditions {
    fn parse(query: &[(String, String)]) -> Result<Preconditions, Out> {
        let get = |k: &str| -> Result<Option<u64>, Out> {
            match query.iter().find(|(n, _)| n == k) {
                None => Ok(None),
                Some((_, v)) => v.parse::<u64>().map(Some).map_err(|_| {
                    invalid(&format!("Invalid argument for {k}: '{v}' is not a number."))
                }),
            }
        };
        Ok(Preconditions {
            generation_match: get("ifGenerationMatch")?,
            generation_not_match: get("ifGenerationNotMatch")?,
            metageneration_match: get("ifMetagenerationMatch")?,
            metageneration_not_match: get("ifMetagenerationNotMatch")?,
        })
    }

    /// Whether they hold for the live object's (generation, metageneration); `None` = no
    /// object, whose generation counts as 0 and which has no metageneration.
    fn hold(&self, live: Option<(u64, u64)>) -> bool {
        let generation = live.map_or(0, |l| l.0);
        let meta = live.map(|l| l.1);
        self.generation_match.is_none_or(|g| g == generation)
            && self.generation_not_match.is_none_or(|g| g != generation)
            && self.metageneration_match.is_none_or(|m| meta == Some(m))
            && self
                .metageneration_not_match
                .is_none_or(|m| meta.is_some_and(|x| x != m))
    }
}

fn number(v: &Value) -> u64 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn generations(o: &StoredObject) -> (u64, u64) {
    (
        number(&o.resource["generation"]),
        number(&o.resource["metageneration"]),
    )
}

/// Percent-encodes an object name as one path segment (`/` as `%2F`).
fn encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The resource as answered: stored fields plus the links on this emulator.
fn answer(req: &Req, o: &StoredObject) -> Value {
    let mut v = o.resource.clone();
    let bucket = v["bucket"].as_str().unwrap_or_default().to_owned();
    let name = encode(v["name"].as_str().unwrap_or_default());
    let generation = v["generation"].as_str().unwrap_or_default().to_owned();
    v["selfLink"] = json!(format!("{}/storage/v1/b/{bucket}/o/{name}", req.base));
    v["mediaLink"] = json!(format!(
        "{}/download/storage/v1/b/{bucket}/o/{name}?generation={generation}&alt=media",
        req.base
    ));
    v
}

/// Object names: 1-1024 bytes of UTF-8, no carriage return or line feed.
fn check_name(name: &str) -> Result<(), Out> {
    if name.is_empty() {
        return Err(fail(400, "required", "Required"));
    }
    if name.len() > 1024 || name.contains(['\r', '\n']) || name == "." || name == ".." {
        return Err(invalid("The specified object name is not valid."));
    }
    Ok(())
}

/// Fields a client may set on an object (upload metadata and PATCH).
const WRITABLE: &[&str] = &[
    "contentType",
    "metadata",
    "cacheControl",
    "contentDisposition",
    "contentEncoding",
    "contentLanguage",
    "customTime",
];

/// Writes a new generation of `bucket/name` if the preconditions hold (the caller holds the
/// world lock, so check and write are one step).
fn write(
    req: &Req,
    w: &mut World,
    (bucket, name): (&str, &str),
    meta: &Value,
    query: &[(String, String)],
    data: &[u8],
    content_type: Option<&str>,
) -> Out {
    if let Err(e) = check_name(name) {
        return e;
    }
    let pre = match Preconditions::parse(query) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let key = object_key(bucket, name);
    let live = w.objects.get(&key).map(generations);
    if !pre.hold(live) {
        return precondition_failed();
    }
    let now_ms = now_ms();
    let generation = (now_ms * 1000).max(w.object_generation + 1);
    w.object_generation = generation;
    let now = rfc3339(now_ms);
    let mut r = Map::new();
    if let Some(m) = meta.as_object() {
        for k in WRITABLE {
            if let Some(v) = m.get(*k).filter(|v| !v.is_null()) {
                r.insert((*k).into(), v.clone());
            }
        }
    }
    let content_type = r
        .get("contentType")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or(content_type.map(str::to_owned))
        .unwrap_or_else(|| "application/octet-stream".into());
    let md5 = B64.encode(Md5::digest(data));
    let crc = B64.encode(crc32c(data).to_be_bytes());
    let fields = [
        ("kind", json!("storage#object")),
        ("id", json!(format!("{bucket}/{name}/{generation}"))),
        ("name", json!(name)),
        ("bucket", json!(bucket)),
        ("generation", json!(generation.to_string())),
        ("metageneration", json!("1")),
        ("contentType", json!(content_type)),
        ("storageClass", json!("STANDARD")),
        ("size", json!(data.len().to_string())),
        ("md5Hash", json!(md5)),
        ("crc32c", json!(crc)),
        ("etag", json!(etag(generation, 1))),
        ("timeCreated", json!(now)),
        ("updated", json!(now)),
        ("timeStorageClassUpdated", json!(now)),
    ];
    for (k, v) in fields {
        r.insert(k.into(), v);
    }
    let o = StoredObject {
        resource: Value::Object(r),
        data: B64.encode(data),
    };
    let out = answer(req, &o);
    w.objects.insert(key, o);
    Out::Json(200, out)
}

/// Cloud Storage's etags are opaque base64; this one changes with either generation.
fn etag(generation: u64, metageneration: u64) -> String {
    B64.encode(format!("{generation}/{metageneration}"))
}

/// `POST /upload/storage/v1/b/{bucket}/o?uploadType=...`, and the PUTs of a resumable upload.
fn upload(req: &Req, w: &mut World, bucket: &str, logged: &mut Option<Value>) -> Out {
    if let Err(e) = check_bucket(req, w, bucket) {
        return e;
    }
    if let Some(id) = req.q("upload_id") {
        return match req.method {
            "PUT" | "POST" => resumable_put(req, w, id),
            "DELETE" => {
                w.uploads.remove(id);
                Out::Empty(499, vec![])
            }
            _ => not_served(req),
        };
    }
    if req.method != "POST" {
        return not_served(req);
    }
    let ctype = req.header("content-type");
    match req.q("uploadType").unwrap_or("media") {
        "media" => {
            let name = req.q("name").unwrap_or_default().to_owned();
            write(
                req,
                w,
                (bucket, &name),
                &Value::Null,
                req.query,
                req.body,
                ctype,
            )
        }
        "multipart" => {
            let (meta, part_type, data) = match parse_multipart(ctype.unwrap_or_default(), req.body)
            {
                Ok(p) => p,
                Err(e) => return invalid(&e),
            };
            *logged = Some(meta.clone());
            let name = meta["name"]
                .as_str()
                .or(req.q("name"))
                .unwrap_or_default()
                .to_owned();
            write(
                req,
                w,
                (bucket, &name),
                &meta,
                req.query,
                &data,
                part_type.as_deref(),
            )
        }
        "resumable" => {
            let meta: Value = if req.body.iter().all(u8::is_ascii_whitespace) {
                json!({})
            } else {
                match serde_json::from_slice(req.body) {
                    Ok(v @ Value::Object(_)) => v,
                    _ => return invalid("The upload metadata must be a JSON object."),
                }
            };
            *logged = Some(meta.clone());
            let name = meta["name"]
                .as_str()
                .or(req.q("name"))
                .unwrap_or_default()
                .to_owned();
            if let Err(e) = check_name(&name) {
                return e;
            }
            if let Err(e) = Preconditions::parse(req.query) {
                return e;
            }
            let mut meta = meta;
            if meta.get("contentType").is_none() {
                if let Some(t) = req.header("x-upload-content-type") {
                    meta["contentType"] = json!(t);
                }
            }
            let id = format!("{:016x}{:016x}", w.next_rand(), w.next_rand());
            w.uploads.insert(
                id.clone(),
                UploadSession {
                    bucket: bucket.to_owned(),
                    name,
                    metadata: meta,
                    query: req.query.to_vec(),
                    data: String::new(),
                },
            );
            let location = format!(
                "{}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={id}",
                req.base
            );
            Out::Empty(200, vec![("location".into(), location)])
        }
        other => invalid(&format!("Invalid upload type: {other}")),
    }
}

/// `Content-Range: bytes a-b/total`, `bytes */total` or `bytes */*`: (first, last) of this
/// chunk if it has bytes, and the total if known.
type Range = (Option<(u64, u64)>, Option<u64>);

fn content_range(v: &str) -> Option<Range> {
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (span, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    let span = match span.trim() {
        "*" => None,
        s => {
            let (a, b) = s.split_once('-')?;
            let (a, b): (u64, u64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            if b < a {
                return None;
            }
            Some((a, b))
        }
    };
    Some((span, total))
}

/// A PUT to a resumable session: appends the chunk; the last one writes the object.
fn resumable_put(req: &Req, w: &mut World, id: &str) -> Out {
    let Some(mut session) = w.uploads.get(id).cloned() else {
        return fail(404, "notFound", "No such upload session.");
    };
    let mut data = B64.decode(&session.data).unwrap_or_default();
    let (span, total) = match req.header("content-range") {
        None => (
            (!req.body.is_empty()).then(|| (0, req.body.len() as u64 - 1)),
            Some(req.body.len() as u64),
        ),
        Some(v) => match content_range(v) {
            Some(r) => r,
            None => return invalid(&format!("Invalid Content-Range: {v}")),
        },
    };
    if let Some((first, last)) = span {
        if last - first + 1 != req.body.len() as u64 {
            return invalid("The Content-Range does not match the body's length.");
        }
        let have = data.len() as u64;
        if first > have {
            return invalid("The chunk does not start where the upload stands.");
        }
        // A chunk sent again after a lost answer: keep only the part not yet received.
        let skip = (have - first) as usize;
        if skip < req.body.len() {
            data.extend_from_slice(&req.body[skip..]);
        }
    }
    let have = data.len() as u64;
    if total.is_some_and(|t| have > t) {
        return invalid("The upload holds more bytes than its declared total.");
    }
    if total != Some(have) {
        session.data = B64.encode(&data);
        w.uploads.insert(id.to_owned(), session);
        let mut headers = vec![];
        if have > 0 {
            headers.push(("range".into(), format!("bytes=0-{}", have - 1)));
        }
        return Out::Empty(308, headers);
    }
    let out = write(
        req,
        w,
        (&session.bucket, &session.name),
        &session.metadata,
        &session.query,
        &data,
        None,
    );
    // A failed precondition ends the session as GCS does; so does success.
    w.uploads.remove(id);
    out
}

/// A multipart/related body: the JSON metadata part, the media part's `Content-Type`, and the
/// media bytes.
pub fn parse_multipart(
    content_type: &str,
    body: &[u8],
) -> Result<(Value, Option<String>, Vec<u8>), String> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| v.trim().trim_matches('"').to_owned())
        })
        .filter(|b| !b.is_empty())
        .ok_or("A multipart upload needs a multipart/related Content-Type with a boundary.")?;
    let delim = format!("--{boundary}").into_bytes();
    let mut pos = find(body, &delim, 0).ok_or("The multipart body has no boundary line.")?;
    let mut parts: Vec<Part> = Vec::new();
    loop {
        let after = pos + delim.len();
        let rest = body.get(after..).unwrap_or_default();
        if rest.starts_with(b"--") {
            break;
        }
        let start = if rest.starts_with(b"\r\n") {
            after + 2
        } else {
            return Err("Malformed multipart body.".into());
        };
        let (head, content_start) = if body[start..].starts_with(b"\r\n") {
            (&body[start..start], start + 2)
        } else {
            let end =
                find(body, b"\r\n\r\n", start).ok_or("A multipart part has no header end.")?;
            (&body[start..end], end + 4)
        };
        let headers: Vec<(String, String)> = String::from_utf8_lossy(head)
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            })
            .collect();
        let mut close = b"\r\n".to_vec();
        close.extend_from_slice(&delim);
        let end = find(body, &close, content_start)
            .ok_or("The multipart body is not closed by its boundary.")?;
        parts.push((headers, &body[content_start..end]));
        pos = end + 2;
        if parts.len() > 2 {
            return Err("A multipart upload has exactly two parts.".into());
        }
    }
    let [(_, meta), (media_headers, media)] = parts.as_slice() else {
        return Err("A multipart upload has a metadata part and a media part.".into());
    };
    let meta: Value = if meta.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(meta).map_err(|e| format!("Invalid metadata part: {e}"))?
    };
    if !meta.is_object() {
        return Err("The metadata part must be a JSON object.".into());
    }
    let media_type = media_headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone());
    Ok((meta, media_type, media.to_vec()))
}

/// One part of a multipart body: its headers (names lowercased) and content.
type Part<'a> = (Vec<(String, String)>, &'a [u8]);

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The live object for a read, patch or delete: 404s, `generation=N`, then preconditions.
fn live<'w>(
    req: &Req,
    w: &'w mut World,
    bucket: &str,
    name: &str,
) -> Result<&'w StoredObject, Out> {
    check_bucket(req, w, bucket)?;
    let pre = Preconditions::parse(req.query)?;
    let Some(o) = w.objects.get(&object_key(bucket, name)) else {
        return Err(no_object(bucket, name));
    };
    let (generation, meta) = generations(o);
    if let Some(g) = req.q("generation") {
        if g.parse::<u64>().ok() != Some(generation) {
            // Only the live generation is kept.
            return Err(no_object(bucket, name));
        }
    }
    if !pre.hold(Some((generation, meta))) {
        return Err(precondition_failed());
    }
    Ok(o)
}

/// Metadata, or the bytes (`media`) with GCS's hash and generation headers; `Range` honoured.
fn read(req: &Req, w: &mut World, bucket: &str, name: &str, media: bool) -> Out {
    let o = match live(req, w, bucket, name) {
        Ok(o) => o.clone(),
        Err(e) => return e,
    };
    if !media {
        return Out::Json(200, answer(req, &o));
    }
    let data = B64.decode(&o.data).unwrap_or_default();
    let r = &o.resource;
    let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
    let mut headers = vec![
        ("content-type".to_owned(), s("contentType")),
        (
            "x-goog-hash".to_owned(),
            format!("crc32c={},md5={}", s("crc32c"), s("md5Hash")),
        ),
        ("x-goog-generation".to_owned(), s("generation")),
        ("x-goog-metageneration".to_owned(), s("metageneration")),
        ("x-goog-stored-content-length".to_owned(), s("size")),
        ("x-goog-storage-class".to_owned(), "STANDARD".to_owned()),
        ("etag".to_owned(), format!("\"{}\"", s("etag"))),
        ("accept-ranges".to_owned(), "bytes".to_owned()),
    ];
    if let Some(range) = req.header("range").and_then(|v| byte_range(v, data.len())) {
        let (a, b) = range;
        headers.push((
            "content-range".to_owned(),
            format!("bytes {a}-{b}/{}", data.len()),
        ));
        return Out::Bytes(206, data[a..=b].to_vec(), headers);
    }
    Out::Bytes(200, data, headers)
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` within `len` bytes (anything else: the whole object).
fn byte_range(v: &str, len: usize) -> Option<(usize, usize)> {
    let spec = v.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    if len == 0 {
        return None;
    }
    let last = len - 1;
    let (a, b) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: usize = n.parse().ok()?;
            (len.saturating_sub(n), last)
        }
        (a, "") => (a.parse().ok()?, last),
        (a, b) => (a.parse().ok()?, b.parse::<usize>().ok()?.min(last)),
    };
    (a <= b && a <= last).then_some((a, b))
}

/// `objects.list`: names in byte order from `prefix`, folded at `delimiter`, paged.
fn list(req: &Req, w: &mut World, bucket: &str) -> Out {
    if let Err(e) = check_bucket(req, w, bucket) {
        return e;
    }
    let prefix = req.q("prefix").unwrap_or_default();
    let delimiter = req.q("delimiter").filter(|d| !d.is_empty());
    let max = match req.q("maxResults").map(str::parse::<usize>) {
        None => 1000,
        Some(Ok(n)) if n > 0 => n.min(1000),
        Some(_) => return invalid("Invalid value for maxResults."),
    };
    let after = match req.q("pageToken").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match B64.decode(t).ok().and_then(|b| String::from_utf8(b).ok()) {
            Some(s) => Some(s),
            None => return invalid("Invalid page token."),
        },
    };
    let start = format!("{bucket}/{prefix}");
    let mut entries: Vec<(String, Option<&StoredObject>)> = Vec::new();
    for (k, o) in w.objects.range(start.clone()..) {
        if !k.starts_with(&start) {
            break;
        }
        let name = &k[bucket.len() + 1..];
        let rest = &name[prefix.len()..];
        match delimiter.and_then(|d| rest.find(d).map(|i| i + d.len())) {
            Some(end) => {
                let p = format!("{prefix}{}", &rest[..end]);
                if entries.last().map(|e| &e.0) != Some(&p) {
                    entries.push((p, None));
                }
            }
            None => entries.push((name.to_owned(), Some(o))),
        }
    }
    let remaining: Vec<_> = entries
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .collect();
    let more = remaining.len() > max;
    let page = &remaining[..remaining.len().min(max)];
    let mut out = json!({"kind": "storage#objects"});
    let items: Vec<Value> = page
        .iter()
        .filter_map(|(_, o)| o.map(|o| answer(req, o)))
        .collect();
    let prefixes: Vec<Value> = page
        .iter()
        .filter(|(_, o)| o.is_none())
        .map(|(p, _)| json!(p))
        .collect();
    if !items.is_empty() {
        out["items"] = Value::Array(items);
    }
    if !prefixes.is_empty() {
        out["prefixes"] = Value::Array(prefixes);
    }
    if more {
        if let Some((last, _)) = page.last() {
            out["nextPageToken"] = json!(B64.encode(last));
        }
    }
    Out::Json(200, out)
}

/// `objects.patch`: the writable fields sent replace the object's (`metadata` keys merge, a
/// null removes one); the metageneration goes up by one.
fn patch(req: &Req, w: &mut World, bucket: &str, name: &str) -> Out {
    let mut o = match live(req, w, bucket, name) {
        Ok(o) => o.clone(),
        Err(e) => return e,
    };
    let sent: Value = match serde_json::from_slice(req.body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return invalid("The request body must be a JSON object."),
    };
    let (generation, meta) = generations(&o);
    let Some(r) = o.resource.as_object_mut() else {
        return fail(500, "backendError", "stored object is not an object");
    };
    for k in WRITABLE {
        let Some(v) = sent.get(*k) else { continue };
        if *k == "metadata" {
            let Some(new) = v.as_object() else {
                r.remove("metadata");
                continue;
            };
            let mut merged: BTreeMap<String, Value> = r
                .get("metadata")
                .and_then(Value::as_object)
                .map(|m| m.clone().into_iter().collect())
                .unwrap_or_default();
            for (mk, mv) in new {
                if mv.is_null() {
                    merged.remove(mk);
                } else {
                    merged.insert(mk.clone(), mv.clone());
                }
            }
            if merged.is_empty() {
                r.remove("metadata");
            } else {
                r.insert("metadata".into(), json!(merged));
            }
        } else if v.is_null() {
            r.remove(*k);
        } else {
            r.insert((*k).into(), v.clone());
        }
    }
    if !r.contains_key("contentType") {
        r.insert("contentType".into(), json!("application/octet-stream"));
    }
    r.insert("metageneration".into(), json!((meta + 1).to_string()));
    r.insert("etag".into(), json!(etag(generation, meta + 1)));
    r.insert("updated".into(), json!(rfc3339(now_ms())));
    let out = answer(req, &o);
    w.objects.insert(object_key(bucket, name), o);
    Out::Json(200, out)
}

/// `objects.delete`: 204 with no body.
fn delete(req: &Req, w: &mut World, bucket: &str, name: &str) -> Out {
    if let Err(e) = live(req, w, bucket, name) {
        return e;
    }
    w.objects.remove(&object_key(bucket, name));
    Out::Empty(204, vec![])
}

/// CRC32C (Castagnoli), as Cloud Storage's `crc32c` field holds it (big-endian, base64).
pub fn crc32c(data: &[u8]) -> u32 {
    const fn table() -> [u32; 256] {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0x82F6_3B78
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    }
    static TABLE: [u32; 256] = table();
    let mut c = !0u32;
    for &b in data {
        c = TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_known_vectors() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        // GCS's base64 of the big-endian value for "hello world".
        assert_eq!(B64.encode(crc32c(b"hello world").to_be_bytes()), "yZRlqg==");
    }

    #[test]
    fn multipart_as_go_and_python_send_it() {
        let body = b"--b0\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{\"name\":\"env/default.tflock\",\"contentType\":\"application/json\"}\r\n--b0\r\nContent-Type: application/octet-stream\r\n\r\n\r\n-bytes\x00\xff\r\n--b0--\r\n";
        let (meta, t, data) =
            parse_multipart("multipart/related; boundary=b0", body).expect("parses");
        assert_eq!(meta["name"], "env/default.tflock");
        assert_eq!(t.as_deref(), Some("application/octet-stream"));
        assert_eq!(data, b"\r\n-bytes\x00\xff");
        let quoted = b"--==x==\r\ncontent-type: application/json\r\n\r\n{}\r\n--==x==\r\ncontent-type: text/plain\r\n\r\nhi\r\n--==x==--";
        let (meta, t, data) =
            parse_multipart("multipart/related; boundary=\"==x==\"", quoted).expect("parses");
        assert_eq!(
            (meta, t.as_deref(), data.as_slice()),
            (json!({}), Some("text/plain"), &b"hi"[..])
        );
        // Empty media.
        let empty = b"--b\r\n\r\n{}\r\n--b\r\n\r\n\r\n--b--";
        assert_eq!(
            parse_multipart("multipart/related; boundary=b", empty)
                .expect("parses")
                .2,
            b""
        );
    }

    #[test]
    fn bad_multipart_is_an_error_not_a_panic() {
        for (ct, body) in [
            ("multipart/related", &b"x"[..]),
            ("multipart/related; boundary=b", b""),
            ("multipart/related; boundary=b", b"--b"),
            ("multipart/related; boundary=b", b"--b\r\n"),
            ("multipart/related; boundary=b", b"--b\r\n\r\n"),
            ("multipart/related; boundary=b", b"--b\r\n\r\n{}\r\n--b--"),
            (
                "multipart/related; boundary=b",
                b"--b\r\n\r\n[1]\r\n--b\r\n\r\nx\r\n--b--",
            ),
            ("multipart/related; boundary=b", b"--bxx"),
        ] {
            assert!(parse_multipart(ct, body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn preconditions_as_gcs_reads_them() {
        let p = |q: &[(&str, &str)]| {
            let q: Vec<(String, String)> = q
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            Preconditions::parse(&q).ok().expect("valid")
        };
        assert!(p(&[("ifGenerationMatch", "0")]).hold(None));
        assert!(!p(&[("ifGenerationMatch", "0")]).hold(Some((5, 1))));
        assert!(!p(&[("ifGenerationMatch", "5")]).hold(None));
        assert!(p(&[("ifGenerationMatch", "5")]).hold(Some((5, 1))));
        assert!(!p(&[("ifGenerationNotMatch", "5")]).hold(Some((5, 1))));
        assert!(!p(&[("ifMetagenerationMatch", "1")]).hold(None));
        assert!(!p(&[("ifMetagenerationNotMatch", "1")]).hold(Some((5, 1))));
        assert!(p(&[("ifMetagenerationNotMatch", "2")]).hold(Some((5, 1))));
        let bad = vec![("ifGenerationMatch".to_string(), "x".to_string())];
        assert!(Preconditions::parse(&bad).is_err());
    }

    #[test]
    fn ranges_and_paths() {
        assert_eq!(content_range("bytes 0-9/*"), Some((Some((0, 9)), None)));
        assert_eq!(content_range("bytes */10"), Some((None, Some(10))));
        assert_eq!(content_range("bytes 9-0/10"), None);
        assert_eq!(byte_range("bytes=2-", 5), Some((2, 4)));
        assert_eq!(byte_range("bytes=-2", 5), Some((3, 4)));
        assert_eq!(byte_range("bytes=7-9", 5), None);
        assert_eq!(
            target(&Method::GET, "/storage/v1/b/tf/o/env%2Fdefault.tfstate"),
            Some(Target::Object {
                bucket: "tf".into(),
                name: "env/default.tfstate".into()
            })
        );
        assert_eq!(
            target(&Method::GET, "/tf/env/default.tfstate"),
            Some(Target::Xml {
                bucket: "tf".into(),
                name: "env/default.tfstate".into()
            })
        );
        assert_eq!(target(&Method::GET, "/v1/projects/p"), None);
        assert_eq!(target(&Method::POST, "/tf/x"), None);
        assert_eq!(target(&Method::GET, "/storage/v1/b/tf"), None);
    }
}
