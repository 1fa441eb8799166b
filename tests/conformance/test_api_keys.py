"""API Keys v2 through google-cloud-api-keys (REST)."""

import pytest
from google.api_core import exceptions
from google.cloud import api_keys_v2
from google.protobuf import field_mask_pb2


def _key(display_name="k1"):
    return api_keys_v2.Key(
        display_name=display_name,
        restrictions=api_keys_v2.Restrictions(
            browser_key_restrictions=api_keys_v2.BrowserKeyRestrictions(allowed_referrers=["*.example.com"]),
            api_targets=[api_keys_v2.ApiTarget(service="translate.googleapis.com", methods=["Get*"])],
        ),
    )


def test_key_lifecycle(keys, enable, project):
    enable(project, "apikeys.googleapis.com")
    parent = f"projects/{project}/locations/global"
    created = keys.create_key(parent=parent, key=_key(), key_id="my-key").result(timeout=30)
    assert created.key_string.startswith("AIza") and len(created.key_string) == 39
    assert created.name.endswith("/locations/global/keys/my-key")
    assert created.name.split("/")[1].isdigit(), "names use the project number"

    name = f"{parent}/keys/my-key"
    got = keys.get_key(name=name)
    assert got.key_string == ""
    assert got.restrictions.api_targets[0].service == "translate.googleapis.com"
    assert keys.get_key_string(name=name).key_string == created.key_string
    looked = keys.lookup_key(request={"key_string": created.key_string})
    assert looked.name == created.name

    updated = keys.update_key(
        key=api_keys_v2.Key(name=name, display_name="k2"),
        update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
    ).result(timeout=30)
    assert updated.display_name == "k2"
    assert updated.etag != got.etag

    assert [k.name for k in keys.list_keys(parent=parent)] == [created.name]

    deleted = keys.delete_key(name=name).result(timeout=30)
    assert deleted.delete_time
    assert list(keys.list_keys(parent=parent)) == []
    shown = list(keys.list_keys(request={"parent": parent, "show_deleted": True}))
    assert len(shown) == 1 and shown[0].delete_time
    # The ID stays reserved while the key is soft-deleted.
    with pytest.raises(exceptions.Conflict):
        keys.create_key(parent=parent, key=_key(), key_id="my-key")

    restored = keys.undelete_key(request={"name": name}).result(timeout=30)
    assert not restored.delete_time
    assert len(list(keys.list_keys(parent=parent))) == 1


def test_server_generated_id(keys, enable, project):
    enable(project, "apikeys.googleapis.com")
    created = keys.create_key(parent=f"projects/{project}/locations/global", key=api_keys_v2.Key()).result()
    key_id = created.name.rsplit("/", 1)[1]
    assert created.uid == key_id and len(key_id) == 36


def test_errors(keys, enable, project):
    parent = f"projects/{project}/locations/global"
    with pytest.raises(exceptions.Forbidden) as e:
        keys.list_keys(parent=parent)
    assert e.value.reason == "SERVICE_DISABLED"
    enable(project, "apikeys.googleapis.com")
    with pytest.raises(exceptions.NotFound):
        keys.get_key(name=f"{parent}/keys/missing")
    with pytest.raises(exceptions.BadRequest):
        keys.create_key(parent=parent, key=api_keys_v2.Key(), key_id="Not_Valid")
    one = api_keys_v2.Key(
        restrictions=api_keys_v2.Restrictions(
            browser_key_restrictions=api_keys_v2.BrowserKeyRestrictions(allowed_referrers=["a"]),
        )
    )
    keys.create_key(parent=parent, key=one, key_id="one").result()
    # Only displayName, restrictions and annotations can be updated.
    with pytest.raises(exceptions.BadRequest):
        keys.update_key(
            key=api_keys_v2.Key(name=f"{parent}/keys/one"),
            update_mask=field_mask_pb2.FieldMask(paths=["service_account_email"]),
        )
