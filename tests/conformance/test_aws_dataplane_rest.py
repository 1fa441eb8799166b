"""Traffic through REST APIs (API Gateway v1's data plane), set up with boto3 and sent to
`/__host/{api}.execute-api.us-east-1.amazonaws.com/{stage}/...`: the deployed snapshot, API keys
with usage plan throttles and quotas, stage throttling, MOCK integrations and Lambda proxies,
answered with API Gateway's gateway responses."""

import json

import pytest
from conftest import handler_zip
from test_aws_dataplane import ECHO_HANDLER, permit, send


@pytest.fixture
def gw(aws):
    return aws("apigateway")


def mock_get(gw, api_id, resource_id, key_required, template='{"statusCode": 200}', responses=(("200", "", '{"ok": true}'),)):
    gw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="GET", authorizationType="NONE", apiKeyRequired=key_required)
    gw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="GET", type="MOCK", requestTemplates={"application/json": template})
    for status, pattern, body in responses:
        gw.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode=status, responseParameters={"method.response.header.X-Mock": False})
        gw.put_integration_response(
            restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode=status, selectionPattern=pattern,
            responseTemplates={"application/json": body}, responseParameters={"method.response.header.X-Mock": "'yes'"},
        )


def error_of(reply):
    status, headers, body = reply
    return status, headers.get("x-amzn-errortype"), json.loads(body)["message"]


def test_api_keys_usage_plans_and_the_deployed_snapshot(gw, aws_name, base_url):
    api = gw.create_rest_api(name=aws_name)
    api_id, root = api["id"], api["rootResourceId"]
    pets = gw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    mock_get(gw, api_id, pets["id"], key_required=True)
    gw.create_deployment(restApiId=api_id, stageName="prod")

    key = gw.create_api_key(name=aws_name, enabled=True)
    loose = gw.create_api_key(name=aws_name + "-loose", enabled=True)
    off = gw.create_api_key(name=aws_name + "-off", enabled=False)
    plan = gw.create_usage_plan(name=aws_name, apiStages=[{"apiId": api_id, "stage": "prod"}], throttle={"burstLimit": 3, "rateLimit": 0.01})
    for k in (key, off):
        gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=k["id"], keyType="API_KEY")

    assert error_of(send(base_url, api_id, "/prod/pets")) == (403, "ForbiddenException", "Forbidden")
    for bad in ("x" * 40, loose["value"], off["value"]):
        assert error_of(send(base_url, api_id, "/prod/pets", headers={"x-api-key": bad})) == (403, "ForbiddenException", "Forbidden")
    status, headers, body = send(base_url, api_id, "/prod/pets", headers={"x-api-key": key["value"]})
    assert (status, json.loads(body), headers["x-mock"]) == (200, {"ok": True}, "yes")

    # Unknown stages, resources and methods are "Missing Authentication Token".
    for path, method in (("/prod/nothing", "GET"), ("/dev/pets", "GET"), ("/prod/pets", "POST"), ("/prod", "GET")):
        assert error_of(send(base_url, api_id, path, method=method, body=b"" if method == "POST" else None)) == (
            403, "MissingAuthenticationTokenException", "Missing Authentication Token"), path

    # A method added after the deployment is served only once deployed.
    cats = gw.create_resource(restApiId=api_id, parentId=root, pathPart="cats")
    mock_get(gw, api_id, cats["id"], key_required=False)
    assert send(base_url, api_id, "/prod/cats")[0] == 403
    gw.create_deployment(restApiId=api_id, stageName="prod")
    assert send(base_url, api_id, "/prod/cats")[0] == 200

    # The plan's burst of 3 (refilled at 0.01/s) is spent: one success above, two more, then 429.
    statuses = [send(base_url, api_id, "/prod/pets", headers={"x-api-key": key["value"]})[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert error_of(send(base_url, api_id, "/prod/pets", headers={"x-api-key": key["value"]})) == (429, "TooManyRequestsException", "Too Many Requests")


def test_quota_and_stage_throttling(gw, aws_name, base_url):
    api = gw.create_rest_api(name=aws_name)
    api_id, root = api["id"], api["rootResourceId"]
    items = gw.create_resource(restApiId=api_id, parentId=root, pathPart="items")
    mock_get(gw, api_id, items["id"], key_required=True)
    free = gw.create_resource(restApiId=api_id, parentId=root, pathPart="free")
    mock_get(gw, api_id, free["id"], key_required=False)
    gw.create_deployment(restApiId=api_id, stageName="v1")
    key = gw.create_api_key(name=aws_name, enabled=True)
    plan = gw.create_usage_plan(name=aws_name, apiStages=[{"apiId": api_id, "stage": "v1"}], quota={"limit": 2, "period": "DAY"})
    gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    statuses = [send(base_url, api_id, "/v1/items", headers={"x-api-key": key["value"]})[0] for _ in range(2)]
    assert statuses == [200, 200]
    assert error_of(send(base_url, api_id, "/v1/items", headers={"x-api-key": key["value"]})) == (429, "LimitExceededException", "Limit Exceeded")

    gw.update_stage(restApiId=api_id, stageName="v1", patchOperations=[
        {"op": "replace", "path": "/free/GET/throttling/burstLimit", "value": "1"},
        {"op": "replace", "path": "/free/GET/throttling/rateLimit", "value": "0.01"},
    ])
    assert [send(base_url, api_id, "/v1/free")[0] for _ in range(2)] == [200, 429]


def test_mock_selection_patterns(gw, aws_name, base_url):
    api = gw.create_rest_api(name=aws_name)
    api_id = api["id"]
    gone = gw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="gone")
    mock_get(gw, api_id, gone["id"], key_required=False, template='{"statusCode": 404}',
             responses=(("200", "", '{"ok": true}'), ("404", "4\\d{2}", '{"error": "not here"}')))
    gw.create_deployment(restApiId=api_id, stageName="s")
    status, _, body = send(base_url, api_id, "/s/gone")
    assert (status, json.loads(body)) == (404, {"error": "not here"})


def test_lambda_proxy_through_a_rest_api(aws, gw, aws_name, lambda_role, base_url):
    lam = aws("lambda")
    fn = lam.create_function(FunctionName=aws_name, Runtime="python3.11", Role=lambda_role, Handler="app.handler", Code={"ZipFile": handler_zip(ECHO_HANDLER)})
    lam.get_waiter("function_active_v2").wait(FunctionName=aws_name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    api = gw.create_rest_api(name=aws_name)
    api_id = api["id"]
    proxy = gw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="{proxy+}")
    gw.put_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
    gw.put_integration(
        restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn['FunctionArn']}/invocations",
    )
    gw.create_deployment(restApiId=api_id, stageName="live", variables={"color": "blue"})

    assert error_of(send(base_url, api_id, "/live/a/b")) == (500, "InternalServerErrorException", "Internal server error")
    permit(aws, fn, api_id, "*/*/*")
    status, _, body = send(base_url, api_id, "/live/a/b?x=1", method="DELETE")
    assert status == 200, body
    e = json.loads(body)["event"]
    assert e["version"] == "1.0" and e["httpMethod"] == "DELETE" and e["resource"] == "/{proxy+}"
    assert e["path"] == "/a/b" and e["pathParameters"] == {"proxy": "a/b"} and e["queryStringParameters"] == {"x": "1"}
    assert e["stageVariables"] == {"color": "blue"} and e["requestContext"]["stage"] == "live"
    # REST APIs need statusCode in the result: a result without one is a 502.
    assert error_of(send(base_url, api_id, "/live/fail/plain")) == (502, "InternalServerErrorException", "Internal server error")
    assert send(base_url, api_id, "/live/fail/raise")[0] == 502
