"""IAM customer managed policies through boto3: lifecycle, versions (five at most, the default
undeletable), attachment counts, delete conflicts, tags, paging, and a role refusing to attach
a customer policy that does not exist."""

import json

import pytest
from botocore.exceptions import ClientError

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def policy(aws, aws_name):
    iam = aws("iam")
    p = iam.create_policy(
        PolicyName=aws_name, Path="/svc/", PolicyDocument=json.dumps(DOC), Description="logs",
        Tags=[{"Key": "team", "Value": "core"}],
    )["Policy"]
    yield p
    try:
        for v in iam.list_policy_versions(PolicyArn=p["Arn"])["Versions"]:
            if not v["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=p["Arn"], VersionId=v["VersionId"])
        iam.delete_policy(PolicyArn=p["Arn"])
    except ClientError:
        pass


def test_policy_lifecycle_and_document(aws, aws_name, policy):
    iam = aws("iam")
    assert policy["Arn"] == f"arn:aws:iam::123456789012:policy/svc/{aws_name}"
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0
    got = iam.get_policy(PolicyArn=policy["Arn"])["Policy"]
    assert got["Description"] == "logs" and got["Tags"] == [{"Key": "team", "Value": "core"}]
    v = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert v["Document"] == DOC and v["IsDefaultVersion"] is True
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=aws_name, PolicyDocument=json.dumps(DOC))
    assert code(e) == ("EntityAlreadyExists", 409)
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=aws_name + "-bad", PolicyDocument="{not json")
    assert code(e) == ("MalformedPolicyDocument", 400)


def test_versions_are_limited_and_the_default_stays(aws, policy):
    iam = aws("iam")
    arn = policy["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC), SetAsDefault=True)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in versions] == [True, False, False, False, False]
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC))
    assert code(e) == ("LimitExceeded", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    assert code(e) == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert code(e) == ("DeleteConflict", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v5"


def test_attachments_count_and_block_the_delete(aws, aws_name, policy):
    iam = aws("iam")
    arn = policy["Arn"]
    iam.create_role(RoleName=aws_name, AssumeRolePolicyDocument=json.dumps(TRUST))
    try:
        iam.attach_role_policy(RoleName=aws_name, PolicyArn=arn)
        assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
        listed = iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]
        assert [p["Arn"] for p in listed] == [arn]
        with pytest.raises(ClientError) as e:
            iam.delete_policy(PolicyArn=arn)
        assert code(e) == ("DeleteConflict", 409)
        iam.detach_role_policy(RoleName=aws_name, PolicyArn=arn)
        missing = "arn:aws:iam::123456789012:policy/not-there"
        with pytest.raises(ClientError) as e:
            iam.attach_role_policy(RoleName=aws_name, PolicyArn=missing)
        assert code(e) == ("NoSuchEntity", 404)
    finally:
        iam.delete_role(RoleName=aws_name)


def test_tags_and_paging(aws, aws_name, policy):
    iam = aws("iam")
    arn = policy["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["team"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    extra = [iam.create_policy(PolicyName=f"{aws_name}-{i}", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"] for i in range(3)]
    try:
        seen, marker = [], None
        while True:
            kw = {"Scope": "Local", "MaxItems": 2, "PathPrefix": "/"}
            if marker:
                kw["Marker"] = marker
            page = iam.list_policies(**kw)
            seen += [p["Arn"] for p in page["Policies"]]
            if not page["IsTruncated"]:
                break
            marker = page["Marker"]
        assert set(extra + [arn]) <= set(seen)
        assert iam.list_policies(Scope="AWS")["Policies"] == []
    finally:
        for a in extra:
            iam.delete_policy(PolicyArn=a)
