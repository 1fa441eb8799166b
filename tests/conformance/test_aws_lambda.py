"""Lambda through boto3: functions with zip code (Pending → Active), configuration and code
updates, listing with markers, resource-policy permissions, and Lambda's errors."""

import base64
import hashlib
import json
import time

import pytest
from botocore.exceptions import ClientError
from conftest import handler_zip


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def create(lam, name, role, **kw):
    return lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": handler_zip()}, **kw
    )


def test_function_lifecycle(aws, aws_name, lambda_role):
    lam = aws("lambda")
    zipped = handler_zip()
    f = lam.create_function(
        FunctionName=aws_name,
        Runtime="python3.12",
        Role=lambda_role,
        Handler="app.handler",
        Code={"ZipFile": zipped},
        Environment={"Variables": {"GREETING": "hi"}},
        Timeout=10,
        Tags={"team": "core"},
    )
    assert f["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert f["FunctionArn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{aws_name}"
    assert f["CodeSha256"] == base64.b64encode(hashlib.sha256(zipped).digest()).decode()
    assert f["CodeSize"] == len(zipped)
    assert f["State"] == "Pending" and f["StateReasonCode"] == "Creating"
    assert f["Version"] == "$LATEST" and f["Timeout"] == 10 and f["MemorySize"] == 128

    # Lambda refuses updates while the function is being created.
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=aws_name, Timeout=20)
    assert err(e) == ("ResourceConflictException", 409)

    lam.get_waiter("function_active_v2").wait(FunctionName=aws_name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    time.sleep(1)
    got = lam.get_function(FunctionName=aws_name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Configuration"]["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert got["Code"]["RepositoryType"] == "S3"
    assert got["Tags"] == {"team": "core"}

    upd = lam.update_function_configuration(FunctionName=aws_name, Timeout=20, MemorySize=256, Description="d")
    assert upd["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated_v2").wait(FunctionName=aws_name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    cfg = lam.get_function_configuration(FunctionName=aws_name)
    assert (cfg["Timeout"], cfg["MemorySize"], cfg["Description"]) == (20, 256, "d")
    assert cfg["RevisionId"] != f["RevisionId"]

    new_zip = handler_zip("def handler(e, c):\n    return {'statusCode': 201}\n")
    code = lam.update_function_code(FunctionName=aws_name, ZipFile=new_zip)
    assert code["CodeSha256"] == base64.b64encode(hashlib.sha256(new_zip).digest()).decode()
    lam.get_waiter("function_updated_v2").wait(FunctionName=aws_name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})

    # By ARN as well as by name.
    assert lam.get_function_configuration(FunctionName=f["FunctionArn"])["FunctionName"] == aws_name

    gone = lam.delete_function(FunctionName=aws_name)
    assert gone["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=aws_name)
    assert err(e) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName=aws_name)
    assert err(e) == ("ResourceNotFoundException", 404)


def test_role_must_exist(aws, aws_name):
    with pytest.raises(ClientError) as e:
        create(aws("lambda"), aws_name, "arn:aws:iam::123456789012:role/no-such-role")
    assert err(e) == ("InvalidParameterValueException", 400)
    assert "cannot be assumed by Lambda" in e.value.response["Error"]["Message"]


def test_create_errors(aws, aws_name, lambda_role):
    lam = aws("lambda")
    create(lam, aws_name, lambda_role)
    with pytest.raises(ClientError) as e:
        create(lam, aws_name, lambda_role)
    assert err(e) == ("ResourceConflictException", 409)
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=aws_name + "z", Runtime="python3.12", Role=lambda_role, Handler="app.handler", Code={"ZipFile": b"not a zip"})
    assert err(e) == ("InvalidParameterValueException", 400)
    with pytest.raises(ClientError) as e:
        create(lam, aws_name + "t", lambda_role, Timeout=901)
    assert err(e) == ("InvalidParameterValueException", 400)
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=aws_name + "h", Role=lambda_role, Code={"ZipFile": handler_zip()})
    assert err(e) == ("InvalidParameterValueException", 400)


def test_list_functions_pages_with_markers(aws, aws_name, lambda_role):
    lam = aws("lambda")
    for i in range(3):
        create(lam, f"{aws_name}-{i}", lambda_role)
    seen, marker, pages = [], None, 0
    while True:
        page = lam.list_functions(MaxItems=2, **({"Marker": marker} if marker else {}))
        pages += 1
        seen += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert pages >= 2
    assert {f"{aws_name}-{i}" for i in range(3)} <= set(seen)
    assert len(seen) == len(set(seen))


def test_permissions(aws, aws_name, lambda_role):
    lam = aws("lambda")
    create(lam, aws_name, lambda_role)
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName=aws_name)
    assert err(e) == ("ResourceNotFoundException", 404)
    source = "arn:aws:execute-api:us-east-1:123456789012:abc123/*/*"
    added = lam.add_permission(
        FunctionName=aws_name, StatementId="apigw", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com", SourceArn=source
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    st = json.loads(added["Statement"])
    assert st["Sid"] == "apigw" and st["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert st["Condition"] == {"ArnLike": {"AWS:SourceArn": source}}
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=aws_name, StatementId="apigw", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
    assert err(e) == ("ResourceConflictException", 409)
    lam.add_permission(FunctionName=aws_name, StatementId="acct", Action="lambda:InvokeFunction", Principal="123456789012")
    policy = json.loads(lam.get_policy(FunctionName=aws_name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["apigw", "acct"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    removed = lam.remove_permission(FunctionName=aws_name, StatementId="apigw")
    assert removed["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName=aws_name, StatementId="apigw")
    assert err(e) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=aws_name + "-missing", StatementId="x", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
    assert err(e) == ("ResourceNotFoundException", 404)


def test_errors_are_lambdas_json_shape(aws_raw):
    status, headers, body = aws_raw("GET", "/2015-03-31/functions/no-such-fn", service="lambda")
    assert status == 404
    assert headers.get("x-amzn-errortype") == "ResourceNotFoundException"
    assert json.loads(body) == {"Type": "User", "Message": "Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-fn"}
