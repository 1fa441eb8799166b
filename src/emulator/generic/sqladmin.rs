//! Cloud SQL Admin (`sqladmin/v1`), served with the generic documents but in its own style:
//! instances, databases and users named by bare names under `projects/{p}/instances`, users
//! keyed by name and host (given in the query of update and delete), every change answered
//! with a Cloud SQL operation (`status: DONE` at once, kept under `projects/{p}/operations`
//! where the client polls it), and what Cloud SQL fills on its own: settings defaults, the
//! connection name, addresses, the default database and user of each engine. A deleted
//! instance's name cannot be used again for a week, as on Google.

use serde_json::{json, Map, Value};

use super::body;
use super::doc::{Kind, Method};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::request::{list_body, paginate, Call};
use crate::emulator::world::{rfc3339, World};

const LINK: &str = "https://sqladmin.googleapis.com/v1/";

/// True for Cloud SQL Admin's methods.
pub fn is_sqladmin(m: &Method) -> bool {
    m.doc.name == "sqladmin"
}

/// Which collection a path names: `projects/p/instances[/i[/databases|users[/x]]]`.
fn collection(segs: &[String]) -> &str {
    match segs.len() {
        3 | 4 => segs[2].as_str(),
        _ => segs.get(4).map_or("", String::as_str),
    }
}

/// Runs one method; `c.segs` is `projects/{p}/...` (the version is apart).
pub fn run(c: &Call, w: &mut World, m: &'static Method) -> ApiResult {
    let project = c.segs.get(1).cloned().unwrap_or_default();
    w.consume(&project, c.user_project.as_deref(), &m.doc.service)?;
    let path = c.segs.join("/");
    match (collection(&c.segs), &m.kind) {
        ("operations", Kind::Get) => stored(w, &path, "operation"),
        ("instances", Kind::Create) => insert_instance(c, w, m, &path),
        ("instances", Kind::Get) => stored(w, &path, "instance"),
        ("instances", Kind::List) => list(c, w, &path, "sql#instancesList"),
        ("instances", Kind::Patch) => change_instance(c, w, m, &path, false),
        ("instances", Kind::Custom(v)) if v == "update" => change_instance(c, w, m, &path, true),
        ("instances", Kind::Delete) => delete_instance(c, w, &path),
        ("databases", Kind::Create) => insert_database(c, w, m, &path),
        ("databases", Kind::Get) => stored(w, &path, "database"),
        ("databases", Kind::List) => children(c, w, &path, "sql#databasesList"),
        ("databases", Kind::Patch) => change_database(c, w, m, &path),
        ("databases", Kind::Custom(v)) if v == "update" => change_database(c, w, m, &path),
        ("databases", Kind::Delete) => delete_child(c, w, &path, "DELETE_DATABASE"),
        ("users", Kind::Create) => insert_user(c, w, m, &path),
        ("users", Kind::Get) => {
            let (parent, name) = path.rsplit_once('/').unwrap_or_default();
            let host = c.q("host").unwrap_or_default();
            stored(w, &user_path(parent, name, host), "user")
        }
        ("users", Kind::List) => children(c, w, &path, "sql#usersList"),
        ("users", Kind::Custom(v)) if v == "update" => change_user(c, w, m, &path),
        ("users", Kind::Delete) => {
            let at = user_path(
                &path,
                c.q("name").unwrap_or_default(),
                c.q("host").unwrap_or_default(),
            );
            delete_child(c, w, &at, "DELETE_USER")
        }
        _ => Err(ApiError::new(
            501,
            "UNIMPLEMENTED",
            format!("{} is not emulated", m.id),
        )),
    }
}

/// The project of a path `projects/{p}/...` (the method's template guarantees it is there).
fn project_of(c: &Call) -> String {
    c.segs.get(1).cloned().unwrap_or_default()
}

fn stored(w: &World, path: &str, what: &str) -> ApiResult {
    w.generic
        .get(&format!("sqladmin:{path}"))
        .cloned()
        .ok_or_else(|| not_found(what))
}

fn not_found(what: &str) -> ApiError {
    let message = match what {
        "instance" => "The Cloud SQL instance does not exist.".to_owned(),
        "database" => "Not Found".to_owned(),
        other => format!("The {other} does not exist."),
    };
    ApiError::new(404, "NOT_FOUND", message)
}

/// Where a user is kept: by name and host (`%` and `` are different MySQL users).
fn user_path(users: &str, name: &str, host: &str) -> String {
    format!("{users}/{name}@{host}")
}

fn checked(c: &Call, m: &Method) -> ApiResult<Map<String, Value>> {
    let schema = m.request_schema().unwrap_or(&Value::Null);
    match body::check(m.doc, schema, &c.body, "body")? {
        Value::Object(o) => Ok(o),
        _ => Err(ApiError::invalid(
            "Invalid request: the body must be an object.",
        )),
    }
}

fn text<'a>(o: &'a Map<String, Value>, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn check_name(name: &str) -> ApiResult<()> {
    let ok = (1..=98).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "Invalid request: Invalid instance name \"{name}\": use lowercase letters, numbers and hyphens, starting with a letter."
        )))
    }
}

/// `instances.insert`.
fn insert_instance(c: &Call, w: &mut World, m: &Method, path: &str) -> ApiResult {
    let mut obj = checked(c, m)?;
    let name = text(&obj, "name").to_owned();
    if name.is_empty() {
        return Err(ApiError::invalid(
            "Invalid request: Missing parameter: name.",
        ));
    }
    check_name(&name)?;
    if text(&obj, "databaseVersion").is_empty() {
        return Err(ApiError::invalid(
            "Invalid request: Missing parameter: databaseVersion.",
        ));
    }
    let tier = obj.get("settings").and_then(|s| s.get("tier"));
    if tier.and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(ApiError::invalid(
            "Invalid request: Missing parameter: settings.tier.",
        ));
    }
    let full = format!("{path}/{name}");
    if w.generic.contains_key(&format!("sqladmin:{full}")) {
        return Err(ApiError::new(
            409,
            "ALREADY_EXISTS",
            "The Cloud SQL instance already exists.",
        ));
    }
    if w.generic.contains_key(&format!("sqladmin:deleted/{full}")) {
        return Err(ApiError::new(
            409,
            "ALREADY_EXISTS",
            "The Cloud SQL instance already exists. When you delete an instance, you can't reuse the name of the deleted instance until one week from the deletion date.",
        ));
    }
    let project = project_of(c);
    let number = w.project(&project)?.number;
    peered(w, &obj)?;
    fill_instance(w, c, &mut obj, &project, &number, &full);
    let engine = text(&obj, "databaseVersion").to_owned();
    w.generic
        .insert(format!("sqladmin:{full}"), Value::Object(obj));
    engine_defaults(w, &project, &full, &name, &engine);
    Ok(operation(c, w, &project, "CREATE", &full, &name))
}

/// A private IP needs the network's private services connection first (the classic missing
/// `depends_on`): Google refuses the instance until it exists.
fn peered(w: &mut World, obj: &Map<String, Value>) -> ApiResult<()> {
    let Some(net) = obj["settings"]["ipConfiguration"]["privateNetwork"]
        .as_str()
        .filter(|n| !n.is_empty())
    else {
        return Ok(());
    };
    let parts: Vec<&str> = net.split('/').collect();
    let at = parts.iter().position(|p| *p == "projects");
    let (project, name) = match at {
        Some(i) if parts.len() == i + 5 => (parts[i + 1], parts[i + 4]),
        _ => {
            return Err(ApiError::invalid(format!(
                "Invalid request: Invalid private network '{net}'."
            )))
        }
    };
    let number = w.project(project)?.number;
    let key = format!(
        "servicenetworking:services/servicenetworking.googleapis.com/connections/{number}/{name}"
    );
    if w.generic.contains_key(&key) {
        return Ok(());
    }
    Err(ApiError::new(
        400,
        "FAILED_PRECONDITION",
        format!("Failed to create subnetwork. Please create Service Networking connection with service 'servicenetworking.googleapis.com' from consumer project '{project}' network '{name}' again."),
    ))
}

/// What Cloud SQL fills on an instance (and keeps on every change).
fn fill_instance(
    w: &mut World,
    c: &Call,
    obj: &mut Map<String, Value>,
    project: &str,
    number: &str,
    full: &str,
) {
    let name = text(obj, "name").to_owned();
    obj.remove("rootPassword");
    let region = obj
        .get("region")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .unwrap_or("us-central1")
        .to_owned();
    let n = w.next_rand();
    let settings = obj.entry("settings").or_insert_with(|| json!({}));
    if let Value::Object(s) = settings {
        settings_defaults(s, &region, n);
    }
    let s = &obj["settings"];
    let public = s["ipConfiguration"]["ipv4Enabled"]
        .as_bool()
        .unwrap_or(true);
    let private = s["ipConfiguration"]["privateNetwork"]
        .as_str()
        .is_some_and(|p| !p.is_empty());
    let zone = s["locationPreference"]["zone"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut ips = Vec::new();
    if public {
        ips.push(json!({"type": "PRIMARY", "ipAddress": format!("34.{}.{}.{}", n % 200 + 20, (n >> 8) % 250, (n >> 16) % 250 + 2)}));
        ips.push(json!({"type": "OUTGOING", "ipAddress": format!("35.{}.{}.{}", n % 200 + 20, (n >> 24) % 250, (n >> 32) % 250 + 2)}));
    }
    if private {
        ips.push(json!({"type": "PRIVATE", "ipAddress": format!("10.{}.0.{}", n % 250, (n >> 8) % 250 + 2)}));
    }
    let fill = [
        ("kind", json!("sql#instance")),
        ("state", json!("RUNNABLE")),
        ("project", json!(project)),
        ("region", json!(region)),
        ("gceZone", json!(zone)),
        ("backendType", json!("SECOND_GEN")),
        ("instanceType", json!("CLOUD_SQL_INSTANCE")),
        (
            "connectionName",
            json!(format!("{project}:{region}:{name}")),
        ),
        ("selfLink", json!(format!("{LINK}{full}"))),
        ("ipAddresses", json!(ips)),
        (
            "serviceAccountEmailAddress",
            json!(format!(
                "p{number}-{:06x}@gcp-sa-cloud-sql.iam.gserviceaccount.com",
                n & 0xff_ffff
            )),
        ),
        (
            "databaseInstalledVersion",
            json!(installed(text(obj, "databaseVersion"))),
        ),
        (
            "maintenanceVersion",
            json!(format!(
                "{}.R20261001.01_00",
                installed(text(obj, "databaseVersion"))
            )),
        ),
        ("etag", json!(format!("{:016x}", w.next_rand()))),
    ];
    for (k, v) in fill {
        obj.insert(k.into(), v);
    }
    obj.entry("createTime")
        .or_insert_with(|| json!(rfc3339(c.now_ms)));
    obj.insert(
        "serverCaCert".into(),
        json!({"kind": "sql#sslCert", "certSerialNumber": "0", "cert": "-----BEGIN CERTIFICATE-----\nemulator\n-----END CERTIFICATE-----",
               "commonName": format!("C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA,dnQualifier={name}"),
               "sha1Fingerprint": format!("{:040x}", u128::from(n)), "instance": name,
               "createTime": rfc3339(c.now_ms), "expirationTime": rfc3339(c.now_ms + 10 * 365 * 86_400_000)}),
    );
}

/// `POSTGRES_15` → `POSTGRES_15_8`.
fn installed(version: &str) -> String {
    match version.split('_').next() {
        Some("POSTGRES") => format!("{version}_8"),
        Some("MYSQL") => format!("{version}_39"),
        _ => version.to_owned(),
    }
}

fn settings_defaults(s: &mut Map<String, Value>, region: &str, n: u64) {
    let zone = format!("{region}-{}", ["a", "b", "c", "f"][(n % 4) as usize]);
    let defaults = [
        ("kind", json!("sql#settings")),
        ("availabilityType", json!("ZONAL")),
        ("pricingPlan", json!("PER_USE")),
        ("replicationType", json!("SYNCHRONOUS")),
        ("activationPolicy", json!("ALWAYS")),
        ("dataDiskSizeGb", json!("10")),
        ("dataDiskType", json!("PD_SSD")),
        ("storageAutoResize", json!(true)),
        ("storageAutoResizeLimit", json!("0")),
        ("edition", json!("ENTERPRISE")),
        ("connectorEnforcement", json!("NOT_REQUIRED")),
        ("settingsVersion", json!("1")),
    ];
    for (k, v) in defaults {
        s.entry(k).or_insert(v);
    }
    let ip = s.entry("ipConfiguration").or_insert_with(|| json!({}));
    for (k, v) in [
        ("ipv4Enabled", json!(true)),
        ("sslMode", json!("ALLOW_UNENCRYPTED_AND_ENCRYPTED")),
        ("serverCaMode", json!("GOOGLE_MANAGED_INTERNAL_CA")),
        ("requireSsl", json!(false)),
    ] {
        if let Value::Object(ip) = ip {
            ip.entry(k).or_insert(v);
        }
    }
    let backup = s.entry("backupConfiguration").or_insert_with(|| json!({}));
    if let Value::Object(b) = backup {
        for (k, v) in [
            ("kind", json!("sql#backupConfiguration")),
            ("enabled", json!(false)),
            ("startTime", json!(format!("{:02}:00", n % 24))),
            ("transactionLogRetentionDays", json!(7)),
            (
                "backupRetentionSettings",
                json!({"retentionUnit": "COUNT", "retainedBackups": 7}),
            ),
            ("backupTier", json!("STANDARD")),
        ] {
            b.entry(k).or_insert(v);
        }
    }
    let loc = s.entry("locationPreference").or_insert_with(|| json!({}));
    if let Value::Object(l) = loc {
        l.entry("zone").or_insert(json!(zone));
        l.entry("kind").or_insert(json!("sql#locationPreference"));
    }
    s.entry("maintenanceWindow")
        .or_insert_with(|| json!({"kind": "sql#maintenanceWindow", "hour": 0, "day": 0}));
    s.entry("dataCacheConfig")
        .or_insert_with(|| json!({"dataCacheEnabled": false}));
}

/// The database and user each engine starts with.
fn engine_defaults(w: &mut World, project: &str, full: &str, instance: &str, engine: &str) {
    let (dbs, users): (&[&str], &[(&str, &str)]) = match engine.split('_').next() {
        Some("POSTGRES") => (&["postgres"], &[("postgres", "")]),
        Some("MYSQL") => (
            &["information_schema", "mysql", "performance_schema", "sys"],
            &[("root", "%")],
        ),
        _ => (&["master", "model", "msdb", "tempdb"], &[("sqlserver", "")]),
    };
    for db in dbs {
        let mut d = json!({"name": db, "instance": instance, "project": project});
        database_defaults(&mut d, engine, &format!("{full}/databases/{db}"));
        w.generic
            .insert(format!("sqladmin:{full}/databases/{db}"), d);
    }
    for (name, host) in users {
        let mut u = json!({"kind": "sql#user", "name": name, "instance": instance, "project": project, "etag": ""});
        if !host.is_empty() {
            u["host"] = json!(host);
        }
        w.generic.insert(
            format!(
                "sqladmin:{}",
                user_path(&format!("{full}/users"), name, host)
            ),
            u,
        );
    }
}

fn database_defaults(d: &mut Value, engine: &str, full: &str) {
    let (charset, collation) = match engine.split('_').next() {
        Some("POSTGRES") => ("UTF8", "en_US.UTF8"),
        Some("MYSQL") => ("utf8mb4", "utf8mb4_0900_ai_ci"),
        _ => ("", "SQL_Latin1_General_CP1_CI_AS"),
    };
    if d["charset"].as_str().is_none_or(str::is_empty) && !charset.is_empty() {
        d["charset"] = json!(charset);
    }
    if d["collation"].as_str().is_none_or(str::is_empty) {
        d["collation"] = json!(collation);
    }
    d["kind"] = json!("sql#database");
    d["selfLink"] = json!(format!("{LINK}{full}"));
    d["etag"] = json!("");
}

/// Merges `sent` into `obj`: nested objects field by field, anything else replaced.
fn merge(obj: &mut Map<String, Value>, sent: Map<String, Value>) {
    for (k, v) in sent {
        match (obj.get_mut(&k), v) {
            (Some(Value::Object(have)), Value::Object(new)) => merge(have, new),
            (_, v) => {
                obj.insert(k, v);
            }
        }
    }
}

/// `instances.patch` (the fields sent) or `instances.update` (the whole object).
fn change_instance(c: &Call, w: &mut World, m: &Method, path: &str, whole: bool) -> ApiResult {
    let Value::Object(mut obj) = stored(w, path, "instance")? else {
        return Err(not_found("instance"));
    };
    let mut sent = checked(c, m)?;
    let name = obj["name"].as_str().unwrap_or_default().to_owned();
    if !text(&sent, "name").is_empty() && text(&sent, "name") != name {
        return Err(ApiError::invalid(
            "Invalid request: the instance name cannot be changed.",
        ));
    }
    let region = obj["region"].as_str().unwrap_or_default().to_owned();
    if !text(&sent, "region").is_empty() && text(&sent, "region") != region {
        return Err(ApiError::invalid(
            "Invalid request: the region of an instance cannot be changed.",
        ));
    }
    let current = obj["settings"]["settingsVersion"]
        .as_str()
        .unwrap_or("1")
        .to_owned();
    let asked = sent
        .get("settings")
        .and_then(|s| s.get("settingsVersion"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if asked.as_deref().is_some_and(|v| v != current) {
        return Err(ApiError::new(
            412,
            "FAILED_PRECONDITION",
            "Precondition check failed: the settings were changed since settingsVersion was read.",
        ));
    }
    for k in [
        "selfLink",
        "connectionName",
        "ipAddresses",
        "serverCaCert",
        "serviceAccountEmailAddress",
        "state",
        "kind",
        "etag",
        "project",
    ] {
        sent.remove(k);
    }
    if whole {
        // A PUT replaces the object: what it leaves out takes Cloud SQL's defaults again.
        let keep = ["name", "createTime", "databaseVersion", "region"];
        obj.retain(|k, _| keep.contains(&k.as_str()));
    }
    merge(&mut obj, sent);
    let next = current.parse::<u64>().unwrap_or(1) + 1;
    if let Some(Value::Object(s)) = obj.get_mut("settings") {
        s.insert("settingsVersion".into(), json!(next.to_string()));
    }
    let project = project_of(c);
    let number = w.project(&project)?.number;
    peered(w, &obj)?;
    fill_instance(w, c, &mut obj, &project, &number, path);
    w.generic
        .insert(format!("sqladmin:{path}"), Value::Object(obj));
    Ok(operation(c, w, &project, "UPDATE", path, &name))
}

/// `instances.delete`: refused while Cloud SQL's own deletion protection is on; takes the
/// instance's databases and users with it and reserves the name for a week.
fn delete_instance(c: &Call, w: &mut World, path: &str) -> ApiResult {
    let obj = stored(w, path, "instance")?;
    if obj["settings"]["deletionProtectionEnabled"].as_bool() == Some(true) {
        return Err(ApiError::new(
            400,
            "FAILED_PRECONDITION",
            "The instance is protected from deletion. Disable deletion protection (settings.deletionProtectionEnabled) and try again.",
        ));
    }
    let prefix = format!("sqladmin:{path}/");
    let inside: Vec<String> = w
        .generic
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in inside {
        w.generic.remove(&k);
    }
    w.generic.remove(&format!("sqladmin:{path}"));
    w.generic
        .insert(format!("sqladmin:deleted/{path}"), json!(rfc3339(c.now_ms)));
    let project = project_of(c);
    let name = obj["name"].as_str().unwrap_or_default().to_owned();
    Ok(operation(c, w, &project, "DELETE", path, &name))
}

/// The instance a database or user path is under, which must exist.
fn instance_of(w: &World, path: &str) -> ApiResult<Value> {
    let inst: Vec<&str> = path.split('/').take(4).collect();
    stored(w, &inst.join("/"), "instance")
}

/// `databases.insert`.
fn insert_database(c: &Call, w: &mut World, m: &Method, path: &str) -> ApiResult {
    let inst = instance_of(w, path)?;
    let obj = checked(c, m)?;
    let name = text(&obj, "name").to_owned();
    if name.is_empty() {
        return Err(ApiError::invalid(
            "Invalid request: Missing parameter: name.",
        ));
    }
    let full = format!("{path}/{name}");
    if w.generic.contains_key(&format!("sqladmin:{full}")) {
        return Err(ApiError::new(
            409,
            "ALREADY_EXISTS",
            format!("Invalid request: database \"{name}\" already exists."),
        ));
    }
    let mut d = Value::Object(obj);
    d["instance"] = inst["name"].clone();
    d["project"] = json!(project_of(c));
    database_defaults(
        &mut d,
        inst["databaseVersion"].as_str().unwrap_or_default(),
        &full,
    );
    w.generic.insert(format!("sqladmin:{full}"), d);
    let project = project_of(c);
    Ok(operation(c, w, &project, "CREATE_DATABASE", &full, &name))
}

/// `databases.patch` / `databases.update`: charset and collation change.
fn change_database(c: &Call, w: &mut World, m: &Method, path: &str) -> ApiResult {
    let Value::Object(mut obj) = stored(w, path, "database")? else {
        return Err(not_found("database"));
    };
    let mut sent = checked(c, m)?;
    for k in ["name", "instance", "project", "selfLink", "kind", "etag"] {
        sent.remove(k);
    }
    merge(&mut obj, sent);
    let name = text(&obj, "name").to_owned();
    w.generic
        .insert(format!("sqladmin:{path}"), Value::Object(obj));
    let project = project_of(c);
    Ok(operation(c, w, &project, "UPDATE_DATABASE", path, &name))
}

/// `users.insert`: the password is kept apart and never answered.
fn insert_user(c: &Call, w: &mut World, m: &Method, path: &str) -> ApiResult {
    let inst = instance_of(w, path)?;
    let mut obj = checked(c, m)?;
    let name = text(&obj, "name").to_owned();
    if name.is_empty() {
        return Err(ApiError::invalid(
            "Invalid request: Missing parameter: name.",
        ));
    }
    let mysql = inst["databaseVersion"]
        .as_str()
        .is_some_and(|v| v.starts_with("MYSQL"));
    let host = match text(&obj, "host") {
        "" if mysql => "%".to_owned(),
        // Only MySQL users have a host.
        _ if !mysql => String::new(),
        h => h.to_owned(),
    };
    let at = user_path(path, &name, &host);
    if w.generic.contains_key(&format!("sqladmin:{at}")) {
        return Err(ApiError::new(
            409,
            "ALREADY_EXISTS",
            format!("Invalid request: user \"{name}\" already exists."),
        ));
    }
    store_password(w, &at, obj.remove("password"));
    obj.insert("kind".into(), json!("sql#user"));
    obj.insert("instance".into(), inst["name"].clone());
    obj.insert("project".into(), json!(project_of(c)));
    obj.insert("etag".into(), json!(""));
    if host.is_empty() {
        obj.remove("host");
    } else {
        obj.insert("host".into(), json!(host));
    }
    w.generic
        .insert(format!("sqladmin:{at}"), Value::Object(obj));
    let project = project_of(c);
    Ok(operation(c, w, &project, "CREATE_USER", path, &name))
}

/// Passwords live beside the users, outside every answer.
fn store_password(w: &mut World, at: &str, password: Option<Value>) {
    if let Some(p) = password {
        w.generic.insert(format!("sqladmin-password:{at}"), p);
    }
}

/// `users.update` (`?name=&host=`): a new password, or other fields.
fn change_user(c: &Call, w: &mut World, m: &Method, path: &str) -> ApiResult {
    let name = c.q("name").unwrap_or_default().to_owned();
    let at = user_path(path, &name, c.q("host").unwrap_or_default());
    let Value::Object(mut obj) = stored(w, &at, "user")? else {
        return Err(not_found("user"));
    };
    let mut sent = checked(c, m)?;
    store_password(w, &at, sent.remove("password"));
    for k in ["name", "host", "instance", "project", "kind", "etag"] {
        sent.remove(k);
    }
    merge(&mut obj, sent);
    w.generic
        .insert(format!("sqladmin:{at}"), Value::Object(obj));
    let project = project_of(c);
    Ok(operation(c, w, &project, "UPDATE_USER", path, &name))
}

fn delete_child(c: &Call, w: &mut World, at: &str, kind: &str) -> ApiResult {
    let what = if kind == "DELETE_USER" {
        "user"
    } else {
        "database"
    };
    let obj = stored(w, at, what)?;
    w.generic.remove(&format!("sqladmin:{at}"));
    w.generic.remove(&format!("sqladmin-password:{at}"));
    let project = project_of(c);
    let name = obj["name"].as_str().unwrap_or_default().to_owned();
    Ok(operation(c, w, &project, kind, at, &name))
}

/// The instances of a project.
fn list(c: &Call, w: &World, path: &str, kind: &str) -> ApiResult {
    let items = direct(w, path);
    page(c, items, kind)
}

/// The databases or users of an instance, which must exist.
fn children(c: &Call, w: &World, path: &str, kind: &str) -> ApiResult {
    instance_of(w, path)?;
    page(c, direct(w, path), kind)
}

fn direct(w: &World, path: &str) -> Vec<Value> {
    let prefix = format!("sqladmin:{path}/");
    w.generic
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, _)| !k[prefix.len()..].contains('/'))
        .map(|(_, v)| v.clone())
        .collect()
}

fn page(c: &Call, items: Vec<Value>, kind: &str) -> ApiResult {
    let (page, next) = paginate(items, c.q("maxResults"), c.q("pageToken"), 500, 500)?;
    let mut out = list_body("items", page, next);
    out["kind"] = json!(kind);
    Ok(out)
}

/// A finished Cloud SQL operation about `target`, kept where the client polls it.
fn operation(c: &Call, w: &mut World, project: &str, kind: &str, target: &str, id: &str) -> Value {
    let r = w.next_rand();
    let name = format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        r >> 32,
        (r >> 16) & 0xffff,
        r & 0xffff,
        c.now_ms & 0xffff,
        w.next_rand() & 0xffff_ffff_ffff
    );
    let now = rfc3339(c.now_ms);
    let op_path = format!("projects/{project}/operations/{name}");
    let op = json!({
        "kind": "sql#operation",
        "targetLink": format!("{LINK}{target}"),
        "status": "DONE",
        "user": "keyway@emulator",
        "insertTime": now,
        "startTime": now,
        "endTime": now,
        "operationType": kind,
        "name": name,
        "targetId": id,
        "selfLink": format!("{LINK}{op_path}"),
        "targetProject": project,
    });
    w.generic.insert(format!("sqladmin:{op_path}"), op.clone());
    op
}
