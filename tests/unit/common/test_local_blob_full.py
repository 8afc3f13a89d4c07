"""A full disk is a clear ``storage_full`` (507), never a stored-looking success, and no
error names a path: the local blob store under a file-size limit (EFBIG, the same class
as ENOSPC and EDQUOT), and the upload stage that answers it."""

import contextlib
import resource
from types import SimpleNamespace

import pytest

from ailurus_common.errors import ErrorCode
from ailurus_common.storage.blob import UPLOADS
from ailurus_common.storage.errors import StorageFull
from ailurus_common.storage.local_blob import LocalBlobStore
from gateway.uploads import UploadPipeline
from tests.support.samples import sample

LIMIT_BYTES = 256 * 1024


@contextlib.contextmanager
def file_size_limit(limit_bytes: int):
    """Writes past ``limit_bytes`` fail with EFBIG (Python ignores SIGXFSZ)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.fixture
async def store(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    await store.ensure_containers()
    return store


async def test_put_on_a_full_disk_is_storage_full_and_leaves_nothing(store, tmp_path):
    with file_size_limit(LIMIT_BYTES), pytest.raises(StorageFull) as caught:
        await store.put(UPLOADS, "ab/" + "ab" * 32, b"x" * (2 * LIMIT_BYTES), content_type="image/jpeg")
    assert caught.value.status_code == 507 and caught.value.code is ErrorCode.STORAGE_FULL
    assert str(tmp_path) not in caught.value.message and "Errno" not in caught.value.message
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []  # no partial file, no temp file
    assert await store.put(UPLOADS, "ab/" + "ab" * 32, b"small", content_type="image/jpeg")  # room again: works


async def test_upload_stage_on_a_full_disk_rejects_the_file_as_storage_full(store):
    """Nothing is acknowledged for it: no classification, no record."""
    calls = []
    untouched = SimpleNamespace(find_media=lambda *a: calls.append(a), classify=lambda *a, **k: calls.append(a))
    pipeline = UploadPipeline(blobs=store, ingest=untouched, preprocess=untouched, pending=untouched, record_batch=10)
    data = sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG").read_bytes()
    assert len(data) > LIMIT_BYTES
    with file_size_limit(LIMIT_BYTES):
        result = await pipeline.stage("trap-1", "big.jpg", data, user="u", notify=lambda event: None)
    assert (result.status, result.error.code) == ("rejected", ErrorCode.STORAGE_FULL)
    assert calls == []
