//! Lambda functions with zip code (`/2015-03-31/functions`): create, get, configuration and
//! code updates, list, delete, and resource-policy permissions. A new function is `Pending`
//! until [`SETTLE_MS`] have passed and an update `InProgress` as long, as Lambda's state
//! machine is (clients must wait, and calls during an update get `ResourceConflictException`).

use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::super::world::World;
use super::iam::role_exists;
use super::store::Function;
use super::wire::{lambda_time, page, Answer, AwsError, AwsResult, Body, Req, ACCOUNT};
use super::Handler;

/// How long a create or update takes to settle.
pub const SETTLE_MS: u64 = 500;

pub fn route(req: &Req) -> Option<(&'static str, Handler)> {
    let segs = req.segs();
    let h: (&'static str, Handler) = match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["2015-03-31", "functions"]) => ("CreateFunction", create),
        ("GET", ["2015-03-31", "functions"]) => ("ListFunctions", list),
        ("GET", ["2015-03-31", "functions", _]) => ("GetFunction", get),
        ("DELETE", ["2015-03-31", "functions", _]) => ("DeleteFunction", delete),
        ("GET", ["2015-03-31", "functions", _, "configuration"]) => {
            ("GetFunctionConfiguration", get_config)
        }
        ("PUT", ["2015-03-31", "functions", _, "configuration"]) => {
            ("UpdateFunctionConfiguration", update_config)
        }
        ("PUT", ["2015-03-31", "functions", _, "code"]) => ("UpdateFunctionCode", update_code),
        ("POST", ["2015-03-31", "functions", _, "policy"]) => ("AddPermission", add_permission),
        ("GET", ["2015-03-31", "functions", _, "policy"]) => ("GetPolicy", get_policy),
        ("DELETE", ["2015-03-31", "functions", _, "policy", _]) => {
            ("RemovePermission", remove_permission)
        }
        _ => return None,
    };
    Some(h)
}

fn body<'a>(m: &'a Map<String, Value>) -> Body<'a> {
    Body {
        m,
        code: "InvalidParameterValueException",
    }
}

pub fn function_arn(region: &str, name: &str) -> String {
    format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{name}")
}

/// The function a path's `{FunctionName}` names: a name, a partial ARN (`123456789012:function:f`)
/// or a full ARN, optionally qualified (only `$LATEST` exists here).
fn name_of(raw: &str) -> Result<String, AwsError> {
    let after = raw.rsplit_once("function:").map(|(_, n)| n).unwrap_or(raw);
    let (name, qualifier) = after.split_once(':').unwrap_or((after, ""));
    if !valid_name(name) || !(qualifier.is_empty() || qualifier == "$LATEST") {
        return Err(AwsError::invalid_param(format!(
            "1 validation error detected: Value '{raw}' at 'functionName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
        )));
    }
    Ok(name.to_string())
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn key(req: &Req, name: &str) -> String {
    format!("{}/{name}", req.region)
}

fn not_found(req: &Req, name: &str) -> AwsError {
    AwsError::new(
        404,
        "ResourceNotFoundException",
        format!("Function not found: {}", function_arn(&req.region, name)),
    )
}

fn function<'a>(req: &Req, world: &'a mut World) -> Result<(String, &'a mut Function), AwsError> {
    let name = name_of(&req.segs[2])?;
    let k = key(req, &name);
    match world.aws.functions.get_mut(&k) {
        Some(f) => Ok((name, f)),
        None => Err(not_found(req, &name)),
    }
}

/// The configuration as read now: the state fields follow the clock.
fn configuration(f: &Function, now: u64) -> Value {
    let mut c = f.config.clone();
    let creating = now < f.created_ms + SETTLE_MS;
    let updating = !creating && now < f.updated_ms + SETTLE_MS;
    if creating {
        c["State"] = json!("Pending");
        c["StateReason"] = json!("The function is being created.");
        c["StateReasonCode"] = json!("Creating");
    } else {
        c["State"] = json!("Active");
        c["LastUpdateStatus"] = json!(if updating { "InProgress" } else { "Successful" });
        // No reason code while in progress: the model's codes are all failure reasons.
        if updating {
            c["LastUpdateStatusReason"] = json!("The function is being updated.");
        }
    }
    c
}

/// Lambda refuses changes while the function is still being created or updated.
fn settled(f: &Function, req: &Req) -> Result<(), AwsError> {
    if req.now_ms < f.created_ms.max(f.updated_ms) + SETTLE_MS {
        let arn = f.config["FunctionArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        return Err(AwsError::new(
            409,
            "ResourceConflictException",
            format!(
                "The operation cannot be performed at this time. An update is in progress for resource: {arn}"
            ),
        ));
    }
    Ok(())
}

/// A deployment package: base64 of a zip archive (its local-file or empty-archive signature).
fn zip_code(b64: &str) -> Result<(Vec<u8>, String), AwsError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| {
            AwsError::invalid_param("Could not decode ZipFile: it is not valid base64.")
        })?;
    if !(bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")) {
        return Err(AwsError::invalid_param(
            "Could not unzip uploaded file. Please check your file, then try to upload again.",
        ));
    }
    let sha = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
    Ok((bytes, sha))
}

fn revision(world: &mut World) -> String {
    world.uuid()
}

fn int_in(b: &Body, key: &str, lo: i64, hi: i64) -> Result<Option<i64>, AwsError> {
    match b.int(key)? {
        Some(n) if n < lo || n > hi => Err(AwsError::invalid_param(format!(
            "1 validation error detected: Value '{n}' at '{}' failed to satisfy constraint: \
             Member must have value between {lo} and {hi}",
            key.to_ascii_lowercase()
        ))),
        other => Ok(other),
    }
}

fn check_role(world: &World, role: &str) -> Result<(), AwsError> {
    if !role_exists(world, role) {
        return Err(AwsError::invalid_param(
            "The role defined for the function cannot be assumed by Lambda.",
        ));
    }
    Ok(())
}

/// Applies the configuration members shared by create and update to `c`.
fn apply_config(b: &Body, c: &mut Map<String, Value>) -> Result<(), AwsError> {
    for k in ["Runtime", "Handler", "Description", "Role", "KMSKeyArn"] {
        if let Some(v) = b.str(k)? {
            c.insert(k.into(), json!(v));
        }
    }
    if let Some(t) = int_in(b, "Timeout", 1, 900)? {
        c.insert("Timeout".into(), json!(t));
    }
    if let Some(m) = int_in(b, "MemorySize", 128, 10240)? {
        c.insert("MemorySize".into(), json!(m));
    }
    if let Some(env) = b.obj("Environment")? {
        let vars = body(env).str_map("Variables")?.unwrap_or_default();
        for k in vars.keys() {
            if k.is_empty() || !k.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                return Err(AwsError::invalid_param(format!(
                    "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys or invalid names: {k}"
                )));
            }
        }
        c.insert("Environment".into(), json!({"Variables": vars}));
    }
    if let Some(t) = b.obj("TracingConfig")? {
        let mode = body(t).str("Mode")?.unwrap_or_else(|| "PassThrough".into());
        if mode != "Active" && mode != "PassThrough" {
            return Err(AwsError::invalid_param(format!(
                "Invalid tracing mode {mode}"
            )));
        }
        c.insert("TracingConfig".into(), json!({"Mode": mode}));
    }
    if let Some(e) = b.obj("EphemeralStorage")? {
        let size = int_in(&body(e), "Size", 512, 10240)?.unwrap_or(512);
        c.insert("EphemeralStorage".into(), json!({"Size": size}));
    }
    if let Some(l) = b.obj("LoggingConfig")? {
        logging(&body(l), c)?;
    }
    if let Some(d) = b.obj("DeadLetterConfig")? {
        let target = body(d).str("TargetArn")?.unwrap_or_default();
        c.insert("DeadLetterConfig".into(), json!({"TargetArn": target}));
    }
    if let Some(v) = b.obj("VpcConfig")? {
        let v = body(v);
        let subnets = v.str_list("SubnetIds")?.unwrap_or_default();
        let groups = v.str_list("SecurityGroupIds")?.unwrap_or_default();
        // AWS looks the subnets' VPC up; the emulator has no VPCs and names one per subnet set.
        let vpc = match subnets.first() {
            Some(first) => format!("vpc-{:08x}", fnv(first)),
            None => String::new(),
        };
        let ipv6 = v.bool("Ipv6AllowedForDualStack")?.unwrap_or(false);
        c.insert(
            "VpcConfig".into(),
            json!({"SubnetIds": subnets, "SecurityGroupIds": groups, "VpcId": vpc, "Ipv6AllowedForDualStack": ipv6}),
        );
    }
    if let Some(layers) = b.str_list("Layers")? {
        let l: Vec<Value> = layers
            .into_iter()
            .map(|a| json!({"Arn": a, "CodeSize": 0}))
            .collect();
        c.insert("Layers".into(), Value::Array(l));
    }
    Ok(())
}

/// LoggingConfig as Lambda checks it: `Text` or `JSON`, log levels only with `JSON`.
fn logging(l: &Body<'_>, c: &mut Map<String, Value>) -> Result<(), AwsError> {
    let mut out = c
        .get("LoggingConfig")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(f) = l.str("LogFormat")? {
        if f != "Text" && f != "JSON" {
            return Err(AwsError::invalid_param(format!("Invalid LogFormat {f}")));
        }
        out.insert("LogFormat".into(), json!(f));
    }
    if let Some(g) = l.str("LogGroup")? {
        out.insert("LogGroup".into(), json!(g));
    }
    for k in ["ApplicationLogLevel", "SystemLogLevel"] {
        if let Some(v) = l.str(k)? {
            if out.get("LogFormat") != Some(&json!("JSON")) {
                return Err(AwsError::invalid_param(format!(
                    "{k} can be set only when LogFormat is JSON"
                )));
            }
            out.insert(k.into(), json!(v));
        }
    }
    c.insert("LoggingConfig".into(), Value::Object(out));
    Ok(())
}

/// A stable 32-bit FNV-1a hash (made-up IDs that stay the same across runs).
fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn create(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let name = b
        .str("FunctionName")?
        .ok_or_else(|| AwsError::invalid_param("FunctionName is required"))?;
    let name = name_of(&name)?;
    let role = b
        .str("Role")?
        .ok_or_else(|| AwsError::invalid_param("Role is required"))?;
    let code = b
        .obj("Code")?
        .ok_or_else(|| AwsError::invalid_param("Code is required"))?;
    let package = b.str("PackageType")?.unwrap_or_else(|| "Zip".into());
    if package != "Zip" {
        return Err(AwsError::invalid_param(
            "The keyway emulator runs zip packages only (PackageType Zip).",
        ));
    }
    if b.str("Runtime")?.is_none() || b.str("Handler")?.is_none() {
        return Err(AwsError::invalid_param(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
        ));
    }
    let zip = body(code).str("ZipFile")?.ok_or_else(|| {
        AwsError::invalid_param(
            "Code.ZipFile is required: the keyway emulator has no S3 to fetch code from.",
        )
    })?;
    let (bytes, sha) = zip_code(&zip)?;
    check_role(world, &role)?;
    let k = key(req, &name);
    if world.aws.functions.contains_key(&k) {
        return Err(AwsError::new(
            409,
            "ResourceConflictException",
            format!("Function already exist: {name}"),
        ));
    }
    let arn = function_arn(&req.region, &name);
    let mut c = Map::new();
    c.insert("FunctionName".into(), json!(name));
    c.insert("FunctionArn".into(), json!(arn));
    c.insert("Description".into(), json!(""));
    c.insert("Timeout".into(), json!(3));
    c.insert("MemorySize".into(), json!(128));
    c.insert("TracingConfig".into(), json!({"Mode": "PassThrough"}));
    c.insert("EphemeralStorage".into(), json!({"Size": 512}));
    c.insert(
        "LoggingConfig".into(),
        json!({"LogFormat": "Text", "LogGroup": format!("/aws/lambda/{name}")}),
    );
    apply_config(&b, &mut c)?;
    c.insert("CodeSize".into(), json!(bytes.len()));
    c.insert("CodeSha256".into(), json!(sha));
    c.insert("Version".into(), json!("$LATEST"));
    c.insert("LastModified".into(), json!(lambda_time(req.now_ms)));
    c.insert("RevisionId".into(), json!(revision(world)));
    c.insert("PackageType".into(), json!("Zip"));
    let arch = b
        .str_list("Architectures")?
        .unwrap_or_else(|| vec!["x86_64".into()]);
    if arch.len() != 1 || !(arch[0] == "x86_64" || arch[0] == "arm64") {
        return Err(AwsError::invalid_param(
            "Architectures must be one of [x86_64] or [arm64].",
        ));
    }
    c.insert("Architectures".into(), json!(arch));
    c.insert(
        "SnapStart".into(),
        json!({"ApplyOn": "None", "OptimizationStatus": "Off"}),
    );
    let tags = b
        .str_map("Tags")?
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect();
    let f = Function {
        config: Value::Object(c),
        zip_b64: zip,
        created_ms: req.now_ms,
        updated_ms: 0,
        statements: Vec::new(),
        tags,
    };
    let out = configuration(&f, req.now_ms);
    world.aws.functions.insert(k, f);
    Ok(Answer::Json(201, out))
}

fn get(req: &Req, world: &mut World) -> AwsResult {
    let (name, f) = function(req, world)?;
    let mut out = json!({
        "Configuration": configuration(f, req.now_ms),
        "Code": {
            "RepositoryType": "S3",
            "Location": format!(
                "https://awslambda-{0}-tasks.s3.{0}.amazonaws.com/snapshots/{ACCOUNT}/{name}",
                req.region
            ),
        },
    });
    if !f.tags.is_empty() {
        out["Tags"] = json!(f.tags);
    }
    Ok(Answer::Json(200, out))
}

fn get_config(req: &Req, world: &mut World) -> AwsResult {
    let (_, f) = function(req, world)?;
    Ok(Answer::Json(200, configuration(f, req.now_ms)))
}

fn list(req: &Req, world: &mut World) -> AwsResult {
    let prefix = format!("{}/", req.region);
    let all: Vec<Value> = world
        .aws
        .functions
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, f)| configuration(f, req.now_ms))
        .collect();
    let (items, next) = page(all, req.q("Marker"), req.q("MaxItems"), 50, 10_000)
        .map_err(|e| AwsError::invalid_param(e.message))?;
    let mut out = json!({"Functions": items});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(Answer::Json(200, out))
}

fn delete(req: &Req, world: &mut World) -> AwsResult {
    let name = name_of(&req.segs[2])?;
    if world.aws.functions.remove(&key(req, &name)).is_none() {
        return Err(not_found(req, &name));
    }
    Ok(Answer::Empty(204))
}

fn update_config(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    if let Some(role) = b.str("Role")? {
        check_role(world, &role)?;
    }
    let rev = revision(world);
    let (_, f) = function(req, world)?;
    settled(f, req)?;
    if let Some(want) = b.str("RevisionId")? {
        if f.config["RevisionId"] != json!(want) {
            return Err(AwsError::new(412, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"));
        }
    }
    let mut c = f.config.as_object().cloned().unwrap_or_default();
    apply_config(&b, &mut c)?;
    c.insert("LastModified".into(), json!(lambda_time(req.now_ms)));
    c.insert("RevisionId".into(), json!(rev));
    f.config = Value::Object(c);
    f.updated_ms = req.now_ms;
    Ok(Answer::Json(200, configuration(f, req.now_ms)))
}

fn update_code(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let zip = b.str("ZipFile")?.ok_or_else(|| {
        AwsError::invalid_param(
            "ZipFile is required: the keyway emulator has no S3 to fetch code from.",
        )
    })?;
    let (bytes, sha) = zip_code(&zip)?;
    let rev = revision(world);
    let (_, f) = function(req, world)?;
    settled(f, req)?;
    if b.bool("DryRun")? == Some(true) {
        return Ok(Answer::Json(200, configuration(f, req.now_ms)));
    }
    f.config["CodeSize"] = json!(bytes.len());
    f.config["CodeSha256"] = json!(sha);
    f.config["LastModified"] = json!(lambda_time(req.now_ms));
    f.config["RevisionId"] = json!(rev);
    f.zip_b64 = zip;
    f.updated_ms = req.now_ms;
    Ok(Answer::Json(200, configuration(f, req.now_ms)))
}

/// The principal as a policy statement writes it.
fn principal(p: &str) -> Value {
    if p == "*" {
        json!("*")
    } else if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        json!({"AWS": format!("arn:aws:iam::{p}:root")})
    } else if p.starts_with("arn:") {
        json!({"AWS": p})
    } else {
        json!({"Service": p})
    }
}

fn add_permission(req: &Req, world: &mut World) -> AwsResult {
    let m = req.obj()?;
    let b = body(&m);
    let sid = b.str("StatementId")?.unwrap_or_default();
    if sid.is_empty()
        || sid.len() > 100
        || !sid
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Err(AwsError::invalid_param(format!(
            "1 validation error detected: Value '{sid}' at 'statementId' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"
        )));
    }
    let action = b.str("Action")?.unwrap_or_default();
    if !action.starts_with("lambda:") {
        return Err(AwsError::invalid_param(format!(
            "1 validation error detected: Value '{action}' at 'action' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])"
        )));
    }
    let who = b
        .str("Principal")?
        .filter(|p| !p.is_empty())
        .ok_or_else(|| AwsError::invalid_param("Principal is required"))?;
    let source_arn = b.str("SourceArn")?;
    let source_account = b.str("SourceAccount")?;
    let rev = revision(world);
    let (_, f) = function(req, world)?;
    if f.statements.iter().any(|s| s["Sid"] == json!(sid)) {
        return Err(AwsError::new(
            409,
            "ResourceConflictException",
            format!("The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."),
        ));
    }
    let mut st = json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal(&who),
        "Action": action,
        "Resource": f.config["FunctionArn"].clone(),
    });
    let mut cond = Map::new();
    if let Some(a) = source_arn {
        cond.insert("ArnLike".into(), json!({"AWS:SourceArn": a}));
    }
    if let Some(a) = source_account {
        cond.insert("StringEquals".into(), json!({"AWS:SourceAccount": a}));
    }
    if !cond.is_empty() {
        st["Condition"] = Value::Object(cond);
    }
    f.statements.push(st.clone());
    f.config["RevisionId"] = json!(rev);
    Ok(Answer::Json(201, json!({"Statement": st.to_string()})))
}

fn get_policy(req: &Req, world: &mut World) -> AwsResult {
    let (_, f) = function(req, world)?;
    if f.statements.is_empty() {
        return Err(AwsError::new(
            404,
            "ResourceNotFoundException",
            "The resource you requested does not exist.",
        ));
    }
    let policy = json!({"Version": "2012-10-17", "Id": "default", "Statement": f.statements});
    Ok(Answer::Json(
        200,
        json!({"Policy": policy.to_string(), "RevisionId": f.config["RevisionId"].clone()}),
    ))
}

fn remove_permission(req: &Req, world: &mut World) -> AwsResult {
    let sid = req.segs[4].clone();
    let rev = revision(world);
    let (_, f) = function(req, world)?;
    let before = f.statements.len();
    f.statements.retain(|s| s["Sid"] != json!(sid));
    if f.statements.len() == before {
        return Err(AwsError::new(
            404,
            "ResourceNotFoundException",
            format!("Statement {sid} is not found in resource policy."),
        ));
    }
    f.config["RevisionId"] = json!(rev);
    Ok(Answer::Empty(204))
}
