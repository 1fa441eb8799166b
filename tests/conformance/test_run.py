"""Cloud Run Admin v2 through google-cloud-run (REST)."""

import pytest
from google.api_core import exceptions
from google.cloud import run_v2
from google.iam.v1 import iam_policy_pb2, policy_pb2


def _service(image="us-docker.pkg.dev/cloudrun/container/hello", **kw):
    return run_v2.Service(
        template=run_v2.RevisionTemplate(
            containers=[run_v2.Container(image=image, env=[run_v2.EnvVar(name="A", value="1")])]
        ),
        **kw,
    )


def test_service_lifecycle(run, iam, enable, project):
    enable(project, "run.googleapis.com", "iam.googleapis.com")
    parent = f"projects/{project}/locations/us-central1"
    op = run.create_service(parent=parent, service_id="svc1", service=_service(ingress=run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_ONLY))
    svc = op.result(timeout=30)
    assert svc.name == f"{parent}/services/svc1"
    assert svc.ingress == run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_ONLY
    assert svc.generation == 1 and svc.observed_generation == 1
    assert svc.terminal_condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    assert svc.uri.startswith("https://svc1-")
    assert svc.template.timeout.seconds == 300
    assert svc.template.containers[0].resources.limits["memory"] == "512Mi"

    got = run.get_service(name=svc.name)
    assert got.latest_ready_revision == svc.latest_ready_revision
    assert [s.name for s in run.list_services(parent=parent)] == [svc.name]

    # Update without a mask: the whole desired state.
    updated = run.update_service(service=_service(image="gcr.io/p/img:2", name=svc.name)).result(timeout=30)
    assert updated.generation == 2
    assert updated.latest_ready_revision != svc.latest_ready_revision
    assert updated.ingress == run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL

    # Grant the gateway's account run.invoker.
    iam.projects().serviceAccounts().create(name=f"projects/{project}", body={"accountId": "gateway-sa"}).execute()
    pol = run.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=svc.name))
    pol.bindings.append(policy_pb2.Binding(role="roles/run.invoker", members=[f"serviceAccount:gateway-sa@{project}.iam.gserviceaccount.com"]))
    new = run.set_iam_policy(request=iam_policy_pb2.SetIamPolicyRequest(resource=svc.name, policy=pol))
    assert run.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=svc.name)) == new
    # The old etag is now stale.
    with pytest.raises(exceptions.Conflict):
        run.set_iam_policy(request=iam_policy_pb2.SetIamPolicyRequest(resource=svc.name, policy=pol))

    deleted = run.delete_service(name=svc.name).result(timeout=30)
    assert deleted.name == svc.name
    with pytest.raises(exceptions.NotFound):
        run.get_service(name=svc.name)


def test_upsert_and_revision_conflict(run, enable, project):
    enable(project, "run.googleapis.com")
    name = f"projects/{project}/locations/europe-west1/services/upsert"
    svc = run.update_service(request={"service": _service(name=name), "allow_missing": True}).result()
    assert svc.generation == 1
    blue = _service(image="img:1", name=name)
    blue.template.revision = "upsert-blue"
    run.update_service(service=blue).result()
    blue.template.containers[0].image = "img:2"
    with pytest.raises(exceptions.Conflict):
        run.update_service(service=blue)


def test_errors(run, enable, project):
    parent = f"projects/{project}/locations/us-central1"
    with pytest.raises(exceptions.Forbidden) as e:
        run.list_services(parent=parent)
    assert e.value.reason == "SERVICE_DISABLED"
    enable(project, "run.googleapis.com")
    run.create_service(parent=parent, service_id="taken", service=_service()).result()
    with pytest.raises(exceptions.Conflict):
        run.create_service(parent=parent, service_id="taken", service=_service())
    with pytest.raises(exceptions.BadRequest):
        run.create_service(parent=parent, service_id="Bad_Id", service=_service())
    with pytest.raises(exceptions.BadRequest):
        run.create_service(parent=parent, service_id="no-template", service=run_v2.Service())
    with pytest.raises(exceptions.NotFound):
        run.get_service(name=f"{parent}/services/missing")


def test_wait_operation(run, enable, project):
    import time

    from google.longrunning import operations_pb2
    from google.protobuf import duration_pb2

    enable(project, "run.googleapis.com")
    parent = f"projects/{project}/locations/us-central1"
    op = run.create_service(parent=parent, service_id="waited", service=_service())
    assert not op.operation.done
    start = time.monotonic()
    waited = run.wait_operation(
        request=operations_pb2.WaitOperationRequest(name=op.operation.name, timeout=duration_pb2.Duration(seconds=20))
    )
    # The server held the answer until the operation finished (well before the timeout).
    assert waited.done and not waited.HasField("error")
    assert time.monotonic() - start < 10
    listed = run.list_operations(request=operations_pb2.ListOperationsRequest(name=parent))
    assert op.operation.name in {o.name for o in listed.operations}
