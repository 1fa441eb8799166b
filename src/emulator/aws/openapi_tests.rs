//! The document reader on JSON and YAML, Swagger 2.0 and OpenAPI 3.0, and odd shapes.

use super::*;

const OAS3_YAML: &str = r#"
openapi: 3.0.1
info:
  title: pets
  version: 1.0
  description: the pet store
servers:
  - url: https://example.com/{basePath}
    variables:
      basePath:
        default: /v1
paths:
  /pets/{id}:
    parameters:
      - {in: path, name: id}
    get:
      operationId: getPet
      security:
        - jwt: [read, write]
      parameters:
        - {in: query, name: q, required: true}
      responses:
        200:
          headers:
            X-Trace: {}
        default: {}
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:lambda:us-east-1:123456789012:function:f
    x-amazon-apigateway-any-method:
      security: []
    trace: {}
components:
  securitySchemes:
    jwt:
      type: oauth2
      x-amazon-apigateway-authorizer:
        type: jwt
security:
  - jwt: []
x-amazon-apigateway-cors:
  allowOrigins: ["*"]
x-amazon-apigateway-bogus: 1
"#;

#[test]
fn reads_openapi_3_yaml() {
    let d = read(OAS3_YAML).expect("reads");
    assert_eq!(d.flavor, Flavor::OpenApi3);
    assert_eq!(d.title.as_deref(), Some("pets"));
    assert_eq!(d.version.as_deref(), Some("1.0"));
    assert_eq!(d.base_path, "/v1");
    assert_eq!(d.ops.len(), 2);
    let get = d.ops.iter().find(|o| o.method == "GET").expect("GET");
    assert_eq!(get.operation_id.as_deref(), Some("getPet"));
    assert_eq!(
        get.security,
        vec![Requirement {
            scheme: "jwt".into(),
            scopes: vec!["read".into(), "write".into()]
        }]
    );
    assert_eq!(get.params.len(), 2);
    assert!(get.params.iter().all(|p| p.required));
    assert_eq!(
        get.responses,
        vec![Response {
            status: "200".into(),
            headers: vec!["X-Trace".into()]
        }]
    );
    assert_eq!(
        get.integration.as_ref().expect("integration")["type"],
        "aws_proxy"
    );
    // `security: []` on the operation overrides the document's.
    let any = d.ops.iter().find(|o| o.method == "ANY").expect("ANY");
    assert!(any.security.is_empty());
    assert!(d.schemes["jwt"].authorizer.is_some());
    assert!(d.extension("cors").is_some());
    assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
}

#[test]
fn reads_swagger_2_json() {
    let text = r#"{"swagger": "2.0", "info": {"title": "t"}, "basePath": "/base/",
        "securityDefinitions": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
        "paths": {"/a": {"post": {"security": [{"api_key": []}], "responses": {"201": {}}}}}}"#;
    let d = read(text).expect("reads");
    assert_eq!(d.flavor, Flavor::Swagger2);
    assert_eq!(d.base_path, "/base");
    assert_eq!(d.schemes["api_key"].kind, "apiKey");
    assert_eq!(d.schemes["api_key"].location, "header");
    assert_eq!(d.ops[0].method, "POST");
    assert_eq!(d.ops[0].security[0].scheme, "api_key");
    assert_eq!(d.ops[0].responses[0].status, "201");
    assert!(d.warnings.is_empty());
}

#[test]
fn rejects_bad_input() {
    for (text, want) in [
        ("", "not an object"),
        ("[1, 2]", "not an object"),
        ("{\"info\": {}}", "names no version"),
        ("openapi: 3.1.0\npaths: {}", "3.1.0 is not supported"),
        ("swagger: '1.2'\npaths: {}", "1.2 is not supported"),
        ("openapi: 3.0.0\ninfo: {title: x}", "paths is required"),
        ("openapi: 3.0.0\npaths: [1]", "paths must be an object"),
        ("openapi: 3.0.0\npaths: {pets: {}}", "must start with '/'"),
        ("{not json: [", "Invalid OpenAPI input"),
    ] {
        let e = read(text).expect_err("refused");
        assert!(e.contains(want), "{text:?}: {e}");
    }
}

#[test]
fn odd_shapes_are_errors_not_panics() {
    for text in [
        "openapi: 3.0.0\npaths: {/a: [1, 2]}",
        "openapi: 3.0.0\npaths: {/a: {get: [1]}}",
        "openapi: 3.0.0\npaths: {/a: {get: {parameters: 3}}}",
        "openapi: 3.0.0\npaths: {/a: {get: {parameters: [1]}}}",
        "openapi: 3.0.0\npaths: {/a: {get: {responses: []}}}",
        "openapi: 3.0.0\npaths: {/a: {get: {security: {a: 1}}}}",
        "openapi: 3.0.0\npaths: {/a: {get: {security: [{a: 1}]}}}",
        "openapi: 3.0.0\npaths: {/a: {get: {x-amazon-apigateway-integration: 5}}}",
        "openapi: 3.0.0\npaths: {}\ncomponents: {securitySchemes: [1]}",
        "openapi: 3.0.0\npaths: {}\ncomponents: {securitySchemes: {a: 1}}",
        "swagger: '2.0'\npaths: {}\nsecurityDefinitions: {a: {x-amazon-apigateway-authorizer: []}}",
    ] {
        assert!(read(text).is_err(), "{text}");
    }
    // Odd but harmless shapes are read: non-object info, servers without a URL, a
    // parameter without a name, responses of odd codes.
    let d = read(
        "openapi: 3.0.0\ninfo: 7\nservers: [{}]\npaths: {/a: {get: {parameters: [{in: query}], responses: {abc: 1, 204: null}}}}",
    )
    .expect("reads");
    assert_eq!(d.title, None);
    assert_eq!(d.base_path, "");
    assert!(d.ops[0].params.is_empty());
    assert_eq!(d.ops[0].responses.len(), 1);
}

#[test]
fn billion_laughs_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    assert!(read(&text).is_err());
}

#[test]
fn base_modes() {
    assert_eq!(BaseMode::parse(None).expect("ignore"), BaseMode::Ignore);
    assert!(BaseMode::parse(Some("sideways")).is_err());
    assert_eq!(BaseMode::Ignore.apply("/v1", "/pets"), "/pets");
    assert_eq!(BaseMode::Prepend.apply("/v1", "/pets"), "/v1/pets");
    assert_eq!(BaseMode::Prepend.apply("/v1", "/"), "/v1");
    assert_eq!(BaseMode::Prepend.apply("", "/pets"), "/pets");
    assert_eq!(BaseMode::Split.apply("/v1/app", "/pets"), "/app/pets");
    assert_eq!(BaseMode::Split.apply("/v1", "/pets"), "/pets");
}
