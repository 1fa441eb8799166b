//! `data "aws_iam_policy_document"`: IAM policy JSON from blocks, computed locally with the
//! Terraform provider's layout (keys in IAM's order, one-element lists as plain strings,
//! indented by two spaces; `minified_json` without whitespace).

use serde_json::{Map, Value as Json};

type Obj = Map<String, Json>;

/// JSON whose object keys keep the order they were written in.
#[derive(Clone, Debug, PartialEq)]
enum Ordered {
    Str(String),
    List(Vec<Ordered>),
    Map(Vec<(String, Ordered)>),
}

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// One string, or a list when there are several (as IAM writes them).
/// A configured list as the Terraform provider writes it: one value bare, several in reverse
/// lexical order (its `policyDecodeConfigStringList` sorts them so), so that keyway's JSON is
/// byte for byte Terraform's and a policy adopted from Terraform's state shows no change.
fn one_or_many(mut values: Vec<String>) -> Ordered {
    values.sort_by(|a, b| b.cmp(a));
    match values.len() {
        1 => Ordered::Str(values.into_iter().next().unwrap_or_default()),
        _ => Ordered::List(values.into_iter().map(Ordered::Str).collect()),
    }
}

fn blocks(v: Option<&Json>) -> Vec<&Obj> {
    v.and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_object).collect())
        .unwrap_or_default()
}

fn principals(list: Vec<&Obj>) -> Option<Ordered> {
    if list.is_empty() {
        return None;
    }
    // `type = "*"` with `identifiers = ["*"]` is the bare `"*"` principal.
    if list.len() == 1 && list[0].get("type").and_then(Json::as_str) == Some("*") {
        return Some(Ordered::Str("*".to_owned()));
    }
    let mut by_type: Vec<(String, Vec<String>)> = Vec::new();
    for p in list {
        let ty = p
            .get("type")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let ids = strings(p.get("identifiers"));
        match by_type.iter_mut().find(|(t, _)| *t == ty) {
            Some((_, existing)) => existing.extend(ids),
            None => by_type.push((ty, ids)),
        }
    }
    Some(Ordered::Map(
        by_type
            .into_iter()
            .map(|(t, ids)| (t, one_or_many(ids)))
            .collect(),
    ))
}

fn statement(st: &Obj) -> (Option<String>, Ordered) {
    let mut fields = Vec::new();
    let sid = st
        .get("sid")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if let Some(sid) = &sid {
        fields.push(("Sid".to_owned(), Ordered::Str(sid.clone())));
    }
    let effect = st.get("effect").and_then(Json::as_str).unwrap_or("Allow");
    fields.push(("Effect".to_owned(), Ordered::Str(effect.to_owned())));
    for (attr, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        let values = strings(st.get(attr));
        if !values.is_empty() {
            fields.push((key.to_owned(), one_or_many(values)));
        }
    }
    for (attr, key) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        if let Some(p) = principals(blocks(st.get(attr))) {
            fields.push((key.to_owned(), p));
        }
    }
    let mut conditions: Vec<(String, Vec<(String, Ordered)>)> = Vec::new();
    for c in blocks(st.get("condition")) {
        let test = c
            .get("test")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let variable = c
            .get("variable")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let values = one_or_many(strings(c.get("values")));
        match conditions.iter_mut().find(|(t, _)| *t == test) {
            Some((_, vars)) => vars.push((variable, values)),
            None => conditions.push((test, vec![(variable, values)])),
        }
    }
    if !conditions.is_empty() {
        let map = conditions
            .into_iter()
            .map(|(t, v)| (t, Ordered::Map(v)))
            .collect();
        fields.push(("Condition".to_owned(), Ordered::Map(map)));
    }
    (sid, Ordered::Map(fields))
}

/// A statement of another policy document (source or override), in IAM's key order.
fn foreign(st: &Json) -> (Option<String>, Ordered) {
    let order = [
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    ];
    let obj = st.as_object().cloned().unwrap_or_default();
    let sid = obj
        .get("Sid")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let mut fields: Vec<(String, Ordered)> = order
        .iter()
        .filter_map(|k| obj.get(*k).map(|v| ((*k).to_owned(), from_json(v))))
        .collect();
    fields.extend(
        obj.iter()
            .filter(|(k, _)| !order.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), from_json(v))),
    );
    (sid, Ordered::Map(fields))
}

fn from_json(v: &Json) -> Ordered {
    match v {
        Json::Array(a) => Ordered::List(a.iter().map(from_json).collect()),
        Json::Object(m) => Ordered::Map(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
        Json::String(s) => Ordered::Str(s.clone()),
        other => Ordered::Str(other.to_string()),
    }
}

fn document_statements(text: &str) -> Vec<(Option<String>, Ordered)> {
    let doc: Json = serde_json::from_str(text).unwrap_or(Json::Null);
    match doc.get("Statement") {
        Some(Json::Array(a)) => a.iter().map(foreign).collect(),
        Some(one) if one.is_object() => vec![foreign(one)],
        _ => Vec::new(),
    }
}

/// Adds a statement, replacing one with the same `Sid`.
fn merge(into: &mut Vec<(Option<String>, Ordered)>, st: (Option<String>, Ordered)) {
    match into
        .iter_mut()
        .find(|(sid, _)| sid.is_some() && *sid == st.0)
    {
        Some(slot) => *slot = st,
        None => into.push(st),
    }
}

/// The document's JSON, indented and minified.
pub fn render(config: &Obj) -> (String, String) {
    let mut statements = Vec::new();
    // The deprecated single-document arguments go first and last, as the provider merges them.
    let single = |k: &str| config.get(k).and_then(Json::as_str).map(str::to_owned);
    let sources = single("source_json")
        .into_iter()
        .chain(strings(config.get("source_policy_documents")));
    for doc in sources {
        for st in document_statements(&doc) {
            merge(&mut statements, st);
        }
    }
    for st in blocks(config.get("statement")) {
        merge(&mut statements, statement(st));
    }
    let overrides = strings(config.get("override_policy_documents"))
        .into_iter()
        .chain(single("override_json"));
    for doc in overrides {
        for st in document_statements(&doc) {
            merge(&mut statements, st);
        }
    }
    let version = config
        .get("version")
        .and_then(Json::as_str)
        .unwrap_or("2012-10-17");
    let mut top = vec![("Version".to_owned(), Ordered::Str(version.to_owned()))];
    if let Some(id) = config.get("policy_id").and_then(Json::as_str) {
        top.push(("Id".to_owned(), Ordered::Str(id.to_owned())));
    }
    top.push((
        "Statement".to_owned(),
        Ordered::List(statements.into_iter().map(|(_, s)| s).collect()),
    ));
    let doc = Ordered::Map(top);
    let mut pretty = String::new();
    write(&doc, Some(0), &mut pretty);
    let mut minified = String::new();
    write(&doc, None, &mut minified);
    (pretty, minified)
}

fn write(v: &Ordered, indent: Option<usize>, out: &mut String) {
    let newline = |out: &mut String, level: usize| {
        if indent.is_some() {
            out.push('\n');
            out.push_str(&"  ".repeat(level));
        }
    };
    let level = indent.unwrap_or(0);
    let deeper = indent.map(|i| i + 1);
    match v {
        Ordered::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        Ordered::List(items) if items.is_empty() => out.push_str("[]"),
        Ordered::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write(item, deeper, out);
            }
            newline(out, level);
            out.push(']');
        }
        Ordered::Map(fields) if fields.is_empty() => out.push_str("{}"),
        Ordered::Map(fields) => {
            out.push('{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push_str(if indent.is_some() { ": " } else { ":" });
                write(item, deeper, out);
            }
            newline(out, level);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn assume_role_policy_as_terraform_writes_it() {
        let config = json!({
            "statement": [{
                "effect": "Allow",
                "actions": ["sts:AssumeRole"],
                "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}]
            }]
        });
        let (pretty, minified) = super::render(config.as_object().expect("object"));
        assert_eq!(
            pretty,
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"sts:AssumeRole\",\n      \"Principal\": {\n        \"Service\": \"lambda.amazonaws.com\"\n      }\n    }\n  ]\n}"
        );
        assert_eq!(
            minified,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"lambda.amazonaws.com"}}]}"#
        );
    }
}
