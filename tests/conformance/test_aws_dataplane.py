"""Traffic through HTTP APIs (API Gateway v2's data plane), set up with boto3 and sent to
`/__host/{api}.execute-api.us-east-1.amazonaws.com/...`: stages and deployments, route
selection, Lambda proxy integrations running the Python handler from its zip (payload 2.0 and
1.0, invoke permissions enforced), HTTP_PROXY to a loopback server, CORS, JWT authorizers with
tokens from the emulator's own issuer, and throttling, with HTTP APIs' documented answers."""

import base64
import http.server
import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import handler_zip

ECHO_HANDLER = """
import json, os, time

def handler(event, context):
    path = event.get('rawPath') or event.get('path')
    if path.endswith('/raise'):
        raise ValueError('boom')
    if path.endswith('/malformed'):
        return {'statusCode': 'not a number'}
    if path.endswith('/slow'):
        time.sleep(5)
    if path.endswith('/plain'):
        return {'plain': True}
    return {
        'statusCode': 200,
        'headers': {'content-type': 'application/json', 'x-function': context.function_name},
        'cookies': ['session=1'],
        'body': json.dumps({'event': event, 'greeting': os.environ.get('GREETING'),
                            'remaining': context.get_remaining_time_in_millis()}),
    }
"""


def send(base_url, api_id, path, method="GET", headers=None, body=None):
    url = f"{base_url}/__host/{api_id}.execute-api.us-east-1.amazonaws.com{path}"
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()


@pytest.fixture
def fn(aws, aws_name, lambda_role):
    """A Python function echoing its event, Active."""
    lam = aws("lambda")
    f = lam.create_function(
        FunctionName=aws_name, Runtime="python3.11", Role=lambda_role, Handler="app.handler",
        Code={"ZipFile": handler_zip(ECHO_HANDLER)}, Environment={"Variables": {"GREETING": "hi"}}, Timeout=2,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=aws_name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return f


def permit(aws, fn, api_id, pattern="*/*"):
    aws("lambda").add_permission(
        FunctionName=fn["FunctionName"], StatementId="apigw-" + api_id, Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/{pattern}",
    )


def lambda_api(v2, name, fn, version="2.0", routes=("GET /items/{id}",), **api):
    a = v2.create_api(Name=name, ProtocolType="HTTP", **api)
    i = v2.create_integration(ApiId=a["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=fn["FunctionArn"], PayloadFormatVersion=version)
    for key in routes:
        v2.create_route(ApiId=a["ApiId"], RouteKey=key, Target="integrations/" + i["IntegrationId"])
    return a["ApiId"], i["IntegrationId"]


def test_lambda_proxy_runs_the_handler_with_a_2_0_event(aws, aws_name, fn, base_url):
    v2 = aws("apigatewayv2")
    api_id, _ = lambda_api(v2, aws_name, fn, routes=("GET /items/{id}", "GET /fail/raise", "GET /fail/malformed", "GET /fail/slow", "GET /fail/plain"))
    short = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn["FunctionArn"], PayloadFormatVersion="2.0", TimeoutInMillis=1000)
    v2.create_route(ApiId=api_id, RouteKey="GET /short/slow", Target="integrations/" + short["IntegrationId"])
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, StageVariables={"tier": "gold"})

    # Without an invoke permission API Gateway cannot call the function.
    status, _, body = send(base_url, api_id, "/items/7")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    permit(aws, fn, api_id)

    status, headers, body = send(base_url, api_id, "/items/7?q=1&q=2", headers={"X-Trace": "t1", "Cookie": "a=b"})
    assert status == 200, body
    assert headers["x-function"] == fn["FunctionName"]
    assert headers["set-cookie"] == "session=1"
    assert headers["apigw-requestid"]
    got = json.loads(body)
    e = got["event"]
    assert got["greeting"] == "hi" and 0 < got["remaining"] <= 2000
    assert e["version"] == "2.0" and e["routeKey"] == "GET /items/{id}"
    assert e["rawPath"] == "/items/7" and e["rawQueryString"] == "q=1&q=2"
    assert e["pathParameters"] == {"id": "7"}
    assert e["queryStringParameters"] == {"q": "1,2"}
    assert e["headers"]["x-trace"] == "t1" and e["cookies"] == ["a=b"]
    assert e["stageVariables"] == {"tier": "gold"}
    ctx = e["requestContext"]
    assert ctx["apiId"] == api_id and ctx["stage"] == "$default" and ctx["accountId"] == "123456789012"
    assert ctx["http"]["method"] == "GET" and ctx["domainName"] == f"{api_id}.execute-api.us-east-1.amazonaws.com"

    # A result without statusCode is the JSON body of a 200 (payload 2.0).
    status, headers, body = send(base_url, api_id, "/fail/plain")
    assert (status, json.loads(body)) == (200, {"plain": True})
    # A raised error, a malformed result or the function's own timeout is a 500; the
    # integration's timeout running out first is a 503.
    for path, want in (("/fail/raise", 500), ("/fail/malformed", 500), ("/fail/slow", 500), ("/short/slow", 503)):
        status, _, body = send(base_url, api_id, path)
        assert status == want, (path, body)
    # No route, and no API at all.
    assert send(base_url, api_id, "/nothing")[0] == 404
    assert send(base_url, "nosuchapi0", "/items/1")[:1] == (404,)


def test_payload_1_0_and_named_stages_serve_the_deployed_snapshot(aws, aws_name, fn, base_url):
    v2 = aws("apigatewayv2")
    api_id, integration = lambda_api(v2, aws_name, fn, version="1.0")
    permit(aws, fn, api_id, "prod/GET/items/*")
    d = v2.create_deployment(ApiId=api_id)
    v2.create_stage(ApiId=api_id, StageName="prod", DeploymentId=d["DeploymentId"])

    status, _, body = send(base_url, api_id, "/prod/items/3", method="GET")
    assert status == 200, body
    e = json.loads(body)["event"]
    assert e["version"] == "1.0" and e["httpMethod"] == "GET" and e["resource"] == "/items/{id}"
    assert e["pathParameters"] == {"id": "3"} and e["requestContext"]["stage"] == "prod"

    # A route added after the deployment is invisible until the next one.
    v2.create_route(ApiId=api_id, RouteKey="GET /later", Target="integrations/" + integration)
    assert send(base_url, api_id, "/prod/later")[0] == 404
    v2.create_deployment(ApiId=api_id, StageName="prod")
    # Served now, but the permission's source ARN pattern does not cover it.
    assert send(base_url, api_id, "/prod/later")[0] == 500
    # Without a $default stage, a path outside every stage is not found.
    assert send(base_url, api_id, "/items/3")[0] == 404


def test_routes_pick_the_most_specific(aws, aws_name, fn, base_url):
    v2 = aws("apigatewayv2")
    api_id, _ = lambda_api(v2, aws_name, fn, routes=("GET /pets/{id}", "GET /pets/dog", "ANY /{proxy+}", "$default"))
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    permit(aws, fn, api_id)
    def route_of(method, path):
        status, _, body = send(base_url, api_id, path, method=method, body=b"{}" if method == "POST" else None)
        assert status == 200, body
        return json.loads(body)["event"]["routeKey"]
    assert route_of("GET", "/pets/dog") == "GET /pets/dog"
    assert route_of("GET", "/pets/cat") == "GET /pets/{id}"
    assert route_of("POST", "/pets/cat") == "ANY /{proxy+}"
    assert route_of("GET", "/") == "$default"


class _Backend(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        n = int(self.headers.get("content-length") or 0)
        body = json.dumps({"method": self.command, "path": self.path, "body": self.rfile.read(n).decode(), "x": self.headers.get("x-thing")})
        self.send_response(202)
        self.send_header("content-type", "application/json")
        self.send_header("x-backend", "yes")
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def test_http_proxy_to_a_loopback_server_and_echo_elsewhere(aws, aws_name, base_url):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        v2 = aws("apigatewayv2")
        a = v2.create_api(Name=aws_name, ProtocolType="HTTP")
        local = v2.create_integration(
            ApiId=a["ApiId"], IntegrationType="HTTP_PROXY", IntegrationMethod="ANY", PayloadFormatVersion="1.0",
            IntegrationUri=f"http://127.0.0.1:{server.server_port}/backend/{{proxy}}",
        )
        remote = v2.create_integration(ApiId=a["ApiId"], IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri="https://example.com/x", PayloadFormatVersion="1.0")
        v2.create_route(ApiId=a["ApiId"], RouteKey="ANY /local/{proxy+}", Target="integrations/" + local["IntegrationId"])
        v2.create_route(ApiId=a["ApiId"], RouteKey="GET /remote", Target="integrations/" + remote["IntegrationId"])
        v2.create_stage(ApiId=a["ApiId"], StageName="$default", AutoDeploy=True)

        status, headers, body = send(base_url, a["ApiId"], "/local/a/b?z=1", method="POST", headers={"X-Thing": "t"}, body=b"payload")
        assert status == 202 and headers["x-backend"] == "yes"
        assert json.loads(body) == {"method": "POST", "path": "/backend/a/b?z=1", "body": "payload", "x": "t"}
        status, _, body = send(base_url, a["ApiId"], "/remote")
        assert status == 200 and json.loads(body)["url"] == "https://example.com/x"
    finally:
        server.shutdown()


def _mint(base_url, **claims):
    """A token from the emulator's own issuer (RS256, verifiable against its JWKS)."""
    req = urllib.request.Request(base_url + "/__aws/issuer/token", data=json.dumps(claims).encode(), method="POST")
    with urllib.request.urlopen(req) as r:
        return json.load(r)["token"]


def test_the_local_issuer_publishes_discovery_and_keys(base_url):
    with urllib.request.urlopen(base_url + "/__aws/issuer/.well-known/openid-configuration") as r:
        conf = json.load(r)
    assert conf["issuer"] == base_url + "/__aws/issuer"
    with urllib.request.urlopen(conf["jwks_uri"]) as r:
        key = json.load(r)["keys"][0]
    assert (key["kty"], key["alg"]) == ("RSA", "RS256") and key["n"] and key["e"]
    header = json.loads(base64.urlsafe_b64decode(_mint(base_url, sub="x").split(".")[0] + "=="))
    assert header["kid"] == key["kid"]


def test_cors_jwt_and_throttling(aws, aws_name, fn, base_url):
    v2 = aws("apigatewayv2")
    api_id, integration = lambda_api(
        v2, aws_name, fn, routes=(),
        CorsConfiguration={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["authorization"], "ExposeHeaders": ["x-function"], "MaxAge": 600},
    )
    au = v2.create_authorizer(
        ApiId=api_id, AuthorizerType="JWT", Name="jwt", IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["keyway"], "Issuer": base_url + "/__aws/issuer"},
    )
    v2.create_route(ApiId=api_id, RouteKey="GET /secure", Target="integrations/" + integration, AuthorizationType="JWT", AuthorizerId=au["AuthorizerId"])
    v2.create_route(ApiId=api_id, RouteKey="GET /scoped", Target="integrations/" + integration, AuthorizationType="JWT", AuthorizerId=au["AuthorizerId"], AuthorizationScopes=["admin"])
    v2.create_route(ApiId=api_id, RouteKey="GET /limited", Target="integrations/" + integration)
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, RouteSettings={"GET /limited": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.01}})
    permit(aws, fn, api_id)

    status, headers, _ = send(base_url, api_id, "/secure", method="OPTIONS", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    assert status == 204
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-allow-methods"] == "GET,POST" and headers["access-control-max-age"] == "600"
    status, headers, _ = send(base_url, api_id, "/secure", method="OPTIONS", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in headers

    now = int(time.time())
    good = {"aud": "keyway", "sub": "u1", "scope": "read"}
    bearer = lambda token: {"Authorization": "Bearer " + token}
    assert send(base_url, api_id, "/secure")[0] == 401
    for bad in (dict(good, aud="other"), dict(good, iss="https://else.example"), dict(good, exp=now - 10)):
        assert send(base_url, api_id, "/secure", headers=bearer(_mint(base_url, **bad)))[0] == 401, bad
    # The claims are right but the signature is not the issuer's.
    token = _mint(base_url, **good)
    forged = token.rsplit(".", 1)[0] + "." + base64.urlsafe_b64encode(b"x" * 256).rstrip(b"=").decode()
    assert send(base_url, api_id, "/secure", headers=bearer(forged))[0] == 401
    status, headers, body = send(base_url, api_id, "/secure", headers=dict(bearer(token), Origin="https://app.example"))
    assert status == 200, body
    assert headers["access-control-allow-origin"] == "https://app.example" and headers["access-control-expose-headers"] == "x-function"
    assert json.loads(body)["event"]["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "u1"
    assert send(base_url, api_id, "/scoped", headers=bearer(token))[0] == 403
    assert send(base_url, api_id, "/scoped", headers=bearer(_mint(base_url, **dict(good, scope="read admin"))))[0] == 200

    statuses = [send(base_url, api_id, "/limited")[0] for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    assert json.loads(send(base_url, api_id, "/limited")[2]) == {"message": "Too Many Requests"}


def test_other_runtimes_answer_as_an_echo(aws, aws_name, lambda_role, base_url):
    lam = aws("lambda")
    created = time.monotonic()
    f = lam.create_function(FunctionName=aws_name, Runtime="nodejs20.x", Role=lambda_role, Handler="index.handler", Code={"ZipFile": handler_zip()})
    v2 = aws("apigatewayv2")
    api_id, _ = lambda_api(v2, aws_name, f, routes=("POST /echo",))
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    permit(aws, f, api_id)
    # A function still Pending cannot be invoked (checked only while surely Pending).
    status = send(base_url, api_id, "/echo", method="POST", body=b"early")[0]
    if time.monotonic() - created < 0.4:
        assert status == 500
    lam.get_waiter("function_active_v2").wait(FunctionName=aws_name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    status, _, body = send(base_url, api_id, "/echo", method="POST", body=b"hello")
    assert status == 200 and json.loads(body)["body"] == "hello"
