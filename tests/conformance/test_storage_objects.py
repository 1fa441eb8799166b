"""Cloud Storage objects through Google's own client (google-cloud-storage): multipart and
resumable uploads, downloads, lists with prefix and delimiter, and the preconditions a state
backend's locks rely on (reference test-peers.md section 1)."""

import io

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage


@pytest.fixture
def gcs(base_url, project):
    return storage.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": base_url},
    )


def test_objects_uploads_reads_lists_and_preconditions(gcs, project):
    bucket = gcs.create_bucket(f"{project}-state")
    state = bucket.blob("env/default.tfstate")
    state.upload_from_string(b'{"version": 4}', content_type="application/json")
    assert state.generation and state.metageneration == 1 and state.size == 14
    assert state.download_as_bytes() == b'{"version": 4}'
    got = bucket.get_blob("env/default.tfstate")
    assert got.generation == state.generation and got.content_type == "application/json"

    # Resumable: chunks of 256 KiB, the last one short.
    big = bytes(range(256)) * 2100
    blob = bucket.blob("env/big.bin", chunk_size=256 * 1024)
    blob.upload_from_file(io.BytesIO(big), size=len(big))
    assert bucket.get_blob("env/big.bin").size == len(big)
    assert blob.download_as_bytes() == big
    session = bucket.blob("other/one.txt").create_resumable_upload_session()
    assert "upload_id=" in session

    # The lock: created once.
    lock = bucket.blob("env/default.tflock")
    lock.upload_from_string(b"{}", if_generation_match=0)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("env/default.tflock").upload_from_string(b"{}", if_generation_match=0)

    # Overwrite with the generation read, not with another.
    with pytest.raises(exceptions.PreconditionFailed):
        state.upload_from_string(b"2", if_generation_match=state.generation + 1)
    state.upload_from_string(b"2", if_generation_match=state.generation)
    with pytest.raises(exceptions.PreconditionFailed):
        state.reload(if_metageneration_match=7)

    # Metadata patch bumps the metageneration.
    state.metadata = {"owner": "ci"}
    state.patch(if_metageneration_match=1)
    assert state.metageneration == 2 and state.metadata == {"owner": "ci"}

    names = [b.name for b in gcs.list_blobs(bucket, prefix="env/")]
    assert names == ["env/big.bin", "env/default.tflock", "env/default.tfstate"]
    listed = gcs.list_blobs(bucket, delimiter="/")
    assert [b.name for b in listed] == [] and listed.prefixes == {"env/"}
    paged = gcs.list_blobs(bucket, prefix="env/", max_results=10, page_size=1)
    assert [b.name for b in paged] == names

    with pytest.raises(exceptions.PreconditionFailed):
        lock.delete(if_generation_match=lock.generation + 1)
    with pytest.raises(exceptions.Conflict):
        bucket.delete()
    lock.delete(if_generation_match=lock.generation)
    with pytest.raises(exceptions.NotFound):
        lock.reload()
    for b in gcs.list_blobs(bucket):
        b.delete()
    bucket.delete()
    with pytest.raises(exceptions.NotFound):
        gcs.get_bucket(bucket.name)
