"""IAM v1 and Cloud Resource Manager v1/v3 through google-api-python-client's static discovery."""

import json

import pytest
from googleapiclient.errors import HttpError


def _error(e):
    return json.loads(e.content)["error"]


def test_project_get(crm_v1, crm_v3, project):
    v1 = crm_v1.projects().get(projectId=project).execute()
    assert v1["projectId"] == project and v1["lifecycleState"] == "ACTIVE"
    number = v1["projectNumber"]
    assert isinstance(number, str) and number.isdigit()
    v3 = crm_v3.projects().get(name=f"projects/{number}").execute()
    assert v3["name"] == f"projects/{number}" and v3["projectId"] == project


def test_project_policy_round_trip_and_stale_etag(crm_v1, crm_v3, iam, enable, project):
    enable(project, "iam.googleapis.com")
    iam.projects().serviceAccounts().create(
        name=f"projects/{project}", body={"accountId": "runner-sa"}
    ).execute()
    policy = crm_v3.projects().getIamPolicy(
        resource=f"projects/{project}", body={"options": {"requestedPolicyVersion": 3}}
    ).execute()
    assert policy == {"etag": "ACAB"}
    member = f"serviceAccount:runner-sa@{project}.iam.gserviceaccount.com"
    policy["bindings"] = [{"role": "roles/run.admin", "members": [member]}]
    new = crm_v3.projects().setIamPolicy(resource=f"projects/{project}", body={"policy": policy}).execute()
    assert new["bindings"][0]["members"] == [member]
    assert crm_v1.projects().getIamPolicy(resource=project, body={}).execute() == new
    # Writing with the old etag again: 409 ABORTED.
    with pytest.raises(HttpError) as e:
        crm_v1.projects().setIamPolicy(resource=project, body={"policy": policy}).execute()
    assert e.value.resp.status == 409 and _error(e.value)["status"] == "ABORTED"


def test_service_account_lifecycle(iam, enable, project):
    enable(project, "iam.googleapis.com")
    accounts = iam.projects().serviceAccounts()
    sa = accounts.create(
        name=f"projects/{project}",
        body={"accountId": "gateway-sa", "serviceAccount": {"displayName": "Gateway"}},
    ).execute()
    email = f"gateway-sa@{project}.iam.gserviceaccount.com"
    assert sa["email"] == email and len(sa["uniqueId"]) == 21
    name = f"projects/{project}/serviceAccounts/{email}"
    assert accounts.get(name=name).execute() == sa
    assert [a["email"] for a in accounts.list(name=f"projects/{project}").execute()["accounts"]] == [email]
    patched = accounts.patch(
        name=name, body={"serviceAccount": {"description": "d"}, "updateMask": "description"}
    ).execute()
    assert patched["description"] == "d"
    pol = accounts.getIamPolicy(resource=name).execute()
    pol["bindings"] = [{"role": "roles/iam.serviceAccountUser", "members": ["user:me@example.com"]}]
    set_pol = accounts.setIamPolicy(resource=name, body={"policy": pol}).execute()
    assert accounts.getIamPolicy(resource=name).execute() == set_pol

    # 409 on a taken ID, 400 on a bad one.
    with pytest.raises(HttpError) as e:
        accounts.create(name=f"projects/{project}", body={"accountId": "gateway-sa"}).execute()
    assert e.value.resp.status == 409 and _error(e.value)["status"] == "ALREADY_EXISTS"
    with pytest.raises(HttpError) as e:
        accounts.create(name=f"projects/{project}", body={"accountId": "x"}).execute()
    assert e.value.resp.status == 400

    # Soft delete and undelete by unique ID.
    accounts.delete(name=name).execute()
    with pytest.raises(HttpError) as e:
        accounts.get(name=name).execute()
    assert e.value.resp.status == 404
    restored = accounts.undelete(name=f"projects/{project}/serviceAccounts/{sa['uniqueId']}", body={}).execute()
    assert restored["restoredAccount"]["email"] == email
    accounts.get(name=name).execute()


def test_iam_disabled_is_403_service_disabled(iam, project):
    with pytest.raises(HttpError) as e:
        iam.projects().serviceAccounts().list(name=f"projects/{project}").execute()
    err = _error(e.value)
    assert e.value.resp.status == 403
    assert err["details"][0]["reason"] == "SERVICE_DISABLED"
    assert err["details"][0]["metadata"]["service"] == "iam.googleapis.com"
