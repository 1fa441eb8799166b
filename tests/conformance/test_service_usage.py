"""Service Usage v1 through google-cloud-service-usage (REST)."""

import pytest
from google.api_core import exceptions
from google.cloud import service_usage_v1


def test_enable_get_list_disable(usage, project):
    name = f"projects/{project}/services/apikeys.googleapis.com"
    svc = usage.get_service(request={"name": name})
    assert svc.state == service_usage_v1.State.DISABLED

    resp = usage.enable_service(request={"name": name}).result(timeout=30)
    assert resp.service.state == service_usage_v1.State.ENABLED
    assert resp.service.config.name == "apikeys.googleapis.com"

    # Enabling again answers the already-done no-op operation.
    again = usage.enable_service(request={"name": name})
    assert again.done()

    enabled = usage.list_services(request={"parent": f"projects/{project}", "filter": "state:ENABLED"})
    names = {s.config.name for s in enabled}
    assert "apikeys.googleapis.com" in names and "serviceusage.googleapis.com" in names
    assert "run.googleapis.com" not in names

    usage.disable_service(request={"name": name}).result(timeout=30)
    assert usage.get_service(request={"name": name}).state == service_usage_v1.State.DISABLED


def test_batch_enable_and_batch_get(usage, project):
    op = usage.batch_enable_services(
        request={"parent": f"projects/{project}", "service_ids": ["run.googleapis.com", "iam.googleapis.com"]}
    )
    resp = op.result(timeout=30)
    assert len(resp.services) == 2
    got = usage.batch_get_services(
        request={
            "parent": f"projects/{project}",
            "names": [f"projects/{project}/services/run.googleapis.com"],
        }
    )
    assert got.services[0].state == service_usage_v1.State.ENABLED


def test_list_pages(usage, project):
    pager = usage.list_services(request={"parent": f"projects/{project}", "page_size": 3})
    pages = list(pager.pages)
    assert len(pages) > 1
    assert sum(len(p.services) for p in pages) > 3


def test_errors(usage, project):
    with pytest.raises(exceptions.BadRequest) as e:  # FAILED_PRECONDITION maps to HTTP 400
        usage.disable_service(request={"name": f"projects/{project}/services/run.googleapis.com"})
    assert "not enabled" in e.value.message
    with pytest.raises(exceptions.Forbidden):
        usage.enable_service(request={"name": f"projects/{project}/services/no-such.googleapis.com"})
    with pytest.raises(exceptions.BadRequest):
        usage.list_services(request={"parent": f"projects/{project}", "filter": "name:x"})
    usage.enable_service(request={"name": f"projects/{project}/services/apigateway.googleapis.com"}).result()
    with pytest.raises(exceptions.BadRequest) as e:
        usage.disable_service(request={"name": f"projects/{project}/services/servicecontrol.googleapis.com"})
    assert e.value.reason == "COMMON_SU_SERVICE_HAS_DEPENDENT_SERVICES"


def test_list_operations(usage, project):
    from google.longrunning import operations_pb2

    op = usage.enable_service(request={"name": f"projects/{project}/services/iam.googleapis.com"})
    op.result(timeout=30)
    name = op.operation.name
    resp = usage.list_operations(request=operations_pb2.ListOperationsRequest(name="operations"))
    listed = {o.name: o for o in resp.operations}
    assert name in listed and listed[name].done
    assert all(n.startswith(("operations/acf.", "operations/acat.")) for n in listed)
    pending = usage.list_operations(request=operations_pb2.ListOperationsRequest(name="operations", filter="done:false"))
    assert name not in {o.name for o in pending.operations}
    got = usage.get_operation(request=operations_pb2.GetOperationRequest(name=name))
    assert got.done and got.name == name
