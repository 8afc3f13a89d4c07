"""Fixtures of the ML unit tests: a snapshot store on a fresh local folder."""

from pathlib import Path

import pytest

from ailurus_common.storage.local_blob import LocalBlobStore
from ailurus_ml.datasets.store import SnapshotStore


@pytest.fixture
async def blobs(tmp_path: Path) -> LocalBlobStore:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.ensure_containers()
    return store


@pytest.fixture
def snapshots(blobs: LocalBlobStore) -> SnapshotStore:
    return SnapshotStore(blobs)
