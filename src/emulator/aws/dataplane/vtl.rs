//! The slice of API Gateway's mapping templates (Velocity) that MOCK integrations use:
//! `$context.…` (`requestId`, `httpMethod`, `resourcePath`, `identity.sourceIp`, …),
//! `$stageVariables.…`, `$input.params('name')` (path, then query string, then header),
//! `$input.body`, `$input.json('$…')` and `$input.path('$…')`, each also as `${…}` or `$!{…}`.
//! Directives (`#set`, `#foreach`) and anything else stay as written, as Velocity leaves a
//! reference it cannot resolve.

use std::collections::BTreeMap;

use serde_json::Value;

/// What a template sees of one request.
pub struct Env<'a> {
    /// `$context` variables by name (`identity.sourceIp` dotted).
    pub context: BTreeMap<&'static str, String>,
    pub stage_variables: &'a Value,
    /// Path parameters, then query parameters, then headers (lower-case names): the order
    /// `$input.params('name')` looks in.
    pub params: Vec<BTreeMap<String, String>>,
    pub body: String,
}

/// `template` with every reference it knows replaced.
pub fn render(template: &str, env: &Env<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        match reference(after) {
            Some((len, r)) => match resolve(&r, env) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&after[..len]),
            },
            None => out.push('$'),
        }
        let consumed = reference(after).map_or(1, |(len, _)| len);
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// A parsed reference: dotted names and the call's single-quoted argument, if any.
#[derive(Debug, PartialEq)]
struct Ref {
    names: Vec<String>,
    arg: Option<String>,
}

/// The reference `s` starts with (`$a.b`, `${a.b}`, `$!{a.b}`, `$input.params('x')`) and its
/// length in bytes.
fn reference(s: &str) -> Option<(usize, Ref)> {
    let mut i = 1;
    let bytes = s.as_bytes();
    if bytes.get(i) == Some(&b'!') {
        i += 1;
    }
    let braced = bytes.get(i) == Some(&b'{');
    if braced {
        i += 1;
    }
    let mut names = Vec::new();
    loop {
        let start = i;
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            i += 1;
        }
        if i == start || !bytes[start].is_ascii_alphabetic() {
            return None;
        }
        names.push(s[start..i].to_owned());
        if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        break;
    }
    let mut arg = None;
    if bytes.get(i) == Some(&b'(') {
        let close = s[i..].find(')')? + i;
        let inner = s[i + 1..close].trim();
        arg = Some(inner.trim_matches(|c| c == '\'' || c == '"').to_owned());
        i = close + 1;
    }
    if braced {
        if bytes.get(i) != Some(&b'}') {
            return None;
        }
        i += 1;
    }
    Some((i, Ref { names, arg }))
}

fn resolve(r: &Ref, env: &Env<'_>) -> Option<String> {
    let first = r.names.first()?.as_str();
    let rest = r.names[1..].join(".");
    match (first, rest.as_str(), &r.arg) {
        ("context", name, None) => env.context.get(name).cloned(),
        ("stageVariables", name, None) => env.stage_variables[name].as_str().map(str::to_owned),
        ("input", "body", None) => Some(env.body.clone()),
        ("input", "params", Some(name)) => Some(
            env.params
                .iter()
                .find_map(|m| m.get(name).or_else(|| m.get(&name.to_ascii_lowercase())))
                .cloned()
                .unwrap_or_default(),
        ),
        ("input", "json" | "path", Some(path)) => Some(json_path(&env.body, path)),
        _ => None,
    }
}

/// `$input.json('$.a.b')`: the JSON text at a simple dotted path of the body (`$` is all of
/// it); empty when the body is not JSON or the path holds nothing.
fn json_path(body: &str, path: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(body) else {
        return String::new();
    };
    for key in path
        .trim_start_matches('$')
        .split('.')
        .filter(|k| !k.is_empty())
    {
        v = v.get(key).cloned().unwrap_or(Value::Null);
    }
    match v {
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(body: &str) -> Env<'static> {
        let mut context = BTreeMap::new();
        context.insert("httpMethod", "GET".to_owned());
        context.insert("identity.sourceIp", "127.0.0.1".to_owned());
        let path = BTreeMap::from([("id".to_owned(), "7".to_owned())]);
        let query = BTreeMap::from([("page".to_owned(), "2".to_owned())]);
        let headers = BTreeMap::from([("x-trace".to_owned(), "abc".to_owned())]);
        Env {
            context,
            stage_variables: Box::leak(Box::new(json!({"env": "prod"}))),
            params: vec![path, query, headers],
            body: body.to_owned(),
        }
    }

    #[test]
    fn references_render_and_unknown_ones_stay() {
        let e = env(r#"{"a": {"b": 3}}"#);
        let t = r##"{"m": "$context.httpMethod", "ip": "${context.identity.sourceIp}", "env": "$!{stageVariables.env}", "id": "$input.params('id')", "page": "$input.params('page')", "trace": "$input.params('X-Trace')", "b": $input.json('$.a.b'), "all": $input.json('$'), "x": "$util.base64Encode('x')", "cost": "$5", "set": "#set($x = 1)"}"##;
        let out = render(t, &e);
        assert_eq!(
            out,
            r##"{"m": "GET", "ip": "127.0.0.1", "env": "prod", "id": "7", "page": "2", "trace": "abc", "b": 3, "all": {"a":{"b":3}}, "x": "$util.base64Encode('x')", "cost": "$5", "set": "#set($x = 1)"}"##
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let e = env("not json");
        for t in [
            "$",
            "${",
            "$!",
            "$!{context",
            "$input.params(",
            "$input.json('$.x')",
            "ü$ü",
            "$$$",
        ] {
            let _ = render(t, &e);
        }
        assert_eq!(render("$input.json('$.x')", &e), "");
    }
}
