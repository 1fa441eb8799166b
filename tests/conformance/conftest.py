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
