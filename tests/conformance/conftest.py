"""Fixtures: Google's Python clients pointed at the keyway emulator (EMULATOR_URL)."""

import os
import uuid

import httplib2
import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import api_keys_v2, apigateway_v1, run_v2, service_usage_v1
from googleapiclient import discovery


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("EMULATOR_URL")
    if not url:
        pytest.fail("EMULATOR_URL is not set; run through `cargo test --test suite conformance`")
    return url.rstrip("/")


def _gapic(cls, base_url):
    # Plain-http REST with no credentials (reference test-peers.md section 3).
    return cls(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=base_url),
    )


@pytest.fixture(scope="session")
def keys(base_url):
    return _gapic(api_keys_v2.ApiKeysClient, base_url)


@pytest.fixture(scope="session")
def gateway(base_url):
    return _gapic(apigateway_v1.ApiGatewayServiceClient, base_url)


@pytest.fixture(scope="session")
def run(base_url):
    return _gapic(run_v2.ServicesClient, base_url)


@pytest.fixture(scope="session")
def usage(base_url):
    return _gapic(service_usage_v1.ServiceUsageClient, base_url)


def _discovery(name, version, base_url):
    # The static discovery documents shipped inside google-api-python-client, with the root URL
    # replaced by the emulator's.
    return discovery.build(
        name,
        version,
        http=httplib2.Http(),
        static_discovery=True,
        client_options={"api_endpoint": base_url + "/"},
        cache_discovery=False,
    )


@pytest.fixture(scope="session")
def iam(base_url):
    return _discovery("iam", "v1", base_url)


@pytest.fixture(scope="session")
def apigateway_discovery(base_url):
    """The GAPIC API Gateway client has no IAM methods; the discovery client does."""
    return _discovery("apigateway", "v1", base_url)


@pytest.fixture(scope="session")
def crm_v1(base_url):
    return _discovery("cloudresourcemanager", "v1", base_url)


@pytest.fixture(scope="session")
def crm_v3(base_url):
    return _discovery("cloudresourcemanager", "v3", base_url)


@pytest.fixture
def project():
    """A fresh project per test: projects spring into existence on first use."""
    return "conf-" + uuid.uuid4().hex[:10]


@pytest.fixture
def enable(usage):
    def _enable(project, *services):
        op = usage.batch_enable_services(
            request={"parent": f"projects/{project}", "service_ids": list(services)}
        )
        op.result(timeout=30)

    return _enable


# --- AWS: boto3 pointed at the same emulator port (SigV4 with dummy keys; signatures are not
# checked). Retries off, so an error answer is seen as sent.

AWS_REGION = "us-east-1"


@pytest.fixture(scope="session")
def aws(base_url):
    import boto3
    from botocore.config import Config

    def client(name, region=AWS_REGION):
        return boto3.client(
            name,
            endpoint_url=base_url,
            region_name=region,
            aws_access_key_id="AKIDKEYWAYTEST",
            aws_secret_access_key="not-checked",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    return client


@pytest.fixture
def aws_name():
    """A fresh name per test (AWS objects are account-wide)."""
    return "kw-" + uuid.uuid4().hex[:10]


@pytest.fixture
def aws_raw(base_url):
    """Sends a request with a SigV4-shaped Authorization header (or none) and returns
    (status, headers, body text): for what boto3 hides (status codes, raw XML)."""
    import urllib.error
    import urllib.request

    def send(method, path, body=None, service="apigateway", auth=True, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(base_url + path, data=data, method=method)
        if auth:
            req.add_header(
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential=AKIDRAW/20260101/{AWS_REGION}/{service}/aws4_request, "
                "SignedHeaders=host, Signature=00",
            )
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()

    return send


@pytest.fixture
def lambda_role(aws, aws_name):
    """An IAM role Lambda can assume; its ARN."""
    import json

    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    r = aws("iam").create_role(RoleName=aws_name + "-role", AssumeRolePolicyDocument=json.dumps(trust))
    return r["Role"]["Arn"]


def handler_zip(source="def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello'}\n"):
    """A deployment package holding app.py."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()
