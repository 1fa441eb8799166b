"""API Gateway v1 (REST APIs) through boto3: REST APIs and their resource trees, methods,
integrations and responses, deployments and stages (method settings by patch), API keys, usage
plans and their keys, `position` paging, 201 / 202 / 204 statuses and the errors moto skips."""

import json
import re

import pytest
from botocore.exceptions import ClientError


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def status(r):
    return r["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def gw(aws):
    return aws("apigateway")


@pytest.fixture
def rest(gw, aws_name):
    api = gw.create_rest_api(name=aws_name)
    yield api
    try:
        gw.delete_rest_api(restApiId=api["id"])
    except ClientError:
        pass


def mock_method(gw, api_id, resource_id, method="GET", key=False):
    gw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, authorizationType="NONE", apiKeyRequired=key)
    gw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})


def test_rest_api_lifecycle(gw, aws_name):
    api = gw.create_rest_api(name=aws_name, description="d", endpointConfiguration={"types": ["REGIONAL"]}, tags={"t": "v"})
    assert status(api) == 201
    assert re.fullmatch(r"[a-z0-9]{10}", api["id"])
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert api["apiKeySource"] == "HEADER"
    resources = gw.get_resources(restApiId=api["id"])["items"]
    assert [(r["id"], r["path"]) for r in resources] == [(api["rootResourceId"], "/")]

    upd = gw.update_rest_api(
        restApiId=api["id"],
        patchOperations=[
            {"op": "replace", "path": "/name", "value": aws_name + "-2"},
            {"op": "add", "path": "/binaryMediaTypes/image~1png"},
            {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"},
        ],
    )
    assert upd["name"] == aws_name + "-2" and upd["binaryMediaTypes"] == ["image/png"] and upd["minimumCompressionSize"] == 1024
    with pytest.raises(ClientError) as e:
        gw.update_rest_api(restApiId=api["id"], patchOperations=[{"op": "replace", "path": "/nosuchfield", "value": "x"}])
    assert err(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        gw.update_rest_api(restApiId=api["id"], patchOperations=[{"op": "replace", "path": "/minimumCompressionSize", "value": "lots"}])
    assert err(e) == ("BadRequestException", 400)

    assert status(gw.delete_rest_api(restApiId=api["id"])) == 202
    with pytest.raises(ClientError) as e:
        gw.get_rest_api(restApiId=api["id"])
    assert err(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        gw.delete_rest_api(restApiId=api["id"])
    assert err(e) == ("NotFoundException", 404)


def test_resources_methods_integrations(gw, rest):
    api_id, root = rest["id"], rest["rootResourceId"]
    items = gw.create_resource(restApiId=api_id, parentId=root, pathPart="items")
    assert status(items) == 201 and items["path"] == "/items" and items["parentId"] == root
    one = gw.create_resource(restApiId=api_id, parentId=items["id"], pathPart="{id}")
    assert one["path"] == "/items/{id}"
    gw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
    with pytest.raises(ClientError) as e:
        gw.create_resource(restApiId=api_id, parentId=root, pathPart="items")
    assert err(e) == ("ConflictException", 409)
    with pytest.raises(ClientError) as e:
        gw.create_resource(restApiId=api_id, parentId=root, pathPart="bad{part")
    assert err(e) == ("BadRequestException", 400)

    m = gw.put_method(
        restApiId=api_id, resourceId=one["id"], httpMethod="GET", authorizationType="NONE", apiKeyRequired=True,
        requestParameters={"method.request.path.id": True},
    )
    assert status(m) == 201 and m["apiKeyRequired"] is True and m["httpMethod"] == "GET"
    with pytest.raises(ClientError) as e:
        gw.put_method(restApiId=api_id, resourceId=one["id"], httpMethod="GET", authorizationType="NONE")
    assert err(e) == ("ConflictException", 409)
    with pytest.raises(ClientError) as e:
        gw.get_integration(restApiId=api_id, resourceId=one["id"], httpMethod="GET")
    assert err(e) == ("NotFoundException", 404)

    i = gw.put_integration(
        restApiId=api_id, resourceId=one["id"], httpMethod="GET", type="HTTP_PROXY", integrationHttpMethod="GET",
        uri="https://example.com/items/{id}", requestParameters={"integration.request.path.id": "method.request.path.id"},
    )
    assert status(i) == 201
    assert (i["passthroughBehavior"], i["timeoutInMillis"], i["connectionType"]) == ("WHEN_NO_MATCH", 29000, "INTERNET")
    for bad in (
        dict(type="HTTP_PROXY", uri="https://example.com"),
        dict(type="HTTP_PROXY", integrationHttpMethod="GET", uri="not a url"),
        dict(type="MOCK", timeoutInMillis=29001),
        dict(type="AWS_PROXY", integrationHttpMethod="POST", uri="https://example.com"),
    ):
        with pytest.raises(ClientError) as e:
            gw.put_integration(restApiId=api_id, resourceId=one["id"], httpMethod="GET", **bad)
        assert err(e) == ("BadRequestException", 400), bad

    mr = gw.put_method_response(restApiId=api_id, resourceId=one["id"], httpMethod="GET", statusCode="200", responseModels={"application/json": "Empty"})
    assert status(mr) == 201
    with pytest.raises(ClientError) as e:
        gw.put_integration_response(restApiId=api_id, resourceId=one["id"], httpMethod="GET", statusCode="500")
    assert err(e) == ("NotFoundException", 404)
    ir = gw.put_integration_response(restApiId=api_id, resourceId=one["id"], httpMethod="GET", statusCode="200", selectionPattern="")
    assert status(ir) == 201

    got = gw.get_method(restApiId=api_id, resourceId=one["id"], httpMethod="GET")
    assert got["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"
    assert got["methodResponses"]["200"]["responseModels"] == {"application/json": "Empty"}
    embedded = {r["path"]: r for r in gw.get_resources(restApiId=api_id, embed=["methods"])["items"]}
    assert embedded["/items/{id}"]["resourceMethods"]["GET"]["methodIntegration"]["type"] == "HTTP_PROXY"

    um = gw.update_method(restApiId=api_id, resourceId=one["id"], httpMethod="GET", patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "false"}])
    assert um["apiKeyRequired"] is False
    ui = gw.update_integration(restApiId=api_id, resourceId=one["id"], httpMethod="GET", patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "5000"}])
    assert ui["timeoutInMillis"] == 5000
    moved = gw.update_resource(restApiId=api_id, resourceId=one["id"], patchOperations=[{"op": "replace", "path": "/pathPart", "value": "{key}"}])
    assert moved["path"] == "/items/{key}"

    assert status(gw.delete_integration_response(restApiId=api_id, resourceId=one["id"], httpMethod="GET", statusCode="200")) == 204
    assert status(gw.delete_method_response(restApiId=api_id, resourceId=one["id"], httpMethod="GET", statusCode="200")) == 204
    assert status(gw.delete_integration(restApiId=api_id, resourceId=one["id"], httpMethod="GET")) == 204
    assert status(gw.delete_method(restApiId=api_id, resourceId=one["id"], httpMethod="GET")) == 204
    with pytest.raises(ClientError) as e:
        gw.delete_method(restApiId=api_id, resourceId=one["id"], httpMethod="GET")
    assert err(e) == ("NotFoundException", 404)

    # A resource goes with its children; the root cannot go.
    assert status(gw.delete_resource(restApiId=api_id, resourceId=items["id"])) == 202
    with pytest.raises(ClientError) as e:
        gw.get_resource(restApiId=api_id, resourceId=one["id"])
    assert err(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        gw.delete_resource(restApiId=api_id, resourceId=root)
    assert err(e) == ("BadRequestException", 400)


def test_deployments_and_stages(gw, rest):
    api_id, root = rest["id"], rest["rootResourceId"]
    with pytest.raises(ClientError) as e:
        gw.create_deployment(restApiId=api_id, stageName="prod")
    assert err(e) == ("BadRequestException", 400)
    pets = gw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    mock_method(gw, api_id, pets["id"], key=True)
    d = gw.create_deployment(restApiId=api_id, stageName="prod", description="first", variables={"v": "1"})
    assert status(d) == 201 and re.fullmatch(r"[a-z0-9]{6}", d["id"])
    stage = gw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["deploymentId"] == d["id"] and stage["variables"] == {"v": "1"}
    summary = gw.get_deployment(restApiId=api_id, deploymentId=d["id"], embed=["apisummary"])["apiSummary"]
    assert summary == {"/pets": {"GET": {"authorizationType": "NONE", "apiKeyRequired": True}}}

    with pytest.raises(ClientError) as e:
        gw.delete_deployment(restApiId=api_id, deploymentId=d["id"])
    assert err(e) == ("BadRequestException", 400)

    d2 = gw.create_deployment(restApiId=api_id)
    s2 = gw.create_stage(restApiId=api_id, stageName="dev", deploymentId=d2["id"], tags={"a": "b"})
    assert status(s2) == 201 and s2["cacheClusterStatus"] == "NOT_AVAILABLE"
    with pytest.raises(ClientError) as e:
        gw.create_stage(restApiId=api_id, stageName="dev", deploymentId=d2["id"])
    assert err(e) == ("ConflictException", 409)
    with pytest.raises(ClientError) as e:
        gw.create_stage(restApiId=api_id, stageName="x", deploymentId="nope00")
    assert err(e) == ("NotFoundException", 404)
    assert sorted(s["stageName"] for s in gw.get_stages(restApiId=api_id)["item"]) == ["dev", "prod"]

    upd = gw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "50"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "100"},
            {"op": "replace", "path": "/~1pets/GET/metrics/enabled", "value": "true"},
            {"op": "replace", "path": "/variables/v", "value": "2"},
            {"op": "replace", "path": "/deploymentId", "value": d2["id"]},
        ],
    )
    assert upd["methodSettings"]["*/*"]["throttlingRateLimit"] == 50.0
    assert upd["methodSettings"]["*/*"]["throttlingBurstLimit"] == 100
    assert upd["methodSettings"]["pets/GET"]["metricsEnabled"] is True
    assert upd["variables"] == {"v": "2"} and upd["deploymentId"] == d2["id"]
    with pytest.raises(ClientError) as e:
        gw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "-1"}])
    assert err(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        gw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[{"op": "replace", "path": "/~1nothere/GET/metrics/enabled", "value": "true"}])
    assert err(e) == ("BadRequestException", 400)

    # The first deployment is free now.
    assert status(gw.delete_deployment(restApiId=api_id, deploymentId=d["id"])) == 202
    assert status(gw.delete_stage(restApiId=api_id, stageName="dev")) == 202
    with pytest.raises(ClientError) as e:
        gw.delete_stage(restApiId=api_id, stageName="dev")
    assert err(e) == ("NotFoundException", 404)


def test_api_keys_usage_plans_and_plan_keys(gw, rest, aws_name):
    api_id = rest["id"]
    pets = gw.create_resource(restApiId=api_id, parentId=rest["rootResourceId"], pathPart="pets")
    mock_method(gw, api_id, pets["id"], key=True)
    gw.create_deployment(restApiId=api_id, stageName="prod")

    key = gw.create_api_key(name=aws_name, enabled=True)
    assert status(key) == 201 and len(key["value"]) == 40 and re.fullmatch(r"[a-z0-9]{10}", key["id"])
    assert "value" not in gw.get_api_key(apiKey=key["id"])
    assert gw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]
    given = gw.create_api_key(name=aws_name + "-given", value="x" * 30)
    assert given["value"] == "x" * 30 and given["enabled"] is False
    with pytest.raises(ClientError) as e:
        gw.create_api_key(name="dup", value="x" * 30)
    assert err(e) == ("ConflictException", 409)
    with pytest.raises(ClientError) as e:
        gw.create_api_key(name="short", value="tooshort")
    assert err(e) == ("BadRequestException", 400)
    upd = gw.update_api_key(apiKey=given["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}])
    assert upd["enabled"] is True

    plan = gw.create_usage_plan(
        name=aws_name, apiStages=[{"apiId": api_id, "stage": "prod"}], throttle={"burstLimit": 10, "rateLimit": 5.0}, quota={"limit": 1000, "period": "DAY"}
    )
    assert status(plan) == 201
    for bad in (
        dict(quota={"limit": 10, "period": "YEAR"}),
        dict(quota={"limit": 10, "period": "WEEK", "offset": 7}),
        dict(throttle={"burstLimit": -1}),
    ):
        with pytest.raises(ClientError) as e:
            gw.create_usage_plan(name="bad", **bad)
        assert err(e) == ("BadRequestException", 400), bad
    with pytest.raises(ClientError) as e:
        gw.create_usage_plan(name="bad", apiStages=[{"apiId": api_id, "stage": "nostage"}])
    assert err(e) == ("NotFoundException", 404)

    pk = gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert status(pk) == 201 and pk["value"] == key["value"] and pk["type"] == "API_KEY"
    with pytest.raises(ClientError) as e:
        gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert err(e) == ("ConflictException", 409)
    with pytest.raises(ClientError) as e:
        gw.create_usage_plan_key(usagePlanId=plan["id"], keyId="nosuchkey0", keyType="API_KEY")
    assert err(e) == ("NotFoundException", 404)
    assert [k["id"] for k in gw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    assert [p["id"] for p in gw.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]

    up = gw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/throttle/rateLimit", "value": "20"},
            {"op": "replace", "path": "/quota/period", "value": "WEEK"},
            {"op": "remove", "path": "/apiStages", "value": f"{api_id}:prod"},
        ],
    )
    assert up["throttle"]["rateLimit"] == 20.0 and up["quota"]["period"] == "WEEK" and up["apiStages"] == []

    assert status(gw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])) == 202
    with pytest.raises(ClientError) as e:
        gw.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert err(e) == ("NotFoundException", 404)
    assert status(gw.delete_usage_plan(usagePlanId=plan["id"])) == 202
    with pytest.raises(ClientError) as e:
        gw.delete_usage_plan(usagePlanId=plan["id"])
    assert err(e) == ("NotFoundException", 404)
    assert status(gw.delete_api_key(apiKey=key["id"])) == 202
    with pytest.raises(ClientError) as e:
        gw.delete_api_key(apiKey=key["id"])
    assert err(e) == ("NotFoundException", 404)


def test_lists_page_with_position(gw, aws_name):
    ids = [gw.create_rest_api(name=f"{aws_name}-{i}")["id"] for i in range(4)]
    seen, position, pages = [], None, 0
    while True:
        page = gw.get_rest_apis(limit=3, **({"position": position} if position else {}))
        pages += 1
        seen += [a["id"] for a in page["items"]]
        position = page.get("position")
        if not position:
            break
    assert pages >= 2 and set(ids) <= set(seen) and len(seen) == len(set(seen))
    by_paginator = [a["id"] for p in gw.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": 2}) for a in p["items"]]
    assert sorted(by_paginator) == sorted(seen)
    for i in ids:
        gw.delete_rest_api(restApiId=i)


def test_unsigned_requests_get_missing_token(aws_raw):
    status_code, headers, body = aws_raw("GET", "/restapis", auth=False)
    assert status_code == 403
    assert headers.get("x-amzn-errortype") == "MissingAuthenticationTokenException"
    assert json.loads(body) == {"message": "Missing Authentication Token"}
