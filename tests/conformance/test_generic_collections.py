"""The collections keyway's emulator serves generically from discovery documents, driven through
their lifecycle by Google's discovery-based Python client (google-api-python-client): create,
get, list, patch with a field mask, IAM, delete, and the errors a client meets."""

import base64
import json

import httplib2
import pytest
from googleapiclient import discovery
from googleapiclient.errors import HttpError

from conftest import _discovery


@pytest.fixture(scope="module")
def secretmanager(base_url):
    return _discovery("secretmanager", "v1", base_url)


@pytest.fixture(scope="module")
def pubsub(base_url):
    return _discovery("pubsub", "v1", base_url)


@pytest.fixture(scope="module")
def scheduler(base_url):
    return _discovery("cloudscheduler", "v1", base_url)


@pytest.fixture(scope="module")
def registry(base_url):
    return _discovery("artifactregistry", "v1", base_url)


def _status(err):
    return err.value.resp.status


def test_secret_and_versions_lifecycle(secretmanager, project, enable):
    secrets = secretmanager.projects().secrets()
    with pytest.raises(HttpError) as e:
        secrets.list(parent=f"projects/{project}").execute()
    assert _status(e) == 403, "SERVICE_DISABLED before the API is enabled"
    enable(project, "secretmanager.googleapis.com")
    parent = f"projects/{project}"
    created = secrets.create(
        parent=parent, secretId="db", body={"replication": {"automatic": {}}, "labels": {"a": "1"}}
    ).execute()
    assert created["name"] == f"{parent}/secrets/db"
    assert "createTime" in created and "etag" in created
    with pytest.raises(HttpError) as e:
        secrets.create(parent=parent, secretId="db", body={"replication": {"automatic": {}}}).execute()
    assert _status(e) == 409
    with pytest.raises(HttpError) as e:
        secrets.create(parent=parent, secretId="x", body={"replicaton": {}}).execute()
    assert _status(e) == 400 and b"Unknown name" in e.value.content
    patched = secrets.patch(name=created["name"], updateMask="labels", body={"labels": {"a": "2"}}).execute()
    assert patched["labels"] == {"a": "2"} and patched["replication"] == {"automatic": {}}
    data = base64.b64encode(b"hunter2").decode()
    v1 = secrets.addVersion(parent=created["name"], body={"payload": {"data": data}}).execute()
    assert v1["name"].endswith("/versions/1") and v1["state"] == "ENABLED"
    assert "payload" not in secrets.versions().get(name=v1["name"]).execute()
    latest = secrets.versions().access(name=f"{created['name']}/versions/latest").execute()
    assert base64.b64decode(latest["payload"]["data"]) == b"hunter2"
    listed = secrets.versions().list(parent=created["name"]).execute()
    assert [v["name"] for v in listed["versions"]] == [v1["name"]]
    destroyed = secrets.versions().destroy(name=v1["name"], body={}).execute()
    assert destroyed["state"] == "DESTROYED"
    with pytest.raises(HttpError) as e:
        secrets.versions().access(name=v1["name"]).execute()
    assert _status(e) == 400
    policy = secrets.getIamPolicy(resource=created["name"]).execute()
    policy["bindings"] = [{"role": "roles/secretmanager.secretAccessor", "members": ["group:g@example.com"]}]
    secrets.setIamPolicy(resource=created["name"], body={"policy": policy}).execute()
    assert secrets.getIamPolicy(resource=created["name"]).execute()["bindings"][0]["members"] == ["group:g@example.com"]
    secrets.delete(name=created["name"]).execute()
    with pytest.raises(HttpError) as e:
        secrets.get(name=created["name"]).execute()
    assert _status(e) == 404


def test_topics_and_subscriptions(pubsub, project, enable):
    enable(project, "pubsub.googleapis.com")
    topic = f"projects/{project}/topics/events"
    pubsub.projects().topics().create(name=topic, body={"labels": {"team": "a"}}).execute()
    updated = pubsub.projects().topics().patch(
        name=topic, body={"topic": {"labels": {"team": "b"}}, "updateMask": "labels"}
    ).execute()
    assert updated["labels"] == {"team": "b"}
    sub = f"projects/{project}/subscriptions/worker"
    created = pubsub.projects().subscriptions().create(name=sub, body={"topic": topic}).execute()
    assert created["ackDeadlineSeconds"] == 10 and created["state"] == "ACTIVE"
    for i in range(3):
        pubsub.projects().topics().create(name=f"{topic}-{i}", body={}).execute()
    page = pubsub.projects().topics().list(project=f"projects/{project}", pageSize=2).execute()
    assert len(page["topics"]) == 2 and "nextPageToken" in page
    rest = pubsub.projects().topics().list(
        project=f"projects/{project}", pageSize=2, pageToken=page["nextPageToken"]
    ).execute()
    assert len(rest["topics"]) == 2 and "nextPageToken" not in rest
    pubsub.projects().subscriptions().delete(subscription=sub).execute()
    pubsub.projects().topics().delete(topic=topic).execute()


def test_scheduler_jobs_take_their_name_in_the_body(scheduler, project, enable):
    enable(project, "cloudscheduler.googleapis.com")
    parent = f"projects/{project}/locations/us-central1"
    jobs = scheduler.projects().locations().jobs()
    job = jobs.create(
        parent=parent,
        body={"name": f"{parent}/jobs/nightly", "schedule": "0 2 * * *",
              "httpTarget": {"uri": "https://example.com", "httpMethod": "POST"}},
    ).execute()
    assert job["state"] == "ENABLED" and job["timeZone"] == "Etc/UTC"
    with pytest.raises(HttpError) as e:
        jobs.create(parent=parent, body={"name": "nightly", "schedule": "* * * * *"}).execute()
    assert _status(e) == 400
    changed = jobs.patch(name=job["name"], updateMask="schedule", body={"schedule": "0 3 * * *"}).execute()
    assert changed["schedule"] == "0 3 * * *" and changed["httpTarget"]["uri"] == "https://example.com"
    jobs.delete(name=job["name"]).execute()


def test_repositories_are_created_by_operation(registry, project, enable):
    enable(project, "artifactregistry.googleapis.com")
    parent = f"projects/{project}/locations/us-central1"
    repos = registry.projects().locations().repositories()
    op = repos.create(parent=parent, repositoryId="images", body={"format": "DOCKER"}).execute()
    while not op.get("done"):
        op = registry.projects().locations().operations().get(name=op["name"]).execute()
    assert op["response"]["name"] == f"{parent}/repositories/images"
    got = repos.get(name=f"{parent}/repositories/images").execute()
    assert got["format"] == "DOCKER"
    with pytest.raises(HttpError) as e:
        repos.create(parent=parent, repositoryId="Bad_Id", body={"format": "DOCKER"}).execute()
    assert _status(e) == 400
    op = repos.delete(name=got["name"]).execute()
    while not op.get("done"):
        op = registry.projects().locations().operations().get(name=op["name"]).execute()


def test_storage_bucket_lifecycle_and_iam(base_url, project):
    # The client's endpoint replaces the document's root and service path (storage/v1/).
    storage = _discovery("storage", "v1", base_url + "/storage/v1")
    buckets = storage.buckets()
    name = f"{project}-specs"
    created = buckets.insert(project=project, body={"name": name, "location": "us-central1"}).execute()
    assert created["name"] == name and created["id"] == name
    assert created["location"] == "US-CENTRAL1", "Google keeps locations in capitals"
    assert created["storageClass"] == "STANDARD" and created["metageneration"] == "1"
    with pytest.raises(HttpError) as e:
        buckets.insert(project=project, body={"name": name, "location": "US"}).execute()
    assert _status(e) == 409, "bucket names are global"
    with pytest.raises(HttpError) as e:
        buckets.insert(project=project, body={"name": "Bad_Name!", "location": "US"}).execute()
    assert _status(e) == 400
    patched = buckets.patch(bucket=name, body={"labels": {"team": "api"}}).execute()
    assert patched["labels"] == {"team": "api"} and patched["location"] == "US-CENTRAL1"
    assert patched["metageneration"] == "2"
    listed = buckets.list(project=project).execute()
    assert [b["name"] for b in listed["items"]] == [name]
    policy = buckets.getIamPolicy(bucket=name, optionsRequestedPolicyVersion=3).execute()
    assert policy["resourceId"] == f"projects/_/buckets/{name}"
    policy["bindings"] = [{"role": "roles/storage.objectViewer", "members": ["user:a@example.com"]}]
    buckets.setIamPolicy(bucket=name, body=policy).execute()
    again = buckets.getIamPolicy(bucket=name).execute()
    assert again["bindings"][0]["members"] == ["user:a@example.com"]
    buckets.delete(bucket=name).execute()
    with pytest.raises(HttpError) as e:
        buckets.get(bucket=name).execute()
    assert _status(e) == 404


def test_service_account_keys(base_url, project, enable, iam):
    enable(project, "iam.googleapis.com")
    account = iam.projects().serviceAccounts().create(
        name=f"projects/{project}", body={"accountId": "ci-deployer"}
    ).execute()
    keys = iam.projects().serviceAccounts().keys()
    created = keys.create(name=f"projects/-/serviceAccounts/{account['email']}", body={}).execute()
    assert created["name"].startswith(f"projects/{project}/serviceAccounts/{account['email']}/keys/")
    credentials = json.loads(base64.b64decode(created["privateKeyData"]))
    assert credentials["client_email"] == account["email"]
    got = keys.get(name=created["name"]).execute()
    assert "privateKeyData" not in got and got["keyType"] == "USER_MANAGED"
    listed = keys.list(name=account["name"]).execute()
    assert [k["name"] for k in listed["keys"]] == [created["name"]]
    keys.delete(name=created["name"]).execute()
    with pytest.raises(HttpError) as e:
        keys.get(name=created["name"]).execute()
    assert _status(e) == 404


def test_compute_networks_addresses_and_operations(base_url, project, enable):
    compute = _discovery("compute", "v1", base_url + "/compute/v1")
    enable(project, "compute.googleapis.com")
    op = compute.networks().insert(
        project=project, body={"name": "vpc", "autoCreateSubnetworks": False}
    ).execute()
    assert op["kind"] == "compute#operation" and op["status"] == "DONE"
    assert op["targetLink"].endswith(f"/projects/{project}/global/networks/vpc")
    polled = compute.globalOperations().get(project=project, operation=op["name"]).execute()
    assert polled["status"] == "DONE"
    net = compute.networks().get(project=project, network="vpc").execute()
    assert net["selfLink"] == op["targetLink"] and net["id"].isdigit()
    compute.globalAddresses().insert(
        project=project,
        body={"name": "peering", "purpose": "VPC_PEERING", "addressType": "INTERNAL",
              "prefixLength": 16, "network": f"projects/{project}/global/networks/vpc"},
    ).execute()
    addr = compute.globalAddresses().get(project=project, address="peering").execute()
    assert addr["network"] == net["selfLink"], "networks are stored as URLs"
    with pytest.raises(HttpError) as e:
        compute.networks().delete(project=project, network="vpc").execute()
    assert _status(e) == 400, "a network in use cannot be deleted"
    compute.globalAddresses().delete(project=project, address="peering").execute()
    compute.networks().delete(project=project, network="vpc").execute()
    listed = compute.networks().list(project=project).execute()
    assert listed.get("items", []) == []


def test_cloud_sql_instances_databases_users_and_operations(base_url, project, enable):
    sql = _discovery("sqladmin", "v1", base_url)
    enable(project, "sqladmin.googleapis.com")
    op = sql.instances().insert(
        project=project,
        body={"name": "db-1", "databaseVersion": "POSTGRES_15", "region": "us-central1",
              "settings": {"tier": "db-f1-micro", "userLabels": {"env": "test"}}},
    ).execute()
    assert op["kind"] == "sql#operation" and op["status"] == "DONE"
    assert op["operationType"] == "CREATE" and op["targetId"] == "db-1"
    polled = sql.operations().get(project=project, operation=op["name"]).execute()
    assert polled["status"] == "DONE" and polled["name"] == op["name"]
    inst = sql.instances().get(project=project, instance="db-1").execute()
    assert inst["state"] == "RUNNABLE"
    assert inst["connectionName"] == f"{project}:us-central1:db-1"
    assert inst["settings"]["settingsVersion"] == "1"
    assert inst["settings"]["ipConfiguration"]["ipv4Enabled"] is True
    assert any(ip["type"] == "PRIMARY" for ip in inst["ipAddresses"])
    with pytest.raises(HttpError) as e:
        sql.instances().insert(
            project=project,
            body={"name": "db-1", "databaseVersion": "POSTGRES_15",
                  "settings": {"tier": "db-f1-micro"}},
        ).execute()
    assert _status(e) == 409

    sql.instances().patch(
        project=project, instance="db-1", body={"settings": {"tier": "db-g1-small"}}
    ).execute()
    inst = sql.instances().get(project=project, instance="db-1").execute()
    assert inst["settings"]["tier"] == "db-g1-small" and inst["settings"]["settingsVersion"] == "2"
    assert inst["settings"]["userLabels"] == {"env": "test"}, "a patch keeps what it does not send"
    with pytest.raises(HttpError) as e:
        sql.instances().patch(
            project=project, instance="db-1",
            body={"settings": {"tier": "db-f1-micro", "settingsVersion": "1"}},
        ).execute()
    assert _status(e) == 412, "a stale settingsVersion is refused"

    sql.databases().insert(project=project, instance="db-1", body={"name": "app"}).execute()
    db = sql.databases().get(project=project, instance="db-1", database="app").execute()
    assert db["charset"] == "UTF8" and db["instance"] == "db-1"
    names = {d["name"] for d in sql.databases().list(project=project, instance="db-1").execute()["items"]}
    assert names == {"app", "postgres"}, "Postgres starts with its own database"

    sql.users().insert(
        project=project, instance="db-1", body={"name": "app", "password": "s3cret-pw"}
    ).execute()
    users = sql.users().list(project=project, instance="db-1").execute()["items"]
    assert {u["name"] for u in users} == {"app", "postgres"}
    assert all("password" not in u for u in users), "passwords are never answered"
    sql.users().update(
        project=project, instance="db-1", name="app", body={"name": "app", "password": "n3w-pw"}
    ).execute()
    got = sql.users().get(project=project, instance="db-1", name="app").execute()
    assert got["name"] == "app" and "password" not in got
    sql.users().delete(project=project, instance="db-1", name="app").execute()
    sql.databases().delete(project=project, instance="db-1", database="app").execute()

    sql.instances().delete(project=project, instance="db-1").execute()
    with pytest.raises(HttpError) as e:
        sql.instances().get(project=project, instance="db-1").execute()
    assert _status(e) == 404
    with pytest.raises(HttpError) as e:
        sql.instances().insert(
            project=project,
            body={"name": "db-1", "databaseVersion": "POSTGRES_15",
                  "settings": {"tier": "db-f1-micro"}},
        ).execute()
    assert _status(e) == 409, "a deleted instance's name is reserved for a week"


class _RegionalHttp(httplib2.Http):
    """Sends every request with the Host header of Cloud Run v1's regional endpoint: the
    emulator serves all hosts on one port, and the region is in the host name."""

    def __init__(self, host):
        super().__init__()
        self._host = host

    def request(self, uri, method="GET", body=None, headers=None, *args, **kwargs):
        headers = dict(headers or {})
        headers["host"] = self._host
        return super().request(uri, method, body, headers, *args, **kwargs)


def test_cloud_run_v1_knative_services(base_url, project, enable):
    run = discovery.build(
        "run",
        "v1",
        http=_RegionalHttp("us-central1-run.googleapis.com"),
        static_discovery=True,
        client_options={"api_endpoint": base_url + "/"},
        cache_discovery=False,
    )
    enable(project, "run.googleapis.com")
    services = run.namespaces().services()
    ns = f"namespaces/{project}"
    body = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "hello", "namespace": project,
                     "annotations": {"run.googleapis.com/ingress": "all"}},
        "spec": {
            "template": {"spec": {"containers": [{"image": "us-docker.pkg.dev/cloudrun/container/hello",
                                                  "env": [{"name": "A", "value": "1"}]}]}},
            "traffic": [{"percent": 100, "latestRevision": True}],
        },
    }
    created = services.create(parent=ns, body=body).execute()
    assert created["metadata"]["name"] == "hello" and created["metadata"]["generation"] == 1
    assert created["metadata"]["annotations"]["serving.knative.dev/creator"]
    ready = {c["type"]: c["status"] for c in created["status"]["conditions"]}
    assert ready["Ready"] == "True" and created["status"]["observedGeneration"] == 1
    assert created["status"]["url"].startswith("https://hello-") and created["status"]["url"].endswith("-uc.a.run.app")
    spec = created["spec"]["template"]["spec"]
    assert spec["containerConcurrency"] == 80 and spec["timeoutSeconds"] == 300
    assert spec["containers"][0]["ports"] == [{"name": "http1", "containerPort": 8080}]
    with pytest.raises(HttpError) as e:
        services.create(parent=ns, body=body).execute()
    assert _status(e) == 409
    with pytest.raises(HttpError) as e:
        services.create(parent=ns, body={**body, "metadata": {"name": "x"}, "spex": {}}).execute()
    assert _status(e) == 400 and b"Unknown name" in e.value.content
    with pytest.raises(HttpError) as e:
        services.create(parent=ns, body={**body, "apiVersion": "v2"}).execute()
    assert _status(e) == 400
    name = f"{ns}/services/hello"
    got = services.get(name=name).execute()
    assert got == created
    listed = services.list(parent=ns).execute()
    assert listed["kind"] == "ServiceList" and [s["metadata"]["name"] for s in listed["items"]] == ["hello"]
    got["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "2"
    del got["status"]
    replaced = services.replaceService(name=name, body=got).execute()
    assert replaced["metadata"]["generation"] == 2 and replaced["status"]["observedGeneration"] == 2
    assert replaced["status"]["url"] == created["status"]["url"], "the URL stays"
    assert replaced["status"]["latestReadyRevisionName"] != created["status"]["latestReadyRevisionName"]
    stale = dict(got, metadata=dict(got["metadata"], resourceVersion="stale"))
    with pytest.raises(HttpError) as e:
        services.replaceService(name=name, body=stale).execute()
    assert _status(e) == 409
    # The same service by its location path, where its IAM policy lives.
    located = run.projects().locations().services()
    full = f"projects/{project}/locations/us-central1/services/hello"
    assert located.get(name=full).execute()["metadata"]["uid"] == created["metadata"]["uid"]
    policy = {"bindings": [{"role": "roles/run.invoker", "members": ["allUsers"]}]}
    located.setIamPolicy(resource=full, body={"policy": policy}).execute()
    assert located.getIamPolicy(resource=full).execute()["bindings"] == policy["bindings"]
    status = services.delete(name=name).execute()
    assert status["status"] == "Success"
    with pytest.raises(HttpError) as e:
        services.get(name=name).execute()
    assert _status(e) == 404
    # Another region sees nothing of this one.
    other = discovery.build("run", "v1", http=_RegionalHttp("europe-west1-run.googleapis.com"),
                            static_discovery=True, client_options={"api_endpoint": base_url + "/"},
                            cache_discovery=False)
    assert other.namespaces().services().list(parent=ns).execute().get("items", []) == []


def test_service_networking_connections(base_url, project, enable, crm_v1):
    compute = _discovery("compute", "v1", base_url + "/compute/v1")
    net = _discovery("servicenetworking", "v1", base_url)
    enable(project, "compute.googleapis.com", "servicenetworking.googleapis.com")
    number = crm_v1.projects().get(projectId=project).execute()["projectNumber"]
    compute.networks().insert(project=project, body={"name": "vpc", "autoCreateSubnetworks": False}).execute()
    for name in ("range-a", "range-b"):
        compute.globalAddresses().insert(
            project=project,
            body={"name": name, "purpose": "VPC_PEERING", "addressType": "INTERNAL",
                  "prefixLength": 16, "network": f"projects/{project}/global/networks/vpc"},
        ).execute()
    parent = "services/servicenetworking.googleapis.com"
    network = f"projects/{number}/global/networks/vpc"
    with pytest.raises(HttpError) as e:
        net.services().connections().create(
            parent=parent, body={"network": f"projects/{project}/global/networks/vpc",
                                 "reservedPeeringRanges": ["range-a"]}).execute()
    assert _status(e) == 400, "the network is named by project number"
    with pytest.raises(HttpError) as e:
        net.services().connections().create(
            parent=parent, body={"network": network, "reservedPeeringRanges": ["nope"]}).execute()
    assert _status(e) == 400, "reserved ranges must be the network's peering addresses"
    op = net.services().connections().create(
        parent=parent, body={"network": network, "reservedPeeringRanges": ["range-a"]}).execute()
    assert op["name"].startswith("operations/")
    listed = net.services().connections().list(parent=parent, network=network).execute()
    assert listed["connections"] == [{
        "network": network, "reservedPeeringRanges": ["range-a"],
        "peering": "servicenetworking-googleapis-com", "service": parent}]
    with pytest.raises(HttpError) as e:
        net.services().connections().create(
            parent=parent, body={"network": network, "reservedPeeringRanges": ["range-b"]}).execute()
    assert _status(e) == 400, "a second create is refused: ranges change with patch"
    net.services().connections().patch(
        name=f"{parent}/connections/-", updateMask="reservedPeeringRanges", force=True,
        body={"network": network, "reservedPeeringRanges": ["range-a", "range-b"]}).execute()
    listed = net.services().connections().list(parent=parent, network=network).execute()
    assert listed["connections"][0]["reservedPeeringRanges"] == ["range-a", "range-b"]
    net.services().connections().deleteConnection(
        name=f"{parent}/connections/servicenetworking-googleapis-com",
        body={"consumerNetwork": network}).execute()
    assert net.services().connections().list(parent=parent, network=network).execute().get("connections", []) == []


def test_iap_brands_clients_and_web_policy(base_url, project, enable):
    iap = _discovery("iap", "v1", base_url)
    enable(project, "iap.googleapis.com")
    brands = iap.projects().brands()
    parent = f"projects/{project}"
    body = {"supportEmail": "support@example.com", "applicationTitle": "Internal apps"}
    brand = brands.create(parent=parent, body=body).execute()
    # Named by the project's number, whichever way the request names the project.
    number = brand["name"].split("/")[1]
    assert number.isdigit() and brand["name"] == f"projects/{number}/brands/{number}"
    assert brand["orgInternalOnly"] is True and brand["applicationTitle"] == "Internal apps"
    assert brands.get(name=brand["name"]).execute() == brand
    assert brands.get(name=f"{parent}/brands/{number}").execute() == brand
    assert brands.list(parent=parent).execute()["brands"] == [brand]
    with pytest.raises(HttpError) as e:
        brands.create(parent=parent, body=body).execute()
    assert _status(e) == 409, "one brand per project"
    with pytest.raises(HttpError) as e:
        brands.create(parent=f"projects/{project}-other", body={"supportEmail": "a@example.com"}).execute()
    assert _status(e) == 403, "SERVICE_DISABLED in a project without the API"
    clients = brands.identityAwareProxyClients()
    client = clients.create(parent=brand["name"], body={"displayName": "web"}).execute()
    assert client["name"].startswith(brand["name"] + "/identityAwareProxyClients/")
    assert client["displayName"] == "web" and client["secret"]
    assert clients.get(name=client["name"]).execute() == client
    listed = clients.list(parent=brand["name"]).execute()
    assert listed["identityAwareProxyClients"] == [client]
    with pytest.raises(HttpError) as e:
        clients.create(parent=f"{parent}/brands/1", body={"displayName": "x"}).execute()
    assert _status(e) == 404
    clients.delete(name=client["name"]).execute()
    with pytest.raises(HttpError) as e:
        clients.get(name=client["name"]).execute()
    assert _status(e) == 404
    assert clients.list(parent=brand["name"]).execute().get("identityAwareProxyClients", []) == []
    # The project's IAP-protected web resources: one policy.
    web = f"{parent}/iap_web"
    policy = iap.v1().getIamPolicy(resource=web, body={}).execute()
    assert policy.get("bindings", []) == []
    bindings = [{"role": "roles/iap.httpsResourceAccessor", "members": ["user:alice@example.com"]}]
    iap.v1().setIamPolicy(resource=web, body={"policy": {"bindings": bindings, "etag": policy["etag"]}}).execute()
    assert iap.v1().getIamPolicy(resource=web, body={}).execute()["bindings"] == bindings
    with pytest.raises(HttpError) as e:
        iap.v1().getIamPolicy(resource=f"{parent}/iap_elsewhere", body={}).execute()
    assert _status(e) == 404
