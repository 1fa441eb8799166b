"""API Gateway v2 (HTTP APIs) through boto3: APIs with CORS and quick create, routes,
integrations, JWT authorizers, stages with auto-deploy and route settings, deployments, paging,
and the errors where moto is lenient (duplicate route key, CORS max age, references in use,
second delete)."""

import json

import pytest
from botocore.exceptions import ClientError

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:backend"


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def v2(aws):
    return aws("apigatewayv2")


@pytest.fixture
def api(v2, aws_name):
    a = v2.create_api(Name=aws_name, ProtocolType="HTTP")
    yield a
    try:
        v2.delete_api(ApiId=a["ApiId"])
    except ClientError:
        pass


def http_integration(v2, api_id, **kw):
    args = dict(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri="https://example.com/items", PayloadFormatVersion="1.0")
    args.update(kw)
    return v2.create_integration(**args)


def test_api_lifecycle_and_cors(v2, aws_name):
    a = v2.create_api(
        Name=aws_name,
        ProtocolType="HTTP",
        Description="d",
        CorsConfiguration={"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET", "POST"], "MaxAge": 300},
        Tags={"team": "core"},
    )
    assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
    api_id = a["ApiId"]
    assert len(api_id) == 10 and api_id.isalnum() and api_id == api_id.lower()
    assert a["ApiEndpoint"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
    assert a["RouteSelectionExpression"] == "${request.method} ${request.path}"
    assert a["CorsConfiguration"]["MaxAge"] == 300

    with pytest.raises(ClientError) as e:
        v2.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["*"], "MaxAge": 86401})
    assert err(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        v2.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["*"], "AllowCredentials": True})
    assert err(e) == ("BadRequestException", 400)
    u = v2.update_api(ApiId=api_id, Name=aws_name + "-2", CorsConfiguration={"AllowOrigins": ["*"], "MaxAge": 86400})
    assert u["Name"] == aws_name + "-2" and u["CorsConfiguration"]["MaxAge"] == 86400
    assert v2.get_api(ApiId=api_id)["Description"] == "d"

    assert v2.delete_cors_configuration(ApiId=api_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "CorsConfiguration" not in v2.get_api(ApiId=api_id)

    assert v2.delete_api(ApiId=api_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        v2.get_api(ApiId=api_id)
    assert err(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        v2.delete_api(ApiId=api_id)
    assert err(e) == ("NotFoundException", 404)


def test_cors_max_age_over_a_day_is_rejected_on_create(v2, aws_name):
    with pytest.raises(ClientError) as e:
        v2.create_api(Name=aws_name, ProtocolType="HTTP", CorsConfiguration={"AllowOrigins": ["*"], "MaxAge": 99999})
    assert err(e) == ("BadRequestException", 400)


def test_quick_create_makes_route_integration_and_stage(v2, aws_name):
    a = v2.create_api(Name=aws_name, ProtocolType="HTTP", Target=LAMBDA_ARN)
    routes = v2.get_routes(ApiId=a["ApiId"])["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
    integrations = v2.get_integrations(ApiId=a["ApiId"])["Items"]
    assert integrations[0]["IntegrationType"] == "AWS_PROXY"
    assert integrations[0]["PayloadFormatVersion"] == "2.0"
    assert routes[0]["Target"] == "integrations/" + integrations[0]["IntegrationId"]
    stage = v2.get_stage(ApiId=a["ApiId"], StageName="$default")
    assert stage["AutoDeploy"] is True and stage["ApiGatewayManaged"] is True
    assert stage["DeploymentId"]
    v2.delete_api(ApiId=a["ApiId"])


def test_routes_and_integrations(v2, api):
    api_id = api["ApiId"]
    i = http_integration(v2, api_id, TimeoutInMillis=5000)
    assert i["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert i["ConnectionType"] == "INTERNET" and i["TimeoutInMillis"] == 5000
    lam = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=LAMBDA_ARN, PayloadFormatVersion="2.0")
    assert lam["IntegrationMethod"] == "POST"

    with pytest.raises(ClientError) as e:
        http_integration(v2, api_id, TimeoutInMillis=30001)
    assert err(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        http_integration(v2, api_id, PayloadFormatVersion="2.0")
    assert err(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        v2.create_integration(ApiId=api_id, IntegrationType="MOCK")
    assert err(e) == ("BadRequestException", 400)

    target = "integrations/" + i["IntegrationId"]
    r = v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}", Target=target)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert r["AuthorizationType"] == "NONE" and r["ApiKeyRequired"] is False
    v2.create_route(ApiId=api_id, RouteKey="ANY /{proxy+}", Target=target)
    v2.create_route(ApiId=api_id, RouteKey="$default", Target="integrations/" + lam["IntegrationId"])

    with pytest.raises(ClientError) as e:
        v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}", Target=target)
    assert err(e) == ("ConflictException", 409)
    for bad in ("GET items", "FETCH /items", "GET /{proxy+}/more", "GET /a//b"):
        with pytest.raises(ClientError) as e:
            v2.create_route(ApiId=api_id, RouteKey=bad)
        assert err(e) == ("BadRequestException", 400), bad
    with pytest.raises(ClientError) as e:
        v2.create_route(ApiId=api_id, RouteKey="GET /x", Target="integrations/nope123")
    assert err(e) == ("NotFoundException", 404)

    # An integration a route still targets cannot be deleted.
    with pytest.raises(ClientError) as e:
        v2.delete_integration(ApiId=api_id, IntegrationId=i["IntegrationId"])
    assert err(e) == ("BadRequestException", 400)

    upd = v2.update_route(ApiId=api_id, RouteId=r["RouteId"], RouteKey="GET /things/{id}")
    assert upd["RouteKey"] == "GET /things/{id}" and upd["Target"] == target
    with pytest.raises(ClientError) as e:
        v2.update_route(ApiId=api_id, RouteId=r["RouteId"], RouteKey="$default")
    assert err(e) == ("ConflictException", 409)
    ui = v2.update_integration(ApiId=api_id, IntegrationId=i["IntegrationId"], IntegrationUri="https://example.com/other")
    assert ui["IntegrationUri"] == "https://example.com/other" and ui["TimeoutInMillis"] == 5000

    for route in v2.get_routes(ApiId=api_id)["Items"]:
        if route["Target"] == target:
            assert v2.delete_route(ApiId=api_id, RouteId=route["RouteId"])["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert v2.delete_integration(ApiId=api_id, IntegrationId=i["IntegrationId"])["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        v2.delete_integration(ApiId=api_id, IntegrationId=i["IntegrationId"])
    assert err(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        v2.delete_route(ApiId=api_id, RouteId=r["RouteId"])
    assert err(e) == ("NotFoundException", 404)


def test_jwt_authorizers(v2, api):
    api_id = api["ApiId"]
    au = v2.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["aud1"], "Issuer": "https://issuer.example.com"},
    )
    assert au["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert au["JwtConfiguration"] == {"Audience": ["aud1"], "Issuer": "https://issuer.example.com"}
    with pytest.raises(ClientError) as e:
        v2.create_authorizer(ApiId=api_id, AuthorizerType="JWT", Name="x", IdentitySource=["$request.header.Authorization"], JwtConfiguration={"Audience": ["a"]})
    assert err(e) == ("BadRequestException", 400)
    i = http_integration(v2, api_id)
    r = v2.create_route(
        ApiId=api_id, RouteKey="GET /secure", Target="integrations/" + i["IntegrationId"], AuthorizationType="JWT", AuthorizerId=au["AuthorizerId"], AuthorizationScopes=["read"]
    )
    assert r["AuthorizerId"] == au["AuthorizerId"]
    with pytest.raises(ClientError) as e:
        v2.create_route(ApiId=api_id, RouteKey="GET /other", AuthorizationType="JWT")
    assert err(e) == ("BadRequestException", 400)
    listed = v2.get_authorizers(ApiId=api_id)["Items"]
    assert [a["Name"] for a in listed] == ["jwt"]
    upd = v2.update_authorizer(ApiId=api_id, AuthorizerId=au["AuthorizerId"], JwtConfiguration={"Audience": ["aud2"], "Issuer": "https://issuer.example.com"})
    assert upd["JwtConfiguration"]["Audience"] == ["aud2"]
    with pytest.raises(ClientError) as e:
        v2.delete_authorizer(ApiId=api_id, AuthorizerId=au["AuthorizerId"])
    assert err(e) == ("BadRequestException", 400)
    v2.delete_route(ApiId=api_id, RouteId=r["RouteId"])
    v2.delete_authorizer(ApiId=api_id, AuthorizerId=au["AuthorizerId"])
    with pytest.raises(ClientError) as e:
        v2.get_authorizer(ApiId=api_id, AuthorizerId=au["AuthorizerId"])
    assert err(e) == ("NotFoundException", 404)


def test_stages_and_deployments(v2, api):
    api_id = api["ApiId"]
    with pytest.raises(ClientError) as e:
        v2.create_deployment(ApiId=api_id)
    assert err(e) == ("BadRequestException", 400)
    i = http_integration(v2, api_id)
    v2.create_route(ApiId=api_id, RouteKey="GET /items", Target="integrations/" + i["IntegrationId"])
    d = v2.create_deployment(ApiId=api_id, Description="first")
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert d["DeploymentStatus"] == "DEPLOYED" and d["AutoDeployed"] is False

    s = v2.create_stage(
        ApiId=api_id,
        StageName="prod",
        DeploymentId=d["DeploymentId"],
        StageVariables={"backend": "b1"},
        DefaultRouteSettings={"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 5.0},
        RouteSettings={"GET /items": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 1.0}},
        AccessLogSettings={"DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:g", "Format": "$context.requestId"},
    )
    assert s["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert s["DefaultRouteSettings"]["ThrottlingRateLimit"] == 5.0
    assert s["RouteSettings"]["GET /items"]["ThrottlingBurstLimit"] == 2
    with pytest.raises(ClientError) as e:
        v2.create_stage(ApiId=api_id, StageName="prod")
    assert err(e) == ("ConflictException", 409)
    with pytest.raises(ClientError) as e:
        v2.create_stage(ApiId=api_id, StageName="other", RouteSettings={"GET /nope": {"ThrottlingBurstLimit": 1}})
    assert err(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        v2.create_stage(ApiId=api_id, StageName="neg", DefaultRouteSettings={"ThrottlingRateLimit": -1.0})
    assert err(e) == ("BadRequestException", 400)

    # A deployment a stage uses cannot be deleted.
    with pytest.raises(ClientError) as e:
        v2.delete_deployment(ApiId=api_id, DeploymentId=d["DeploymentId"])
    assert err(e) == ("BadRequestException", 400)

    d2 = v2.create_deployment(ApiId=api_id, StageName="prod")
    assert v2.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == d2["DeploymentId"]
    assert v2.delete_deployment(ApiId=api_id, DeploymentId=d["DeploymentId"])["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        v2.get_deployment(ApiId=api_id, DeploymentId=d["DeploymentId"])
    assert err(e) == ("NotFoundException", 404)

    # Auto-deploy: every change gets deployed to the stage.
    auto = v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    first = auto["DeploymentId"]
    v2.create_route(ApiId=api_id, RouteKey="POST /items", Target="integrations/" + i["IntegrationId"])
    after = v2.get_stage(ApiId=api_id, StageName="$default")
    assert after["DeploymentId"] != first
    assert v2.get_deployment(ApiId=api_id, DeploymentId=after["DeploymentId"])["AutoDeployed"] is True
    with pytest.raises(ClientError) as e:
        v2.create_deployment(ApiId=api_id, StageName="$default")
    assert err(e) == ("BadRequestException", 400)

    u = v2.update_stage(ApiId=api_id, StageName="prod", StageVariables={"backend": "b2"}, DefaultRouteSettings={"ThrottlingBurstLimit": 20})
    assert u["StageVariables"] == {"backend": "b2"}
    assert u["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 20 and u["DefaultRouteSettings"]["ThrottlingRateLimit"] == 5.0
    assert v2.delete_route_settings(ApiId=api_id, StageName="prod", RouteKey="GET /items")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert v2.delete_stage(ApiId=api_id, StageName="prod")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        v2.delete_stage(ApiId=api_id, StageName="prod")
    assert err(e) == ("NotFoundException", 404)


def test_lists_page_with_next_token(v2, api):
    api_id = api["ApiId"]
    i = http_integration(v2, api_id)
    keys = [f"GET /r{n}" for n in range(5)]
    for k in keys:
        v2.create_route(ApiId=api_id, RouteKey=k, Target="integrations/" + i["IntegrationId"])
    seen, token, pages = [], None, 0
    while True:
        page = v2.get_routes(ApiId=api_id, MaxResults="2", **({"NextToken": token} if token else {}))
        pages += 1
        seen += [r["RouteKey"] for r in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3 and sorted(seen) == keys


def test_timeout_below_50_ms_is_rejected(aws_raw, api):
    # boto3 checks the minimum itself; the service does too.
    body = {"integrationType": "HTTP_PROXY", "integrationMethod": "GET", "integrationUri": "https://example.com", "timeoutInMillis": 49}
    status, headers, _ = aws_raw("POST", f"/v2/apis/{api['ApiId']}/integrations", json.dumps(body))
    assert (status, headers.get("x-amzn-errortype")) == (400, "BadRequestException")


def test_errors_are_api_gateways_json_shape(aws_raw):
    status, headers, body = aws_raw("GET", "/v2/apis/nosuchapi1")
    assert status == 404
    assert headers.get("x-amzn-errortype") == "NotFoundException"
    assert set(json.loads(body)) == {"message"}
