//! OpenAPI documents imported into an API (`body`): v2's ReimportApi and v1's PutRestApi,
//! sent after the create and whenever the document changes. An import overwrites what the
//! document describes (AWS takes the API's name from `info.title`), so the caller puts the
//! configured arguments back afterwards; unconfigured ones keep the document's values
//! (schema `filled_by`).

use serde_json::{json, Map, Value as Json};

use super::client::encode;
use super::rest::{fill, service};
use super::{api_err, Aws};
use crate::providers::Result;
use crate::schema::{AwsBinding, AwsDocument, ResourceSchema};

type Obj = Map<String, Json>;

/// The binding's document call and the document `obj` holds, when it holds one.
pub fn held<'a>(b: &'a AwsBinding, obj: &'a Obj) -> Option<(&'a AwsDocument, &'a str)> {
    let doc = b.document.as_ref()?;
    let text = obj.get(&doc.argument).and_then(Json::as_str)?;
    Some((doc, text))
}

/// True when the document, or an argument importing it depends on, differs.
pub fn changed(b: &AwsBinding, prior: &Obj, planned: &Obj) -> bool {
    let Some(doc) = &b.document else {
        return false;
    };
    std::iter::once(&doc.argument)
        .chain(&doc.with)
        .any(|a| prior.get(a) != planned.get(a))
        && held(b, planned).is_some()
}

/// Imports the document `obj` holds into the object `obj` names (its `id` known).
pub async fn import(aws: &Aws, ty: &str, b: &AwsBinding, obj: &Obj) -> Result<()> {
    let Some((doc, text)) = held(b, obj) else {
        return Ok(());
    };
    let mut path = fill(aws, ty, &doc.path, obj, true).await?;
    let query = query(doc, obj);
    if !query.is_empty() {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(&query);
    }
    let svc = service(b)?;
    let sent = match doc.payload.as_str() {
        "raw" => aws.client.document(svc, &doc.verb, &path, text).await,
        _ => {
            let body = json!({ doc.argument.as_str(): text });
            aws.client.json(svc, &doc.verb, &path, Some(&body)).await
        }
    };
    sent.map(|_| ())
        .map_err(|e| api_err(ty, "import the OpenAPI document", e))
}

/// The query string: each parameter whose argument is set or that has a default, then the
/// map argument's entries, in sorted order.
fn query(doc: &AwsDocument, obj: &Obj) -> String {
    let mut pairs: Vec<(String, String)> = doc
        .query
        .iter()
        .filter_map(|(q, arg)| {
            let set = obj.get(arg).and_then(scalar);
            set.or_else(|| doc.defaults.get(q).cloned())
                .map(|v| (q.clone(), v))
        })
        .collect();
    if let Some(Json::Object(m)) = doc.query_map.as_ref().and_then(|a| obj.get(a)) {
        pairs.extend(
            m.iter()
                .filter_map(|(k, v)| scalar(v).map(|v| (k.clone(), v))),
        );
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn scalar(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `planned` with each argument the document fills and the configuration leaves unset taken
/// from `imported` (the object as the import left it), so restoring the configured
/// arguments does not clear what the document set.
pub fn keep_filled(s: &ResourceSchema, planned: &Obj, imported: &Obj) -> Obj {
    let mut out = planned.clone();
    let unset = |v: Option<&Json>| match v {
        None | Some(Json::Null) => true,
        Some(Json::Array(a)) => a.is_empty(),
        _ => false,
    };
    let filled = s
        .attributes
        .iter()
        .filter_map(|(n, a)| a.filled_by.as_ref().map(|_| n))
        .chain(
            s.blocks
                .iter()
                .filter_map(|(n, b)| b.filled_by.as_ref().map(|_| n)),
        );
    for name in filled {
        if unset(planned.get(name)) {
            if let Some(v) = imported.get(name) {
                out.insert(name.clone(), v.clone());
            }
        }
    }
    out
}

/// What the document's `info` would have set each wire field to (`name` from `title`):
/// a creation whose answer was lost may have been imported already, so the search for it
/// accepts these values too.
pub fn info_fields(b: &AwsBinding, obj: &Obj) -> Obj {
    let Some((_, text)) = held(b, obj) else {
        return Obj::new();
    };
    let Ok(doc) = crate::lang::functions::yaml_decode(text) else {
        return Obj::new();
    };
    let info = doc.to_json();
    let mut out = Obj::new();
    for (wire, field) in [
        ("name", "title"),
        ("description", "description"),
        ("version", "version"),
    ] {
        if let Some(v) = info.pointer(&format!("/info/{field}")).and_then(scalar) {
            out.insert(wire.to_owned(), Json::String(v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(ty: &str) -> &'static AwsBinding {
        crate::schema::lookup_in(ty, false)
            .and_then(|s| s.aws.as_ref())
            .expect("binding")
    }

    fn obj(v: Json) -> Obj {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_rest_api_query_carries_mode_warnings_and_parameters_sorted() {
        let doc = binding("aws_api_gateway_rest_api")
            .document
            .as_ref()
            .expect("document call");
        let o = obj(json!({
            "body": "{}", "put_rest_api_mode": "overwrite", "fail_on_warnings": true,
            "parameters": {"endpointConfigurationTypes": "REGIONAL", "ignore": "documentation"}
        }));
        assert_eq!(
            query(doc, &o),
            "failonwarnings=true&mode=overwrite&endpointConfigurationTypes=REGIONAL&ignore=documentation"
        );
    }

    #[test]
    fn an_unset_mode_overwrites() {
        let doc = binding("aws_api_gateway_rest_api")
            .document
            .as_ref()
            .expect("document call");
        assert_eq!(query(doc, &obj(json!({"body": "{}"}))), "mode=overwrite");
    }

    #[test]
    fn an_unset_argument_sends_no_parameter() {
        let doc = binding("aws_apigatewayv2_api")
            .document
            .as_ref()
            .expect("document call");
        assert_eq!(query(doc, &obj(json!({"body": "{}"}))), "");
        let o = obj(json!({"body": "{}", "fail_on_warnings": false}));
        assert_eq!(query(doc, &o), "failOnWarnings=false");
    }

    #[test]
    fn only_a_held_document_that_changed_imports_again() {
        let b = binding("aws_api_gateway_rest_api");
        let a = obj(json!({"body": "a", "parameters": {}}));
        assert!(!changed(b, &a, &a));
        assert!(changed(b, &a, &obj(json!({"body": "b", "parameters": {}}))));
        assert!(changed(
            b,
            &a,
            &obj(json!({"body": "a", "parameters": {"ignore": "documentation"}}))
        ));
        // Removing the document imports nothing: AWS keeps what the last one made.
        assert!(!changed(b, &a, &obj(json!({"body": null}))));
    }

    #[test]
    fn unset_filled_arguments_keep_the_imported_values() {
        let s = crate::schema::lookup_in("aws_api_gateway_rest_api", false).expect("schema");
        let planned = obj(json!({"name": "mine", "description": null, "body": "x"}));
        let imported = obj(json!({"name": "Title", "description": "From the document"}));
        let out = keep_filled(s, &planned, &imported);
        assert_eq!(out["name"], "mine");
        assert_eq!(out["description"], "From the document");
    }

    #[test]
    fn info_gives_name_description_and_version_in_yaml_or_json() {
        let b = binding("aws_apigatewayv2_api");
        let yaml = "openapi: 3.0.1\ninfo:\n  title: Pets\n  version: 1.0\npaths: {}\n";
        let out = info_fields(b, &obj(json!({ "body": yaml })));
        assert_eq!(out["name"], "Pets");
        assert_eq!(out["version"], "1");
        let text = r#"{"openapi":"3.0.1","info":{"title":"J","description":"d"},"paths":{}}"#;
        let out = info_fields(b, &obj(json!({ "body": text })));
        assert_eq!(
            (out["name"].as_str(), out["description"].as_str()),
            (Some("J"), Some("d"))
        );
        assert!(info_fields(b, &obj(json!({"body": "::: not yaml ["}))).is_empty());
    }
}
