"""IAM roles and STS through boto3's query-protocol clients: lifecycles, IAM's XML shapes
(URL-encoded policy documents), and its error codes."""

import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_caller_identity_is_the_one_account(aws):
    ident = aws("sts").get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"].startswith("arn:aws:iam::123456789012:")
    assert ident["UserId"].startswith("AIDA")


def test_role_lifecycle(aws, aws_name):
    iam = aws("iam")
    created = iam.create_role(
        RoleName=aws_name,
        Path="/service/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="first",
        Tags=[{"Key": "team", "Value": "core"}],
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::123456789012:role/service/{aws_name}"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["AssumeRolePolicyDocument"] == TRUST  # boto3 URL-decodes and parses it

    iam.update_role(RoleName=aws_name, Description="second", MaxSessionDuration=7200)
    new_trust = dict(TRUST, Statement=[dict(TRUST["Statement"][0], Principal={"Service": "apigateway.amazonaws.com"})])
    iam.update_assume_role_policy(RoleName=aws_name, PolicyDocument=json.dumps(new_trust))
    got = iam.get_role(RoleName=aws_name)["Role"]
    assert got["Description"] == "second"
    assert got["MaxSessionDuration"] == 7200
    assert got["AssumeRolePolicyDocument"] == new_trust

    iam.tag_role(RoleName=aws_name, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "edge"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=aws_name)["Tags"]}
    assert tags == {"team": "edge", "env": "dev"}
    iam.untag_role(RoleName=aws_name, TagKeys=["env"])
    assert [t["Key"] for t in iam.list_role_tags(RoleName=aws_name)["Tags"]] == ["team"]

    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    iam.attach_role_policy(RoleName=aws_name, PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName=aws_name)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": arn}]
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=aws_name)
    assert code(e) == ("DeleteConflict", 409)
    iam.detach_role_policy(RoleName=aws_name, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName=aws_name, PolicyArn=arn)
    assert code(e) == ("NoSuchEntity", 404)

    iam.put_role_policy(RoleName=aws_name, PolicyName="logs", PolicyDocument=json.dumps(INLINE))
    assert iam.list_role_policies(RoleName=aws_name)["PolicyNames"] == ["logs"]
    assert iam.get_role_policy(RoleName=aws_name, PolicyName="logs")["PolicyDocument"] == INLINE
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=aws_name)
    assert code(e) == ("DeleteConflict", 409)
    iam.delete_role_policy(RoleName=aws_name, PolicyName="logs")
    with pytest.raises(ClientError) as e:
        iam.get_role_policy(RoleName=aws_name, PolicyName="logs")
    assert code(e) == ("NoSuchEntity", 404)

    iam.delete_role(RoleName=aws_name)
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=aws_name)
    assert code(e) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=aws_name)
    assert code(e) == ("NoSuchEntity", 404)


def test_role_errors(aws, aws_name):
    iam = aws("iam")
    iam.create_role(RoleName=aws_name, AssumeRolePolicyDocument=json.dumps(TRUST))
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=aws_name.upper(), AssumeRolePolicyDocument=json.dumps(TRUST))
    assert code(e) == ("EntityAlreadyExists", 409)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=aws_name + "x", AssumeRolePolicyDocument="{not json")
    assert code(e) == ("MalformedPolicyDocument", 400)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="bad/name", AssumeRolePolicyDocument=json.dumps(TRUST))
    assert code(e) == ("ValidationError", 400)
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName=aws_name, PolicyArn="arn:aws:s3:::not-a-policy-arn")
    assert code(e) == ("InvalidInput", 400)
    with pytest.raises(ClientError) as e:
        iam.update_role(RoleName=aws_name, MaxSessionDuration=50000)
    assert code(e) == ("ValidationError", 400)


def test_list_roles_pages_with_marker(aws, aws_name):
    iam = aws("iam")
    path = f"/{aws_name}/"
    for i in range(5):
        iam.create_role(RoleName=f"{aws_name}-{i}", Path=path, AssumeRolePolicyDocument=json.dumps(TRUST))
    names, marker, pages = [], None, 0
    while True:
        kw = {"PathPrefix": path, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = iam.list_roles(**kw)
        pages += 1
        names += [r["RoleName"] for r in page["Roles"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert pages == 3
    assert sorted(names) == [f"{aws_name}-{i}" for i in range(5)]
    paginated = [r["RoleName"] for p in iam.get_paginator("list_roles").paginate(PathPrefix=path, PaginationConfig={"PageSize": 2}) for r in p["Roles"]]
    assert sorted(paginated) == sorted(names)


def test_raw_xml_is_iams_documented_shape(aws_raw, aws_name):
    form = urllib.parse.urlencode({
        "Action": "CreateRole",
        "Version": "2010-05-08",
        "RoleName": aws_name,
        "AssumeRolePolicyDocument": json.dumps(TRUST),
    })
    status, _, body = aws_raw("POST", "/", form, service="iam", content_type="application/x-www-form-urlencoded")
    assert status == 200
    assert '<CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">' in body
    assert "<CreateRoleResult><Role>" in body
    assert "<AssumeRolePolicyDocument>%7B%22Version%22" in body
    form = urllib.parse.urlencode({"Action": "GetRole", "Version": "2010-05-08", "RoleName": aws_name + "-missing"})
    status, _, body = aws_raw("POST", "/", form, service="iam", content_type="application/x-www-form-urlencoded")
    assert status == 404
    assert "<ErrorResponse" in body and "<Type>Sender</Type><Code>NoSuchEntity</Code>" in body
    status, _, body = aws_raw("POST", "/", "Action=NoSuchAction&Version=2010-05-08", service="iam", content_type="application/x-www-form-urlencoded")
    assert status == 400 and "<Code>InvalidAction</Code>" in body
