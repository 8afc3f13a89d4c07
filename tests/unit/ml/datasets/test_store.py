"""The snapshot store: content-derived ids, loading, listing, names."""

from datetime import UTC, datetime

import pytest

from ailurus_common.storage.blob import DATASETS
from ailurus_common.storage.local_blob import LocalBlobStore
from ailurus_ml.datasets.store import SnapshotStore, slug, snapshot_id, validate_name
from ailurus_ml.errors import BadSnapshot, InvalidName, SnapshotNotFound
from ailurus_ml.manifest import DatasetItem, DatasetManifest, SourceFormat


def item(sha_digit: str, label: str = "pbe") -> DatasetItem:
    return DatasetItem(sha256=sha_digit * 64, label=label, source_label=label.upper(), source=f"{sha_digit}.jpg")


def test_snapshot_id_order_independent_content_sensitive() -> None:
    first = snapshot_id("stations", [item("a"), item("b")])
    assert first == snapshot_id("stations", [item("b"), item("a")])
    assert first.startswith("stations-") and len(first) == len("stations-") + 12
    assert first != snapshot_id("stations", [item("a"), item("b", "vta")])
    assert first != snapshot_id("other", [item("a"), item("b")])


async def test_save_load_list_round_trip(snapshots: SnapshotStore) -> None:
    items = [item("a")]
    manifest = DatasetManifest(id=snapshot_id("s", items), name="s", created_at=datetime.now(UTC),
                               source_format=SourceFormat.FOLDER, classes=["pbe"], items=items)
    assert await snapshots.save(manifest) is True
    assert await snapshots.save(manifest.model_copy(update={"classes": []})) is False  # never rewritten
    assert await snapshots.load(manifest.id) == manifest
    assert [m.id for m in await snapshots.list()] == [manifest.id]


async def test_load_unknown_or_malformed_id_raises_not_found(snapshots: SnapshotStore) -> None:
    for snapshot in ("absent-0123456789ab", "../etc/passwd", "x"):
        with pytest.raises(SnapshotNotFound):
            await snapshots.load(snapshot)


async def test_load_corrupt_manifest_raises_bad_snapshot(snapshots: SnapshotStore, blobs: LocalBlobStore) -> None:
    await blobs.put(DATASETS, "snapshots/bad-0123456789ab.json", b'{"id": 1}', content_type="application/json")
    with pytest.raises(BadSnapshot):
        await snapshots.load("bad-0123456789ab")


async def test_list_empty_store_no_snapshots(snapshots: SnapshotStore) -> None:
    assert await snapshots.list() == []


def test_validate_name_rejects_unsafe() -> None:
    assert validate_name("stations-2024.v1") == "stations-2024.v1"
    for name in ("", "Upper", "a/b", "-lead", "x" * 65):
        with pytest.raises(InvalidName):
            validate_name(name)
    assert slug("Camtrap DP: Example!") == "camtrap-dp-example"
    assert slug("///") == "dataset"

