//! The wire rules every AWS service module shares: the decoded request, answers and AWS's
//! error shapes per protocol (REST-JSON with `x-amzn-ErrorType`, query-protocol XML), the
//! services' timestamp formats, generated IDs, and the JSON body readers that turn a wrong
//! type into the 400 AWS gives instead of a panic.

use serde_json::{Map, Value};

use super::super::world::{rfc3339, World};

/// The one account every ARN, role and caller identity names.
pub const ACCOUNT: &str = "123456789012";

/// The AWS protocols the emulated services speak (they decide the error shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// API Gateway v1 and v2: `{"message": ...}`.
    ApiGateway,
    /// Lambda: `{"Type": "User", "Message": ...}`.
    Lambda,
    /// IAM and STS: `<ErrorResponse>` XML in the service's namespace.
    Query(&'static str),
}

/// One AWS request as the router decoded it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Percent-decoded path segments (`/restapis/a/resources` → `["restapis", "a", "resources"]`).
    pub segs: Vec<String>,
    pub query: Vec<(String, String)>,
    /// The region of the SigV4 credential scope.
    pub region: String,
    /// The access key ID of the credential scope (STS names the caller after it).
    pub access_key: String,
    /// The JSON body (`Null` when empty); a body that is not JSON never reaches a handler,
    /// except one of the operations whose body is a raw document (`raw_body` in `mod.rs`).
    pub body: Value,
    /// The body's bytes as sent, for ImportRestApi and PutRestApi (a JSON or YAML document);
    /// empty for every other operation.
    pub raw: Vec<u8>,
    /// Query-protocol parameters (IAM, STS), from the form body and the URL query.
    pub form: Vec<(String, String)>,
    /// When the request is served (ms since epoch).
    pub now_ms: u64,
}

impl Req {
    pub fn segs(&self) -> Vec<&str> {
        self.segs.iter().map(String::as_str).collect()
    }

    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body as an object (`{}` when absent); any other JSON value is a 400.
    pub fn obj(&self) -> Result<Map<String, Value>, AwsError> {
        match &self.body {
            Value::Null => Ok(Map::new()),
            Value::Object(m) => Ok(m.clone()),
            _ => Err(AwsError::bad_request(
                "SerializationException",
                "The request body must be a JSON object",
            )),
        }
    }
}

/// What a handler answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Json(u16, Value),
    Xml(u16, String),
    Empty(u16),
}

pub type AwsResult = Result<Answer, AwsError>;

/// An AWS error: status, the error code (`x-amzn-ErrorType` / `<Code>`) and the message.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        AwsError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        AwsError::new(400, code, message)
    }

    /// API Gateway's 400.
    pub fn bad(message: impl Into<String>) -> Self {
        AwsError::new(400, "BadRequestException", message)
    }

    /// API Gateway's 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        AwsError::new(404, "NotFoundException", message)
    }

    /// API Gateway's 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        AwsError::new(409, "ConflictException", message)
    }

    /// Lambda's 400 for a bad parameter.
    pub fn invalid_param(message: impl Into<String>) -> Self {
        AwsError::new(400, "InvalidParameterValueException", message)
    }

    /// The status, headers and body this error is sent as in `protocol`.
    pub fn render(
        &self,
        protocol: Protocol,
        request_id: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        match protocol {
            Protocol::ApiGateway => (
                self.status,
                vec![
                    ("x-amzn-ErrorType".into(), self.code.clone()),
                    ("content-type".into(), "application/json".into()),
                ],
                serde_json::json!({"message": self.message}).to_string(),
            ),
            Protocol::Lambda => (
                self.status,
                vec![
                    ("x-amzn-ErrorType".into(), self.code.clone()),
                    ("content-type".into(), "application/json".into()),
                ],
                serde_json::json!({"Type": if self.status >= 500 { "Service" } else { "User" }, "Message": self.message})
                    .to_string(),
            ),
            Protocol::Query(ns) => {
                let kind = if self.status >= 500 { "Receiver" } else { "Sender" };
                (
                    self.status,
                    vec![("content-type".into(), "text/xml".into())],
                    format!(
                        "<ErrorResponse xmlns=\"{ns}\"><Error><Type>{kind}</Type><Code>{}</Code>\
                         <Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                        super::xml::escape(&self.code),
                        super::xml::escape(&self.message)
                    ),
                )
            }
        }
    }
}

/// API Gateway v1's timestamps: epoch seconds (REST-JSON's default `unixTimestamp`).
pub fn epoch_secs(ms: u64) -> Value {
    Value::from(ms / 1000)
}

/// ISO 8601 to the second (`2020-04-09T17:39:33Z`): API Gateway v2, IAM, STS.
pub fn iso_secs(ms: u64) -> String {
    format!("{}Z", &rfc3339(ms)[..19])
}

/// Lambda's `LastModified` (`2019-08-14T22:18:30.000+0000`).
pub fn lambda_time(ms: u64) -> String {
    format!("{}.{:03}+0000", &rfc3339(ms)[..19], ms % 1000)
}

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MIXED_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A lowercase alphanumeric ID of `n` characters, as API Gateway generates (`a1b2c3d4e5`).
pub fn short_id(world: &mut World, n: usize) -> String {
    world.token(n, LOWER_ALNUM)
}

/// An IAM unique ID: a four-letter prefix (`AROA` roles, `AIDA` users) and 17 uppercase
/// alphanumerics.
pub fn iam_unique_id(world: &mut World, prefix: &str) -> String {
    format!("{prefix}{}", world.token(17, UPPER_ALNUM))
}

/// An API key value: 40 mixed-case alphanumerics, the length API Gateway generates.
pub fn key_value(world: &mut World) -> String {
    world.token(40, MIXED_ALNUM)
}

/// Slices `items` for one page; the token is the offset of the next page, opaque to clients.
pub fn page<T>(
    items: Vec<T>,
    token: Option<&str>,
    limit: Option<&str>,
    default: usize,
    max: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let size = match limit {
        None | Some("") => default,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n >= 1 && n <= max => n,
            _ => {
                return Err(AwsError::bad(format!(
                    "Invalid limit {s}: must be between 1 and {max}"
                )))
            }
        },
    };
    let offset = match token {
        None | Some("") => 0,
        Some(t) => b64
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("p:").and_then(|n| n.parse::<usize>().ok()))
            .ok_or_else(|| AwsError::bad("Invalid pagination token"))?,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(size).collect();
    let next = (offset + size < total).then(|| b64.encode(format!("p:{}", offset + size)));
    Ok((page, next))
}

/// Reads of typed members from a JSON request object; a wrong type is the 400
/// `SerializationException`-style error the service answers, never a panic.
pub struct Body<'a> {
    pub m: &'a Map<String, Value>,
    /// The code of the service's 400 (`BadRequestException`, `InvalidParameterValueException`).
    pub code: &'static str,
}

impl<'a> Body<'a> {
    fn wrong(&self, key: &str, want: &str) -> AwsError {
        AwsError::bad_request(
            self.code,
            format!("Invalid type for {key}: expected {want}"),
        )
    }

    pub fn str(&self, key: &str) -> Result<Option<String>, AwsError> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, AwsError> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(key, "a boolean")),
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, AwsError> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "an integer")),
        }
    }

    pub fn num(&self, key: &str) -> Result<Option<f64>, AwsError> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a number")),
        }
    }

    /// A map whose values are all strings.
    pub fn str_map(&self, key: &str) -> Result<Option<Map<String, Value>>, AwsError> {
        self.map_of(key, Value::is_string, "a map of strings")
    }

    pub fn bool_map(&self, key: &str) -> Result<Option<Map<String, Value>>, AwsError> {
        self.map_of(key, Value::is_boolean, "a map of booleans")
    }

    fn map_of(
        &self,
        key: &str,
        ok: fn(&Value) -> bool,
        want: &str,
    ) -> Result<Option<Map<String, Value>>, AwsError> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) if m.values().all(ok) => Ok(Some(m.clone())),
            Some(_) => Err(self.wrong(key, want)),
        }
    }

    pub fn str_list(&self, key: &str) -> Result<Option<Vec<String>>, AwsError> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a list of strings")),
            Some(_) => Err(self.wrong(key, "a list of strings")),
        }
    }

    pub fn obj(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, AwsError> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(self.wrong(key, "an object")),
        }
    }

    pub fn list(&self, key: &str) -> Result<Option<&'a Vec<Value>>, AwsError> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(self.wrong(key, "a list")),
        }
    }

    /// Copies each present member of `keys` (already type-checked by the caller's reads)
    /// into `out`, so optional inputs come back as sent.
    pub fn copy_into(&self, keys: &[&str], out: &mut Map<String, Value>) {
        for k in keys {
            if let Some(v) = self.m.get(*k).filter(|v| !v.is_null()) {
                out.insert((*k).to_string(), v.clone());
            }
        }
    }
}
