"""The ``BlobStore`` contract: every test runs on the local folder store and on Azurite."""

import asyncio
import os
from pathlib import Path

import pytest
from azure.storage.blob.aio import BlobServiceClient

from ailurus_common.storage.azure_blob import AzureBlobStore
from ailurus_common.storage.blob import CONTAINERS, DATASETS, PROCESSED, STAGING, UPLOADS, BlobStore
from ailurus_common.storage.errors import NotFound, StorageError
from ailurus_common.storage.local_blob import TMP_PREFIX, LocalBlobStore
from ailurus_tools.processes import free_port
from ailurus_tools.standins import Azurite
from tests.support.samples import sample_files

pytestmark = pytest.mark.slow

JPEG = "image/jpeg"
OCTETS = "application/octet-stream"


def sample_jpeg() -> bytes:
    return next(p for p in sample_files("cameratrap") if p.suffix.lower() in (".jpg", ".jpeg")).read_bytes()


async def test_ensure_containers_twice_keeps_store_usable(blob_store: BlobStore, prefix: str) -> None:
    await blob_store.ensure_containers()
    await blob_store.ensure_containers()
    for container in CONTAINERS:
        assert await blob_store.put(container, f"{prefix}/probe", b"x", content_type=OCTETS)
        assert await blob_store.get(container, f"{prefix}/probe") == b"x"


async def test_is_ready_store_true_after_ensure_containers(blob_store: BlobStore) -> None:
    assert await blob_store.is_ready() is True


@pytest.mark.parametrize("kind", ["random_3mb", "sample_jpeg", "empty"])
async def test_put_get_bytes_identical(blob_store: BlobStore, prefix: str, kind: str) -> None:
    data = {"random_3mb": lambda: os.urandom(3 * 1024 * 1024), "sample_jpeg": sample_jpeg, "empty": lambda: b""}[kind]()
    assert await blob_store.put(UPLOADS, f"{prefix}/{kind}", data, content_type=JPEG) is True
    assert await blob_store.get(UPLOADS, f"{prefix}/{kind}") == data


async def test_put_blob_existing_without_overwrite_keeps_original(blob_store: BlobStore, prefix: str) -> None:
    name = f"{prefix}/img.jpg"
    assert await blob_store.put(UPLOADS, name, b"original", content_type=JPEG) is True
    assert await blob_store.put(UPLOADS, name, b"other bytes", content_type=JPEG) is False
    assert await blob_store.put(UPLOADS, name, b"more", content_type=JPEG, overwrite=False) is False
    assert await blob_store.get(UPLOADS, name) == b"original"


async def test_put_blob_existing_with_overwrite_replaces(blob_store: BlobStore, prefix: str) -> None:
    name = f"{prefix}/thumb.jpg"
    assert await blob_store.put(PROCESSED, name, b"first version", content_type=JPEG) is True
    assert await blob_store.put(PROCESSED, name, b"second", content_type=JPEG, overwrite=True) is True
    assert await blob_store.get(PROCESSED, name) == b"second"


async def test_put_blob_new_with_overwrite_creates(blob_store: BlobStore, prefix: str) -> None:
    assert await blob_store.put(DATASETS, f"{prefix}/new.csv", b"a,b\n", content_type="text/csv", overwrite=True)
    assert await blob_store.get(DATASETS, f"{prefix}/new.csv") == b"a,b\n"


async def test_get_blob_missing_raises_not_found(blob_store: BlobStore, prefix: str) -> None:
    with pytest.raises(NotFound) as raised:
        await blob_store.get(UPLOADS, f"{prefix}/missing.jpg")
    assert raised.value.status_code == 404
    assert raised.value.code == "not_found"


async def test_get_container_missing_raises_not_found(blob_store: BlobStore, prefix: str) -> None:
    with pytest.raises(NotFound):
        await blob_store.get("no-such-container", f"{prefix}/x")


async def test_put_container_missing_raises_storage_error(blob_store: BlobStore, prefix: str) -> None:
    with pytest.raises(StorageError) as raised:
        await blob_store.put("no-such-container", f"{prefix}/x", b"x", content_type=OCTETS)
    assert raised.value.code == "container_not_found"
    assert not isinstance(raised.value, NotFound)


async def test_exists_blob_before_and_after_put_and_delete(blob_store: BlobStore, prefix: str) -> None:
    name = f"{prefix}/exists.jpg"
    assert await blob_store.exists(UPLOADS, name) is False
    await blob_store.put(UPLOADS, name, b"x", content_type=JPEG)
    assert await blob_store.exists(UPLOADS, name) is True
    await blob_store.delete(UPLOADS, name)
    assert await blob_store.exists(UPLOADS, name) is False


async def test_exists_container_missing_false(blob_store: BlobStore, prefix: str) -> None:
    assert await blob_store.exists("no-such-container", f"{prefix}/x") is False


async def test_delete_blob_twice_true_then_false(blob_store: BlobStore, prefix: str) -> None:
    name = f"{prefix}/gone.jpg"
    await blob_store.put(UPLOADS, name, b"x", content_type=JPEG)
    assert await blob_store.delete(UPLOADS, name) is True
    assert await blob_store.delete(UPLOADS, name) is False
    with pytest.raises(NotFound):
        await blob_store.get(UPLOADS, name)


async def test_delete_blob_never_stored_false(blob_store: BlobStore, prefix: str) -> None:
    assert await blob_store.delete(UPLOADS, f"{prefix}/never") is False


async def test_put_blob_nested_name_round_trips(blob_store: BlobStore, prefix: str) -> None:
    names = [f"{prefix}/a/b/c.jpg", f"{prefix}/a/b/d.jpg", f"{prefix}/a/e.jpg"]
    for i, name in enumerate(names):
        assert await blob_store.put(UPLOADS, name, bytes([i]) * 10, content_type=JPEG)
    for i, name in enumerate(names):
        assert await blob_store.get(UPLOADS, name) == bytes([i]) * 10
    assert await blob_store.exists(UPLOADS, f"{prefix}/a/b") is False  # a folder is not a blob
    assert await blob_store.delete(UPLOADS, names[0]) is True
    assert await blob_store.get(UPLOADS, names[1]) == bytes([1]) * 10


async def test_put_blob_unusual_characters_round_trips(blob_store: BlobStore, prefix: str) -> None:
    name = f"{prefix}/trap 7/IMG 0001 (copy) +é#%?.JPG"
    assert await blob_store.put(UPLOADS, name, b"x", content_type=JPEG)
    assert await blob_store.get(UPLOADS, name) == b"x"
    assert await blob_store.exists(UPLOADS, name) is True


INVALID_NAMES = ["../x", "/abs", "a//b", "a/", "", "a/./b", "a/../b", "a\\b", "x\x00y", "n" * 1025, "s" * 256, "é" * 128]


@pytest.mark.parametrize("name", INVALID_NAMES, ids=lambda name: repr(name if len(name) <= 10 else name[:6] + "..."))
async def test_put_blob_invalid_name_rejected(blob_store: BlobStore, name: str) -> None:
    with pytest.raises(StorageError) as raised:
        await blob_store.put(UPLOADS, name, b"x", content_type=OCTETS)
    assert raised.value.code == "invalid_blob_name"
    assert raised.value.status_code == 400
    for operation in (blob_store.get, blob_store.exists, blob_store.delete):
        with pytest.raises(StorageError, match="blob name"):
            await operation(UPLOADS, name)


async def test_put_blob_longest_name_accepted(blob_store: BlobStore, prefix: str) -> None:
    name = "/".join([prefix, "a" * 255, "é" * 127, "c" * 255, "d" * 255])  # 255 UTF-8 bytes a segment
    name += "/" + "n" * (1024 - len(name) - 1)
    assert len(name) == 1024
    assert await blob_store.put(UPLOADS, name, b"x", content_type=OCTETS)
    assert await blob_store.get(UPLOADS, name) == b"x"


@pytest.mark.parametrize("container", ["../uploads", "Uploads", "up/loads", "ab"])
async def test_put_container_invalid_name_rejected(blob_store: BlobStore, container: str) -> None:
    with pytest.raises(StorageError) as raised:
        await blob_store.put(container, "x", b"x", content_type=OCTETS)
    assert raised.value.code == "invalid_container_name"
    assert raised.value.status_code == 400


async def test_put_blobs_concurrently_all_land(blob_store: BlobStore, prefix: str) -> None:
    payloads = {f"{prefix}/burst/{i:02d}.jpg": os.urandom(1000 + i) for i in range(50)}
    results = await asyncio.gather(*(blob_store.put(UPLOADS, name, data, content_type=JPEG)
                                     for name, data in payloads.items()))
    assert results == [True] * 50
    stored = await asyncio.gather(*(blob_store.get(UPLOADS, name) for name in payloads))
    assert stored == list(payloads.values())


async def test_put_same_blob_concurrently_exactly_one_wins(blob_store: BlobStore, prefix: str) -> None:
    name = f"{prefix}/race.jpg"
    candidates = [bytes([i]) * 5000 for i in range(10)]
    results = await asyncio.gather(*(blob_store.put(UPLOADS, name, data, content_type=JPEG) for data in candidates))
    assert results.count(True) == 1
    assert await blob_store.get(UPLOADS, name) == candidates[results.index(True)]


async def test_list_names_prefix_sorted_string_prefix(blob_store: BlobStore, prefix: str) -> None:
    names = [f"{prefix}/snapshots/b.json", f"{prefix}/snapshots/a.json", f"{prefix}/snapshotsx",
             f"{prefix}/images/00", f"{prefix}/snap/deep/er/c.json"]
    for name in names:
        assert await blob_store.put(DATASETS, name, b"x", content_type=OCTETS)
    assert await blob_store.list_names(DATASETS, f"{prefix}/snapshots/") == [f"{prefix}/snapshots/a.json",
                                                                            f"{prefix}/snapshots/b.json"]
    # A plain string prefix, not a folder: it matches a blob beside the folder and nested names.
    assert await blob_store.list_names(DATASETS, f"{prefix}/snap") == sorted(
        [f"{prefix}/snap/deep/er/c.json", f"{prefix}/snapshots/a.json", f"{prefix}/snapshots/b.json",
         f"{prefix}/snapshotsx"])
    assert await blob_store.list_names(DATASETS, prefix) == sorted(names)
    assert await blob_store.list_names(DATASETS, f"{prefix}/nothing/") == []


async def test_list_names_deleted_blob_gone(blob_store: BlobStore, prefix: str) -> None:
    await blob_store.put(DATASETS, f"{prefix}/a/x", b"x", content_type=OCTETS)
    await blob_store.put(DATASETS, f"{prefix}/a/y", b"y", content_type=OCTETS)
    await blob_store.delete(DATASETS, f"{prefix}/a/x")
    assert await blob_store.list_names(DATASETS, f"{prefix}/") == [f"{prefix}/a/y"]


async def test_list_names_container_missing_empty(blob_store: BlobStore, prefix: str) -> None:
    assert await blob_store.list_names("no-such-container", prefix) == []


async def test_list_names_invalid_container_rejected(blob_store: BlobStore) -> None:
    with pytest.raises(StorageError) as raised:
        await blob_store.list_names("Bad_Name")
    assert raised.value.code == "invalid_container_name"


# Staged blocks (resumable uploads) ---------------------------------------------------------


def block_id(offset: int) -> str:
    return f"{offset:016d}"


async def stage_in_chunks(store: BlobStore, name: str, data: bytes, chunk: int) -> list[str]:
    ids = []
    for offset in range(0, len(data), chunk):
        await store.stage_block(STAGING, name, block_id(offset), data[offset:offset + chunk])
        ids.append(block_id(offset))
    return ids


async def test_commit_blocks_joins_in_order_byte_identical(blob_store: BlobStore, prefix: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    ids = await stage_in_chunks(blob_store, f"{prefix}/file", data, 1024 * 1024)
    assert await blob_store.commit_blocks(STAGING, f"{prefix}/file", ids, content_type=JPEG) is True
    assert await blob_store.get(STAGING, f"{prefix}/file") == data
    assert await blob_store.staged_blocks(STAGING, f"{prefix}/file") == {}


async def test_staged_blocks_not_readable_before_commit(blob_store: BlobStore, prefix: str) -> None:
    await blob_store.stage_block(STAGING, f"{prefix}/file", block_id(0), b"part")
    assert await blob_store.exists(STAGING, f"{prefix}/file") is False
    assert await blob_store.list_names(STAGING, prefix) == []
    with pytest.raises(NotFound):
        await blob_store.get(STAGING, f"{prefix}/file")


async def test_staged_blocks_lists_ids_and_sizes(blob_store: BlobStore, prefix: str) -> None:
    assert await blob_store.staged_blocks(STAGING, f"{prefix}/none") == {}
    await stage_in_chunks(blob_store, f"{prefix}/file", b"a" * 250, 100)
    assert await blob_store.staged_blocks(STAGING, f"{prefix}/file") == {block_id(0): 100, block_id(100): 100,
                                                                         block_id(200): 50}


async def test_stage_block_again_replaces_its_bytes(blob_store: BlobStore, prefix: str) -> None:
    await blob_store.stage_block(STAGING, f"{prefix}/file", block_id(0), b"first try, cut")
    await blob_store.stage_block(STAGING, f"{prefix}/file", block_id(0), b"second")
    assert await blob_store.staged_blocks(STAGING, f"{prefix}/file") == {block_id(0): 6}
    assert await blob_store.commit_blocks(STAGING, f"{prefix}/file", [block_id(0)], content_type=OCTETS)
    assert await blob_store.get(STAGING, f"{prefix}/file") == b"second"


async def test_staged_blocks_seen_by_another_store_instance(blob_store: BlobStore, prefix: str, backend: str,
                                                            request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A restarted process (a new store on the same storage) finds the blocks and commits them."""
    await stage_in_chunks(blob_store, f"{prefix}/file", b"0123456789", 4)
    if backend == "local":
        other: BlobStore = LocalBlobStore(tmp_path / "blobs")
    else:
        other = AzureBlobStore.from_connection_string(request.getfixturevalue("azurite").connection_string)
    try:
        staged = await other.staged_blocks(STAGING, f"{prefix}/file")
        assert staged == {block_id(0): 4, block_id(4): 4, block_id(8): 2}
        assert await other.commit_blocks(STAGING, f"{prefix}/file", sorted(staged), content_type=OCTETS)
        assert await blob_store.get(STAGING, f"{prefix}/file") == b"0123456789"
    finally:
        await other.close()


async def test_commit_blocks_existing_without_overwrite_keeps_blob(blob_store: BlobStore, prefix: str) -> None:
    assert await blob_store.put(STAGING, f"{prefix}/file", b"original", content_type=OCTETS)
    await blob_store.stage_block(STAGING, f"{prefix}/file", block_id(0), b"other")
    assert await blob_store.commit_blocks(STAGING, f"{prefix}/file", [block_id(0)], content_type=OCTETS) is False
    assert await blob_store.get(STAGING, f"{prefix}/file") == b"original"
    assert await blob_store.commit_blocks(STAGING, f"{prefix}/file", [block_id(0)], content_type=OCTETS,
                                          overwrite=True) is True
    assert await blob_store.get(STAGING, f"{prefix}/file") == b"other"


async def test_commit_blocks_unstaged_id_rejected(blob_store: BlobStore, prefix: str) -> None:
    await blob_store.stage_block(STAGING, f"{prefix}/file", block_id(0), b"x")
    with pytest.raises(StorageError) as raised:
        await blob_store.commit_blocks(STAGING, f"{prefix}/file", [block_id(0), block_id(1)], content_type=OCTETS)
    assert raised.value.status_code == 400
    assert await blob_store.exists(STAGING, f"{prefix}/file") is False


async def test_discard_blocks_drops_staged_keeps_committed(blob_store: BlobStore, prefix: str) -> None:
    await stage_in_chunks(blob_store, f"{prefix}/abandoned", b"x" * 10, 5)
    await blob_store.discard_blocks(STAGING, f"{prefix}/abandoned")
    assert await blob_store.staged_blocks(STAGING, f"{prefix}/abandoned") == {}
    assert await blob_store.exists(STAGING, f"{prefix}/abandoned") is False
    await blob_store.discard_blocks(STAGING, f"{prefix}/never-staged")  # nothing there: no error
    assert await blob_store.put(STAGING, f"{prefix}/kept", b"whole", content_type=OCTETS)
    await blob_store.discard_blocks(STAGING, f"{prefix}/kept")
    assert await blob_store.get(STAGING, f"{prefix}/kept") == b"whole"


@pytest.mark.parametrize("bad", ["", "has space", "a" * 65, "dot.ted", "../up"])
async def test_stage_block_invalid_id_rejected(blob_store: BlobStore, prefix: str, bad: str) -> None:
    with pytest.raises(StorageError) as raised:
        await blob_store.stage_block(STAGING, f"{prefix}/file", bad, b"x")
    assert raised.value.status_code == 400


async def test_stage_blocks_concurrently_all_committed(blob_store: BlobStore, prefix: str) -> None:
    data = os.urandom(40 * 1000)
    await asyncio.gather(*(blob_store.stage_block(STAGING, f"{prefix}/file", block_id(offset), data[offset:offset + 1000])
                           for offset in range(0, len(data), 1000)))
    ids = sorted(await blob_store.staged_blocks(STAGING, f"{prefix}/file"))
    assert len(ids) == 40
    assert await blob_store.commit_blocks(STAGING, f"{prefix}/file", ids, content_type=OCTETS)
    assert await blob_store.get(STAGING, f"{prefix}/file") == data


# Local folder store only ---------------------------------------------------------------------


def leftover_temp_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.startswith(TMP_PREFIX)]


async def test_put_local_no_temp_files_left_behind(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.ensure_containers()
    assert await store.put(UPLOADS, "t/a.jpg", b"1", content_type=JPEG) is True
    assert await store.put(UPLOADS, "t/a.jpg", b"2", content_type=JPEG) is False
    assert await store.put(UPLOADS, "t/a.jpg", b"3", content_type=JPEG, overwrite=True) is True
    await asyncio.gather(*(store.put(UPLOADS, f"t/{i}.jpg", b"x", content_type=JPEG) for i in range(20)))
    assert leftover_temp_files(tmp_path) == []
    (tmp_path / UPLOADS / "t" / f"{TMP_PREFIX}under-way").write_bytes(b"partial")  # a write in progress
    assert await store.list_names(UPLOADS, "t/") == sorted(["t/a.jpg", *(f"t/{i}.jpg" for i in range(20))])
    (tmp_path / UPLOADS / "t" / f"{TMP_PREFIX}under-way").unlink()
    stored = sorted(p.name for p in (tmp_path / UPLOADS / "t").iterdir())
    assert stored == sorted(["a.jpg", *(f"{i}.jpg" for i in range(20))])


async def test_put_local_blob_over_folder_raises_conflict_and_cleans_up(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.ensure_containers()
    await store.put(UPLOADS, "a/b.jpg", b"x", content_type=JPEG)
    for overwrite in (False, True):
        with pytest.raises(StorageError) as raised:
            await store.put(UPLOADS, "a", b"y", content_type=JPEG, overwrite=overwrite)
        assert raised.value.code == "conflict"
    with pytest.raises(StorageError) as raised:
        await store.put(UPLOADS, "a/b.jpg/c", b"y", content_type=JPEG)
    assert raised.value.code == "conflict"
    assert leftover_temp_files(tmp_path) == []
    assert await store.get(UPLOADS, "a/b.jpg") == b"x"


async def test_is_ready_local_false_before_ensure_containers(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "not-yet")
    assert await store.is_ready() is False
    await store.ensure_containers()
    assert await store.is_ready() is True


# Azure store only --------------------------------------------------------------------------


async def test_put_azure_sets_content_type(azurite: Azurite, prefix: str) -> None:
    store = AzureBlobStore.from_connection_string(azurite.connection_string)
    try:
        await store.ensure_containers()
        await store.put(UPLOADS, f"{prefix}/typed.jpg", b"x", content_type=JPEG)
    finally:
        await store.close()
    async with BlobServiceClient.from_connection_string(azurite.connection_string) as client:
        properties = await client.get_blob_client(UPLOADS, f"{prefix}/typed.jpg").get_blob_properties()
    assert properties.content_settings.content_type == JPEG


async def test_is_ready_azure_unreachable_false_within_timeout(azurite: Azurite) -> None:
    nobody = azurite.connection_string.replace(f":{azurite.blob_port}/", f":{free_port()}/")
    store = AzureBlobStore.from_connection_string(nobody, ready_timeout_s=1.0)
    try:
        started = asyncio.get_running_loop().time()
        assert await store.is_ready() is False
        assert asyncio.get_running_loop().time() - started < 3.0
    finally:
        await store.close()


async def test_get_azure_unreachable_raises_storage_error(azurite: Azurite) -> None:
    nobody = azurite.connection_string.replace(f":{azurite.blob_port}/", f":{free_port()}/")
    store = AzureBlobStore.from_connection_string(nobody, retry_total=0)
    try:
        with pytest.raises(StorageError) as raised:
            await store.get(UPLOADS, "x")
        assert raised.value.status_code == 503
        assert raised.value.code == "storage_unavailable"
        assert not isinstance(raised.value, NotFound)
    finally:
        await store.close()
