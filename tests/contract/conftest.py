"""Fixtures of the storage contract suite: every test runs once per backend."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ailurus_common.storage.blob import BlobStore
from ailurus_common.storage.factory import open_blob_store
from ailurus_tools.standins import Azurite


@pytest.fixture(params=["local", "azure"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def blob_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    """A new store with its containers created. Azure ones share one Azurite (and its fixed
    container names): tests keep apart by naming their blobs under ``prefix``."""
    if backend == "local":
        store = open_blob_store(backend="local", root=tmp_path / "blobs")
    else:
        server: Azurite = request.getfixturevalue("azurite")
        store = open_blob_store(backend="azure", connection_string=server.connection_string)
    try:
        await store.ensure_containers()
        yield store
    finally:
        await store.close()


@pytest.fixture
def prefix() -> str:
    """A folder-like blob name prefix no other test uses."""
    return uuid.uuid4().hex
