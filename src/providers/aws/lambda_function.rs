//! Lambda functions from a zip: the code uploaded from `filename` (or named in S3), the
//! configuration, and the waits Lambda asks for (a new function is `Pending` until `Active`;
//! a change runs until `LastUpdateStatus` is `Successful`, and the next change must wait).

use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Map, Value as Json};

use super::client::encode;
use super::{api_err, Aws};
use crate::aws::Service;
use crate::providers::wire::{self, Level};
use crate::providers::{ProviderError, Result};

type Obj = Map<String, Json>;

const TY: &str = "aws_lambda_function";
const API: &str = "/2015-03-31/functions";

fn s<'a>(o: &'a Obj, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Json::as_str).filter(|v| !v.is_empty())
}

/// The zip's bytes as Lambda takes them (base64), or where S3 holds it.
fn code(planned: &Obj) -> Result<Json> {
    if let Some(file) = s(planned, "filename") {
        let bytes = std::fs::read(file).map_err(|e| {
            ProviderError::new(format!(
                "{TY}: the Lambda zip `{file}` is missing or unreadable ({e}); an `archive_file` \
                 data source writes it when read, or build it before applying"
            ))
        })?;
        return Ok(json!({ "ZipFile": base64::engine::general_purpose::STANDARD.encode(bytes) }));
    }
    if let Some(image) = s(planned, "image_uri") {
        return Ok(json!({ "ImageUri": image }));
    }
    let mut c = json!({ "S3Bucket": s(planned, "s3_bucket"), "S3Key": s(planned, "s3_key") });
    if let Some(v) = s(planned, "s3_object_version") {
        c["S3ObjectVersion"] = json!(v);
    }
    Ok(c)
}

/// The configuration fields both create and UpdateFunctionConfiguration take.
fn configuration(planned: &Obj) -> Obj {
    let mut c = Obj::new();
    for (attr, field) in [
        ("role", "Role"),
        ("handler", "Handler"),
        ("runtime", "Runtime"),
        ("description", "Description"),
    ] {
        if let Some(v) = s(planned, attr) {
            c.insert(field.to_owned(), json!(v));
        }
    }
    for (attr, field) in [("memory_size", "MemorySize"), ("timeout", "Timeout")] {
        if let Some(v) = planned.get(attr).filter(|v| v.is_number()) {
            c.insert(field.to_owned(), v.clone());
        }
    }
    let variables = planned
        .get("environment")
        .and_then(Json::as_array)
        .and_then(|b| b.first())
        .and_then(|b| b.get("variables"))
        .cloned()
        .filter(|v| !v.is_null())
        .unwrap_or_else(|| json!({}));
    c.insert("Environment".to_owned(), json!({ "Variables": variables }));
    c.insert(
        "Layers".to_owned(),
        planned
            .get("layers")
            .cloned()
            .filter(|l| l.is_array())
            .unwrap_or_else(|| json!([])),
    );
    // The blocks the schema maps field by field (`tracing_config`, `vpc_config`, ...).
    c.extend(wire::to_wire(wired(), planned));
    c
}

/// The type's schema, whose nested configuration blocks (`tracing_config`, ...) carry wire
/// names; the other arguments are mapped by hand above.
fn wired() -> Level<'static> {
    // The schemas ship inside the binary and a test parses each one.
    let s = crate::schema::lookup_in(TY, false)
        .unwrap_or_else(|| panic!("invariant: the {TY} schema is built in"));
    Level {
        attributes: &s.attributes,
        blocks: &s.blocks,
    }
}

pub async fn create(aws: &Aws, planned: &Obj) -> Result<Obj> {
    let name = s(planned, "function_name").unwrap_or_default();
    let mut body = configuration(planned);
    body.insert("FunctionName".to_owned(), json!(name));
    body.insert("Code".to_owned(), code(planned)?);
    body.insert(
        "PackageType".to_owned(),
        json!(s(planned, "package_type").unwrap_or("Zip")),
    );
    body.insert(
        "Publish".to_owned(),
        json!(planned
            .get("publish")
            .and_then(Json::as_bool)
            .unwrap_or(false)),
    );
    if let Some(a) = planned
        .get("architectures")
        .filter(|a| a.as_array().is_some_and(|a| !a.is_empty()))
    {
        body.insert("Architectures".to_owned(), a.clone());
    }
    if let Some(t) = aws
        .tags_to_send(TY, planned)
        .get("tags")
        .filter(|t| t.is_object())
    {
        body.insert("Tags".to_owned(), t.clone());
    }
    let answer = aws
        .client
        .json(Service::Lambda, "POST", API, Some(&Json::Object(body)))
        .await
        .map_err(|e| super::create_err(TY, &format!("create function {name}"), e))?;
    let config = wait(
        aws,
        name,
        answer,
        ("State", "Active"),
        limit(planned, "create"),
    )
    .await?;
    from_configuration(aws, &config, planned)
}

/// How long `action` (`create`, `update`) may wait: the `timeouts` block's value (Go
/// duration syntax, `"15m"`), else Terraform's default of 10 minutes.
fn limit(planned: &Obj, action: &str) -> Duration {
    crate::providers::timeouts::of(planned, action, Duration::from_secs(600))
}

/// Reads the configuration until `field` is `done` (or says it failed), for at most `limit`.
async fn wait(
    aws: &Aws,
    name: &str,
    mut config: Json,
    (field, done): (&str, &str),
    limit: Duration,
) -> Result<Json> {
    let path = format!("{API}/{}/configuration", encode(name));
    let started = std::time::Instant::now();
    for attempt in 0u32.. {
        let status = config.get(field).and_then(Json::as_str).unwrap_or(done);
        if status == done {
            return Ok(config);
        }
        if status == "Failed" {
            let reason_field = if field == "State" {
                "StateReason"
            } else {
                "LastUpdateStatusReason"
            };
            let reason = config
                .get(reason_field)
                .and_then(Json::as_str)
                .unwrap_or("no reason given");
            return Err(ProviderError::new(format!(
                "{TY}: function {name} failed: {reason}"
            )));
        }
        if started.elapsed() >= limit {
            return Err(ProviderError::new(format!(
                "{TY}: function {name} still has {field} = {status} after {} s (the `timeouts` block can allow longer)",
                limit.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(if attempt < 10 { 250 } else { 1000 })).await;
        config = aws
            .client
            .json(Service::Lambda, "GET", &path, None)
            .await
            .map_err(|e| api_err(TY, "read", e))?;
    }
    Ok(config)
}

/// The attributes of a function configuration, `base` supplying the arguments Lambda does
/// not return (the zip's file name, tags on a list read).
fn from_configuration(aws: &Aws, config: &Json, base: &Obj) -> Result<Obj> {
    let field = |k: &str| config.get(k).cloned().unwrap_or(Json::Null);
    let mut out = base.clone();
    let name = field("FunctionName");
    let arn = config
        .get("FunctionArn")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let version = config
        .get("Version")
        .and_then(Json::as_str)
        .unwrap_or("$LATEST")
        .to_owned();
    let region = aws.client.region();
    let invoke = |arn: &str| {
        format!("arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations")
    };
    let qualified = format!("{arn}:{version}");
    for (attr, v) in [
        ("function_name", name.clone()),
        ("id", name),
        ("arn", json!(arn)),
        ("invoke_arn", json!(invoke(&arn))),
        ("qualified_arn", json!(qualified)),
        ("qualified_invoke_arn", json!(invoke(&qualified))),
        ("version", json!(version)),
        ("role", field("Role")),
        ("handler", field("Handler")),
        ("runtime", field("Runtime")),
        ("memory_size", field("MemorySize")),
        ("timeout", field("Timeout")),
        ("last_modified", field("LastModified")),
        ("code_sha256", field("CodeSha256")),
        ("source_code_size", field("CodeSize")),
        (
            "architectures",
            config
                .get("Architectures")
                .cloned()
                .unwrap_or_else(|| json!(["x86_64"])),
        ),
    ] {
        out.insert(attr.to_owned(), v);
    }
    let description = field("Description");
    out.insert(
        "description".to_owned(),
        if description.as_str() == Some("") && base.get("description").is_none_or(Json::is_null) {
            Json::Null
        } else {
            description
        },
    );
    if s(base, "source_code_hash").is_none() {
        out.insert("source_code_hash".to_owned(), field("CodeSha256"));
    }
    let layers: Vec<Json> = config
        .get("Layers")
        .and_then(Json::as_array)
        .map(|l| l.iter().filter_map(|x| x.get("Arn").cloned()).collect())
        .unwrap_or_default();
    out.insert(
        "layers".to_owned(),
        if layers.is_empty() && base.get("layers").is_none_or(Json::is_null) {
            Json::Null
        } else {
            Json::Array(layers)
        },
    );
    let variables = config
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()));
    out.insert(
        "environment".to_owned(),
        match variables {
            Some(v) => json!([{ "variables": v }]),
            None => json!([]),
        },
    );
    if let Some(config) = config.as_object() {
        let read = wire::from_wire(wired(), config, base);
        for (name, b) in wired().blocks {
            if b.wire.is_some() {
                out.insert(name.clone(), read.get(name).cloned().unwrap_or(Json::Null));
            }
        }
    }
    // ListFunctions leaves tags out: what the configuration and `default_tags` send stands.
    let tags = aws
        .tags_to_send(TY, base)
        .get("tags")
        .cloned()
        .filter(|t| !t.is_null());
    out.insert("tags_all".to_owned(), tags.unwrap_or_else(|| json!({})));
    Ok(out)
}

/// Every function (ListFunctions, all pages): one collection read for all of them.
pub async fn refresh(aws: &Aws, priors: &[Obj]) -> Result<Vec<Option<Obj>>> {
    let mut functions: Vec<Json> = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let path = match &marker {
            Some(m) => format!("{API}?Marker={}", encode(m)),
            None => format!("{API}/"),
        };
        let page = aws
            .client
            .json(Service::Lambda, "GET", &path, None)
            .await
            .map_err(|e| api_err(TY, "list functions", e))?;
        functions.extend(
            page.get("Functions")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        marker = page
            .get("NextMarker")
            .and_then(Json::as_str)
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    priors
        .iter()
        .map(|prior| {
            let name = s(prior, "function_name");
            match functions
                .iter()
                .find(|f| f.get("FunctionName").and_then(Json::as_str) == name)
            {
                Some(config) => from_configuration(aws, config, prior).map(Some),
                None => Ok(None),
            }
        })
        .collect()
}

pub async fn update(aws: &Aws, prior: &Obj, planned: &Obj) -> Result<Obj> {
    let name = s(prior, "function_name").unwrap_or_default().to_owned();
    let base = format!("{API}/{}", encode(&name));
    let code_changed = [
        "source_code_hash",
        "filename",
        "s3_bucket",
        "s3_key",
        "s3_object_version",
        "image_uri",
        "architectures",
    ]
    .iter()
    .any(|k| prior.get(*k) != planned.get(*k));
    let mut config = Json::Null;
    if code_changed {
        let mut body = match code(planned)? {
            Json::Object(m) => m,
            _ => Obj::new(),
        };
        body.insert(
            "Publish".to_owned(),
            json!(planned
                .get("publish")
                .and_then(Json::as_bool)
                .unwrap_or(false)),
        );
        let answer = aws
            .client
            .json(
                Service::Lambda,
                "PUT",
                &format!("{base}/code"),
                Some(&Json::Object(body)),
            )
            .await
            .map_err(|e| api_err(TY, "upload the code", e))?;
        config = wait(
            aws,
            &name,
            answer,
            ("LastUpdateStatus", "Successful"),
            limit(planned, "update"),
        )
        .await?;
    }
    let old = configuration(prior);
    let new = configuration(planned);
    if old != new {
        let answer = aws
            .client
            .json(
                Service::Lambda,
                "PUT",
                &format!("{base}/configuration"),
                Some(&Json::Object(new)),
            )
            .await
            .map_err(|e| api_err(TY, "update the configuration", e))?;
        config = wait(
            aws,
            &name,
            answer,
            ("LastUpdateStatus", "Successful"),
            limit(planned, "update"),
        )
        .await?;
    }
    if config.is_null() {
        config = aws
            .client
            .json(
                Service::Lambda,
                "GET",
                &format!("{base}/configuration"),
                None,
            )
            .await
            .map_err(|e| api_err(TY, "read", e))?;
    }
    from_configuration(aws, &config, planned)
}

pub async fn delete(aws: &Aws, prior: &Obj) -> Result<()> {
    let name = s(prior, "function_name").unwrap_or_default();
    match aws
        .client
        .json(
            Service::Lambda,
            "DELETE",
            &format!("{API}/{}", encode(name)),
            None,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err(TY, &format!("delete function {name}"), e)),
    }
}

/// Terraform's import ID: the function's name.
pub async fn import(aws: &Aws, id: &str, config: &Obj) -> Result<Obj> {
    let answer = aws
        .client
        .json(
            Service::Lambda,
            "GET",
            &format!("{API}/{}/configuration", encode(id)),
            None,
        )
        .await
        .map_err(|e| api_err(TY, &format!("import function {id}"), e))?;
    from_configuration(aws, &answer, config)
}
