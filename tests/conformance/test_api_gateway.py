"""API Gateway v1 through google-cloud-api-gateway (REST)."""

import pytest
from google.api_core import exceptions
from google.cloud import apigateway_v1
from google.protobuf import field_mask_pb2

SPEC = b"swagger: '2.0'\ninfo:\n  title: t\n  version: '1'\npaths: {}\n"


def _config(spec=SPEC, sa=None):
    return apigateway_v1.ApiConfig(
        display_name="c1",
        gateway_service_account=sa or "",
        openapi_documents=[
            apigateway_v1.ApiConfig.OpenApiDocument(
                document=apigateway_v1.ApiConfig.File(path="openapi.yaml", contents=spec)
            )
        ],
    )


def test_full_stack_lifecycle(gateway, apigateway_discovery, usage, iam, enable, project):
    enable(project, "apigateway.googleapis.com", "iam.googleapis.com")
    iam.projects().serviceAccounts().create(name=f"projects/{project}", body={"accountId": "gateway-sa"}).execute()
    sa = f"gateway-sa@{project}.iam.gserviceaccount.com"
    glob = f"projects/{project}/locations/global"

    api = gateway.create_api(parent=glob, api_id="my-api", api=apigateway_v1.Api(display_name="My API", labels={"env": "t"})).result(timeout=30)
    assert api.state == apigateway_v1.Api.State.ACTIVE
    assert api.managed_service.endswith(f".apigateway.{project}.cloud.goog")

    cfg = gateway.create_api_config(parent=api.name, api_config_id="cfg1", api_config=_config(sa=sa)).result(timeout=30)
    assert cfg.gateway_service_account == sa
    basic = gateway.get_api_config(name=cfg.name)
    assert len(basic.openapi_documents) == 0
    full = gateway.get_api_config(request={"name": cfg.name, "view": apigateway_v1.GetApiConfigRequest.ConfigView.FULL})
    assert full.openapi_documents[0].document.contents == SPEC

    gw = gateway.create_gateway(
        parent=f"projects/{project}/locations/us-central1",
        gateway_id="gw1",
        gateway=apigateway_v1.Gateway(api_config=cfg.name),
    ).result(timeout=30)
    assert gw.default_hostname.endswith(".uc.gateway.dev")

    # The API's managed service can be enabled like any other service.
    usage.enable_service(request={"name": f"projects/{project}/services/{api.managed_service}"}).result()

    # Update: rename the API; switch the gateway to a new config, then delete the old one.
    renamed = gateway.update_api(api=apigateway_v1.Api(name=api.name, display_name="Renamed"), update_mask=field_mask_pb2.FieldMask(paths=["display_name"])).result()
    assert renamed.display_name == "Renamed"
    cfg2 = gateway.create_api_config(parent=api.name, api_config_id="cfg2", api_config=_config()).result()
    with pytest.raises(exceptions.BadRequest):  # in use by the gateway
        gateway.delete_api_config(name=cfg.name)
    switched = gateway.update_gateway(gateway=apigateway_v1.Gateway(name=gw.name, api_config=cfg2.name), update_mask=field_mask_pb2.FieldMask(paths=["api_config"])).result()
    assert switched.api_config == cfg2.name
    gateway.delete_api_config(name=cfg.name).result(timeout=30)
    assert [c.name for c in gateway.list_api_configs(parent=api.name)] == [cfg2.name]
    assert [a.name for a in gateway.list_apis(parent=glob)] == [api.name]
    assert [g.name for g in gateway.list_gateways(parent=f"projects/{project}/locations/us-central1")] == [gw.name]

    # IAM policy round trip on the gateway (GET getIamPolicy, POST setIamPolicy).
    gws = apigateway_discovery.projects().locations().gateways()
    pol = gws.getIamPolicy(resource=gw.name).execute()
    assert pol == {"etag": "ACAB"}
    pol["bindings"] = [{"role": "roles/apigateway.viewer", "members": [f"serviceAccount:{sa}"]}]
    new = gws.setIamPolicy(resource=gw.name, body={"policy": pol}).execute()
    assert gws.getIamPolicy(resource=gw.name).execute() == new

    # Deletion order: configs before the API.
    with pytest.raises(exceptions.BadRequest):
        gateway.delete_api(name=api.name)
    gateway.delete_gateway(name=gw.name).result(timeout=30)
    gateway.delete_api_config(name=cfg2.name).result(timeout=30)
    gateway.delete_api(name=api.name).result(timeout=30)
    with pytest.raises(exceptions.NotFound):
        gateway.get_api(name=api.name)


def test_errors(gateway, enable, project):
    glob = f"projects/{project}/locations/global"
    with pytest.raises(exceptions.Forbidden) as e:
        gateway.list_apis(parent=glob)
    assert e.value.reason == "SERVICE_DISABLED"
    enable(project, "apigateway.googleapis.com")
    gateway.create_api(parent=glob, api_id="taken", api=apigateway_v1.Api()).result()
    with pytest.raises(exceptions.Conflict):
        gateway.create_api(parent=glob, api_id="taken", api=apigateway_v1.Api())
    with pytest.raises(exceptions.BadRequest):
        gateway.create_api(parent=glob, api_id="Bad_Id", api=apigateway_v1.Api())
    with pytest.raises(exceptions.BadRequest):  # immutable field in the mask
        gateway.update_api_config(api_config=apigateway_v1.ApiConfig(name=f"{glob}/apis/taken/configs/x"), update_mask=field_mask_pb2.FieldMask(paths=["openapi_documents"]))
    # An invalid OpenAPI document fails the operation, not the call.
    op = gateway.create_api_config(parent=f"{glob}/apis/taken", api_config_id="bad", api_config=_config(spec=b"hello: world\n"))
    with pytest.raises(exceptions.GoogleAPICallError):
        op.result(timeout=30)
