"""OpenAPI import through boto3: API Gateway v2's ImportApi / ReimportApi (an OpenAPI 3.0
document in `{"body": ...}`) and v1's ImportRestApi / PutRestApi (the raw document, Swagger 2.0
or OpenAPI 3.0, JSON or YAML). The imported routes, integrations, authorizers, resources and
methods are ordinary objects (listed, read, deleted) and serve traffic through the data plane
like ones created call by call; malformed documents and failOnWarnings answer 400."""

import http.server
import json
import threading

import pytest
from botocore.exceptions import ClientError
from test_aws_dataplane import _Backend, fn, permit, send  # noqa: F401 (fn is a fixture)

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:backend"


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def message(e):
    return e.value.response["Error"]["Message"]


@pytest.fixture
def v2(aws):
    return aws("apigatewayv2")


@pytest.fixture
def gw(aws):
    return aws("apigateway")


def http_doc(title, paths, **top):
    doc = {"openapi": "3.0.1", "info": {"title": title, "version": "1.0"}, "paths": paths}
    doc.update(top)
    return json.dumps(doc)


JWT_SCHEMES = {
    "securitySchemes": {
        "jwt": {
            "type": "oauth2",
            "flows": {},
            "x-amazon-apigateway-authorizer": {
                "type": "jwt",
                "identitySource": "$request.header.Authorization",
                "jwtConfiguration": {"issuer": "https://issuer.example.com", "audience": ["aud1"]},
            },
        }
    }
}


def pets_paths():
    return {
        "/pets/{id}": {
            "get": {
                "operationId": "getPet",
                "security": [{"jwt": ["pets:read"]}],
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": LAMBDA_ARN, "payloadFormatVersion": "2.0"},
            }
        },
        "/pets": {
            "post": {
                "x-amazon-apigateway-integration": {
                    "type": "HTTP_PROXY", "uri": "https://example.com/pets", "httpMethod": "POST", "timeoutInMillis": 5000,
                }
            }
        },
        "$default": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {"type": "http_proxy", "uri": "https://example.com", "httpMethod": "ANY"}}},
    }


def test_import_api_builds_routes_integrations_authorizers_and_cors(v2, aws_name):
    body = http_doc(aws_name, pets_paths(), components=JWT_SCHEMES,
                    **{"x-amazon-apigateway-cors": {"allowOrigins": ["https://a.example"], "maxAge": 300}})
    a = v2.import_api(Body=body)
    assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
    api_id = a["ApiId"]
    try:
        assert a["Name"] == aws_name and a["Version"] == "1.0" and a["ProtocolType"] == "HTTP"
        assert a["ApiEndpoint"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
        assert a["CorsConfiguration"] == {"AllowOrigins": ["https://a.example"], "MaxAge": 300}
        assert "Warnings" not in a

        routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=api_id)["Items"]}
        assert set(routes) == {"GET /pets/{id}", "POST /pets", "$default"}
        integrations = {i["IntegrationId"]: i for i in v2.get_integrations(ApiId=api_id)["Items"]}
        assert len(integrations) == 3
        get = routes["GET /pets/{id}"]
        lam = integrations[get["Target"].split("/")[1]]
        assert lam["IntegrationType"] == "AWS_PROXY" and lam["IntegrationUri"] == LAMBDA_ARN
        assert lam["PayloadFormatVersion"] == "2.0" and lam["IntegrationMethod"] == "POST"
        post = integrations[routes["POST /pets"]["Target"].split("/")[1]]
        assert (post["IntegrationType"], post["IntegrationMethod"], post["TimeoutInMillis"]) == ("HTTP_PROXY", "POST", 5000)
        # No payloadFormatVersion in the document: 1.0 (the only one HTTP_PROXY takes).
        assert post["PayloadFormatVersion"] == "1.0"

        auths = v2.get_authorizers(ApiId=api_id)["Items"]
        assert len(auths) == 1
        au = auths[0]
        assert au["Name"] == "jwt" and au["AuthorizerType"] == "JWT"
        assert au["IdentitySource"] == ["$request.header.Authorization"]
        assert au["JwtConfiguration"] == {"Issuer": "https://issuer.example.com", "Audience": ["aud1"]}
        assert get["AuthorizationType"] == "JWT" and get["AuthorizerId"] == au["AuthorizerId"]
        assert get["AuthorizationScopes"] == ["pets:read"] and get["OperationName"] == "getPet"
        assert routes["POST /pets"]["AuthorizationType"] == "NONE"

        # Ordinary objects: readable and deletable one by one.
        assert v2.get_route(ApiId=api_id, RouteId=get["RouteId"])["RouteKey"] == "GET /pets/{id}"
        with pytest.raises(ClientError) as e:
            v2.delete_authorizer(ApiId=api_id, AuthorizerId=au["AuthorizerId"])
        assert err(e) == ("BadRequestException", 400)
        v2.delete_route(ApiId=api_id, RouteId=get["RouteId"])
        v2.delete_authorizer(ApiId=api_id, AuthorizerId=au["AuthorizerId"])
        assert len(v2.get_routes(ApiId=api_id)["Items"]) == 2
        assert v2.get_api(ApiId=api_id)["Name"] == aws_name
    finally:
        v2.delete_api(ApiId=api_id)


YAML_DOC = """
openapi: 3.0.0
info:
  title: {title}
  version: 2.5
  description: from yaml
servers:
  - url: https://api.example.com/v1
paths:
  /items:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: https://example.com/items
"""


def test_reimport_overwrites_routes_name_version_and_cors(v2, aws_name):
    a = v2.import_api(Body=http_doc(aws_name, pets_paths(), components=JWT_SCHEMES,
                                    **{"x-amazon-apigateway-cors": {"allowOrigins": ["*"]}}))
    api_id = a["ApiId"]
    try:
        # A route added by hand goes too: a reimport is an overwrite.
        i = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                  IntegrationUri="https://example.com/x", PayloadFormatVersion="1.0")
        v2.create_route(ApiId=api_id, RouteKey="GET /manual", Target="integrations/" + i["IntegrationId"])

        r = v2.reimport_api(ApiId=api_id, Body=YAML_DOC.format(title=aws_name + "-2"), Basepath="prepend")
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert r["ApiId"] == api_id and r["Name"] == aws_name + "-2"
        assert r["Version"] == "2.5" and r["Description"] == "from yaml"
        assert "CorsConfiguration" not in r
        assert [x["RouteKey"] for x in v2.get_routes(ApiId=api_id)["Items"]] == ["GET /v1/items"]
        assert len(v2.get_integrations(ApiId=api_id)["Items"]) == 1
        assert v2.get_authorizers(ApiId=api_id)["Items"] == []
        got = v2.get_api(ApiId=api_id)
        assert got["Name"] == aws_name + "-2" and "CorsConfiguration" not in got
        assert got["CreatedDate"] == a["CreatedDate"]
    finally:
        v2.delete_api(ApiId=api_id)

    with pytest.raises(ClientError) as e:
        v2.reimport_api(ApiId=api_id, Body=YAML_DOC.format(title="x"))
    assert err(e) == ("NotFoundException", 404)


def test_import_api_warnings_and_fail_on_warnings(v2, aws_name):
    paths = {
        "/mock": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
        "/ok": {"get": {"x-amazon-apigateway-integration": {"type": "http_proxy", "uri": "https://example.com", "httpMethod": "GET"}}},
    }
    body = http_doc(aws_name, paths, **{"x-amazon-apigateway-frobnicate": True})
    before = {x["Name"] for x in v2.get_apis()["Items"]}
    with pytest.raises(ClientError) as e:
        v2.import_api(Body=body, FailOnWarnings=True)
    assert err(e) == ("BadRequestException", 400)
    assert message(e).startswith("Warnings found during import:")
    assert "x-amazon-apigateway-frobnicate" in message(e) and "MOCK" in message(e)
    assert aws_name not in {x["Name"] for x in v2.get_apis()["Items"]} - before

    a = v2.import_api(Body=body, FailOnWarnings=False)
    try:
        assert len(a["Warnings"]) == 2
        routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=a["ApiId"])["Items"]}
        # The route stays, without the integration HTTP APIs cannot take.
        assert "Target" not in routes["GET /mock"] and "Target" in routes["GET /ok"]
    finally:
        v2.delete_api(ApiId=a["ApiId"])


@pytest.mark.parametrize("body", [
    "{not: [valid",
    "just a string",
    json.dumps({"swagger": "2.0", "info": {"title": "t"}, "paths": {}}),
    json.dumps({"openapi": "3.1.0", "info": {"title": "t"}, "paths": {}}),
    json.dumps({"openapi": "3.0.1", "info": {"title": "t"}}),
    json.dumps({"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/a/{b+}/c": {"get": {}}}}),
    json.dumps({"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"$default": {"get": {}}}}),
    json.dumps({"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/a": [1, 2]}}),
    json.dumps({"openapi": "3.0.1", "paths": {}}),
])
def test_import_api_refuses_malformed_documents(v2, body):
    with pytest.raises(ClientError) as e:
        v2.import_api(Body=body)
    assert err(e) == ("BadRequestException", 400)


SWAGGER_YAML = """
swagger: '2.0'
info:
  title: {title}
  description: pets in yaml
  version: '7'
basePath: /prod
securityDefinitions:
  api_key:
    type: apiKey
    name: x-api-key
    in: header
x-amazon-apigateway-api-key-source: HEADER
x-amazon-apigateway-binary-media-types: [image/png]
paths:
  /pets/{{id}}/toys:
    get:
      operationId: listToys
      security:
        - api_key: []
      parameters:
        - {{in: path, name: id, required: true}}
        - {{in: query, name: limit}}
      responses:
        200:
          description: ok
          headers:
            X-Mock: {{type: string}}
        404:
          description: gone
      x-amazon-apigateway-integration:
        type: mock
        passthroughBehavior: when_no_templates
        requestTemplates:
          application/json: '{{"statusCode": 200}}'
        responses:
          default:
            statusCode: 200
            responseTemplates:
              application/json: '{{"toys": []}}'
            responseParameters:
              method.response.header.X-Mock: "'yes'"
          4\\d{{2}}:
            statusCode: 404
            responseTemplates:
              application/json: '{{"error": "none"}}'
"""


def test_import_rest_api_from_swagger_yaml(gw, aws_name):
    a = gw.import_rest_api(body=SWAGGER_YAML.format(title=aws_name).encode(), failOnWarnings=True)
    assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
    api_id = a["id"]
    try:
        assert a["name"] == aws_name and a["description"] == "pets in yaml" and a["version"] == "7"
        assert a["apiKeySource"] == "HEADER" and a["binaryMediaTypes"] == ["image/png"]
        assert a["endpointConfiguration"]["types"] == ["EDGE"]
        resources = {r["path"]: r for r in gw.get_resources(restApiId=api_id)["items"]}
        # Intermediate parts are created; the base path is ignored by default.
        assert set(resources) == {"/", "/pets", "/pets/{id}", "/pets/{id}/toys"}
        assert resources["/"]["id"] == a["rootResourceId"]
        toys = resources["/pets/{id}/toys"]
        assert resources["/pets/{id}"]["parentId"] == resources["/pets"]["id"]
        m = gw.get_method(restApiId=api_id, resourceId=toys["id"], httpMethod="GET")
        assert m["apiKeyRequired"] is True and m["authorizationType"] == "NONE" and m["operationName"] == "listToys"
        assert m["requestParameters"] == {"method.request.path.id": True, "method.request.querystring.limit": False}
        assert set(m["methodResponses"]) == {"200", "404"}
        assert m["methodResponses"]["200"]["responseParameters"] == {"method.response.header.X-Mock": False}
        i = m["methodIntegration"]
        assert i["type"] == "MOCK" and i["passthroughBehavior"] == "WHEN_NO_TEMPLATES"
        ok = gw.get_integration_response(restApiId=api_id, resourceId=toys["id"], httpMethod="GET", statusCode="200")
        assert "selectionPattern" not in ok and ok["responseTemplates"] == {"application/json": '{"toys": []}'}
        gone = gw.get_integration_response(restApiId=api_id, resourceId=toys["id"], httpMethod="GET", statusCode="404")
        assert gone["selectionPattern"] == "4\\d{2}"
        # Ordinary objects: deletable like any other.
        gw.delete_method(restApiId=api_id, resourceId=toys["id"], httpMethod="GET")
        gw.delete_resource(restApiId=api_id, resourceId=resources["/pets"]["id"])
        assert [r["path"] for r in gw.get_resources(restApiId=api_id)["items"]] == ["/"]
    finally:
        gw.delete_rest_api(restApiId=api_id)


def oas3_rest(title, paths, **top):
    doc = {"openapi": "3.0.1", "info": {"title": title, "version": "1"}, "servers": [{"url": "https://x.example.com/{basePath}", "variables": {"basePath": {"default": "/v2"}}}], "paths": paths}
    doc.update(top)
    return json.dumps(doc).encode()


def test_import_rest_api_from_openapi_3_json_with_parameters(gw, aws_name):
    paths = {"/orders": {"post": {"x-amazon-apigateway-integration": {
        "type": "http_proxy", "httpMethod": "POST", "uri": "https://example.com/orders", "timeoutInMillis": 1000}}}}
    a = gw.import_rest_api(body=oas3_rest(aws_name, paths), parameters={"endpointConfigurationTypes": "REGIONAL", "basepath": "prepend"})
    try:
        assert a["endpointConfiguration"]["types"] == ["REGIONAL"]
        resources = {r["path"]: r for r in gw.get_resources(restApiId=a["id"])["items"]}
        assert set(resources) == {"/", "/v2", "/v2/orders"}
        i = gw.get_integration(restApiId=a["id"], resourceId=resources["/v2/orders"]["id"], httpMethod="POST")
        assert (i["type"], i["httpMethod"], i["uri"], i["timeoutInMillis"]) == ("HTTP_PROXY", "POST", "https://example.com/orders", 1000)
        assert i["connectionType"] == "INTERNET" and i["passthroughBehavior"] == "WHEN_NO_MATCH"
    finally:
        gw.delete_rest_api(restApiId=a["id"])


def mock_op(status="200"):
    return {"responses": {status: {"description": "x"}}, "x-amazon-apigateway-integration": {
        "type": "mock", "requestTemplates": {"application/json": '{"statusCode": %s}' % status},
        "responses": {"default": {"statusCode": status}}}}


def test_put_rest_api_overwrite_and_merge(gw, aws_name):
    api = gw.create_rest_api(name=aws_name, description="by hand")
    api_id, root = api["id"], api["rootResourceId"]
    try:
        old = gw.create_resource(restApiId=api_id, parentId=root, pathPart="old")
        gw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")

        doc = oas3_rest(aws_name + "-doc", {"/a": {"get": mock_op()}, "/": {"post": mock_op("201")}})
        r = gw.put_rest_api(restApiId=api_id, mode="overwrite", body=doc)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
        # Overwrite: the document's title becomes the name; the root keeps its ID.
        assert r["name"] == aws_name + "-doc" and r["rootResourceId"] == root and "description" not in r
        resources = {x["path"]: x for x in gw.get_resources(restApiId=api_id, embed=["methods"])["items"]}
        assert set(resources) == {"/", "/a"} and resources["/"]["id"] == root
        assert set(resources["/"]["resourceMethods"]) == {"POST"}
        with pytest.raises(ClientError) as e:
            gw.get_resource(restApiId=api_id, resourceId=old["id"])
        assert err(e) == ("NotFoundException", 404)

        a_id = resources["/a"]["id"]
        merge = oas3_rest("ignored", {"/a": {"put": mock_op()}, "/b/c": {"get": mock_op("202")}})
        m = gw.put_rest_api(restApiId=api_id, mode="merge", body=merge)
        # Merge keeps the API's name and what the document does not name.
        assert m["name"] == aws_name + "-doc"
        resources = {x["path"]: x for x in gw.get_resources(restApiId=api_id, embed=["methods"])["items"]}
        assert set(resources) == {"/", "/a", "/b", "/b/c"}
        assert set(resources["/a"]["resourceMethods"]) == {"GET", "PUT"}
        assert resources["/a"]["id"] == a_id
        assert gw.get_method_response(restApiId=api_id, resourceId=resources["/b/c"]["id"], httpMethod="GET", statusCode="202")["statusCode"] == "202"
    finally:
        gw.delete_rest_api(restApiId=api_id)


def test_rest_import_failures(gw, aws_raw, aws_name):
    warned = oas3_rest(aws_name, {"/a": {"get": mock_op()}, "/b": {"trace": {}}})
    with pytest.raises(ClientError) as e:
        gw.import_rest_api(body=warned, failOnWarnings=True)
    assert err(e) == ("BadRequestException", 400) and "TRACE" in message(e)
    a = gw.import_rest_api(body=warned)
    try:
        assert len(a["warnings"]) == 1
        before = gw.get_resources(restApiId=a["id"])["items"]
        # A refused document leaves the API as it was.
        for bad in (b"{broken: [", b"swagger: '2.0'\ninfo: {title: x}\npaths: {/p/{x+}/q: {get: {}}}",
                    b"openapi: 3.0.0\ninfo: {title: x}\npaths: {/a: {get: {x-amazon-apigateway-integration: {type: teleport}}}}"):
            with pytest.raises(ClientError) as e:
                gw.put_rest_api(restApiId=a["id"], mode="overwrite", body=bad)
            assert err(e) == ("BadRequestException", 400), bad
        assert gw.get_resources(restApiId=a["id"])["items"] == before
        with pytest.raises(ClientError) as e:
            gw.put_rest_api(restApiId=a["id"], mode="sideways", body=warned)
        assert err(e) == ("BadRequestException", 400)
    finally:
        gw.delete_rest_api(restApiId=a["id"])
    with pytest.raises(ClientError) as e:
        gw.put_rest_api(restApiId="nosuchapi0", mode="overwrite", body=warned)
    assert err(e) == ("NotFoundException", 404)
    # The raw body need not be JSON, but must be a document.
    status, _, body = aws_raw("POST", "/restapis?mode=import", "not: [a document")
    assert status == 400 and "Invalid OpenAPI input" in json.loads(body)["message"]


# --- The data plane serves what was imported ------------------------------------------------

def test_imported_http_api_serves_traffic(aws, v2, aws_name, fn, base_url):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        paths = {
            "/local/{proxy+}": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "ANY", "uri": f"http://127.0.0.1:{server.server_port}/backend/{{proxy}}"}}},
            "/items/{id}": {"get": {"x-amazon-apigateway-integration": {
                "type": "aws_proxy", "uri": fn["FunctionArn"], "payloadFormatVersion": "2.0"}}},
        }
        a = v2.import_api(Body=http_doc(aws_name, paths))
        api_id = a["ApiId"]
        permit(aws, fn, api_id)
        v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)

        status, headers, body = send(base_url, api_id, "/local/a/b", method="POST", body=b"hi")
        assert status == 202 and headers["x-backend"] == "yes"
        assert json.loads(body)["path"] == "/backend/a/b" and json.loads(body)["body"] == "hi"
        status, _, body = send(base_url, api_id, "/items/9")
        assert status == 200, body
        e = json.loads(body)["event"]
        assert e["routeKey"] == "GET /items/{id}" and e["pathParameters"] == {"id": "9"}

        # A reimport reaches traffic through the auto-deploying stage.
        v2.reimport_api(ApiId=api_id, Body=http_doc(aws_name, {"/only/{id}": paths["/items/{id}"]}))
        assert send(base_url, api_id, "/items/9")[0] == 404
        assert send(base_url, api_id, "/only/9")[0] == 200
        v2.delete_api(ApiId=api_id)
    finally:
        server.shutdown()


def test_imported_rest_api_requires_its_api_key(gw, aws_name, base_url):
    a = gw.import_rest_api(body=SWAGGER_YAML.format(title=aws_name).encode())
    api_id = a["id"]
    try:
        gw.create_deployment(restApiId=api_id, stageName="live")
        key = gw.create_api_key(name=aws_name, enabled=True)
        plan = gw.create_usage_plan(name=aws_name, apiStages=[{"apiId": api_id, "stage": "live"}])
        gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")

        status, headers, body = send(base_url, api_id, "/live/pets/3/toys")
        assert (status, headers.get("x-amzn-errortype"), json.loads(body)) == (403, "ForbiddenException", {"message": "Forbidden"})
        status, headers, body = send(base_url, api_id, "/live/pets/3/toys", headers={"x-api-key": key["value"]})
        assert (status, json.loads(body), headers["x-mock"]) == (200, {"toys": []}, "yes")
        gw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
        gw.delete_usage_plan(usagePlanId=plan["id"])
        gw.delete_api_key(apiKey=key["id"])
    finally:
        gw.delete_rest_api(restApiId=api_id)
